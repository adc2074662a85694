// Unit tests for lib/fs.hpp: fd-relative primitives on a throwaway directory (tmpfs; no
// cgroup is touched; fstatfs magic is also checked read-only on the machine's cgroup mounts).
#include "fs.hpp"

#include "test_support.hpp"

#include <algorithm>
#include <csignal>
#include <linux/magic.h>
#include <set>
#include <sys/resource.h>
#include <sys/stat.h>

using cgfs::test::TempDir;
namespace fs = cgfs::fs;

namespace {

/// dev:ino of an fd, to tell which directory it is.
std::pair<dev_t, ino_t> identity(int fd)
{
    struct stat st {};
    REQUIRE(::fstat(fd, &st) == 0);
    return {st.st_dev, st.st_ino};
}

std::pair<dev_t, ino_t> identity(const std::string& path)
{
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return {st.st_dev, st.st_ino};
}

bool has_cloexec(int fd)
{
    return (::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
}

} // namespace

TEST_CASE("fs: flag bundles never create, truncate or follow", "[fs]")
{
    CHECK((fs::kOpenDir & (O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == (O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    CHECK((fs::kReadFile & (O_NOFOLLOW | O_CLOEXEC)) == (O_NOFOLLOW | O_CLOEXEC));
    CHECK((fs::kWriteFile & (O_NOFOLLOW | O_CLOEXEC | O_WRONLY)) == (O_NOFOLLOW | O_CLOEXEC | O_WRONLY));
    CHECK((fs::kWriteFile & (O_CREAT | O_TRUNC | O_APPEND)) == 0);
    CHECK((fs::kReadFile & (O_CREAT | O_TRUNC)) == 0);
    CHECK(fs::kMaxReadBytes == 4U * 1024 * 1024);
}

TEST_CASE("fs: open_root opens a directory close-on-exec", "[fs]")
{
    TempDir tmp;
    auto root = fs::open_root(tmp.path());
    REQUIRE(root.ok());
    CHECK(identity(root.value().get()) == identity(tmp.path()));
    CHECK(has_cloexec(root.value().get()));
}

TEST_CASE("fs: open_root refuses a symlink, a file and a missing path", "[fs]")
{
    TempDir tmp;
    tmp.mkdirs("real");
    REQUIRE(::symlink(tmp.path("real").c_str(), tmp.path("link").c_str()) == 0);
    tmp.write("file", "x");

    auto link = fs::open_root(tmp.path("link"));
    REQUIRE_FALSE(link.ok());
    // open(2): O_NOFOLLOW on a trailing symlink is ELOOP; with O_DIRECTORY Linux says ENOTDIR.
    CHECK((link.error().code == ELOOP || link.error().code == ENOTDIR));
    CHECK(link.error().context == "open " + tmp.path("link"));

    auto file = fs::open_root(tmp.path("file"));
    REQUIRE_FALSE(file.ok());
    CHECK(file.error().code == ENOTDIR);

    auto missing = fs::open_root(tmp.path("missing"));
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == ENOENT);
    CHECK(missing.error().message() == "open " + tmp.path("missing") + ": No such file or directory");
}

TEST_CASE("fs: open_dir_at takes exactly one component", "[fs]")
{
    TempDir tmp;
    tmp.mkdirs("a/b");
    auto a = fs::open_dir_at(tmp.fd(), "a");
    REQUIRE(a.ok());
    CHECK(identity(a.value().get()) == identity(tmp.path("a")));
    CHECK(has_cloexec(a.value().get()));

    for (const char* bad : {"", ".", "..", "a/b", "/a", "a/"}) {
        INFO("name '" << bad << "'");
        auto r = fs::open_dir_at(tmp.fd(), bad);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == EINVAL);
    }
    CHECK(fs::open_dir_at(tmp.fd(), "").error().context == "open .");
    CHECK(fs::open_dir_at(tmp.fd(), "a/b").error().context == "open a/b");
}

TEST_CASE("fs: open_dir_at refuses a symlink and a file", "[fs]")
{
    TempDir tmp;
    tmp.mkdirs("real");
    REQUIRE(::symlink("real", tmp.path("link").c_str()) == 0);
    tmp.write("file", "");
    auto link = fs::open_dir_at(tmp.fd(), "link");
    REQUIRE_FALSE(link.ok());
    CHECK((link.error().code == ELOOP || link.error().code == ENOTDIR));
    CHECK(link.error().context == "open link");
    auto file = fs::open_dir_at(tmp.fd(), "file");
    REQUIRE_FALSE(file.ok());
    CHECK(file.error().code == ENOTDIR);
    auto missing = fs::open_dir_at(tmp.fd(), "missing");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == ENOENT);
    CHECK(missing.error().context == "open missing");
}

TEST_CASE("fs: open_path_at walks components and tolerates extra slashes", "[fs]")
{
    TempDir tmp;
    tmp.mkdirs("user/alice/0");
    for (const char* rel : {"user/alice/0", "/user/alice/0", "user//alice/0/", "user/alice/0//"}) {
        INFO("rel '" << rel << "'");
        auto r = fs::open_path_at(tmp.fd(), rel);
        REQUIRE(r.ok());
        CHECK(identity(r.value().get()) == identity(tmp.path("user/alice/0")));
        CHECK(has_cloexec(r.value().get()));
    }
}

TEST_CASE("fs: open_path_at with an empty path duplicates the directory", "[fs]")
{
    TempDir tmp;
    for (const char* rel : {"", "/", "//"}) {
        INFO("rel '" << rel << "'");
        auto r = fs::open_path_at(tmp.fd(), rel);
        REQUIRE(r.ok());
        CHECK(r.value().get() != tmp.fd());
        CHECK(identity(r.value().get()) == identity(tmp.path()));
    }
}

TEST_CASE("fs: open_path_at refuses . and .. components", "[fs]")
{
    TempDir tmp;
    tmp.mkdirs("a/b");
    for (const char* rel : {"..", "a/..", "a/../a", "./a", "a/./b", "a/b/.."}) {
        INFO("rel '" << rel << "'");
        auto r = fs::open_path_at(tmp.fd(), rel);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == EINVAL);
        CHECK(r.error().context == std::string("open ") + rel);
    }
}

TEST_CASE("fs: open_path_at refuses a symlink component anywhere", "[fs]")
{
    TempDir tmp;
    tmp.mkdirs("real/inner");
    tmp.mkdirs("a");
    REQUIRE(::symlink("../real", tmp.path("a/link").c_str()) == 0);
    REQUIRE(::symlink("/", tmp.path("rootlink").c_str()) == 0);
    for (const char* rel : {"a/link", "a/link/inner", "rootlink", "rootlink/tmp"}) {
        INFO("rel '" << rel << "'");
        auto r = fs::open_path_at(tmp.fd(), rel);
        REQUIRE_FALSE(r.ok());
        CHECK((r.error().code == ELOOP || r.error().code == ENOTDIR));
    }
    auto missing = fs::open_path_at(tmp.fd(), "a/missing/x");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == ENOENT);
    CHECK(missing.error().context == "open missing");
}

TEST_CASE("fs: make_dir_at reports created, then existing", "[fs]")
{
    TempDir tmp;
    auto first = fs::make_dir_at(tmp.fd(), "user", 0755);
    REQUIRE(first.ok());
    CHECK(first.value());
    auto again = fs::make_dir_at(tmp.fd(), "user", 0755);
    REQUIRE(again.ok());
    CHECK_FALSE(again.value());
    // EEXIST also for a file of that name: the caller's open_dir_at then fails with ENOTDIR.
    tmp.write("file", "");
    auto file = fs::make_dir_at(tmp.fd(), "file", 0755);
    REQUIRE(file.ok());
    CHECK_FALSE(file.value());
}

TEST_CASE("fs: make_dir_at applies the umask, the caller fixes the mode", "[fs]")
{
    TempDir tmp;
    const mode_t old = ::umask(077);
    auto made = fs::make_dir_at(tmp.fd(), "d", 0755);
    ::umask(old);
    REQUIRE(made.ok());
    struct stat st {};
    REQUIRE(::stat(tmp.path("d").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0700);
    auto fd = fs::open_dir_at(tmp.fd(), "d");
    REQUIRE(fd.ok());
    REQUIRE(fs::chmod_fd(fd.value().get(), 0755).ok());
    auto after = fs::stat_fd(fd.value().get());
    REQUIRE(after.ok());
    CHECK((after.value().st_mode & 07777) == 0755);
    CHECK(S_ISDIR(after.value().st_mode));
}

TEST_CASE("fs: make_dir_at refuses paths and reports other errors", "[fs]")
{
    TempDir tmp;
    for (const char* bad : {"", ".", "..", "a/b"}) {
        INFO("name '" << bad << "'");
        auto r = fs::make_dir_at(tmp.fd(), bad, 0755);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == EINVAL);
    }
    tmp.write("file", "");
    cgfs::UniqueFd file(::open(tmp.path("file").c_str(), O_RDONLY | O_CLOEXEC));
    auto r = fs::make_dir_at(file.get(), "x", 0755);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ENOTDIR);
    CHECK(r.error().context == "mkdir x");
}

TEST_CASE("fs: remove_dir_at removes only empty directories", "[fs]")
{
    TempDir tmp;
    tmp.mkdirs("empty");
    tmp.mkdirs("full/child");
    tmp.write("file", "");
    REQUIRE(fs::remove_dir_at(tmp.fd(), "empty").ok());
    CHECK_FALSE(tmp.exists("empty"));

    auto full = fs::remove_dir_at(tmp.fd(), "full");
    REQUIRE_FALSE(full.ok());
    CHECK(full.error().code == ENOTEMPTY);
    CHECK(full.error().context == "rmdir full");
    CHECK(tmp.exists("full/child"));

    auto missing = fs::remove_dir_at(tmp.fd(), "missing");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == ENOENT);

    auto file = fs::remove_dir_at(tmp.fd(), "file");
    REQUIRE_FALSE(file.ok());
    CHECK(file.error().code == ENOTDIR);
    CHECK(tmp.exists("file"));

    for (const char* bad : {"", ".", "..", "full/child"}) {
        INFO("name '" << bad << "'");
        auto r = fs::remove_dir_at(tmp.fd(), bad);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == EINVAL);
    }
    CHECK(tmp.exists("full/child"));
}

TEST_CASE("fs: read_at reads to EOF", "[fs]")
{
    TempDir tmp;
    tmp.write("empty", "");
    tmp.write("short", "0-3\n");
    std::string big(3 * 4096 + 17, 'x');
    big[5000] = '\n';
    tmp.write("big", big);
    CHECK(fs::read_at(tmp.fd(), "empty").value().empty());
    CHECK(fs::read_at(tmp.fd(), "short").value() == "0-3\n");
    CHECK(fs::read_at(tmp.fd(), "big").value() == big);
}

TEST_CASE("fs: read_at caps the size at exactly cap bytes", "[fs]")
{
    TempDir tmp;
    tmp.write("ten", "0123456789");
    auto exact = fs::read_at(tmp.fd(), "ten", 10);
    REQUIRE(exact.ok());
    CHECK(exact.value() == "0123456789");
    auto over = fs::read_at(tmp.fd(), "ten", 9);
    REQUIRE_FALSE(over.ok());
    CHECK(over.error().code == EFBIG);
    CHECK(over.error().context == "read ten");
    auto zero = fs::read_at(tmp.fd(), "ten", 0);
    REQUIRE_FALSE(zero.ok());
    CHECK(zero.error().code == EFBIG);

    std::string big(fs::kMaxReadBytes + 1, 'x');
    tmp.write("huge", big);
    auto huge = fs::read_at(tmp.fd(), "huge");
    REQUIRE_FALSE(huge.ok());
    CHECK(huge.error().code == EFBIG);
}

TEST_CASE("fs: read_at refuses symlinks, paths and missing files", "[fs]")
{
    TempDir tmp;
    tmp.write("target", "secret");
    REQUIRE(::symlink("target", tmp.path("link").c_str()) == 0);
    tmp.mkdirs("d");
    tmp.write("d/f", "x");
    auto link = fs::read_at(tmp.fd(), "link");
    REQUIRE_FALSE(link.ok());
    CHECK(link.error().code == ELOOP);
    CHECK(link.error().context == "read link");
    auto missing = fs::read_at(tmp.fd(), "missing");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == ENOENT);
    for (const char* bad : {"", ".", "..", "d/f"}) {
        INFO("name '" << bad << "'");
        auto r = fs::read_at(tmp.fd(), bad);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == EINVAL);
    }
}

TEST_CASE("fs: read_path reads an absolute path and caps it", "[fs]")
{
    TempDir tmp;
    tmp.write("f", "hello\n");
    CHECK(fs::read_path(tmp.path("f")).value() == "hello\n");
    auto capped = fs::read_path(tmp.path("f"), 5);
    REQUIRE_FALSE(capped.ok());
    CHECK(capped.error().code == EFBIG);
    CHECK(capped.error().context == "read " + tmp.path("f"));
    auto missing = fs::read_path(tmp.path("missing"));
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == ENOENT);
    // procfs: st_size is 0, the content is not.
    auto self = fs::read_path("/proc/self/cgroup");
    REQUIRE(self.ok());
    CHECK_FALSE(self.value().empty());
}

TEST_CASE("fs: write_at writes an existing file in place without truncating", "[fs]")
{
    TempDir tmp;
    tmp.write("cgroup.procs", "abcdef");
    REQUIRE(fs::write_at(tmp.fd(), "cgroup.procs", "xy").ok());
    // No O_TRUNC: on a regular file the tail stays (kernfs files take the value whole).
    CHECK(tmp.read("cgroup.procs") == "xycdef");
    REQUIRE(fs::write_at(tmp.fd(), "cgroup.procs", "").ok());
    CHECK(tmp.read("cgroup.procs") == "xycdef");
}

TEST_CASE("fs: write_at never creates a missing file", "[fs]")
{
    TempDir tmp;
    auto r = fs::write_at(tmp.fd(), "cgroup.procs", "1234");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ENOENT);
    CHECK(r.error().context == "write cgroup.procs");
    CHECK_FALSE(tmp.exists("cgroup.procs"));
}

TEST_CASE("fs: write_at refuses a symlink and leaves its target alone", "[fs]")
{
    TempDir tmp;
    tmp.write("target", "root-only");
    REQUIRE(::symlink("target", tmp.path("cgroup.procs").c_str()) == 0);
    auto r = fs::write_at(tmp.fd(), "cgroup.procs", "1");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ELOOP);
    CHECK(tmp.read("target") == "root-only");
    for (const char* bad : {"", ".", "..", "a/b"}) {
        INFO("name '" << bad << "'");
        auto e = fs::write_at(tmp.fd(), bad, "1");
        REQUIRE_FALSE(e.ok());
        CHECK(e.error().code == EINVAL);
    }
}

TEST_CASE("fs: write_at reports a short write as EIO", "[fs]")
{
    TempDir tmp;
    tmp.write("f", "");
    // RLIMIT_FSIZE makes write(2) stop at 4 bytes and return 4 (no signal for a partial write).
    struct rlimit old {};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
    auto previous = std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = old;
    small.rlim_cur = 4;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
    auto r = fs::write_at(tmp.fd(), "f", "0123456789");
    ::setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, previous);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == EIO);
    CHECK(r.error().context == "short write f");
    CHECK(tmp.read("f") == "0123");
}

TEST_CASE("fs: write_then_read_at writes in place, then reads the whole file from its start", "[fs]")
{
    TempDir tmp;
    tmp.write("cgroup.procs", "abcdef");
    bool written = false;
    auto r = fs::write_then_read_at(tmp.fd(), "cgroup.procs", "xy", written);
    REQUIRE(r.ok());
    CHECK(written);
    CHECK(r.value() == "xycdef");
    auto capped = fs::write_then_read_at(tmp.fd(), "cgroup.procs", "z", written, 3);
    REQUIRE_FALSE(capped.ok());
    CHECK(written); // the write took place, the read is what failed
    CHECK(capped.error().code == EFBIG);
    CHECK(capped.error().context == "read cgroup.procs");
    CHECK(tmp.read("cgroup.procs") == "zycdef");
}

TEST_CASE("fs: write_then_read_at never creates, follows or takes a path", "[fs]")
{
    TempDir tmp;
    bool written = true;
    auto missing = fs::write_then_read_at(tmp.fd(), "cgroup.procs", "1", written);
    REQUIRE_FALSE(missing.ok());
    CHECK_FALSE(written);
    CHECK(missing.error().code == ENOENT);
    CHECK(missing.error().context == "write cgroup.procs");
    CHECK_FALSE(tmp.exists("cgroup.procs"));
    tmp.write("target", "root-only");
    REQUIRE(::symlink("target", tmp.path("link").c_str()) == 0);
    auto link = fs::write_then_read_at(tmp.fd(), "link", "1", written);
    REQUIRE_FALSE(link.ok());
    CHECK(link.error().code == ELOOP);
    CHECK_FALSE(written);
    CHECK(tmp.read("target") == "root-only");
    for (const char* bad : {"", ".", "..", "a/b"}) {
        INFO("name '" << bad << "'");
        auto e = fs::write_then_read_at(tmp.fd(), bad, "1", written);
        REQUIRE_FALSE(e.ok());
        CHECK(e.error().code == EINVAL);
    }
}

TEST_CASE("fs: chown_at changes a name, the directory itself, and never a symlink target", "[fs]")
{
    // chown needs root; the suite runs as root (tests/run-suite refuses otherwise), so a
    // non-root run fails here rather than passing without checking anything.
    REQUIRE(cgfs::test::is_root());
    TempDir tmp;
    tmp.write("tasks", "");
    tmp.write("target", "");
    REQUIRE(::symlink("target", tmp.path("link").c_str()) == 0);
    REQUIRE(fs::chown_at(tmp.fd(), "tasks", 1000, 1000).ok());
    CHECK(cgfs::test::owner_of(tmp.path("tasks")) == "1000:1000");
    REQUIRE(fs::chown_at(tmp.fd(), "", 1000, 1001).ok());
    CHECK(cgfs::test::owner_of(tmp.path()) == "1000:1001");
    REQUIRE(fs::chown_at(tmp.fd(), "link", 1000, 1000).ok());
    CHECK(cgfs::test::owner_of(tmp.path("link")) == "1000:1000");
    CHECK(cgfs::test::owner_of(tmp.path("target")) == "0:0");
    auto missing = fs::chown_at(tmp.fd(), "missing", 1000, 1000);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == ENOENT);
    CHECK(missing.error().context == "chown missing");
    for (const char* bad : {".", "..", "a/b"}) {
        INFO("name '" << bad << "'");
        auto r = fs::chown_at(tmp.fd(), bad, 1000, 1000);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == EINVAL);
    }
}

TEST_CASE("fs: chmod_fd and stat_fd report errors on a closed fd", "[fs]")
{
    auto chmod = fs::chmod_fd(-1, 0755);
    REQUIRE_FALSE(chmod.ok());
    CHECK(chmod.error().code == EBADF);
    CHECK(chmod.error().context == "chmod");
    auto st = fs::stat_fd(-1);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code == EBADF);
    CHECK(st.error().context == "stat");
}

TEST_CASE("fs: list_subdirs lists directories only", "[fs]")
{
    TempDir tmp;
    tmp.mkdirs("0");
    tmp.mkdirs("17/deeper");
    tmp.mkdirs("session");
    tmp.write("cgroup.procs", "");
    tmp.write("tasks", "");
    REQUIRE(::symlink("0", tmp.path("dirlink").c_str()) == 0);
    REQUIRE(::mkfifo(tmp.path("fifo").c_str(), 0600) == 0);
    auto names = fs::list_subdirs(tmp.fd());
    REQUIRE(names.ok());
    std::vector<std::string> sorted = names.value();
    std::sort(sorted.begin(), sorted.end());
    CHECK(sorted == std::vector<std::string>{"0", "17", "session"});
}

TEST_CASE("fs: list_subdirs leaves the caller's fd offset alone", "[fs]")
{
    TempDir tmp;
    tmp.mkdirs("a");
    tmp.mkdirs("b");
    auto first = fs::list_subdirs(tmp.fd());
    auto second = fs::list_subdirs(tmp.fd());
    REQUIRE(first.ok());
    REQUIRE(second.ok());
    CHECK(first.value().size() == 2);
    CHECK(first.value() == second.value());
    TempDir empty;
    CHECK(fs::list_subdirs(empty.fd()).value().empty());
    auto bad = fs::list_subdirs(-1);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == EBADF);
    CHECK(bad.error().context == "list");
}

TEST_CASE("fs: list_subdirs stops after max names", "[fs]")
{
    TempDir tmp;
    for (int i = 0; i < 10; ++i)
        tmp.mkdirs(std::to_string(i));
    auto three = fs::list_subdirs(tmp.fd(), 3);
    REQUIRE(three.ok());
    CHECK(three.value().size() == 3);
    CHECK(fs::list_subdirs(tmp.fd(), 0).value().empty());
    CHECK(fs::list_subdirs(tmp.fd()).value().size() == 10);
}

TEST_CASE("fs: sample_subdirs reads at most max directories from a position, wrapping once", "[fs]")
{
    TempDir tmp;
    for (const char* d : {"0", "1", "2", "3"})
        tmp.mkdirs(d);
    tmp.write("cgroup.procs", "");
    auto all = fs::sample_subdirs(tmp.fd(), 0, 10);
    REQUIRE(all.ok());
    std::vector<std::string> got = all.value();
    std::sort(got.begin(), got.end());
    CHECK(got == std::vector<std::string>{"0", "1", "2", "3"}); // no file, no "." or ".."
    auto two = fs::sample_subdirs(tmp.fd(), 0, 2);
    REQUIRE(two.ok());
    CHECK(two.value().size() == 2);
    // A position past the end wraps to the start: still a full sample, no name twice.
    auto wrapped = fs::sample_subdirs(tmp.fd(), 1'000'000, 3);
    REQUIRE(wrapped.ok());
    CHECK(wrapped.value().size() == 3);
    CHECK(std::set<std::string>(wrapped.value().begin(), wrapped.value().end()).size() == 3);
    CHECK(fs::sample_subdirs(tmp.fd(), 0, 0).value().empty());
}

TEST_CASE("fs: sample_subdirs reports an fd that is not a directory", "[fs]")
{
    TempDir tmp;
    tmp.write("f", "");
    const cgfs::UniqueFd file(::open(tmp.path("f").c_str(), O_RDONLY | O_CLOEXEC));
    auto r = fs::sample_subdirs(file.get(), 0, 2);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ENOTDIR);
    CHECK(r.error().context == "list");
}

TEST_CASE("fs: check_magic tells file systems apart", "[fs]")
{
    TempDir tmp;
    auto wrong = fs::check_magic(tmp.fd(), CGROUP_SUPER_MAGIC);
    REQUIRE_FALSE(wrong.ok());
    CHECK(wrong.error().code == ENOTSUP);
    CHECK(wrong.error().context == "statfs: not a cgroup file system");
    auto bad = fs::check_magic(-1, CGROUP_SUPER_MAGIC);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == EBADF);
    CHECK(bad.error().context == "statfs");
    // procfs is always there; its magic must match.
    auto proc = fs::open_root("/proc");
    REQUIRE(proc.ok());
    CHECK(fs::check_magic(proc.value().get(), PROC_SUPER_MAGIC).ok());
}

TEST_CASE("fs: check_magic accepts this machine's cgroup mounts (read-only)", "[fs]")
{
    // Read-only look at the real mounts when they exist; nothing is opened for writing.
    for (const auto& [path, magic] :
         {std::pair<const char*, unsigned long>{"/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC},
          {"/sys/fs/cgroup/freezer", CGROUP_SUPER_MAGIC}}) {
        auto root = fs::open_root(path);
        if (!root.ok())
            continue;
        INFO(path);
        CHECK(fs::check_magic(root.value().get(), magic).ok());
        CHECK_FALSE(
            fs::check_magic(root.value().get(), magic == CGROUP_SUPER_MAGIC ? CGROUP2_SUPER_MAGIC : CGROUP_SUPER_MAGIC)
                .ok());
    }
}
