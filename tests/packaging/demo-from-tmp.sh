#!/bin/bash
# tests/demo from where a newcomer puts a checkout: below /tmp (which the demo's throwaway
# container replaces with its own tmpfs), in a path with spaces, read-only, with --build naming
# a build directory elsewhere (this build's, so nothing is compiled again; a Meson build
# directory cannot be moved). The checkout is a copy of the tracked files, made read-only by a
# bind mount in a private mount namespace that goes with it.
#   demo-from-tmp.sh SOURCE_DIR BUILD_DIR
# Exit 77 (skip) only when not root: the demo and the mounts need it.
set -euo pipefail

if [ "${1:-}" = "--inside" ]; then
  src=$2 build=$3
  mount --bind "$src" "$src"
  mount -o remount,bind,ro "$src"
  if touch "$src/write-test" 2>/dev/null; then
    echo "FAIL: the checkout copy is writable"
    exit 1
  fi
  cd /
  exec "$src/tests/demo" --build "$build"
fi

source_dir=$(cd "$1" && pwd) build_dir=$(cd "$2" && pwd)
if [ "$(id -u)" != 0 ]; then
  echo "SKIP: the demo's throwaway container needs root"
  exit 77
fi
work=$(mktemp -d "/tmp/cgfs demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
src="$work/check out" build=$build_dir
mkdir -p "$src"
(cd "$source_dir" && { git ls-files -co --exclude-standard 2>/dev/null ||
  find . -path './build*' -prune -o -type f -print; } | tar -cf - -T -) | tar -xf - -C "$src"

rc=0
out=$(unshare --mount --propagation private -- "$0" --inside "$src" "$build" 2>&1) || rc=$?
echo "$out"
fail=0
check() { if grep -qxF -- "$2" <<<"$out"; then echo "ok: $1"; else echo "FAIL: $1: no line '$2'"; fail=1; fi; }
[ "$rc" = 0 ] || { echo "FAIL: tests/demo exited $rc"; fail=1; }
check "the demo used the build directory given" "== building into $build (the first time takes a few minutes: the tests are built too)"
check "alice made a child cgroup in her freezer session" "   act.freezer.mkdir=ok"
check "alice moved into it" "   act.freezer.enter=ok"
opened_closed=$(grep -cxF "   result: 0 Success" <<<"$out" || true)
if [ "$opened_closed" = 2 ]; then
  echo "ok: open and close returned 0 Success (PAM_SUCCESS)"
else
  echo "FAIL: expected 2 lines '   result: 0 Success' (open, close), found $opened_closed"
  fail=1
fi
if grep -q 'No such file or directory' <<<"$out"; then
  echo "FAIL: something of the checkout or build was not found in the container"
  fail=1
fi
exit $fail
