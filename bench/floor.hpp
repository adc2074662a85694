// The benchmark's floor: the kernel operations one login needs from a session module, nothing
// else (no discovery, no checks, the free index given). login_bench runs it in its own process
// between PAM logins; pam_once runs it in a new process per login. Bench code, not the module's.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace cgfs_bench {

/// One selected hierarchy as the floor sees it.
struct Hier {
    std::string key;
    std::string mount;
    bool v2 = false;
    int root_fd = -1;               // opened once; the floor works relative to it
    std::vector<std::string> files; // delegated files that exist in a new cgroup
};

/// Writes `pid` into <rel_dir>/cgroup.procs below `dirfd` ("" = dirfd itself), with one write().
/// True on success.
bool write_pid(int dirfd, const std::string& rel_dir, pid_t pid);

/// Moves the calling thread of a single-threaded process into <rel_dir> below `dirfd`: on v1
/// "0" into tasks, on cgroup2 its pid into cgroup.procs, as the module does. True on success.
bool write_self(int dirfd, const std::string& rel_dir, bool v2);

/// Per hierarchy: mkdir user/<name>/<N> (and the levels above when missing), chown of the
/// directory and its delegated files, cgroup2's session leaf (pam_cgfs(8) CGROUP LAYOUT), the
/// caller moved in (write_self); at close the caller back to the root and rmdir bottom-up.
class Floor {
public:
    /// `sel`: the hierarchies, roots open; `first_index`: the index tried first (the module works
    /// it out, the floor is told); uid/gid/name: the user.
    Floor(const std::vector<Hier>& sel, long first_index, uid_t uid, gid_t gid, std::string name);

    /// The open half. False when a kernel operation failed (errno as it left).
    bool open();
    /// The close half. False when a migration or rmdir failed.
    bool close();

private:
    struct Made {
        long index = -1;
        bool made_user_dir = false;
    };
    bool chown_all(int root, const std::string& dir, const std::vector<std::string>& files) const;

    const std::vector<Hier>& sel_;
    std::vector<Made> made_;
    long hint_;
    uid_t uid_;
    gid_t gid_;
    std::string user_dir_; // "user/<name>"
};

} // namespace cgfs_bench
