// [real-v2] What only a cgroup2 host with delegated controllers shows: alice enabling controllers
// in her session, a pids.max she sets taking effect, memory.max on user/<name> binding all her
// sessions, and controllers an ancestor refuses reported as notices. The runner exits 77 unless
// the cgroup2 hierarchy offers memory and pids below the test's own cgroup (this machine's does
// not; tests/vm/run boots a kernel that does).
#include "expect.hpp"
#include "util.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>

#include <syslog.h>
#include <unistd.h>

using namespace cgfs_test;

int cgfs_test_precheck(int, char**);

int cgfs_test_precheck(int, char**)
{
    std::string why = sandbox_unavailable_reason();
    if (why.empty()) {
        why = "the host mounts no cgroup2 hierarchy";
        for (const auto& h : discover_host_hierarchies()) {
            if (!h.v2)
                continue;
            // The scratch cgroups are made below our own: they are offered what it enables.
            std::string own = h.host_mount + (h.own_path == "/" ? "" : h.own_path);
            std::string enabled = read_file(own + "/cgroup.subtree_control");
            auto words = split(enabled.substr(0, enabled.find('\n')), ' ');
            auto has = [&](const char* c) { return std::find(words.begin(), words.end(), c) != words.end(); };
            why = has("memory") && has("pids")
                      ? ""
                      : "cgroup2 offers no memory and pids below the test's cgroup (" + own +
                            "/cgroup.subtree_control: '" + enabled.substr(0, enabled.find('\n')) +
                            "'); tests/vm/run boots a kernel where it does";
        }
    }
    if (!why.empty()) {
        std::fprintf(stderr, "SKIP: real-v2 scenarios: %s\n", why.c_str());
        return 77;
    }
    for (const auto& [var, path] :
         {std::pair{"CGFS_MODULE", module_path()}, std::pair{"CGFS_PAM_DRIVER", driver_path()}}) {
        if (path.empty() || ::access(path.c_str(), R_OK) != 0) {
            std::fprintf(stderr, "FAIL: %s='%s' is not a readable file\n", var, path.c_str());
            return 1;
        }
    }
    return -1;
}

namespace {

// The shape of a booted systemd host: PID 1 in /init.scope (BASE drops it), the login service
// in its own cgroup, so BASE itself holds no process and may enable controllers.
void host_shape(Container& c)
{
    c.move(1, "unified:/init.scope");
    c.move(::getpid(), "unified:/system.slice/ssh.service");
}

std::vector<std::string> as_alice(const std::vector<std::string>& more)
{
    return alice(more, "login");
}

// Snapshots "before", "open" (driver "main" held after open) and "closed" around one login of
// alice through a "login" service with `args`; `shaped`: in host_shape() first.
Report one_login(bool shaped, const std::string& args, const std::vector<std::string>& more)
{
    return run_scenario(Layout::v2, [&](Container& c) {
        if (shaped)
            host_shape(c);
        c.service("login", args);
        c.snapshot("before");
        Driver d = c.start("main", as_alice(more));
        d.wait_held();
        c.snapshot("open");
        d.finish();
        c.snapshot("closed");
    });
}

} // namespace

TEST_CASE("real v2: alice enables +memory +pids in her session without EBUSY", "[real-v2]")
{
    auto r = one_login(true, "-c memory,pids", {"--act-as-user", "--enable", "memory", "--enable", "pids"});
    check_ran(r);
    INFO(r.describe());
    const auto& d = r.driver("main");
    REQUIRE(d.code("open") == kPamSuccess);
    check_proc_in(d, "cgroup", "unified", session_leaf("unified", "alice", 0));
    CHECK(d.value("act.unified.root_offers.memory") == "yes");
    CHECK(d.value("act.unified.root_offers.pids") == "yes");
    CHECK(d.value("act.unified.enable.memory") == "ok");
    CHECK(d.value("act.unified.enable.pids") == "ok");
    check_proc_in(d, "act.cgroup", "unified", "/user/alice/0/c1");
    const auto& s = r.snap("open");
    // Enabled from BASE down to <N>, so alice's own c1 has both.
    for (const std::string cg : {"/", "/user", "/user/alice", "/user/alice/0"}) {
        INFO("cgroup " << cg);
        auto words = split(knob(s, cg, "cgroup.subtree_control"), ' ');
        CHECK(std::count(words.begin(), words.end(), "memory") == 1);
        CHECK(std::count(words.begin(), words.end(), "pids") == 1);
    }
    CHECK(knob(s, "/user/alice/0/c1", "cgroup.controllers") == "memory pids");
    check_sessions(s, "unified", "alice", kAliceUid, {0}, {"/user/alice/0/c1"});
    // BASE's own setting was root's to make; close leaves it, and removes alice's tree.
    check_no_session(r.snap("closed"), "unified", "alice", true);
    check_log(r, LOG_ERR, 0);
    check_log(r, LOG_NOTICE, 0);
}

TEST_CASE("real v2: a pids.max alice sets on her child takes effect", "[real-v2]")
{
    auto r = one_login(true, "-c freezer,memory,pids,name=systemd",
                       {"--act-as-user", "--enable", "pids", "--user-write", "c1/pids.max=3", "--fork-probe", "5"});
    check_ran(r);
    INFO(r.describe());
    const auto& d = r.driver("main");
    REQUIRE(d.code("open") == kPamSuccess);
    CHECK(d.value("act.unified.enable.pids") == "ok");
    CHECK(d.value("act.unified.write.c1/pids.max") == "ok");
    // The probing process itself is one of the three: two forks, then the kernel's EAGAIN.
    CHECK(d.value("act.unified.forks") == "2 EAGAIN");
    CHECK(knob(r.snap("open"), "/user/alice/0/c1", "pids.max") == "3");
    check_log(r, LOG_ERR, 0);
}

// pam_cgfs(8) "The session leaf on cgroup2": the login sits in <N>/init.scope, so what it starts
// (lxc-start builds <N>/lxc.payload.<name> beside the leaf) gets the controllers <N> offers. alice
// makes such a sibling, enables memory and pids for it, sets its limits, and a memory hog in it
// is OOM-killed while her session lives on and closes normally.
TEST_CASE("real v2: a sibling of init.scope gets memory and pids limits; its hog is OOM-killed, the session lives",
          "[real-v2]")
{
    auto r = one_login(true, "-c memory,pids",
                       {"--act-as-user", "--enable", "memory", "--enable", "pids", "--user-write",
                        "c1/memory.max=33554432", "--user-write", "c1/pids.max=64", "--alloc-mib", "96"});
    check_ran(r);
    INFO(r.describe());
    const auto& d = r.driver("main");
    REQUIRE(d.code("open") == kPamSuccess);
    check_proc_in(d, "cgroup", "unified", session_leaf("unified", "alice", 0));
    CHECK(d.value("act.unified.mkdir") == "ok");
    CHECK(d.value("act.unified.enter") == "ok");
    check_proc_in(d, "act.cgroup", "unified", "/user/alice/0/c1");
    CHECK(d.value("act.unified.enable.memory") == "ok");
    CHECK(d.value("act.unified.enable.pids") == "ok");
    CHECK(d.value("act.unified.write.c1/memory.max") == "ok");
    CHECK(d.value("act.unified.write.c1/pids.max") == "ok");
    const auto& s = r.snap("open");
    CHECK(knob(s, "/user/alice/0/c1", "cgroup.controllers") == "memory pids");
    CHECK(knob(s, "/user/alice/0/c1", "memory.max") == "33554432");
    CHECK(knob(s, "/user/alice/0/c1", "pids.max") == "64");
    CHECK(d.value("act.unified.alloc") == "killed 9");
    // The session itself: still in its leaf after the kill, and it closes as any other.
    CHECK(d.code("close") == kPamSuccess);
    check_no_session(r.snap("closed"), "unified", "alice", true);
    check_log(r, LOG_ERR, 0);
}

TEST_CASE("real v2: memory.max set by root on user/alice binds all her sessions", "[real-v2]")
{
    auto r = run_scenario(Layout::v2, [](Container& c) {
        host_shape(c);
        c.service("login", "-c freezer,memory,name=systemd");
        Driver first = c.start("first", as_alice({}));
        first.wait_held();
        c.write("unified:/user/alice/memory.max", "33554432"); // 32 MiB for all of alice
        Driver second = c.start("second", as_alice({"--act-as-user", "--user-write", "../memory.max=max",
                                                    "--user-write", "memory.max=max", "--alloc-mib", "96"}));
        second.wait_held();
        c.snapshot("both");
        second.finish();
        first.finish();
    });
    check_ran(r);
    INFO(r.describe());
    REQUIRE(r.driver("first").code("open") == kPamSuccess);
    const auto& d = r.driver("second");
    REQUIRE(d.code("open") == kPamSuccess);
    check_proc_in(d, "cgroup", "unified", session_leaf("unified", "alice", 1));
    const auto& s = r.snap("both");
    CHECK(knob(s, "/user/alice", "memory.max") == "33554432");
    // The limit and the session's own memory.max stay root's: alice can change neither.
    CHECK(d.value("act.unified.write.../memory.max") == "EACCES");
    CHECK(d.value("act.unified.write.memory.max") == "EACCES");
    CHECK(s.files.at("unified:/user/alice/memory.max").substr(0, 4) == "0:0 ");
    // More than the limit in her second session: the kernel's OOM killer ends it (SIGKILL).
    CHECK(d.value("act.unified.alloc") == "killed 9");
    check_sessions(s, "unified", "alice", kAliceUid, {0, 1}, {"/user/alice/1/c1"});
    check_log(r, LOG_ERR, 0);
}

TEST_CASE("real v2: a controller BASE is not offered is a notice; the rest is enabled", "[real-v2]")
{
    // hugetlb exists on cgroup2 but the boot enabled only memory, pids, cpu and io.
    auto r = one_login(true, "-c memory,hugetlb", {});
    check_ran(r);
    INFO(r.describe());
    REQUIRE(r.driver("main").code("open") == kPamSuccess);
    const auto& s = r.snap("open");
    CHECK(root_offers(r.snap("before")) == std::vector<std::string>{"cpu", "io", "memory", "pids"});
    CHECK(knob(s, "/user/alice/0", "cgroup.subtree_control") == "memory");
    check_sessions(s, "unified", "alice", kAliceUid, {0});
    check_log(r, LOG_NOTICE, 1, {"hugetlb", "not available"});
    check_log(r, LOG_ERR, 0);
}

// A container whose init stays in its cgroup namespace's root (LXC with a non-systemd init):
// BASE holds processes. Domain controllers are refused there (EBUSY); a threaded one would be
// accepted and make BASE a thread root, after which no process could enter a session below.
TEST_CASE("real v2: BASE holding processes: nothing enabled there, notices, the login works", "[real-v2]")
{
    auto r = one_login(false, "-c all", {"--act-as-user"});
    check_ran(r);
    INFO(r.describe());
    const auto& d = r.driver("main");
    REQUIRE(d.code("open") == kPamSuccess);
    check_proc_in(d, "cgroup", "unified", session_leaf("unified", "alice", 0));
    CHECK(d.value("act.unified.enter") == "ok");
    const auto& before = r.snap("before");
    CHECK(knob(before, "/", "cgroup.subtree_control") == "");
    CHECK(knob(r.snap("open"), "/", "cgroup.subtree_control") == "");
    CHECK(knob(r.snap("open"), "/user", "cgroup.controllers") == "");
    check_sessions(r.snap("open"), "unified", "alice", kAliceUid, {0}, {"/user/alice/0/c1"});
    // One notice per controller BASE offers, none later (nothing is offered below).
    auto offered = root_offers(before);
    check_log(r, LOG_NOTICE, offered.size(), {"holds processes of its own"});
    check_log(r, LOG_ERR, 0);
    check_no_session(r.snap("closed"), "unified", "alice", true);
    CHECK(knob(r.snap("closed"), "/", "cgroup.subtree_control") == "");
}
