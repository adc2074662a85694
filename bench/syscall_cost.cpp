// syscall_cost: what one system call of each kind that a login makes costs on this machine,
// untraced (strace's -T times carry strace's own cost). Run as root inside a throwaway container
// (cgfs-sandbox), never on the host's cgroups: it creates and removes cgroups named
// syscall-cost.<pid> below each ROOT given, moves only itself, and removes what it made.
//   cgfs-sandbox --layout hybrid --keep $PWD/build-test -- build-test/bench/syscall_cost
//     [--runs N] ROOT...    (one command line; ROOT: a mounted cgroup hierarchy's root)
// Prints, per kind of call, the median and the 10th/90th percentile in microseconds over N runs
// (default 2000), each call timed alone with CLOCK_MONOTONIC (vDSO, no system call). Not a test:
// it measures.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <string>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <vector>

namespace {

constexpr unsigned long kCgroup2Magic = 0x63677270;

double now_us()
{
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

struct Stat {
    std::vector<double> samples;
    void add(double us) { samples.push_back(us); }
    double at(double q)
    {
        if (samples.empty())
            return 0;
        std::sort(samples.begin(), samples.end());
        return samples[static_cast<std::size_t>(q * static_cast<double>(samples.size() - 1))];
    }
};

struct Table {
    std::vector<std::pair<std::string, Stat>> rows;
    Stat& operator[](const std::string& name)
    {
        for (auto& r : rows)
            if (r.first == name)
                return r.second;
        rows.emplace_back(name, Stat{});
        return rows.back().second;
    }
};

/// Times `f` once into `s`; returns f's result.
long timed(Stat& s, const std::function<long()>& f)
{
    const double a = now_us();
    const long r = f();
    s.add(now_us() - a);
    return r;
}

[[noreturn]] void die(const std::string& what)
{
    std::fprintf(stderr, "syscall_cost: %s: %s\n", what.c_str(), std::strerror(errno));
    std::exit(1);
}

/// Reads a small file the way the module does (open, read to EOF, close), each call timed.
void read_file(Table& t, const std::string& label, int dirfd, const char* path)
{
    char buf[4096];
    const int fd = static_cast<int>(
        timed(t["open " + label], [&] { return ::openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC); }));
    if (fd < 0)
        die(std::string("open ") + path);
    timed(t["read " + label + " (first)"], [&] { return ::read(fd, buf, sizeof buf); });
    timed(t["read " + label + " (EOF)"], [&] { return ::read(fd, buf, sizeof buf); });
    timed(t["close"], [&] { return ::close(fd); });
}

void one_hierarchy(Table& t, const std::string& root, int runs)
{
    const int rootfd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (rootfd < 0)
        die("open " + root);
    struct statfs sfs {};
    if (::fstatfs(rootfd, &sfs) != 0)
        die("statfs " + root);
    const bool v2 = static_cast<unsigned long>(sfs.f_type) == kCgroup2Magic;
    std::string kind = v2 ? "cgroup2" : "v1 " + root.substr(root.rfind('/') + 1);
    const std::string name = "syscall-cost." + std::to_string(::getpid());
    const char* move_file = v2 ? "cgroup.procs" : "tasks";
    const std::string self = v2 ? std::to_string(::getpid()) : "0";
    for (int i = 0; i < runs; ++i) {
        if (timed(t["mkdir (" + kind + ")"], [&] { return ::mkdirat(rootfd, name.c_str(), 0755); }) != 0)
            die("mkdir " + root + "/" + name);
        const int fd = static_cast<int>(timed(t["openat dir, O_NOFOLLOW|O_DIRECTORY"], [&] {
            return ::openat(rootfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }));
        if (fd < 0)
            die("open " + name);
        struct stat st {};
        timed(t["fstat (newfstatat AT_EMPTY_PATH)"], [&] { return ::fstatat(fd, "", &st, AT_EMPTY_PATH); });
        timed(t["fstatfs"], [&] { return ::fstatfs(fd, &sfs); });
        timed(t["futimens"], [&] { return ::futimens(fd, nullptr); });
        timed(t["fchownat kernel file"], [&] { return ::fchownat(fd, move_file, 1000, 1000, AT_SYMLINK_NOFOLLOW); });
        timed(t["fchownat absent file (ENOENT)"],
              [&] { return ::fchownat(fd, "memory.reclaim-absent", 1000, 1000, AT_SYMLINK_NOFOLLOW); });
        timed(t["fchownat dir (AT_EMPTY_PATH)"],
              [&] { return ::fchownat(fd, "", 1000, 1000, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW); });
        if (!v2 && kind == "v1 memory")
            read_file(t, "memory.use_hierarchy", fd, "memory.use_hierarchy");
        // Moving in and out: back to back, so the kernel's threadgroup lock is warm (see
        // bench/README.md for the first move of a new process on cgroup2).
        const int move = static_cast<int>(timed(t["open " + std::string(move_file) + " O_RDWR"], [&] {
            return ::openat(fd, move_file, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
        }));
        if (move < 0)
            die("open move file");
        if (timed(t["write move in (" + kind + ")"], [&] { return ::write(move, self.data(), self.size()); }) !=
            static_cast<long>(self.size()))
            die("move in");
        char buf[4096];
        timed(t["pread read-back (first)"], [&] { return ::pread(move, buf, sizeof buf, 0); });
        timed(t["pread read-back (EOF)"], [&] { return ::pread(move, buf, sizeof buf, 16); });
        timed(t["close"], [&] { return ::close(move); });
        const int back = ::openat(rootfd, move_file, O_WRONLY | O_CLOEXEC);
        if (back < 0)
            die("open root move file");
        if (timed(t["write move out (" + kind + ")"], [&] { return ::write(back, self.data(), self.size()); }) !=
            static_cast<long>(self.size()))
            die("move out");
        ::close(back);
        timed(t["close"], [&] { return ::close(fd); });
        if (timed(t["rmdir (" + kind + ")"], [&] { return ::unlinkat(rootfd, name.c_str(), AT_REMOVEDIR); }) != 0)
            die("rmdir " + name);
    }
    ::close(rootfd);
}

} // namespace

int main(int argc, char** argv)
{
    int runs = 2000;
    std::vector<std::string> roots;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = std::atoi(argv[++i]);
        else
            roots.emplace_back(argv[i]);
    }
    if (roots.empty() || runs <= 0) {
        std::fprintf(stderr, "usage: syscall_cost [--runs N] ROOT...\n");
        return 2;
    }
    Table t;
    for (int i = 0; i < runs; ++i) {
        timed(t["getpid (null call)"], [] { return static_cast<long>(::getpid()); });
        timed(t["gettid"], [] { return static_cast<long>(::gettid()); });
        struct stat st {};
        timed(t["stat /proc/self/task"], [&] { return ::stat("/proc/self/task", &st); });
        read_file(t, "/proc/self/mountinfo", AT_FDCWD, "/proc/self/mountinfo");
        read_file(t, "/proc/self/cgroup", AT_FDCWD, "/proc/self/cgroup");
        timed(t["open absent file (ENOENT)"],
              [] { return ::open("/etc/security/cgfs.conf-absent", O_RDONLY | O_NOFOLLOW | O_CLOEXEC); });
    }
    for (const auto& root : roots)
        one_hierarchy(t, root, runs);
    std::printf("%-44s %8s %8s %8s %6s\n", "call", "median", "p10", "p90", "n");
    for (auto& [name, s] : t.rows)
        std::printf("%-44s %8.2f %8.2f %8.2f %6zu\n", name.c_str(), s.at(0.5), s.at(0.1), s.at(0.9), s.samples.size());
    return 0;
}
