// Catch2 expectations shared by the integration scenarios: the exact cgroup state of a session,
// of a hierarchy left alone, of a delegated-in-place cgroup, and "nothing changed".
#pragma once

#include "scenario.hpp"

#include <set>
#include <string>
#include <vector>

namespace cgfs_test {

inline constexpr int kPamSuccess = 0;
inline constexpr int kPamBufErr = 5;
inline constexpr int kPamSessionErr = 14;

// Module arguments that select only hierarchies that exist in `layout` on this host, and the
// keys they select: v1 "-c freezer,memory,name=systemd"; hybrid the same plus "unified"; v2
// "-c unified".
struct Profile {
    std::string args;
    std::vector<std::string> keys;
};
Profile core_profile(Layout layout);

// Every hierarchy key mounted in `layout` on this host.
std::vector<std::string> layout_keys(Layout layout);

// "/user/alice/0" on v1, "/user/alice/0/<kSessionLeaf>" on cgroup2.
std::string session_leaf(const std::string& key, const std::string& user, int index);

// pam_driver arguments for alice through PAM service `service`, then `more`.
inline std::vector<std::string> alice(const std::vector<std::string>& more = {},
                                      const std::string& service = "cgfs-test")
{
    std::vector<std::string> args = {"--service", service, "--user", "alice"};
    args.insert(args.end(), more.begin(), more.end());
    return args;
}

// The scenario ran to its end (no timeout, no exception in the container).
void check_ran(const Report& r);

// Hierarchy `key` holds exactly the sessions `indices` of `user` (uid==gid): the directory set
// under /user, owners and modes, and exactly the delegated files owned by the user. Dirs in
// `user_made` (made by the user, e.g. ".../0/c1") are allowed and must be the user's.
void check_sessions(const Snapshot& s, const std::string& key, const std::string& user, unsigned uid,
                    const std::set<int>& indices, const std::set<std::string>& user_made = {});

// Nothing of `user` in `key`: no /user/<user>; with `base_user_may_stay`, /user may exist
// (root-owned 0755, as close leaves it). No file or dir in `key` is owned by anyone but root
// apart from `allowed_non_root` (paths).
void check_no_session(const Snapshot& s, const std::string& key, const std::string& user, bool base_user_may_stay,
                      const std::set<std::string>& allowed_non_root = {});

// `path` in `key` was delegated in place to uid: dir and delegate files the user's, nothing
// else in `key` non-root, no /user directory created.
void check_in_place(const Snapshot& s, const std::string& key, const std::string& path, unsigned uid,
                    const std::set<std::string>& user_made = {});

// The driver's process sits in `path` in `key` according to its `prefix` lines ("cgroup",
// "cgroup_before", "cgroup_after_close").
void check_proc_in(const DriverOutput& d, const std::string& prefix, const std::string& key, const std::string& path);

// Two snapshots are identical (cgroup dirs, owners, modes, knobs, PID 1).
void check_unchanged(const Snapshot& before, const Snapshot& after);

// A cgroup2 knob recorded in `s`: `file` of `cgroup` ("/" or "/user/alice/0") in the unified
// hierarchy, or "<missing>".
std::string knob(const Snapshot& s, const std::string& cgroup, const std::string& file);

// The controllers the container's cgroup2 root offers (its cgroup.controllers, in its order):
// none on this machine, "cpu io memory pids" on a booted pure-v2 kernel (tests/vm/run).
std::vector<std::string> root_offers(const Snapshot& s);

// Exactly `n` syslog lines at `priority`, each containing every string of `needles`.
void check_log(const Report& r, int priority, size_t n, const std::vector<std::string>& needles = {});

} // namespace cgfs_test
