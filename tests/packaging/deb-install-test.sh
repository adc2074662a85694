#!/bin/bash
# Packaging test: builds the .deb from a copy of the source tree with dpkg-buildpackage, runs
# lintian on it, installs it with `dpkg --root` into a throwaway root file system (the host's /usr
# under an overlay, an empty /etc and dpkg database) inside a private mount namespace, and checks
# that pam-auth-update, run by the package's maintainer scripts chrooted in that root, adds the
# module line to common-session and common-session-noninteractive, keeps it on upgrade (and keeps
# it out when the administrator disabled it), takes it out again on purge, and that installing
# over LXC's libpam-cgfs and purging afterwards leave /etc/pam.d as it was. Then debian/tests
# against the package installed in a throwaway container (autopkgtest.sh).
# The host's /etc and dpkg database are never touched (checked at the end).
#   deb-install-test.sh SOURCE_DIR WORK_DIR [SANDBOX REFERENCE_DIR]
# Exit 77 (skip) only when not root: dpkg --root and the overlay need it.
set -euo pipefail

if [ "${1:-}" = "--inside" ]; then
  deb=$2 root=$3 lxc_deb=$4
  version=$(dpkg-deb -f "$deb" Version)
  dpkg-deb -x "$deb" "$root.ours"
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
  snapshot() { (cd "$root/etc/pam.d" && md5sum -- *); }
  baseline=$(snapshot)
  cp "$root/etc/pam.d/common-session" "$root.baseline-session"
  line=$'session\toptional\tpam_cgfs.so -c freezer,memory,name=systemd'
  fail=0
  check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }
  has_line() { grep -qxF "$line" "$root/etc/pam.d/$1"; }
  dpkg_root() { dpkg --root="$root" --force-depends "$@" >>"$root.dpkg.log" 2>&1 || { cat "$root.dpkg.log"; exit 1; }; }
  status_of() { dpkg-query --root="$root" -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null | tr -d ' ' || true; }
  check "no module line before install" "! grep -q pam_cgfs $root/etc/pam.d/common-session"
  # The C++ runtime is linked in (pam/meson.build): the package names the gcc source it came from.
  gcc_src=$(dpkg-query -W -f='${source:Package} (= ${source:Version})' \
    "$(dpkg -S "$(realpath "$(g++ -print-file-name=libstdc++.a)")" | cut -d: -f1)")
  check "Built-Using names $gcc_src" "[ \"\$(dpkg-deb -f $deb Built-Using)\" = \"$gcc_src\" ]"

  echo "-- install on a system without LXC's module"
  # Dependencies (libc, libpam, libpam-runtime) are the host's /usr, not in this empty database.
  dpkg_root -i "$deb"
  check "common-session gains the line" "has_line common-session"
  check "common-session-noninteractive gains the line" "has_line common-session-noninteractive"
  check "the module is in the PAM module directory" "[ -f $root$arch_lib/pam_cgfs.so ]"
  check "the profile is shipped" "[ -f $root/usr/share/pam-configs/cgfs ]"
  check "cgfsctl is in /usr/sbin and runs" "[ \"\$(chroot $root /usr/sbin/cgfsctl --version)\" = \"cgfsctl $version\" ]"
  check "bash completion installed" "[ -f $root/usr/share/bash-completion/completions/cgfsctl ]"
  check "man pages installed" \
    "[ -f $root/usr/share/man/man8/pam_cgfs.8.gz ] && [ -f $root/usr/share/man/man8/cgfsctl.8.gz ] && [ -f $root/usr/share/man/man5/cgfs.conf.5.gz ]"
  check "dpkg sees it as providing libpam-cgfs" \
    "[ \"\$(dpkg --root=$root -s libpam-cgfs2 | sed -n 's/^Provides: //p')\" = libpam-cgfs ]"
  installed=$(snapshot)

  echo "-- upgrade (the same package again), with the profile enabled, then disabled by the administrator"
  dpkg_root -i "$deb"
  check "an upgrade leaves /etc/pam.d as it was" "[ \"\$(snapshot)\" = \"\$installed\" ]"
  chroot "$root" pam-auth-update --disable cgfs
  check "the administrator disables the profile" "! grep -q pam_cgfs $root/etc/pam.d/common-session"
  disabled=$(snapshot)
  dpkg_root -i "$deb"
  check "an upgrade keeps the administrator's choice" "[ \"\$(snapshot)\" = \"\$disabled\" ]"
  chroot "$root" pam-auth-update --enable cgfs
  check "enabled again" "has_line common-session && has_line common-session-noninteractive"

  echo "-- purge"
  dpkg_root --purge libpam-cgfs2
  check "the line is gone from both stacks" "! grep -q pam_cgfs $root/etc/pam.d/common-session $root/etc/pam.d/common-session-noninteractive"
  check "/etc/pam.d is back to what it was" "[ \"\$(snapshot)\" = \"\$baseline\" ]"
  check "the module file is gone" "[ ! -e $root$arch_lib/pam_cgfs.so ]"
  check "cgfsctl is gone" "[ ! -e $root/usr/sbin/cgfsctl ]"
  check "no diversion left (preinst diverts lxc's pam_cgfs.8.gz)" "[ -z \"\$(dpkg-divert --admindir $root/var/lib/dpkg --list 'libpam-cgfs2')\" ]"

  echo "-- install over LXC's libpam-cgfs, then purge"
  dpkg_root -i "$lxc_deb"
  check "LXC's module adds its line" "has_line common-session && has_line common-session-noninteractive"
  with_lxc=$(snapshot)
  dpkg_root -i "$deb"
  check "dpkg removed libpam-cgfs in favour of libpam-cgfs2" "[ \"\$(status_of libpam-cgfs)\" != ii ] && [ \"\$(status_of libpam-cgfs2)\" = ii ]"
  check "/etc/pam.d is as the administrator had it with LXC's module (the same line)" "[ \"\$(snapshot)\" = \"\$with_lxc\" ]"
  check "the module file is ours" "cmp -s $root$arch_lib/pam_cgfs.so $root.ours/$arch_lib/pam_cgfs.so"
  dpkg_root --purge libpam-cgfs2
  check "after purge /etc/pam.d is back to what it was before either module" "[ \"\$(snapshot)\" = \"\$baseline\" ]"
  check "and no module file is left" "[ ! -e $root$arch_lib/pam_cgfs.so ]"
  exit $fail
fi

src=$(cd "$1" && pwd) work=$2 sandbox=${3:-} reference_dir=${4:-}
if [ "$(id -u)" != 0 ]; then
  echo "SKIP: dpkg --root and the overlay root file system need root"
  exit 77
fi
rm -rf "$work"
mkdir -p "$work/src"
host_state() { md5sum /etc/pam.d/* /var/lib/dpkg/status 2>/dev/null; }
before=$(host_state)

# LXC's package, to install over: the copy `ninja fetch-reference` downloaded, else downloaded
# here (apt-get download: never installed on the host).
lxc_deb=$(ls "$reference_dir"/download/libpam-cgfs_*.deb 2>/dev/null | head -n 1 || true)
if [ -z "$lxc_deb" ]; then
  mkdir -p "$work/lxc" && (cd "$work/lxc" && apt-get download libpam-cgfs >/dev/null 2>&1) || true
  lxc_deb=$(ls "$work"/lxc/libpam-cgfs_*.deb 2>/dev/null | head -n 1 || true)
fi
if [ -z "$lxc_deb" ]; then
  echo "FAIL: Debian's libpam-cgfs could not be downloaded (apt-get download libpam-cgfs): the upgrade from LXC's module is not tested"
  exit 1
fi

# Build from a copy of the tracked (and untracked, not ignored) files: never from a build dir.
(cd "$src" && { git ls-files -co --exclude-standard 2>/dev/null || find . -path ./build\* -prune -o -type f -print; } |
  tar -cf - -T -) | tar -xf - -C "$work/src"
start=$SECONDS
(cd "$work/src" && dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) || { tail -40 "$work/build.log"; exit 1; }
deb=$(ls "$work"/libpam-cgfs2_*_*.deb)
echo "built $deb in $((SECONDS - start)) s"

rc=0
# lintian at its strictest levels: no error, no warning, no hardening tag (informational tags
# are printed for the record).
if command -v lintian >/dev/null; then
  lint=$(lintian --pedantic -I "$work"/*.changes 2>&1 || true)
  echo "lintian --pedantic -I:"
  echo "${lint:-(nothing)}" | sed 's/^/  /'
  if grep -E '^(E|W): |hardening' <<<"$lint"; then
    echo "FAIL: lintian reports errors, warnings or hardening tags"
    rc=1
  else
    echo "ok: lintian: no error, warning or hardening tag"
  fi
else
  echo "FAIL: lintian is not installed (tests/install-deps installs it)"
  rc=1
fi

# Hardening (debian/rules: hardening=+all): the module's own code compiled with dpkg-buildflags'
# -O2, overridden by the module's -Os (meson.build, module_code_args), and -D_FORTIFY_SOURCE=2;
# both binaries bound now (BIND_NOW), cgfsctl a PIE; the module linked in login order
# (pam/meson.build; checked on the unstripped build, dh_strip removes the symbols).
hardening() {
  local compile so=$work/src/debian/libpam-cgfs2/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/security/pam_cgfs.so
  local ctl=$work/src/debian/libpam-cgfs2/usr/sbin/cgfsctl
  compile=$(grep -- '-c ../pam/pam_cgfs.cpp' "$work/build.log" || true)
  grep -q -- '-D_FORTIFY_SOURCE=2' <<<"$compile" && grep -q -- ' -O2 .* -Os ' <<<"$compile" ||
    { echo "FAIL: pam_cgfs.cpp not compiled with -O2 ... -Os -D_FORTIFY_SOURCE=2: $compile"; return 1; }
  readelf -d "$so" | grep -q 'FLAGS_1.*NOW' || { echo "FAIL: pam_cgfs.so is not bound now"; return 1; }
  readelf -d "$ctl" | grep -q 'FLAGS_1.*NOW.*PIE\|FLAGS_1.*PIE.*NOW' || { echo "FAIL: cgfsctl is not a PIE bound now"; return 1; }
  python3 "$src/tests/integration/check_login_order.py" \
    "$work/src/obj-$(dpkg-architecture -qDEB_HOST_MULTIARCH)/pam/pam_cgfs.so" "$src/pam/login-order.txt" yes ||
    { echo "FAIL: the packaged module is not linked in login order"; return 1; }
  echo "ok: hardening: module compiled with -O2 then -Os and -D_FORTIFY_SOURCE=2, both bound now, cgfsctl a PIE"
}
hardening || rc=1

unshare --mount --propagation private -- "$0" --inside "$deb" "$work/root" "$lxc_deb" || rc=$?

# debian/tests (autopkgtest) against the package installed in a throwaway container.
if [ -n "$sandbox" ]; then
  "$(dirname "$0")/autopkgtest.sh" "$sandbox" "$deb" "$work/src" || rc=1
fi

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
