#!/bin/bash
# Captures the real-system fixtures under tests/unit/data/{mountinfo,proc_cgroup,hierarchy}/.
# Run as root on a hybrid host (v1 per controller + cgroup2 at /sys/fs/cgroup/unified).
# It creates scratch cgroups "cgfs-capture-<pid>" ONLY below this script's own cgroup in each
# mounted hierarchy, moves itself there, runs the views below in new cgroup/mount/pid namespaces
# (mounts made there never reach the host: / is made rprivate first), moves itself back and
# removes the scratch cgroups bottom-up. It never mounts a new v1 hierarchy: every v1 mount made
# inside uses exactly the options of a hierarchy the host already has.
#   usage: capture.sh OUTDIR
set -euo pipefail
out=$(realpath -m "$1")
mkdir -p "$out"
scratch="cgfs-capture-$$"

# mount point and /proc/self/cgroup key ("cpu", "name=systemd", "" for cgroup2) of each host mount
declare -A mp_of orig_of
while read -r mp fstype opts; do
    case $fstype in
        cgroup2) key="" ;;
        cgroup) key=$(tr ',' '\n' <<<"$opts" | grep -vxE 'rw|ro|none|xattr|noprefix|clone_children' | paste -sd,) ;;
        *) continue ;;
    esac
    mp_of["k:$key"]=$mp
done < <(sed -n 's/^[^ ]* [^ ]* [^ ]* [^ ]* \([^ ]*\) .* - \(cgroup2\?\) [^ ]* \([^ ]*\)$/\1 \2 \3/p' /proc/self/mountinfo)
while IFS=: read -r _ key path; do
    orig_of["k:$key"]=$path
done </proc/self/cgroup

cleanup() {
    for k in "${!mp_of[@]}"; do
        local base="${mp_of[$k]}${orig_of[$k]%/}"
        echo $$ >"$base/cgroup.procs" 2>/dev/null || true
        [ -d "$base/$scratch" ] || continue
        find "$base/$scratch" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    done
}
trap cleanup EXIT

for k in "${!mp_of[@]}"; do
    base="${mp_of[$k]}${orig_of[$k]%/}"
    mkdir "$base/$scratch"
    if [ -e "$base/cpuset.cpus" ]; then # cpusets.rst §2.1: empty cpus/mems refuse tasks (ENOSPC)
        cat "$base/cpuset.cpus" >"$base/$scratch/cpuset.cpus"
        cat "$base/cpuset.mems" >"$base/$scratch/cpuset.mems"
    fi
    echo $$ >"$base/$scratch/cgroup.procs"
done
# every line of /proc/self/cgroup must now end in the scratch cgroup, or nothing below may run
[ ${#mp_of[@]} -gt 0 ] || { echo "no cgroup mounts found" >&2; exit 1; }
if grep -v "/$scratch\$" /proc/self/cgroup; then
    echo "not inside the scratch cgroups" >&2
    exit 1
fi

# $1 = view name; $2 = commands run inside (as PID 1 of the new pid namespace) before the capture;
# the capture itself runs in a child that first moves into "sub" wherever one exists (a "sub" made
# by an earlier view stays until the scratch cgroups are removed at the end).
view() {
    local name=$1 setup=$2
    mkdir -p "$out/$name"
    unshare -C -m -p -f --mount-proc bash -euc "
        mount --make-rprivate /
        $setup
        bash -euc '
            for d in /sys/fs/cgroup/unified/sub /sys/fs/cgroup/freezer/sub /sys/fs/cgroup/sub; do
                [ -e \$d/cgroup.procs ] && echo \$\$ >\$d/cgroup.procs
            done
            grep -v /mnt/sandboxing /proc/self/mountinfo >$out/$name/mountinfo
            cat /proc/self/cgroup >$out/$name/self_cgroup
            cat /proc/1/cgroup >$out/$name/init_cgroup
        '
        umount -l /sys/fs/cgroup 2>/dev/null || true
    "
}

v1_mounts='
    for o in cpu cpuacct cpuset memory devices freezer blkio pids; do
        mkdir -p /sys/fs/cgroup/$o && mount -t cgroup -o $o cgroup /sys/fs/cgroup/$o
    done
    mkdir -p /sys/fs/cgroup/systemd && mount -t cgroup -o none,name=systemd cgroup /sys/fs/cgroup/systemd'

# pure cgroup2 at /sys/fs/cgroup (the v1 lines stay in /proc/self/cgroup: the kernel has them)
view ns-unified '
    umount -l /sys/fs/cgroup
    mount -t cgroup2 cgroup2 /sys/fs/cgroup
    mkdir -p /sys/fs/cgroup/sub'
# every host hierarchy re-mounted inside the namespace, plus a bind mount of freezer/sub
view ns-hybrid "
    umount -l /sys/fs/cgroup
    mount -t tmpfs -o mode=755 tmpfs /sys/fs/cgroup
    $v1_mounts
    mkdir -p /sys/fs/cgroup/unified && mount -t cgroup2 cgroup2 /sys/fs/cgroup/unified
    mkdir -p /sys/fs/cgroup/unified/sub /sys/fs/cgroup/freezer/sub
    mkdir /sys/fs/cgroup/freezer-sub && mount --bind /sys/fs/cgroup/freezer/sub /sys/fs/cgroup/freezer-sub"
# v1 only
view ns-legacy "
    umount -l /sys/fs/cgroup
    mount -t tmpfs -o mode=755 tmpfs /sys/fs/cgroup
    $v1_mounts"
# the host's mounts left in place: their roots show as /.. from inside the namespace
view ns-host-mounts ':'
# a new tmpfs over /sys/fs/cgroup: the old tree stays listed but is covered
view ns-overmounted '
    mount -t tmpfs -o mode=755 tmpfs /sys/fs/cgroup
    mkdir /sys/fs/cgroup/freezer /sys/fs/cgroup/unified
    mount -t cgroup -o freezer cgroup /sys/fs/cgroup/freezer
    mount -t cgroup2 cgroup2 /sys/fs/cgroup/unified
    mkdir -p /sys/fs/cgroup/unified/sub'
# freezer's "sub" bind-mounted on top of the freezer mount point itself (a stacked mount)
view ns-stacked '
    umount -l /sys/fs/cgroup
    mount -t tmpfs -o mode=755 tmpfs /sys/fs/cgroup
    mkdir /sys/fs/cgroup/freezer /sys/fs/cgroup/unified
    mount -t cgroup -o freezer cgroup /sys/fs/cgroup/freezer
    mount -t cgroup2 cgroup2 /sys/fs/cgroup/unified
    mkdir -p /sys/fs/cgroup/freezer/sub
    echo $$ >/sys/fs/cgroup/freezer/sub/cgroup.procs
    mount --bind /sys/fs/cgroup/freezer/sub /sys/fs/cgroup/freezer'

# the host view itself
mkdir -p "$out/host-hybrid"
cleanup
trap - EXIT
grep -v /mnt/sandboxing /proc/self/mountinfo >"$out/host-hybrid/mountinfo"
cat /proc/self/cgroup >"$out/host-hybrid/self_cgroup"
cat /proc/1/cgroup >"$out/host-hybrid/init_cgroup"
if find /sys/fs/cgroup -maxdepth 4 -name 'cgfs-capture*' | grep -q .; then
    echo "scratch cgroups left behind" >&2
    exit 1
fi
