#!/bin/bash
# Runs inside the throwaway container (see tests/demo): a real PAM stack with the module as
# common-session, alice's login held open while the tree is shown, then logout.
#   demo-inside.sh MODULE PAM_DRIVER "OPTIONS"
set -euo pipefail
module=$1 driver=$2 options=$3

confdir=$(mktemp -d /tmp/pam.d.XXXXXX)
printf 'session optional %s %s\n' "$module" "$options" > "$confdir/common-session"
printf 'session required pam_permit.so\n@include common-session\n' > "$confdir/demo-login"

# Every cgroup directory whose path has a user/ component, as `tree -d` would, with owner and mode.
show_tree() {
  local mount dir rel depth
  while read -r mount; do
    echo "$mount"
    find "$mount" -mindepth 1 -type d -path '*/user*' | sort | while read -r dir; do
      rel=${dir#"$mount"/}
      depth=$(($(tr -cd / <<<"$rel" | wc -c)))
      printf '%*s%s  [%s %s]\n' $((depth * 4 + 4)) '' "${rel##*/}" "$(stat -c '%U:%G' "$dir")" "$(stat -c '%a' "$dir")"
    done
  done < <(awk '$3 == "cgroup" || $3 == "cgroup2" {print $2}' /proc/self/mounts)
}

coproc DRIVER { "$driver" --confdir "$confdir" --service demo-login --user alice --act-as-user --hold 2>&1; }
echo "-- pam_open_session as alice (uid $(id -u alice)) through $confdir/demo-login"
while IFS= read -r line <&"${DRIVER[0]}"; do
  case "$line" in
    open=*) echo "   result: ${line#open=}" ;;
    cgroup=*) proc_lines+=("${line#cgroup=}") ;;
    act.*) act_lines+=("$line") ;;
    held) break ;;
  esac
done
echo "-- the session process's /proc/self/cgroup"
printf '   %s\n' "${proc_lines[@]}"
echo "-- the tree it made (owner, mode)"
show_tree
echo "-- acting as alice: mkdir a child cgroup in her session and move into it"
printf '   %s\n' "${act_lines[@]:-(nothing delegated)}"
echo "-- pam_close_session"
echo >&"${DRIVER[1]}"
while IFS= read -r line <&"${DRIVER[0]}"; do
  case "$line" in
    close=*) echo "   result: ${line#close=}" ;;
    cgroup_after_close=*) echo "   now in: ${line#cgroup_after_close=}" ;;
  esac
done
wait "$DRIVER_PID" || true
echo "-- what remains (BASE/user stays; alice's cgroups are gone)"
show_tree
