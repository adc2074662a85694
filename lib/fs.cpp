// cgfs: fd-relative file-system primitives (see fs.hpp).
#include "fs.hpp"

#include "fault.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <memory>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

namespace cgfs::fs {

namespace {

std::string describe(std::string_view verb, std::string_view name)
{
    std::string text(verb);
    text += ' ';
    text += name.empty() ? std::string_view(".") : name;
    return text;
}

bool is_single_component(std::string_view name)
{
    return !name.empty() && name.find('/') == std::string_view::npos && name != "." && name != "..";
}

} // namespace

Result<UniqueFd> open_root(const std::string& path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return make_error(errno, describe("open", path));
    return UniqueFd(fd);
}

Result<UniqueFd> open_dir_at(int dirfd, std::string_view name)
{
    if (!is_single_component(name))
        return make_error(EINVAL, describe("open", name));
    const std::string copy(name);
    const int fd = ::openat(dirfd, copy.c_str(), kOpenDir);
    if (fd < 0)
        return make_error(errno, describe("open", name));
    return UniqueFd(fd);
}

Result<UniqueFd> open_path_at(int dirfd, std::string_view rel)
{
    // The first component is opened below `dirfd` itself: a copy of `dirfd` is made only for a
    // path without components, which the caller gets back as the result.
    UniqueFd current;
    std::size_t pos = 0;
    while (pos < rel.size()) {
        const std::size_t slash = rel.find('/', pos);
        const std::size_t end = slash == std::string_view::npos ? rel.size() : slash;
        const std::string_view part = rel.substr(pos, end - pos);
        pos = end + 1;
        if (part.empty())
            continue; // "a//b" and a leading or trailing '/'
        if (part == "." || part == "..")
            return make_error(EINVAL, describe("open", rel));
        auto next = open_dir_at(current.valid() ? current.get() : dirfd, part);
        if (!next.ok())
            return next.error();
        current = std::move(next).value();
    }
    if (current.valid())
        return current;
    const int fd = ::openat(dirfd, ".", kOpenDir);
    if (fd < 0)
        return make_error(errno, "open .");
    return UniqueFd(fd);
}

Result<bool> make_dir_at(int dirfd, std::string_view name, mode_t mode)
{
    if (!is_single_component(name))
        return make_error(EINVAL, describe("mkdir", name));
    const std::string copy(name);
    CGFS_FAULT_POINT("mkdir", name);
    if (::mkdirat(dirfd, copy.c_str(), mode) == 0)
        return true;
    if (errno == EEXIST)
        return false;
    return make_error(errno, describe("mkdir", name));
}

Result<void> remove_dir_at(int dirfd, std::string_view name)
{
    if (!is_single_component(name))
        return make_error(EINVAL, describe("rmdir", name));
    const std::string copy(name);
    CGFS_FAULT_POINT("rmdir", name);
    if (::unlinkat(dirfd, copy.c_str(), AT_REMOVEDIR) != 0)
        return make_error(errno, describe("rmdir", name));
    return {};
}

namespace {

/// Reads `fd` to EOF (at most `cap` bytes): from its offset, or with `from_start` by pread(2) from
/// offset 0, whatever the offset is.
Result<std::string> read_fd(int fd, std::size_t cap, std::string_view what, bool from_start = false)
{
    std::string data;
    char buffer[4096];
    for (;;) {
        const ssize_t n = from_start ? ::pread(fd, buffer, sizeof buffer, static_cast<off_t>(data.size()))
                                     : ::read(fd, buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return make_error(errno, describe("read", what));
        }
        if (n == 0)
            break;
        if (data.size() + static_cast<std::size_t>(n) > cap)
            return make_error(EFBIG, describe("read", what));
        data.append(buffer, static_cast<std::size_t>(n));
    }
    return data;
}

/// Opens the kernel file `name` (one component) below `dirfd` with `flags`; errors carry `verb`.
Result<UniqueFd> open_file_at(int dirfd, std::string_view name, int flags, std::string_view verb)
{
    if (!is_single_component(name))
        return make_error(EINVAL, describe(verb, name));
    const std::string copy(name);
    UniqueFd fd(::openat(dirfd, copy.c_str(), flags));
    if (!fd.valid())
        return make_error(errno, describe(verb, name));
    return fd;
}

} // namespace

Result<std::string> read_at(int dirfd, std::string_view name, std::size_t cap)
{
    auto fd = open_file_at(dirfd, name, kReadFile, "read");
    if (!fd.ok())
        return fd.error();
    return read_fd(fd.value().get(), cap, name);
}

Result<std::string> read_path(const std::string& path, std::size_t cap)
{
    UniqueFd fd(::open(path.c_str(), kReadFile));
    if (!fd.valid())
        return make_error(errno, describe("read", path));
    return read_fd(fd.get(), cap, path);
}

Result<std::string> read_regular_file(const std::string& path, std::size_t cap)
{
    UniqueFd fd(::open(path.c_str(), kReadFile | O_NONBLOCK | O_NOCTTY));
    if (!fd.valid())
        return make_error(errno, describe("read", path));
    auto st = stat_fd(fd.get());
    if (!st.ok())
        return st.error();
    if (S_ISDIR(st.value().st_mode))
        return make_error(EISDIR, describe("read", path));
    if (!S_ISREG(st.value().st_mode))
        return make_error(EINVAL, describe("read", path) + " (not a regular file)");
    return read_fd(fd.get(), cap, path);
}

namespace {

/// One write(2) of `data` to the open kernel file `fd` (named `name` in errors).
Result<void> write_fd(int fd, std::string_view name, std::string_view data)
{
    CGFS_FAULT_POINT("write", name);
    ssize_t n;
    do {
        n = ::write(fd, data.data(), data.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return make_error(errno, describe("write", name));
    if (static_cast<std::size_t>(n) != data.size())
        return make_error(EIO, describe("short write", name));
    return {};
}

} // namespace

Result<void> write_at(int dirfd, std::string_view name, std::string_view data)
{
    auto fd = open_file_at(dirfd, name, kWriteFile, "write");
    if (!fd.ok())
        return fd.error();
    return write_fd(fd.value().get(), name, data);
}

Result<std::string> write_then_read_at(int dirfd, std::string_view name, std::string_view data, bool& written,
                                       std::size_t cap)
{
    written = false;
    auto fd = open_file_at(dirfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC, "write");
    if (!fd.ok())
        return fd.error();
    if (auto done = write_fd(fd.value().get(), name, data); !done.ok())
        return done.error();
    written = true;
    return read_fd(fd.value().get(), cap, name, true);
}

Result<void> chown_at(int dirfd, std::string_view name, uid_t uid, gid_t gid)
{
    CGFS_FAULT_POINT("chown", name.empty() ? std::string_view(".") : name);
    if (name.empty()) {
        if (::fchownat(dirfd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0)
            return make_error(errno, "chown .");
        return {};
    }
    if (!is_single_component(name))
        return make_error(EINVAL, describe("chown", name));
    const std::string copy(name);
    if (::fchownat(dirfd, copy.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0)
        return make_error(errno, describe("chown", name));
    return {};
}

Result<void> chmod_fd(int fd, mode_t mode)
{
    CGFS_FAULT_POINT("chmod", ".");
    if (::fchmod(fd, mode) != 0)
        return make_error(errno, "chmod");
    return {};
}

Result<struct stat> stat_fd(int fd)
{
    struct stat st {};
    if (::fstat(fd, &st) != 0)
        return make_error(errno, "stat");
    return st;
}

Result<std::vector<std::string>> list_subdirs(int dirfd, std::size_t max)
{
    // fdopendir takes ownership of a fresh fd, so the caller's fd keeps its offset.
    const int fd = ::openat(dirfd, ".", kOpenDir);
    if (fd < 0)
        return make_error(errno, "list");
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(fd), ::closedir);
    if (!dir) {
        const int saved = errno;
        ::close(fd);
        return make_error(saved, "list");
    }
    std::vector<std::string> names;
    while (names.size() < max) {
        errno = 0;
        const dirent* entry = ::readdir(dir.get());
        if (entry == nullptr)
            break;
        if (entry->d_type != DT_DIR)
            continue;
        const std::string_view name(entry->d_name);
        if (name == "." || name == "..")
            continue;
        names.emplace_back(name);
    }
    if (errno != 0)
        return make_error(errno, "list");
    return names;
}

Result<std::vector<std::string>> sample_subdirs(int dirfd, off_t from, std::size_t max, std::size_t buffer_bytes)
{
    std::vector<std::string> names;
    if (max == 0)
        return names;
    const int raw = ::openat(dirfd, ".", kOpenDir);
    if (raw < 0)
        return make_error(errno, "list");
    const UniqueFd fd(raw);
    std::vector<char> buffer(std::max<std::size_t>(buffer_bytes, 512));
    for (const off_t start : {from, off_t{0}}) {
        if (::lseek(fd.get(), start, SEEK_SET) < 0)
            return make_error(errno, "list");
        const long n = ::syscall(SYS_getdents64, fd.get(), buffer.data(), buffer.size());
        if (n < 0)
            return make_error(errno, "list");
        for (long at = 0; at < n && names.size() < max;) {
            // struct linux_dirent64: d_ino, d_off, d_reclen, d_type, d_name (getdents64(2)).
            const char* entry = buffer.data() + at;
            unsigned short reclen = 0;
            std::memcpy(&reclen, entry + 16, sizeof reclen);
            const auto type = static_cast<unsigned char>(entry[18]);
            const std::string_view name(entry + 19);
            if (type == DT_DIR && name != "." && name != ".." &&
                std::find(names.begin(), names.end(), name) == names.end())
                names.emplace_back(name);
            if (reclen == 0)
                break;
            at += reclen;
        }
        if (names.size() >= max || start == 0)
            break;
    }
    return names;
}

Result<void> check_magic(int fd, unsigned long magic)
{
    struct statfs sfs {};
    if (::fstatfs(fd, &sfs) != 0)
        return make_error(errno, "statfs");
    if (static_cast<unsigned long>(sfs.f_type) != magic)
        return make_error(ENOTSUP, "statfs: not a cgroup file system");
    return {};
}

} // namespace cgfs::fs
