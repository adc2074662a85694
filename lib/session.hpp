// cgfs: opening and closing a user's session cgroups (pam_cgfs(8) "The cgroups of a session",
// "Closing and stale sessions"). Per selected hierarchy: BASE/user (root) → BASE/user/<name>
// (root's; on cgroup2 its cgroup.procs the user's) → BASE/user/<name>/<N> (this session's, the
// user's), the caller moved in; or a systemd cgroup of the same uid delegated in place; or nothing,
// when the caller already sits in its own delegated tree.
#pragma once

#include "hierarchy.hpp"
#include "note.hpp"
#include "result.hpp"
#include "selection.hpp"

#include <ctime>
#include <optional>
#include <set>
#include <time.h>
#include <string>
#include <chrono>
#include <sys/types.h>
#include <vector>

namespace cgfs {

/// Bound on whole-session creation attempts when a concurrent reaper or close removes what this
/// open just made (pam_cgfs(8) "Reaping": race-free; every retry loop has a bound).
inline constexpr int kMaxCreateAttempts = 32;
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
/// How long one close waits, in all, for a session's last processes to leave before leaving the
/// session in place (pam_cgfs(8) "Closing and stale sessions"), and how often it looks. sshd's
/// monitor closes the PAM session as soon as the session child's socket closes, while that child
/// is still exiting: a task leaves its cgroups only at the end of do_exit (kernel/exit.c,
/// cgroup_exit), a few ms later under load.
inline constexpr std::chrono::milliseconds kCloseDrainBound{250};
inline constexpr std::chrono::milliseconds kCloseDrainPoll{1};
/// Bound on the rounds of reading a systemd session scope's cgroup.procs and moving what it lists
/// into the scope's leaf: a process that forks while it is moved leaves its child behind once.
inline constexpr int kMaxScopeMoveRounds = 8;
/// Mode of every directory the module creates, whatever the caller's umask (pam_cgfs(8) "The cgroups of a session").
inline constexpr mode_t kDirMode = 0755;
/// cgroup2: the leaf below <N> that holds the session's processes (cgroup-v2.rst "no internal
/// process constraint": <N> itself must stay empty for the user to enable controllers in it).
/// Named as systemd names the leaf of a delegated unit, because LXC takes the parent of a
/// trailing "/init.scope" of the cgroup lxc-start runs in as the base of its containers'
/// cgroups: a container started from the login shell is built in <N>, beside the leaf, where
/// it can get the controllers <N> offers (pam_cgfs(8) "The session leaf on cgroup2").
inline constexpr const char* kSessionLeaf = "init.scope";

/// The user a session is for (from the PAM item and the passwd entry).
struct UserIdentity {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
};

/// How a hierarchy was handled at open.
enum class Placement {
    created,           ///< BASE/user/<name>/<N> made and the caller moved in
    systemd_in_place,  ///< the caller's user-<uid>.slice cgroup chowned, nothing created or moved
    systemd_scope,     ///< cgroup2: the caller's session-<id>.scope, which systemd delegates
                       ///< (Delegate=yes): every process of it moved into <scope>/init.scope, the
                       ///< controllers it offers enabled in it, scope and leaf chowned
    already_delegated, ///< the caller already sits in its own BASE/user/<name>/… tree: untouched
};

/// Where a hierarchy was mounted when the session opened, so close can find it without reading
/// mountinfo again (rediscover).
struct MountIdentity {
    std::vector<std::string> controllers; ///< Hierarchy::controllers (v1)
    std::string name;                     ///< Hierarchy::name
    std::string mount_point;              ///< Hierarchy::mount_point
    std::string mount_root;               ///< Hierarchy::mount_root
    dev_t dev = 0;                        ///< st_dev of the opened mount point
    ino_t ino = 0;                        ///< st_ino of the opened mount point
};

/// What open did in one hierarchy; all paths are namespace-relative cgroup paths.
struct HierarchySession {
    CgroupVersion version = CgroupVersion::v1;
    std::string label;   ///< Hierarchy::label(), to find the hierarchy again at close
    MountIdentity mount; ///< where it was mounted
    Placement placement = Placement::created;
    std::string origin;  ///< the caller's cgroup before open
    std::string base;    ///< BASE
    std::string session; ///< created: BASE/user/<name>/<N>; otherwise the caller's cgroup
    std::string leaf;    ///< where the caller was put (created: <N> on v1, <N>/init.scope on cgroup2;
                         ///< systemd_scope: <scope>/init.scope)
};

/// What close needs from open (kept with pam_set_data).
struct SessionRecord {
    UserIdentity user;
    long index = -1; ///< N, or -1 when no hierarchy was created
    std::vector<HierarchySession> hierarchies;
};

struct OpenParams {
    UserIdentity user;
    pid_t pid = 0;                       ///< the process to move (the PAM caller, getpid())
    std::string kernel_delegate_list;    ///< text of /sys/kernel/cgroup/delegate ("" = fallback list)
    std::vector<unsigned> isolated_cpus; ///< from /sys/devices/system/cpu/isolated
    /// When the open began, from CLOCK_REALTIME_COARSE: the clock kernfs stamps cgroup directory
    /// times with, so "older than the open call" (pam_cgfs(8) "Reaping") compares like with like.
    timespec started{};
};

/// Opens the session in every selected hierarchy of `discovery` (the selected roots open). The
/// user name must already be valid (validate_user_name). First reaps the user's stale empty
/// session cgroups (all of them up to kFullReapBound entries in BASE/user/<name>, else
/// kReapWindow sampled at random), then creates <N> with an exclusive mkdir: the lowest index free in every
/// created hierarchy, searched from 0, or, above kFullReapBound entries, from the number of
/// entries); a <N> (or cgroup2 leaf) that is not root's and without subdirectories once opened
/// was not made by this call and counts as taken. Moves `pid`, delegates, and checks
/// /proc/<pid>/cgroup. BASE/user/<name> stays root's (one of the user's is taken back, a notice),
/// with only user_dir_files() the user's. On any failure everything this call created is undone
/// and `pid` returned to where it was.
/// On cgroup2, a caller in its own logind session scope (BASE/user.slice/user-<uid>.slice/
/// session-<id>.scope) that systemd delegates (delegated_by_systemd) gets Placement::systemd_scope:
/// every process of the scope is moved into <scope>/init.scope (kMaxScopeMoveRounds), each
/// controller the scope offers is enabled in it, and the scope and its leaf are delegated; a scope
/// systemd does not delegate is delegated in place with a notice that containers get no
/// controllers there (pam_cgfs(8) "systemd session scopes").
/// Errors: errno and context "<hierarchy>: <cgroup path>: <operation>" (EPERM for a user/<name>
/// owned by another uid; EIO when /proc/<pid>/cgroup disagrees after the move).
Result<SessionRecord> open_session(const Discovery& discovery, const Selection& selection, const OpenParams& params,
                                   Notes& notes);

/// Closes a session: leaves systemd's cgroups (in place, and a session scope with its init.scope,
/// which systemd removes when the session ends: moving a process back into a scope that passes
/// controllers on would fail, cgroup-v2.rst "no internal processes"); elsewhere moves `pid` back
/// to its origin (or BASE) where it is still inside the session cgroup, removes the session cgroup
/// and its empty descendants bottom-up, then user/<name> if empty. A session still populated is
/// given up to kCloseDrainBound (one deadline for the whole call) to empty. Never fails; what
/// could not be done becomes a debug note (busy cgroups are left, never killed; pam_cgfs(8)
/// "Closing and stale sessions").
void close_session(const Discovery& discovery, const SessionRecord& record, pid_t pid, Notes& notes);

/// For close: the hierarchies `record` created sessions in, found again without reading
/// /proc/self/mountinfo. Each recorded mount point is opened (fs::open_root) and must still be the
/// same directory (st_dev and st_ino as at open) on a file system of the same version (fstatfs
/// magic); the caller's cgroups are read from /proc/self/cgroup. nullopt when any of this fails
/// or differs (a hierarchy unmounted or mounted anew since open): the caller then uses discover().
[[nodiscard]] std::optional<Discovery> rediscover(const SessionRecord& record);

/// For a close without data from open: a record of the created session the caller sits in
/// (BASE/user/<name>/<N>/…) in each selected hierarchy, with BASE as origin.
[[nodiscard]] SessionRecord find_session(const Discovery& discovery, const Selection& selection,
                                         const UserIdentity& user);

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
