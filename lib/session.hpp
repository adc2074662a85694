// cgfs: opening and closing a user's session cgroups (pam_cgfs(8) "The cgroups of a session",
// "Closing and stale sessions"). Per selected hierarchy: BASE/user (root) → BASE/user/<name>
// (root's; on cgroup2 its cgroup.procs the user's) → BASE/user/<name>/<N> (this session's, the
// user's), the caller moved in; or a systemd cgroup of the same uid delegated in place; or nothing,
// when the caller already sits in its own delegated tree.
#pragma once

#include "hierarchy.hpp"
#include "limits.hpp"
#include "note.hpp"
#include "reap.hpp"
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

/// The directory below BASE that holds every user's sessions (pam_cgfs(8) "The cgroups of a
/// session").
inline constexpr std::string_view kUserDir = "user";

/// BASE/user/<name> as a namespace-relative cgroup path.
[[nodiscard]] std::string user_dir_cgroup(std::string_view base, std::string_view name);

/// Bound on whole-session creation attempts when a concurrent reaper or close removes what this
/// open just made (pam_cgfs(8) "Reaping": race-free; every retry loop has a bound).
inline constexpr int kMaxCreateAttempts = 32;
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
    pid_t pid = 0; ///< the process to move (the PAM caller, getpid())
    /// When the open began, from CLOCK_REALTIME_COARSE: the clock kernfs stamps cgroup directory
    /// times with, so "older than the open call" (pam_cgfs(8) "Reaping") compares like with like.
    timespec started{};
    std::vector<LimitRule> limits; ///< cgfs.conf(5) rules in force for the user (limits_for)
};

/// What a successful open hands back: the record for close, and how the limits went (written
/// once the session is open, best effort: a refused limit does not undo the login).
struct OpenedSession {
    SessionRecord record;
    Notes limit_notes;               ///< apply_limits' notes
    std::vector<Error> limit_errors; ///< limits the kernel refused (apply_limits)
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
/// Reads what it needs of the kernel's own lists: /sys/kernel/cgroup/delegate when a cgroup2
/// hierarchy is selected, /sys/devices/system/cpu/isolated for a v1 cpuset. Once the session is
/// open, `params.limits` are written on BASE/user/<name> (apply_limits) through the directories
/// the open holds; an allocation failure there leaves the limits unwritten, not the session.
/// Errors: errno and context "<hierarchy>: <cgroup path>: <operation>" (EPERM for a user/<name>
/// owned by another uid; EIO when /proc/<pid>/cgroup disagrees after the move; ENOSPC when no
/// index up to kMaxSessionIndex is free).
Result<OpenedSession> open_session(const Discovery& discovery, const Selection& selection, const OpenParams& params,
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

} // namespace cgfs
