// Hardening (issue 12) on every layout: BASE/user/<name> stays root's, so the user can create
// nothing in it (pam_cgfs(8) THREAT MODEL), yet still moves her processes between her own
// sessions; one left hers by an older module is taken back; and a PAM handle reused with
// PAM_USER changed closes the session it held before opening the next one.
#include "expect.hpp"
#include "layouts.hpp"
#include "util.hpp"

#include <catch2/catch.hpp>

#include <syslog.h>

using namespace cgfs_test;

namespace {

const std::string kAsAlice = "setpriv --reuid=1000 --regid=1000 --clear-groups ";

// Runs `command` with sh as alice and returns "ok" or "fail" (recorded by the caller).
std::string as_alice(Container& c, const std::string& command)
{
    c.sh("if " + kAsAlice + "sh -c '" + command + "' 2>/dev/null; then echo ok > /tmp/as-alice; else echo fail > " +
         "/tmp/as-alice; fi");
    return read_file("/tmp/as-alice").substr(0, read_file("/tmp/as-alice").find('\n'));
}

void user_dir_is_roots(Layout layout)
{
    auto prof = core_profile(layout);
    auto r = run_scenario(layout, [&](Container& c) {
        c.service("cgfs-test", prof.args);
        Driver first = c.start("first", alice());
        first.wait_held();
        Driver second = c.start("second", alice());
        second.wait_held();
        c.snapshot("open");
        std::vector<std::string> results;
        for (const auto& key : prof.keys) {
            const std::string home = c.path(key + ":/user/alice");
            const std::string leaf0 = c.path(key + ":" + session_leaf(key, "alice", 0));
            const std::string leaf1 = c.path(key + ":" + session_leaf(key, "alice", 1));
            // Entries in her user directory: a plain one, and one named like a controller file
            // that BASE/user would create there once that controller is enabled.
            results.push_back(key + ".mkdir=" + as_alice(c, "mkdir " + home + "/x"));
            results.push_back(key + ".mkdir_pids_max=" + as_alice(c, "mkdir " + home + "/pids.max"));
            // Her shell, started by root in session 0 as sshd's child is, moves itself to session 1.
            c.sh("sh -c 'echo $$ > " + leaf0 + "/cgroup.procs && exec " + kAsAlice + "sh -c \"echo \\$\\$ > " + leaf1 +
                 "/cgroup.procs && cat /proc/self/cgroup > /tmp/moved\"' || true");
            c.sh("touch /tmp/moved");
            const std::string moved = read_file("/tmp/moved");
            results.push_back(
                key + ".move_between_sessions=" +
                std::string(moved.find(session_leaf(key, "alice", 1)) != std::string::npos ? "ok" : "fail"));
            ::unlink("/tmp/moved");
        }
        std::string text = "@@driver alice\n";
        for (const auto& line : results)
            text += line + "\n";
        c.emit(text);
        c.snapshot("after");
        second.finish();
        first.finish();
        c.snapshot("closed");
    });
    check_ran(r);
    INFO(r.describe());
    const auto& a = r.driver("alice");
    for (const auto& key : prof.keys) {
        INFO("hierarchy " << key);
        CHECK(a.value(key + ".mkdir") == "fail");
        CHECK(a.value(key + ".mkdir_pids_max") == "fail");
        CHECK(a.value(key + ".move_between_sessions") == "ok");
        check_sessions(r.snap("open"), key, "alice", kAliceUid, {0, 1});
        check_sessions(r.snap("after"), key, "alice", kAliceUid, {0, 1});
        check_no_session(r.snap("closed"), key, "alice", true);
    }
    check_log(r, LOG_ERR, 0);
    check_log(r, LOG_NOTICE, 0);
}

// A /user/alice made alice's by an older module (or LXC's): directory and delegation files hers.
// Her next login takes it back (root's, only cgroup.procs hers on cgroup2), says so once per
// hierarchy, and leaves a directory she made in it hers and in place.
void user_dir_taken_back(Layout layout)
{
    auto prof = core_profile(layout);
    auto r = run_scenario(layout, [&](Container& c) {
        c.service("cgfs-test", prof.args);
        for (const auto& key : prof.keys) {
            c.mkdir(key + ":/user");
            c.mkdir(key + ":/user/alice", kAliceUid, kAliceUid);
            const std::string home = c.path(key + ":/user/alice");
            c.sh("for f in tasks cgroup.procs cgroup.threads cgroup.subtree_control; do "
                 "[ ! -e " +
                 home + "/$f ] || chown 1000:1000 " + home + "/$f; done");
            c.mkdir(key + ":/user/alice/mine", kAliceUid, kAliceUid);
        }
        c.snapshot("before");
        Driver d = c.start("main", alice());
        d.wait_held();
        c.snapshot("open");
        d.finish();
        c.snapshot("closed");
    });
    check_ran(r);
    INFO(r.describe());
    CHECK(r.driver("main").code("open") == kPamSuccess);
    for (const auto& key : prof.keys) {
        INFO("hierarchy " << key);
        CHECK(r.snap("before").dirs.at(key + ":/user/alice") == "1000:1000 0755");
        check_sessions(r.snap("open"), key, "alice", kAliceUid, {0}, {"/user/alice/mine"});
        check_proc_in(r.driver("main"), "cgroup", key, session_leaf(key, "alice", 0));
        // Close removes the session; her own directory stays, so /user/alice does too.
        CHECK(r.snap("closed").dirs.at(key + ":/user/alice") == "0:0 0755");
        CHECK(r.snap("closed").dirs.at(key + ":/user/alice/mine").substr(0, 10) == "1000:1000 ");
        CHECK(r.snap("closed").dirs.count(key + ":/user/alice/0") == 0);
    }
    check_log(r, LOG_NOTICE, prof.keys.size(), {"/user/alice: owned by alice (made by an older module), taken back"});
    check_log(r, LOG_ERR, 0);
}

// pam_open_session twice on one handle, PAM_USER changed from alice to bob in between, then one
// close: alice's session is closed (process moved back, her cgroups removed) before bob's opens,
// with one notice; the close then closes bob's.
void reused_handle(Layout layout)
{
    auto prof = core_profile(layout);
    auto r = run_scenario(layout, [&](Container& c) {
        c.service("cgfs-test", prof.args);
        Driver d = c.start("main", alice({"--reopen-as", "bob"}));
        d.wait_held();
        c.snapshot("open2");
        d.finish();
        c.snapshot("closed");
    });
    check_ran(r);
    INFO(r.describe());
    const auto& d = r.driver("main");
    CHECK(d.code("open") == kPamSuccess);
    CHECK(d.value("set_user") == "0");
    CHECK(d.code("open2") == kPamSuccess);
    CHECK(d.code("close") == kPamSuccess);
    for (const auto& key : prof.keys) {
        INFO("hierarchy " << key);
        check_proc_in(d, "cgroup", key, session_leaf(key, "alice", 0));
        check_proc_in(d, "cgroup2", key, session_leaf(key, "bob", 0));
        check_proc_in(d, "cgroup_after_close", key, "/");
        check_no_session(r.snap("open2"), key, "alice", true);
        check_sessions(r.snap("open2"), key, "bob", kBobUid, {0});
        check_no_session(r.snap("closed"), key, "alice", true);
        check_no_session(r.snap("closed"), key, "bob", true);
    }
    check_log(r, LOG_NOTICE, 1,
              {"user 'alice': the session still open on this PAM handle is closed before another one opens for 'bob'"});
    check_log(r, LOG_ERR, 0);
}

// One account, one tree: a name service that matches names without regard to case answers the
// login name "ALICE" with alice's entry. The session, its tree and its record are alice's
// (pw_name), never a second tree /user/ALICE of the same uid.
void spelling_of_the_database(Layout layout)
{
    auto prof = core_profile(layout);
    // Built next to pam_driver (tests/integration/meson.build), which every runner names.
    const std::string driver = driver_path();
    REQUIRE(driver.rfind('/') != std::string::npos);
    const std::string nss_dir = driver.substr(0, driver.rfind('/'));
    auto r = run_scenario(layout, [&](Container& c) {
        write_regular_file("/etc/nsswitch.conf", "passwd: files cgfsalias\ngroup: files\n", 0644);
        c.service("cgfs-test", prof.args + " debug");
        Driver d =
            c.start("main", {"--service", "cgfs-test", "--user", "ALICE"}, {std::string("LD_LIBRARY_PATH=") + nss_dir});
        d.wait_held();
        c.snapshot("open");
        d.finish();
        c.snapshot("closed");
    });
    check_ran(r);
    INFO(r.describe());
    const auto& d = r.driver("main");
    CHECK(d.code("open") == kPamSuccess);
    CHECK(d.code("close") == kPamSuccess);
    for (const auto& key : prof.keys) {
        INFO("hierarchy " << key);
        check_sessions(r.snap("open"), key, "alice", kAliceUid, {0});
        check_proc_in(d, "cgroup", key, session_leaf(key, "alice", 0));
        check_proc_in(d, "cgroup_after_close", key, "/");
        check_no_session(r.snap("closed"), key, "alice", true);
    }
    size_t named = 0;
    for (const auto& line : r.log(LOG_DEBUG))
        if (line.find("user 'ALICE': the user database calls this account 'alice'") != std::string::npos)
            ++named;
    CHECK(named == 1);
    check_log(r, LOG_ERR, 0);
}

} // namespace

CGFS_ALL_LAYOUTS("hardening: the tree is named as the user database spells the account", "[hardening]",
                 spelling_of_the_database)
CGFS_ALL_LAYOUTS("hardening: user/alice is root's; alice makes nothing there, moves between her sessions",
                 "[hardening]", user_dir_is_roots)
CGFS_ALL_LAYOUTS("hardening: a user/alice left alice's by an older module is taken back", "[hardening]",
                 user_dir_taken_back)
CGFS_ALL_LAYOUTS("hardening: a reused PAM handle with PAM_USER changed closes the first session", "[hardening]",
                 reused_handle)
