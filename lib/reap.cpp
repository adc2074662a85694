// cgfs: session trees and reaping (see reap.hpp).
#include "reap.hpp"

#include "fs.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>

namespace cgfs {

namespace {

/// Enough of cgroup.procs to see whether it lists any pid.
constexpr std::size_t kProcsProbeBytes = 64;

bool newer(const timespec& a, const timespec& b)
{
    return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
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

} // namespace cgfs
