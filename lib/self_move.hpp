// cgfs: how the PAM caller moves itself between cgroups (pam_cgfs(8) "The cgroups of a session").
#pragma once

#include "hierarchy.hpp"

#include <string>
#include <sys/types.h>

namespace cgfs {

/// True when `pid` is this process, the calling thread is its main thread and it has no other
/// thread (proc(5) /proc/pid/task holds one directory per thread, and a directory's link count is
/// 2 plus its subdirectories). Then the calling thread is the whole process.
[[nodiscard]] bool caller_is_whole_process(pid_t pid);

/// Where and what to write to move the caller into a cgroup: the file below the cgroup and the
/// text written to it.
struct MoveSelf {
    const char* file;
    std::string data;
};

/// On a v1 hierarchy, when the caller is the whole process (caller_is_whole_process), "0" into
/// `tasks`, which moves the writing thread (cgroups(7): v1 `tasks` takes thread ids;
/// kernel/cgroup/cgroup.c cgroup_procs_write_start: pid 0 is the writer); else `pid` into
/// `cgroup.procs`. The result is the same, but a thread that moves itself is moved without the
/// kernel's global threadgroup lock, whose first writer after an idle spell waits for an RCU
/// grace period (from a fraction of a millisecond to several on a busy machine), and a new
/// process, as sshd makes one per connection, always comes after such a spell. cgroup2 moves a
/// single thread only within its threaded domain (cgroup-v2.rst "Threads"), so there it is always
/// `cgroup.procs`.
[[nodiscard]] MoveSelf move_self(CgroupVersion version, bool whole_process, pid_t pid);

} // namespace cgfs
