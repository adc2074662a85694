#!/bin/bash
# The nest (issue 3): runs inside a throwaway container (tests/integration/cgfs-sandbox, started
# by nest.sh). As alice, logged in through su and the module, it starts the unprivileged LXC
# container `parent`; inside it, alice logs in again, with the module installed in `parent`, and
# starts the unprivileged container `child`, once after each of the three ways in: lxc-attach then
# su - alice; ssh alice@127.0.0.1 to an sshd in parent (run from inside parent: it has no network
# but its loopback); and lxc-console to a getty on parent's console, typing alice's password. It
# prints the nested trees from the outer container and the views from inside both containers,
# asserts where every payload cgroup is, its owners and LXC's log, stops child after each login
# and asserts its cgroups are gone, then destroys both and asserts nothing is left.
# With NEST_MEMORY_LIMIT (bytes) child gets that memory.max, read back from its cgroup, and a
# memory hog in child must be OOM-killed while parent and alice's login live on (a cgroup2 host
# with memory delegated: the VM lane's v2 boot). Exit 0 only when every check passed.
#   nest-inside.sh outer MODULE "OPTIONS"    (as root in the throwaway container)
#     environment: NEST_SESSION_LEAF (the module's cgroup2 session leaf, kSessionLeaf in
#     lib/session.hpp; nest.sh reads it there), NEST_PRELOAD, NEST_MEMORY_LIMIT, NEST_KEEP_LOGS
# The same file, copied into `parent` as /nest/nest.sh, runs the steps in there:
#   nest.sh parent-root STEP                 (as parent's root, through lxc-attach)
#   nest.sh parent-alice STEP WAY            (as alice in parent, logged in through WAY)
set -uo pipefail

readonly sub_base=100000  # alice's subordinate ids on the outer container: parent's root
readonly sub_count=131072 # one level of nesting: parent maps 131072, child 65536 of them
readonly inner_base=65536 # alice's subordinate ids inside parent: child's root
readonly inner_count=65536
readonly alice_uid=1000
readonly lxc_log_level=TRACE # "Adding cgroup hierarchy mounted at …" is a TRACE line
readonly ways="attach ssh console" # how alice logs in to parent, in this order
readonly session_leaf=${NEST_SESSION_LEAF:-}
readonly memory_limit=${NEST_MEMORY_LIMIT:-}

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
# ROOT_ID USER_DIR USER_ID SESSION: user/<name> stays root's (pam_cgfs(8), THREAT MODEL), the
# session below it is the user's.
user_tree_owners() { owner_is "$2" "$1" && owner_is "$4" "$3"; }
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
# module does (pam_cgfs(8) OPTIONS, BEHAVIOUR PER LAYOUT): a controller selects the v1 hierarchy
# it is mounted in, or cgroup2 when no v1 hierarchy is mounted; name=X the named one; unified the
# cgroup2 mount; all (or no -c) every one.
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

# A session's own cgroup below BASE, as the module makes it (pam_cgfs(8), "The session leaf on
# cgroup2"): cgroup2 adds the leaf.
session_rel() { if [ "$1" = cgroup2 ]; then echo "user/alice/0/$session_leaf"; else echo user/alice/0; fi; }
# Where LXC builds the payload cgroups of the containers a process in cgroup $1 starts: that
# cgroup, or its parent when it ends in /init.scope (LXC's cgroup2 rule for systemd's layout).
lxc_base() { local cg=$1; [ "${cg##*/}" = init.scope ] && cg=${cg%/init.scope}; echo "$cg"; }
# parent's init on cgroup2: in init.scope below the container's cgroup, as systemd puts itself,
# so that the container's cgroup may pass controllers on (cgroup-v2.rst, "no internal process").
parent_init_rel() { if [ "$1" = cgroup2 ]; then echo /init.scope; else echo ""; fi; }

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
    expected+="${below#/} $(lxc_base "$(session_rel "$type")")"$'\n'
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

# The outer container's part of the nest: alice's login there, parent's payload cgroups and their
# owners, parent's own mounts and LXC's log of parent's start.
assert_parent() {
  local options=$1 parent_pid=$2 rootfs=$3
  local mounts selected inner_mounts type mount key s p
  mounts=$(cgroup_mounts)
  selected=$(selected_mounts "$options" <<<"$mounts")
  inner_mounts=$(cat "$rootfs/home/alice/mounts")
  check "the options select at least one hierarchy" test -n "$selected"
  while read -r type mount key; do
    s=$(session_rel "$type")
    p=$(lxc_base "$s")/lxc.payload.parent
    echo "-- $key ($mount)"
    check "alice's login shell on the outer container was in /$s" \
      equals "$(session_line /home/alice/session.cgroup "$type" "$key")" "/$s"
    check "parent's init (pid $parent_pid) is in /$p$(parent_init_rel "$type")" \
      equals "$(cgroup_of "$parent_pid" "$type" "$key")" "/$p$(parent_init_rel "$type")"
    check "user/alice is root's (0), $s alice's ($alice_uid)" \
      user_tree_owners 0 "$mount/user/alice" $alice_uid "$mount/$s"
    # LXC keeps a payload cgroup its caller's and lets the container's root in through the group
    # (directory 0775, cgroup.procs 0664).
    check "lxc.payload.parent and its cgroup.procs: alice's, group parent's root ($sub_base)" \
      equals "$(stat -c %u:%g:%a "$mount/$p" "$mount/$p/cgroup.procs" | tr '\n' ' ')" \
      "$alice_uid:$sub_base:775 $alice_uid:$sub_base:664 "
    check "user below it is parent's root's ($sub_base)" owner_is "$mount/$p/user" $sub_base
  done <<<"$selected"
  echo "-- parent's own view"
  check "parent mounts exactly the selected hierarchies" \
    equals "$(awk '{print $1, $3}' <<<"$inner_mounts" | sort)" "$(awk '{print $1, $3}' <<<"$selected" | sort)"
  echo "-- LXC's log of parent"
  assert_lxc_log parent /home/alice/parent.log "$mounts" "$selected"
}

# After alice logged in to parent through WAY and started child: her login in parent, child's
# payload cgroups and their owners in every selected hierarchy, LXC's log of child's start and,
# with a memory limit, child's memory.max and the OOM kill of the hog in child.
assert_child() {
  local options=$1 rootfs=$2 way=$3
  local mounts selected inner_mounts inner_selected type mount key s p c
  local home=$rootfs/home/alice pa=$((sub_base + alice_uid)) cr=$((sub_base + inner_base))
  mounts=$(cgroup_mounts)
  selected=$(selected_mounts "$options" <<<"$mounts")
  inner_mounts=$(cat "$home/mounts")
  inner_selected=$(selected_mounts "$options" <<<"$inner_mounts")
  while read -r type mount key; do
    s=$(session_rel "$type")
    p=$(lxc_base "$s")/lxc.payload.parent
    c=$p/$(lxc_base "$s")/lxc.payload.child
    echo "-- $key ($mount)"
    check "child's init is in /$c" holds_nested_init "$mount/$c"
    check "below parent's payload, user/alice is parent's root's ($sub_base), $s parent's alice's ($pa)" \
      user_tree_owners $sub_base "$mount/$p/user/alice" $pa "$mount/$p/$s"
    check "lxc.payload.child and its cgroup.procs: parent's alice's, group child's root ($cr)" \
      equals "$(stat -c %u:%g:%a "$mount/$c" "$mount/$c/cgroup.procs" | tr '\n' ' ')" \
      "$pa:$cr:775 $pa:$cr:664 "
    if [ -n "$memory_limit" ] && [ "$type" = cgroup2 ]; then
      check "child's memory.max is the configured $memory_limit" \
        equals "$(cat "$mount/$c/memory.max" 2>&1)" "$memory_limit"
      check "child's memory.events counts the hog's OOM kill (oom_kill 1)" \
        equals "$(awk '$1 == "oom_kill" {print $2}' "$mount/$c/memory.events" 2>&1)" 1
    fi
  done <<<"$selected"
  if [ -n "$memory_limit" ]; then
    check "a memory limit is asked for: cgroup2 is selected" grep -q '^cgroup2 ' <<<"$selected"
  fi
  echo "-- alice's login in parent ($way)"
  if [ "$way" = console ]; then
    check "the console login's shell reads from the console" equals "$(cat "$home/tty-$way" 2>&1)" /dev/console
  fi
  while read -r type mount key; do
    s=$(session_rel "$type")
    if [ "$way" = attach ]; then
      # What su starts from: LXC puts an attached process into a .lxc leaf on cgroup2.
      local attached=/; [ "$type" = cgroup2 ] && attached=/.lxc
      check "$key: lxc-attach put parent's root in $attached" \
        equals "$(session_line "$rootfs/root/attach.cgroup" "$type" "$key")" "$attached"
    fi
    check "$key: alice's login in parent ($way) is in /$s" \
      equals "$(session_line "$home/session-$way.cgroup" "$type" "$key")" "/$s"
  done <<<"$inner_selected"
  if [ -n "$memory_limit" ]; then
    check "the hog in child was killed by SIGKILL (exit 137)" equals "$(cat "$home/hog-$way.status" 2>&1)" 137
    check "alice's login in parent went on after the hog" equals "$(cat "$home/after-hog-$way" 2>&1)" alive
    check "child is still running after the hog" equals "$(cat "$home/child-state-$way" 2>&1)" RUNNING
  fi
  echo "-- LXC's log of child ($way)"
  assert_lxc_log child "$home/child-$way.log" "$inner_mounts" "$inner_selected"
}

# After child is stopped and destroyed: its cgroups are gone in every selected hierarchy.
assert_child_gone() {
  local options=$1 type mount key s
  while read -r type mount key; do
    s=$(session_rel "$type")
    check "$key: child's cgroups are gone" \
      test -z "$(find "$mount/$(lxc_base "$s")/lxc.payload.parent" -name '*.child' 2>&1)"
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
  echo "$memory_limit" > "$rootfs/nest/memory-limit"
  # alice's password in parent (chpasswd's input), new for every run: the console login types it.
  echo "alice:$(head -c 12 /dev/urandom | base64 | tr -d '/+=')" > "$rootfs/nest/alice.password"
  chmod 0600 "$rootfs/nest/alice.password"
  install -m 4755 /usr/bin/newuidmap /usr/bin/newgidmap "$rootfs/nest/bin/"
  mkdir -p "$rootfs/home/alice/.config/lxc"
  # unconfined: a kernel with AppArmor but no policy loaded (the VM lane's) makes LXC refuse to
  # start a container under its generated profile ("Incomplete AppArmor support").
  cat > "$rootfs/home/alice/.config/lxc/default.conf" <<EOF
lxc.idmap = u 0 $inner_base $inner_count
lxc.idmap = g 0 $inner_base $inner_count
lxc.net.0.type = empty
lxc.apparmor.profile = unconfined
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
      /home/alice/.local/share/lxc/parent/rootfs/nest/ssh/sshd.log "$NEST_KEEP_LOGS/" 2>/dev/null
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

# The bound for child to reach RUNNING (seconds): a busy machine, or a VM without KVM.
readonly child_wait=120

parent_alice() {
  local step=$1 way=${2:-}
  cd ~ || exit 1
  case "$step" in
    start-child)
      echo "-- in parent: alice's login shell ($way), /proc/self/cgroup"
      sed 's/^/   /' /proc/self/cgroup
      cat /proc/self/cgroup > ~/"session-$way.cgroup"
      tty > ~/"tty-$way"
      cgroup_mounts > ~/mounts
      if [ ! -e ~/.local/share/lxc/child/config ]; then
        lxc_as_alice lxc-create -n child -t busybox >/dev/null 2>~/child-create.err ||
          { cat ~/child-create.err; exit 1; }
        # The busybox template asks for cgroup:mixed, which LXC leaves to the container's init
        # inside a cgroup namespace; force it so the child's own view can be shown.
        echo 'lxc.mount.auto = cgroup:mixed:force' >> ~/.local/share/lxc/child/config
        local limit; limit=$(cat /nest/memory-limit)
        [ -z "$limit" ] || echo "lxc.cgroup2.memory.max = $limit" >> ~/.local/share/lxc/child/config
      fi
      lxc_as_alice lxc-start -n child -l "$lxc_log_level" -o ~/"child-$way.log" || exit 1
      lxc_as_alice lxc-wait -n child -s RUNNING -t "$child_wait" || exit 1
      echo "-- in parent: the cgroup tree (parent's cgroup namespace)"
      local type mount key
      while read -r type mount key; do show_tree "$mount"; done < ~/mounts
      echo "-- in child: /proc/1/cgroup and the cgroup tree (child's cgroup namespace)"
      lxc_as_alice lxc-attach -n child -- sh -c </dev/null \
        'sed "s/^/   /" /proc/1/cgroup; for m in $(awk '\''$3 ~ /^cgroup/ {print $2}'\'' /proc/self/mounts); do find "$m" -type d | sort | sed "s/^/   /"; done'
      if [ -n "$(cat /nest/memory-limit)" ]; then
        # A hog: busybox dd reads 256 MiB of zeroes into one buffer, far above child's limit.
        echo "-- in child: a memory hog (dd bs=256M) under memory.max $(cat /nest/memory-limit)"
        lxc_as_alice lxc-attach -n child -- sh -c 'dd if=/dev/zero of=/dev/null bs=256M count=1; echo $?' \
          </dev/null > ~/"hog-$way.status" 2>~/"hog-$way.err"
        sed 's/^/   /' ~/"hog-$way.err"
        echo "   dd's exit status: $(cat ~/"hog-$way.status")"
        echo alive > ~/"after-hog-$way"
        lxc_as_alice lxc-info -n child -s -H > ~/"child-state-$way"
      fi
      ;;
    stop-child)
      lxc_as_alice lxc-stop -n child -t 10 || exit 1
      ;;
    destroy-child)
      lxc_as_alice lxc-destroy -n child >/dev/null || exit 1
      ;;
    *) echo "nest: unknown parent-alice step $step" >&2; exit 2 ;;
  esac
}

# parent's PID 1: brings its loopback up (lxc.net.0.type = empty leaves it down; sshd listens
# there), on cgroup2 moves itself into init.scope (as systemd does: the container's cgroup then
# holds no process and may pass controllers on), keeps a getty on the console (agetty, then
# login with Debian's /etc/pam.d/login and the module), reaps what is orphaned in there (bash
# waits for any child), stops on the signals lxc-stop sends.
parent_init() {
  local type mount key
  busybox ip link set lo up || echo "nest: parent-init: could not bring lo up" >&2
  while read -r type mount key; do
    [ "$type" = cgroup2 ] || continue
    mkdir -p "$mount/init.scope" && echo $$ > "$mount/init.scope/cgroup.procs" ||
      echo "nest: parent-init: could not move into $mount/init.scope" >&2
  done < <(cgroup_mounts)
  local preload; preload=$(cat /nest/preload)
  (
    trap 'exit 0' TERM
    [ -z "$preload" ] || export LD_PRELOAD=$preload ASAN_OPTIONS=detect_leaks=0
    while :; do
      setsid /sbin/agetty --noclear --noissue --login-program /usr/bin/login console linux
      sleep 1
    done
  ) &
  trap 'exit 0' PWR TERM INT
  while :; do sleep 3600 & wait $!; done
}

# sshd for alice on parent's loopback (parent has no other network): host key and alice's
# authorized key made here for this run; public-key authentication only; UsePAM yes, so Debian's
# /etc/pam.d/sshd with common-session and the module runs the session.
start_sshd() {
  install -d -m 0755 /run/sshd || return 1
  install -d -m 0700 /nest/ssh /root/.ssh || return 1
  ssh-keygen -q -t ed25519 -N '' -C nest-host -f /nest/ssh/host_key || return 1
  ssh-keygen -q -t ed25519 -N '' -C root@parent -f /root/.ssh/id_ed25519 || return 1
  install -d -o alice -g alice -m 0700 /home/alice/.ssh || return 1
  install -o alice -g alice -m 0600 /root/.ssh/id_ed25519.pub /home/alice/.ssh/authorized_keys || return 1
  printf '127.0.0.1 %s\n' "$(cut -d' ' -f1,2 /nest/ssh/host_key.pub)" > /root/.ssh/known_hosts
  printf '%s\n' 'ListenAddress 127.0.0.1:22' 'HostKey /nest/ssh/host_key' \
    'PidFile /run/nest-sshd.pid' 'UsePAM yes' 'PubkeyAuthentication yes' \
    'AuthorizedKeysFile .ssh/authorized_keys' 'PasswordAuthentication no' \
    'KbdInteractiveAuthentication no' 'PermitRootLogin no' 'AllowUsers alice' 'PrintMotd no' \
    'PrintLastLog no' 'UseDNS no' 'X11Forwarding no' 'LogLevel VERBOSE' > /nest/ssh/sshd_config
  local preload; preload=$(cat /nest/preload)
  if [ -n "$preload" ]; then
    LD_PRELOAD=$preload ASAN_OPTIONS=detect_leaks=0 /usr/sbin/sshd -f /nest/ssh/sshd_config -E /nest/ssh/sshd.log
  else
    /usr/sbin/sshd -f /nest/ssh/sshd_config -E /nest/ssh/sshd.log
  fi
}

parent_root() {
  local step=$1; shift
  case "$step" in
    setup)
      # alice's password in parent's own shadow, for the console login; sshd for the ssh one.
      chpasswd < /nest/alice.password || { echo "nest: chpasswd failed"; exit 1; }
      start_sshd || { echo "nest: sshd did not start"; cat /nest/ssh/sshd.log 2>/dev/null; exit 1; }
      ;;
    attach)
      echo "-- in parent (lxc-attach as parent's root): /proc/self/cgroup"
      sed 's/^/   /' /proc/self/cgroup
      cat /proc/self/cgroup > /root/attach.cgroup
      # A real login: su runs the PAM stack in /etc/pam.d/su of parent, with the module from /nest.
      su_login - alice -c "/nest/nest.sh parent-alice $*"
      ;;
    ssh)
      ssh -F /dev/null -i /root/.ssh/id_ed25519 -o IdentitiesOnly=yes -o BatchMode=yes \
        -o UserKnownHostsFile=/root/.ssh/known_hosts -o GlobalKnownHostsFile=/dev/null \
        -o StrictHostKeyChecking=yes -o LogLevel=ERROR -T alice@127.0.0.1 "/nest/nest.sh parent-alice $*"
      ;;
    *) echo "nest: unknown parent-root step $step" >&2; exit 2 ;;
  esac
}

# ---- the outer container -----------------------------------------------------------------------

# As alice on the outer container, logged in with su: lxc-attach into parent as its root, which
# runs `parent-root ARGS`.
attach_parent() {
  su_login - alice -c "lxc-attach -n parent --clear-env -- /nest/nest.sh parent-root $*"
}

# alice logs in to parent through WAY (attach, ssh or console) and runs `parent-alice STEP WAY`
# in her shell there. ROOTFS is parent's root file system.
login_parent() {
  local way=$1 step=$2 rootfs=$3 here rc=0
  case "$way" in
    attach|ssh) attach_parent "$way" "$step" "$way" ;;
    console)
      # lxc-console needs a terminal: nest-console.py gives it one and types at the getty.
      here=$(dirname "$(readlink -f "$0")")
      as_alice python3 "$here/nest-console.py" "/home/alice/console-$step.log" alice \
        "$(cut -d: -f2 "$rootfs/nest/alice.password")" "/nest/nest.sh parent-alice $step $way" \
        -- lxc-console -n parent -t 0 || rc=$?
      # The transcript without carriage returns and terminal control sequences.
      sed 's/\r//g; s/\x1b\[[?0-9;]*[A-Za-z]//g; s/^/   | /' "/home/alice/console-$step.log"
      return "$rc"
      ;;
  esac
}

outer() {
  local module=$1 options=$2
  local start=$SECONDS
  # The container's /etc is a private overlay (the host's PAM files are never edited).
  if [ "$(awk '$5 == "/etc" {t = $9} END {print t}' /proc/self/mountinfo)" != overlay ]; then
    echo "nest: /etc is not the container's private overlay; refusing to go on" >&2
    exit 1
  fi
  if [ -z "$session_leaf" ]; then
    echo "nest: NEST_SESSION_LEAF is not set (nest.sh reads it from lib/session.hpp)" >&2
    exit 2
  fi
  local self; self=$(readlink -f "$0")

  # On cgroup2 the container's root cgroup is emptied as on a systemd host (PID 1 in init.scope,
  # the rest in a service): the module enables controllers in BASE only while BASE holds no
  # process (pam_cgfs(8); cgroup-v2.rst, "no internal process"). Every process moved here is
  # this throwaway container's.
  local type mount key pid
  while read -r type mount key; do
    [ "$type" = cgroup2 ] || continue
    mkdir -p "$mount/init.scope" "$mount/system.slice/nest.service" || exit 1
    echo 1 > "$mount/init.scope/cgroup.procs" || exit 1
    for pid in $(cat "$mount/cgroup.procs"); do
      echo "$pid" > "$mount/system.slice/nest.service/cgroup.procs" 2>/dev/null # or it has exited
    done
    [ -z "$(cat "$mount/cgroup.procs")" ] || { echo "nest: $mount/cgroup.procs is not empty" >&2; exit 1; }
  done < <(cgroup_mounts)

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
lxc.apparmor.profile = unconfined
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

  echo "== in parent, as its root (lxc-attach): alice's password, sshd on 127.0.0.1"
  attach_parent setup || { echo "nest: parent's setup failed"; exit 1; }

  local way first=1 type mount key
  for way in $ways; do
    echo "== alice logs in to parent ($way) and starts child: lxc-start -n child"
    login_parent "$way" start-child "$rootfs" ||
      { echo "nest: child did not start ($way)"
        grep -E " (ERROR|WARN) " "$rootfs/home/alice/child-$way.log" 2>/dev/null | tail -20; exit 1; }

    echo "== the nested trees, seen from the outer container"
    while read -r type mount key; do
      [ -d "$mount/user" ] && show_tree "$mount/user"
    done < <(cgroup_mounts)

    echo "== checks after the login in parent through $way"
    if ((first)); then assert_parent "$options" "$parent_pid" "$rootfs"; first=0; fi
    assert_child "$options" "$rootfs" "$way"

    echo "== stopping child (from parent: lxc-attach, su - alice)"
    login_parent attach stop-child "$rootfs" >/dev/null ||
      { echo "   FAIL  stopping child"; failures=$((failures + 1)); }
    assert_child_gone "$options"
  done

  echo "== destroying child (from parent), stopping and destroying parent"
  login_parent attach destroy-child "$rootfs" >/dev/null ||
    { echo "   FAIL  destroying child"; failures=$((failures + 1)); }
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
