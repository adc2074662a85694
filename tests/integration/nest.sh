#!/bin/bash
# Runs the nest (nest-inside.sh) in a throwaway container with the chosen layout and prints its
# wall time. Used by `tests/demo --nested` and by the meson tests nest-v1|hybrid|v2 (suite slow).
#   nest.sh SANDBOX MODULE LAYOUT [OPTIONS]
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
for tool in lxc-start lxc-attach lxc-create newuidmap newgidmap busybox su; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
[ -x /usr/share/lxc/templates/lxc-busybox ] || missing+=(/usr/share/lxc/templates/lxc-busybox)
if ((${#missing[@]})); then
  echo "nest: skipped: missing ${missing[*]} (tests/install-deps installs lxc, uidmap, busybox-static)"
  exit 77
fi

# A module built with ASan must find the ASan runtime first in the process that loads it (su).
preload=""
if asan=$(ldd "$module" 2>/dev/null | awk '/libasan/ {print $3}') && [ -n "$asan" ]; then
  preload=$asan
fi

quiet=()
[ -z "${NEST_QUIET:-}" ] || quiet=(--quiet) # the demo leaves out the container's syslog lines
start=$EPOCHREALTIME
rc=0
# --keep: this checkout and the module stay visible where the container mounts its own /tmp.
"$sandbox" --layout "$layout" "${quiet[@]}" --keep "$here" --keep "$(cd "$(dirname "$module")" && pwd)" \
  -- env NEST_PRELOAD="$preload" \
  "$here/nest-inside.sh" outer "$module" "$options" || rc=$?
awk -v a="$start" -v b="$EPOCHREALTIME" -v l="$layout" -v rc="$rc" \
  'BEGIN {printf "nest: layout %s, wall time %.1f s, exit %d\n", l, b - a, rc}'
exit "$rc"
