#!/bin/bash
# The nest (issue 3): runs inside a throwaway container (tests/integration/cgfs-sandbox, started
# by nest.sh). As alice, logged in through su and the module, it starts the unprivileged LXC
# container `parent`; inside it, alice logs in again (lxc-attach, then su - alice, with the module
# installed in `parent`) and starts the unprivileged container `child`. It prints the nested trees
# from the outer container and the views from inside both containers, asserts where every payload
# cgroup is, its owners and LXC's log, then stops and destroys both and asserts the cgroups are
# gone. Exit 0 only when every check passed.
#   nest-inside.sh outer MODULE "OPTIONS"    (as root in the throwaway container)
# The same file, copied into `parent` as /nest/nest.sh, runs the steps in there:
#   nest.sh parent-root STEP                 (as parent's root, through lxc-attach)
#   nest.sh parent-alice STEP                (as alice in parent, through su - alice)
set -uo pipefail

readonly sub_base=100000  # alice's subordinate ids on the outer container: parent's root
readonly sub_count=131072 # one level of nesting: parent maps 131072, child 65536 of them
readonly inner_base=65536 # alice's subordinate ids inside parent: child's root
readonly inner_count=65536
readonly alice_uid=1000
readonly lxc_log_level=TRACE # "Adding cgroup hierarchy mounted at …" is a TRACE line

failures=0

# su as the login path. NEST_PRELOAD (outer) or /nest/preload (parent) names the ASan runtime when
# the module is built with it: su is not, and the runtime must come first in the process.
su_login() {
  local preload=${NEST_PRELOAD:-}
  [ -z "$preload" ] && [ -r /nest/preload ] && preload=$(cat /nest/preload)
  if [ -n "$preload" ]; then
    LD_PRELOAD=$preload ASAN_OPTIONS=detect_leaks=0 su "$@"
  else
    su "$@"
  fi
}
# alice without a login (no PAM session): for LXC's bookkeeping commands.
as_alice() {
  env -i HOME=/home/alice USER=alice LOGNAME=alice PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    setpriv --reuid=alice --regid=alice --init-groups -- "$@"
}
check() { # check DESCRIPTION COMMAND...: one line per assertion
  local what=$1; shift
  if "$@"; then echo "   ok    $what"; else echo "   FAIL  $what"; failures=$((failures + 1)); fi
}
equals() { [ "$1" = "$2" ] || { echo "         got '$1', expected '$2'"; return 1; }; }
owner_is() { equals "$(stat -c %u:%g "$1" 2>&1)" "$2:$2"; }
owners_are() { local id=$1 path; shift; for path; do owner_is "$path" "$id" || return 1; done; }
absent() { [ ! -e "$1" ] || { echo "         $1 still exists"; return 1; }; }

# Cgroup mounts as "TYPE MOUNTPOINT KEY", KEY = v1 controllers/name= sorted, or "unified".
cgroup_mounts() {
  awk '$3 == "cgroup2" {print "cgroup2", $2, "unified"}
       $3 == "cgroup" {n = split($4, o, ","); k = "";
         for (i = 1; i <= n; i++) if (o[i] !~ /^(rw|ro|relatime|noatime|nosuid|nodev|noexec|xattr|clone_children|release_agent=.*|cpuset_v2_mode|noprefix|favordynmods)$/) k = k (k == "" ? "" : ",") o[i];
         print "cgroup", $2, k}' /proc/self/mounts
}

# The tree of every cgroup directory below DIR, like `tree -d` (hidden ones too), with owners.
show_tree() {
  local dir=$1
  if command -v tree >/dev/null; then
    tree -d -a -u -g --noreport --charset=ascii "$dir" | sed 's/^/   /'
  else
    find "$dir" -type d | sort | sed 's/^/   /'
  fi
}

# The mounts (as cgroup_mounts prints them, on stdin) that the PAM line OPTIONS selects, as the
# module does (SPEC §3): a controller selects the v1 hierarchy it is mounted in, or cgroup2 when
# no v1 hierarchy is mounted; name=X the named one; unified the cgroup2 mount; all (or no -c)
# every one.
selected_mounts() {
  local options=$1 list="" type mount key item i
  local -a words
  read -r -a words <<<"$options"
  for ((i = 0; i < ${#words[@]}; i++)); do
    [ "${words[i]}" = -c ] && list=${words[i + 1]:-}
  done
  local mounts; mounts=$(cat)
  local any_v1; any_v1=$(awk '$1 == "cgroup"' <<<"$mounts")
  while read -r type mount key; do
    [ -n "$type" ] || continue
    if [ -z "$list" ] || [ "$list" = all ]; then echo "$type $mount $key"; continue; fi
    for item in ${list//,/ }; do
      if [ "$type" = cgroup2 ]; then
        [ "$item" = unified ] || { [ -z "$any_v1" ] && [[ $item != name=* ]]; } || continue
      else
        [[ ",$key," == *",$item,"* ]] || continue
      fi
      echo "$type $mount $key"
      break
    done
  done <<<"$mounts"
}

# A session's own cgroup below BASE, as the module makes it (SPEC §4): cgroup2 adds a leaf.
session_rel() { if [ "$1" = cgroup2 ]; then echo user/alice/0/session; else echo user/alice/0; fi; }

# The cgroup in the hierarchy TYPE/KEY from FILE in the format of /proc/<pid>/cgroup.
session_line() {
  local file=$1 type=$2 key=$3
  awk -F: -v type="$type" -v key="$key" '
    function sorted(s,   n, a, i, j, t, r) { n = split(s, a, ",");
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      r = ""; for (i = 1; i <= n; i++) r = r (i > 1 ? "," : "") a[i]; return r }
    { line = $0; sub(/^[^:]*:[^:]*:/, "", line) }
    type == "cgroup2" && $2 == "" { print line }
    type == "cgroup" && $2 != "" && sorted($2) == sorted(key) { print line }' "$file"
}
cgroup_of() { session_line "/proc/$1/cgroup" "$2" "$3"; }

# True when DIR's cgroup.procs holds the init (pid 1 of the innermost namespace, two levels below
# ours) of the nested container.
holds_nested_init() {
  local dir=$1 pid
  for pid in $(cat "$dir/cgroup.procs" 2>/dev/null); do
    [ "$(awk '/^NSpid:/ {print NF - 1, $NF}' "/proc/$pid/status" 2>/dev/null)" = "3 1" ] && return 0
  done
  echo "         no pid 1 of a third-level pid namespace in $dir/cgroup.procs"
  return 1
}

# LXC's TRACE log: which hierarchies it took ("MOUNT-BELOW-/sys/fs/cgroup BASE" lines, sorted)
# and how many it skipped as not writable.
lxc_used() { grep -o 'Adding cgroup hierarchy mounted at .* and base cgroup .*' "$1" |
  sed 's/^Adding cgroup hierarchy mounted at \(.*\) and base cgroup \(.*\)$/\1 \2/' | sort -u; }
lxc_skips() { grep -c "$2" "$1"; }

# Asserts one LXC log: exactly the selected hierarchies were used, with the session as base, and
# every skip line is for a hierarchy that was not selected.
assert_lxc_log() {
  local who=$1 log=$2 mounts=$3 selected=$4 type mount key expected="" v1_all v1_sel
  while read -r type mount key; do
    # LXC names the mount point below /sys/fs/cgroup ("" for cgroup2 mounted there).
    local below=${mount#/sys/fs/cgroup}
    expected+="${below#/} $(session_rel "$type")"$'\n'
  done <<<"$selected"
  check "$who's LXC log: it used exactly the selected hierarchies, based in alice's session" \
    equals "$(lxc_used "$log")" "$(sed '/^$/d' <<<"$expected" | sort -u)"
  v1_all=$(awk '$1 == "cgroup"' <<<"$mounts" | wc -l)
  v1_sel=$(awk '$1 == "cgroup"' <<<"$selected" | wc -l)
  check "$who's LXC log: $((v1_all - v1_sel)) 'Legacy hierarchy not writable, skipping' (unselected)" \
    equals "$(lxc_skips "$log" 'Legacy hierarchy not writable, skipping')" "$((v1_all - v1_sel))"
  if grep -q '^cgroup2 ' <<<"$selected"; then
    check "$who's LXC log: no 'not writable, skipping unified hierarchy'" \
      equals "$(lxc_skips "$log" 'not writable, skipping unified hierarchy')" 0
  fi
}

assert_nest() {
  local options=$1 parent_pid=$2 rootfs=$3
  local mounts selected inner_mounts inner_selected type mount key s p c
  mounts=$(cgroup_mounts)
  selected=$(selected_mounts "$options" <<<"$mounts")
  inner_mounts=$(cat "$rootfs/home/alice/mounts")
  inner_selected=$(selected_mounts "$options" <<<"$inner_mounts")
  check "the options select at least one hierarchy" test -n "$selected"
  while read -r type mount key; do
    s=$(session_rel "$type")
    p=$s/lxc.payload.parent
    c=$p/$s/lxc.payload.child
    echo "-- $key ($mount)"
    check "alice's login shell on the outer container was in /$s" \
      equals "$(session_line /home/alice/session.cgroup "$type" "$key")" "/$s"
    check "parent's init (pid $parent_pid) is in /$p" equals "$(cgroup_of "$parent_pid" "$type" "$key")" "/$p"
    check "child's init is in /$c" holds_nested_init "$mount/$c"
    check "user/alice and $s are alice's ($alice_uid)" \
      owners_are $alice_uid "$mount/user/alice" "$mount/$s"
    # LXC keeps a payload cgroup its caller's and lets the container's root in through the group
    # (directory 0775, cgroup.procs 0664).
    check "lxc.payload.parent and its cgroup.procs: alice's, group parent's root ($sub_base)" \
      equals "$(stat -c %u:%g:%a "$mount/$p" "$mount/$p/cgroup.procs" | tr '\n' ' ')" \
      "$alice_uid:$sub_base:775 $alice_uid:$sub_base:664 "
    check "user below it is parent's root's ($sub_base)" owner_is "$mount/$p/user" $sub_base
    check "user/alice and $s below it are parent's alice's ($((sub_base + alice_uid)))" \
      owners_are $((sub_base + alice_uid)) "$mount/$p/user/alice" "$mount/$p/$s"
    local pa=$((sub_base + alice_uid)) cr=$((sub_base + inner_base))
    check "lxc.payload.child and its cgroup.procs: parent's alice's, group child's root ($cr)" \
      equals "$(stat -c %u:%g:%a "$mount/$c" "$mount/$c/cgroup.procs" | tr '\n' ' ')" \
      "$pa:$cr:775 $pa:$cr:664 "
  done <<<"$selected"
  echo "-- parent's own view"
  check "parent mounts exactly the selected hierarchies" \
    equals "$(awk '{print $1, $3}' <<<"$inner_mounts" | sort)" "$(awk '{print $1, $3}' <<<"$selected" | sort)"
  while read -r type mount key; do
    s=$(session_rel "$type")
    # What the login starts from: LXC puts an attached process into a .lxc leaf on cgroup2.
    local attached=/; [ "$type" = cgroup2 ] && attached=/.lxc
    check "$key: lxc-attach put parent's root in $attached" \
      equals "$(session_line "$rootfs/root/attach.cgroup" "$type" "$key")" "$attached"
    check "$key: alice's login in parent (lxc-attach, su - alice) is in /$s, not under .lxc" \
      equals "$(session_line "$rootfs/home/alice/session.cgroup" "$type" "$key")" "/$s"
  done <<<"$inner_selected"
  echo "-- LXC's logs"
  assert_lxc_log parent /home/alice/parent.log "$mounts" "$selected"
  assert_lxc_log child "$rootfs/home/alice/child.log" "$inner_mounts" "$inner_selected"
}

# After child is stopped and destroyed: its cgroups are gone in every selected hierarchy.
assert_child_gone() {
  local options=$1 type mount key s
  while read -r type mount key; do
    s=$(session_rel "$type")
    check "$key: child's cgroups are gone" \
      test -z "$(find "$mount/$s/lxc.payload.parent" -name '*.child' 2>&1)"
  done < <(cgroup_mounts | selected_mounts "$options")
}

# After parent is destroyed and alice logged in once more: no container and no session of alice
# is left in any hierarchy; BASE/user stays, root's.
assert_all_gone() {
  local options=$1 type mount key
  while read -r type mount key; do
    check "$key: no lxc.* cgroup left" test -z "$(find "$mount" -name 'lxc.*' 2>&1)"
    check "$key: user/alice is gone" absent "$mount/user/alice"
  done < <(cgroup_mounts)
  while read -r type mount key; do
    check "$key: user stays, root's" owner_is "$mount/user" 0
  done < <(cgroup_mounts | selected_mounts "$options")
}

# parent's root file system: merged-usr links to the host's /usr (bind-mounted read-only by the
# config), its own /etc (a copy of this container's, without secrets, with parent's accounts, PAM
# line and subordinate ids), the module and this script in /nest, and newuidmap/newgidmap copies
# owned by parent's root (the host's are owned by a root parent does not map, so their setuid bit
# does not count in there). Everything is owned by parent's mapped root, alice's home by its alice.
build_parent_rootfs() {
  local module=$1 options=$2 rootfs=$3 self=$4 link
  mkdir -p "$rootfs"/{usr,etc,dev,proc,sys,tmp,run,root,home/alice,nest/bin,nest/lib,var/tmp}
  chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
  for link in bin sbin lib lib32 lib64 libx32; do
    [ -L "/$link" ] && ln -s "$(readlink "/$link")" "$rootfs/$link"
  done
  tar -C /etc --exclude=./shadow --exclude=./gshadow --exclude='./shadow-' --exclude='./gshadow-' \
    --exclude=./ssh --exclude=./ssl/private --exclude=./sudoers --exclude=./sudoers.d \
    --exclude=./subuid --exclude=./subgid --exclude=./lxc -cf - . | tar -C "$rootfs/etc" -xf -
  awk -F: '$1 != "bob"' /etc/passwd > "$rootfs/etc/passwd"
  awk -F: '$1 != "bob"' /etc/group > "$rootfs/etc/group"
  awk -F: '{print $1 ":!:19000:0:99999:7:::"}' "$rootfs/etc/passwd" > "$rootfs/etc/shadow"
  awk -F: '{print $1 ":!::"}' "$rootfs/etc/group" > "$rootfs/etc/gshadow"
  chmod 0640 "$rootfs/etc/shadow" "$rootfs/etc/gshadow"
  echo "alice:$inner_base:$inner_count" > "$rootfs/etc/subuid"
  echo "alice:$inner_base:$inner_count" > "$rootfs/etc/subgid"
  echo parent > "$rootfs/etc/hostname"
  sed -i '/pam_cgfs/d' "$rootfs/etc/pam.d/common-session"
  printf 'session\toptional\t%s %s\n' /nest/lib/pam_cgfs.so "$options" >> "$rootfs/etc/pam.d/common-session"
  install -m 0644 "$module" "$rootfs/nest/lib/pam_cgfs.so"
  install -m 0755 "$self" "$rootfs/nest/nest.sh"
  echo "${NEST_PRELOAD:-}" > "$rootfs/nest/preload"
  install -m 4755 /usr/bin/newuidmap /usr/bin/newgidmap "$rootfs/nest/bin/"
  mkdir -p "$rootfs/home/alice/.config/lxc"
  cat > "$rootfs/home/alice/.config/lxc/default.conf" <<EOF
lxc.idmap = u 0 $inner_base $inner_count
lxc.idmap = g 0 $inner_base $inner_count
lxc.net.0.type = empty
EOF
  # -h: never follow a link out of the rootfs (the copied /etc has absolute ones).
  chown -hR "$sub_base:$sub_base" "$rootfs"
  chown -hR "$((sub_base + alice_uid)):$((sub_base + alice_uid))" "$rootfs/home/alice"
  chmod 0755 "$rootfs" "$rootfs/home/alice"
  chmod 4755 "$rootfs/nest/bin/newuidmap" "$rootfs/nest/bin/newgidmap" # chown cleared the bits
}

# Runs on every exit of `outer`: whatever is still running is stopped and destroyed, then any
# cgroup left below user/alice is removed (the checks have run by then).
cleanup() {
  local status=$? type mount key
  trap - EXIT INT TERM HUP
  # NEST_KEEP_LOGS=DIR: LXC's logs are copied there before everything is removed.
  if [ -n "${NEST_KEEP_LOGS:-}" ]; then
    cp /home/alice/*.log /home/alice/.local/share/lxc/parent/rootfs/home/alice/*.log \
      "$NEST_KEEP_LOGS/" 2>/dev/null
  fi
  if [ -d /home/alice/.local/share/lxc/parent ]; then
    echo "nest: cleanup: stopping and destroying parent (with child inside)"
    as_alice lxc-stop -n parent -k >/dev/null 2>&1
    as_alice lxc-destroy -n parent >/dev/null 2>&1
  fi
  while read -r type mount key; do
    [ -d "$mount/user/alice" ] || continue
    echo "nest: cleanup: removing $mount/user/alice"
    find "$mount/user/alice" -depth -type d -exec rmdir {} + 2>/dev/null
    [ ! -d "$mount/user/alice" ] || echo "nest: cleanup: $mount/user/alice is still there"
  done < <(cgroup_mounts)
  umount -l /home/alice 2>/dev/null
  exit "$status"
}

# ---- steps inside parent ---------------------------------------------------------------------

lxc_as_alice() { PATH=/nest/bin:$PATH "$@"; } # own setuid newuidmap/newgidmap first on PATH

parent_alice() {
  local step=$1
  cd ~ || exit 1
  case "$step" in
    start-child)
      echo "-- in parent: alice's login shell (su - alice after lxc-attach), /proc/self/cgroup"
      sed 's/^/   /' /proc/self/cgroup
      cat /proc/self/cgroup > ~/session.cgroup
      cgroup_mounts > ~/mounts
      lxc_as_alice lxc-create -n child -t busybox >/dev/null 2>~/child-create.err ||
        { cat ~/child-create.err; exit 1; }
      # The busybox template asks for cgroup:mixed, which LXC leaves to the container's init
      # inside a cgroup namespace; force it so the child's own view can be shown.
      echo 'lxc.mount.auto = cgroup:mixed:force' >> ~/.local/share/lxc/child/config
      lxc_as_alice lxc-start -n child -l "$lxc_log_level" -o ~/child.log || exit 1
      lxc_as_alice lxc-wait -n child -s RUNNING -t 60 || exit 1
      echo "-- in parent: the cgroup tree (parent's cgroup namespace)"
      local type mount key
      while read -r type mount key; do show_tree "$mount"; done < ~/mounts
      echo "-- in child: /proc/1/cgroup and the cgroup tree (child's cgroup namespace)"
      lxc_as_alice lxc-attach -n child -- sh -c \
        'sed "s/^/   /" /proc/1/cgroup; for m in $(awk '\''$3 ~ /^cgroup/ {print $2}'\'' /proc/self/mounts); do find "$m" -type d | sort | sed "s/^/   /"; done'
      ;;
    stop-child)
      lxc_as_alice lxc-stop -n child -t 10 || exit 1
      lxc_as_alice lxc-destroy -n child >/dev/null || exit 1
      ;;
    *) echo "nest: unknown parent-alice step $step" >&2; exit 2 ;;
  esac
}

# parent's PID 1: reaps what is orphaned in there (bash waits for any child), stops on the
# signals lxc-stop sends.
parent_init() {
  trap 'exit 0' PWR TERM INT
  while :; do sleep 3600 & wait $!; done
}

parent_root() {
  local step=$1
  echo "-- in parent (lxc-attach as parent's root): /proc/self/cgroup"
  sed 's/^/   /' /proc/self/cgroup
  cat /proc/self/cgroup > /root/attach.cgroup
  # A real login: su runs the PAM stack in /etc/pam.d/su of parent, with the module from /nest.
  su_login - alice -c "/nest/nest.sh parent-alice $step"
}

# ---- the outer container -----------------------------------------------------------------------

outer() {
  local module=$1 options=$2
  local start=$SECONDS
  # The container's /etc is a private overlay (the host's PAM files are never edited).
  if [ "$(awk '$5 == "/etc" {t = $9} END {print t}' /proc/self/mountinfo)" != overlay ]; then
    echo "nest: /etc is not the container's private overlay; refusing to go on" >&2
    exit 1
  fi
  local self; self=$(readlink -f "$0")

  trap 'cleanup' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP
  # A fresh home for alice without nosuid/nodev: parent's rootfs lives there and needs its
  # setuid newuidmap copies (the harness's /home is nosuid).
  mount -t tmpfs -o mode=0755 cgfs-nest /home/alice || exit 1
  chown alice:alice /home/alice
  echo "alice:$sub_base:$sub_count" > /etc/subuid
  echo "alice:$sub_base:$sub_count" > /etc/subgid
  printf 'session\toptional\t%s %s\n' "$module" "$options" >> /etc/pam.d/common-session

  local lxcpath=/home/alice/.local/share/lxc
  local cdir=$lxcpath/parent rootfs=$lxcpath/parent/rootfs
  as_alice mkdir -p "$cdir" || exit 1

  echo "== building parent's root file system (host /usr read-only, its own /etc)"
  build_parent_rootfs "$module" "$options" "$rootfs" "$self"
  cat > "$cdir/config" <<EOF
lxc.include = /usr/share/lxc/config/common.conf
lxc.include = /usr/share/lxc/config/userns.conf
lxc.include = /usr/share/lxc/config/nesting.conf
lxc.idmap = u 0 $sub_base $sub_count
lxc.idmap = g 0 $sub_base $sub_count
lxc.rootfs.path = dir:$rootfs
lxc.uts.name = parent
lxc.net.0.type = empty
lxc.pty.max = 1024
lxc.mount.entry = /usr usr none bind,ro 0 0
lxc.mount.auto =
lxc.mount.auto = proc:mixed sys:rw cgroup:rw:force
lxc.init.cmd = /nest/nest.sh parent-init
EOF
  chown alice:alice "$cdir/config"

  echo "== as alice (su - alice, the module in common-session): lxc-start -n parent"
  su_login - alice -c "cat /proc/self/cgroup > ~/session.cgroup; lxc-start -n parent -l $lxc_log_level -o ~/parent.log && lxc-wait -n parent -s RUNNING -t 60" ||
    { echo "nest: parent did not start"; grep -E " (ERROR|WARN) " /home/alice/parent.log | tail -20; exit 1; }
  echo "-- alice's login shell on the outer container, /proc/self/cgroup"
  sed 's/^/   /' /home/alice/session.cgroup
  local parent_pid; parent_pid=$(as_alice lxc-info -n parent -p -H)

  echo "== as alice: lxc-attach -n parent, then su - alice in there: lxc-start -n child"
  su_login - alice -c 'lxc-attach -n parent --clear-env -- /nest/nest.sh parent-root start-child' ||
    { echo "nest: child did not start"; tail -20 "$rootfs/home/alice/child.log" 2>/dev/null; exit 1; }

  echo "== the nested trees, seen from the outer container"
  local type mount key
  while read -r type mount key; do
    [ -d "$mount/user" ] && show_tree "$mount/user"
  done < <(cgroup_mounts)

  echo "== checks"
  assert_nest "$options" "$parent_pid" "$rootfs"

  echo "== stopping and destroying child (from parent) and parent"
  su_login - alice -c 'lxc-attach -n parent --clear-env -- /nest/nest.sh parent-root stop-child' >/dev/null ||
    { echo "   FAIL  stopping child"; failures=$((failures + 1)); }
  assert_child_gone "$options" "$parent_pid"
  as_alice lxc-stop -n parent -k && as_alice lxc-destroy -n parent >/dev/null ||
    { echo "   FAIL  stopping parent"; failures=$((failures + 1)); }
  # LXC leaves the monitor's lxc.pivot in alice's first session; her next login reaps it.
  su_login - alice -c true
  assert_all_gone "$options"
  echo "nest: $((SECONDS - start)) s, $failures failed check(s)"
  ((failures == 0))
}

main() {
  case "${1:-}" in
    outer) shift; outer "$@" ;;
    parent-init) parent_init ;;
    parent-root) shift; parent_root "$@" ;;
    parent-alice) shift; parent_alice "$@" ;;
    *) echo "usage: nest-inside.sh outer MODULE OPTIONS" >&2; exit 2 ;;
  esac
}
main "$@"
