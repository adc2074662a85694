#include "sandbox.hpp"

#include "util.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <set>
#include <stdexcept>
#include <system_error>
#include <thread>

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

namespace cgfs_test {
namespace {

constexpr const char* kCgroupRoot = "/sys/fs/cgroup";
constexpr const char* kStaging = "/run/.cgfs-sandbox";
constexpr const char* kHostname = "cgfs-test";
// Bound for removing scratch cgroups: tasks of a dead pid namespace leave their css_set
// asynchronously, so rmdir can see EBUSY for a short while.
constexpr auto kRemoveDeadline = std::chrono::seconds(5);
constexpr auto kRemoveRetryPause = std::chrono::milliseconds(2);
constexpr int kSyslogRcvbuf = 4 << 20;
constexpr unsigned long kCgroupMountFlags = MS_NOSUID | MS_NODEV | MS_NOEXEC;

std::string unescape_mountinfo(std::string_view s)
{
    // mountinfo escapes space, tab, newline and backslash as \ooo.
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        auto oct = [](char c) { return c >= '0' && c <= '7'; };
        if (s[i] == '\\' && i + 3 < s.size() && oct(s[i + 1]) && oct(s[i + 2]) && oct(s[i + 3])) {
            out.push_back(static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
            i += 3;
            continue;
        }
        out.push_back(s[i]);
    }
    return out;
}

bool is_v1_flag_option(const std::string& opt)
{
    static const std::set<std::string> flags = {
        "rw", "ro", "noprefix", "xattr", "none", "clone_children", "cpuset_v2_mode", "favordynmods"};
    return flags.count(opt) != 0 || starts_with(opt, "release_agent=");
}

std::string sorted_key(const std::string& key)
{
    auto parts = split(key, ',');
    std::sort(parts.begin(), parts.end());
    std::string out;
    for (const auto& p : parts)
        out += (out.empty() ? "" : ",") + p;
    return out;
}

std::string join_path(const std::string& a, const std::string& b)
{
    if (b.empty() || b == "/")
        return a;
    if (!a.empty() && a.back() == '/')
        return a + (b.front() == '/' ? b.substr(1) : b);
    return a + (b.front() == '/' ? b : "/" + b);
}

void check(int rc, const std::string& context)
{
    if (rc != 0)
        throw_errno(context);
}

void do_mount(const char* source, const std::string& target, const char* fstype, unsigned long flags,
              const std::string& data)
{
    if (::mount(source, target.c_str(), fstype, flags, data.empty() ? nullptr : data.c_str()) != 0)
        throw_errno(std::string("mount ") + (fstype ? fstype : "") + " " + (source ? source : "") + " on " + target +
                    (data.empty() ? "" : " (" + data + ")"));
}

void make_dir(const std::string& path, mode_t mode)
{
    if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST)
        throw_errno("mkdir " + path);
    check(::chmod(path.c_str(), mode), "chmod " + path);
}

// Detaches whatever is mounted at `path` (and below); "not a mount point" is fine.
void detach(const std::string& path)
{
    if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
        throw_errno("umount " + path);
}

// ---- scratch cgroups on the host -------------------------------------------------------

struct Scratch {
    HostHierarchy hierarchy;
    std::string path; // absolute host path of the scratch cgroup
};

int next_scratch_index()
{
    static int counter = 0; // test-process local: only makes names unique
    return counter++;
}

std::string cgroup_parent_knob(const std::string& dir, const char* knob)
{
    std::string value = read_file(dir + "/" + knob);
    while (!value.empty() && (value.back() == '\n' || value.back() == ' '))
        value.pop_back();
    return value;
}

// Removes `path` and every directory below it, bottom-up, retrying EBUSY until `deadline`.
// Returns the first error that did not go away.
std::string remove_cgroup_tree(const std::string& path, std::chrono::steady_clock::time_point deadline)
{
    std::string error;
    {
        UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
        if (!fd.valid())
            return errno == ENOENT ? "" : "open " + path + ": " + std::strerror(errno);
        DIR* dir = ::fdopendir(fd.get());
        if (dir == nullptr)
            return "fdopendir " + path + ": " + std::strerror(errno);
        (void)fd.release(); // the DIR owns it now
        std::vector<std::string> children;
        while (dirent* ent = ::readdir(dir)) {
            std::string name = ent->d_name;
            if (ent->d_type == DT_DIR && name != "." && name != "..")
                children.push_back(name);
        }
        ::closedir(dir);
        for (const auto& child : children) {
            std::string e = remove_cgroup_tree(path + "/" + child, deadline);
            if (error.empty())
                error = e;
        }
    }
    for (;;) {
        if (::rmdir(path.c_str()) == 0 || errno == ENOENT)
            return error;
        if (errno != EBUSY || std::chrono::steady_clock::now() > deadline)
            return "rmdir " + path + ": " + std::strerror(errno);
        std::this_thread::sleep_for(kRemoveRetryPause);
    }
}

class ScratchSet {
public:
    explicit ScratchSet(const std::vector<HostHierarchy>& hierarchies)
    {
        int index = next_scratch_index();
        for (const auto& h : hierarchies) {
            std::string parent = join_path(h.host_mount, h.own_path);
            std::string path;
            for (;;) {
                path = parent + "/cgfs-test-" + std::to_string(::getpid()) + "-" + std::to_string(index);
                if (::mkdir(path.c_str(), 0755) == 0)
                    break;
                if (errno != EEXIST)
                    throw_errno("mkdir scratch cgroup " + path);
                index = next_scratch_index(); // a leftover of an earlier run with our pid
            }
            scratch_.push_back({h, path});
            auto ctrls = split(h.key, ',');
            if (!h.v2 && std::find(ctrls.begin(), ctrls.end(), "cpuset") != ctrls.end()) {
                // A new v1 cpuset cgroup has empty cpus/mems and refuses tasks (ENOSPC).
                // The container's root cpuset starts like a host root: clone_children = 0.
                for (const char* knob : {"cpuset.cpus", "cpuset.mems"}) {
                    int err = write_kernel_file(path + "/" + knob, cgroup_parent_knob(parent, knob));
                    if (err != 0)
                        throw_errno(err, "write " + path + "/" + knob);
                }
                int err = write_kernel_file(path + "/cgroup.clone_children", "0");
                if (err != 0)
                    throw_errno(err, "write " + path + "/cgroup.clone_children");
            }
        }
    }
    ScratchSet(const ScratchSet&) = delete;
    ScratchSet& operator=(const ScratchSet&) = delete;
    ~ScratchSet()
    {
        std::string error = remove_all();
        if (!error.empty())
            std::fprintf(stderr, "cgfs-sandbox: cleanup: %s\n", error.c_str());
    }

    std::string remove_all()
    {
        std::string error;
        auto deadline = std::chrono::steady_clock::now() + kRemoveDeadline;
        for (auto it = scratch_.rbegin(); it != scratch_.rend(); ++it) {
            std::string e = remove_cgroup_tree(it->path, deadline);
            if (error.empty())
                error = e;
        }
        scratch_.clear();
        return error;
    }

    // Runs in the forked child: enter every scratch cgroup. Returns the cgroup.procs files of
    // the cgroups it came from, opened now, for leave().
    [[nodiscard]] std::vector<UniqueFd> enter() const
    {
        std::string pid = std::to_string(::getpid());
        std::vector<UniqueFd> origins;
        for (const auto& s : scratch_) {
            std::string origin = join_path(s.hierarchy.host_mount, s.hierarchy.own_path) + "/cgroup.procs";
            origins.emplace_back(::open(origin.c_str(), O_WRONLY | O_CLOEXEC));
            if (!origins.back().valid())
                throw_errno("open " + origin);
            int err = write_kernel_file(s.path + "/cgroup.procs", pid);
            if (err != 0)
                throw_errno(err, "enter scratch cgroup " + s.path);
        }
        return origins;
    }

    // Once the container's init runs: the caller goes back where it came from, so the
    // container's root cgroup holds only the container's processes, as LXC's monitor stays
    // outside its container. On cgroup2 that matters: a root with a process of its own cannot
    // enable controllers (cgroup-v2.rst: no internal processes). The files were opened before
    // the cgroup namespace was made, so a "nsdelegate" mount allows the move.
    static void leave(const std::vector<UniqueFd>& origins)
    {
        std::string pid = std::to_string(::getpid());
        for (const auto& fd : origins)
            if (::write(fd.get(), pid.data(), pid.size()) != static_cast<ssize_t>(pid.size()))
                throw_errno("leave scratch cgroup");
    }

private:
    std::vector<Scratch> scratch_;
};

// ---- inside the container ---------------------------------------------------------------

std::vector<ContainerHierarchy> mount_cgroups(Layout layout, const std::vector<HostHierarchy>& host)
{
    std::vector<ContainerHierarchy> out;
    // Lazily drop the host's whole /sys/fs/cgroup tree so mountinfo shows only ours.
    detach(kCgroupRoot);
    if (layout == Layout::v2) {
        do_mount("cgroup2", kCgroupRoot, "cgroup2", kCgroupMountFlags, "");
        out.push_back({"unified", kCgroupRoot, true});
        return out;
    }
    do_mount("tmpfs", kCgroupRoot, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755");
    for (const auto& h : host) {
        if (h.v2)
            continue;
        std::string target = std::string(kCgroupRoot) + "/" + h.dir_name;
        make_dir(target, 0755);
        do_mount("cgroup", target, "cgroup", kCgroupMountFlags, h.mount_data);
        out.push_back({h.key, target, false});
    }
    if (layout == Layout::hybrid) {
        std::string target = std::string(kCgroupRoot) + "/unified";
        make_dir(target, 0755);
        do_mount("cgroup2", target, "cgroup2", kCgroupMountFlags, "");
        out.push_back({"unified", target, true});
    }
    return out;
}

struct DbEntry {
    std::string line;
    std::vector<std::string> fields;
};

// Rewrites a colon-separated account database, dropping lines for which `drop` is true and
// appending `extra`. Returns the names (field 0) dropped.
std::set<std::string> rewrite_db(const std::string& path,
                                 const std::function<bool(const std::vector<std::string>&)>& drop,
                                 const std::vector<std::string>& extra, mode_t mode)
{
    std::set<std::string> dropped;
    std::string text;
    if (::access(path.c_str(), F_OK) == 0)
        text = read_file(path);
    std::string out;
    for (const auto& line : split_lines(text)) {
        auto fields = split(line, ':');
        if (!line.empty() && line[0] != '#' && drop(fields)) {
            dropped.insert(fields[0]);
            continue;
        }
        out += line + "\n";
    }
    for (const auto& e : extra)
        out += e + "\n";
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0)
        mode = st.st_mode & 07777;
    write_regular_file(path, out, mode);
    return dropped;
}

void setup_users()
{
    const std::set<std::string> names = {"alice", "bob"};
    const std::set<std::string> ids = {std::to_string(kAliceUid), std::to_string(kBobUid)};
    // The image may own uid 1000 already; in the private copy uid 1000 is alice.
    auto users = rewrite_db(
        "/etc/passwd",
        [&](const std::vector<std::string>& f) {
            return names.count(f[0]) != 0 || (f.size() > 2 && ids.count(f[2]) != 0);
        },
        {"alice:x:1000:1000:Alice:/home/alice:/bin/bash", "bob:x:1001:1001:Bob:/home/bob:/bin/bash"}, 0644);
    users.insert(names.begin(), names.end());
    auto groups = rewrite_db(
        "/etc/group",
        [&](const std::vector<std::string>& f) {
            return names.count(f[0]) != 0 || (f.size() > 2 && ids.count(f[2]) != 0);
        },
        {"alice:x:1000:", "bob:x:1001:"}, 0644);
    groups.insert(names.begin(), names.end());
    rewrite_db(
        "/etc/shadow", [&](const std::vector<std::string>& f) { return users.count(f[0]) != 0; },
        {"alice:!:19000:0:99999:7:::", "bob:!:19000:0:99999:7:::"}, 0640);
    rewrite_db(
        "/etc/gshadow", [&](const std::vector<std::string>& f) { return groups.count(f[0]) != 0; },
        {"alice:!::", "bob:!::"}, 0640);
    for (const auto& [name, id] : {std::pair{"alice", kAliceUid}, std::pair{"bob", kBobUid}}) {
        std::string home = std::string("/home/") + name;
        make_dir(home, 0755);
        check(::chown(home.c_str(), id, id), "chown " + home);
    }
}

void bind_file(const std::string& source, const std::string& target)
{
    UniqueFd fd(::open(target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!fd.valid())
        throw_errno("create " + target);
    do_mount(source.c_str(), target, nullptr, MS_BIND, "");
}

void setup_dev(bool keep_tty)
{
    std::string dev = std::string(kStaging) + "/dev";
    make_dir(dev, 0755);
    do_mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755");
    for (const char* node : {"null", "zero", "full", "random", "urandom", "tty"})
        bind_file(std::string("/dev/") + node, dev + "/" + node);
    if (keep_tty) {
        char name[256];
        if (::ttyname_r(STDIN_FILENO, name, sizeof name) == 0)
            bind_file(name, dev + "/console");
    }
    make_dir(dev + "/pts", 0755);
    do_mount("devpts", dev + "/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620");
    check(::symlink("pts/ptmx", (dev + "/ptmx").c_str()), "symlink /dev/ptmx");
    make_dir(dev + "/shm", 01777);
    do_mount("tmpfs", dev + "/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
    check(::symlink("/proc/self/fd", (dev + "/fd").c_str()), "symlink /dev/fd");
    check(::symlink("/proc/self/fd/0", (dev + "/stdin").c_str()), "symlink /dev/stdin");
    check(::symlink("/proc/self/fd/1", (dev + "/stdout").c_str()), "symlink /dev/stdout");
    check(::symlink("/proc/self/fd/2", (dev + "/stderr").c_str()), "symlink /dev/stderr");
    detach("/dev");
    do_mount(dev.c_str(), "/dev", nullptr, MS_MOVE, "");
}

void bring_up_loopback()
{
    UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!sock.valid())
        throw_errno("socket for lo");
    ifreq req{};
    std::strncpy(req.ifr_name, "lo", IFNAMSIZ - 1);
    check(::ioctl(sock.get(), SIOCGIFFLAGS, &req), "SIOCGIFFLAGS lo");
    req.ifr_flags = static_cast<short>(req.ifr_flags | IFF_UP);
    check(::ioctl(sock.get(), SIOCSIFFLAGS, &req), "SIOCSIFFLAGS lo");
}

void bind_syslog(int fd)
{
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, "/dev/log");
    check(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), "bind /dev/log");
    check(::chmod("/dev/log", 0666), "chmod /dev/log");
}

// A directory of the caller held as a detached copy of its mount (open_tree(2) with
// OPEN_TREE_CLONE), attached again at the same path once the container's own /tmp, /home and
// /run hide it.
struct KeptDir {
    std::string path;
    UniqueFd tree;
    struct stat before {};
};

std::vector<KeptDir> hold_kept_dirs(const std::vector<std::string>& paths)
{
    std::vector<KeptDir> kept;
    for (const auto& path : paths) {
        if (path.empty() || path[0] != '/')
            throw std::invalid_argument("keep: not an absolute path: " + path);
        KeptDir k;
        k.path = path;
        check(::stat(path.c_str(), &k.before), "stat " + path);
        k.tree = UniqueFd(::open_tree(AT_FDCWD, path.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
        if (!k.tree.valid())
            throw_errno("open_tree " + path);
        kept.push_back(std::move(k));
    }
    return kept;
}

void attach_kept_dirs(std::vector<KeptDir>& kept)
{
    for (auto& k : kept) {
        struct stat now {};
        if (::stat(k.path.c_str(), &now) == 0 && now.st_dev == k.before.st_dev && now.st_ino == k.before.st_ino)
            continue; // still visible: nothing of the container is mounted over it
        std::string partial;
        for (const auto& component : split(k.path, '/')) {
            if (component.empty())
                continue;
            partial += "/" + component;
            if (::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST)
                throw_errno("mkdir " + partial);
        }
        check(::move_mount(k.tree.get(), "", AT_FDCWD, k.path.c_str(), MOVE_MOUNT_F_EMPTY_PATH),
              "move_mount " + k.path);
    }
}

// Runs as PID 1 of the new pid namespace; returns the exit code for the container.
std::vector<ContainerHierarchy> setup_container(const SandboxConfig& config, const std::vector<HostHierarchy>& host,
                                                int syslog_fd)
{
    auto kept = hold_kept_dirs(config.keep);
    detach("/proc");
    do_mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "");
    detach("/run");
    do_mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=755");
    make_dir(kStaging, 0700);
    std::string upper = std::string(kStaging) + "/etc.upper";
    std::string work = std::string(kStaging) + "/etc.work";
    make_dir(upper, 0755);
    make_dir(work, 0700);
    do_mount("overlay", "/etc", "overlay", 0, "lowerdir=/etc,upperdir=" + upper + ",workdir=" + work);
    detach("/home");
    do_mount("tmpfs", "/home", "tmpfs", MS_NOSUID | MS_NODEV, "mode=755");
    setup_users();
    detach("/tmp");
    do_mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
    attach_kept_dirs(kept);
    setup_dev(config.keep_tty);
    auto hierarchies = mount_cgroups(config.layout, host);
    check(::sethostname(kHostname, std::strlen(kHostname)), "sethostname");
    bring_up_loopback();
    bind_syslog(syslog_fd);
    return hierarchies;
}

int exit_code_of(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 255;
}

[[noreturn]] void container_init(const SandboxConfig& config, const std::vector<HostHierarchy>& host, int syslog_fd,
                                 int report_fd, const std::function<int(SandboxContext&)>& body)
{
    SandboxContext ctx;
    ctx.layout = config.layout;
    ctx.report_fd = report_fd;
    try {
        ctx.hierarchies = setup_container(config, host, syslog_fd);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cgfs-sandbox: container setup: %s\n", e.what());
        ::_exit(125);
    }
    ::close(syslog_fd);
    pid_t child = ::fork();
    if (child < 0) {
        std::perror("cgfs-sandbox: fork body");
        ::_exit(125);
    }
    if (child == 0) {
        if (!config.keep_tty)
            ::setsid();
        int code = 125;
        try {
            code = body(ctx);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "cgfs-sandbox: body: %s\n", e.what());
        }
        std::fflush(nullptr);
        ::_exit(code);
    }
    // PID 1 reaps every orphan until the body is done; leaving kills the rest (kernel).
    for (;;) {
        int status = 0;
        pid_t pid = ::waitpid(-1, &status, 0);
        if (pid == child)
            ::_exit(exit_code_of(status));
        if (pid < 0 && errno != EINTR)
            ::_exit(125);
    }
}

[[noreturn]] void container_parent(const SandboxConfig& config, const std::vector<HostHierarchy>& host,
                                   const ScratchSet& scratch, int syslog_fd, int report_fd,
                                   const std::function<int(SandboxContext&)>& body)
{
    std::vector<UniqueFd> origins;
    int left[2] = {-1, -1}; // init starts once we have left the scratch cgroups
    try {
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
            throw_errno("PR_SET_PDEATHSIG");
        check(::pipe2(left, O_CLOEXEC), "pipe");
        origins = scratch.enter();
        check(::unshare(CLONE_NEWCGROUP | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET),
              "unshare");
        do_mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, "");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cgfs-sandbox: %s\n", e.what());
        ::_exit(125);
    }
    pid_t init = ::fork();
    if (init < 0) {
        std::perror("cgfs-sandbox: fork init");
        ::_exit(125);
    }
    if (init == 0) {
        // If we die, the container dies: a pdeath SIGKILL from the parent namespace kills init.
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
            ::_exit(125);
        origins.clear();
        ::close(left[1]);
        char c = 0;
        if (::read(left[0], &c, 1) != 1)
            ::_exit(125);
        ::close(left[0]);
        container_init(config, host, syslog_fd, report_fd, body);
    }
    try {
        ScratchSet::leave(origins);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cgfs-sandbox: %s\n", e.what());
        ::_exit(125); // init dies with us (PR_SET_PDEATHSIG)
    }
    origins.clear();
    ::close(left[0]);
    if (::write(left[1], "g", 1) != 1)
        ::_exit(125);
    ::close(left[1]);
    ::close(syslog_fd);
    ::close(report_fd);
    for (;;) {
        int status = 0;
        pid_t pid = ::waitpid(init, &status, 0);
        if (pid == init)
            ::_exit(exit_code_of(status));
        if (pid < 0 && errno != EINTR)
            ::_exit(125);
    }
}

SyslogLine parse_syslog(std::string raw)
{
    while (!raw.empty() && (raw.back() == '\n' || raw.back() == '\0'))
        raw.pop_back();
    SyslogLine line;
    line.raw = raw;
    line.message = raw;
    if (raw.size() < 3 || raw[0] != '<')
        return line;
    size_t close = raw.find('>');
    if (close == std::string::npos)
        return line;
    int pri = 0;
    for (size_t i = 1; i < close; ++i)
        pri = pri * 10 + (raw[i] - '0');
    line.priority = pri & 7;
    // glibc: "<PRI>Mmm dd hh:mm:ss ident[pid]: message"
    size_t start = close + 1 + 16;
    size_t sep = raw.find(": ", std::min(start, raw.size()));
    if (start <= raw.size() && sep != std::string::npos)
        line.message = raw.substr(sep + 2);
    else
        line.message = raw.substr(close + 1);
    return line;
}

void drain_syslog(int fd, std::vector<SyslogLine>& out)
{
    char buf[16384];
    for (;;) {
        ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0)
            return;
        out.push_back(parse_syslog(std::string(buf, static_cast<size_t>(n))));
    }
}

} // namespace

const char* layout_name(Layout layout)
{
    switch (layout) {
    case Layout::v1:
        return "v1";
    case Layout::hybrid:
        return "hybrid";
    case Layout::v2:
        return "v2";
    }
    return "?";
}

Layout parse_layout(const std::string& name)
{
    if (name == "v1")
        return Layout::v1;
    if (name == "hybrid")
        return Layout::hybrid;
    if (name == "v2")
        return Layout::v2;
    throw std::invalid_argument("unknown layout '" + name + "' (v1, hybrid, v2)");
}

std::vector<HostHierarchy> discover_host_hierarchies()
{
    // Our own cgroup per hierarchy, keyed by the sorted controller field.
    std::vector<std::pair<std::string, std::string>> own; // sorted key, path
    for (const auto& line : split_lines(read_file("/proc/self/cgroup"))) {
        size_t a = line.find(':');
        size_t b = a == std::string::npos ? a : line.find(':', a + 1);
        if (b == std::string::npos)
            continue;
        std::string ctrl = line.substr(a + 1, b - a - 1);
        own.emplace_back(ctrl.empty() ? "" : sorted_key(ctrl), line.substr(b + 1));
    }
    std::vector<HostHierarchy> out;
    std::set<std::string> seen;
    for (const auto& line : split_lines(read_file("/proc/self/mountinfo"))) {
        auto fields = split(line, ' ');
        auto dash = std::find(fields.begin(), fields.end(), "-");
        if (fields.size() < 7 || dash == fields.end() || fields.end() - dash < 4)
            continue;
        const std::string& fstype = *(dash + 1);
        const std::string& super = *(dash + 3);
        if (fstype != "cgroup" && fstype != "cgroup2")
            continue;
        HostHierarchy h;
        h.v2 = fstype == "cgroup2";
        std::string root = unescape_mountinfo(fields[3]);
        h.host_mount = unescape_mountinfo(fields[4]);
        std::string own_key;
        if (h.v2) {
            h.key = "unified";
            h.dir_name = "unified";
        } else {
            std::vector<std::string> ctrls;
            std::string name;
            for (const auto& opt : split(super, ',')) {
                if (is_v1_flag_option(opt))
                    continue;
                if (starts_with(opt, "name="))
                    name = opt;
                else
                    ctrls.push_back(opt);
            }
            for (const auto& c : ctrls)
                h.key += (h.key.empty() ? "" : ",") + c;
            h.dir_name = h.key;
            h.mount_data = h.key;
            if (!name.empty()) {
                h.key += (h.key.empty() ? "" : ",") + name;
                if (ctrls.empty()) {
                    h.dir_name = name.substr(5);
                    h.mount_data = "none," + name;
                } else {
                    h.dir_name = h.key;
                    h.mount_data = h.key;
                }
            }
            own_key = sorted_key(h.key);
        }
        if (!seen.insert(h.key).second)
            continue; // mounted twice: the first mount is enough
        auto it = std::find_if(own.begin(), own.end(), [&](const auto& p) { return p.first == own_key; });
        if (it == own.end())
            continue;
        if (root != "/" && !starts_with(it->second, root + "/") && it->second != root)
            throw std::runtime_error("cgroup " + it->second + " not below the mount root " + root + " of " +
                                     h.host_mount);
        h.own_path = root == "/" ? it->second : it->second.substr(root.size());
        if (h.own_path.empty())
            h.own_path = "/";
        out.push_back(h);
    }
    return out;
}

std::string sandbox_unavailable_reason()
{
    if (::geteuid() != 0)
        return "needs root (creates cgroups, namespaces and mounts); running as uid " + std::to_string(::geteuid());
    try {
        if (discover_host_hierarchies().empty())
            return "no cgroup hierarchy is mounted";
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

SandboxResult run_in_sandbox(const SandboxConfig& config, const std::function<int(SandboxContext&)>& body)
{
    std::string why = sandbox_unavailable_reason();
    if (!why.empty())
        throw std::runtime_error("cgfs-sandbox: " + why);
    auto host = discover_host_hierarchies();
    bool has_v2 = std::any_of(host.begin(), host.end(), [](const auto& h) { return h.v2; });
    bool has_v1 = std::any_of(host.begin(), host.end(), [](const auto& h) { return !h.v2; });
    if (config.layout != Layout::v1 && !has_v2)
        throw std::runtime_error("cgfs-sandbox: the host mounts no cgroup2 hierarchy");
    if (config.layout != Layout::v2 && !has_v1)
        throw std::runtime_error("cgfs-sandbox: the host mounts no cgroup v1 hierarchy");
    // Every host hierarchy gets a scratch cgroup, mounted in the layout or not: no container
    // process ever sits in a cgroup of the host's.
    const std::vector<HostHierarchy>& used = host;

    UniqueFd syslog_sock(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!syslog_sock.valid())
        throw_errno("socket for /dev/log");
    int rcvbuf = kSyslogRcvbuf;
    (void)::setsockopt(syslog_sock.get(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    int pipefd[2];
    check(::pipe2(pipefd, O_CLOEXEC), "pipe");
    UniqueFd report_read(pipefd[0]);
    UniqueFd report_write(pipefd[1]);

    ScratchSet scratch(used);
    // A runner that is told to stop (meson's timeout, ^C, `timeout`) must still remove what it
    // made: SIGTERM/SIGINT/SIGHUP are taken through a signalfd while the container runs, end the
    // container, and are raised again after the cleanup.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    for (int sig : {SIGTERM, SIGINT, SIGHUP})
        sigaddset(&stop_signals, sig);
    sigset_t old_mask;
    check(::sigprocmask(SIG_BLOCK, &stop_signals, &old_mask), "sigprocmask");
    UniqueFd stop_fd(::signalfd(-1, &stop_signals, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!stop_fd.valid()) {
        int err = errno;
        ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
        throw_errno(err, "signalfd");
    }
    int stop_signal = 0;
    std::fflush(nullptr);
    pid_t child = ::fork();
    if (child < 0)
        throw_errno("fork");
    if (child == 0) {
        ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
        report_read.reset();
        container_parent(config, used, scratch, syslog_sock.release(), report_write.release(), body);
    }
    report_write.reset();
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, child, 0)));
    if (!pidfd.valid()) {
        int err = errno;
        ::kill(child, SIGKILL);
        ::waitpid(child, nullptr, 0);
        throw_errno(err, "pidfd_open");
    }

    SandboxResult result;
    auto deadline = std::chrono::steady_clock::now() + config.timeout;
    bool exited = false;
    bool report_eof = false;
    while (!exited || !report_eof) {
        pollfd fds[4] = {{pidfd.get(), POLLIN, 0},
                         {syslog_sock.get(), POLLIN, 0},
                         {report_read.get(), POLLIN, 0},
                         {stop_fd.get(), POLLIN, 0}};
        if (exited)
            fds[0].fd = -1;
        if (report_eof)
            fds[2].fd = -1;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        int timeout_ms = static_cast<int>(std::max<long>(0, static_cast<long>(left.count())));
        int n = ::poll(fds, 4, timeout_ms);
        if (n < 0 && errno != EINTR)
            throw_errno("poll");
        if (n > 0 && (fds[3].revents & POLLIN)) {
            signalfd_siginfo info{};
            if (::read(stop_fd.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info) && stop_signal == 0) {
                stop_signal = static_cast<int>(info.ssi_signo);
                ::kill(child, SIGKILL); // our own child; the container's init dies with it
            }
        }
        if (n == 0 && !exited && !result.timed_out) {
            // Our own child; init dies with it (PR_SET_PDEATHSIG), and with init the namespace.
            ::kill(child, SIGKILL);
            result.timed_out = true;
            deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
            continue;
        }
        if (n == 0 && result.timed_out)
            break;
        if (fds[1].revents & POLLIN)
            drain_syslog(syslog_sock.get(), result.syslog);
        if (fds[2].revents & (POLLIN | POLLHUP)) {
            char buf[8192];
            ssize_t r = ::read(report_read.get(), buf, sizeof buf);
            if (r > 0)
                result.report.append(buf, static_cast<size_t>(r));
            else if (r == 0)
                report_eof = true;
        }
        if (fds[0].revents & POLLIN) {
            int status = 0;
            if (::waitpid(child, &status, 0) == child) {
                exited = true;
                result.exit_code = result.timed_out ? -1 : exit_code_of(status);
            }
        }
    }
    if (!exited) {
        ::kill(child, SIGKILL);
        ::waitpid(child, nullptr, 0);
    }
    drain_syslog(syslog_sock.get(), result.syslog);
    std::string error = scratch.remove_all();
    ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    if (stop_signal != 0)
        ::raise(stop_signal); // the cleanup is done; now stop as asked
    if (!error.empty())
        throw std::runtime_error("cgfs-sandbox: removing scratch cgroups: " + error);
    return result;
}

} // namespace cgfs_test
