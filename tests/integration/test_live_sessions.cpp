// Live sessions are never taken apart by someone else's open or close: a second login's reaping
// and a close without open data leave every sub-cgroup of a session that still runs a process;
// an unprivileged caller is refused before it can half-move itself (pam_cgfs(8) "Closing and stale
// sessions", RETURN VALUES).
#include "expect.hpp"
#include "layouts.hpp"

#include <catch2/catch.hpp>

#include <syslog.h>

using namespace cgfs_test;

namespace {

std::string session_dir(int index)
{
    return "/user/alice/" + std::to_string(index);
}

// Alice's first session holds a stopped container's empty cgroup (and, on cgroup2, she moved her
// shell out of the `session` leaf into `work`, leaving the leaf empty). A second login must not
// reap any of it: the session as a whole still runs a process.
void second_login_keeps_live_subtree(Layout layout)
{
    auto prof = core_profile(layout);
    auto r = run_scenario(layout, [&](Container& c) {
        c.service("cgfs-test", prof.args);
        Driver a = c.start("first", alice());
        a.wait_held();
        for (const auto& key : prof.keys) {
            c.mkdir(key + ":" + session_dir(0) + "/lxc.payload.stopped", kAliceUid, kAliceUid);
            if (key == "unified") {
                c.move(a.pid(), key + ":" + session_dir(0) + "/work");
                c.mkdir(key + ":" + session_dir(0) + "/work", kAliceUid, kAliceUid); // hers, as if she made it
            }
        }
        c.snapshot("first");
        Driver b = c.start("second", alice());
        b.wait_held();
        c.snapshot("both");
        b.finish();
        a.finish();
        c.snapshot("none");
    });
    check_ran(r);
    INFO(r.describe());
    CHECK(r.driver("first").code("open") == kPamSuccess);
    CHECK(r.driver("second").code("open") == kPamSuccess);
    for (const auto& key : prof.keys) {
        std::set<std::string> made = {session_dir(0) + "/lxc.payload.stopped"};
        if (key == "unified")
            made.insert(session_dir(0) + "/work");
        check_sessions(r.snap("both"), key, "alice", kAliceUid, {0, 1}, made);
        check_proc_in(r.driver("second"), "cgroup", key, session_leaf(key, "alice", 1));
        // Everything of alice's is gone once both sessions closed.
        check_no_session(r.snap("none"), key, "alice", true);
    }
    check_log(r, LOG_ERR, 0);
}

// A close without open data, run from inside alice's live session, must leave the session and
// the empty sub-cgroup she made in it (it cannot tell the session is over).
void dataless_close_keeps_live_session(Layout layout)
{
    auto prof = core_profile(layout);
    auto r = run_scenario(layout, [&](Container& c) {
        c.service("cgfs-test", prof.args);
        Driver a = c.start("login", alice());
        a.wait_held();
        std::vector<std::string> in;
        for (const auto& key : prof.keys) {
            c.mkdir(key + ":" + session_dir(0) + "/c1", kAliceUid, kAliceUid);
            in.push_back("--in");
            in.push_back(key + ":" + session_leaf(key, "alice", 0));
        }
        c.snapshot("before");
        in.push_back("--close-only");
        c.run("close", alice(in));
        c.snapshot("after");
        a.finish();
    });
    check_ran(r);
    INFO(r.describe());
    CHECK(r.driver("close").code("close") == kPamSuccess);
    check_unchanged(r.snap("before"), r.snap("after"));
    for (const auto& key : prof.keys) {
        check_sessions(r.snap("after"), key, "alice", kAliceUid, {0}, {session_dir(0) + "/c1"});
        // Moved out to BASE: that much a close without data does (pam_cgfs(8) "Closing and stale
        // sessions").
        check_proc_in(r.driver("close"), "cgroup_after_close", key, "/");
    }
    check_log(r, LOG_ERR, 0);
}

// An unprivileged caller (alice herself, uid 1000) while she has a session open: alice owns
// user/alice, so without the up-front refusal she could mkdir and enter a new index in some
// hierarchies and then fail in others, left half-moved (pam_cgfs(8) RETURN VALUES:
// never; a caller that is not root is refused first).
void unprivileged_open_refused_with_live_session(Layout layout)
{
    auto prof = core_profile(layout);
    auto r = run_scenario(layout, [&](Container& c) {
        c.service("cgfs-test", prof.args);
        Driver a = c.start("login", alice());
        a.wait_held();
        c.snapshot("before");
        c.run("unprivileged", alice({"--caller-uid", "1000"}));
        c.snapshot("after");
        a.finish();
    });
    check_ran(r);
    INFO(r.describe());
    CHECK(r.driver("unprivileged").code("open") == kPamSessionErr);
    check_unchanged(r.snap("before"), r.snap("after"));
    for (const auto& key : prof.keys) {
        check_sessions(r.snap("after"), key, "alice", kAliceUid, {0});
        check_proc_in(r.driver("unprivileged"), "cgroup", key, "/");
    }
    check_log(r, LOG_ERR, 1, {"'alice'", "not root"});
}

// A failed open leaves a systemd cgroup it delegated in place with the user: another login of
// the same user may already run in it, so a failing login must not hand the scope back to root
// under a successful one (pam_cgfs(8) RETURN VALUES, PAM_SESSION_ERR).
void failed_open_keeps_in_place_delegation(Layout layout)
{
    const std::string scope = "/user.slice/user-1000.slice/session-1.scope";
    auto r = run_scenario(layout, [&](Container& c) {
        c.mkdir("name=systemd:/init.scope");
        c.move(1, "name=systemd:/init.scope");
        c.mkdir("name=systemd:" + scope);
        c.mkdir("freezer:/user/alice", kBobUid, kBobUid); // not alice's: the open fails there
        c.service("cgfs-test", "-c freezer,name=systemd");
        c.snapshot("before");
        c.run("failing", alice({"--in", "name=systemd:" + scope, "--no-close"}));
        c.snapshot("after");
    });
    check_ran(r);
    INFO(r.describe());
    const auto& d = r.driver("failing");
    CHECK(d.code("open") == kPamSessionErr);
    check_in_place(r.snap("after"), "name=systemd", scope, kAliceUid);
    check_proc_in(d, "cgroup", "name=systemd", scope);
    check_proc_in(d, "cgroup", "freezer", "/");
    CHECK(r.snap("after").dir_paths("freezer") == r.snap("before").dir_paths("freezer"));
    CHECK(r.snap("after").non_root_files("freezer") == r.snap("before").non_root_files("freezer"));
    check_log(r, LOG_ERR, 1, {"'alice'", "/user/alice: owned by uid 1001"});
}

// cgroup2: a process of the user sits in <N> itself, not in its session leaf (allowed while <N>
// enables no controllers). Close must leave <N> and its leaf both: the session is in use (found
// in review: the quick path of close removed the leaf first).
void close_keeps_leaf_of_busy_session(Layout layout)
{
    auto r = run_scenario(layout, [&](Container& c) {
        c.service("cgfs-test", "-c unified debug");
        Driver a = c.start("first", alice());
        a.wait_held();
        Driver b = c.start("second", alice());
        b.wait_held();
        // Into <0> itself (c.move would also chown <0> to root).
        c.write("unified:" + session_dir(0) + "/cgroup.procs", std::to_string(b.pid()));
        a.finish();
        c.snapshot("first-closed");
        b.finish();
        c.snapshot("second-closed");
    });
    check_ran(r);
    INFO(r.describe());
    CHECK(r.driver("first").code("close") == kPamSuccess);
    CHECK(r.driver("second").code("close") == kPamSuccess);
    check_sessions(r.snap("first-closed"), "unified", "alice", kAliceUid, {0, 1});
    // The second login's own session went; <0>, which held it, stays whole until a later open.
    check_sessions(r.snap("second-closed"), "unified", "alice", kAliceUid, {0});
    check_log(r, LOG_ERR, 0);
}

} // namespace

TEST_CASE("live: a failed open keeps the in-place delegation [v1]", "[v1][live]")
{
    failed_open_keeps_in_place_delegation(Layout::v1);
}
TEST_CASE("live: a failed open keeps the in-place delegation [hybrid]", "[hybrid][live]")
{
    failed_open_keeps_in_place_delegation(Layout::hybrid);
}
TEST_CASE("live: a second login leaves the first session's sub-cgroups alone [v1]", "[v1][live]")
{
    second_login_keeps_live_subtree(Layout::v1);
}
TEST_CASE("live: a second login leaves the first session's sub-cgroups alone [hybrid]", "[hybrid][live]")
{
    second_login_keeps_live_subtree(Layout::hybrid);
}
TEST_CASE("live: a second login leaves the first session's sub-cgroups alone [v2]", "[v2][live]")
{
    second_login_keeps_live_subtree(Layout::v2);
}
TEST_CASE("live: a close without data keeps a live session [v1]", "[v1][live]")
{
    dataless_close_keeps_live_session(Layout::v1);
}
TEST_CASE("live: a close without data keeps a live session [hybrid]", "[hybrid][live]")
{
    dataless_close_keeps_live_session(Layout::hybrid);
}
TEST_CASE("live: a close without data keeps a live session [v2]", "[v2][live]")
{
    dataless_close_keeps_live_session(Layout::v2);
}
TEST_CASE("live: an unprivileged open is refused while the user has a session [v1]", "[v1][live]")
{
    unprivileged_open_refused_with_live_session(Layout::v1);
}
TEST_CASE("live: an unprivileged open is refused while the user has a session [hybrid]", "[hybrid][live]")
{
    unprivileged_open_refused_with_live_session(Layout::hybrid);
}
TEST_CASE("live: an unprivileged open is refused while the user has a session [v2]", "[v2][live]")
{
    unprivileged_open_refused_with_live_session(Layout::v2);
}
TEST_CASE("live: close keeps the leaf of a cgroup2 session with a process in <N> [v2]", "[v2][live]")
{
    close_keeps_leaf_of_busy_session(Layout::v2);
}
TEST_CASE("live: close keeps the leaf of a cgroup2 session with a process in <N> [hybrid]", "[hybrid][live]")
{
    close_keeps_leaf_of_busy_session(Layout::hybrid);
}
