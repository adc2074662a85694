// Faults (issue 4): the session process killed with SIGKILL before each state-changing system
// call of open and of close (the test module pam_cgfs_fault.so, see lib/fault.hpp), kernel
// limits and errors met half-way (cgroup.max.descendants, cgroup.max.depth, EACCES), and a
// hierarchy unmounted between discovery and use. After each: the documented PAM code, at most
// one log line, a consistent tree, and the next login of the user opens and leaves only its own
// session (what the killed one left is reaped).
#include "crowd.hpp"
#include "expect.hpp"
#include "layouts.hpp"
#include "util.hpp"

#include "session.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>

#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

using namespace cgfs_test;

namespace {

constexpr auto kFaultTimeout = std::chrono::seconds(300); // ASan: hybrid ~115 s
// SIGKILL before every state-changing system call of a first login's open and close, one run
// each, with a clean login and logout after every run.
void kill_at_every_point(Layout layout)
{
    REQUIRE_FALSE(fault_module().empty());
    auto prof = core_profile(layout);
    auto r = run_scenario(
        layout,
        [&](Container& c) {
            c.service("cgfs-test", prof.args);
            c.service("cgfs-fault", prof.args, fault_module());
            // The points of an undisturbed login, from the state every run starts in.
            size_t open_points = 0;
            {
                Driver d = c.start("trace", alice({}, "cgfs-fault"), {std::string("CGFS_FAULT_TRACE=") + kTrace});
                d.wait_held();
                open_points = trace_lines();
                d.finish();
            }
            const size_t points = trace_lines();
            emit_lines(c, "points", split_lines(read_file(kTrace)));
            remove_base_user(c, prof.keys);
            c.snapshot("initial");
            for (size_t k = 1; k <= points; ++k) {
                const std::string n = std::to_string(k);
                {
                    Driver d = c.start("kill-" + n, alice({}, "cgfs-fault"), {"CGFS_FAULT_AT=" + n});
                    d.wait_held(); // returns at EOF when killed during open
                    d.finish();    // a held one closes and is killed there
                }
                c.snapshot("left-" + n);
                Driver next = c.start("next-" + n, alice());
                next.wait_held();
                c.snapshot("next-" + n);
                next.finish();
                remove_base_user(c, prof.keys);
                c.snapshot("clean-" + n);
            }
            emit_lines(c, "figures",
                       {"points=" + std::to_string(points), "open_points=" + std::to_string(open_points)});
        },
        kFaultTimeout);
    check_ran(r);
    const auto& f = r.driver("figures");
    const size_t points = std::stoul(f.value("points"));
    const size_t open_points = std::stoul(f.value("open_points"));
    std::printf("fault figures (%s): %zu kill points (%zu in open, %zu in close), all survived if this test passed\n",
                layout_name(layout), points, open_points, points - open_points);
    CHECK(open_points > 0);
    CHECK(points > open_points);
    const auto& trace = r.driver("points").lines;
    size_t partial = 0;
    for (size_t k = 1; k <= points; ++k) {
        const std::string n = std::to_string(k);
        INFO("killed before point " << k << ": " << trace.at(k - 1));
        const auto& killed = r.driver("kill-" + n);
        CHECK(killed.value("exit") == "137"); // the point was reached and the process died there
        CHECK(killed.has("open") == (k > open_points));
        if (user_tree(r.snap("left-" + n), prof.keys.front(), "alice").size() > 0)
            ++partial;
        const auto& next = r.driver("next-" + n);
        CHECK(next.code("open") == kPamSuccess);
        CHECK(next.code("close") == kPamSuccess);
        for (const auto& key : prof.keys) {
            // Only the new session: whatever the killed one left was reaped or reused.
            check_sessions(r.snap("next-" + n), key, "alice", kAliceUid, {0});
            check_proc_in(next, "cgroup", key, session_leaf(key, "alice", 0));
        }
        check_unchanged(r.snap("initial"), r.snap("clean-" + n));
    }
    std::printf("fault figures (%s): %zu of %zu kills left a partial tree behind, each reaped by the next login\n",
                layout_name(layout), partial, points);
    check_log(r, LOG_ERR, 0);
    check_log(r, LOG_NOTICE, 0);
}

// cgroup2 limits reached while alice has a session open: her second login fails with EAGAIN,
// PAM_SESSION_ERR and one log line, and nothing changes (the first session included).
void cgroup2_limit(Layout layout, const std::string& knob)
{
    auto r = run_scenario(layout, [&](Container& c) {
        c.service("cgfs-test", "-c unified");
        Driver first = c.start("first", alice());
        first.wait_held();
        // Scratch root of the container: user, user/alice, user/alice/0, user/alice/0/init.scope.
        c.write("unified:/" + knob, knob == "cgroup.max.depth" ? "3" : "4");
        c.snapshot("before");
        c.run("second", alice({"--no-close"}));
        c.snapshot("after");
        first.finish();
        c.snapshot("closed");
    });
    check_ran(r);
    INFO(r.describe());
    CHECK(r.driver("second").code("open") == kPamSessionErr);
    CHECK(r.driver("second").cgroups("cgroup") == r.driver("second").cgroups("cgroup_before"));
    check_unchanged(r.snap("before"), r.snap("after"));
    check_sessions(r.snap("after"), "unified", "alice", kAliceUid, {0});
    CHECK(r.driver("first").code("close") == kPamSuccess);
    check_no_session(r.snap("closed"), "unified", "alice", true);
    check_log(r, LOG_ERR, 1, {"'alice'", "/user/alice/1", "Resource temporarily unavailable"});
}

void max_descendants(Layout layout)
{
    cgroup2_limit(layout, "cgroup.max.descendants");
}
void max_depth(Layout layout)
{
    cgroup2_limit(layout, "cgroup.max.depth");
}

// A login service that runs as root without CAP_DAC_OVERRIDE (a hardened sshd): /user/alice is
// root's and the session's cgroups are handed to alice only after the process sits in them, so
// the module never needs to write into something of hers. Both logins open; the second, beside
// a live session, takes the next index.
void no_dac_override(Layout layout)
{
    auto prof = core_profile(layout);
    const std::vector<std::string> setpriv = {"setpriv", "--bounding-set", "-dac_override,-dac_read_search"};
    auto r = run_scenario(layout, [&](Container& c) {
        c.service("cgfs-test", prof.args);
        Driver first = c.start("first-ever", alice(), {}, setpriv);
        first.wait_held();
        Driver second = c.start("second", alice(), {}, setpriv);
        second.wait_held();
        c.snapshot("both");
        second.finish();
        first.finish();
    });
    check_ran(r);
    INFO(r.describe());
    CHECK(r.driver("first-ever").code("open") == kPamSuccess);
    CHECK(r.driver("second").code("open") == kPamSuccess);
    for (const auto& key : prof.keys) {
        check_proc_in(r.driver("first-ever"), "cgroup", key, session_leaf(key, "alice", 0));
        check_proc_in(r.driver("second"), "cgroup", key, session_leaf(key, "alice", 1));
        check_sessions(r.snap("both"), key, "alice", kAliceUid, {0, 1});
    }
    check_log(r, LOG_ERR, 0);
}

// The hierarchy is unmounted (lazily, as umount -l does) after the module discovered it and before
// its first mkdir. The module works through the root descriptor it opened, which keeps the mount
// alive: the open completes (PAM_SUCCESS). Close cannot find the hierarchy any more and leaves the
// session there (PAM_SUCCESS, no error line); once mounted again, the next login reaps it.
void unmounted_between_discovery_and_use(Layout layout)
{
    REQUIRE_FALSE(fault_module().empty());
    const std::string key = layout == Layout::v2 ? "unified" : "freezer";
    const std::string mnt = layout == Layout::v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/freezer";
    const std::string mount_cmd =
        layout == Layout::v2 ? "mount -t cgroup2 cgroup2 " + mnt : "mount -t cgroup -o freezer cgroup " + mnt;
    const std::string args = "-c " + std::string(layout == Layout::v2 ? "unified" : "freezer");
    auto r = run_scenario(layout, [&](Container& c) {
        c.service("cgfs-fault", args, fault_module());
        c.service("cgfs-test", args);
        Driver d = c.start("stopped", alice({}, "cgfs-fault"), {"CGFS_FAULT_AT=1", "CGFS_FAULT_ACTION=stop"});
        int status = 0;
        if (::waitpid(d.pid(), &status, WUNTRACED) != d.pid() || !WIFSTOPPED(status))
            throw std::runtime_error("the driver did not stop at the first fault point");
        c.sh("umount -l " + mnt);
        ::kill(d.pid(), SIGCONT); // our own child
        d.wait_held();
        d.finish();
        c.sh(mount_cmd);
        c.snapshot("remounted");
        c.run("next", alice());
        c.snapshot("after");
    });
    check_ran(r);
    INFO(r.describe());
    const auto& d = r.driver("stopped");
    CHECK(d.code("open") == kPamSuccess);
    check_proc_in(d, "cgroup", key, session_leaf(key, "alice", 0));
    CHECK(d.code("close") == kPamSuccess);
    check_proc_in(d, "cgroup_after_close", key, session_leaf(key, "alice", 0)); // left there
    check_sessions(r.snap("remounted"), key, "alice", kAliceUid, {0});
    CHECK(r.driver("next").code("open") == kPamSuccess);
    check_proc_in(r.driver("next"), "cgroup", key, session_leaf(key, "alice", 0)); // 0 reaped, reused
    check_no_session(r.snap("after"), key, "alice", true);
    check_log(r, LOG_ERR, 0);
}

// Found by the load test (two sessions in one cgroup, both PAM_SUCCESS), replayed step by step:
// login A has just made <0> (exclusive mkdir) and is stopped before it opens <0> by name; login B
// starts later, reaps the empty <0> as stale, makes its own <0> and moves in; A goes on and opens
// B's <0>. A must notice that it is not its own and take index 1; B keeps 0.
void reaped_and_recreated_under_an_open(Layout layout)
{
    REQUIRE_FALSE(fault_module().empty());
    const std::string key = layout == Layout::v2 ? "unified" : "freezer";
    const std::string args = "-c " + key + " debug";
    auto r = run_scenario(layout, [&](Container& c) {
        c.service("cgfs-fault", args, fault_module());
        c.service("cgfs-test", args);
        {
            Driver d = c.start("trace", alice({}, "cgfs-fault"), {std::string("CGFS_FAULT_TRACE=") + kTrace});
            d.wait_held();
        }
        remove_base_user(c, {key});
        const std::string at = trace_point("created 0");
        Driver a = c.start("A", alice({}, "cgfs-fault"), {"CGFS_FAULT_AT=" + at, "CGFS_FAULT_ACTION=stop"});
        int status = 0;
        if (::waitpid(a.pid(), &status, WUNTRACED) != a.pid() || !WIFSTOPPED(status))
            throw std::runtime_error("login A did not stop after its mkdir");
        c.backdate(key + ":/user/alice/0", 10); // plainly older than B's open
        Driver b = c.start("B", alice());
        b.wait_held();
        ::kill(a.pid(), SIGCONT); // our own child
        a.wait_held();
        emit_procs(c, {key}, "procs");
        c.snapshot("both");
        a.finish();
        b.finish();
        c.snapshot("after");
    });
    check_ran(r);
    INFO(r.describe());
    const auto indices = check_alone(r, r.driver("procs"), {"A", "B"}, {key}, "alice");
    CHECK(indices == std::set<int>{0, 1});
    check_proc_in(r.driver("B"), "cgroup", key, session_leaf(key, "alice", 0));
    check_proc_in(r.driver("A"), "cgroup", key, session_leaf(key, "alice", 1));
    check_sessions(r.snap("both"), key, "alice", kAliceUid, {0, 1});
    check_no_session(r.snap("after"), key, "alice", true);
    // B's <0> is already delegated when A opens it: not root's, so A sees at once that it is not
    // the cgroup it made (before it would move in and find B's process there).
    CHECK(debug_count(r, "not the cgroup this open made; index taken") == 1);
    CHECK(debug_count(r, "another process moved in too") == 0);
    check_log(r, LOG_ERR, 0);
}

// Whatever the module enters must be what it made (pam_cgfs(8) SECURITY). The open is stopped
// right after its exclusive mkdir of <0>, before it opens <0> by name: alice tries to swap <0>
// for one of her own (rmdir + mkdir; refused, /user/alice is root's), then the swap is made the
// way only root could (rmdir, mkdir, chown to alice). The open must not enter that cgroup nor
// chown anything in it: it takes index 1. On cgroup2 the same for the session leaf: stopped
// before its mkdir of the leaf <0>/init.scope, alice cannot make it (<0> is still root's), and one made
// there and given to alice is not adopted.
void swapped_under_an_open(Layout layout, const std::string& key, const std::string& point, const std::string& victim)
{
    REQUIRE_FALSE(fault_module().empty());
    const std::string args = "-c " + key + " debug";
    auto r = run_scenario(layout, [&](Container& c) {
        c.service("cgfs-fault", args, fault_module());
        {
            Driver d = c.start("trace", alice({}, "cgfs-fault"), {std::string("CGFS_FAULT_TRACE=") + kTrace});
            d.wait_held();
        }
        remove_base_user(c, {key});
        const std::string at = trace_point(point);
        Driver a = c.start("A", alice({}, "cgfs-fault"), {"CGFS_FAULT_AT=" + at, "CGFS_FAULT_ACTION=stop"});
        int status = 0;
        if (::waitpid(a.pid(), &status, WUNTRACED) != a.pid() || !WIFSTOPPED(status))
            throw std::runtime_error("the login did not stop at " + point);
        const std::string path = c.path(key + ":" + victim);
        const std::string as_alice = "setpriv --reuid=1000 --regid=1000 --clear-groups ";
        c.sh("if " + as_alice + "sh -c 'rmdir " + path + " 2>/dev/null; mkdir " + path +
             "' 2>/dev/null; then echo ok; else echo fail; fi > /tmp/alice-swap");
        emit_lines(c, "alice", {"swap=" + split_lines(read_file("/tmp/alice-swap")).at(0)});
        c.sh("rmdir " + path + " 2>/dev/null || true; mkdir " + path + " && chown 1000:1000 " + path + " " + path +
             "/cgroup.procs");
        ::kill(a.pid(), SIGCONT); // our own child
        a.wait_held();
        c.snapshot("open");
        a.finish();
    });
    check_ran(r);
    INFO(r.describe());
    const auto& a = r.driver("A");
    CHECK(r.driver("alice").value("swap") == "fail");
    CHECK(a.code("open") == kPamSuccess);
    check_proc_in(a, "cgroup", key, session_leaf(key, "alice", 1));
    const auto& s = r.snap("open");
    // The swapped-in cgroup was neither entered nor chowned further: it holds nothing of root's
    // session, and what the open made for index 1 is root-made and delegated as usual.
    CHECK(s.dirs.at(key + ":" + victim).substr(0, 10) == "1000:1000 ");
    CHECK(s.dirs.at(key + ":/user/alice") == "0:0 0755");
    CHECK(s.dirs.at(key + ":/user/alice/1") == "1000:1000 0755");
    CHECK(s.dirs.at(key + ":" + session_leaf(key, "alice", 1)) == "1000:1000 0755");
    CHECK(debug_count(r, "not the cgroup this open made; index taken") == 1);
    check_log(r, LOG_ERR, 0);
}

void swapped_session(Layout layout)
{
    swapped_under_an_open(layout, layout == Layout::v2 ? "unified" : "freezer", "created 0", "/user/alice/0");
}

void swapped_leaf(Layout layout)
{
    swapped_under_an_open(layout, "unified", std::string("mkdir ") + cgfs::kSessionLeaf,
                          std::string("/user/alice/0/") + cgfs::kSessionLeaf);
}

} // namespace

CGFS_ALL_LAYOUTS("faults: a session cgroup swapped between mkdir and open is not entered", "[faults]", swapped_session)
CGFS_LAYOUT_TEST("faults: a cgroup2 session leaf made by someone else is not adopted", "[faults]", swapped_leaf, hybrid)
CGFS_LAYOUT_TEST("faults: a cgroup2 session leaf made by someone else is not adopted", "[faults]", swapped_leaf, v2)
CGFS_ALL_LAYOUTS("faults: a fresh cgroup reaped and made again under an open", "[faults]",
                 reaped_and_recreated_under_an_open)
CGFS_ALL_LAYOUTS("faults: SIGKILL before every step of open and close", "[faults]", kill_at_every_point)
CGFS_LAYOUT_TEST("faults: cgroup.max.descendants reached", "[faults]", max_descendants, hybrid)
CGFS_LAYOUT_TEST("faults: cgroup.max.descendants reached", "[faults]", max_descendants, v2)
CGFS_LAYOUT_TEST("faults: cgroup.max.depth reached", "[faults]", max_depth, hybrid)
CGFS_LAYOUT_TEST("faults: cgroup.max.depth reached", "[faults]", max_depth, v2)
CGFS_ALL_LAYOUTS("faults: a login service without CAP_DAC_OVERRIDE opens sessions", "[faults]", no_dac_override)
CGFS_ALL_LAYOUTS("faults: a hierarchy unmounted between discovery and use", "[faults]",
                 unmounted_between_discovery_and_use)
