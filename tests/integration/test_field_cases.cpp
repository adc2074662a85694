// Field cases C01-C10 (shared/cases/README.md) on the layouts they name.
#include "expect.hpp"
#include "layouts.hpp"
#include "util.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include <syslog.h>
#include <unistd.h>

using namespace cgfs_test;

namespace {

std::vector<std::string> as(const std::string& user, const std::string& service,
                            const std::vector<std::string>& more = {})
{
    std::vector<std::string> args = {"--service", service, "--user", user};
    args.insert(args.end(), more.begin(), more.end());
    return args;
}

std::vector<std::string> in_all(const std::vector<std::string>& specs)
{
    std::vector<std::string> out;
    for (const auto& s : specs) {
        out.push_back("--in");
        out.push_back(s);
    }
    return out;
}

// Standard shape: set up, snapshot "before", driver "main" held open, snapshot "open", close,
// snapshot "closed".
Report open_hold_close(Layout layout, const std::string& args, const std::string& service,
                       const std::vector<std::string>& driver_args, const std::function<void(Container&)>& setup = {})
{
    return run_scenario(layout, [&](Container& c) {
        if (setup)
            setup(c);
        // The caller's starting cgroups exist before the "before" snapshot (root-owned).
        for (size_t i = 0; i + 1 < driver_args.size(); ++i)
            if (driver_args[i] == "--in")
                c.mkdir(driver_args[i + 1]);
        c.service(service, args);
        c.snapshot("before");
        Driver d = c.start("main", driver_args);
        d.wait_held();
        c.snapshot("open");
        d.finish();
        c.snapshot("closed");
    });
}

// ---- C01 ---------------------------------------------------------------------------------

void c01(Layout layout, const std::string& scope, const std::string& service, bool own_slice)
{
    std::string scope_spec = "name=systemd:" + scope;
    auto r = open_hold_close(layout, "-c freezer,memory,name=systemd", service,
                             as("alice", service, in_all({scope_spec, "freezer:/", "memory:/user.slice"})),
                             [&](Container& c) {
                                 c.mkdir("name=systemd:/init.scope");
                                 c.move(1, "name=systemd:/init.scope");
                             });
    check_ran(r);
    INFO(r.describe());
    const auto& d = r.driver("main");
    CHECK(d.code("open") == kPamSuccess);
    for (const std::string key : {"freezer", "memory"}) {
        check_sessions(r.snap("open"), key, "alice", kAliceUid, {0});
        check_proc_in(d, "cgroup", key, "/user/alice/0");
    }
    if (own_slice) {
        // logind's cgroup kept in place, delegated to alice; no systemd/user created.
        check_in_place(r.snap("open"), "name=systemd", scope, kAliceUid);
        check_proc_in(d, "cgroup", "name=systemd", scope);
    } else {
        // Bob's scope is foreign: untouched; alice gets her own tree.
        CHECK(r.snap("open").dirs.at("name=systemd:" + scope) == "0:0 0755");
        check_sessions(r.snap("open"), "name=systemd", "alice", kAliceUid, {0});
        check_proc_in(d, "cgroup", "name=systemd", "/user/alice/0");
    }
    check_proc_in(d, "cgroup_after_close", "memory", "/user.slice");
    check_proc_in(d, "cgroup_after_close", "freezer", "/");
    check_proc_in(d, "cgroup_after_close", "name=systemd", scope);
    for (const std::string key : {"freezer", "memory"})
        check_no_session(r.snap("closed"), key, "alice", true);
    check_log(r, LOG_ERR, 0);
}

// The user manager's own PAM session gets nothing (pam_cgfs(8) "The systemd user manager"): its
// cgroup is systemd's delegated unit, and its close could not undo a session (test_systemd.cpp).
void c01_user_manager(Layout layout)
{
    const std::string manager = "/user.slice/user-1000.slice/user@1000.service";
    auto r = open_hold_close(layout, "-c freezer,memory,name=systemd", "systemd-user",
                             as("alice", "systemd-user", in_all({"name=systemd:" + manager, "freezer:/", "memory:/"})),
                             [&](Container& c) {
                                 c.mkdir("name=systemd:/init.scope");
                                 c.move(1, "name=systemd:/init.scope");
                             });
    check_ran(r);
    INFO(r.describe());
    const auto& d = r.driver("main");
    CHECK(d.code("open") == kPamSuccess);
    check_unchanged(r.snap("before"), r.snap("open"));
    check_unchanged(r.snap("before"), r.snap("closed"));
    check_proc_in(d, "cgroup", "name=systemd", manager);
    check_proc_in(d, "cgroup", "freezer", "/");
    check_log(r, LOG_ERR, 0);
}
void c01_session_scope(Layout l)
{
    c01(l, "/user.slice/user-1000.slice/session-4.scope", "sshd", true);
}
void c01_foreign_scope(Layout l)
{
    c01(l, "/user.slice/user-1001.slice/session-9.scope", "sshd", false);
}

// A look-alike path deeper down is not logind's slice (SPEC 4: anchored at BASE).
void c01_lookalike(Layout layout)
{
    std::string deep = "/srv/user.slice/user-1000.slice/session-4.scope";
    auto r = open_hold_close(layout, "-c name=systemd", "sshd", as("alice", "sshd", in_all({"name=systemd:" + deep})));
    check_ran(r);
    INFO(r.describe());
    CHECK(r.driver("main").code("open") == kPamSuccess);
    CHECK(r.snap("open").dirs.at("name=systemd:" + deep) == "0:0 0755");
    check_sessions(r.snap("open"), "name=systemd", "alice", kAliceUid, {0});
    check_proc_in(r.driver("main"), "cgroup", "name=systemd", "/user/alice/0");
}

// ---- C02 ---------------------------------------------------------------------------------

void c02(Layout layout, const std::string& umask_value)
{
    std::string args = layout == Layout::v1 ? "-c freezer,memory" : "-c unified";
    std::vector<std::string> keys =
        layout == Layout::v1 ? std::vector<std::string>{"freezer", "memory"} : std::vector<std::string>{"unified"};
    auto r = open_hold_close(layout, args, "login", as("alice", "login", {"--umask", umask_value}));
    check_ran(r);
    INFO(r.describe());
    const auto& d = r.driver("main");
    CHECK(d.code("open") == kPamSuccess);
    CHECK(d.value("umask_after") == "0" + umask_value);
    for (const auto& key : keys) {
        check_sessions(r.snap("open"), key, "alice", kAliceUid, {0});
        check_proc_in(d, "cgroup", key, session_leaf(key, "alice", 0));
    }
    check_log(r, LOG_ERR, 0);
}

void c02_077(Layout l)
{
    c02(l, "077");
}
void c02_027(Layout l)
{
    c02(l, "027");
}

// ---- C03: a real stack loads the module ---------------------------------------------------

void c03_stack(Layout layout)
{
    auto prof = core_profile(layout);
    auto r = open_hold_close(layout, prof.args, "login", as("alice", "login"));
    check_ran(r);
    INFO(r.describe());
    CHECK(r.driver("main").code("open") == kPamSuccess);
    for (const auto& l : r.syslog)
        CHECK(l.message.find("dlopen") == std::string::npos);
    check_log(r, LOG_ERR, 0);
}

// ---- C04 ---------------------------------------------------------------------------------

// `selected`: the controllers `args` selects (SPEC §3; only those are enabled down the tree).
void c04(const std::string& args, const std::set<std::string>& selected)
{
    // In the shape of a booted host: PID 1 in /init.scope, the login service in a cgroup of its
    // own, so BASE holds no process and may enable what it is offered (cgroup-v2.rst: no
    // internal processes; a BASE that holds processes is a [real-v2] scenario).
    auto r = open_hold_close(Layout::v2, args, "login",
                             as("alice", "login", {"--act-as-user", "--enable", "memory", "--enable", "pids"}),
                             [](Container& c) {
                                 c.move(1, "unified:/init.scope");
                                 c.move(::getpid(), "unified:/system.slice/ssh.service");
                             });
    check_ran(r);
    INFO(r.describe());
    const auto& d = r.driver("main");
    REQUIRE(d.code("open") == kPamSuccess);
    check_sessions(r.snap("open"), "unified", "alice", kAliceUid, {0}, {"/user/alice/0/c1"});
    check_proc_in(d, "cgroup", "unified", session_leaf("unified", "alice", 0));
    CHECK(d.value("act.unified.mkdir") == "ok");
    CHECK(d.value("act.unified.enter") == "ok");
    CHECK(d.value("act.unified.c1_procs_owner") == "1000:1000");
    check_proc_in(d, "act.cgroup", "unified", "/user/alice/0/c1");
    // memory/pids: offered by the container's cgroup2 root and selected, the module must have
    // enabled them down to <N> and alice's write must work; not offered there (this host's
    // cgroup2 offers none to children) or not selected (pids by the stock line),
    // "not-offered" is the only right answer.
    for (const std::string ctrl : {"memory", "pids"}) {
        INFO("controller " << ctrl);
        const std::string at_root = d.value("act.unified.root_offers." + ctrl);
        REQUIRE((at_root == "yes" || at_root == "no"));
        bool enabled = at_root == "yes" && selected.count(ctrl) != 0;
        CHECK(d.value("act.unified.enable." + ctrl) == (enabled ? "ok" : "not-offered"));
    }
    check_no_session(r.snap("closed"), "unified", "alice", true);
    check_log(r, LOG_ERR, 0);
}

// ---- C05 / C06 ---------------------------------------------------------------------------

const std::string kScope2 = "/user.slice/user-1000.slice/session-2.scope";

void c05(Layout layout)
{
    auto r = open_hold_close(layout, "-c freezer,memory,name=systemd", "login",
                             as("alice", "login", in_all({"name=systemd:" + kScope2, "unified:" + kScope2})),
                             [](Container& c) {
                                 c.mkdir("name=systemd:/init.scope");
                                 c.move(1, "name=systemd:/init.scope");
                             });
    check_ran(r);
    INFO(r.describe());
    const auto& d = r.driver("main");
    CHECK(d.code("open") == kPamSuccess);
    for (const std::string key : {"freezer", "memory"}) {
        check_sessions(r.snap("open"), key, "alice", kAliceUid, {0});
        check_proc_in(d, "cgroup", key, "/user/alice/0");
    }
    check_in_place(r.snap("open"), "name=systemd", kScope2, kAliceUid);
    // Nothing under the cgroup2 mount created or chowned; P's 0:: line unchanged.
    check_no_session(r.snap("open"), "unified", "alice", false);
    CHECK(r.snap("open").dir_paths("unified") == r.snap("before").dir_paths("unified"));
    check_proc_in(d, "cgroup", "unified", kScope2);
    check_log(r, LOG_ERR, 0);
}

void c06(Layout layout)
{
    auto r = open_hold_close(
        layout, "-c freezer,memory,name=systemd,unified", "login",
        as("alice", "login", {"--in", "name=systemd:" + kScope2, "--in", "unified:" + kScope2, "--act-as-user"}),
        [](Container& c) {
            c.mkdir("name=systemd:/init.scope");
            c.move(1, "name=systemd:/init.scope");
        });
    check_ran(r);
    INFO(r.describe());
    const auto& d = r.driver("main");
    REQUIRE(d.code("open") == kPamSuccess);
    const auto& s = r.snap("open");
    // The scope: dir + delegate files alice's, every other file root's, c1 hers.
    std::string ug = "1000:1000";
    std::set<std::string> want;
    for (const auto& f : v2_delegate_files())
        if (s.files.count("unified:" + kScope2 + "/" + f) != 0)
            want.insert(kScope2 + "/" + f + " " + ug);
    std::set<std::string> got;
    for (const auto& f : s.non_root_files("unified"))
        if (!starts_with(f, kScope2 + "/c1"))
            got.insert(f);
    CHECK(got == want);
    CHECK(s.dirs.at("unified:" + kScope2).substr(0, ug.size()) == ug);
    CHECK(s.dir_paths("unified").count("/user") == 0);
    CHECK(d.value("act.unified.mkdir") == "ok");
    CHECK(d.value("act.unified.enter") == "ok");
    CHECK(d.value("act.unified.c1_procs_owner") == ug);
    check_proc_in(d, "act.cgroup", "unified", kScope2 + "/c1");
    check_proc_in(d, "cgroup", "unified", kScope2);
    check_in_place(s, "name=systemd", kScope2, kAliceUid, {kScope2 + "/c1"});
    for (const std::string key : {"freezer", "memory"})
        check_sessions(s, key, "alice", kAliceUid, {0}, {"/user/alice/0/c1"});
    check_log(r, LOG_ERR, 0);
}

// ---- C07 ---------------------------------------------------------------------------------

void c07_all(const std::string& args)
{
    auto r = open_hold_close(Layout::v1, args, "login", as("alice", "login"));
    check_ran(r);
    INFO(r.describe());
    const auto& d = r.driver("main");
    CHECK(d.code("open") == kPamSuccess);
    for (const auto& key : layout_keys(Layout::v1)) {
        check_sessions(r.snap("open"), key, "alice", kAliceUid, {0});
        check_proc_in(d, "cgroup", key, "/user/alice/0");
        check_no_session(r.snap("closed"), key, "alice", true);
    }
    check_log(r, LOG_ERR, 0);
}

// The host mounts cpu and cpuacct separately (a controller lives in one hierarchy only, so the
// container cannot co-mount them); "handled once" is tested with the same hierarchy mounted
// twice instead.
void c07_mounted_twice()
{
    auto r = open_hold_close(Layout::v1, "-c freezer", "login", as("alice", "login"), [](Container& c) {
        c.sh("mkdir /sys/fs/cgroup/freezer-again && "
             "mount -t cgroup -o freezer cgroup "
             "/sys/fs/cgroup/freezer-again");
    });
    check_ran(r);
    INFO(r.describe());
    CHECK(r.driver("main").code("open") == kPamSuccess);
    check_sessions(r.snap("open"), "freezer", "alice", kAliceUid, {0});
    check_proc_in(r.driver("main"), "cgroup", "freezer", "/user/alice/0");
    check_log(r, LOG_ERR, 0);
}

// The keys of the v1 hierarchies holding `controllers`, each once: "cpu" and "cpuacct" on this
// machine (mounted apart), "cpu,cpuacct" once where they are co-mounted (a booted v1 host).
std::set<std::string> v1_keys_of(const std::vector<std::string>& controllers)
{
    std::set<std::string> out;
    for (const auto& key : layout_keys(Layout::v1)) {
        auto parts = split(key, ',');
        for (const auto& c : controllers)
            if (std::find(parts.begin(), parts.end(), c) != parts.end())
                out.insert(key);
    }
    return out;
}

void c07_cpu(const std::vector<std::string>& controllers)
{
    std::string list;
    for (const auto& c : controllers)
        list += (list.empty() ? "" : ",") + c;
    auto keys = v1_keys_of(controllers);
    REQUIRE(keys.size() >= 1);
    auto r = open_hold_close(Layout::v1, "-c " + list, "login", as("alice", "login"));
    check_ran(r);
    INFO(r.describe());
    CHECK(r.driver("main").code("open") == kPamSuccess);
    for (const auto& key : keys) {
        check_sessions(r.snap("open"), key, "alice", kAliceUid, {0});
        check_proc_in(r.driver("main"), "cgroup", key, "/user/alice/0");
    }
    for (const auto& key : layout_keys(Layout::v1))
        if (keys.count(key) == 0)
            check_no_session(r.snap("open"), key, "alice", false);
    check_log(r, LOG_ERR, 0);
}

void c07_all_mixed()
{
    // --no-close: close refuses the same options again (a second LOG_ERR, by design).
    auto r = open_hold_close(Layout::v1, "-c all,memory", "login", as("alice", "login", {"--no-close"}));
    check_ran(r);
    INFO(r.describe());
    CHECK(r.driver("main").code("open") == kPamSessionErr);
    check_unchanged(r.snap("before"), r.snap("open"));
    check_log(r, LOG_ERR, 1, {"all"});
    for (const auto& key : layout_keys(Layout::v1))
        check_proc_in(r.driver("main"), "cgroup", key, "/");
}

void c07_unmounted_blkio()
{
    auto r = open_hold_close(Layout::v1, "-c cpuset,blkio", "login", as("alice", "login"),
                             [](Container& c) { c.sh("umount /sys/fs/cgroup/blkio"); });
    check_ran(r);
    INFO(r.describe());
    CHECK(r.driver("main").code("open") == kPamSuccess);
    check_sessions(r.snap("open"), "cpuset", "alice", kAliceUid, {0});
    check_proc_in(r.driver("main"), "cgroup", "cpuset", "/user/alice/0");
    check_log(r, LOG_NOTICE, 1, {"blkio"});
    check_log(r, LOG_ERR, 0);
}

// ---- C08 ---------------------------------------------------------------------------------

void c08()
{
    auto r = open_hold_close(Layout::v1, "-c cpuset,freezer", "login", as("alice", "login", {"--act-as-user"}));
    check_ran(r);
    INFO(r.describe());
    const auto& d = r.driver("main");
    REQUIRE(d.code("open") == kPamSuccess);
    const auto& s = r.snap("open");
    const auto& before = r.snap("before");
    std::string root_cpus = before.knobs.at("cpuset:/cpuset.cpus");
    std::string root_mems = before.knobs.at("cpuset:/cpuset.mems");
    // No CPU is isolated on these machines (it needs a boot parameter); then the created
    // levels carry the root's full set.
    std::string isolated = read_file("/sys/devices/system/cpu/isolated");
    bool none_isolated = isolated.find_first_not_of(" \n") == std::string::npos;
    for (const std::string level : {"/user", "/user/alice", "/user/alice/0", "/user/alice/0/c1"}) {
        INFO("level " << level);
        std::string cpus = s.knobs.at("cpuset:" + level + "/cpuset.cpus");
        CHECK_FALSE(cpus.empty());
        if (none_isolated)
            CHECK(cpus == root_cpus);
        CHECK_FALSE(s.knobs.at("cpuset:" + level + "/cpuset.mems").empty());
        if (level != "/user/alice/0/c1")
            CHECK(s.knobs.at("cpuset:" + level + "/cgroup.clone_children") == "1");
    }
    CHECK(s.knobs.at("cpuset:/cpuset.cpus") == root_cpus);
    CHECK(s.knobs.at("cpuset:/cpuset.mems") == root_mems);
    CHECK(s.knobs.at("cpuset:/cgroup.clone_children") == "0");
    check_proc_in(d, "cgroup", "cpuset", "/user/alice/0");
    CHECK(d.value("act.cpuset.mkdir") == "ok");
    CHECK(d.value("act.cpuset.enter") == "ok");
    check_sessions(s, "cpuset", "alice", kAliceUid, {0}, {"/user/alice/0/c1"});
    check_sessions(s, "freezer", "alice", kAliceUid, {0}, {"/user/alice/0/c1"});
    check_log(r, LOG_ERR, 0);
}

// A stale alice-owned leaf with empty cpus: repaired or refused, never success outside it.
void c08_stale_empty_cpuset()
{
    auto r = open_hold_close(Layout::v1, "-c cpuset,freezer", "login", as("alice", "login"), [](Container& c) {
        c.mkdir("cpuset:/user");
        c.mkdir("cpuset:/user/alice", kAliceUid, kAliceUid);
        c.sh("mkdir /sys/fs/cgroup/cpuset/user/alice/0 && chown -R "
             "1000:1000 /sys/fs/cgroup/cpuset/user/alice/0");
        c.backdate("cpuset:/user/alice/0", 3600);
    });
    check_ran(r);
    INFO(r.describe());
    const auto& d = r.driver("main");
    int code = d.code("open");
    CHECK((code == kPamSuccess || code == kPamSessionErr));
    auto cg = d.cgroups("cgroup");
    if (code == kPamSuccess) {
        std::string leaf = cg.at("cpuset");
        CHECK(starts_with(leaf, "/user/alice/"));
        CHECK_FALSE(r.snap("open").knobs.at("cpuset:" + leaf + "/cpuset.cpus").empty());
        CHECK(cg.at("freezer") == leaf);
    } else {
        CHECK(cg.at("cpuset") == "/");
        CHECK(cg.at("freezer") == "/");
        check_log(r, LOG_ERR, 1);
    }
}

// ---- C09 ---------------------------------------------------------------------------------

void c09_no_systemd()
{
    auto r = open_hold_close(Layout::v1, "-c freezer,memory,name=systemd", "login", as("alice", "login"));
    check_ran(r);
    INFO(r.describe());
    CHECK(r.driver("main").code("open") == kPamSuccess);
    for (const std::string key : {"freezer", "memory", "name=systemd"}) {
        check_sessions(r.snap("open"), key, "alice", kAliceUid, {0});
        check_proc_in(r.driver("main"), "cgroup", key, "/user/alice/0");
    }
    check_log(r, LOG_ERR, 0);
}

void c09_consolekit()
{
    const std::string ck = "/org/freedesktop/ConsoleKit/Session3";
    std::vector<std::string> in;
    for (const auto& key : layout_keys(Layout::v1)) {
        in.push_back("--in");
        in.push_back(key + ":" + ck);
    }
    auto r = open_hold_close(Layout::v1, "-c all", "login", as("alice", "login", in));
    check_ran(r);
    INFO(r.describe());
    const auto& d = r.driver("main");
    CHECK(d.code("open") == kPamSuccess);
    for (const auto& key : layout_keys(Layout::v1)) {
        check_sessions(r.snap("open"), key, "alice", kAliceUid, {0});
        check_proc_in(d, "cgroup", key, "/user/alice/0");
        CHECK(r.snap("open").dirs.at(key + ":" + ck) == "0:0 0755");
        check_proc_in(d, "cgroup_after_close", key, ck);
    }
    check_log(r, LOG_ERR, 0);
}

// ---- C10 ---------------------------------------------------------------------------------

void c10_unprivileged(Layout layout)
{
    auto prof = core_profile(layout);
    auto r = open_hold_close(layout, prof.args, "login", as("alice", "login", {"--caller-uid", "1000"}));
    check_ran(r);
    INFO(r.describe());
    const auto& d = r.driver("main");
    CHECK(d.code("open") == kPamSessionErr);
    check_unchanged(r.snap("before"), r.snap("open"));
    for (const auto& key : prof.keys)
        check_proc_in(d, "cgroup", key, "/");
    check_log(r, LOG_ERR, 1, {"alice"});
}

// /proc/cgroups hidden (an empty file bound over it): the module must not care.
void c10_no_proc_cgroups(Layout layout)
{
    auto prof = core_profile(layout);
    auto r = open_hold_close(layout, prof.args, "login", as("alice", "login"),
                             [](Container& c) { c.sh("mount --bind /dev/null /proc/cgroups"); });
    check_ran(r);
    INFO(r.describe());
    CHECK(r.driver("main").code("open") == kPamSuccess);
    for (const auto& key : prof.keys) {
        check_sessions(r.snap("open"), key, "alice", kAliceUid, {0});
        check_proc_in(r.driver("main"), "cgroup", key, session_leaf(key, "alice", 0));
    }
    check_log(r, LOG_ERR, 0);
}

} // namespace

CGFS_LAYOUT_TEST("C01: user@1000.service gets no session", "[c01]", c01_user_manager, v1)
CGFS_LAYOUT_TEST("C01: user@1000.service gets no session", "[c01]", c01_user_manager, hybrid)
CGFS_LAYOUT_TEST("C01: session scope kept in place (sshd)", "[c01]", c01_session_scope, v1)
CGFS_LAYOUT_TEST("C01: session scope kept in place (sshd)", "[c01]", c01_session_scope, hybrid)
CGFS_LAYOUT_TEST("C01: bob's scope is foreign to alice", "[c01]", c01_foreign_scope, v1)
CGFS_LAYOUT_TEST("C01: bob's scope is foreign to alice", "[c01]", c01_foreign_scope, hybrid)
CGFS_LAYOUT_TEST("C01: a look-alike slice below BASE is foreign", "[c01]", c01_lookalike, v1)

CGFS_LAYOUT_TEST("C02: umask 077 leaves a usable tree", "[c02]", c02_077, v1)
CGFS_LAYOUT_TEST("C02: umask 027 leaves a usable tree", "[c02]", c02_027, v1)
CGFS_LAYOUT_TEST("C02: umask 077 leaves a usable tree, -c unified", "[c02]", c02_077, hybrid)
CGFS_LAYOUT_TEST("C02: umask 027 leaves a usable tree, -c unified", "[c02]", c02_027, hybrid)

CGFS_ALL_LAYOUTS("C03: a real stack loads the module", "[c03]", c03_stack)

TEST_CASE("C04: pure v2 with the stock line delegates a usable subtree", "[v2][c04]")
{
    c04("-c freezer,memory,name=systemd", {"memory"});
}
TEST_CASE("C04: pure v2 with -c all delegates a usable subtree", "[v2][c04]")
{
    c04("-c all", {"memory", "pids"});
}

CGFS_LAYOUT_TEST("C05: hybrid without unified leaves cgroup2 alone", "[c05]", c05, hybrid)
CGFS_LAYOUT_TEST("C06: hybrid with unified delegates the scope", "[c06]", c06, hybrid)

TEST_CASE("C07: -c all delegates every mounted hierarchy", "[v1][c07]")
{
    c07_all("-c all");
}
TEST_CASE("C07: no -c means all", "[v1][c07]")
{
    c07_all("");
}
TEST_CASE("C07: a hierarchy mounted twice is handled once", "[v1][c07]")
{
    c07_mounted_twice();
}
TEST_CASE("C07: -c cpu selects the cpu hierarchy only", "[v1][c07]")
{
    c07_cpu({"cpu"});
}
TEST_CASE("C07: -c cpu,cpuacct selects each hierarchy holding them once", "[v1][c07]")
{
    c07_cpu({"cpu", "cpuacct"});
}
TEST_CASE("C07: -c all,memory is refused loudly", "[v1][c07]")
{
    c07_all_mixed();
}
TEST_CASE("C07: an unmounted controller is a notice", "[v1][c07]")
{
    c07_unmounted_blkio();
}

TEST_CASE("C08: cpusets are never empty", "[v1][c08]")
{
    c08();
}
TEST_CASE("C08: a stale leaf with empty cpus is repaired or refused", "[v1][c08]")
{
    c08_stale_empty_cpuset();
}

TEST_CASE("C09: name=systemd without systemd is a hierarchy like the others", "[v1][c09]")
{
    c09_no_systemd();
}
TEST_CASE("C09: a root-owned ConsoleKit cgroup is left for a new tree", "[v1][c09]")
{
    c09_consolekit();
}

CGFS_ALL_LAYOUTS("C10: a caller without privilege gets PAM_SESSION_ERR", "[c10]", c10_unprivileged)
CGFS_ALL_LAYOUTS("C10: /proc/cgroups does not matter", "[c10]", c10_no_proc_cgroups)
