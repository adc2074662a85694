#!/bin/bash
# Runs the package's own autopkgtests (debian/tests/control) against the package installed in the
# project's throwaway container (cgfs-sandbox): private /etc, and /usr and /var under overlays in
# the container's /tmp, so that dpkg, pam-auth-update and useradd change nothing of the host.
# As autopkgtest's `null` runner does on a testbed: the package is installed with its
# maintainer scripts, then each test listed in Tests: runs as root from the source tree with
# AUTOPKGTEST_TMP set; a test passes when it exits 0. Once per layout (v1, hybrid).
#   autopkgtest.sh SANDBOX DEB SOURCE_DIR
set -euo pipefail

if [ "${1:-}" = "--inside" ]; then
  deb=$2 src=$3
  for d in usr var; do
    mkdir -p "/tmp/testbed/$d.upper" "/tmp/testbed/$d.work"
    mount -t overlay overlay -o "lowerdir=/$d,upperdir=/tmp/testbed/$d.upper,workdir=/tmp/testbed/$d.work" "/$d"
  done
  if ! DEBIAN_FRONTEND=noninteractive dpkg -i "$deb" >/tmp/testbed/dpkg.log 2>&1; then
    cat /tmp/testbed/dpkg.log
    echo "autopkgtest: installing $deb failed"
    exit 1
  fi
  rc=0
  # Debian's lxc ships LXC's pam_cgfs(8) at the same path: diverted aside, not overwritten.
  if dpkg-query -W -f='${Status}' lxc 2>/dev/null | grep -q 'install ok installed'; then
    if [ -e /usr/share/man/man8/pam_cgfs.lxc.8.gz ] && dpkg -S /usr/share/man/man8/pam_cgfs.8.gz | grep -q libpam-cgfs2; then
      echo "ok: lxc's pam_cgfs.8.gz diverted to pam_cgfs.lxc.8.gz"
    else
      echo "FAIL: lxc's pam_cgfs.8.gz is not diverted"
      rc=1
    fi
  fi
  for t in $(sed -n 's/^Tests: *//p' "$src/debian/tests/control" | tr ',' ' '); do
    AUTOPKGTEST_TMP=$(mktemp -d)
    export AUTOPKGTEST_TMP
    if (cd "$src" && "debian/tests/$t"); then
      echo "autopkgtest $t: PASS"
    else
      echo "autopkgtest $t: FAIL"
      rc=1
    fi
  done
  exit $rc
fi

sandbox=$1 deb=$(realpath "$2") src=$(cd "$3" && pwd)
self=$(realpath "$0")
rc=0
for layout in v1 hybrid; do
  echo "-- debian/tests on layout $layout"
  "$sandbox" --layout "$layout" --keep "$(dirname "$deb")" --keep "$src" --keep "$(dirname "$self")" -- \
    "$self" --inside "$deb" "$src" || rc=1
done
exit $rc
