// The benchmark's floor (see floor.hpp).
#include "floor.hpp"

#include "session.hpp"

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cgfs_bench {

namespace {

/// Bound on floor retries when a parallel worker removed user/<name> under us.
constexpr int kFloorAttempts = 16;

} // namespace

bool write_pid(int dirfd, const std::string& rel_dir, pid_t pid)
{
    const std::string path = rel_dir.empty() ? "cgroup.procs" : rel_dir + "/cgroup.procs";
    const int fd = ::openat(dirfd, path.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return false;
    char buf[24];
    const int n = std::snprintf(buf, sizeof buf, "%d", static_cast<int>(pid));
    const bool ok = ::write(fd, buf, static_cast<std::size_t>(n)) == n;
    ::close(fd);
    return ok;
}

bool write_self(int dirfd, const std::string& rel_dir, bool v2)
{
    if (v2)
        return write_pid(dirfd, rel_dir, ::getpid());
    // As the module moves a single-threaded caller on v1 (lib/self_move.hpp move_self): the
    // writing thread, by 0 in tasks, which the kernel does without its global threadgroup lock.
    const std::string path = rel_dir.empty() ? "tasks" : rel_dir + "/tasks";
    const int fd = ::openat(dirfd, path.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return false;
    const bool ok = ::write(fd, "0", 1) == 1;
    ::close(fd);
    return ok;
}

Floor::Floor(const std::vector<Hier>& sel, long first_index, uid_t uid, gid_t gid, std::string name)
    : sel_(sel), made_(sel.size()), hint_(first_index), uid_(uid), gid_(gid), user_dir_("user/" + std::move(name))
{}

bool Floor::chown_all(int root, const std::string& dir, const std::vector<std::string>& files) const
{
    if (::fchownat(root, dir.c_str(), uid_, gid_, AT_SYMLINK_NOFOLLOW) != 0)
        return false;
    for (const auto& f : files)
        if (::fchownat(root, (dir + "/" + f).c_str(), uid_, gid_, AT_SYMLINK_NOFOLLOW) != 0)
            return false;
    return true;
}

bool Floor::open()
{
    for (std::size_t i = 0; i < sel_.size(); ++i) {
        const Hier& h = sel_[i];
        Made& m = made_[i];
        m = Made{};
        long index = hint_;
        std::string dir;
        int attempts = 0;
        for (;;) {
            if (++attempts > kFloorAttempts + 1'000'000)
                return false;
            dir = user_dir_ + "/" + std::to_string(index);
            if (::mkdirat(h.root_fd, dir.c_str(), 0755) == 0)
                break;
            if (errno == EEXIST) {
                ++index;
                continue;
            }
            if (errno != ENOENT || attempts > kFloorAttempts)
                return false;
            if (::mkdirat(h.root_fd, user_dir_.c_str(), 0755) == 0) {
                // ENOENT: a parallel worker's close removed it again; start over.
                m.made_user_dir = chown_all(h.root_fd, user_dir_, h.files);
                if (!m.made_user_dir && errno != ENOENT)
                    return false;
            } else if (errno == ENOENT) {
                (void)::mkdirat(h.root_fd, "user", 0755);
            }
        }
        m.index = index;
        if (!chown_all(h.root_fd, dir, h.files))
            return false;
        if (h.v2) {
            dir += std::string("/") + cgfs::kSessionLeaf;
            if (::mkdirat(h.root_fd, dir.c_str(), 0755) != 0 || !chown_all(h.root_fd, dir, h.files))
                return false;
        }
        if (!write_self(h.root_fd, dir, h.v2))
            return false;
    }
    return true;
}

bool Floor::close()
{
    bool ok = true;
    for (std::size_t i = 0; i < sel_.size(); ++i) {
        const Hier& h = sel_[i];
        Made& m = made_[i];
        if (m.index < 0)
            continue;
        ok = write_self(h.root_fd, "", h.v2) && ok;
        const std::string dir = user_dir_ + "/" + std::to_string(m.index);
        if (h.v2)
            ok = ::unlinkat(h.root_fd, (dir + "/" + cgfs::kSessionLeaf).c_str(), AT_REMOVEDIR) == 0 && ok;
        ok = ::unlinkat(h.root_fd, dir.c_str(), AT_REMOVEDIR) == 0 && ok;
        if (m.made_user_dir)
            (void)::unlinkat(h.root_fd, user_dir_.c_str(), AT_REMOVEDIR); // EBUSY with a parallel worker
        m.index = -1;
    }
    return ok;
}

} // namespace cgfs_bench
