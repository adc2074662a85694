#!/bin/bash
# cgfsctl's bash completion (cgfsctl/cgfsctl.bash-completion): the words offered after each
# prefix, checked exactly with bash's own programmable completion variables.
#   completion-test.sh COMPLETION_FILE
set -uo pipefail
# shellcheck source=/dev/null
source "$1" || { echo "FAIL: cannot source $1"; exit 1; }
fail=0
# expect "WORDS TYPED" "EXPECTED REPLY": the last word is the one being completed.
expect() {
    read -r -a COMP_WORDS <<<"$1"
    [[ $1 == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    _cgfsctl
    local got="${COMPREPLY[*]}"
    if [ "$got" = "$2" ]; then
        echo "ok: '$1' -> '$got'"
    else
        echo "FAIL: '$1': expected '$2', got '$got'"
        fail=1
    fi
}
expect "cgfsctl " "status reap check help --help --version"
expect "cgfsctl st" "status"
expect "cgfsctl --v" "--version"
expect "cgfsctl status -" "--json --help"
expect "cgfsctl reap --d" "--dry-run"
expect "cgfsctl check --" "--json --help"
expect "cgfsctl help " "status reap check"
expect "cgfsctl help c" "check"
expect "cgfsctl status roo" "root"
expect "cgfsctl reap root " "--dry-run --help"
expect "cgfsctl reap --dry-run roo" "root"
expect "cgfsctl frobnicate " ""
exit $fail
