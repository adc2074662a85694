// cgfs: one hierarchy's part of an open that creates a session (Placement::created): the tree
// BASE/user (root's) → BASE/user/<name> (root's; on cgroup2 its cgroup.procs the user's) →
// BASE/user/<name>/<N> (the session, the user's) → on cgroup2 <N>/init.scope, the leaf the caller
// is moved into (pam_cgfs(8) "The cgroups of a session", "The session leaf on cgroup2"). Each
// level is held open; a level knows whether this open made it, so undoing removes exactly that.
#pragma once

#include "hierarchy.hpp"
#include "note.hpp"
#include "result.hpp"
#include "self_move.hpp"
#include "session.hpp"
#include "unique_fd.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <sys/types.h>
#include <vector>

namespace cgfs {

/// What every hierarchy's part of one open shares: the user, the process, the kernel's lists, the
/// notes, and what the first steps learnt (whether the umask keeps kDirMode, whether the caller
/// is its whole process).
class OpenContext {
public:
    /// `kernel_delegate_list`: text of /sys/kernel/cgroup/delegate ("" = the fallback list);
    /// `isolated_cpus`: from /sys/devices/system/cpu/isolated.
    OpenContext(const OpenParams& params, std::string_view kernel_delegate_list, std::vector<unsigned> isolated_cpus,
                Notes& notes);

    [[nodiscard]] const UserIdentity& user() const { return params_.user; }
    [[nodiscard]] const OpenParams& params() const { return params_; }
    [[nodiscard]] const std::vector<unsigned>& isolated_cpus() const { return isolated_cpus_; }
    /// The files delegation chows in a cgroup of this version (delegated_files).
    [[nodiscard]] const std::vector<std::string>& files(CgroupVersion version) const
    {
        return version == CgroupVersion::v1 ? files_v1_ : files_v2_;
    }
    [[nodiscard]] Notes& notes() const { return notes_; }

    /// How the caller moves itself in a hierarchy of `version` (move_self); whether it is its whole
    /// process is asked once per open.
    [[nodiscard]] MoveSelf move(CgroupVersion version);
    /// What move() decided, without asking (false before the first move).
    [[nodiscard]] MoveSelf move_back(CgroupVersion version) const;

    /// Opens the directory `name` below `parent_fd`, creating it (kDirMode, fixed on the fd
    /// whatever the umask) unless it exists. `look_first`: open before trying mkdir, for a
    /// directory nearly always there. `st`, when given, receives its stat (and teaches fix_mode
    /// what the umask does). `created` is set when this call made it. Errors: errno, context
    /// `where`.
    Result<UniqueFd> ensure_dir(int parent_fd, std::string_view name, const std::string& where, bool& created,
                                struct stat* st = nullptr, bool look_first = false);
    /// Learns from the stat of a directory this open has just made what the umask does to
    /// kDirMode: when it leaves it as it is, fix_mode has nothing to do.
    void learn_mode(const struct stat& st);
    /// Gives a directory this open made mode kDirMode (pam_cgfs(8) "The cgroups of a session":
    /// 0755 whatever the umask), unless an earlier one showed the umask leaves it as it is.
    Result<void> fix_mode(int fd);

private:
    const OpenParams& params_;
    std::vector<std::string> files_v1_;
    std::vector<std::string> files_v2_;
    std::vector<unsigned> isolated_cpus_;
    Notes& notes_;
    std::optional<bool> umask_keeps_mode_; // learnt from the last directory this open made
    std::optional<bool> whole_process_;    // caller_is_whole_process, asked at the first move
};

/// Enables on the cgroup2 cgroup `fd` each of `wanted` that it offers and that its processes
/// allow, one write to cgroup.subtree_control per controller (cgroup-v2.rst "Enabling and
/// Disabling"); never writes where the cgroup holds processes of its own
/// (holds_internal_processes). Returns those of `wanted` now enabled there (to be enabled again
/// one level down); each one left out is a notice prefixed with `where`.
std::vector<std::string> enable_controllers(int fd, const std::vector<std::string>& wanted, const std::string& where,
                                            Notes& notes);

/// A directory level of a session tree: its fd, and whether this open made it.
struct TreeLevel {
    UniqueFd fd;
    bool created = false;
};

/// What claim() found at an index.
enum class Claim {
    ours, ///< <N> (and the cgroup2 leaf) made by this open's exclusive mkdir and shown fresh
    taken ///< the index is someone else's: try the next
};

/// What enter() found once the caller sat in its leaf.
enum class Entry {
    alone, ///< only the caller is there
    shared ///< another process is there too: the cgroup is not this session's alone
};

/// One hierarchy's session tree during open. Steps in order: prepare(), claim(), enter(),
/// delegate(); release() undoes the last three, undo() everything. Paths in errors and notes are
/// "<hierarchy>: <cgroup path>".
class SessionTree {
public:
    /// `record` (this hierarchy's entry of the session record, placement created) is filled in
    /// as the steps go; `enable`: the cgroup2 controllers the selection asks for.
    SessionTree(const Hierarchy& hierarchy, std::vector<std::string> enable, OpenContext& context,
                HierarchySession& record);

    /// Opens BASE, BASE/user and BASE/user/<name>, creating the two below BASE where missing:
    /// controllers enabled down to user/<name> (cgroup2), the v1 cpuset and memory set-up.
    /// BASE/user/<name> must be root's or the user's (one of the user's is taken back, a notice;
    /// pam_cgfs(8) THREAT MODEL); only user_dir_files() in it are the user's. Errors: errno and
    /// context; EPERM for a user/<name> of another uid.
    Result<void> prepare();
    /// Subdirectories of BASE/user/<name> when prepare() found it (0 when it made it).
    [[nodiscard]] long entries() const { return entries_; }
    /// The open BASE/user/<name> (after prepare()).
    [[nodiscard]] int user_dir() const { return user_dir_.fd.get(); }
    /// BASE/user/<name> as a cgroup path, and as "<hierarchy>: BASE/user/<name>" (the prefix of
    /// reaping's notes).
    [[nodiscard]] const std::string& user_dir_cgroup() const { return user_dir_cg_; }
    [[nodiscard]] std::string user_dir_where() const;
    /// "<hierarchy>: <leaf>" of the claimed session.
    [[nodiscard]] std::string leaf_where() const { return where(record_.leaf); }
    [[nodiscard]] const Hierarchy& hierarchy() const { return hierarchy_; }

    /// Claims index `index`: an exclusive mkdir of <N> (the lock), its times stamped for reapers
    /// (pam_cgfs(8) "Reaping"), its mode and controllers set, and on cgroup2 the leaf made while
    /// <N> is still root's. An <N> or leaf that is not root's without subdirectories once opened
    /// (pam_cgfs(8) SECURITY) was not made by this call: Claim::taken. Errors: errno and context.
    Result<Claim> claim(long index);
    /// Moves the caller into the claimed leaf (self_move.hpp) and reads the leaf's members back
    /// through the same open file: Entry::shared when another process is there (a concurrent
    /// reaper removed the fresh <N> between mkdir and open and another login made it again).
    Result<Entry> enter();
    /// Hands <N> and its leaf to the user once the caller sits in them (until then they are root's,
    /// so the move needs no CAP_DAC_OVERRIDE), then reads the owner back (pam_cgfs(8) RETURN
    /// VALUES: success means delegated). Errors: errno and context; EIO when the owner differs.
    Result<void> delegate();
    /// Undoes claim() and enter(): the caller moved back to its origin (a notice when that fails),
    /// the leaf and <N> removed. Never fails.
    void release();
    /// release(), then BASE/user/<name> and BASE/user removed where prepare() made them.
    void undo();

private:
    Result<void> open_base();
    Result<void> take_user_dir(const struct stat& st);
    Result<void> init_level(int parent_fd, int fd, bool created, const std::string& cgroup);
    Result<Claim> claim_leaf(const std::string& session_cg);
    [[nodiscard]] std::string where(std::string_view cgroup) const;
    [[nodiscard]] int base() const { return base_fd_.valid() ? base_fd_.get() : hierarchy_.root.get(); }
    [[nodiscard]] const std::vector<std::string>& files() const { return context_.files(hierarchy_.version); }

    const Hierarchy& hierarchy_;
    std::vector<std::string> enable_; // cgroup2 controllers still to enable at lower levels
    OpenContext& context_;
    HierarchySession& record_;
    std::string user_dir_cg_; // BASE/user/<name>
    UniqueFd base_fd_;        // BASE, when it is not the mount root itself
    TreeLevel user_;          // BASE/user
    TreeLevel user_dir_;      // BASE/user/<name>
    TreeLevel session_;       // <N>
    TreeLevel leaf_;          // <N>/init.scope (cgroup2)
    std::string session_name_;
    long entries_ = 0;
    bool memory_checked_ = false; // v1 memory.use_hierarchy looked at on a level this attempt made
    bool entered_ = false;
};

/// True for the errors of a cgroup removed under an open by a concurrent close or reaper: ENOENT
/// on a lookup or a mkdir in a removed parent, ENODEV on a write to a file of a removed cgroup.
[[nodiscard]] bool is_vanished(int code);

} // namespace cgfs
