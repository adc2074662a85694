#!/bin/sh
# Fetches LXC's pam_cgfs (Debian package libpam-cgfs) and unpacks it into DIR/root without
# installing it: the [reference] integration tests compare our module with it.
# Usage: fetch_reference.sh DIR
set -eu
dir=${1:?usage: fetch_reference.sh DIR}
mkdir -p "$dir/download"
cd "$dir/download"
rm -f libpam-cgfs_*.deb
apt-get download libpam-cgfs
rm -rf "$dir/root"
dpkg-deb -x libpam-cgfs_*.deb "$dir/root"
module=$(find "$dir/root" -name pam_cgfs.so | head -n 1)
test -n "$module"
echo "reference module: $module"
