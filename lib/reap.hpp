// cgfs: the user's session cgroups as trees: which names are sessions, whether a tree runs
// anything, removing one bottom-up within bounds, and reaping the stale ones (pam_cgfs(8)
// "Reaping"). Shared by open, close and cgfsctl, so that all three apply one rule.
#pragma once

#include "note.hpp"

#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <time.h>
#include <vector>

namespace cgfs {

/// Highest session index N tried.
inline constexpr long kMaxSessionIndex = 1'000'000;
/// Reaping at open (pam_cgfs(8) "Reaping") is complete while BASE/user/<name> has at most this many
/// subdirectories: every session cgroup is looked at. Above it an open looks at kReapWindow
/// session cgroups only, sampled at random from the directory (fs::sample_subdirs, at most
/// kReapSample names read), so that a login costs the same with 20 or 10,000 sessions of the
/// user and every leftover is met in time; `cgfsctl reap` removes every leftover at once.
inline constexpr long kFullReapBound = 16;
inline constexpr std::size_t kReapWindow = 2;
inline constexpr std::size_t kReapSample = 8;
/// Bounds for removing a session tree that the user filled with sub-cgroups.
inline constexpr int kMaxTreeDepth = 64;
inline constexpr int kMaxTreeEntries = 4096;

/// The session index N a directory name below BASE/user/<name> stands for: the canonical decimal
/// form ("0", "17"; not "007", "-1", "1a") up to kMaxSessionIndex, else -1. The one rule that open,
/// reaping and cgfsctl share for what counts as a session cgroup (pam_cgfs(8) "Reaping").
[[nodiscard]] long parse_session_index(std::string_view name);

/// Removes the empty cgroup `name` below `parent_fd` and its empty descendants, bottom-up, within
/// kMaxTreeDepth/kMaxTreeEntries: no more names are read from a directory than the removals
/// still allowed, so a tree of any width costs bounded work. True when `name` is gone (or was
/// already). Busy cgroups stay. Callers first check tree_populated(): a session that still runs
/// anything keeps its whole tree (the user's stopped containers' cgroups included). When `name`
/// stays, one debug note, prefixed with `where`, says why (the bounds, or the errno of its rmdir).
bool remove_tree(int parent_fd, const std::string& name, const std::string& where, Notes& notes);

/// What reap_stale_sessions did (or, in a dry run, would do) below one user/<name>.
struct ReapOutcome {
    std::vector<long> removed; ///< indices of stale sessions removed (dry run: that would be), in directory order
    std::set<long> kept;       ///< indices still there: running, newer than `started`, or not removable
};

enum class ReapMode {
    remove,
    dry_run
};

/// What reap_if_stale found at one session index.
enum class Staleness {
    missing,
    live,
    removed
};

/// Looks at the session cgroup `name` below the open BASE/user/<name> at `user_dir_fd` with the
/// rule of reap_stale_sessions and removes it when it is stale. `live` also covers a stale one
/// that could not be removed. Never fails.
Staleness reap_if_stale(int user_dir_fd, const std::string& name, const std::string& where, const timespec& started,
                        Notes& notes);

/// The reaping of pam_cgfs(8) "Reaping", as open runs it before creating a session (and as cgfsctl reap runs
/// it): below the open directory BASE/user/<name> at `user_dir_fd`, every session cgroup <N>
/// (canonical decimal name) whose whole tree runs no process (tree_populated) and whose mtime
/// is not newer than `started` (CLOCK_REALTIME_COARSE, the clock kernfs stamps with) is removed
/// bottom-up with remove_tree. Race-safe with concurrent opens: a session made after `started`
/// is left alone, and an open whose fresh cgroup vanishes retries (kMaxCreateAttempts). Other
/// names are ignored. `where` ("<hierarchy>: <cgroup of user/<name>>") prefixes the debug
/// notes. A dry run decides the same way and removes nothing. Never fails; an unlistable
/// directory is a debug note and an empty outcome.
ReapOutcome reap_stale_sessions(int user_dir_fd, const std::string& where, const timespec& started, ReapMode mode,
                                Notes& notes);

/// True when a process runs anywhere in the cgroup tree at `fd`. cgroup2: cgroup.events
/// "populated", which the kernel keeps for the whole subtree (cgroup-v2.rst "Core Interface
/// Files"), so no walk and no bounds are needed. v1: every cgroup.procs of the tree, within
/// kMaxTreeDepth/kMaxTreeEntries; what cannot be read or lies beyond the bounds counts as
/// populated, so nothing is removed on a guess; a missing cgroup.procs counts as empty. (An
/// unpopulated cgroup2 tree larger than the bounds is removed in part, the rest at later opens.)
[[nodiscard]] bool tree_populated(int fd);

/// True when the cgroup2 cgroup at `fd` is not the hierarchy's root and has processes of its own
/// (its cgroup.procs is not empty). cgroup-v2.rst "No Internal Process Constraint": such a cgroup
/// refuses domain controllers (EBUSY), and a threaded one (cpu, pids, cpuset, perf_event) is
/// accepted but makes it a thread root ("Threads"), so every domain cgroup below it becomes
/// invalid and moving a process there fails with EOPNOTSUPP. The root is exempt; it alone has no
/// cgroup.type ("Core Interface Files"). What cannot be read counts as holding processes.
[[nodiscard]] bool holds_internal_processes(int fd);

} // namespace cgfs
