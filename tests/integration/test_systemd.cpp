// systemd shapes (pam_cgfs(8) "systemd session scopes", "The systemd user manager"): the caller
// in a fake user.slice/user-1000.slice/session-4.scope made the way logind makes it, with and
// without systemd's delegation mark (trusted.delegate, set by systemd on a Delegate=yes unit),
// another process of the PAM application in the scope, and the user manager's own session.
#include "expect.hpp"
#include "layouts.hpp"
#include "util.hpp"

#include "session.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <set>

#include <syslog.h>
#include <unistd.h>

using namespace cgfs_test;

namespace {

const std::string kSlice = "/user.slice/user-1000.slice";
const std::string kScope = kSlice + "/session-4.scope";
const std::string kLeaf = kScope + "/" + cgfs::kSessionLeaf;
const std::string kManager = kSlice + "/user@1000.service";

// What the module line selects per layout: Debian's line, plus unified on hybrid (cgroup2 is
// the one systemd tracks processes in there).
std::string stock_args(Layout layout)
{
    return layout == Layout::hybrid ? "debug -c freezer,memory,name=systemd,unified"
                                    : "debug -c freezer,memory,name=systemd";
}

// PID 1 in init.scope (BASE stays /), the controllers the container's cgroup2 root offers
// passed down to the user slice, as systemd does for a Delegate=yes unit below it.
void systemd_like_tree(Container& c)
{
    if (c.has("name=systemd"))
        c.move(1, "name=systemd:/init.scope");
    if (!c.has("unified"))
        return;
    // Every process of the container's root, not only PID 1: a root that holds processes refuses
    // controllers in its cgroup.subtree_control (cgroup-v2.rst "No Internal Process Constraint";
    // only the real root is exempt, and this root is a scratch cgroup on the host).
    c.move(1, "unified:/init.scope");
    for (const auto& pid : split_lines(read_file(c.path("unified:/") + "/cgroup.procs"))) {
        const int err = pid.empty() ? 0 : write_kernel_file(c.path("unified:/init.scope") + "/cgroup.procs", pid);
        if (err != 0 && err != ESRCH) // ESRCH: it exited meanwhile
            throw std::runtime_error("systemd_like_tree: moving " + pid + " into init.scope: " + std::strerror(err));
    }
    c.mkdir("unified:" + kScope);
    const std::string offered = read_file(c.path("unified:/") + "/cgroup.controllers");
    for (const auto& controller : split(offered.substr(0, offered.find('\n')), ' ')) {
        if (controller.empty())
            continue;
        for (const std::string& cg : std::vector<std::string>{"/", "/user.slice", kSlice})
            c.write("unified:" + (cg == "/" ? std::string() : cg) + "/cgroup.subtree_control", "+" + controller);
    }
}

// A process of the PAM application besides the caller, in `spec`; its pid.
pid_t start_other(Container& c, const std::string& spec)
{
    c.sh("sleep 600 </dev/null >/dev/null 2>&1 & echo $! > /tmp/other.pid");
    const pid_t pid = std::stoi(read_file("/tmp/other.pid"));
    c.move(pid, spec);
    return pid;
}

void record_other(Container& c, const std::string& label, pid_t pid)
{
    std::string text = "@@driver " + label + "\n";
    for (const auto& line : split_lines(read_file("/proc/" + std::to_string(pid) + "/cgroup")))
        text += "cgroup=" + line + "\n";
    c.emit(text);
}

std::vector<std::string> alice_in(const std::string& service, const std::vector<std::string>& specs,
                                  const std::vector<std::string>& more = {})
{
    std::vector<std::string> args = {"--service", service, "--user", "alice"};
    for (const auto& s : specs) {
        args.push_back("--in");
        args.push_back(s);
    }
    args.insert(args.end(), more.begin(), more.end());
    return args;
}

// One login of alice as driver "main" with ARGS, and snapshots "before", "open" (then
// `while_open`) and "closed" around it.
void login_with_snapshots(Container& c, const std::vector<std::string>& args,
                          const std::function<void()>& while_open = {})
{
    c.snapshot("before");
    Driver d = c.start("main", args);
    d.wait_held();
    c.snapshot("open");
    if (while_open)
        while_open();
    d.finish();
    c.snapshot("closed");
}

// The hierarchies systemd tracks processes in: cgroup2, and on v1 and hybrid name=systemd.
std::vector<std::string> scope_specs(Layout layout, const std::string& cgroup)
{
    std::vector<std::string> specs;
    if (layout != Layout::v1)
        specs.push_back("unified:" + cgroup);
    if (layout != Layout::v2)
        specs.push_back("name=systemd:" + cgroup);
    return specs;
}

std::string all_of(const std::vector<std::string>& lines)
{
    std::string text;
    for (const auto& line : lines)
        text += "\n  " + line;
    return text;
}

// The module's syslog messages at `priority`, without pam_syslog's "pam_cgfs(SERVICE:session): ".
std::vector<std::string> messages(const Report& r, int priority)
{
    std::vector<std::string> out;
    for (const auto& line : r.log(priority)) {
        const std::size_t at = line.find("): ");
        out.push_back(at == std::string::npos ? line : line.substr(at + 3));
    }
    return out;
}

// Those that contain `needle`.
std::vector<std::string> lines_with(const Report& r, int priority, const std::string& needle)
{
    std::vector<std::string> out;
    for (const auto& line : messages(r, priority))
        if (line.find(needle) != std::string::npos)
            out.push_back(line);
    return out;
}

// The controllers `cgroup` offers, as the snapshot recorded them.
std::string offered_in(const Snapshot& s, const std::string& cgroup)
{
    return knob(s, cgroup, "cgroup.controllers");
}

// The scope delegated by systemd: both processes move into init.scope, the scope passes on what
// it offers, scope and leaf are alice's (directory and delegate files only); close leaves it all
// to systemd.
void delegated_scope(Layout layout)
{
    pid_t other = 0;
    auto r = run_scenario(layout, [&](Container& c) {
        systemd_like_tree(c);
        c.set_xattr("unified:" + kScope, "trusted.delegate", "1");
        if (layout == Layout::hybrid)
            c.mkdir("name=systemd:" + kScope);
        other = start_other(c, "unified:" + kScope);
        c.service("sshd", stock_args(layout));
        login_with_snapshots(c, alice_in("sshd", scope_specs(layout, kScope), {"--act-as-user"}),
                             [&] { record_other(c, "other-open", other); });
        record_other(c, "other-closed", other);
    });
    check_ran(r);
    INFO(r.describe());
    const auto& d = r.driver("main");
    REQUIRE(d.code("open") == kPamSuccess);
    check_proc_in(d, "cgroup", "unified", kLeaf);
    check_proc_in(r.driver("other-open"), "cgroup", "unified", kLeaf);
    const auto& s = r.snap("open");
    // Every controller the scope offers is enabled in it (this host's cgroup2 offers none to a
    // container: then the write-back is empty too; the VM lane's v2 boot offers cpu io memory pids).
    CHECK(knob(s, kScope, "cgroup.subtree_control") == offered_in(s, kScope));
    CHECK(offered_in(s, kLeaf) == offered_in(s, kScope));
    // alice's: the scope and its leaf (directory and the kernel's delegate files), and c1 that
    // she made beside the leaf; nothing else changed owner.
    const std::string ug = "1000:1000";
    CHECK(s.dirs.at("unified:" + kScope) == ug + " 0755");
    CHECK(s.dirs.at("unified:" + kLeaf) == ug + " 0755");
    std::set<std::string> want;
    for (const auto& f : v2_delegate_files())
        for (const auto& cg : {kScope, kLeaf})
            if (s.files.count("unified:" + cg + "/" + f) != 0)
                want.insert(cg + "/" + f + " " + ug);
    std::set<std::string> got;
    for (const auto& f : s.non_root_files("unified"))
        if (!starts_with(f, kScope + "/c1"))
            got.insert(f);
    CHECK(got == want);
    CHECK(s.dir_paths("unified").count("/user") == 0);
    // alice, from her login in init.scope, builds a container-like cgroup beside it, enters it
    // and enables there what the scope passes on (pam_driver --act-as-user acts in the parent of
    // a trailing init.scope, as lxc-start does).
    CHECK(d.value("act.unified.mkdir") == "ok");
    CHECK(d.value("act.unified.enter") == "ok");
    check_proc_in(d, "act.cgroup", "unified", kScope + "/c1");
    CHECK(knob(s, kScope + "/c1", "cgroup.controllers") == offered_in(s, kScope));
    if (layout == Layout::hybrid) {
        check_in_place(s, "name=systemd", kScope, kAliceUid, {kScope + "/c1"});
        check_proc_in(d, "cgroup", "name=systemd", kScope);
        for (const std::string key : {"freezer", "memory"}) {
            check_sessions(s, key, "alice", kAliceUid, {0}, {"/user/alice/0/c1"});
            check_proc_in(d, "cgroup", key, "/user/alice/0");
        }
    }
    // Close moves nothing out of the scope and removes nothing of it: systemd removes the scope
    // with its leaf when the session ends.
    check_proc_in(d, "cgroup_after_close", "unified", kLeaf);
    check_proc_in(r.driver("other-closed"), "cgroup", "unified", kLeaf);
    CHECK(r.snap("closed").dirs.at("unified:" + kLeaf) == ug + " 0755");
    check_log(r, LOG_ERR, 0);
    // (On v2 this host's cgroup2 offers no memory: the stock line's memory is a notice of its own.)
    CHECK(lines_with(r, LOG_NOTICE, kScope).empty());
    const auto debug = messages(r, LOG_DEBUG);
    const std::string opened = "unified: " + kScope + ": session scope delegated by systemd: 2 processes moved into " +
                               cgfs::kSessionLeaf + ", controllers ";
    const std::string closed = "unified: " + kLeaf + ": left to systemd, which removes the session scope at logout";
    INFO("debug lines:" << all_of(debug));
    CHECK(std::count_if(debug.begin(), debug.end(), [&](const std::string& l) { return l.find(opened) == 0; }) == 1);
    CHECK(std::count(debug.begin(), debug.end(), closed) == 1);
}

// No Delegate=yes (the drop-in is missing): today's in-place delegation, nothing moved or made,
// and one notice saying what containers lose and how to fix it.
void undelegated_scope(Layout layout, bool user_mark)
{
    pid_t other = 0;
    auto r = run_scenario(layout, [&](Container& c) {
        systemd_like_tree(c);
        // user.delegate alone is what the owner of a scope delegated in place could set herself.
        if (user_mark)
            c.set_xattr("unified:" + kScope, "user.delegate", "1");
        if (layout == Layout::hybrid)
            c.mkdir("name=systemd:" + kScope);
        other = start_other(c, "unified:" + kScope);
        c.service("sshd", stock_args(layout));
        login_with_snapshots(c, alice_in("sshd", scope_specs(layout, kScope)),
                             [&] { record_other(c, "other-open", other); });
    });
    check_ran(r);
    INFO(r.describe());
    const auto& d = r.driver("main");
    REQUIRE(d.code("open") == kPamSuccess);
    check_proc_in(d, "cgroup", "unified", kScope);
    check_proc_in(r.driver("other-open"), "cgroup", "unified", kScope);
    const auto& s = r.snap("open");
    check_in_place(s, "unified", kScope, kAliceUid);
    CHECK(s.dir_paths("unified").count(kLeaf) == 0);
    CHECK(knob(s, kScope, "cgroup.subtree_control") == "");
    check_proc_in(d, "cgroup_after_close", "unified", kScope);
    check_log(r, LOG_ERR, 0);
    CHECK(lines_with(r, LOG_NOTICE, kScope) ==
          std::vector<std::string>{"unified: " + kScope +
                                   ": session scope not delegated by systemd (no Delegate=yes), so containers "
                                   "started in it get no controllers; install the session-.scope.d drop-in "
                                   "(pam_cgfs(8), systemd session scopes)"});
}

void undelegated(Layout l)
{
    undelegated_scope(l, false);
}
void user_marked(Layout l)
{
    undelegated_scope(l, true);
}

// A failed open (alice's freezer directory is bob's) moves nothing out of the delegated scope
// and leaves no init.scope: the scope is entered last, after every other hierarchy is done.
void failed_open_leaves_scope(Layout layout)
{
    pid_t other = 0;
    auto r = run_scenario(layout, [&](Container& c) {
        systemd_like_tree(c);
        c.set_xattr("unified:" + kScope, "trusted.delegate", "1");
        c.mkdir("name=systemd:" + kScope);
        c.mkdir("freezer:/user/alice", kBobUid, kBobUid);
        other = start_other(c, "unified:" + kScope);
        c.service("sshd", stock_args(layout));
        c.snapshot("before");
        c.run("main", alice_in("sshd", scope_specs(layout, kScope), {"--no-close"}));
        c.snapshot("after");
        record_other(c, "other", other);
    });
    check_ran(r);
    INFO(r.describe());
    const auto& d = r.driver("main");
    CHECK(d.code("open") == kPamSessionErr);
    check_proc_in(d, "cgroup", "unified", kScope);
    check_proc_in(r.driver("other"), "cgroup", "unified", kScope);
    CHECK(r.snap("after").dir_paths("unified") == r.snap("before").dir_paths("unified"));
    CHECK(knob(r.snap("after"), kScope, "cgroup.subtree_control") == "");
    check_log(r, LOG_ERR, 1, {"'alice'", "/user/alice: owned by uid 1001"});
}

// `su - alice` (or a second module line) from her shell, already in the scope's init.scope:
// nothing is moved or made again.
void login_from_the_leaf(Layout layout)
{
    auto r = run_scenario(layout, [&](Container& c) {
        systemd_like_tree(c);
        c.set_xattr("unified:" + kScope, "trusted.delegate", "1");
        c.mkdir("unified:" + kLeaf, kAliceUid, kAliceUid);
        if (layout == Layout::hybrid)
            c.mkdir("name=systemd:" + kScope, kAliceUid, kAliceUid);
        c.service("su", stock_args(layout));
        login_with_snapshots(c, alice_in("su", scope_specs(layout, kLeaf)));
    });
    check_ran(r);
    INFO(r.describe());
    const auto& d = r.driver("main");
    REQUIRE(d.code("open") == kPamSuccess);
    check_proc_in(d, "cgroup", "unified", kLeaf);
    CHECK(r.snap("open").dir_paths("unified") == r.snap("before").dir_paths("unified"));
    CHECK(knob(r.snap("open"), kScope, "cgroup.subtree_control") ==
          knob(r.snap("before"), kScope, "cgroup.subtree_control"));
    check_proc_in(d, "cgroup_after_close", "unified", kLeaf);
    check_log(r, LOG_ERR, 0);
    CHECK(lines_with(r, LOG_NOTICE, kScope).empty());
}

// The user manager (user@1000.service, PAM service systemd-user): no session at open, nothing
// at close, which runs unprivileged in (sd-pam); no index is held.
void user_manager(Layout layout, const std::string& service, bool by_service)
{
    auto r = run_scenario(layout, [&](Container& c) {
        systemd_like_tree(c);
        if (layout != Layout::v1) {
            c.mkdir("unified:" + kManager);
            c.set_xattr("unified:" + kManager, "trusted.delegate", "1");
        }
        if (layout != Layout::v2)
            c.mkdir("name=systemd:" + kManager);
        c.service(service, stock_args(layout));
        login_with_snapshots(c, alice_in(service, scope_specs(layout, kManager), {"--close-caller-uid", "1000"}));
    });
    check_ran(r);
    INFO(r.describe());
    const auto& d = r.driver("main");
    REQUIRE(d.code("open") == kPamSuccess);
    CHECK(d.code("close") == kPamSuccess);
    check_unchanged(r.snap("before"), r.snap("open"));
    check_unchanged(r.snap("before"), r.snap("closed"));
    for (const auto& spec : scope_specs(layout, kManager))
        check_proc_in(d, "cgroup", spec.substr(0, spec.find(':')), kManager);
    check_log(r, LOG_ERR, 0);
    const auto debug = messages(r, LOG_DEBUG);
    INFO("debug lines:" << all_of(debug));
    CHECK(std::count(debug.begin(), debug.end(),
                     "user 'alice': systemd user manager (service " + service +
                         "): no session, its cgroup is delegated by systemd") == 1);
    // The close of the real user manager knows its service; a close under another name finds no
    // session of alice's holding the caller.
    CHECK(std::count(debug.begin(), debug.end(), "close: systemd user manager: no session to close") ==
          (by_service ? 1 : 0));
}

void user_manager_by_service(Layout l)
{
    user_manager(l, "systemd-user", true);
}
void user_manager_by_cgroup(Layout l)
{
    user_manager(l, "login", false);
}

// A root program (su) run from one of alice's user services, below user@1000.service: not the
// manager itself, so alice gets her session as from any cgroup of her own slice.
void below_user_manager(Layout layout)
{
    const std::string service_cg = kManager + "/app.slice/term.service";
    auto r = run_scenario(layout, [&](Container& c) {
        systemd_like_tree(c);
        c.mkdir("unified:" + service_cg, kAliceUid, kAliceUid);
        if (layout == Layout::hybrid)
            c.mkdir("name=systemd:" + service_cg, kAliceUid, kAliceUid);
        c.service("su", stock_args(layout));
        login_with_snapshots(c, alice_in("su", scope_specs(layout, service_cg)));
    });
    check_ran(r);
    INFO(r.describe());
    const auto& d = r.driver("main");
    REQUIRE(d.code("open") == kPamSuccess);
    check_proc_in(d, "cgroup", "unified", service_cg);
    check_in_place(r.snap("open"), "unified", service_cg, kAliceUid);
    if (layout == Layout::hybrid) {
        check_sessions(r.snap("open"), "freezer", "alice", kAliceUid, {0});
        check_proc_in(d, "cgroup", "freezer", "/user/alice/0");
        check_no_session(r.snap("closed"), "freezer", "alice", true);
    }
    check_log(r, LOG_ERR, 0);
    check_log(r, LOG_NOTICE, 0);
}

} // namespace

CGFS_LAYOUT_TEST("systemd: a delegated session scope: every process into init.scope, controllers, close leaves it",
                 "[systemd]", delegated_scope, v2)
CGFS_LAYOUT_TEST("systemd: a delegated session scope: every process into init.scope, controllers, close leaves it",
                 "[systemd]", delegated_scope, hybrid)
CGFS_LAYOUT_TEST("systemd: a scope without Delegate=yes is delegated in place, with one notice", "[systemd]",
                 undelegated, v2)
CGFS_LAYOUT_TEST("systemd: a scope without Delegate=yes is delegated in place, with one notice", "[systemd]",
                 undelegated, hybrid)
CGFS_LAYOUT_TEST("systemd: user.delegate alone, which the scope's owner can set, is not systemd's mark", "[systemd]",
                 user_marked, v2)
CGFS_LAYOUT_TEST("systemd: a failed open moves nothing out of a delegated scope", "[systemd]", failed_open_leaves_scope,
                 hybrid)
CGFS_LAYOUT_TEST("systemd: a login from the scope's init.scope changes nothing", "[systemd]", login_from_the_leaf, v2)
CGFS_LAYOUT_TEST("systemd: the user manager (service systemd-user) gets no session", "[systemd]",
                 user_manager_by_service, v2)
CGFS_LAYOUT_TEST("systemd: the user manager (service systemd-user) gets no session", "[systemd]",
                 user_manager_by_service, hybrid)
CGFS_LAYOUT_TEST("systemd: the user manager (service systemd-user) gets no session", "[systemd]",
                 user_manager_by_service, v1)
CGFS_LAYOUT_TEST("systemd: a caller in its own user@.service gets no session", "[systemd]", user_manager_by_cgroup,
                 hybrid)
CGFS_LAYOUT_TEST("systemd: su from a user service below user@.service gets a session", "[systemd]", below_user_manager,
                 hybrid)
