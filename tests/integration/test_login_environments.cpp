// Login environments in which per-user cgroup modules have gone wrong on real hosts, each on the
// layouts it concerns: systemd's user manager and logind's session scopes, a strict umask, a real
// PAM stack loading the module, pure cgroup2 and hybrid hosts, controller selection, v1 cpusets,
// hosts without systemd, and an unprivileged caller. Expected states: pam_cgfs(8) DESCRIPTION,
// OPTIONS, BEHAVIOUR PER LAYOUT and RETURN VALUES.
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

// ---- systemd hosts: the user manager and logind's session scopes ---------------------------
// pam_cgfs(8) "systemd user slices" and "The systemd user manager".

void logind_scope(Layout layout, const std::string& scope, const std::string& service, bool own_slice)
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
void user_manager(Layout layout)
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
void own_session_scope(Layout l)
{
    logind_scope(l, "/user.slice/user-1000.slice/session-4.scope", "sshd", true);
}
void foreign_session_scope(Layout l)
{
    logind_scope(l, "/user.slice/user-1001.slice/session-9.scope", "sshd", false);
}

// A look-alike path deeper down is not logind's slice (pam_cgfs(8) "systemd user slices": the
// match is anchored at BASE).
void lookalike_slice(Layout layout)
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

// ---- a strict umask leaves a usable tree ---------------------------------------------------
// pam_cgfs(8) "The cgroups of a session": modes are 0755 whatever the caller's umask, and the
// umask reads back unchanged.

void strict_umask(Layout layout, const std::string& umask_value)
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

void umask_077(Layout l)
{
    strict_umask(l, "077");
}
void umask_027(Layout l)
{
    strict_umask(l, "027");
}

// ---- a real stack loads the module ---------------------------------------------------------

void real_stack_loads(Layout layout)
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

// ---- pure cgroup2 with the stock line: a usable delegated subtree --------------------------
// pam_cgfs(8) BEHAVIOUR PER LAYOUT (Unified) and Delegation: PAM_SUCCESS only with a subtree that
// alice can really use.

// `selected`: the controllers `args` selects (pam_cgfs(8) BEHAVIOUR PER LAYOUT; only those are
// enabled down the tree).
void pure_v2_delegation(const std::string& args, const std::set<std::string>& selected)
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

// ---- hybrid: cgroup2 only when unified is listed -------------------------------------------
// pam_cgfs(8) BEHAVIOUR PER LAYOUT (Hybrid): without unified nothing under the cgroup2 mount is
// created or chowned; with it, the scope gets exactly the delegation files.

const std::string kScope2 = "/user.slice/user-1000.slice/session-2.scope";

void hybrid_without_unified(Layout layout)
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

void hybrid_with_unified(Layout layout)
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

// ---- controller selection: every listed one, a hierarchy once, bad lists loudly ------------
// pam_cgfs(8) OPTIONS (-c) and BEHAVIOUR PER LAYOUT (Legacy).

void selects_all(const std::string& args)
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
void mounted_twice()
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

void selects_cpu(const std::vector<std::string>& controllers)
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

void all_mixed_refused()
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

void unmounted_blkio()
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

// ---- v1 cpusets are never empty ------------------------------------------------------------
// pam_cgfs(8) Controllers (cgroup v1 cpuset); cgroup-v1 cpusets.rst.

void cpusets_never_empty()
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
void stale_empty_cpuset()
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

// ---- hosts without systemd: name=systemd is a hierarchy like the others --------------------
// pam_cgfs(8) BEHAVIOUR PER LAYOUT (Legacy).

void name_systemd_without_systemd()
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

void consolekit_left_alone()
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

// ---- success means the process is really there ---------------------------------------------
// pam_cgfs(8) RETURN VALUES: PAM_SUCCESS means the process sits in its delegated cgroups; a
// caller that is not root gets PAM_SESSION_ERR with nothing created; /proc/cgroups is never read
// (BEHAVIOUR PER LAYOUT).

void unprivileged_caller(Layout layout)
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
void no_proc_cgroups(Layout layout)
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

CGFS_LAYOUT_TEST("systemd user manager: user@1000.service gets no session", "[user-manager]", user_manager, v1)
CGFS_LAYOUT_TEST("systemd user manager: user@1000.service gets no session", "[user-manager]", user_manager, hybrid)
CGFS_LAYOUT_TEST("logind scope: alice's own scope kept in place (sshd)", "[logind-scope]", own_session_scope, v1)
CGFS_LAYOUT_TEST("logind scope: alice's own scope kept in place (sshd)", "[logind-scope]", own_session_scope, hybrid)
CGFS_LAYOUT_TEST("logind scope: bob's scope is foreign to alice", "[logind-scope]", foreign_session_scope, v1)
CGFS_LAYOUT_TEST("logind scope: bob's scope is foreign to alice", "[logind-scope]", foreign_session_scope, hybrid)
CGFS_LAYOUT_TEST("logind scope: a look-alike slice below BASE is foreign", "[logind-scope]", lookalike_slice, v1)

CGFS_LAYOUT_TEST("strict umask: 077 leaves a usable tree", "[umask]", umask_077, v1)
CGFS_LAYOUT_TEST("strict umask: 027 leaves a usable tree", "[umask]", umask_027, v1)
CGFS_LAYOUT_TEST("strict umask: 077 leaves a usable tree, -c unified", "[umask]", umask_077, hybrid)
CGFS_LAYOUT_TEST("strict umask: 027 leaves a usable tree, -c unified", "[umask]", umask_027, hybrid)

CGFS_ALL_LAYOUTS("module load: a real stack loads the module", "[module-load]", real_stack_loads)

TEST_CASE("pure v2: the stock line delegates a usable subtree", "[v2][v2-delegation]")
{
    pure_v2_delegation("-c freezer,memory,name=systemd", {"memory"});
}
TEST_CASE("pure v2: -c all delegates a usable subtree", "[v2][v2-delegation]")
{
    pure_v2_delegation("-c all", {"memory", "pids"});
}

CGFS_LAYOUT_TEST("hybrid: without unified, cgroup2 is left alone", "[hybrid-cgroup2]", hybrid_without_unified, hybrid)
CGFS_LAYOUT_TEST("hybrid: with unified, the scope is delegated", "[hybrid-cgroup2]", hybrid_with_unified, hybrid)

TEST_CASE("controller selection: -c all delegates every mounted hierarchy", "[v1][controller-selection]")
{
    selects_all("-c all");
}
TEST_CASE("controller selection: no -c means all", "[v1][controller-selection]")
{
    selects_all("");
}
TEST_CASE("controller selection: a hierarchy mounted twice is handled once", "[v1][controller-selection]")
{
    mounted_twice();
}
TEST_CASE("controller selection: -c cpu selects the cpu hierarchy only", "[v1][controller-selection]")
{
    selects_cpu({"cpu"});
}
TEST_CASE("controller selection: -c cpu,cpuacct selects each hierarchy holding them once", "[v1][controller-selection]")
{
    selects_cpu({"cpu", "cpuacct"});
}
TEST_CASE("controller selection: -c all,memory is refused loudly", "[v1][controller-selection]")
{
    all_mixed_refused();
}
TEST_CASE("controller selection: an unmounted controller is a notice", "[v1][controller-selection]")
{
    unmounted_blkio();
}

TEST_CASE("v1 cpuset: cpusets are never empty", "[v1][cpuset]")
{
    cpusets_never_empty();
}
TEST_CASE("v1 cpuset: a stale leaf with empty cpus is repaired or refused", "[v1][cpuset]")
{
    stale_empty_cpuset();
}

TEST_CASE("host without systemd: name=systemd is a hierarchy like the others", "[v1][no-systemd]")
{
    name_systemd_without_systemd();
}
TEST_CASE("host without systemd: a root-owned ConsoleKit cgroup is left for a new tree", "[v1][no-systemd]")
{
    consolekit_left_alone();
}

CGFS_ALL_LAYOUTS("unprivileged caller: PAM_SESSION_ERR, nothing created", "[unprivileged]", unprivileged_caller)
CGFS_ALL_LAYOUTS("no /proc/cgroups: it does not matter", "[proc-cgroups]", no_proc_cgroups)
