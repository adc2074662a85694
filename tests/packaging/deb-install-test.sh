#!/bin/bash
# Packaging test (issue 6): builds the .deb from the source tree with dpkg-buildpackage, installs
# it with `dpkg --root` into a throwaway root file system (the host's /usr under an overlay, an
# empty /etc and dpkg database) inside a private mount namespace, and checks that
# pam-auth-update, run by the package's maintainer scripts chrooted in that root, adds the module
# line to common-session and common-session-noninteractive and takes it out again on purge.
# The host's /etc and dpkg database are never touched (checked at the end).
#   deb-install-test.sh SOURCE_DIR WORK_DIR
# Exit 77 (skip) only when not root: dpkg --root and the overlay need it.
set -euo pipefail

if [ "${1:-}" = "--inside" ]; then
  deb=$2 root=$3
  arch_lib=/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/security
  mkdir -p "$root"/{usr,etc/pam.d,var/lib/dpkg/{info,updates,triggers},var/lib/pam,var/cache/debconf,var/log,tmp,dev}
  mkdir -p "$root.upper" "$root.work"
  mount -t overlay overlay -o "lowerdir=/usr,upperdir=$root.upper,workdir=$root.work" "$root/usr"
  for d in bin sbin lib lib64; do
    [ -e "/$d" ] && ln -s "usr/$d" "$root/$d"
  done
  touch "$root/var/lib/dpkg/status" "$root/dev/null"
  mount --bind /dev/null "$root/dev/null"
  cp /etc/passwd /etc/group /etc/debconf.conf "$root/etc/"
  export DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true
  # The throwaway system's own PAM stacks from the profiles in /usr/share/pam-configs; --force
  # because there are none yet to compare with (after this, pam-auth-update records their hashes
  # in /var/lib/pam and the package's own unforced runs may rewrite them).
  # pam-auth-update keeps its selection in debconf: the throwaway root gets libpam-runtime's
  # question, as installing libpam-runtime would register it.
  cp /var/lib/dpkg/info/libpam-runtime.templates "$root/tmp/"
  chroot "$root" perl -MDebconf::Db -MDebconf::Template -e \
    'Debconf::Db->load; Debconf::Template->load("/tmp/libpam-runtime.templates", "libpam-runtime"); Debconf::Db->save'

  chroot "$root" pam-auth-update --package --force
  cp "$root/etc/pam.d/common-session" "$root.baseline-session"
  cp "$root/etc/pam.d/common-session-noninteractive" "$root.baseline-noninteractive"
  line=$'session\toptional\tpam_cgfs.so -c freezer,memory,name=systemd'
  fail=0
  check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }
  check "no module line before install" "! grep -q pam_cgfs $root/etc/pam.d/common-session"
  # The C++ runtime is linked in (pam/meson.build): the package names the gcc source it came from.
  gcc_src=$(dpkg-query -W -f='${source:Package} (= ${source:Version})' \
    "$(dpkg -S "$(realpath "$(g++ -print-file-name=libstdc++.a)")" | cut -d: -f1)")
  check "Static-Built-Using names $gcc_src" "[ \"\$(dpkg-deb -f $deb Static-Built-Using)\" = \"$gcc_src\" ]"

  # Dependencies (libc, libpam, libpam-runtime) are the host's /usr, not in this empty database.
  dpkg --root="$root" --force-depends -i "$deb" >"$root.dpkg-install.log" 2>&1 ||
    { cat "$root.dpkg-install.log"; exit 1; }
  check "common-session gains the line" "grep -qxF \"\$line\" $root/etc/pam.d/common-session"
  check "common-session-noninteractive gains the line" \
    "grep -qxF \"\$line\" $root/etc/pam.d/common-session-noninteractive"
  check "the module is in the PAM module directory" "[ -f $root$arch_lib/pam_cgfs.so ]"
  check "the profile is shipped" "[ -f $root/usr/share/pam-configs/cgfs ]"
  check "cgfsctl runs in the installed root" "chroot $root /usr/sbin/cgfsctl --help | grep -q '^usage: cgfsctl status'"
  check "man pages installed" \
    "[ -f $root/usr/share/man/man8/pam_cgfs.8.gz ] && [ -f $root/usr/share/man/man8/cgfsctl.8.gz ] && [ -f $root/usr/share/man/man5/cgfs.conf.5.gz ]"
  check "dpkg sees it as providing libpam-cgfs" \
    "[ \"\$(dpkg --root=$root -s cgfs | sed -n 's/^Provides: //p')\" = libpam-cgfs ]"

  dpkg --root="$root" --force-depends --purge cgfs >"$root.dpkg-purge.log" 2>&1 ||
    { cat "$root.dpkg-purge.log"; exit 1; }
  check "common-session loses the line on purge" "! grep -q pam_cgfs $root/etc/pam.d/common-session"
  check "common-session-noninteractive loses the line on purge" \
    "! grep -q pam_cgfs $root/etc/pam.d/common-session-noninteractive"
  check "common-session is back to what it was" "cmp -s $root.baseline-session $root/etc/pam.d/common-session"
  check "common-session-noninteractive is back to what it was" \
    "cmp -s $root.baseline-noninteractive $root/etc/pam.d/common-session-noninteractive"
  check "the module file is gone" "[ ! -e $root$arch_lib/pam_cgfs.so ]"
  exit $fail
fi

src=$(cd "$1" && pwd) work=$2
if [ "$(id -u)" != 0 ]; then
  echo "SKIP: dpkg --root and the overlay root file system need root"
  exit 77
fi
rm -rf "$work"
mkdir -p "$work/src"
host_state() { md5sum /etc/pam.d/* /var/lib/dpkg/status 2>/dev/null; }
before=$(host_state)

# Build from a copy of the tracked (and untracked, not ignored) files: never from a build dir.
(cd "$src" && { git ls-files -co --exclude-standard 2>/dev/null || find . -path ./build\* -prune -o -type f -print; } |
  tar -cf - -T -) | tar -xf - -C "$work/src"
start=$SECONDS
(cd "$work/src" && dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) || { tail -40 "$work/build.log"; exit 1; }
echo "built $(ls "$work"/cgfs_*.deb) in $((SECONDS - start)) s"
deb=$(ls "$work"/cgfs_*_*.deb)

rc=0
unshare --mount --propagation private -- "$0" --inside "$deb" "$work/root" || rc=$?

after=$(host_state)
if [ "$before" != "$after" ]; then
  echo "FAIL: the host's /etc/pam.d or dpkg database changed"
  rc=1
fi
if grep -qs pam_cgfs /etc/pam.d/*; then
  echo "FAIL: the host's /etc/pam.d mentions pam_cgfs"
  rc=1
fi
# The overlay's upper dir and the root are plain files now (the namespace is gone).
rm -rf "$work"
exit $rc
