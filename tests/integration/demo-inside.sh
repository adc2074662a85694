#!/bin/bash
# Runs inside the throwaway container (see tests/demo): a real PAM stack with the module as
# common-session, alice's login held open while the tree is shown, then logout.
#   demo-inside.sh MODULE PAM_DRIVER "OPTIONS"
set -euo pipefail
module=$1 driver=$2 options=$3

# The container's /etc is a private overlay: its common-session is ours to change, the host's is
# never touched. Refuse to go on anywhere else.
if [ "$(awk '$5 == "/etc" {t = $9} END {print t}' /proc/self/mountinfo)" != overlay ]; then
  echo "demo-inside: /etc is not the container's private overlay; refusing to edit PAM files" >&2
  exit 1
fi
confdir=/etc/pam.d
# As Debian's pam-auth-update would put it (Linux-PAM resolves @include in /etc/pam.d).
printf 'session\toptional\t%s %s\n' "$module" "$options" >> "$confdir/common-session"
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
# Bash unsets DRIVER and DRIVER_PID when the coprocess exits: keep our own copies.
exec {from_driver}<&"${DRIVER[0]}" {to_driver}>&"${DRIVER[1]}"
driver_pid=$DRIVER_PID
echo "-- pam_open_session as alice (uid $(id -u alice)) through $confdir/demo-login"
while IFS= read -r line <&"$from_driver"; do
  case "$line" in
    open=*) echo "   result: ${line#open=}" ;;
    cgroup=*) proc_lines+=("${line#cgroup=}") ;;
    act.*) act_lines+=("$line") ;;
    held) break ;;
  esac
done
echo "-- the session process's /proc/self/cgroup"
printf '   %s\n' "${proc_lines[@]}"
echo "-- acting as alice (uid 1000, no privilege): mkdir c1 in her session cgroup, move into it"
printf '   %s\n' "${act_lines[@]:-(nothing delegated)}"
echo "-- the tree while the session is open (owner, mode), like tree -d"
show_tree
echo "-- pam_close_session"
echo >&"$to_driver"
while IFS= read -r line <&"$from_driver"; do
  case "$line" in
    close=*) echo "   result: ${line#close=}" ;;
    cgroup_after_close=*) echo "   now in: ${line#cgroup_after_close=}" ;;
  esac
done
wait "$driver_pid" || true
echo "-- what remains (BASE/user stays; alice's cgroups are gone)"
show_tree
