// login_bench: what a login costs with pam_cgfs (issue 5). Inside a throwaway container
// (run_in_sandbox, layout v1|hybrid|v2) this one process drives real PAM stacks from a private
// confdir (pam_start_confdir, no @include) — pam_permit only, ours, LXC's reference — and the
// kernel's floor (the raw mkdir/chown/migrate/rmdir our module needs), alternating per login so
// machine drift cancels. Prints a plain table and one JSON line per configuration.
// Not a test: it asserts nothing about speed, it measures.

#include "sandbox.hpp"

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

namespace {

using cgfs_test::Layout;

constexpr const char* kUser = "alice";
constexpr uid_t kUid = cgfs_test::kAliceUid;
constexpr gid_t kGid = cgfs_test::kAliceUid;
constexpr const char* kConfdir = "/tmp/bench-pam.d";
constexpr const char* kSelection = "-c freezer,memory,name=systemd";
constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
/// Bound on floor retries when a parallel worker removed user/alice under us.
constexpr int kFloorAttempts = 16;
/// Bound on rmdir retries for a busy cgroup whose sleeper was just killed (css release is async).
constexpr auto kRemoveDeadline = std::chrono::seconds(5);

struct Options {
    std::vector<Layout> layouts{Layout::hybrid};
    int logins = 2000;
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
    std::string only; // "ours": only our stack, for profilers
    std::string module = CGFS_BENCH_MODULE;
    std::string reference = CGFS_BENCH_REFERENCE;
    std::string probe = CGFS_BENCH_PROBE;
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

struct Hier {
    std::string key;
    std::string mount;
    bool v2 = false;
    int root_fd = -1;               // opened once; the floor works relative to it
    std::vector<std::string> files; // delegated files that exist in a new cgroup
};

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

/// LXC's module leaves the caller inside user/alice/0 at close (SPEC: the reference does not
/// remove the session cgroup). Undone, untimed, after each reference login so every stack
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

/// The kernel operations the module needs for one session, nothing else: per selected
/// hierarchy mkdir user/alice/<N> (and the levels above when missing), chown of the directory
/// and its delegated files, cgroup2's session leaf, the pid into cgroup.procs; at close the pid
/// back to the root, rmdir bottom-up.
struct Floor {
    const std::vector<Hier>& sel;
    struct Made {
        long index = -1;
        bool made_user_dir = false;
    };
    std::vector<Made> made;

    long hint = 0; // the first index tried: the module computes the free one, the floor is told

    Floor(const std::vector<Hier>& s, long first_index) : sel(s), made(s.size()), hint(first_index) {}

    static bool chown_all(int root, const std::string& dir, const std::vector<std::string>& files)
    {
        if (::fchownat(root, dir.c_str(), kUid, kGid, AT_SYMLINK_NOFOLLOW) != 0)
            return false;
        for (const auto& f : files)
            if (::fchownat(root, (dir + "/" + f).c_str(), kUid, kGid, AT_SYMLINK_NOFOLLOW) != 0)
                return false;
        return true;
    }

    bool open()
    {
        const pid_t pid = ::getpid();
        for (std::size_t i = 0; i < sel.size(); ++i) {
            const Hier& h = sel[i];
            Made& m = made[i];
            m = Made{};
            long index = hint;
            std::string dir;
            int attempts = 0;
            for (;;) {
                if (++attempts > kFloorAttempts + 1'000'000)
                    return false;
                dir = "user/alice/" + std::to_string(index);
                if (::mkdirat(h.root_fd, dir.c_str(), 0755) == 0)
                    break;
                if (errno == EEXIST) {
                    ++index;
                    continue;
                }
                if (errno != ENOENT || attempts > kFloorAttempts)
                    return false;
                if (::mkdirat(h.root_fd, "user/alice", 0755) == 0) {
                    // ENOENT: a parallel worker's close removed it again; start over.
                    m.made_user_dir = chown_all(h.root_fd, "user/alice", h.files);
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
                dir += "/session";
                if (::mkdirat(h.root_fd, dir.c_str(), 0755) != 0 || !chown_all(h.root_fd, dir, h.files))
                    return false;
            }
            if (!write_pid(h.root_fd, dir, pid))
                return false;
        }
        return true;
    }

    bool close()
    {
        const pid_t pid = ::getpid();
        bool ok = true;
        for (std::size_t i = 0; i < sel.size(); ++i) {
            const Hier& h = sel[i];
            Made& m = made[i];
            if (m.index < 0)
                continue;
            ok = write_pid(h.root_fd, "", pid) && ok;
            const std::string dir = "user/alice/" + std::to_string(m.index);
            if (h.v2)
                ok = ::unlinkat(h.root_fd, (dir + "/session").c_str(), AT_REMOVEDIR) == 0 && ok;
            ok = ::unlinkat(h.root_fd, dir.c_str(), AT_REMOVEDIR) == 0 && ok;
            if (m.made_user_dir)
                (void)::unlinkat(h.root_fd, "user/alice", AT_REMOVEDIR); // EBUSY with a parallel worker
            m.index = -1;
        }
        return ok;
    }
};

// ---- pre-existing sessions ----------------------------------------------------------------------

/// M busy session cgroups: of alice (user/alice/0..M-1) or of M other users (user/u<i>/0), each
/// populated by a sleeping child of ours so the module's reaper (SPEC §5) must leave them.
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
                if (h.v2 && ::mkdirat(h.root_fd, (dir + "/session").c_str(), 0755) != 0)
                    throw std::runtime_error("mkdir " + dir + "/session: " + std::strerror(errno));
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
                if (!write_pid(h.root_fd, h.v2 ? dir + "/session" : dir, child))
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
                    remove(h.root_fd, dirs_[i] + "/session", deadline);
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
/// no module, the next pam_start paid more; found in review).
Result alternate(const cgfs_test::SandboxContext& ctx, const std::vector<Hier>& sel, const Stacks& which, int logins,
                 long first_free)
{
    Result r;
    Floor floor(sel, first_free);
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
    if (const Samples* fresh = get("ours-fresh"); fresh && permit && f.ours_added) {
        const double fresh_added = stat_of(fresh->total).median - stat_of(permit->total).median;
        if (fresh_added > 0)
            f.same_user = *f.ours_added / fresh_added;
    }
    return f;
}

struct Config {
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
    std::printf("\n== layout %s, %d existing sessions (%s), %d worker%s, %d logins per %s\n",
                cgfs_test::layout_name(c.layout), c.existing, c.owner.c_str(), c.workers, c.workers > 1 ? "s" : "",
                c.logins, c.workers > 1 ? "worker" : "stack");
    std::printf("%-10s %-6s %10s %10s %10s   (microseconds)\n", "stack", "phase", "mean", "median", "p95");
    std::string json = "{\"bench\":\"login\",\"layout\":\"" + std::string(cgfs_test::layout_name(c.layout)) +
                       "\",\"existing\":" + std::to_string(c.existing) + ",\"owner\":\"" + c.owner +
                       "\",\"workers\":" + std::to_string(c.workers) + ",\"logins\":" + std::to_string(c.logins) +
                       ",\"selection\":\"" + kSelection + "\",\"stacks\":{";
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
            std::printf("%-10s %-6s %10s %10s %10s\n", name, kPhases[p], fmt(st.mean).c_str(), fmt(st.median).c_str(),
                        fmt(st.p95).c_str());
            json += std::string(first_phase ? "" : ",") + "\"" + kPhases[p] + "\":" + json_stat(st);
            first_phase = false;
        }
        const Stat tot = stat_of(is_floor ? s.open_close : s.total);
        std::printf("%-10s %-6s %10s %10s %10s%s\n", name, "total", fmt(tot.mean).c_str(), fmt(tot.median).c_str(),
                    fmt(tot.p95).c_str(), s.failures ? ("   failures: " + std::to_string(s.failures)).c_str() : "");
        json += ",\"total\":" + json_stat(tot) + ",\"failures\":" + std::to_string(s.failures) + "}";
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
            ",\"same_user_vs_fresh\":" + fmt_ratio(f.same_user) + "}";
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

// ---- the body -----------------------------------------------------------------------------------

int run_wrapped(const cgfs_test::SandboxContext& ctx, const Options& o)
{
    char self[4096] = {};
    if (::readlink("/proc/self/exe", self, sizeof self - 1) <= 0)
        return 125;
    std::vector<std::string> args = o.wrapper;
    args.emplace_back(self);
    args.emplace_back("--inside");
    args.emplace_back(cgfs_test::layout_name(ctx.layout));
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

int bench_layout(cgfs_test::SandboxContext& ctx, const Options& o)
{
    if (!o.wrapper.empty())
        return run_wrapped(ctx, o);
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
    if (o.only == "ours")
        all = Stacks{false, true, false, false};

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
            Config c{ctx.layout, existing, existing == 0 ? "none" : same ? "alice" : "others", 1, 0};
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
            if (existing == 0)
                base = f;
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
    if (o.only == "ours")
        return 0;

    if (o.workers > 1) {
        Config c{ctx.layout, 0, "none", o.workers, o.worker_logins > 0 ? o.worker_logins : o.logins / 2};
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
    std::fprintf(stderr, "usage: login_bench [--layout v1|hybrid|v2|all] [--logins N] [--scale 0,100,1000,10000]\n"
                         "  [--scale-factor F] [--scale-min N] [--reference-max-existing E]\n"
                         "  [--workers N] [--worker-logins N] [--wrapper 'valgrind --tool=callgrind ...']\n"
                         "  [--memory-logins N] [--probe-runs N] [--only ours]\n"
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
            if (o.only != "ours")
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
        return bench_layout(ctx, o);
    }
    int status = 0;
    for (const Layout layout : o.layouts) {
        cgfs_test::SandboxConfig config;
        config.layout = layout;
        config.timeout = std::chrono::minutes(30);
        std::fflush(stdout);
        const auto result =
            cgfs_test::run_in_sandbox(config, [&](cgfs_test::SandboxContext& ctx) { return bench_layout(ctx, o); });
        if (result.exit_code != 0) {
            std::fprintf(stderr, "login_bench: layout %s: exit code %d%s\n", cgfs_test::layout_name(layout),
                         result.exit_code, result.timed_out ? " (timed out)" : "");
            for (const auto& line : result.syslog)
                if (line.priority <= 3)
                    std::fprintf(stderr, "  syslog: %s\n", line.message.c_str());
            status = 1;
        }
    }
    return status;
}
