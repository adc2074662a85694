// cgfs: one hierarchy's session tree during open (see session_tree.hpp).
#include "session_tree.hpp"

#include "cpuset.hpp"
#include "delegation.hpp"
#include "fault.hpp"
#include "fs.hpp"
#include "text.hpp"
#include "reap.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <sys/stat.h>

namespace cgfs {

namespace {

/// True when the cgroup `st` describes looks as one that a root process has just made: owned by
/// root and without subdirectories (kernfs counts a directory's links as 2 plus its
/// subdirectories). Only root can make a directory root's: the user cannot forge one.
bool fresh(const struct stat& st)
{
    return st.st_uid == 0 && st.st_nlink == 2;
}

/// True when the members listed in `procs` (one id per line) are exactly `self`.
bool alone_in(std::string_view procs, const std::string& self)
{
    bool found = false;
    const bool only_self = for_each_line(procs, [&](std::string_view line) {
        found = found || line == self;
        return line == self;
    });
    return only_self && found;
}

std::set<std::string> controller_set(int fd, const char* file)
{
    std::set<std::string> names;
    if (auto text = fs::read_at(fd, file); text.ok())
        for (auto& word : parse_controllers(text.value()))
            names.insert(std::move(word));
    return names;
}

} // namespace

bool is_vanished(int code)
{
    return code == ENOENT || code == ENODEV;
}

OpenContext::OpenContext(const OpenParams& params, std::string_view kernel_delegate_list,
                         std::vector<unsigned> isolated_cpus, Notes& notes)
    : params_(params),
      files_v1_(delegated_files(CgroupVersion::v1, {})),
      files_v2_(delegated_files(CgroupVersion::v2, kernel_delegate_list)),
      isolated_cpus_(std::move(isolated_cpus)),
      notes_(notes)
{}

MoveSelf OpenContext::move(CgroupVersion version)
{
    if (version == CgroupVersion::v2)
        return move_self(version, false, params_.pid); // cgroup2 moves by cgroup.procs whatever the answer
    if (!whole_process_)
        whole_process_ = caller_is_whole_process(params_.pid);
    return move_self(version, *whole_process_, params_.pid);
}

MoveSelf OpenContext::move_back(CgroupVersion version) const
{
    return move_self(version, whole_process_.value_or(false), params_.pid);
}

Result<UniqueFd> OpenContext::ensure_dir(int parent_fd, std::string_view name, const std::string& where, bool& created,
                                         struct stat* st, bool look_first)
{
    if (look_first) {
        created = false;
        auto fd = fs::open_dir_at(parent_fd, name);
        if (fd.ok() || fd.error().code != ENOENT)
            return fd.ok() ? std::move(fd) : Result<UniqueFd>(fd.error().wrap(where));
    }
    auto made = fs::make_dir_at(parent_fd, name, kDirMode);
    if (!made.ok())
        return made.error().wrap(where);
    created = made.value();
    auto fd = fs::open_dir_at(parent_fd, name);
    if (!fd.ok())
        return fd.error().wrap(where);
    if (st != nullptr) {
        // The caller needs the owner anyway; a directory just made also shows what the umask
        // does to kDirMode, for fix_mode.
        auto got = fs::stat_fd(fd.value().get());
        if (!got.ok())
            return got.error().wrap(where);
        *st = got.value();
        if (created)
            learn_mode(*st);
    }
    if (created) {
        if (auto mode = fix_mode(fd.value().get()); !mode.ok())
            return mode.error().wrap(where);
        if (st != nullptr)
            st->st_mode = (st->st_mode & ~static_cast<mode_t>(07777)) | kDirMode;
    }
    return fd;
}

void OpenContext::learn_mode(const struct stat& st)
{
    umask_keeps_mode_ = (st.st_mode & 07777) == kDirMode;
}

Result<void> OpenContext::fix_mode(int fd)
{
    if (umask_keeps_mode_.value_or(false))
        return {};
    return fs::chmod_fd(fd, kDirMode);
}

std::vector<std::string> enable_controllers(int fd, const std::vector<std::string>& wanted, const std::string& where,
                                            Notes& notes)
{
    if (wanted.empty())
        return {};
    const std::set<std::string> available = controller_set(fd, "cgroup.controllers");
    const std::set<std::string> enabled = controller_set(fd, "cgroup.subtree_control");
    std::vector<std::string> still;
    std::optional<bool> internal; // asked once, and only when something is to be enabled here
    for (const auto& controller : wanted) {
        if (enabled.count(controller) != 0) {
            still.push_back(controller);
            continue;
        }
        if (available.count(controller) == 0) {
            notice(notes, where + ": controller " + controller + " is not available, not enabled");
            continue;
        }
        if (!internal)
            internal = holds_internal_processes(fd);
        if (*internal) {
            // Never write here: a threaded controller would be accepted and turn this cgroup
            // into a thread root, after which no process can enter the session below it.
            notice(notes, where + ": holds processes of its own, " + controller +
                              " not enabled (cgroup-v2.rst: no internal processes)");
            continue;
        }
        // One controller per write keeps a refusal (EBUSY from processes in this cgroup, ENOENT,
        // EPERM) from hiding the others.
        if (auto r = fs::write_at(fd, "cgroup.subtree_control", "+" + controller); !r.ok()) {
            notice(notes, where + ": enabling " + controller + ": " + r.error().message());
            continue;
        }
        still.push_back(controller);
    }
    return still;
}

SessionTree::SessionTree(const Hierarchy& hierarchy, std::vector<std::string> enable, OpenContext& context,
                         HierarchySession& record)
    : hierarchy_(hierarchy),
      enable_(std::move(enable)),
      context_(context),
      record_(record),
      user_dir_cg_(cgfs::user_dir_cgroup(record.base, context.user().name))
{}

std::string SessionTree::where(std::string_view cgroup) const
{
    return hierarchy_.label() + ": " + std::string(cgroup);
}

std::string SessionTree::user_dir_where() const
{
    return where(user_dir_cg_);
}

Result<void> SessionTree::open_base()
{
    auto base_rel = path_below_mount(hierarchy_, record_.base);
    if (base_rel && !base_rel->empty()) {
        auto base = fs::open_path_at(hierarchy_.root.get(), *base_rel);
        if (!base.ok())
            return base.error().wrap(where(record_.base));
        base_fd_ = std::move(base).value();
    }
    if (hierarchy_.version == CgroupVersion::v2)
        enable_ = enable_controllers(base(), enable_, where(record_.base), context_.notes());
    return {};
}

Result<void> SessionTree::prepare()
{
    const UserIdentity& user = context_.user();
    const std::string user_cg = join_cgroup(record_.base, kUserDir);
    if (auto r = open_base(); !r.ok())
        return r;
    auto made_user = context_.ensure_dir(base(), kUserDir, where(user_cg), user_.created, nullptr, true);
    if (!made_user.ok())
        return made_user.error();
    user_.fd = std::move(made_user).value();
    if (auto r = init_level(base(), user_.fd.get(), user_.created, user_cg); !r.ok())
        return r;
    struct stat st {};
    auto made_dir = context_.ensure_dir(user_.fd.get(), user.name, where(user_dir_cg_), user_dir_.created, &st);
    if (!made_dir.ok())
        return made_dir.error();
    user_dir_.fd = std::move(made_dir).value();
    // kernfs counts a directory's links as 2 plus its subdirectories.
    entries_ = user_dir_.created || st.st_nlink < 2 ? 0 : static_cast<long>(st.st_nlink) - 2;
    if (st.st_uid != user.uid && st.st_uid != 0) {
        // pam_cgfs(8) SECURITY: another user's cgroups are never chowned or reused.
        return make_error(EPERM, where(user_dir_cg_) + ": owned by uid " + std::to_string(st.st_uid) + ", not by " +
                                     user.name + " (uid " + std::to_string(user.uid) + ")");
    }
    if (auto r = init_level(user_.fd.get(), user_dir_.fd.get(), user_dir_.created, user_dir_cg_); !r.ok())
        return r;
    return take_user_dir(st);
}

/// pam_cgfs(8) THREAT MODEL: BASE/user/<name> stays root's, so the user cannot create entries in
/// it (a directory named like a controller file would make every later "+controller" in BASE/user
/// fail with EEXIST, for every user). One left the user's by an older module or by LXC's is taken
/// back. Then user_dir_files() are given to the user.
Result<void> SessionTree::take_user_dir(const struct stat& st)
{
    const UserIdentity& user = context_.user();
    const auto mine = user_dir_files(hierarchy_.version);
    if (st.st_uid == user.uid && st.st_uid != 0) {
        std::vector<std::string> back;
        for (const auto& file : files())
            if (std::find(mine.begin(), mine.end(), file) == mine.end())
                back.push_back(file);
        if (auto r = give_files(user_dir(), back, 0, 0); !r.ok())
            return r.error().wrap(where(user_dir_cg_));
        if (auto r = fs::chown_at(user_dir(), std::string_view(), 0, 0); !r.ok())
            return r.error().wrap(where(user_dir_cg_));
        notice(context_.notes(), where(user_dir_cg_) + ": owned by " + user.name +
                                     " (made by an older module), taken back: root's from now on, as pam_cgfs(8) says");
    }
    if (auto r = give_files(user_dir(), mine, user.uid, user.gid); !r.ok())
        return r.error().wrap(where(user_dir_cg_));
    return {};
}

Result<void> SessionTree::init_level(int parent_fd, int fd, bool created, const std::string& cgroup)
{
    if (hierarchy_.version == CgroupVersion::v2) {
        enable_ = enable_controllers(fd, enable_, where(cgroup), context_.notes());
        return {};
    }
    if (hierarchy_.has_controller("cpuset"))
        if (auto r = init_cpuset(parent_fd, fd, context_.isolated_cpus(), created); !r.ok())
            return r.error().wrap(where(cgroup));
    if (created && !memory_checked_ && hierarchy_.has_controller("memory")) {
        // cgroup-v1/memory.rst §6: hierarchical accounting; fixed at 1 on newer kernels. A memory
        // cgroup takes its parent's setting when it is made, and a child of a hierarchical one
        // cannot leave it, so only the first level this open creates needs the look.
        memory_checked_ = true;
        auto current = fs::read_at(fd, "memory.use_hierarchy");
        if (current.ok() && current.value().substr(0, 1) == "0")
            if (auto r = fs::write_at(fd, "memory.use_hierarchy", "1"); !r.ok())
                debug(context_.notes(), where(cgroup) + ": " + r.error().message());
    }
    return {};
}

Result<Claim> SessionTree::claim(long index)
{
    const std::string name = std::to_string(index);
    const std::string session_cg = join_cgroup(user_dir_cg_, name);
    auto made = fs::make_dir_at(user_dir(), name, kDirMode);
    if (!made.ok())
        return made.error().wrap(where(session_cg));
    if (!made.value())
        return Claim::taken; // the exclusive mkdir is the lock
    CGFS_FAULT_POINT("created", name);
    auto fd = fs::open_dir_at(user_dir(), name);
    if (!fd.ok())
        return fd.error().wrap(where(session_cg));
    // pam_cgfs(8) SECURITY: mkdirat gives no fd, so what was opened by name must be shown to be
    // the cgroup just made: still root's (not yet chowned) and without subdirectories. Anything
    // else was put there by someone else in between: the index is taken, and what is there is
    // not ours to remove.
    const auto st = fs::stat_fd(fd.value().get());
    if (!st.ok() || !fresh(st.value())) {
        debug(context_.notes(), where(session_cg) + ": not the cgroup this open made; index taken");
        return Claim::taken;
    }
    context_.learn_mode(st.value()); // what the umask did to kDirMode, for fix_mode
    session_ = TreeLevel{std::move(fd).value(), true};
    session_name_ = name;
    record_.session = session_cg;
    record_.leaf = session_cg;
    // Stamp the creation time: kernfs keeps explicit times (otherwise an inode's times are those
    // of its last instantiation), and reapers compare them with the start of their open: a leaf
    // made after that start is a concurrent login's and is left alone.
    CGFS_FAULT_POINT("futimens", name);
    if (::futimens(session_.fd.get(), nullptr) != 0)
        debug(context_.notes(), where(session_cg) + ": futimens: " + std::strerror(errno));
    if (auto r = context_.fix_mode(session_.fd.get()); !r.ok())
        return r.error().wrap(where(session_cg));
    if (auto r = init_level(user_dir(), session_.fd.get(), true, session_cg); !r.ok())
        return r.error();
    if (hierarchy_.version == CgroupVersion::v2)
        return claim_leaf(session_cg);
    return Claim::ours;
}

/// The cgroup2 leaf is made while <N> is still root's, so the user cannot have made it first;
/// one that is there anyway, or is not fresh, is not adopted.
Result<Claim> SessionTree::claim_leaf(const std::string& session_cg)
{
    const std::string leaf_cg = join_cgroup(session_cg, kSessionLeaf);
    struct stat st {};
    auto leaf = context_.ensure_dir(session_.fd.get(), kSessionLeaf, where(leaf_cg), leaf_.created, &st);
    if (!leaf.ok())
        return leaf.error();
    if (!leaf_.created || !fresh(st)) {
        debug(context_.notes(), where(leaf_cg) + ": not the cgroup this open made; index taken");
        return Claim::taken;
    }
    leaf_.fd = std::move(leaf).value();
    record_.leaf = leaf_cg;
    return Claim::ours;
}

Result<Entry> SessionTree::enter()
{
    const int fd = leaf_.fd.valid() ? leaf_.fd.get() : session_.fd.get();
    // Read back through the same file: v1 `tasks` lists thread ids, and the only thread of this
    // process has the process's id.
    const MoveSelf move = context_.move(hierarchy_.version);
    bool written = false;
    auto procs = fs::write_then_read_at(fd, move.file, move.data, written);
    entered_ = written;
    if (!procs.ok())
        return procs.error().wrap(where(record_.leaf));
    // Between the exclusive mkdir of <N> and its open by name, a concurrent login's reaper can
    // remove the fresh, still empty <N> and a third login create <N> again, so this open may have
    // moved into the third one's cgroup. Each open therefore looks after moving in (through the
    // same open file): whoever finds another process there backs off. Of two opens in one cgroup
    // at most one can find itself alone, since the later one to look sees the earlier. Not
    // finding itself counts as not alone.
    return alone_in(procs.value(), std::to_string(context_.params().pid)) ? Entry::alone : Entry::shared;
}

Result<void> SessionTree::delegate()
{
    const UserIdentity& user = context_.user();
    if (leaf_.fd.valid())
        if (auto r = delegate_new_cgroup(leaf_.fd.get(), files(), user.uid, user.gid); !r.ok())
            return r.error().wrap(where(record_.leaf));
    if (auto r = delegate_new_cgroup(session_.fd.get(), files(), user.uid, user.gid); !r.ok())
        return r.error().wrap(where(record_.session));
    auto st = fs::stat_fd(session_.fd.get());
    if (!st.ok())
        return st.error().wrap(where(record_.session));
    if (st.value().st_uid != user.uid || st.value().st_gid != user.gid)
        return make_error(EIO, where(record_.session) + ": owner reads back as " + std::to_string(st.value().st_uid) +
                                   ":" + std::to_string(st.value().st_gid) + ", not " + std::to_string(user.uid) + ":" +
                                   std::to_string(user.gid));
    return {};
}

void SessionTree::release()
{
    if (entered_) {
        auto origin = open_cgroup(hierarchy_, record_.origin);
        const MoveSelf move = context_.move_back(hierarchy_.version);
        Result<void> moved =
            origin.ok() ? fs::write_at(origin.value().get(), move.file, move.data) : Result<void>(origin.error());
        if (!moved.ok())
            notice(context_.notes(), where(record_.origin) + ": moving the process back: " + moved.error().message());
        entered_ = false;
    }
    if (leaf_.created && session_.fd.valid())
        ignore_error(fs::remove_dir_at(session_.fd.get(), kSessionLeaf));
    if (session_.created && user_dir_.fd.valid() && !session_name_.empty())
        ignore_error(fs::remove_dir_at(user_dir(), session_name_));
    leaf_ = TreeLevel{};
    session_ = TreeLevel{};
    session_name_.clear();
}

void SessionTree::undo()
{
    release();
    if (user_dir_.created && user_.fd.valid())
        ignore_error(fs::remove_dir_at(user_.fd.get(), context_.user().name));
    if (user_.created && hierarchy_.root.valid())
        ignore_error(fs::remove_dir_at(base(), kUserDir));
    user_dir_.created = false;
    user_.created = false;
    memory_checked_ = false;
}

} // namespace cgfs
