// cgfs: closing a session and finding it again (see session.hpp close_session, rediscover,
// find_session).
#include "session.hpp"

#include "fs.hpp"
#include "self_move.hpp"

#include <algorithm>
#include <cerrno>
#include <optional>
#include <time.h>

namespace cgfs {

namespace {

/// The hierarchy of `discovery` that `h` was opened in: the same version and label.
const Hierarchy* find_hierarchy(const Discovery& discovery, const HierarchySession& h)
{
    for (const auto& candidate : discovery.hierarchies)
        if (candidate.version == h.version && candidate.label() == h.label)
            return &candidate;
    return nullptr;
}

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

/// pam_cgfs(8) "Closing and stale sessions": moves `pid` back to where open found it, else to
/// BASE, where it still sits inside the session. False when it is still inside (a debug note per
/// refused target).
bool move_out(const Hierarchy& h, const HierarchySession& hs, pid_t pid, std::optional<bool>& whole_process,
              Notes& notes)
{
    if (!cgroup_relative(h.self_cgroup, hs.session))
        return true;
    for (const std::string* target : {&hs.origin, &hs.base}) {
        auto rel = path_below_mount(h, *target);
        if (!rel)
            continue;
        UniqueFd holder;
        auto fd = open_below(h, *rel, holder);
        if (!whole_process && h.version == CgroupVersion::v1) // cgroup2 moves by cgroup.procs whatever the answer
            whole_process = caller_is_whole_process(pid);
        const MoveSelf move = move_self(h.version, whole_process.value_or(false), pid);
        auto r = fd.ok() ? fs::write_at(fd.value(), move.file, move.data) : Result<void>(fd.error());
        if (r.ok())
            return true;
        debug(notes, hs.label + ": " + *target + ": moving back: " + r.error().message());
    }
    return false;
}

/// Removes the session cgroup hs.session below BASE/user/<name> (quick_remove, else once its
/// processes have left by `deadline`, remove_tree), then BASE/user/<name> when that leaves it
/// empty. What stays is a debug note.
void remove_session(const Hierarchy& h, const HierarchySession& hs, const std::string& user,
                    std::chrono::steady_clock::time_point deadline, Notes& notes)
{
    const std::string where = hs.label + ": " + hs.session;
    const std::string user_dir_cg = user_dir_cgroup(hs.base, user);
    auto base_rel = path_below_mount(h, hs.base);
    auto session_rel = cgroup_relative(hs.session, user_dir_cg);
    if (!base_rel || !session_rel || session_rel->empty() || session_rel->find('/') != std::string::npos)
        return;
    UniqueFd base_holder;
    auto base_fd = open_below(h, *base_rel, base_holder);
    auto user_fd = base_fd.ok() ? fs::open_dir_at(base_fd.value(), kUserDir) : Result<UniqueFd>(base_fd.error());
    auto user_dir = user_fd.ok() ? fs::open_dir_at(user_fd.value().get(), user) : Result<UniqueFd>(user_fd.error());
    if (!user_dir.ok()) {
        debug(notes, where + ": " + user_dir.error().message());
        return;
    }
    if (!quick_remove(user_dir.value().get(), *session_rel, h.version)) {
        // A session that still runs something (a background job, a running container) keeps its
        // whole tree; the user's next open reaps it once it is empty. Processes that are only
        // exiting (sshd's session child) are waited for, within the deadline.
        if (auto session_fd = fs::open_dir_at(user_dir.value().get(), *session_rel);
            session_fd.ok() && !drained_by(session_fd.value().get(), deadline)) {
            debug(notes, where + ": still in use, left in place");
            return;
        }
        if (!remove_tree(user_dir.value().get(), *session_rel, where, notes))
            return;
    }
    auto removed = fs::remove_dir_at(user_fd.value().get(), user);
    if (!removed.ok() && removed.error().code != ENOENT)
        debug(notes, hs.label + ": " + user_dir_cg + ": " + removed.error().message() + ", left in place");
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
        if (move_out(*h, hs, pid, whole_process, notes)) // else still inside: nothing can be removed
            remove_session(*h, hs, record.user.name, drain_deadline, notes);
    }
}

std::optional<Discovery> rediscover(const SessionRecord& record)
{
    auto text = fs::read_path("/proc/self/cgroup");
    if (!text.ok())
        return std::nullopt;
    const CgroupTable table = parse_proc_cgroup(text.value());
    Discovery found;
    found.hierarchies.reserve(record.hierarchies.size());
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
    for (const auto& chosen : selection.chosen) {
        const Hierarchy& h = discovery.hierarchies[chosen.index];
        const std::string base = base_cgroup(h);
        const std::string user_dir = user_dir_cgroup(base, user.name);
        const auto rel = cgroup_relative(h.self_cgroup, user_dir);
        if (!rel)
            continue;
        const auto parts = cgroup_components(*rel);
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
