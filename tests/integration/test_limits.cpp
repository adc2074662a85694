// Per-user limits (cgfs.conf(5)) in throwaway containers: a pids.max from the file stops a fork
// bomb inside alice's session (v1 and hybrid: the pids controller lives in a v1 hierarchy); a bad
// line is logged with its number and skipped while the rest applies; on cgroup2 without
// controllers (as here) the limit cannot be written and says so; a value the kernel refuses is one
// error line and the session still opens.
#include "expect.hpp"
#include "layouts.hpp"
#include "util.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <grp.h>
#include <string>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>
#include <vector>

using namespace cgfs_test;

namespace {

constexpr int kPidsMax = 10;
constexpr int kMaxForks = 64; // far above the limit: a fork bomb that the limit must stop
const std::string kConfig = "/etc/security/cgfs-test.conf";
const std::string kConfigText = "# limits for the test\n"
                                "alice memory.swap.max 1G\n" // line 2: unknown limit, skipped
                                "alice pids.max " +
                                std::to_string(kPidsMax) +
                                "\n"
                                "* pids.max 500\n"; // line 4: alice matched line 3 first

// In a child: joins `procs` (a cgroup.procs file), becomes alice and forks until the kernel says
// no. Returns "forks=N errno=NAME" through a pipe; every fork is killed before it returns.
std::string fork_bomb(const std::string& procs)
{
    int fds[2];
    if (::pipe(fds) != 0)
        throw std::runtime_error("pipe");
    const pid_t child = ::fork();
    if (child == 0) {
        ::close(fds[0]);
        std::string result;
        try {
            write_regular_file(procs, std::to_string(::getpid()), 0644);
        } catch (const std::exception& e) {
            result = std::string("join failed: ") + e.what();
        }
        if (result.empty() && (::setgroups(0, nullptr) != 0 || ::setgid(kAliceUid) != 0 || ::setuid(kAliceUid) != 0))
            result = "setuid failed";
        if (result.empty()) {
            std::vector<pid_t> kids;
            int err = 0;
            while (static_cast<int>(kids.size()) < kMaxForks) {
                const pid_t kid = ::fork();
                if (kid == 0) {
                    ::pause();
                    ::_exit(0);
                }
                if (kid < 0) {
                    err = errno;
                    break;
                }
                kids.push_back(kid);
            }
            for (const pid_t kid : kids)
                ::kill(kid, SIGKILL);
            for (const pid_t kid : kids)
                ::waitpid(kid, nullptr, 0);
            result = "forks=" + std::to_string(kids.size()) + " errno=" + (err == 0 ? "none" : errno_name(err));
        }
        (void)!::write(fds[1], result.data(), result.size());
        ::_exit(0);
    }
    ::close(fds[1]);
    std::string out;
    char buf[256];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0)
        out.append(buf, static_cast<size_t>(n));
    ::close(fds[0]);
    ::waitpid(child, nullptr, 0);
    return out;
}

void pids_limit(Layout layout)
{
    auto r = run_scenario(layout, [&](Container& c) {
        c.sh("mkdir -p /etc/security && printf '%s' '" + kConfigText + "' > " + kConfig);
        c.service("cgfs-test", "-c freezer,pids config=" + kConfig);
        Driver d = c.start("main", alice());
        d.wait_held();
        c.snapshot("open");
        const std::string session = c.path("pids:/user/alice/0");
        const std::string before = read_file(session + "/pids.current");
        const std::string bomb = fork_bomb(session + "/cgroup.procs");
        c.emit("@@driver bomb\nuser_pids_max=" + read_file(c.path("pids:/user/alice/pids.max")) +
               "session_pids_max=" + read_file(session + "/pids.max") + "pids_current_before=" + before + bomb);
        d.finish();
    });
    check_ran(r);
    INFO(r.describe());
    CHECK(r.driver("main").code("open") == kPamSuccess);
    const auto& s = r.snap("open");
    // The limit sits on user/alice, root-owned so that alice cannot raise it; the session's own
    // cgroup keeps the kernel default.
    CHECK(s.dirs.at("pids:/user/alice") == "0:0 0755");
    CHECK(s.knobs.at("pids:/user/alice/pids.max") == std::to_string(kPidsMax));
    CHECK(s.non_root_files("pids").count("/user/alice/pids.max 1000:1000") == 0);
    const auto& bomb = r.driver("bomb");
    CHECK(bomb.value("user_pids_max") == std::to_string(kPidsMax));
    CHECK(bomb.value("session_pids_max") == "max");
    // The held driver and the bomb's parent count: kPidsMax - 2 forks succeed, then EAGAIN.
    CHECK(bomb.value("pids_current_before") == "1");
    REQUIRE(bomb.lines.size() == 4);
    CHECK(bomb.lines.back() == "forks=" + std::to_string(kPidsMax - 2) + " errno=EAGAIN");
    CHECK(r.log(LOG_WARNING) == std::vector<std::string>{"pam_cgfs(cgfs-test:session): " + kConfig +
                                                         ": line 2: unknown limit 'memory.swap.max'; skipped"});
    check_log(r, LOG_ERR, 0);
    check_log(r, LOG_NOTICE, 0);
}

// On this machine the container's cgroup2 offers no controllers (the host enables none below its
// root), so pids.max cannot exist on user/alice: one notice, the session still opens. On a booted
// pure-v2 kernel (tests/vm/run) the root offers pids, but it holds the container's init, so the
// module enables nothing below it and pids.max is still missing on user/alice: another notice.
// A limit in effect on cgroup2 is [real-v2]'s (test_real_v2.cpp), where init sits elsewhere.
void pids_limit_v2_without_controllers(Layout layout)
{
    auto r = run_scenario(layout, [&](Container& c) {
        c.sh("mkdir -p /etc/security && printf '%s' '" + kConfigText + "' > " + kConfig);
        c.service("cgfs-test", "-c freezer config=" + kConfig);
        c.snapshot("before");
        c.run("main", alice());
    });
    check_ran(r);
    INFO(r.describe());
    CHECK(r.driver("main").code("open") == kPamSuccess);
    const auto offers = root_offers(r.snap("before"));
    const bool root_offers_pids = std::find(offers.begin(), offers.end(), "pids") != offers.end();
    const std::string why = root_offers_pids
                                ? "unified: /user/alice/pids.max does not exist (controller not enabled there)"
                                : "no hierarchy of this session offers the pids controller";
    CHECK(r.log(LOG_NOTICE) ==
          std::vector<std::string>{"pam_cgfs(cgfs-test:session): limit pids.max (line 3): " + why + "; not applied"});
    check_log(r, LOG_WARNING, 1, {"line 2: unknown limit 'memory.swap.max'; skipped"});
    check_log(r, LOG_ERR, 0);
}

// A missing file means no limits, and not a word in the log.
// Opens alice's session with the module line `args` (after `setup`) and records, while it is
// held, the pids.max on user/alice as driver "limit", value "user_pids_max".
Report held_with_pids_limit(Layout layout, const std::string& setup, const std::string& args)
{
    return run_scenario(layout, [&](Container& c) {
        if (!setup.empty())
            c.sh(setup);
        c.service("cgfs-test", args);
        Driver d = c.start("main", alice());
        d.wait_held();
        c.emit("@@driver limit\nuser_pids_max=" + read_file(c.path("pids:/user/alice/pids.max")));
        d.finish();
    });
}

void missing_config(Layout layout)
{
    auto r = held_with_pids_limit(layout, "", "-c freezer,pids config=/etc/security/absent.conf");
    check_ran(r);
    INFO(r.describe());
    CHECK(r.driver("main").code("open") == kPamSuccess);
    CHECK(r.driver("limit").value("user_pids_max") == "max");
    check_log(r, LOG_WARNING, 0);
    check_log(r, LOG_NOTICE, 0);
    check_log(r, LOG_ERR, 0);
}

// A file of 25 bad lines: the first 20 are logged one by one, the other 5 as one count, and the
// good line after them still applies.
void many_bad_lines(Layout layout)
{
    std::string text;
    for (int i = 1; i <= 25; ++i)
        text += "alice pids.max lots\n";
    text += "alice pids.max 64\n";
    auto r = held_with_pids_limit(layout, "mkdir -p /etc/security && printf '" + text + "' > " + kConfig,
                                  "-c freezer,pids config=" + kConfig);
    check_ran(r);
    INFO(r.describe());
    CHECK(r.driver("main").code("open") == kPamSuccess);
    CHECK(r.driver("limit").value("user_pids_max") == "64");
    std::vector<std::string> want;
    for (int i = 1; i <= 20; ++i)
        want.push_back("pam_cgfs(cgfs-test:session): " + kConfig + ": line " + std::to_string(i) +
                       ": 'lots' is not a valid value for pids.max; skipped");
    want.push_back("pam_cgfs(cgfs-test:session): " + kConfig +
                   ": 5 more bad lines skipped (cgfsctl check lists them all)");
    CHECK(r.log(LOG_WARNING) == want);
    check_log(r, LOG_ERR, 0);
}

// The v1 hierarchy holding the cpu controller: "cpu" where it is mounted apart (this machine),
// "cpu,cpuacct" where the two are co-mounted.
std::string v1_cpu_key()
{
    for (const auto& key : layout_keys(Layout::v1))
        for (const auto& controller : split(key, ','))
            if (controller == "cpu")
                return key;
    throw std::runtime_error("no v1 hierarchy holds cpu");
}

// cgfs.conf(5): a value the kernel refuses on user/<name> is one LOG_ERR line naming the file and
// the kernel's reason; the session still opens, the previous value stays and the other limits
// apply. The refusal comes from cgroup v1's CFS bandwidth rule (a child's quota may not exceed
// its parent's: the kernel's scheduler/sched-bwc.rst, "Hierarchical considerations"): BASE/user
// carries a quota of 10 ms per 100 ms, the file asks for 50 ms. cpu.max writes the period first,
// so the period is in place.
void kernel_refuses_limit(Layout layout)
{
    const std::string cpu = v1_cpu_key();
    auto r = run_scenario(layout, [&](Container& c) {
        c.sh("mkdir -p /etc/security && printf 'alice cpu.max 50000 100000\\nalice pids.max 64\\n' > " + kConfig);
        c.mkdir(cpu + ":/user");
        c.write(cpu + ":/user/cpu.cfs_quota_us", "10000");
        c.service("cgfs-test", "-c freezer,pids,cpu config=" + kConfig);
        Driver d = c.start("main", alice());
        d.wait_held();
        c.snapshot("open");
        c.emit("@@driver limit\nquota=" + read_file(c.path(cpu + ":/user/alice/cpu.cfs_quota_us")) +
               "period=" + read_file(c.path(cpu + ":/user/alice/cpu.cfs_period_us")) +
               "pids=" + read_file(c.path("pids:/user/alice/pids.max")));
        d.finish();
    });
    check_ran(r);
    INFO(r.describe());
    CHECK(r.driver("main").code("open") == kPamSuccess);
    check_sessions(r.snap("open"), cpu, "alice", kAliceUid, {0});
    check_proc_in(r.driver("main"), "cgroup", cpu, "/user/alice/0");
    const auto& limit = r.driver("limit");
    CHECK(limit.value("quota") == "-1");
    CHECK(limit.value("period") == "100000");
    CHECK(limit.value("pids") == "64");
    CHECK(r.log(LOG_ERR) ==
          std::vector<std::string>{"pam_cgfs(cgfs-test:session): user 'alice': limit not applied: " + cpu +
                                   ": /user/alice/cpu.cfs_quota_us: write '50000': Invalid "
                                   "argument"});
    check_log(r, LOG_WARNING, 0);
    check_log(r, LOG_NOTICE, 0);
}

} // namespace

CGFS_LAYOUT_TEST("limits: pids.max from cgfs.conf stops a fork bomb in the session", "[limits]", pids_limit, v1)
CGFS_LAYOUT_TEST("limits: pids.max from cgfs.conf stops a fork bomb in the session", "[limits]", pids_limit, hybrid)
CGFS_LAYOUT_TEST("limits: cgroup2 without controllers gets a notice", "[limits]", pids_limit_v2_without_controllers, v2)
CGFS_LAYOUT_TEST("limits: a missing file means no limits", "[limits]", missing_config, v1)
CGFS_LAYOUT_TEST("limits: bad lines past 20 are logged as one count", "[limits]", many_bad_lines, v1)
CGFS_LAYOUT_TEST("limits: a value the kernel refuses is one error line; the session opens", "[limits]",
                 kernel_refuses_limit, v1)
CGFS_LAYOUT_TEST("limits: a value the kernel refuses is one error line; the session opens", "[limits]",
                 kernel_refuses_limit, hybrid)
