// Core session scenarios on every layout: open/close, concurrent sessions, su from the user's
// own session, stale leaves, close without data / twice / unprivileged, root as a user.
#include "expect.hpp"
#include "layouts.hpp"

#include <catch2/catch.hpp>

#include <syslog.h>

using namespace cgfs_test;

namespace {

void open_close(Layout layout)
{
    auto prof = core_profile(layout);
    auto r = run_scenario(layout, [&](Container& c) {
        c.service("cgfs-test", prof.args);
        c.snapshot("before");
        Driver d = c.start("main", alice({"--umask", "022"}));
        d.wait_held();
        c.snapshot("open");
        d.finish();
        c.snapshot("closed");
    });
    check_ran(r);
    const auto& d = r.driver("main");
    INFO(r.describe());
    CHECK(d.code("open") == kPamSuccess);
    CHECK(d.value("umask_after") == "0022");
    CHECK(d.code("close") == kPamSuccess);
    for (const auto& key : prof.keys) {
        check_sessions(r.snap("open"), key, "alice", kAliceUid, {0});
        check_proc_in(d, "cgroup", key, session_leaf(key, "alice", 0));
        check_proc_in(d, "cgroup_after_close", key, "/");
        check_no_session(r.snap("closed"), key, "alice", true);
    }
    for (const auto& key : layout_keys(layout)) {
        if (std::find(prof.keys.begin(), prof.keys.end(), key) == prof.keys.end())
            check_no_session(r.snap("open"), key, "alice", false);
    }
    // Outside user/alice only BASE/user appeared, and close leaves exactly that.
    check_unchanged(r.snap("closed"), [&] {
        Snapshot s;
        s.lines = r.snap("open").outside_user("alice");
        return s;
    }());
    check_log(r, LOG_ERR, 0);
    check_log(r, LOG_NOTICE, 0);
}

// alice logs out while bob's session stays open: nothing of alice is left, and bob's delegated
// files under /user/bob are his, not something of alice's outside her tree (the check the load
// test's churn uses after alice's final login while bob still has leftovers).
void logout_beside_another_user(Layout layout)
{
    auto prof = core_profile(layout);
    auto r = run_scenario(layout, [&](Container& c) {
        c.service("cgfs-test", prof.args);
        Driver bob = c.start("bob", {"--service", "cgfs-test", "--user", "bob"});
        bob.wait_held();
        c.run("alice", alice());
        c.snapshot("alice-closed");
        bob.finish();
    });
    check_ran(r);
    INFO(r.describe());
    CHECK(r.driver("alice").code("open") == kPamSuccess);
    CHECK(r.driver("alice").code("close") == kPamSuccess);
    for (const auto& key : prof.keys) {
        check_no_session(r.snap("alice-closed"), key, "alice", true);
        check_sessions(r.snap("alice-closed"), key, "bob", kBobUid, {0});
    }
    check_log(r, LOG_ERR, 0);
}

void two_sessions(Layout layout)
{
    auto prof = core_profile(layout);
    auto r = run_scenario(layout, [&](Container& c) {
        c.service("cgfs-test", prof.args);
        Driver a = c.start("a", alice());
        a.wait_held();
        Driver b = c.start("b", alice());
        b.wait_held();
        c.snapshot("both");
        a.finish();
        c.snapshot("b-only");
        b.finish();
        c.snapshot("none");
    });
    check_ran(r);
    INFO(r.describe());
    CHECK(r.driver("a").code("open") == kPamSuccess);
    CHECK(r.driver("b").code("open") == kPamSuccess);
    for (const auto& key : prof.keys) {
        check_sessions(r.snap("both"), key, "alice", kAliceUid, {0, 1});
        check_proc_in(r.driver("a"), "cgroup", key, session_leaf(key, "alice", 0));
        check_proc_in(r.driver("b"), "cgroup", key, session_leaf(key, "alice", 1));
        check_sessions(r.snap("b-only"), key, "alice", kAliceUid, {1});
        check_no_session(r.snap("none"), key, "alice", true);
    }
    check_log(r, LOG_ERR, 0);
}

// su - alice from alice's shell: the caller already sits in alice's delegated cgroups.
void su_from_own_session(Layout layout)
{
    auto prof = core_profile(layout);
    auto r = run_scenario(layout, [&](Container& c) {
        c.service("cgfs-test", prof.args);
        Driver a = c.start("login", alice());
        a.wait_held();
        c.snapshot("login");
        std::vector<std::string> in;
        for (const auto& key : prof.keys) {
            in.push_back("--in");
            in.push_back(key + ":" + session_leaf(key, "alice", 0));
        }
        Driver su = c.start("su", alice(in));
        su.wait_held();
        c.snapshot("su-open");
        su.finish();
        c.snapshot("su-closed");
        a.finish();
    });
    check_ran(r);
    INFO(r.describe());
    CHECK(r.driver("su").code("open") == kPamSuccess);
    CHECK(r.driver("su").code("close") == kPamSuccess);
    check_unchanged(r.snap("login"), r.snap("su-open"));
    check_unchanged(r.snap("login"), r.snap("su-closed"));
    for (const auto& key : prof.keys) {
        check_proc_in(r.driver("su"), "cgroup", key, session_leaf(key, "alice", 0));
        check_proc_in(r.driver("su"), "cgroup_after_close", key, session_leaf(key, "alice", 0));
        check_proc_in(r.driver("login"), "cgroup_after_close", key, "/");
    }
    check_log(r, LOG_ERR, 0);
}

// A session whose close never ran leaves an empty leaf; the next open reaps it. `age`: how long
// ago the leftover was made (0: just now, before this open call -- pam_cgfs(8) Reaping: "older
// than the open call"; 3600: a killed sshd an hour ago).
void stale_leaf_reaped(Layout layout, int age)
{
    auto prof = core_profile(layout);
    auto r = run_scenario(layout, [&](Container& c) {
        c.service("cgfs-test", prof.args);
        c.run("killed", alice({"--no-close"}));
        if (age > 0)
            for (const auto& key : prof.keys)
                c.backdate(key + ":/user/alice/0", age);
        c.snapshot("stale");
        Driver next = c.start("next", alice());
        next.wait_held();
        c.snapshot("next-open");
        next.finish();
        c.snapshot("closed");
    });
    check_ran(r);
    INFO(r.describe());
    CHECK(r.driver("killed").code("open") == kPamSuccess);
    CHECK(r.driver("next").code("open") == kPamSuccess);
    for (const auto& key : prof.keys) {
        check_sessions(r.snap("stale"), key, "alice", kAliceUid, {0});
        check_sessions(r.snap("next-open"), key, "alice", kAliceUid, {0});
        check_proc_in(r.driver("next"), "cgroup", key, session_leaf(key, "alice", 0));
        check_no_session(r.snap("closed"), key, "alice", true);
    }
    check_log(r, LOG_ERR, 0);
}

void close_without_open(Layout layout)
{
    auto prof = core_profile(layout);
    auto r = run_scenario(layout, [&](Container& c) {
        c.service("cgfs-test", prof.args);
        c.snapshot("before");
        c.run("close", alice({"--close-only"}));
        c.snapshot("after");
    });
    check_ran(r);
    INFO(r.describe());
    CHECK(r.driver("close").code("close") == kPamSuccess);
    check_unchanged(r.snap("before"), r.snap("after"));
    for (const auto& key : prof.keys)
        check_proc_in(r.driver("close"), "cgroup_after_close", key, "/");
    check_log(r, LOG_ERR, 0);
}

void close_twice(Layout layout)
{
    auto prof = core_profile(layout);
    auto r = run_scenario(layout, [&](Container& c) {
        c.service("cgfs-test", prof.args);
        c.run("main", alice({"--close-twice"}));
        c.snapshot("after");
    });
    check_ran(r);
    INFO(r.describe());
    const auto& d = r.driver("main");
    CHECK(d.code("open") == kPamSuccess);
    CHECK(d.code("close") == kPamSuccess);
    CHECK(d.code("close2") == kPamSuccess);
    for (const auto& key : prof.keys) {
        check_no_session(r.snap("after"), key, "alice", true);
        check_proc_in(d, "cgroup_after_close", key, "/");
    }
    check_log(r, LOG_ERR, 0);
}

// Close run without privilege (the caller dropped to alice's uid after open).
void close_unprivileged(Layout layout)
{
    auto prof = core_profile(layout);
    auto r = run_scenario(layout, [&](Container& c) {
        c.service("cgfs-test", prof.args);
        c.run("main", alice({"--close-caller-uid", "1000"}));
        c.snapshot("after");
        c.run("close-only", alice({"--caller-uid", "1000", "--close-only"}));
    });
    check_ran(r);
    INFO(r.describe());
    CHECK(r.driver("main").code("open") == kPamSuccess);
    CHECK_FALSE(r.driver("main").has("close_caller_error"));
    CHECK(r.driver("main").code("close") == kPamSuccess);
    CHECK(r.driver("close-only").code("close") == kPamSuccess);
    check_log(r, LOG_ERR, 0);
}

void root_as_user(Layout layout)
{
    auto prof = core_profile(layout);
    auto r = run_scenario(layout, [&](Container& c) {
        c.service("cgfs-test", prof.args);
        Driver d = c.start("main", {"--service", "cgfs-test", "--user", "root"});
        d.wait_held();
        c.snapshot("open");
        d.finish();
        c.snapshot("closed");
    });
    check_ran(r);
    INFO(r.describe());
    CHECK(r.driver("main").code("open") == kPamSuccess);
    for (const auto& key : prof.keys) {
        check_sessions(r.snap("open"), key, "root", 0, {0});
        check_proc_in(r.driver("main"), "cgroup", key, session_leaf(key, "root", 0));
        check_no_session(r.snap("closed"), key, "root", true);
    }
    check_log(r, LOG_ERR, 0);
}

void stale_old_leaf(Layout layout)
{
    stale_leaf_reaped(layout, 3600);
}
void stale_young_leaf(Layout layout)
{
    stale_leaf_reaped(layout, 0);
}

void two_threads(Layout layout)
{
    // A caller with a second thread: the whole process is moved in every hierarchy, at open and
    // back at close (on v1 a thread can be moved alone; the module may do so only when the caller
    // has a single thread).
    auto prof = core_profile(layout);
    auto r = run_scenario(layout, [&](Container& c) {
        c.service("cgfs-test", prof.args);
        Driver d = c.start("main", alice({"--second-thread"}));
        d.wait_held();
        c.snapshot("open");
        d.finish();
        c.snapshot("closed");
    });
    check_ran(r);
    const auto& d = r.driver("main");
    INFO(r.describe());
    CHECK(d.code("open") == kPamSuccess);
    CHECK(d.code("close") == kPamSuccess);
    for (const auto& key : prof.keys) {
        check_sessions(r.snap("open"), key, "alice", kAliceUid, {0});
        check_proc_in(d, "cgroup", key, session_leaf(key, "alice", 0));
        check_proc_in(d, "thread_cgroup", key, session_leaf(key, "alice", 0));
        check_proc_in(d, "cgroup_after_close", key, "/");
        check_proc_in(d, "thread_cgroup_after_close", key, "/");
        check_no_session(r.snap("closed"), key, "alice", true);
    }
    check_log(r, LOG_ERR, 0);
}

} // namespace

CGFS_ALL_LAYOUTS("core: open and close one session", "[core]", open_close)
CGFS_ALL_LAYOUTS("core: a caller with two threads is moved whole, in and out", "[core]", two_threads)
CGFS_ALL_LAYOUTS("core: two concurrent sessions get 0 and 1", "[core]", two_sessions)
CGFS_ALL_LAYOUTS("core: alice logs out beside bob's open session", "[core]", logout_beside_another_user)
CGFS_ALL_LAYOUTS("core: su - alice from alice's session creates nothing", "[core]", su_from_own_session)
CGFS_ALL_LAYOUTS("core: a stale leaf from an hour ago is reaped at the next open", "[core]", stale_old_leaf)
CGFS_ALL_LAYOUTS("core: a stale leaf made just before the open call is reaped", "[core]", stale_young_leaf)
CGFS_ALL_LAYOUTS("core: close without open data", "[core]", close_without_open)
CGFS_ALL_LAYOUTS("core: close twice", "[core]", close_twice)
CGFS_ALL_LAYOUTS("core: close without privilege", "[core]", close_unprivileged)
CGFS_ALL_LAYOUTS("core: root is a user like any other", "[core]", root_as_user)
