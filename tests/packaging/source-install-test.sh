#!/bin/bash
# The README's "From source" commands, verbatim, in a copy of the tracked files, with DESTDIR so
# that nothing lands on the host; then checks what was installed where.
#   source-install-test.sh SOURCE_DIR
set -euo pipefail
source_dir=$(cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$source_dir" && { git ls-files -co --exclude-standard 2>/dev/null ||
  find . -path './build*' -prune -o -type f -print; } | tar -cf - -T -) | tar -xf - -C "$work"
cd "$work"
meson setup build-install --prefix=/usr -Dtests=false >/dev/null
ninja -C build-install >/dev/null
DESTDIR="$work/destdir" ninja -C build-install install >/dev/null
pamdir=$(find "$work/destdir" -path '*/security/pam_cgfs.so' -printf '%h\n' | head -n 1)
fail=0
check() { if [ -e "$work/destdir$2" ]; then echo "ok: $1: $2"; else echo "FAIL: $1: no $2"; fail=1; fi; }
[ -n "$pamdir" ] && echo "ok: module in ${pamdir#"$work"/destdir}" || { echo "FAIL: no pam_cgfs.so installed"; fail=1; }
case "${pamdir#"$work"/destdir}" in /usr/lib/*/security | /usr/lib/security) ;; *) echo "FAIL: module not in <libdir>/security"; fail=1 ;; esac
check "cgfsctl" /usr/sbin/cgfsctl
check "pam-auth-update profile" /usr/share/pam-configs/cgfs
check "bash completion" /usr/share/bash-completion/completions/cgfsctl
check "manual page" /usr/share/man/man8/pam_cgfs.8
check "manual page" /usr/share/man/man8/cgfsctl.8
check "manual page" /usr/share/man/man5/cgfs.conf.5
exit $fail
