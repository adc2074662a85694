// cgfs: session open/close (see session.hpp).
#include "session.hpp"

#include "cpuset.hpp"
#include "delegation.hpp"
#include "fault.hpp"
#include "fs.hpp"
#include "systemd_unit.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <optional>
#include <set>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

namespace cgfs {

namespace {

constexpr std::string_view kUserDir = "user";
/// Enough of cgroup.procs to see whether it lists any pid.
constexpr std::size_t kProcsProbeBytes = 64;

std::vector<std::string_view> components(std::string_view rel)
{
    std::vector<std::string_view> parts;
    while (!rel.empty()) {
        const std::size_t slash = rel.find('/');
        const std::string_view part = rel.substr(0, slash);
        if (!part.empty())
            parts.push_back(part);
        if (slash == std::string_view::npos)
            break;
        rel.remove_prefix(slash + 1);
    }
    return parts;
}

/// pam_cgfs(8) "systemd user slices": `origin` is strictly below BASE/user.slice/user-<uid>.slice/, anchored at
/// BASE (only root can create there) and the uid compared as a number.
bool in_own_systemd_slice(std::string_view origin, std::string_view base, uid_t uid)
{
    const auto rel = cgroup_relative(origin, base);
    if (!rel)
        return false;
    const auto parts = components(*rel);
    return parts.size() >= 3 && parts[0] == "user.slice" && is_user_slice_of(parts[1], uid);
}

bool newer(const timespec& a, const timespec& b)
{
    return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

bool is_vanished(int code)
{
    // A cgroup removed under us by a concurrent close or reaper: ENOENT on lookup or mkdir in a
    // removed parent, ENODEV when writing to a file of a removed cgroup.
    return code == ENOENT || code == ENODEV;
}

/// True when the cgroup at `fd` looks as one that a root process has just made: owned by root
/// and without subdirectories (kernfs counts a directory's links as 2 plus its subdirectories).
/// Only root can make a directory root's: the user cannot forge one.
bool fresh(int fd)
{
    auto st = fs::stat_fd(fd);
    return st.ok() && st.value().st_uid == 0 && st.value().st_nlink == 2;
}

/// True when `pid` is this process, the calling thread is its main thread and it has no other
/// thread (proc(5) /proc/pid/task holds one directory per thread, and a directory's link count is
/// 2 plus its subdirectories). Then the calling thread is the whole process.
bool caller_is_whole_process(pid_t pid)
{
    if (pid != ::getpid() || ::gettid() != pid)
        return false;
    struct stat st {};
    return ::stat("/proc/self/task", &st) == 0 && st.st_nlink == 3;
}

/// Where and what to write to move the caller into a cgroup: on a v1 hierarchy, when the caller
/// is the whole process (caller_is_whole_process), "0" into `tasks`, which moves the writing
/// thread (cgroups(7): v1 `tasks` takes thread ids; kernel/cgroup/cgroup.c
/// cgroup_procs_write_start: pid 0 is the writer); else its pid into `cgroup.procs`. The result
/// is the same, but a thread that moves itself is moved without the kernel's global threadgroup
/// lock, whose first writer after an idle spell waits for an RCU grace period (from a fraction
/// of a millisecond to several on a busy machine), and a new process, as sshd makes one per
/// connection, always comes after such a spell. cgroup2 moves a single thread only within its
/// threaded domain (cgroup-v2.rst "Threads"), so there it is always `cgroup.procs`.
struct MoveSelf {
    const char* file;
    std::string data;
};

MoveSelf move_self(CgroupVersion version, bool whole_process, pid_t pid)
{
    if (version == CgroupVersion::v1 && whole_process)
        return {"tasks", "0"};
    return {"cgroup.procs", std::to_string(pid)};
}

/// Per selected hierarchy state during open.
struct Work {
    const Hierarchy* hierarchy = nullptr;
    std::vector<std::string> enable; // cgroup2 controllers still to enable at lower levels
    HierarchySession record;
    std::vector<std::string> files; // delegated files
    std::string base_rel;
    std::string origin_rel;

    UniqueFd base_fd;     // BASE, when it is not the mount root itself
    UniqueFd user_fd;     // BASE/user
    UniqueFd user_dir_fd; // BASE/user/<name>
    UniqueFd session_fd;  // <N>
    UniqueFd leaf_fd;     // <N>/init.scope (cgroup2)
    bool created_user = false;
    bool created_user_dir = false;
    bool created_session = false;
    bool created_leaf = false;
    bool attached = false;
    bool memory_ready = false; // v1 memory.use_hierarchy checked at a level this attempt created
    std::string session_name;  // <N> as created (undo does not read `record`, which may be moved out)
    long entries = 0;          // subdirectories of BASE/user/<name> when this open found it

    // Placement::systemd_scope: the scope, its init.scope leaf, the pids moved there and the
    // controllers this open enabled in the scope, so that a failed open can undo it.
    UniqueFd scope_fd;
    UniqueFd scope_leaf_fd;
    bool created_scope_leaf = false;
    std::vector<std::string> scope_moved;
    std::vector<std::string> scope_enabled;

    /// BASE: the mount root's fd, or base_fd.
    [[nodiscard]] int base() const { return base_fd.valid() ? base_fd.get() : hierarchy->root.get(); }

    [[nodiscard]] std::string where(std::string_view cgroup) const
    {
        return hierarchy->label() + ": " + std::string(cgroup);
    }
};

class Opener {
public:
    Opener(const Discovery& discovery, const OpenParams& params, Notes& notes)
        : discovery_(discovery), params_(params), notes_(notes)
    {}

    Result<SessionRecord> run(const Selection& selection);

private:
    Result<void> plan(Work& w);
    Result<void> delegate_in_place(Work& w);
    void plan_scope(Work& w);
    Result<void> enter_scope(Work& w);
    void undo_scope(Work& w);
    Result<void> prepare_user_dir(Work& w);
    Result<UniqueFd> ensure_dir(Work& w, int parent_fd, std::string_view name, std::string_view cgroup, bool& created,
                                struct stat* st = nullptr, bool look_first = false);
    Result<void> init_level(Work& w, int parent_fd, int fd, bool created, std::string_view cgroup);
    void enable_controllers(Work& w, int fd, std::string_view cgroup);
    Result<void> fix_mode(int fd);
    long reap(std::vector<Work>& works, std::set<long>& used);
    Result<bool> create_session(Work& w, long index);
    Result<bool> attach(Work& w);
    Result<void> delegate_session(Work& w);
    Result<void> verify(const std::vector<Work>& works);
    void undo_created(Work& w);
    void undo_attempt(std::vector<Work>& works);
    void undo_all(std::vector<Work>& works) noexcept;
    Result<SessionRecord> run_unguarded(const Selection& selection, std::vector<Work>& works);

    const Discovery& discovery_;
    const OpenParams& params_;
    Notes& notes_;
    std::string user_rel_;                 // "user/<name>"
    std::optional<bool> umask_keeps_mode_; // learnt from the first directory this call made
    std::optional<bool> whole_process_;    // caller_is_whole_process, asked at the first move
};

Result<void> Opener::plan(Work& w)
{
    const Hierarchy& h = *w.hierarchy;
    w.record.version = h.version;
    w.record.label = h.label();
    w.record.mount.controllers = h.controllers;
    w.record.mount.name = h.name;
    w.record.mount.mount_point = h.mount_point;
    w.record.mount.mount_root = h.mount_root;
    if (auto st = fs::stat_fd(h.root.get()); st.ok()) {
        w.record.mount.dev = st.value().st_dev;
        w.record.mount.ino = st.value().st_ino;
    }
    w.record.origin = h.self_cgroup;
    w.record.base = base_cgroup(h);
    auto origin_rel = path_below_mount(h, h.self_cgroup);
    if (!origin_rel)
        return make_error(EXDEV,
                          w.where(h.self_cgroup) + ": the caller's cgroup is outside the mount at " + h.mount_point);
    w.origin_rel = *origin_rel;
    w.base_rel = path_below_mount(h, w.record.base).value_or(std::string());
    w.files = delegated_files(h.version, params_.kernel_delegate_list);

    const std::string user_dir = join_cgroup(w.record.base, user_rel_);
    if (const auto below = cgroup_relative(h.self_cgroup, user_dir); below && !below->empty()) {
        // pam_cgfs(8) "Cgroups that already belong to the user": `su - alice` from alice's session
        // must not nest user/alice/0/user/alice/0.
        // The owner is checked on the opened fd, never by path. BASE/user/<name> itself is
        // root's and no session (pam_cgfs(8) THREAT MODEL), whoever sits there.
        auto fd = fs::open_path_at(h.root.get(), w.origin_rel);
        if (fd.ok()) {
            auto st = fs::stat_fd(fd.value().get());
            if (st.ok() && st.value().st_uid == params_.user.uid) {
                w.record.placement = Placement::already_delegated;
                w.record.session = h.self_cgroup;
                w.record.leaf = h.self_cgroup;
                debug(notes_,
                      w.where(h.self_cgroup) + ": already delegated to " + params_.user.name + ", left as it is");
                return {};
            }
        }
    }
    if (in_own_systemd_slice(h.self_cgroup, w.record.base, params_.user.uid)) {
        w.record.placement = Placement::systemd_in_place;
        w.record.session = h.self_cgroup;
        w.record.leaf = h.self_cgroup;
        if (h.version == CgroupVersion::v2 &&
            classify_systemd_cgroup(h.self_cgroup, w.record.base, params_.user.uid) == SystemdCgroup::session_scope)
            plan_scope(w);
        return {};
    }
    w.record.placement = Placement::created;
    return {};
}

Result<void> Opener::delegate_in_place(Work& w)
{
    auto fd = fs::open_path_at(w.hierarchy->root.get(), w.origin_rel);
    if (!fd.ok())
        return fd.error().wrap(w.where(w.record.origin));
    std::vector<OwnerChange> changes;
    if (auto done = delegate_cgroup(fd.value().get(), w.files, params_.user.uid, params_.user.gid, changes); !done.ok())
        return done.error().wrap(w.where(w.record.origin));
    debug(notes_, w.where(w.record.origin) + ": systemd cgroup of uid " + std::to_string(params_.user.uid) +
                      " delegated in place");
    return {};
}

/// pam_cgfs(8) "systemd session scopes": logind's scope of this login on cgroup2. Only a scope
/// systemd delegates (Delegate=yes, from the drop-in the package installs) may be given its
/// init.scope leaf and controllers: systemd owns the cgroup.subtree_control of any other unit
/// and rewrites it at its next reload (systemd's docs/CGROUP_DELEGATION.md).
void Opener::plan_scope(Work& w)
{
    auto fd = fs::open_path_at(w.hierarchy->root.get(), w.origin_rel);
    auto delegated = fd.ok() ? delegated_by_systemd(fd.value().get()) : Result<bool>(fd.error());
    if (!delegated.ok()) {
        notice(notes_, w.where(w.record.origin) + ": " + delegated.error().message() +
                           "; session scope delegated in place, containers started in it get no controllers");
        return;
    }
    if (!delegated.value()) {
        notice(notes_,
               w.where(w.record.origin) +
                   ": session scope not delegated by systemd (no Delegate=yes), so containers started in "
                   "it get no controllers; install the session-.scope.d drop-in (pam_cgfs(8), systemd session scopes)");
        return;
    }
    w.record.placement = Placement::systemd_scope;
    w.record.leaf = join_cgroup(w.record.origin, kSessionLeaf);
    w.scope_fd = std::move(fd).value();
}

/// Moves every process of the delegated session scope into <scope>/init.scope (the caller
/// first), enables in the scope each controller it offers, then delegates scope and leaf (the
/// leaf's memory.* delegate files exist only once the scope passes memory on).
Result<void> Opener::enter_scope(Work& w)
{
    const std::string& scope_cg = w.record.session;
    const std::string& leaf_cg = w.record.leaf;
    auto leaf = ensure_dir(w, w.scope_fd.get(), kSessionLeaf, leaf_cg, w.created_scope_leaf);
    if (!leaf.ok())
        return leaf.error();
    w.scope_leaf_fd = std::move(leaf).value();
    const std::string caller = std::to_string(params_.pid);
    if (auto r = fs::write_at(w.scope_leaf_fd.get(), "cgroup.procs", caller); !r.ok())
        return r.error().wrap(w.where(leaf_cg));
    w.scope_moved.push_back(caller);
    // The PAM application's other processes in the scope (sshd's, login's parent) must leave it
    // too: cgroup-v2.rst "no internal processes" refuses controllers to a scope holding any.
    bool emptied = false;
    for (int round = 0; round < kMaxScopeMoveRounds && !emptied; ++round) {
        auto procs = fs::read_at(w.scope_fd.get(), "cgroup.procs");
        if (!procs.ok())
            return procs.error().wrap(w.where(scope_cg));
        emptied = true;
        std::string_view rest = procs.value();
        while (!rest.empty()) {
            const std::size_t newline = rest.find('\n');
            const std::string pid(rest.substr(0, newline));
            rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
            if (pid.empty())
                continue;
            emptied = false;
            if (auto r = fs::write_at(w.scope_leaf_fd.get(), "cgroup.procs", pid); r.ok())
                w.scope_moved.push_back(pid);
            else if (r.error().code != ESRCH) // ESRCH: it exited meanwhile
                notice(notes_, w.where(scope_cg) + ": moving process " + pid + " into " + kSessionLeaf + ": " +
                                   r.error().message());
        }
    }
    if (!emptied)
        notice(notes_, w.where(scope_cg) + ": still holds processes after " + std::to_string(kMaxScopeMoveRounds) +
                           " rounds of moving them into " + kSessionLeaf);
    std::set<std::string> before;
    if (auto text = fs::read_at(w.scope_fd.get(), "cgroup.subtree_control"); text.ok())
        for (auto& word : parse_controllers(text.value()))
            before.insert(std::move(word));
    w.enable.clear();
    if (auto text = fs::read_at(w.scope_fd.get(), "cgroup.controllers"); text.ok())
        w.enable = parse_controllers(text.value());
    enable_controllers(w, w.scope_fd.get(), scope_cg);
    std::string enabled;
    for (const auto& controller : w.enable) {
        if (before.count(controller) == 0)
            w.scope_enabled.push_back(controller);
        enabled += (enabled.empty() ? "" : " ") + controller;
    }
    std::vector<OwnerChange> changes;
    if (auto r = delegate_cgroup(w.scope_fd.get(), w.files, params_.user.uid, params_.user.gid, changes); !r.ok())
        return r.error().wrap(w.where(scope_cg));
    auto delegated = w.created_scope_leaf
                         ? delegate_new_cgroup(w.scope_leaf_fd.get(), w.files, params_.user.uid, params_.user.gid)
                         : delegate_cgroup(w.scope_leaf_fd.get(), w.files, params_.user.uid, params_.user.gid, changes);
    if (!delegated.ok())
        return delegated.error().wrap(w.where(leaf_cg));
    debug(notes_, w.where(scope_cg) + ": session scope delegated by systemd: " + std::to_string(w.scope_moved.size()) +
                      (w.scope_moved.size() == 1 ? " process" : " processes") + " moved into " + kSessionLeaf +
                      ", controllers " + (enabled.empty() ? std::string("none") : enabled) + ", delegated to uid " +
                      std::to_string(params_.user.uid));
    return {};
}

/// Undoes enter_scope for a failed open: the controllers it enabled off again (else the scope
/// refuses processes), the moved processes back into the scope, its own leaf removed. Owner
/// changes stay (see OwnerChange).
void Opener::undo_scope(Work& w)
{
    if (!w.scope_leaf_fd.valid())
        return;
    for (auto it = w.scope_enabled.rbegin(); it != w.scope_enabled.rend(); ++it)
        ignore_error(fs::write_at(w.scope_fd.get(), "cgroup.subtree_control", "-" + *it));
    for (const auto& pid : w.scope_moved)
        if (auto r = fs::write_at(w.scope_fd.get(), "cgroup.procs", pid); !r.ok() && pid == w.scope_moved.front())
            notice(notes_, w.where(w.record.session) + ": moving the process back: " + r.error().message());
    if (w.created_scope_leaf)
        ignore_error(fs::remove_dir_at(w.scope_fd.get(), kSessionLeaf));
    w.scope_leaf_fd.reset();
    w.scope_moved.clear();
    w.scope_enabled.clear();
    w.created_scope_leaf = false;
}

Result<UniqueFd> Opener::ensure_dir(Work& w, int parent_fd, std::string_view name, std::string_view cgroup,
                                    bool& created, struct stat* st, bool look_first)
{
    if (look_first) {
        // For a directory that is nearly always there (BASE/user): one open instead of a
        // refused mkdir and an open.
        created = false;
        auto fd = fs::open_dir_at(parent_fd, name);
        if (fd.ok())
            return fd;
        if (fd.error().code != ENOENT)
            return fd.error().wrap(w.where(cgroup));
    }
    auto made = fs::make_dir_at(parent_fd, name, kDirMode);
    if (!made.ok())
        return made.error().wrap(w.where(cgroup));
    created = made.value();
    auto fd = fs::open_dir_at(parent_fd, name);
    if (!fd.ok())
        return fd.error().wrap(w.where(cgroup));
    if (st != nullptr) {
        // The caller needs the owner anyway; a directory just made also shows what the umask
        // does to kDirMode, for fix_mode.
        auto got = fs::stat_fd(fd.value().get());
        if (!got.ok())
            return got.error().wrap(w.where(cgroup));
        *st = got.value();
        if (created)
            umask_keeps_mode_ = (st->st_mode & 07777) == kDirMode;
    }
    if (created) {
        if (auto mode = fix_mode(fd.value().get()); !mode.ok())
            return mode.error().wrap(w.where(cgroup));
        if (st != nullptr)
            st->st_mode = (st->st_mode & ~static_cast<mode_t>(07777)) | kDirMode;
    }
    return fd;
}

Result<void> Opener::fix_mode(int fd)
{
    // The umask applied to mkdirat; the mode is fixed on the fd (pam_cgfs(8) "The cgroups of a
    // session": 0755 whatever the umask), unless a directory made earlier in this call showed that
    // the umask leaves kDirMode as it is.
    if (umask_keeps_mode_.value_or(false))
        return {};
    return fs::chmod_fd(fd, kDirMode);
}

Result<void> Opener::init_level(Work& w, int parent_fd, int fd, bool created, std::string_view cgroup)
{
    const Hierarchy& h = *w.hierarchy;
    if (h.version == CgroupVersion::v1 && h.has_controller("cpuset")) {
        if (auto r = init_cpuset(parent_fd, fd, params_.isolated_cpus, created); !r.ok())
            return r.error().wrap(w.where(cgroup));
    }
    if (created && !w.memory_ready && h.version == CgroupVersion::v1 && h.has_controller("memory")) {
        // cgroup-v1/memory.rst §6: hierarchical accounting; fixed at 1 on newer kernels. A memory
        // cgroup takes its parent's setting when it is made, and a child of a hierarchical one
        // cannot leave it, so only the first level this open creates needs the look.
        w.memory_ready = true;
        auto current = fs::read_at(fd, "memory.use_hierarchy");
        if (current.ok() && current.value().substr(0, 1) == "0") {
            if (auto r = fs::write_at(fd, "memory.use_hierarchy", "1"); !r.ok())
                debug(notes_, w.where(cgroup) + ": " + r.error().message());
        }
    }
    if (h.version == CgroupVersion::v2)
        enable_controllers(w, fd, cgroup);
    return {};
}

void Opener::enable_controllers(Work& w, int fd, std::string_view cgroup)
{
    if (w.enable.empty())
        return;
    std::set<std::string> available;
    std::set<std::string> enabled;
    if (auto text = fs::read_at(fd, "cgroup.controllers"); text.ok())
        for (auto& word : parse_controllers(text.value()))
            available.insert(std::move(word));
    if (auto text = fs::read_at(fd, "cgroup.subtree_control"); text.ok())
        for (auto& word : parse_controllers(text.value()))
            enabled.insert(std::move(word));
    std::vector<std::string> still;
    std::optional<bool> internal; // asked once, and only when something is to be enabled here
    for (const auto& controller : w.enable) {
        if (enabled.count(controller) != 0) {
            still.push_back(controller);
            continue;
        }
        if (available.count(controller) == 0) {
            notice(notes_, w.where(cgroup) + ": controller " + controller + " is not available, not enabled");
            continue;
        }
        if (!internal)
            internal = holds_internal_processes(fd);
        if (*internal) {
            // Never write here: a threaded controller would be accepted and turn this cgroup
            // into a thread root, after which no process can enter the session below it.
            notice(notes_, w.where(cgroup) + ": holds processes of its own, " + controller +
                               " not enabled (cgroup-v2.rst: no internal processes)");
            continue;
        }
        // cgroup-v2.rst "Enabling and Disabling": one controller per write keeps a refusal
        // (EBUSY from processes in this cgroup, ENOENT, EPERM) from hiding the others.
        if (auto r = fs::write_at(fd, "cgroup.subtree_control", "+" + controller); !r.ok()) {
            notice(notes_, w.where(cgroup) + ": enabling " + controller + ": " + r.error().message());
            continue;
        }
        still.push_back(controller);
    }
    w.enable = std::move(still);
}

Result<void> Opener::prepare_user_dir(Work& w)
{
    const Hierarchy& h = *w.hierarchy;
    const std::string user_cg = join_cgroup(w.record.base, kUserDir);
    const std::string user_dir_cg = join_cgroup(w.record.base, user_rel_);

    if (!w.base_rel.empty()) {
        auto base = fs::open_path_at(h.root.get(), w.base_rel);
        if (!base.ok())
            return base.error().wrap(w.where(w.record.base));
        w.base_fd = std::move(base).value();
    }
    if (h.version == CgroupVersion::v2)
        enable_controllers(w, w.base(), w.record.base);

    auto user = ensure_dir(w, w.base(), kUserDir, user_cg, w.created_user, nullptr, true);
    if (!user.ok())
        return user.error();
    w.user_fd = std::move(user).value();
    if (auto r = init_level(w, w.base(), w.user_fd.get(), w.created_user, user_cg); !r.ok())
        return r;

    struct stat st {};
    auto dir = ensure_dir(w, w.user_fd.get(), params_.user.name, user_dir_cg, w.created_user_dir, &st);
    if (!dir.ok())
        return dir.error();
    w.user_dir_fd = std::move(dir).value();
    // kernfs counts a directory's links as 2 plus its subdirectories.
    w.entries = w.created_user_dir || st.st_nlink < 2 ? 0 : static_cast<long>(st.st_nlink) - 2;
    const uid_t owner = st.st_uid;
    if (owner != params_.user.uid && owner != 0) {
        // pam_cgfs(8) SECURITY: another user's cgroups are never chowned or reused.
        return make_error(EPERM, w.where(user_dir_cg) + ": owned by uid " + std::to_string(owner) + ", not by " +
                                     params_.user.name + " (uid " + std::to_string(params_.user.uid) + ")");
    }
    if (auto r = init_level(w, w.user_fd.get(), w.user_dir_fd.get(), w.created_user_dir, user_dir_cg); !r.ok())
        return r;
    // pam_cgfs(8) THREAT MODEL: BASE/user/<name> stays root's, so the user cannot create entries
    // in it (a directory named like a controller file would make every later "+controller" in
    // BASE/user fail with EEXIST, for every user). One left the user's by an older module or by
    // LXC's is taken back.
    if (owner == params_.user.uid && owner != 0) {
        std::vector<std::string> back;
        const auto mine = user_dir_files(h.version);
        for (const auto& file : w.files)
            if (std::find(mine.begin(), mine.end(), file) == mine.end())
                back.push_back(file);
        if (auto r = give_files(w.user_dir_fd.get(), back, 0, 0); !r.ok())
            return r.error().wrap(w.where(user_dir_cg));
        if (auto r = fs::chown_at(w.user_dir_fd.get(), std::string_view(), 0, 0); !r.ok())
            return r.error().wrap(w.where(user_dir_cg));
        notice(notes_, w.where(user_dir_cg) + ": owned by " + params_.user.name +
                           " (made by an older module), taken back: root's from now on, as pam_cgfs(8) says");
    }
    if (auto r = give_files(w.user_dir_fd.get(), user_dir_files(h.version), params_.user.uid, params_.user.gid);
        !r.ok())
        return r.error().wrap(w.where(user_dir_cg));
    return {};
}

/// pam_cgfs(8) "Reaping", bounded, in every hierarchy where this open creates a session (their
/// BASE/user/<name> open): returns the index the search for a free one starts at, and puts the
/// indexes known to be live in `used`.
long Opener::reap(std::vector<Work>& works, std::set<long>& used)
{
    long entries = 0;
    for (const auto& w : works)
        if (w.record.placement == Placement::created)
            entries = std::max(entries, w.entries);
    if (entries == 0)
        return 0; // user/<name> new or empty everywhere: nothing to reap, 0 is free
    const auto where = [&](const Work& w) { return w.where(join_cgroup(w.record.base, user_rel_)); };
    if (entries <= kFullReapBound) {
        for (auto& w : works) {
            if (w.record.placement != Placement::created || w.entries == 0)
                continue;
            const ReapOutcome outcome =
                reap_stale_sessions(w.user_dir_fd.get(), where(w), params_.started, ReapMode::remove, notes_);
            used.insert(outcome.kept.begin(), outcome.kept.end());
        }
        return 0;
    }
    // Many sessions: no walk over all of them. kReapWindow session cgroups, sampled from the
    // directory at a position that changes from open to open (on cgroupfs a directory position
    // is a name hash, so any index can come up, however high), are looked at; the search for a
    // free index starts at the number of entries, which is free whenever the indexes below are
    // packed. An index live in one hierarchy is a running session: the others are not asked.
    const Work* first_work = nullptr;
    for (const auto& w : works)
        if (w.record.placement == Placement::created && w.entries > 0 && first_work == nullptr)
            first_work = &w;
    // kernfs positions are name hashes in [2, INT_MAX); the seed's bits are spread over all of
    // them (splitmix64's finaliser): tv_nsec < 2^30 and container pids are small, and a plain
    // xor left the upper half of the hash range out of reach.
    std::uint64_t seed = static_cast<std::uint64_t>(params_.started.tv_nsec) ^
                         (static_cast<std::uint64_t>(params_.pid) << 32) ^ static_cast<std::uint64_t>(entries);
    seed = (seed ^ (seed >> 30)) * 0xbf58476d1ce4e5b9ULL;
    seed = (seed ^ (seed >> 27)) * 0x94d049bb133111ebULL;
    seed ^= seed >> 31;
    const auto from = static_cast<off_t>(2 + seed % 0x7ffffffdULL);
    std::vector<long> window;
    if (auto sample = fs::sample_subdirs(first_work->user_dir_fd.get(), from, kReapSample); sample.ok()) {
        for (const auto& name : sample.value())
            if (const long index = parse_session_index(name); index >= 0 && window.size() < kReapWindow)
                window.push_back(index);
    } else {
        debug(notes_, where(*first_work) + ": " + sample.error().message());
    }
    std::string looked;
    for (const long index : window) {
        const std::string name = std::to_string(index);
        looked += (looked.empty() ? "" : ", ") + name;
        for (auto& w : works) {
            if (w.record.placement != Placement::created)
                continue;
            if (reap_if_stale(w.user_dir_fd.get(), name, where(w), params_.started, notes_) == Staleness::live) {
                used.insert(index);
                break;
            }
        }
    }
    for (const auto& w : works)
        if (w.record.placement == Placement::created)
            debug(notes_, where(w) + ": " + std::to_string(w.entries) + " entries, more than " +
                              std::to_string(kFullReapBound) + ": looked at sessions " +
                              (looked.empty() ? std::string("none") : looked) +
                              " only (cgfsctl reap removes every leftover)");
    return entries;
}

Result<bool> Opener::create_session(Work& w, long index)
{
    const std::string name = std::to_string(index);
    const std::string session_cg = join_cgroup(join_cgroup(w.record.base, user_rel_), name);
    auto made = fs::make_dir_at(w.user_dir_fd.get(), name, kDirMode);
    if (!made.ok())
        return made.error().wrap(w.where(session_cg));
    if (!made.value())
        return false; // taken: the exclusive mkdir is the lock
    CGFS_FAULT_POINT("created", name);
    auto fd = fs::open_dir_at(w.user_dir_fd.get(), name);
    if (!fd.ok())
        return fd.error().wrap(w.where(session_cg));
    // pam_cgfs(8) SECURITY: mkdirat gives no fd, so what was opened by name must be shown to be
    // the cgroup just made: still root's (not yet chowned) and without subdirectories (kernfs:
    // 2 links). Anything else was put there by someone else in between: the index is taken,
    // and what is there is not ours to remove.
    if (!fresh(fd.value().get())) {
        debug(notes_, w.where(session_cg) + ": not the cgroup this open made; index taken");
        return false;
    }
    w.created_session = true;
    w.session_name = name;
    w.record.session = session_cg;
    w.record.leaf = session_cg;
    w.session_fd = std::move(fd).value();
    // Stamp the creation time: kernfs keeps explicit times (otherwise an inode's times are those
    // of its last instantiation), and reapers compare them with the start of their open: a leaf
    // made after that start is a concurrent login's and is left alone.
    CGFS_FAULT_POINT("futimens", name);
    if (::futimens(w.session_fd.get(), nullptr) != 0)
        debug(notes_, w.where(session_cg) + ": futimens: " + std::strerror(errno));
    if (auto r = fix_mode(w.session_fd.get()); !r.ok())
        return r.error().wrap(w.where(session_cg));
    if (auto r = init_level(w, w.user_dir_fd.get(), w.session_fd.get(), true, session_cg); !r.ok())
        return r.error();
    if (w.hierarchy->version == CgroupVersion::v2) {
        // The leaf is made while <N> is still root's, so the user cannot have made it first; one
        // that is there anyway, or is not fresh, is not adopted.
        const std::string leaf_cg = join_cgroup(session_cg, kSessionLeaf);
        auto leaf = ensure_dir(w, w.session_fd.get(), kSessionLeaf, leaf_cg, w.created_leaf);
        if (!leaf.ok())
            return leaf.error();
        if (!w.created_leaf || !fresh(leaf.value().get())) {
            debug(notes_, w.where(leaf_cg) + ": not the cgroup this open made; index taken");
            return false;
        }
        w.leaf_fd = std::move(leaf).value();
        w.record.leaf = leaf_cg;
    }
    return true;
}

/// Hands the session's cgroups to the user, once the caller sits in them: until then they are
/// root's, so the move needs no CAP_DAC_OVERRIDE (the user's cgroup.procs would refuse a root
/// that lacks it) and the user can do nothing in them while they are being set up.
Result<void> Opener::delegate_session(Work& w)
{
    if (w.leaf_fd.valid())
        if (auto r = delegate_new_cgroup(w.leaf_fd.get(), w.files, params_.user.uid, params_.user.gid); !r.ok())
            return r.error().wrap(w.where(w.record.leaf));
    if (auto r = delegate_new_cgroup(w.session_fd.get(), w.files, params_.user.uid, params_.user.gid); !r.ok())
        return r.error().wrap(w.where(w.record.session));
    // pam_cgfs(8) RETURN VALUES: success means delegated, so the owner is read back.
    auto st = fs::stat_fd(w.session_fd.get());
    if (!st.ok())
        return st.error().wrap(w.where(w.record.session));
    if (st.value().st_uid != params_.user.uid || st.value().st_gid != params_.user.gid)
        return make_error(EIO, w.where(w.record.session) + ": owner reads back as " +
                                   std::to_string(st.value().st_uid) + ":" + std::to_string(st.value().st_gid) +
                                   ", not " + std::to_string(params_.user.uid) + ":" +
                                   std::to_string(params_.user.gid));
    return {};
}

/// Moves the caller into its leaf. False when, once there, the leaf holds another process too:
/// the cgroup is not this session's alone (see below), and the attempt must start over.
Result<bool> Opener::attach(Work& w)
{
    const int fd = w.leaf_fd.valid() ? w.leaf_fd.get() : w.session_fd.get();
    const std::string pid = std::to_string(params_.pid);
    if (!whole_process_)
        whole_process_ = caller_is_whole_process(params_.pid);
    // Read back through the same file: v1 `tasks` lists thread ids, and the only thread of this
    // process has the process's id.
    const MoveSelf move = move_self(w.hierarchy->version, *whole_process_, params_.pid);
    bool written = false;
    auto procs = fs::write_then_read_at(fd, move.file, move.data, written);
    w.attached = written;
    if (!procs.ok())
        return procs.error().wrap(w.where(w.record.leaf));
    // The exclusive mkdir of <N> is followed by an open of <N> by name (mkdirat gives no fd). In
    // between, a concurrent login's reaper can remove the fresh, still empty <N> and a third login
    // create <N> again, so this open may have opened, and moved into, the third one's cgroup
    // (two sessions in one cgroup, both PAM_SUCCESS). Each open therefore
    // looks after moving in (through the same open file): whoever finds another process there
    // backs off. Of two opens in one cgroup at most one can find itself alone, since the later
    // one to look sees the earlier. Not finding itself counts as not alone.
    bool self = false;
    std::string_view rest = procs.value();
    while (!rest.empty()) {
        const std::size_t newline = rest.find('\n');
        const std::string_view line = rest.substr(0, newline);
        if (!line.empty() && line != pid)
            return false;
        self = self || line == pid;
        if (newline == std::string_view::npos)
            break;
        rest.remove_prefix(newline + 1);
    }
    return self;
}

Result<void> Opener::verify(const std::vector<Work>& works)
{
    // pam_cgfs(8) RETURN VALUES: PAM_SUCCESS means /proc/<pid>/cgroup shows the process there.
    auto text = fs::read_path("/proc/" + std::to_string(params_.pid) + "/cgroup");
    if (!text.ok())
        return text.error();
    const CgroupTable table = parse_proc_cgroup(text.value());
    for (const auto& w : works) {
        const Hierarchy& h = *w.hierarchy;
        const auto line = std::find_if(table.lines.begin(), table.lines.end(),
                                       [&](const CgroupLine& l) { return line_matches(h, l); });
        if (line == table.lines.end())
            return make_error(EIO, w.where(w.record.leaf) + ": hierarchy missing from /proc/" +
                                       std::to_string(params_.pid) + "/cgroup");
        if (line->path != w.record.leaf)
            return make_error(EIO, w.where(w.record.leaf) + ": /proc/" + std::to_string(params_.pid) +
                                       "/cgroup shows " + line->path);
    }
    return {};
}

void Opener::undo_created(Work& w)
{
    if (w.attached) {
        auto origin = fs::open_path_at(w.hierarchy->root.get(), w.origin_rel);
        const MoveSelf move = move_self(w.hierarchy->version, whole_process_.value_or(false), params_.pid);
        Result<void> moved =
            origin.ok() ? fs::write_at(origin.value().get(), move.file, move.data) : Result<void>(origin.error());
        if (!moved.ok())
            notice(notes_, w.where(w.record.origin) + ": moving the process back: " + moved.error().message());
        w.attached = false;
    }
    if (w.created_leaf && w.session_fd.valid())
        ignore_error(fs::remove_dir_at(w.session_fd.get(), kSessionLeaf));
    if (w.created_session && w.user_dir_fd.valid() && !w.session_name.empty())
        ignore_error(fs::remove_dir_at(w.user_dir_fd.get(), w.session_name));
    w.leaf_fd.reset();
    w.session_fd.reset();
    w.created_leaf = false;
    w.created_session = false;
    w.session_name.clear();
}

/// Undoes what one creation attempt made: moves the caller back, removes what it created.
void Opener::undo_attempt(std::vector<Work>& works)
{
    for (auto it = works.rbegin(); it != works.rend(); ++it) {
        Work& w = *it;
        undo_created(w);
        if (w.created_user_dir && w.user_fd.valid())
            ignore_error(fs::remove_dir_at(w.user_fd.get(), params_.user.name));
        if (w.created_user && w.hierarchy->root.valid())
            ignore_error(fs::remove_dir_at(w.base(), kUserDir));
        w.created_user_dir = false;
        w.created_user = false;
        w.memory_ready = false;
    }
}

/// Undoes everything this open created and moves the caller back. Owner changes stay (see
/// OwnerChange: a concurrent login of the same user may rely on them). Best effort and never
/// throwing: it also runs while an exception (bad_alloc) is on its way out.
void Opener::undo_all(std::vector<Work>& works) noexcept
{
    try {
        for (auto& w : works)
            undo_scope(w);
        undo_attempt(works);
    } catch (...) {
        // Out of memory while undoing: what is left is reaped at the next open.
    }
}

Result<SessionRecord> Opener::run(const Selection& selection)
{
    std::vector<Work> works;
    try {
        return run_unguarded(selection, works);
    } catch (...) {
        // Nothing half-made survives an exception (the adapter reports PAM_BUF_ERR).
        undo_all(works);
        throw;
    }
}

Result<SessionRecord> Opener::run_unguarded(const Selection& selection, std::vector<Work>& works)
{
    user_rel_ = std::string(kUserDir) + "/" + params_.user.name;
    works.resize(selection.chosen.size());
    for (std::size_t i = 0; i < works.size(); ++i) {
        works[i].hierarchy = &discovery_.hierarchies[selection.chosen[i].index];
        works[i].enable = selection.chosen[i].enable;
        if (auto r = plan(works[i]); !r.ok())
            return r.error();
    }
    const auto fail = [&](const Error& error) -> Result<SessionRecord> {
        undo_all(works);
        return error;
    };
    for (auto& w : works)
        if (w.record.placement == Placement::systemd_in_place)
            if (auto r = delegate_in_place(w); !r.ok())
                return fail(r.error());

    long index = -1;
    bool any_created =
        std::any_of(works.begin(), works.end(), [](const Work& w) { return w.record.placement == Placement::created; });
    for (int attempt = 0; any_created && attempt < kMaxCreateAttempts; ++attempt) {
        std::set<long> used;
        std::optional<Error> vanished;
        long candidate = 0;
        for (auto& w : works) {
            if (w.record.placement != Placement::created)
                continue;
            if (auto r = prepare_user_dir(w); !r.ok()) {
                if (!is_vanished(r.error().code))
                    return fail(r.error());
                vanished = r.error();
                break;
            }
        }
        if (!vanished)
            candidate = reap(works, used);
        // The lowest index free in every hierarchy (from where reap() says the search starts);
        // an exclusive mkdir that still finds it taken moves on to the next.
        while (!vanished && index < 0 && candidate <= kMaxSessionIndex) {
            while (used.count(candidate) != 0)
                ++candidate;
            if (candidate > kMaxSessionIndex)
                break;
            bool taken = false;
            for (auto& w : works) {
                if (w.record.placement != Placement::created)
                    continue;
                auto made = create_session(w, candidate);
                if (!made.ok()) {
                    if (!is_vanished(made.error().code))
                        return fail(made.error());
                    vanished = made.error();
                    break;
                }
                if (!made.value()) {
                    taken = true;
                    break;
                }
            }
            if (vanished)
                break;
            if (taken) {
                for (auto& w : works)
                    undo_created(w);
                used.insert(candidate);
                continue;
            }
            index = candidate;
        }
        if (!vanished && index < 0)
            return fail(make_error(ENOSPC, "no free session index up to " + std::to_string(kMaxSessionIndex)));
        if (!vanished) {
            for (auto& w : works) {
                if (w.record.placement != Placement::created)
                    continue;
                auto r = attach(w);
                if (!r.ok()) {
                    if (!is_vanished(r.error().code))
                        return fail(r.error());
                    vanished = r.error();
                    break;
                }
                if (!r.value()) {
                    vanished = make_error(EBUSY, w.where(w.record.leaf) + ": another process moved in too");
                    break;
                }
            }
        }
        if (!vanished) {
            for (auto& w : works) {
                if (w.record.placement != Placement::created)
                    continue;
                if (auto r = delegate_session(w); !r.ok()) {
                    if (!is_vanished(r.error().code))
                        return fail(r.error());
                    vanished = r.error();
                    break;
                }
            }
        }
        if (!vanished)
            break;
        // Something this attempt made was removed by a concurrent close or reaper, or its cgroup
        // turned out to be another login's too: start over.
        debug(notes_, vanished->message() + "; retrying");
        undo_attempt(works);
        index = -1;
        if (attempt + 1 == kMaxCreateAttempts)
            return fail(vanished->wrap("gave up after " + std::to_string(kMaxCreateAttempts) + " attempts"));
    }
    // Last, so that nothing after it but the check can fail: undoing it is the most disruptive.
    for (auto& w : works)
        if (w.record.placement == Placement::systemd_scope)
            if (auto r = enter_scope(w); !r.ok())
                return fail(r.error());
    if (auto r = verify(works); !r.ok())
        return fail(r.error());

    SessionRecord record;
    record.user = params_.user;
    record.index = index;
    // Every allocation before the first record moves out: an out-of-memory exception from here
    // still finds each Work whole for the undo (found by failing each malloc of an open in turn).
    record.hierarchies.reserve(works.size());
    for (auto& w : works)
        record.hierarchies.push_back(std::move(w.record));
    return record;
}

const Hierarchy* find_hierarchy(const Discovery& discovery, const HierarchySession& h)
{
    for (const auto& candidate : discovery.hierarchies)
        if (candidate.version == h.version && candidate.label() == h.label)
            return &candidate;
    return nullptr;
}

/// Removes `name` below `parent_fd` bottom-up within the bounds. 0 when it is gone, else the
/// errno of its last rmdir (or of the open that looked into it); `bounded` is set when the
/// bounds left part of the tree unvisited.
int remove_tree_at(int parent_fd, const std::string& name, int depth, int& budget, bool& bounded)
{
    if (depth > kMaxTreeDepth || budget <= 0) {
        bounded = true;
        return ENOTEMPTY;
    }
    --budget;
    // An empty cgroup without children (the usual leftover) goes at the first rmdir; only a
    // refused one is looked into.
    if (auto removed = fs::remove_dir_at(parent_fd, name); removed.ok() || removed.error().code == ENOENT)
        return 0;
    auto fd = fs::open_dir_at(parent_fd, name);
    if (!fd.ok())
        return fd.error().code == ENOENT ? 0 : fd.error().code;
    // The listing is bounded like the removals (pam_cgfs(8) THREAT MODEL): a tree of any width
    // costs at most the budget's names.
    if (auto children = fs::list_subdirs(fd.value().get(), static_cast<std::size_t>(budget) + 1); children.ok()) {
        for (const auto& child : children.value()) {
            if (budget <= 0) {
                bounded = true;
                break;
            }
            (void)remove_tree_at(fd.value().get(), child, depth + 1, budget, bounded);
        }
    }
    auto removed = fs::remove_dir_at(parent_fd, name);
    return removed.ok() || removed.error().code == ENOENT ? 0 : removed.error().code;
}

bool populated_at(int fd, int depth, int& budget)
{
    if (depth > kMaxTreeDepth || --budget < 0)
        return true;
    if (auto events = fs::read_at(fd, "cgroup.events"); events.ok()) {
        const std::string& text = events.value();
        const std::size_t at = text.find("populated ");
        return at == std::string::npos || text.compare(at, 11, "populated 0") != 0;
    }
    auto procs = fs::read_at(fd, "cgroup.procs");
    if (!procs.ok()) {
        if (procs.error().code != ENOENT)
            return true;
    } else if (procs.value().find_first_not_of(" \n") != std::string::npos) {
        return true;
    }
    if (auto st = fs::stat_fd(fd); st.ok() && st.value().st_nlink == 2)
        return false; // no subdirectories (kernfs: 2 links plus one per subdirectory)
    auto children = fs::list_subdirs(fd, budget > 0 ? static_cast<std::size_t>(budget) + 1 : 1);
    if (!children.ok())
        return true;
    for (const auto& child : children.value()) {
        auto child_fd = fs::open_dir_at(fd, child);
        if (!child_fd.ok()) {
            if (child_fd.error().code == ENOENT)
                continue;
            return true;
        }
        if (populated_at(child_fd.value().get(), depth + 1, budget))
            return true;
    }
    return false;
}

} // namespace

long parse_session_index(std::string_view name)
{
    if (name.empty() || name.size() > 7 || (name.size() > 1 && name[0] == '0'))
        return -1;
    long value = -1;
    const auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), value);
    if (ec != std::errc() || ptr != name.data() + name.size() || value < 0 || value > kMaxSessionIndex)
        return -1;
    return value;
}

bool remove_tree(int parent_fd, const std::string& name, const std::string& where, Notes& notes)
{
    int budget = kMaxTreeEntries;
    bool bounded = false;
    const int error = remove_tree_at(parent_fd, name, 0, budget, bounded);
    // One note for the whole tree, however wide or deep (pam_cgfs(8) THREAT MODEL).
    if (error != 0)
        debug(notes, where +
                         (bounded ? std::string(": cgroup tree deeper or larger than the removal bounds")
                                  : ": " + std::string(std::strerror(error))) +
                         ", left in place");
    return error == 0;
}

bool tree_populated(int fd)
{
    int budget = kMaxTreeEntries;
    return populated_at(fd, 0, budget);
}

namespace {

/// Polls tree_populated(fd) every kCloseDrainPoll until it is false or `deadline` has passed.
/// True when the tree emptied.
bool drained_by(int fd, std::chrono::steady_clock::time_point deadline)
{
    const timespec pause{0, std::chrono::duration_cast<std::chrono::nanoseconds>(kCloseDrainPoll).count()};
    while (tree_populated(fd)) {
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        ::nanosleep(&pause, nullptr);
    }
    return true;
}

} // namespace

namespace {

/// pam_cgfs(8) "Reaping": only a session that is empty as a whole (no process anywhere below it) and older than
/// this open is a leftover; a live one keeps every sub-cgroup the user made.
Staleness stale_at(int user_dir_fd, const std::string& name, const timespec& started)
{
    auto fd = fs::open_dir_at(user_dir_fd, name);
    if (!fd.ok())
        return fd.error().code == ENOENT ? Staleness::missing : Staleness::live;
    auto st = fs::stat_fd(fd.value().get());
    const bool stale = st.ok() && !newer(st.value().st_mtim, started) && !tree_populated(fd.value().get());
    return stale ? Staleness::removed : Staleness::live;
}

} // namespace

Staleness reap_if_stale(int user_dir_fd, const std::string& name, const std::string& where, const timespec& started,
                        Notes& notes)
{
    const Staleness found = stale_at(user_dir_fd, name, started);
    if (found != Staleness::removed)
        return found;
    const std::string session_where = where + "/" + name;
    if (!remove_tree(user_dir_fd, name, session_where, notes))
        return Staleness::live;
    debug(notes, session_where + ": stale, removed");
    return Staleness::removed;
}

ReapOutcome reap_stale_sessions(int user_dir_fd, const std::string& where, const timespec& started, ReapMode mode,
                                Notes& notes)
{
    ReapOutcome outcome;
    auto names = fs::list_subdirs(user_dir_fd);
    if (!names.ok()) {
        debug(notes, where + ": " + names.error().message());
        return outcome;
    }
    for (const auto& name : names.value()) {
        const long index = parse_session_index(name);
        if (index < 0)
            continue;
        const Staleness found = mode == ReapMode::dry_run ? stale_at(user_dir_fd, name, started)
                                                          : reap_if_stale(user_dir_fd, name, where, started, notes);
        if (found == Staleness::removed)
            outcome.removed.push_back(index);
        else if (found == Staleness::live)
            outcome.kept.insert(index);
    }
    return outcome;
}

bool holds_internal_processes(int fd)
{
    if (auto type = fs::read_at(fd, "cgroup.type"); !type.ok() && type.error().code == ENOENT)
        return false;
    // One pid is enough to know: a small cap, EFBIG means "more than nothing".
    auto procs = fs::read_at(fd, "cgroup.procs", kProcsProbeBytes);
    return !procs.ok() || procs.value().find_first_not_of(" \n") != std::string::npos;
}

Result<SessionRecord> open_session(const Discovery& discovery, const Selection& selection, const OpenParams& params,
                                   Notes& notes)
{
    Opener opener(discovery, params, notes);
    return opener.run(selection);
}

namespace {

/// The fd of the directory `rel` below h's root: the root's own when `rel` is empty, else one
/// opened with fs::open_path_at and kept in `holder`. Errors: those of fs::open_path_at.
Result<int> open_below(const Hierarchy& h, const std::string& rel, UniqueFd& holder)
{
    if (rel.empty())
        return h.root.get();
    auto opened = fs::open_path_at(h.root.get(), rel);
    if (!opened.ok())
        return opened.error();
    holder = std::move(opened).value();
    return holder.get();
}

/// The common close: nothing runs in the session and the user made nothing in it, so the kernel
/// removes it at once. v1: rmdir <N> (refused while it has tasks or children). cgroup2: only
/// when <N> holds nothing but the session leaf (3 links) and cgroup.events says no process runs
/// in it, rmdir of the leaf, then of <N>. True when <N> is gone; anything else is left to the
/// careful path.
bool quick_remove(int user_dir_fd, const std::string& name, CgroupVersion version)
{
    if (version == CgroupVersion::v2) {
        auto fd = fs::open_dir_at(user_dir_fd, name);
        if (!fd.ok())
            return fd.error().code == ENOENT;
        // Only the session leaf below <N> (3 links), and no process anywhere in <N>'s tree (a
        // process in <N> itself would keep <N>, and the leaf must then stay too).
        auto st = fs::stat_fd(fd.value().get());
        if (!st.ok() || st.value().st_nlink != 3 || tree_populated(fd.value().get()))
            return false;
        if (auto leaf = fs::remove_dir_at(fd.value().get(), kSessionLeaf); !leaf.ok() && leaf.error().code != ENOENT)
            return false;
    }
    auto removed = fs::remove_dir_at(user_dir_fd, name);
    return removed.ok() || removed.error().code == ENOENT;
}

} // namespace

void close_session(const Discovery& discovery, const SessionRecord& record, pid_t pid, Notes& notes)
{
    const auto drain_deadline = std::chrono::steady_clock::now() + kCloseDrainBound;
    std::optional<bool> whole_process; // caller_is_whole_process, asked at the first move
    for (const auto& hs : record.hierarchies) {
        if (hs.placement == Placement::systemd_scope)
            debug(notes, hs.label + ": " + hs.leaf + ": left to systemd, which removes the session scope at logout");
        if (hs.placement != Placement::created)
            continue;
        const Hierarchy* h = find_hierarchy(discovery, hs);
        if (h == nullptr || !h->root.valid()) {
            debug(notes, hs.label + ": not mounted any more, nothing to close");
            continue;
        }
        const std::string where = hs.label + ": " + hs.session;
        if (cgroup_relative(h->self_cgroup, hs.session)) {
            // pam_cgfs(8) "Closing and stale sessions": back to where open found the caller, else to BASE.
            bool moved = false;
            for (const std::string* target : {&hs.origin, &hs.base}) {
                auto rel = path_below_mount(*h, *target);
                if (!rel)
                    continue;
                UniqueFd holder;
                auto fd = open_below(*h, *rel, holder);
                if (!whole_process)
                    whole_process = caller_is_whole_process(pid);
                const MoveSelf move = move_self(h->version, *whole_process, pid);
                auto r = fd.ok() ? fs::write_at(fd.value(), move.file, move.data) : Result<void>(fd.error());
                if (r.ok()) {
                    moved = true;
                    break;
                }
                debug(notes, hs.label + ": " + *target + ": moving back: " + r.error().message());
            }
            if (!moved)
                continue; // still inside: nothing below can be removed
        }
        const std::string user_dir_cg = join_cgroup(hs.base, std::string(kUserDir) + "/" + record.user.name);
        auto base_rel = path_below_mount(*h, hs.base);
        auto session_rel = cgroup_relative(hs.session, user_dir_cg);
        if (!base_rel || !session_rel || session_rel->empty() || session_rel->find('/') != std::string::npos)
            continue;
        UniqueFd base_holder;
        auto base_fd = open_below(*h, *base_rel, base_holder);
        auto user = base_fd.ok() ? fs::open_dir_at(base_fd.value(), kUserDir) : Result<UniqueFd>(base_fd.error());
        auto user_dir =
            user.ok() ? fs::open_dir_at(user.value().get(), record.user.name) : Result<UniqueFd>(user.error());
        if (!user_dir.ok()) {
            debug(notes, where + ": " + user_dir.error().message());
            continue;
        }
        if (!quick_remove(user_dir.value().get(), *session_rel, h->version)) {
            // A session that still runs something (a background job, a running container) keeps
            // its whole tree; the user's next open reaps it once it is empty. Processes that are
            // only exiting (sshd's session child) are waited for, within the deadline.
            if (auto session_fd = fs::open_dir_at(user_dir.value().get(), *session_rel);
                session_fd.ok() && !drained_by(session_fd.value().get(), drain_deadline)) {
                debug(notes, where + ": still in use, left in place");
                continue;
            }
            if (!remove_tree(user_dir.value().get(), *session_rel, where, notes))
                continue;
        }
        auto removed = fs::remove_dir_at(user.value().get(), record.user.name);
        if (!removed.ok() && removed.error().code != ENOENT)
            debug(notes, hs.label + ": " + user_dir_cg + ": " + removed.error().message() + ", left in place");
    }
}

std::optional<Discovery> rediscover(const SessionRecord& record)
{
    auto text = fs::read_path("/proc/self/cgroup");
    if (!text.ok())
        return std::nullopt;
    const CgroupTable table = parse_proc_cgroup(text.value());
    Discovery found;
    for (const auto& hs : record.hierarchies) {
        if (hs.placement != Placement::created)
            continue;
        Hierarchy h;
        h.version = hs.version;
        h.controllers = hs.mount.controllers;
        h.name = hs.mount.name;
        h.mount_point = hs.mount.mount_point;
        h.mount_root = hs.mount.mount_root;
        if (h.label() != hs.label)
            return std::nullopt;
        // The same device and inode number on a cgroup file system of the same version. The
        // magic is needed too: anonymous device numbers are reused at once, and the root of a
        // fresh tmpfs has inode 1 like a cgroup root.
        auto root = open_mount_root(h.mount_point, h.version);
        if (!root.ok())
            return std::nullopt;
        auto st = fs::stat_fd(root.value().get());
        if (!st.ok() || st.value().st_dev != hs.mount.dev || st.value().st_ino != hs.mount.ino)
            return std::nullopt;
        const auto line = std::find_if(table.lines.begin(), table.lines.end(),
                                       [&](const CgroupLine& l) { return line_matches(h, l); });
        if (line == table.lines.end())
            return std::nullopt;
        h.self_cgroup = line->path;
        h.root = std::move(root).value();
        found.hierarchies.push_back(std::move(h));
    }
    return found;
}

SessionRecord find_session(const Discovery& discovery, const Selection& selection, const UserIdentity& user)
{
    SessionRecord record;
    record.user = user;
    const std::string user_rel = std::string(kUserDir) + "/" + user.name;
    for (const auto& chosen : selection.chosen) {
        const Hierarchy& h = discovery.hierarchies[chosen.index];
        const std::string base = base_cgroup(h);
        const std::string user_dir = join_cgroup(base, user_rel);
        const auto rel = cgroup_relative(h.self_cgroup, user_dir);
        if (!rel)
            continue;
        const auto parts = components(*rel);
        if (parts.empty() || parse_session_index(parts[0]) < 0)
            continue;
        HierarchySession hs;
        hs.version = h.version;
        hs.label = h.label();
        hs.placement = Placement::created;
        hs.origin = base;
        hs.base = base;
        hs.session = join_cgroup(user_dir, parts[0]);
        hs.leaf = h.self_cgroup;
        record.index = parse_session_index(parts[0]);
        record.hierarchies.push_back(std::move(hs));
    }
    return record;
}

} // namespace cgfs
