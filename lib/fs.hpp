// cgfs: fd-relative file-system primitives for cgroup trees.
// Below a hierarchy root every operation goes through a directory fd with no-follow flags
// (pam_cgfs(8) SECURITY), kernel files are never created or truncated, and every fd is O_CLOEXEC
// so nothing leaks into the user's shell.
#pragma once

#include "result.hpp"
#include "unique_fd.hpp"

#include <cstddef>
#include <cstdint>
#include <fcntl.h>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <sys/types.h>
#include <vector>

namespace cgfs::fs {

/// Opening a directory below a root: never through a symlink, never anything but a directory.
inline constexpr int kOpenDir = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
/// Reading a kernel file.
inline constexpr int kReadFile = O_RDONLY | O_NOFOLLOW | O_CLOEXEC;
/// Writing a kernel file: no O_CREAT, no O_TRUNC (kernfs files exist or the write is wrong).
inline constexpr int kWriteFile = O_WRONLY | O_NOFOLLOW | O_CLOEXEC;
/// The largest kernel file we read (st_size of kernfs files is meaningless, so we read to EOF).
inline constexpr std::size_t kMaxReadBytes = 4U << 20;

/// Opens the absolute directory `path` (a mount point from mountinfo) with O_DIRECTORY|O_CLOEXEC,
/// the last component not followed if it is a symlink.
/// Errors: errno of openat(2), context "open <path>".
Result<UniqueFd> open_root(const std::string& path);

/// Opens the single path component `name` (no '/') below `dirfd` with kOpenDir.
/// Errors: errno of openat(2) (ELOOP/ENOTDIR for a symlink or non-directory), context "open <name>".
Result<UniqueFd> open_dir_at(int dirfd, std::string_view name);

/// Opens the relative path `rel` ("a/b/c"; "" or "/" means `dirfd` itself, duplicated) below
/// `dirfd` one component at a time, each with kOpenDir, so no component can be a symlink.
/// "." and ".." components are refused with EINVAL.
Result<UniqueFd> open_path_at(int dirfd, std::string_view rel);

/// mkdirat(dirfd, name, mode). Returns true when this call created it, false when it existed
/// (EEXIST). The caller fixes the mode on the opened fd (the umask applies to mkdirat).
/// Errors: any other errno, context "mkdir <name>".
Result<bool> make_dir_at(int dirfd, std::string_view name, mode_t mode);

/// Removes the empty directory `name` below `dirfd` (unlinkat AT_REMOVEDIR). A cgroup with
/// tasks or children gives EBUSY/ENOTEMPTY. Errors: errno, context "rmdir <name>".
Result<void> remove_dir_at(int dirfd, std::string_view name);

/// Reads the whole file `name` below `dirfd` (to EOF, at most `cap` bytes, else EFBIG).
/// Errors: errno of open/read, context "read <name>".
Result<std::string> read_at(int dirfd, std::string_view name, std::size_t cap = kMaxReadBytes);

/// Reads the whole file at the absolute `path` (procfs, sysfs), as read_at.
Result<std::string> read_path(const std::string& path, std::size_t cap = kMaxReadBytes);

/// Reads an administrator's file at `path` (e.g. /etc/security/cgfs.conf), as read_path, but only
/// a regular file: it is opened with O_NONBLOCK so that a FIFO or device named there can never
/// block the login (open(2): O_NONBLOCK on a FIFO opened for reading returns at once), with
/// O_NOCTTY so that a terminal named there never becomes the caller's controlling terminal, and
/// with O_NOFOLLOW like every open of this library (a symbolic link gives ELOOP).
/// Errors: errno of open/read, context "read <path>"; EISDIR for a directory; EINVAL, context
/// "read <path> (not a regular file)", for anything else that is not a regular file.
Result<std::string> read_regular_file(const std::string& path, std::size_t cap = kMaxReadBytes);

/// Writes `data` to the existing file `name` below `dirfd` in one write(2) (kernfs files take one
/// value per write); a short write is EIO. Errors: errno, context "write <name>".
Result<void> write_at(int dirfd, std::string_view name, std::string_view data);

/// Writes `data` to the existing file `name` below `dirfd` in one write(2), then reads the whole
/// file back from offset 0 through the same open file (pread(2) to EOF, at most `cap` bytes): one
/// open for what would be write_at plus read_at. For kernel files whose read shows the effect of
/// the write (cgroup.procs after a migration). `written` tells, also on error, whether the write
/// took place. Errors: as write_at, then as read_at.
Result<std::string> write_then_read_at(int dirfd, std::string_view name, std::string_view data, bool& written,
                                       std::size_t cap = kMaxReadBytes);

/// fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW); an empty `name` chowns `dirfd` itself
/// (AT_EMPTY_PATH). Errors: errno, context "chown <name>".
Result<void> chown_at(int dirfd, std::string_view name, uid_t uid, gid_t gid);

/// fchmod(fd, mode). Errors: errno, context "chmod".
Result<void> chmod_fd(int fd, mode_t mode);

/// fstat(fd). Errors: errno, context "stat".
Result<struct stat> stat_fd(int fd);

/// Names of the subdirectories (d_type DT_DIR, "." and ".." left out) of `dirfd`, in directory
/// order, at most `max` of them: reading stops there, so a directory the user filled costs no
/// more than `max` names. The fd's own offset is not used (the directory is re-opened through
/// "." first). Errors: errno, context "list".
Result<std::vector<std::string>> list_subdirs(int dirfd, std::size_t max = SIZE_MAX);

/// Up to `max` subdirectory names of `dirfd` (d_type DT_DIR, "." and ".." left out), read in
/// directory order from the position `from` on, wrapping to the start once: a sample of a large
/// directory at the cost of one or two getdents64(2) calls of `buffer_bytes`, whatever its size.
/// On kernfs (cgroupfs) a directory position is a name hash (fs/kernfs/dir.c), so a random
/// `from` picks entries at random. The directory is re-opened through "." (the caller's fd
/// offset is not used). Errors: errno, context "list".
Result<std::vector<std::string>> sample_subdirs(int dirfd, off_t from, std::size_t max,
                                                std::size_t buffer_bytes = 4096);

/// Checks with fstatfs(2) that `fd` lives on a file system with magic `magic`
/// (CGROUP_SUPER_MAGIC / CGROUP2_SUPER_MAGIC from <linux/magic.h>).
/// Errors: errno of fstatfs, or ENOTSUP when the magic differs; context "statfs".
Result<void> check_magic(int fd, unsigned long magic);

} // namespace cgfs::fs
