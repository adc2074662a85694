#!/bin/bash
# Runs the nest (nest-inside.sh) in a throwaway container with the chosen layout and prints its
# wall time. Used by `tests/demo --nested`, by the meson tests nest-v1|hybrid|v2 (suite slow) and
# by the VM lane's v2 boot (tests/vm/nest-memory, with NEST_MEMORY_LIMIT).
#   nest.sh SANDBOX MODULE LAYOUT [OPTIONS]
# NEST_MEMORY_LIMIT=BYTES: child gets that memory.max and a memory hog in it must be OOM-killed
# (needs the memory controller delegated below the caller's cgroup2 cgroup).
# Exit 77 (skip) with the reason when it cannot run here: not root, or LXC's and shadow's tools
# missing (tests/install-deps installs them).
set -euo pipefail
sandbox=$1 module=$2 layout=$3
options=${4:--c freezer,memory,name=systemd,unified}
here=$(cd "$(dirname "$0")" && pwd)

if [ "$(id -u)" != 0 ]; then
  echo "nest: skipped: needs root (throwaway containers, LXC's id mapping)"
  exit 77
fi
missing=()
for tool in lxc-start lxc-attach lxc-create lxc-console newuidmap newgidmap busybox su agetty login \
  sshd ssh ssh-keygen chpasswd python3; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
[ -x /usr/share/lxc/templates/lxc-busybox ] || missing+=(/usr/share/lxc/templates/lxc-busybox)
if ((${#missing[@]})); then
  echo "nest: skipped: missing ${missing[*]} (tests/install-deps installs them)"
  exit 77
fi

# A module built with ASan must find the ASan runtime first in the process that loads it (su).
preload=""
if asan=$(ldd "$module" 2>/dev/null | awk '/libasan/ {print $3}') && [ -n "$asan" ]; then
  preload=$asan
fi

# The module's cgroup2 session leaf: the nest's expected paths follow the source.
leaf=$(sed -n 's/.*kSessionLeaf = "\([^"]*\)";.*/\1/p' "$here/../../lib/session.hpp")
[ -n "$leaf" ] || { echo "nest: kSessionLeaf not found in lib/session.hpp" >&2; exit 2; }

quiet=()
[ -z "${NEST_QUIET:-}" ] || quiet=(--quiet) # the demo leaves out the container's syslog lines
start=$EPOCHREALTIME
rc=0
# --keep: this checkout and the module stay visible where the container mounts its own /tmp.
"$sandbox" --layout "$layout" "${quiet[@]}" --keep "$here" --keep "$(cd "$(dirname "$module")" && pwd)" \
  -- env NEST_PRELOAD="$preload" NEST_SESSION_LEAF="$leaf" \
  NEST_MEMORY_LIMIT="${NEST_MEMORY_LIMIT:-}" NEST_KEEP_LOGS="${NEST_KEEP_LOGS:-}" \
  "$here/nest-inside.sh" outer "$module" "$options" || rc=$?
awk -v a="$start" -v b="$EPOCHREALTIME" -v l="$layout" -v rc="$rc" \
  'BEGIN {printf "nest: layout %s, wall time %.1f s, exit %d\n", l, b - a, rc}'
exit "$rc"
