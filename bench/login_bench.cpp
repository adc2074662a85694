// login_bench: what a login costs with pam_cgfs. Inside a throwaway container (run_in_sandbox,
// layout v1|hybrid|v2) it drives real PAM stacks from a private confdir (pam_start_confdir, no
// @include) — pam_permit only, ours, LXC's reference — and the kernel's floor (the raw
// mkdir/chown/migrate/rmdir our module needs, floor.hpp), alternating per login in a shuffled
// order so machine drift cancels. Two modes: "fresh", a new process per login (pam_once, fork
// and exec: libpam loads the module into it, as sshd, login and su do), the headline; and
// "in-process", every login in this one long-lived process, with the scaling, parallel, memory
// and cold-load runs. Prints plain tables and one JSON line per configuration.
// Not a test: it asserts nothing about speed, it measures.

#include "floor.hpp"
#include "sandbox.hpp"
#include "session.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <security/pam_appl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CGFS_BENCH_MODULE
#define CGFS_BENCH_MODULE ""
#endif
#ifndef CGFS_BENCH_REFERENCE
#define CGFS_BENCH_REFERENCE ""
#endif
#ifndef CGFS_BENCH_PROBE
#define CGFS_BENCH_PROBE ""
#endif
#ifndef CGFS_BENCH_ONCE
#define CGFS_BENCH_ONCE ""
#endif

namespace {

using cgfs_bench::Floor;
using cgfs_bench::Hier;
using cgfs_bench::write_pid;
using cgfs_test::Layout;

constexpr const char* kUser = "alice";
constexpr uid_t kUid = cgfs_test::kAliceUid;
constexpr gid_t kGid = cgfs_test::kAliceUid;
constexpr const char* kConfdir = "/tmp/bench-pam.d";
constexpr const char* kSelection = "-c freezer,memory,name=systemd";
constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
/// Bound on rmdir retries for a busy cgroup whose sleeper was just killed (css release is async).
constexpr auto kRemoveDeadline = std::chrono::seconds(5);

/// How logins are run: each in a new process (pam_once, as sshd, login and su do), or all in
/// this long-lived process (what a PAM stack costs once everything is loaded and warm).
enum class Mode {
    fresh,
    in_process
};

const char* mode_name(Mode mode)
{
    return mode == Mode::fresh ? "fresh" : "in-process";
}

struct Options {
    std::vector<Layout> layouts{Layout::hybrid};
    std::vector<Mode> modes{Mode::fresh, Mode::in_process};
    int logins = 2000;
    int fresh_logins = 300; // per stack, a new process each
    std::vector<int> scale{0};
    int workers = 2;
    int worker_logins = 0; // 0: logins / 2
    int memory_logins = 1000;
    int probe_runs = 30;
    // Logins at E existing sessions: logins * scale_factor / E, at least scale_min: fewer with
    // many sessions, where the reference's close walks all of them (about 0.6 s a login at 1,000).
    int scale_factor = 100;
    int scale_min = 50;
    int reference_max_existing = 1000;
    std::string only; // one stack alone (permit, ours, reference, floor), for profilers
    std::string module = CGFS_BENCH_MODULE;
    std::string reference = CGFS_BENCH_REFERENCE;
    std::string probe = CGFS_BENCH_PROBE;
    std::string once = CGFS_BENCH_ONCE;
    // Profiling the fresh mode: each pam_once is started under this command (e.g. "strace -f -T").
    std::vector<std::string> child_wrapper;
    // Profiling: run the body under this command (e.g. "valgrind --tool=callgrind") inside the
    // container; the wrapped process gets --inside and the container's hierarchies.
    std::vector<std::string> wrapper;
    std::optional<Layout> inside;
    std::vector<cgfs_test::ContainerHierarchy> inside_hierarchies;
    std::vector<std::string> passthrough; // options handed to the wrapped process
};

double now_us()
{
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

struct Stat {
    double mean = 0, median = 0, p95 = 0;
};

Stat stat_of(std::vector<double> v)
{
    Stat s;
    if (v.empty())
        return s;
    std::sort(v.begin(), v.end());
    double sum = 0;
    for (double x : v)
        sum += x;
    s.mean = sum / static_cast<double>(v.size());
    const std::size_t n = v.size();
    s.median = n % 2 != 0 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    s.p95 = v[std::min(n - 1, static_cast<std::size_t>(std::ceil(0.95 * static_cast<double>(n))) - 1)];
    return s;
}

// ---- samples ------------------------------------------------------------------------------

constexpr const char* kPhases[] = {"start", "open", "close", "end"};
constexpr int kPhaseCount = 4;

struct Samples {
    std::vector<double> phase[kPhaseCount];
    std::vector<double> total;      // start+open+close+end
    std::vector<double> open_close; // open+close
    // Fresh mode only: fork to main() of the new process (exec, loading), and fork to its reaping;
    // per phase the CPU time (µs) and page faults the process spent in it.
    std::vector<double> spawn, life;
    std::vector<double> cpu[kPhaseCount], faults[kPhaseCount];
    int failures = 0;

    void add(const double (&t)[kPhaseCount])
    {
        for (int i = 0; i < kPhaseCount; ++i)
            phase[i].push_back(t[i]);
        total.push_back(t[0] + t[1] + t[2] + t[3]);
        open_close.push_back(t[1] + t[2]);
    }
    void merge(const Samples& o)
    {
        for (int i = 0; i < kPhaseCount; ++i)
            phase[i].insert(phase[i].end(), o.phase[i].begin(), o.phase[i].end());
        total.insert(total.end(), o.total.begin(), o.total.end());
        open_close.insert(open_close.end(), o.open_close.begin(), o.open_close.end());
        spawn.insert(spawn.end(), o.spawn.begin(), o.spawn.end());
        for (int i = 0; i < kPhaseCount; ++i) {
            cpu[i].insert(cpu[i].end(), o.cpu[i].begin(), o.cpu[i].end());
            faults[i].insert(faults[i].end(), o.faults[i].begin(), o.faults[i].end());
        }
        life.insert(life.end(), o.life.begin(), o.life.end());
        failures += o.failures;
    }
    [[nodiscard]] bool empty() const { return total.empty(); }
};

// ---- PAM stacks -----------------------------------------------------------------------------

int null_conv(int, const pam_message**, pam_response**, void*)
{
    return PAM_CONV_ERR;
}

void write_service(const std::string& name, const std::string& line)
{
    const std::string path = std::string(kConfdir) + "/" + name;
    FILE* f = std::fopen(path.c_str(), "we");
    if (f == nullptr)
        throw std::runtime_error("create " + path + ": " + std::strerror(errno));
    std::fprintf(f, "%s\n", line.c_str());
    std::fclose(f);
}

/// One login with one PAM handle; times each phase. False when a phase did not succeed.
bool pam_login(const char* service, double (&t)[kPhaseCount], const char* user = kUser)
{
    const pam_conv conv{null_conv, nullptr};
    pam_handle_t* pamh = nullptr;
    double a = now_us();
    int rc = ::pam_start_confdir(service, user, &conv, kConfdir, &pamh);
    double b = now_us();
    t[0] = b - a;
    if (rc != PAM_SUCCESS)
        return false;
    const int open_rc = ::pam_open_session(pamh, 0);
    double c = now_us();
    t[1] = c - b;
    const int close_rc = ::pam_close_session(pamh, 0);
    double d = now_us();
    t[2] = d - c;
    ::pam_end(pamh, PAM_SUCCESS);
    t[3] = now_us() - d;
    return open_rc == PAM_SUCCESS && close_rc == PAM_SUCCESS;
}

// ---- the container's hierarchies ----------------------------------------------------------------

std::vector<std::string> kernel_delegate_list()
{
    std::vector<std::string> files;
    FILE* f = std::fopen("/sys/kernel/cgroup/delegate", "re");
    if (f != nullptr) {
        char line[256];
        while (std::fgets(line, sizeof line, f) != nullptr) {
            std::string s(line);
            while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
                s.pop_back();
            if (!s.empty())
                files.push_back(s);
        }
        std::fclose(f);
    }
    if (files.empty())
        files = {"cgroup.procs", "cgroup.threads", "cgroup.subtree_control"};
    return files;
}

std::vector<Hier> selected_hierarchies(const cgfs_test::SandboxContext& ctx)
{
    std::vector<Hier> out;
    for (const auto& h : ctx.hierarchies) {
        const bool wanted =
            ctx.layout == Layout::v2 ? h.v2 : (h.key == "freezer" || h.key == "memory" || h.key == "name=systemd");
        if (!wanted)
            continue;
        Hier s{h.key, h.mount, h.v2, ::open(h.mount.c_str(), kDirFlags), {}};
        if (s.root_fd < 0)
            throw std::runtime_error("open " + h.mount + ": " + std::strerror(errno));
        // Which delegated files a fresh cgroup has (cgroup2 without controllers lacks memory.*).
        const std::vector<std::string> candidates =
            h.v2 ? kernel_delegate_list() : std::vector<std::string>{"tasks", "cgroup.procs"};
        const char* probe = "bench-probe";
        if (::mkdirat(s.root_fd, probe, 0755) != 0)
            throw std::runtime_error("mkdir probe in " + h.mount + ": " + std::strerror(errno));
        for (const auto& f : candidates)
            if (::faccessat(s.root_fd, (std::string(probe) + "/" + f).c_str(), F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                s.files.push_back(f);
        ::unlinkat(s.root_fd, probe, AT_REMOVEDIR);
        out.push_back(std::move(s));
    }
    return out;
}

/// Back to the container's root cgroup (where the driver starts) in every mounted hierarchy.
void move_home(const cgfs_test::SandboxContext& ctx)
{
    for (const auto& h : ctx.hierarchies) {
        const int fd = ::open(h.mount.c_str(), kDirFlags);
        if (fd >= 0) {
            (void)write_pid(fd, "", ::getpid());
            ::close(fd);
        }
    }
}

std::string self_cgroup_text()
{
    std::string text;
    FILE* f = std::fopen("/proc/self/cgroup", "re");
    if (f == nullptr)
        return text;
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0)
        text.append(buf, n);
    std::fclose(f);
    return text;
}

/// The driver sits in its starting cgroup ("/") in every hierarchy.
bool at_home()
{
    std::istringstream in(self_cgroup_text());
    std::string line;
    while (std::getline(in, line))
        if (line.size() < 2 || line.substr(line.size() - 2) != ":/")
            return false;
    return true;
}

/// LXC's module leaves the caller inside user/alice/0 at close (it does not remove the session
/// cgroup it made). Undone, untimed, after each reference login so every stack
/// starts from the same state.
void restore_after_reference(const cgfs_test::SandboxContext& ctx, const std::vector<Hier>& sel)
{
    move_home(ctx);
    for (const auto& h : sel) {
        ::unlinkat(h.root_fd, "user/alice/0", AT_REMOVEDIR); // EBUSY when pre-existing: fine
        ::unlinkat(h.root_fd, "user/alice", AT_REMOVEDIR);
    }
}

// ---- the floor ----------------------------------------------------------------------------------

// ---- pre-existing sessions ----------------------------------------------------------------------

/// M busy session cgroups: of alice (user/alice/0..M-1) or of M other users (user/u<i>/0), each
/// populated by a sleeping child of ours so the module's reaper (pam_cgfs(8)
/// "Reaping": a session that runs anything is kept) must leave them.
class Population {
public:
    Population(const std::vector<Hier>& sel, int count, bool same_user) : sel_(sel)
    {
        for (int i = 0; i < count; ++i) {
            const std::string owner = same_user ? "user/alice" : "user/u" + std::to_string(i);
            const std::string dir = same_user ? owner + "/" + std::to_string(i) : owner + "/0";
            std::string leaf = dir;
            for (const auto& h : sel) {
                (void)::mkdirat(h.root_fd, "user", 0755);
                (void)::mkdirat(h.root_fd, owner.c_str(), 0755);
                if (::mkdirat(h.root_fd, dir.c_str(), 0755) != 0)
                    throw std::runtime_error("mkdir " + dir + ": " + std::strerror(errno));
                if (h.v2 && ::mkdirat(h.root_fd, (dir + "/" + cgfs::kSessionLeaf).c_str(), 0755) != 0)
                    throw std::runtime_error("mkdir " + dir + "/" + cgfs::kSessionLeaf + ": " + std::strerror(errno));
            }
            dirs_.push_back(dir);
            owners_.push_back(owner);
            const pid_t child = ::fork();
            if (child < 0)
                throw std::runtime_error(std::string("fork sleeper: ") + std::strerror(errno));
            if (child == 0) {
                ::prctl(PR_SET_PDEATHSIG, SIGKILL);
                for (;;)
                    ::pause();
            }
            sleepers_.push_back(child);
            const double attach_start = now_us();
            for (const auto& h : sel)
                if (!write_pid(h.root_fd, h.v2 ? dir + "/" + cgfs::kSessionLeaf : dir, child))
                    throw std::runtime_error("attach sleeper to " + dir + ": " + std::strerror(errno));
            attach_us += now_us() - attach_start;
        }
    }
    Population(const Population&) = delete;
    Population& operator=(const Population&) = delete;
    ~Population()
    {
        // Only our own children, by pid.
        for (const pid_t p : sleepers_)
            ::kill(p, SIGKILL);
        for (const pid_t p : sleepers_)
            ::waitpid(p, nullptr, 0);
        const auto deadline = std::chrono::steady_clock::now() + kRemoveDeadline;
        for (const auto& h : sel_) {
            for (std::size_t i = 0; i < dirs_.size(); ++i) {
                if (h.v2)
                    remove(h.root_fd, dirs_[i] + "/" + cgfs::kSessionLeaf, deadline);
                remove(h.root_fd, dirs_[i], deadline);
                (void)::unlinkat(h.root_fd, owners_[i].c_str(), AT_REMOVEDIR);
            }
        }
    }

private:
    static void remove(int root, const std::string& dir, std::chrono::steady_clock::time_point deadline)
    {
        while (::unlinkat(root, dir.c_str(), AT_REMOVEDIR) != 0 && errno == EBUSY &&
               std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }

    const std::vector<Hier>& sel_;
    std::vector<std::string> dirs_;
    std::vector<std::string> owners_;
    std::vector<pid_t> sleepers_;

public:
    double attach_us = 0; // time spent migrating sleepers (cgroup.procs writes)
};

// ---- one configuration ----------------------------------------------------------------------

struct Stacks {
    bool permit = true, ours = true, reference = true, floor = true;
    // Ours for bob, who has no sessions, beside alice's logins while she has many: the growth
    // that alice's own sessions cause, measured in one run so machine drift cancels.
    bool ours_fresh = false;
};

/// The user of the "ours-fresh" stack (the test containers' second user).
constexpr const char* kFreshUser = "bob";

struct Result {
    std::map<std::string, Samples> stacks; // permit, ours, reference; floor uses phase open/close
};

/// The alternating loop: per iteration one login of every stack, in an order shuffled anew each
/// time (a fixed rotation gave every stack the same predecessor: after the floor, which unmaps
/// no module, the next pam_start paid more).
Result alternate(const cgfs_test::SandboxContext& ctx, const std::vector<Hier>& sel, const Stacks& which, int logins,
                 long first_free)
{
    Result r;
    Floor floor(sel, first_free, kUid, kGid, kUser);
    std::vector<std::string> order;
    if (which.permit)
        order.emplace_back("permit");
    if (which.ours)
        order.emplace_back("ours");
    if (which.reference)
        order.emplace_back("reference");
    if (which.floor)
        order.emplace_back("floor");
    if (which.ours_fresh)
        order.emplace_back("ours-fresh");
    std::mt19937 shuffle_rng(20261129);
    for (int i = 0; i < logins; ++i) {
        std::shuffle(order.begin(), order.end(), shuffle_rng);
        for (const std::string& name : order) {
            double t[kPhaseCount] = {0, 0, 0, 0};
            bool ok = true;
            if (name == "floor") {
                const double a = now_us();
                ok = floor.open();
                const double b = now_us();
                ok = floor.close() && ok;
                t[1] = b - a;
                t[2] = now_us() - b;
            } else if (name == "ours-fresh") {
                ok = pam_login("bench-ours", t, kFreshUser);
            } else {
                ok = pam_login(name == "permit" ? "bench-permit" : name == "ours" ? "bench-ours" : "bench-ref", t);
                if (name == "reference")
                    restore_after_reference(ctx, sel);
            }
            if (!ok)
                ++r.stacks[name].failures;
            r.stacks[name].add(t);
        }
    }
    return r;
}

// ---- fresh mode: a new process per login --------------------------------------------------------

/// The pam_once command line of one stack's login.
std::vector<std::string> once_command(const Options& o, const std::string& stack, const std::vector<Hier>& sel)
{
    std::vector<std::string> args = o.child_wrapper;
    args.push_back(o.once);
    if (stack == "floor") {
        args.insert(args.end(), {"floor", std::to_string(kUid), std::to_string(kGid), kUser, "0"});
        for (const auto& h : sel) {
            std::string files;
            for (const auto& f : h.files)
                files += (files.empty() ? "" : ",") + f;
            args.push_back(std::string(h.v2 ? "2" : "1") + ":" + h.mount + ":" + files);
        }
    } else {
        args.insert(args.end(), {"pam", kConfdir,
                                 stack == "permit" ? "bench-permit"
                                 : stack == "ours" ? "bench-ours"
                                                   : "bench-ref",
                                 kUser});
    }
    return args;
}

/// Runs one login in a new process (fork, exec of pam_once) and adds its phases to `s`. The
/// driver itself never moves: a cgroup.procs write of its own would warm the kernel's
/// migration lock for the next child (cgroup-v2.rst "favordynmods").
void fresh_login(const std::vector<std::string>& args, Samples& s)
{
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (const auto& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0)
        throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    std::fflush(nullptr);
    const double forked = now_us();
    const pid_t pid = ::fork();
    if (pid < 0)
        throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        ::dup2(p[1], STDOUT_FILENO);
        ::execvp(argv[0], argv.data());
        ::_exit(127);
    }
    ::close(p[1]);
    std::string text;
    char buf[256];
    ssize_t n = 0;
    while ((n = ::read(p[0], buf, sizeof buf)) > 0)
        text.append(buf, static_cast<std::size_t>(n));
    ::close(p[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    const double reaped = now_us();
    double main_us = 0;
    int ok = 0;
    double t[kPhaseCount] = {0, 0, 0, 0};
    double cpu[kPhaseCount] = {0, 0, 0, 0};
    long faults[kPhaseCount] = {0, 0, 0, 0};
    if (std::sscanf(text.c_str(), "%lf %d %lf %lf %ld %lf %lf %ld %lf %lf %ld %lf %lf %ld", &main_us, &ok, &t[0],
                    &cpu[0], &faults[0], &t[1], &cpu[1], &faults[1], &t[2], &cpu[2], &faults[2], &t[3], &cpu[3],
                    &faults[3]) != 14) {
        ++s.failures;
        return;
    }
    if (ok == 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        ++s.failures;
    s.add(t);
    for (int i = 0; i < kPhaseCount; ++i) {
        s.cpu[i].push_back(cpu[i]);
        s.faults[i].push_back(static_cast<double>(faults[i]));
    }
    s.spawn.push_back(main_us - forked);
    s.life.push_back(reaped - forked);
}

/// After a fresh reference login: the process that LXC's module left in user/alice/0 has
/// exited; its cgroups go, untimed, so every stack starts from the same state. The kernel may
/// refuse an rmdir for a moment after the exit (EBUSY): retried within kRemoveDeadline.
void remove_reference_leftover(const std::vector<Hier>& sel)
{
    const auto deadline = std::chrono::steady_clock::now() + kRemoveDeadline;
    for (const auto& h : sel) {
        for (const char* dir : {"user/alice/0", "user/alice"}) {
            while (::unlinkat(h.root_fd, dir, AT_REMOVEDIR) != 0 && errno == EBUSY &&
                   std::chrono::steady_clock::now() < deadline)
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
}

/// The alternating loop of the fresh mode: per iteration one login of every stack, each in a
/// new process, in an order shuffled anew each time.
Result alternate_fresh(const Options& o, const std::vector<Hier>& sel, const Stacks& which, int logins)
{
    Result r;
    std::vector<std::pair<std::string, std::vector<std::string>>> order;
    for (const auto& [wanted, name] : {std::pair<bool, const char*>{which.permit, "permit"},
                                       {which.ours, "ours"},
                                       {which.reference, "reference"},
                                       {which.floor, "floor"}})
        if (wanted)
            order.emplace_back(name, once_command(o, name, sel));
    std::mt19937 shuffle_rng(20261203);
    for (int i = 0; i < logins; ++i) {
        std::shuffle(order.begin(), order.end(), shuffle_rng);
        for (const auto& [name, args] : order) {
            fresh_login(args, r.stacks[name]);
            if (name == "reference")
                remove_reference_leftover(sel);
        }
    }
    return r;
}

// Worker samples travel to the parent as text: "<stack> <failures> <n>\n" then n lines of 4 doubles.
void send(int fd, const Result& r)
{
    std::string out;
    char buf[160];
    for (const auto& [name, s] : r.stacks) {
        out += name + " " + std::to_string(s.failures) + " " + std::to_string(s.total.size()) + "\n";
        for (std::size_t i = 0; i < s.total.size(); ++i) {
            std::snprintf(buf, sizeof buf, "%.3f %.3f %.3f %.3f\n", s.phase[0][i], s.phase[1][i], s.phase[2][i],
                          s.phase[3][i]);
            out += buf;
        }
    }
    std::size_t done = 0;
    while (done < out.size()) {
        const ssize_t n = ::write(fd, out.data() + done, out.size() - done);
        if (n <= 0)
            break;
        done += static_cast<std::size_t>(n);
    }
}

void receive(const std::string& text, Result& r)
{
    std::istringstream in(text);
    std::string name;
    int failures = 0;
    std::size_t n = 0;
    while (in >> name >> failures >> n) {
        Samples& s = r.stacks[name];
        s.failures += failures;
        for (std::size_t i = 0; i < n; ++i) {
            double t[kPhaseCount];
            in >> t[0] >> t[1] >> t[2] >> t[3];
            s.add(t);
        }
    }
}

/// `workers` processes, each its own session process, running the alternating loop at once.
Result parallel(const cgfs_test::SandboxContext& ctx, const std::vector<Hier>& sel, const Stacks& which, int workers,
                int logins)
{
    int go[2];
    if (::pipe2(go, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe");
    std::vector<std::pair<pid_t, int>> kids;
    for (int w = 0; w < workers; ++w) {
        int p[2];
        if (::pipe2(p, O_CLOEXEC) != 0)
            throw std::runtime_error("pipe");
        const pid_t pid = ::fork();
        if (pid < 0)
            throw std::runtime_error("fork worker");
        if (pid == 0) {
            ::close(p[0]);
            ::close(go[1]);
            char c = 0;
            (void)!::read(go[0], &c, 1); // start together
            const Result r = alternate(ctx, sel, which, logins, 0);
            send(p[1], r);
            ::_exit(0);
        }
        ::close(p[1]);
        kids.emplace_back(pid, p[0]);
    }
    ::close(go[0]);
    ::close(go[1]); // EOF releases every worker at once
    Result merged;
    for (auto& [pid, fd] : kids) {
        std::string text;
        char buf[65536];
        ssize_t n = 0;
        while ((n = ::read(fd, buf, sizeof buf)) > 0)
            text.append(buf, static_cast<std::size_t>(n));
        ::close(fd);
        ::waitpid(pid, nullptr, 0);
        receive(text, merged);
    }
    return merged;
}

// ---- output -------------------------------------------------------------------------------

std::string fmt(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

std::string fmt_ratio(std::optional<double> v)
{
    if (!v)
        return "null";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", *v);
    return buf;
}

std::string json_stat(const Stat& s)
{
    return "{\"mean\":" + fmt(s.mean) + ",\"median\":" + fmt(s.median) + ",\"p95\":" + fmt(s.p95) + "}";
}

struct Figures {
    std::optional<double> ours_added, ref_added, ours_module, floor_total, ours_vs_ref, ours_vs_floor;
    std::optional<double> permit_total; // median, the machine's pace
    std::optional<double> same_user;    // ours (alice, many sessions) / ours-fresh (bob, none), added cost
    std::optional<double> ours_open, ref_open, floor_open; // medians of the open phase alone
};

Figures figures(const Result& r)
{
    Figures f;
    const auto get = [&](const char* name) -> const Samples* {
        auto it = r.stacks.find(name);
        return it == r.stacks.end() || it->second.empty() ? nullptr : &it->second;
    };
    const Samples* permit = get("permit");
    const Samples* ours = get("ours");
    const Samples* ref = get("reference");
    const Samples* floor = get("floor");
    if (permit && ours) {
        f.ours_added = stat_of(ours->total).median - stat_of(permit->total).median;
        f.ours_module = stat_of(ours->open_close).median - stat_of(permit->open_close).median;
    }
    if (permit && ref)
        f.ref_added = stat_of(ref->total).median - stat_of(permit->total).median;
    if (floor)
        f.floor_total = stat_of(floor->open_close).median;
    if (f.ours_added && f.ref_added && *f.ref_added > 0)
        f.ours_vs_ref = *f.ours_added / *f.ref_added;
    if (f.ours_module && f.floor_total && *f.floor_total > 0)
        f.ours_vs_floor = *f.ours_module / *f.floor_total;
    if (permit)
        f.permit_total = stat_of(permit->total).median;
    if (ours)
        f.ours_open = stat_of(ours->phase[1]).median;
    if (ref)
        f.ref_open = stat_of(ref->phase[1]).median;
    if (floor)
        f.floor_open = stat_of(floor->phase[1]).median;
    if (const Samples* fresh = get("ours-fresh"); fresh && permit && f.ours_added) {
        const double fresh_added = stat_of(fresh->total).median - stat_of(permit->total).median;
        if (fresh_added > 0)
            f.same_user = *f.ours_added / fresh_added;
    }
    return f;
}

struct Config {
    Mode mode;
    Layout layout;
    int existing = 0;
    std::string owner = "none"; // "alice" (same user) / "others"
    int workers = 1;
    int logins = 0;
};

std::optional<double> ratio(std::optional<double> now, std::optional<double> base)
{
    if (!now || !base || *base <= 0)
        return std::nullopt;
    return *now / *base;
}

/// Prints one configuration; `baseline` (the run with 0 existing sessions) gives the growths.
Figures report(const Config& c, const Result& r, const std::optional<Figures>& baseline)
{
    const Figures f = figures(r);
    std::printf("\n== %s, layout %s, %d existing sessions (%s), %d worker%s, %d logins per %s\n",
                c.mode == Mode::fresh ? "a new process per login" : "in one process", cgfs_test::layout_name(c.layout),
                c.existing, c.owner.c_str(), c.workers, c.workers > 1 ? "s" : "", c.logins,
                c.workers > 1 ? "worker" : "stack");
    if (c.mode == Mode::fresh)
        std::printf("%-10s %-6s %10s %10s %10s %10s %7s   (microseconds; cpu, faults: medians)\n", "stack", "phase",
                    "mean", "median", "p95", "cpu", "faults");
    else
        std::printf("%-10s %-6s %10s %10s %10s   (microseconds)\n", "stack", "phase", "mean", "median", "p95");
    std::string json = "{\"bench\":\"login\",\"mode\":\"" + std::string(mode_name(c.mode)) + "\",\"layout\":\"" +
                       std::string(cgfs_test::layout_name(c.layout)) + "\",\"existing\":" + std::to_string(c.existing) +
                       ",\"owner\":\"" + c.owner + "\",\"workers\":" + std::to_string(c.workers) +
                       ",\"logins\":" + std::to_string(c.logins) + ",\"selection\":\"" + kSelection + "\",\"stacks\":{";
    bool first_stack = true;
    for (const char* name : {"permit", "ours", "ours-fresh", "reference", "floor"}) {
        auto it = r.stacks.find(name);
        if (it == r.stacks.end() || it->second.empty())
            continue;
        const Samples& s = it->second;
        json += std::string(first_stack ? "" : ",") + "\"" + name + "\":{";
        first_stack = false;
        const bool is_floor = std::string(name) == "floor";
        bool first_phase = true;
        for (int p = 0; p < kPhaseCount; ++p) {
            if (is_floor && (p == 0 || p == 3))
                continue;
            const Stat st = stat_of(s.phase[p]);
            std::printf("%-10s %-6s %10s %10s %10s", name, kPhases[p], fmt(st.mean).c_str(), fmt(st.median).c_str(),
                        fmt(st.p95).c_str());
            std::string cpu_json;
            if (!s.cpu[p].empty()) {
                const double cpu = stat_of(s.cpu[p]).median;
                const double faults = stat_of(s.faults[p]).median;
                std::printf(" %10s %7s", fmt(cpu).c_str(), fmt(faults).c_str());
                cpu_json = ",\"cpu_median\":" + fmt(cpu) + ",\"faults_median\":" + fmt(faults);
            }
            std::printf("\n");
            json += std::string(first_phase ? "" : ",") + "\"" + kPhases[p] + "\":" + json_stat(st);
            if (!cpu_json.empty())
                json.insert(json.size() - 1, cpu_json);
            first_phase = false;
        }
        const Stat tot = stat_of(is_floor ? s.open_close : s.total);
        std::printf("%-10s %-6s %10s %10s %10s%s\n", name, "total", fmt(tot.mean).c_str(), fmt(tot.median).c_str(),
                    fmt(tot.p95).c_str(), s.failures ? ("   failures: " + std::to_string(s.failures)).c_str() : "");
        json += ",\"total\":" + json_stat(tot);
        if (!s.spawn.empty()) {
            // Outside the PAM calls: exec and loading before main(), and fork to reaping.
            const Stat spawn = stat_of(s.spawn);
            const Stat life = stat_of(s.life);
            std::printf("%-10s %-6s %10s %10s %10s\n", name, "spawn", fmt(spawn.mean).c_str(),
                        fmt(spawn.median).c_str(), fmt(spawn.p95).c_str());
            std::printf("%-10s %-6s %10s %10s %10s\n", name, "life", fmt(life.mean).c_str(), fmt(life.median).c_str(),
                        fmt(life.p95).c_str());
            json += ",\"spawn\":" + json_stat(spawn) + ",\"life\":" + json_stat(life);
        }
        json += ",\"failures\":" + std::to_string(s.failures) + "}";
    }
    json += "}";
    // Growth against 0 existing sessions: of ours (whole login added, and module open+close) and
    // of the floor, whose kernel work grows too (more cgroups in the hierarchy).
    const std::optional<double> growth = baseline ? ratio(f.ours_added, baseline->ours_added) : std::nullopt;
    const std::optional<double> module_growth = baseline ? ratio(f.ours_module, baseline->ours_module) : std::nullopt;
    const std::optional<double> floor_growth = baseline ? ratio(f.floor_total, baseline->floor_total) : std::nullopt;
    // The same, divided by how much slower the permit-only stack (no cgroups at all) got between
    // the two runs: the machine's drift, which these shared VMs show (up to 1.5x in minutes).
    const std::optional<double> drift = baseline ? ratio(f.permit_total, baseline->permit_total) : std::nullopt;
    const std::optional<double> corrected = drift ? ratio(growth, drift) : std::nullopt;
    std::printf("added login cost (median total - permit): ours %s us, reference %s us; ours/reference %s\n",
                f.ours_added ? fmt(*f.ours_added).c_str() : "-", f.ref_added ? fmt(*f.ref_added).c_str() : "-",
                fmt_ratio(f.ours_vs_ref).c_str());
    std::printf("module open+close (median - permit): ours %s us, floor %s us; ours/floor %s%s\n",
                f.ours_module ? fmt(*f.ours_module).c_str() : "-", f.floor_total ? fmt(*f.floor_total).c_str() : "-",
                fmt_ratio(f.ours_vs_floor).c_str(),
                growth ? ("; growth vs 0 existing: ours " + fmt_ratio(growth) + " (open+close " +
                          fmt_ratio(module_growth) + "), floor " + fmt_ratio(floor_growth) + ", permit-only " +
                          fmt_ratio(drift) + "; ours corrected for that drift " + fmt_ratio(corrected))
                             .c_str()
                       : "");
    if (f.same_user)
        std::printf("same run, ours for %s (these sessions are hers) / ours for %s (no sessions): %s\n", kUser,
                    kFreshUser, fmt_ratio(f.same_user).c_str());
    const auto num = [](std::optional<double> v) { return v ? fmt(*v) : std::string("null"); };
    json += ",\"ours_added_us\":" + num(f.ours_added) + ",\"reference_added_us\":" + num(f.ref_added) +
            ",\"ours_module_us\":" + num(f.ours_module) + ",\"floor_us\":" + num(f.floor_total) +
            ",\"ours_vs_reference\":" + fmt_ratio(f.ours_vs_ref) + ",\"ours_vs_floor\":" + fmt_ratio(f.ours_vs_floor) +
            ",\"growth_vs_0\":" + fmt_ratio(growth) + ",\"module_growth_vs_0\":" + fmt_ratio(module_growth) +
            ",\"floor_growth_vs_0\":" + fmt_ratio(floor_growth) + ",\"permit_growth_vs_0\":" + fmt_ratio(drift) +
            ",\"growth_vs_0_drift_corrected\":" + fmt_ratio(corrected) +
            ",\"same_user_vs_fresh\":" + fmt_ratio(f.same_user) + ",\"ours_open_us\":" + num(f.ours_open) +
            ",\"reference_open_us\":" + num(f.ref_open) + ",\"floor_open_us\":" + num(f.floor_open) +
            ",\"ours_open_vs_reference\":" + fmt_ratio(ratio(f.ours_open, f.ref_open)) + "}";
    std::printf("%s\n", json.c_str());
    std::fflush(stdout);
    return f;
}

// ---- memory and fds -----------------------------------------------------------------------------

long vm_rss_kb()
{
    FILE* f = std::fopen("/proc/self/status", "re");
    if (f == nullptr)
        return -1;
    char line[256];
    long kb = -1;
    while (std::fgets(line, sizeof line, f) != nullptr)
        if (std::strncmp(line, "VmRSS:", 6) == 0)
            kb = std::strtol(line + 6, nullptr, 10);
    std::fclose(f);
    return kb;
}

int open_fds()
{
    DIR* d = ::opendir("/proc/self/fd");
    if (d == nullptr)
        return -1;
    int n = 0;
    while (const dirent* e = ::readdir(d))
        if (e->d_name[0] != '.')
            ++n;
    ::closedir(d);
    return n - 1; // the directory's own fd
}

void memory_run(Layout layout, const char* stack, const char* service, int logins, const cgfs_test::SandboxContext& ctx,
                const std::vector<Hier>& sel)
{
    double t[kPhaseCount];
    for (int i = 0; i < 20; ++i) { // warm-up: first-use allocations of libc and libpam
        (void)pam_login(service, t);
        if (std::strcmp(stack, "reference") == 0)
            restore_after_reference(ctx, sel);
    }
    const long rss0 = vm_rss_kb();
    const int fds0 = open_fds();
    int failures = 0;
    for (int i = 0; i < logins; ++i) {
        if (!pam_login(service, t))
            ++failures;
        if (std::strcmp(stack, "reference") == 0)
            restore_after_reference(ctx, sel);
    }
    const long rss1 = vm_rss_kb();
    const int fds1 = open_fds();
    std::printf("\n== layout %s, %s: %d logins in one process: VmRSS %ld -> %ld kB, open fds %d -> %d%s\n",
                cgfs_test::layout_name(layout), stack, logins, rss0, rss1, fds0, fds1,
                failures ? (", failures " + std::to_string(failures)).c_str() : "");
    std::printf("{\"bench\":\"memory\",\"layout\":\"%s\",\"stack\":\"%s\",\"logins\":%d,\"rss_kb_before\":%ld,"
                "\"rss_kb_after\":%ld,\"fds_before\":%d,\"fds_after\":%d,\"failures\":%d}\n",
                cgfs_test::layout_name(layout), stack, logins, rss0, rss1, fds0, fds1, failures);
    std::fflush(stdout);
}

// ---- cold load: dlopen in a process that has neither libstdc++ nor libseccomp loaded --------------

void probe_run(Layout layout, const Options& o)
{
    if (o.probe.empty() || o.probe_runs <= 0)
        return;
    for (const auto& [name, path] :
         {std::pair<std::string, std::string>{"ours", o.module}, {"reference", o.reference}}) {
        if (path.empty() || ::access(path.c_str(), R_OK) != 0)
            continue;
        std::vector<double> us;
        for (int i = 0; i < o.probe_runs; ++i) {
            int p[2];
            if (::pipe2(p, O_CLOEXEC) != 0)
                return;
            const pid_t pid = ::fork();
            if (pid == 0) {
                ::dup2(p[1], STDOUT_FILENO);
                ::execl(o.probe.c_str(), o.probe.c_str(), path.c_str(), static_cast<char*>(nullptr));
                ::_exit(127);
            }
            ::close(p[1]);
            char buf[64] = {};
            const ssize_t n = ::read(p[0], buf, sizeof buf - 1);
            ::close(p[0]);
            ::waitpid(pid, nullptr, 0);
            if (n > 0)
                us.push_back(std::strtod(buf, nullptr));
        }
        const Stat s = stat_of(us);
        std::printf("\n== layout %s, cold dlopen(RTLD_NOW) of %s in a fresh C-like process (libpam loaded): "
                    "median %s us, p95 %s us over %zu runs\n",
                    cgfs_test::layout_name(layout), name.c_str(), fmt(s.median).c_str(), fmt(s.p95).c_str(), us.size());
        std::printf("{\"bench\":\"cold_load\",\"layout\":\"%s\",\"stack\":\"%s\",\"runs\":%zu,\"load\":%s}\n",
                    cgfs_test::layout_name(layout), name.c_str(), us.size(), json_stat(s).c_str());
    }
    std::fflush(stdout);
}

// ---- the summary of a mode, one row per layout ---------------------------------------------------

/// One row of the summary, sent from inside the container to main() through the sandbox's
/// report pipe: "<mode> <layout> <ours added> <reference added> <ours open> <reference open>
/// <ours open+close> <floor>", "-" for what was not measured.
void send_summary(const cgfs_test::SandboxContext& ctx, const Config& c, const Figures& f)
{
    if (ctx.report_fd < 0)
        return;
    const auto num = [](std::optional<double> v) { return v ? fmt(*v) : std::string("-"); };
    const std::string line = std::string(mode_name(c.mode)) + " " + cgfs_test::layout_name(c.layout) + " " +
                             num(f.ours_added) + " " + num(f.ref_added) + " " + num(f.ours_open) + " " +
                             num(f.ref_open) + " " + num(f.ours_module) + " " + num(f.floor_total) + "\n";
    (void)!::write(ctx.report_fd, line.data(), line.size());
}

/// Prints the rows of one mode as a table; ratios from the same row (same run and container).
/// In the fresh mode, v1 and v2 are also compared with hybrid (one run, but separate containers
/// minutes apart).
void print_summary(Mode mode, const std::string& rows)
{
    struct Row {
        std::string layout;
        std::optional<double> v[6];
    };
    std::vector<Row> table;
    std::istringstream in(rows);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream words(line);
        std::string m;
        Row r;
        words >> m >> r.layout;
        if (m != mode_name(mode))
            continue;
        for (auto& v : r.v) {
            std::string w;
            words >> w;
            if (!w.empty() && w != "-")
                v = std::strtod(w.c_str(), nullptr);
        }
        table.push_back(std::move(r));
    }
    if (table.empty())
        return;
    std::optional<double> hybrid_added;
    for (const auto& r : table)
        if (r.layout == "hybrid")
            hybrid_added = r.v[0];
    const auto num = [](std::optional<double> v) { return v ? fmt(*v) : std::string("-"); };
    std::printf("\n== summary, %s (medians in microseconds; added = whole login minus the permit-only stack's)\n",
                mode == Mode::fresh ? "a new process per login" : "in one process");
    std::printf("%-7s %10s %10s %8s %10s %10s %8s %10s %10s %8s%s\n", "layout", "ours add", "ref add", "ours/ref",
                "ours open", "ref open", "open o/r", "ours o+c", "floor", "o+c/flr",
                mode == Mode::fresh ? "  vs hybrid" : "");
    for (const auto& r : table) {
        std::printf("%-7s %10s %10s %8s %10s %10s %8s %10s %10s %8s", r.layout.c_str(), num(r.v[0]).c_str(),
                    num(r.v[1]).c_str(), fmt_ratio(ratio(r.v[0], r.v[1])).c_str(), num(r.v[2]).c_str(),
                    num(r.v[3]).c_str(), fmt_ratio(ratio(r.v[2], r.v[3])).c_str(), num(r.v[4]).c_str(),
                    num(r.v[5]).c_str(), fmt_ratio(ratio(r.v[4], r.v[5])).c_str());
        if (mode == Mode::fresh)
            std::printf("  %9s", fmt_ratio(ratio(r.v[0], hybrid_added)).c_str());
        std::printf("\n");
    }
    std::fflush(stdout);
}

// ---- the body -----------------------------------------------------------------------------------

int run_wrapped(const cgfs_test::SandboxContext& ctx, const Options& o, Mode mode)
{
    char self[4096] = {};
    if (::readlink("/proc/self/exe", self, sizeof self - 1) <= 0)
        return 125;
    std::vector<std::string> args = o.wrapper;
    args.emplace_back(self);
    args.emplace_back("--inside");
    args.emplace_back(cgfs_test::layout_name(ctx.layout));
    args.emplace_back("--mode");
    args.emplace_back(mode_name(mode));
    for (const auto& h : ctx.hierarchies) {
        args.emplace_back("--hierarchy");
        args.push_back(h.key + "@" + h.mount + "@" + (h.v2 ? "2" : "1"));
    }
    args.insert(args.end(), o.passthrough.begin(), o.passthrough.end());
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::execvp(argv[0], argv.data());
        ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 125;
}

int bench_layout(cgfs_test::SandboxContext& ctx, const Options& o, Mode mode)
{
    if (!o.wrapper.empty())
        return run_wrapped(ctx, o, mode);
    ::umask(022);
    if (::mkdir(kConfdir, 0755) != 0 && errno != EEXIST)
        throw std::runtime_error(std::string("mkdir confdir: ") + std::strerror(errno));
    write_service("bench-permit", "session required pam_permit.so");
    write_service("bench-ours", "session required " + o.module + " " + kSelection);
    const bool have_ref = !o.reference.empty() && ::access(o.reference.c_str(), R_OK) == 0;
    if (have_ref)
        write_service("bench-ref", "session required " + o.reference + " " + kSelection);
    else
        std::printf("\n(reference module not found at '%s': run `ninja -C <build> fetch-reference`)\n",
                    o.reference.c_str());

    const std::vector<Hier> sel = selected_hierarchies(ctx);
    Stacks all;
    all.reference = have_ref;
    if (!o.only.empty())
        all = Stacks{o.only == "permit", o.only == "ours", o.only == "reference" && have_ref, o.only == "floor"};

    if (mode == Mode::fresh) {
        if (o.once.empty() || ::access(o.once.c_str(), X_OK) != 0) {
            std::fprintf(stderr, "login_bench: pam_once not found at '%s' (--once)\n", o.once.c_str());
            return 1;
        }
        // The fresh mode's own check: a pam_once login of ours must succeed (its open puts it
        // in user/alice/<N>, its close takes it out and removes <N>: checked below).
        Samples check;
        fresh_login(once_command(o, "ours", sel), check);
        if (check.failures != 0 || check.empty()) {
            std::fprintf(stderr, "login_bench: a fresh login with our module failed\n");
            return 1;
        }
        for (const auto& h : sel)
            if (::faccessat(h.root_fd, "user/alice", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
                std::fprintf(stderr, "login_bench: user/alice left in %s after a fresh login\n", h.mount.c_str());
                return 1;
            }
        Config c{Mode::fresh, ctx.layout, 0, "none", 1, o.fresh_logins};
        const Figures f = report(c, alternate_fresh(o, sel, all, c.logins), std::nullopt);
        send_summary(ctx, c, f);
        return 0;
    }

    // One checked login: the module really put us in user/alice/<N> and back.
    {
        const pam_conv conv{null_conv, nullptr};
        pam_handle_t* pamh = nullptr;
        bool inside = false;
        if (::pam_start_confdir("bench-ours", kUser, &conv, kConfdir, &pamh) == PAM_SUCCESS) {
            if (::pam_open_session(pamh, 0) == PAM_SUCCESS)
                inside = self_cgroup_text().find("/user/alice/") != std::string::npos;
            (void)::pam_close_session(pamh, 0);
            ::pam_end(pamh, PAM_SUCCESS);
        }
        if (!inside || !at_home()) {
            std::fprintf(stderr, "login_bench: our module did not place the driver in user/alice/<N> and back:\n%s",
                         self_cgroup_text().c_str());
            return 1;
        }
    }

    std::optional<Figures> base;
    for (const int existing : o.scale) {
        for (const bool same : {true, false}) {
            if (existing == 0 && !same)
                continue;
            Config c{Mode::in_process, ctx.layout, existing, existing == 0 ? "none" : same ? "alice" : "others", 1, 0};
            c.logins =
                existing == 0 ? o.logins : std::clamp(o.logins * o.scale_factor / existing, o.scale_min, o.logins);
            std::optional<Population> pop;
            const double setup_start = now_us();
            if (existing > 0)
                pop.emplace(sel, existing, same);
            if (existing > 0)
                std::printf("\n(%d busy session cgroups of %s set up in %.1f s, %.1f s of it migrating sleepers)\n",
                            existing, c.owner.c_str(), (now_us() - setup_start) / 1e6, pop->attach_us / 1e6);
            Stacks which = all;
            // LXC's module costs seconds per login with thousands of sessions of the user (its
            // close walks them): measured up to --reference-max-existing only.
            which.reference = all.reference && existing <= o.reference_max_existing;
            which.ours_fresh = all.ours && same && existing > 0;
            const Result r = alternate(ctx, sel, which, c.logins, same ? existing : 0);
            const Figures f = report(c, r, existing == 0 ? std::nullopt : base);
            if (existing == 0) {
                base = f;
                send_summary(ctx, c, f);
            }
            if (!at_home()) {
                std::fprintf(stderr, "login_bench: driver not back home after a run:\n%s", self_cgroup_text().c_str());
                return 1;
            }
            if (existing > 0) {
                const double teardown_start = now_us();
                pop.reset();
                std::printf("(removed in %.1f s)\n", (now_us() - teardown_start) / 1e6);
            }
        }
    }
    if (!o.only.empty())
        return 0;

    if (o.workers > 1) {
        Config c{Mode::in_process, ctx.layout, 0,
                 "none",           o.workers,  o.worker_logins > 0 ? o.worker_logins : o.logins / 2};
        // The reference shares user/alice/0 between sessions, and the restore after it would race
        // with the other worker: parallel runs compare permit, ours and the floor.
        Stacks par = all;
        par.reference = false;
        const Result r = parallel(ctx, sel, par, o.workers, c.logins);
        (void)report(c, r, base);
    }
    if (o.memory_logins > 0) {
        memory_run(ctx.layout, "ours", "bench-ours", o.memory_logins, ctx, sel);
        if (have_ref)
            memory_run(ctx.layout, "reference", "bench-ref", o.memory_logins, ctx, sel);
    }
    probe_run(ctx.layout, o);
    return 0;
}

std::vector<int> parse_ints(const std::string& csv)
{
    std::vector<int> out;
    std::stringstream in(csv);
    std::string item;
    while (std::getline(in, item, ','))
        out.push_back(std::stoi(item));
    return out;
}

[[noreturn]] void usage()
{
    std::fprintf(stderr, "usage: login_bench [--layout v1|hybrid|v2|all] [--mode fresh|in-process|both]\n"
                         "  [--fresh-logins N] [--once PATH] [--child-wrapper 'strace -f -T -o FILE']\n"
                         "  [--logins N] [--scale 0,100,1000,10000]\n"
                         "  [--scale-factor F] [--scale-min N] [--reference-max-existing E]\n"
                         "  [--workers N] [--worker-logins N] [--wrapper 'valgrind --tool=callgrind ...']\n"
                         "  [--memory-logins N] [--probe-runs N] [--only permit|ours|reference|floor]\n"
                         "  [--module PATH] [--reference PATH] [--probe PATH]\n"
                         "Runs as root; everything happens inside throwaway containers.\n");
    std::exit(2);
}

Options parse(int argc, char** argv)
{
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                usage();
            return argv[++i];
        };
        if (a == "--layout") {
            const std::string v = value();
            o.layouts = v == "all" ? std::vector<Layout>{Layout::v1, Layout::hybrid, Layout::v2}
                                   : std::vector<Layout>{cgfs_test::parse_layout(v)};
        } else if (a == "--mode") {
            const std::string v = value();
            if (v == "both")
                o.modes = {Mode::fresh, Mode::in_process};
            else if (v == "fresh")
                o.modes = {Mode::fresh};
            else if (v == "in-process")
                o.modes = {Mode::in_process};
            else
                usage();
            continue; // run_wrapped() hands on the one mode it runs
        } else if (a == "--fresh-logins") {
            o.fresh_logins = std::stoi(value());
        } else if (a == "--once") {
            o.once = value();
        } else if (a == "--child-wrapper") {
            std::stringstream words(value());
            std::string w;
            o.child_wrapper.clear();
            while (words >> w)
                o.child_wrapper.push_back(w);
        } else if (a == "--logins") {
            o.logins = std::stoi(value());
        } else if (a == "--scale") {
            o.scale = parse_ints(value());
        } else if (a == "--workers") {
            o.workers = std::stoi(value());
        } else if (a == "--worker-logins") {
            o.worker_logins = std::stoi(value());
        } else if (a == "--memory-logins") {
            o.memory_logins = std::stoi(value());
        } else if (a == "--scale-factor") {
            o.scale_factor = std::stoi(value());
        } else if (a == "--reference-max-existing") {
            o.reference_max_existing = std::stoi(value());
        } else if (a == "--scale-min") {
            o.scale_min = std::stoi(value());
        } else if (a == "--probe-runs") {
            o.probe_runs = std::stoi(value());
        } else if (a == "--only") {
            o.only = value();
            if (o.only != "permit" && o.only != "ours" && o.only != "reference" && o.only != "floor")
                usage();
        } else if (a == "--module") {
            o.module = value();
        } else if (a == "--reference") {
            o.reference = value();
        } else if (a == "--probe") {
            o.probe = value();
        } else if (a == "--wrapper") {
            std::stringstream words(value());
            std::string w;
            while (words >> w)
                o.wrapper.push_back(w);
            continue; // not handed on
        } else if (a == "--inside") {
            o.inside = cgfs_test::parse_layout(value());
            continue;
        } else if (a == "--hierarchy") {
            const std::string v = value();
            const std::size_t a1 = v.find('@');
            const std::size_t a2 = v.rfind('@');
            if (a1 == std::string::npos || a2 == a1)
                usage();
            o.inside_hierarchies.push_back({v.substr(0, a1), v.substr(a1 + 1, a2 - a1 - 1), v.substr(a2 + 1) == "2"});
            continue;
        } else {
            usage();
        }
        if (a != "--layout") {
            o.passthrough.push_back(a);
            if (a != argv[i])
                o.passthrough.emplace_back(argv[i]);
        }
    }
    if (o.logins <= 0 || o.scale.empty())
        usage();
    return o;
}

} // namespace

int main(int argc, char** argv)
{
    const Options o = parse(argc, argv);
    if (const std::string why = cgfs_test::sandbox_unavailable_reason(); !why.empty()) {
        std::fprintf(stderr, "login_bench: %s\n", why.c_str());
        return 77;
    }
    if (o.module.empty() || ::access(o.module.c_str(), R_OK) != 0) {
        std::fprintf(stderr, "login_bench: our module not found at '%s' (--module)\n", o.module.c_str());
        return 2;
    }
    if (o.inside) {
        // Only ever started by run_wrapped() inside a throwaway container (its hostname).
        char host[64] = {};
        if (::gethostname(host, sizeof host - 1) != 0 || std::string(host) != "cgfs-test") {
            std::fprintf(stderr, "login_bench: --inside runs only inside the bench's container\n");
            return 2;
        }
        cgfs_test::SandboxContext ctx;
        ctx.layout = *o.inside;
        ctx.hierarchies = o.inside_hierarchies;
        return bench_layout(ctx, o, o.modes.front());
    }
    int status = 0;
    // The fresh mode first: it is how logins happen (sshd, login, su); then the in-process mode.
    for (const Mode mode : o.modes) {
        std::string rows;
        for (const Layout layout : o.layouts) {
            cgfs_test::SandboxConfig config;
            config.layout = layout;
            config.timeout = std::chrono::minutes(30);
            std::fflush(stdout);
            const auto result = cgfs_test::run_in_sandbox(
                config, [&](cgfs_test::SandboxContext& ctx) { return bench_layout(ctx, o, mode); });
            rows += result.report;
            if (result.exit_code != 0) {
                std::fprintf(stderr, "login_bench: %s, layout %s: exit code %d%s\n", mode_name(mode),
                             cgfs_test::layout_name(layout), result.exit_code, result.timed_out ? " (timed out)" : "");
                for (const auto& line : result.syslog)
                    if (line.priority <= 3)
                        std::fprintf(stderr, "  syslog: %s\n", line.message.c_str());
                status = 1;
            }
        }
        print_summary(mode, rows);
    }
    return status;
}
