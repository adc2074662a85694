// cgfsctl(8) in throwaway containers: check on a ready host and on broken ones (no cgroup
// mounts, missing subordinate ids, the module line missing from one stack), status with a live,
// a stale and a nested session, reap and its dry run, argument errors, names that try to drive the
// administrator's terminal, --help and --version. Exact lines, exit codes.
#include "expect.hpp"
#include "layouts.hpp"
#include "util.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <string>
#include <vector>

using namespace cgfs_test;

namespace {

using Lines = std::vector<std::string>;

const std::string kDebianLine = "session optional " + std::string("pam_cgfs.so") + " -c freezer,memory,name=systemd\n";

std::string ctl_path()
{
    const char* p = std::getenv("CGFS_CTL");
    return p != nullptr ? p : "";
}

// Runs `cgfsctl ARGS` in the container (optionally after moving the shell into alice's session
// 0 in `join`) and records stdout, stderr (prefixed "err: ") and "exit=N" under `label`.
void ctl(Container& c, const std::string& label, const std::string& args, const Lines& join = {})
{
    std::string moves;
    for (const auto& key : join)
        moves += "echo $$ > " + c.path(key + ":/user/alice/0") + "/cgroup.procs; ";
    c.sh("rc=0; " + moves + ctl_path() + " " + args + " >/tmp/ctl.out 2>/tmp/ctl.err || rc=$?; echo $rc >/tmp/ctl.rc");
    std::string text = "@@driver " + label + "\n" + read_file("/tmp/ctl.out");
    for (const auto& line : split_lines(read_file("/tmp/ctl.err")))
        if (!line.empty())
            text += "err: " + line + "\n";
    text += "exit=" + read_file("/tmp/ctl.rc");
    c.emit(text);
}

void write_etc(Container& c, const std::string& path, const std::string& text)
{
    c.sh("mkdir -p $(dirname " + path + ") && printf '%s' '" + text + "' > " + path);
}

void ready_stacks(Container& c)
{
    write_etc(c, "/etc/pam.d/common-session", "session required pam_unix.so\n" + kDebianLine);
    write_etc(c, "/etc/pam.d/common-session-noninteractive", "session required pam_unix.so\n" + kDebianLine);
}

// Every expected line appears in the output, exactly.
void check_has(const DriverOutput& d, const Lines& expected)
{
    for (const auto& line : expected) {
        INFO("expected line: " << line);
        CHECK(std::find(d.lines.begin(), d.lines.end(), line) != d.lines.end());
    }
}

// `expected` appears as consecutive lines.
void check_block(const DriverOutput& d, const Lines& expected)
{
    auto at = std::search(d.lines.begin(), d.lines.end(), expected.begin(), expected.end());
    INFO("expected block starting with: " << expected.front());
    CHECK(at != d.lines.end());
}

// The JSON a command printed (every line but the final exit=N).
nlohmann::json json_of(const DriverOutput& d)
{
    std::string text;
    for (const auto& line : d.lines)
        if (line.rfind("exit=", 0) != 0)
            text += line + "\n";
    return nlohmann::json::parse(text);
}

Lines hierarchy_lines(Layout layout)
{
    Lines out;
    for (const auto& key : layout_keys(layout))
        out.push_back(key);
    return out;
}

void check_ready(Layout layout)
{
    auto r = run_scenario(layout, [&](Container& c) {
        ready_stacks(c);
        write_etc(c, "/etc/subuid", "alice:100000:131072\n");
        // libsubid sums the lines owned by the name and by the numeric uid.
        write_etc(c, "/etc/subgid", "alice:100000:131072\n1000:300000:65536\n");
        write_etc(c, "/etc/security/cgfs.conf", "alice pids.max 100\n* memory.max 1G\n");
        c.service("cgfs-test", "-c freezer,memory,name=systemd");
        Driver d = c.start("a", alice());
        d.wait_held();
        ctl(c, "check", "check alice", {"freezer", "memory", "name=systemd"});
        ctl(c, "check-json", "check alice --json", {"freezer", "memory", "name=systemd"});
        d.finish();
    });
    check_ran(r);
    INFO(r.describe());
    const auto& d = r.driver("check");
    check_has(
        d,
        {
            "OK   layout: hybrid",
            "OK   pam: /etc/pam.d/common-session: pam_cgfs.so -c freezer,memory,name=systemd selects memory, freezer, "
            "name=systemd",
            "OK   pam: /etc/pam.d/common-session-noninteractive: pam_cgfs.so -c freezer,memory,name=systemd selects "
            "memory, freezer, name=systemd",
            "OK   idmap: /usr/bin/newuidmap: setuid root",
            "OK   idmap: /usr/bin/newgidmap: setuid root",
            "OK   subids: /etc/subuid: alice has 131072 subordinate uids: a container with 1 level of nesting",
            "OK   subids: /etc/subgid: alice has 196608 subordinate gids: a container with 2 levels of nesting",
            "OK   session: freezer: /user/alice/0 is delegated to alice",
            "OK   session: memory: /user/alice/0 is delegated to alice",
            "OK   session: name=systemd: /user/alice/0 is delegated to alice",
            "OK   limits: /etc/security/cgfs.conf: alice: pids.max 100 (line 1)",
            "OK   limits: /etc/security/cgfs.conf: alice: memory.max 1073741824 (line 2)",
        });
    // layout, one line per hierarchy, 2 pam, delegate, userns, 2 idmap, 2 subids, 3 session, 2 limits
    const std::size_t oks = 1 + hierarchy_lines(Layout::hybrid).size() + 2 + 1 + 1 + 2 + 2 + 3 + 2;
    CHECK(d.lines.size() == oks + 2);
    CHECK(d.lines[d.lines.size() - 2] == "check: " + std::to_string(oks) + " OK, 0 WARN, 0 FAIL");
    CHECK(d.lines.back() == "exit=0");
    const auto& j = r.driver("check-json");
    CHECK(j.lines.back() == "exit=0");
    const auto checked = json_of(j);
    CHECK(checked.at("user") == "alice");
    CHECK(checked.at("worst") == "OK");
    CHECK(checked.at("findings").size() == oks);
    CHECK(checked.at("findings").at(0) == nlohmann::json{{"level", "OK"}, {"check", "layout"}, {"message", "hybrid"}});
}

void check_broken(Layout layout)
{
    auto r = run_scenario(layout, [&](Container& c) {
        // The module line only in common-session; 65536 uids (no nesting); no gids for alice.
        write_etc(c, "/etc/pam.d/common-session", kDebianLine);
        write_etc(c, "/etc/pam.d/common-session-noninteractive", "session required pam_unix.so\n");
        write_etc(c, "/etc/subuid", "alice:100000:65536\n");
        write_etc(c, "/etc/subgid", "bob:100000:65536\n");
        write_etc(c, "/etc/security/cgfs.conf", "alice pids.max lots\n");
        ctl(c, "check", "check alice");
        // No cgroup file system at all, no stacks, no subuid file.
        c.sh("umount -l /sys/fs/cgroup; rm -f /etc/pam.d/common-session /etc/subuid");
        ctl(c, "bare", "check alice");
        ctl(c, "bare-status", "status");
        ctl(c, "bare-reap", "reap");
        ctl(c, "nobody", "check nosuchuser");
    });
    check_ran(r);
    INFO(r.describe());
    check_has(
        r.driver("check"),
        {
            "OK   pam: /etc/pam.d/common-session: pam_cgfs.so -c freezer,memory,name=systemd selects memory, freezer, "
            "name=systemd",
            "FAIL pam: /etc/pam.d/common-session-noninteractive: no pam_cgfs.so session line",
            "     fix: pam-auth-update --enable cgfs",
            "WARN subids: /etc/subuid: alice has 65536 subordinate uids: one container, no nesting (one level needs "
            "131072)",
            "FAIL subids: /etc/subgid: alice has 0 subordinate gids; an unprivileged container needs 65536",
            "     fix: usermod --add-subgids FIRST-LAST alice (131072 ids for one level of nesting)",
            "WARN session: freezer: this session sits in /, which alice cannot write",
            "     fix: this check runs as uid 0, not in a login of alice: run it from her login (sudo cgfsctl check) "
            "to check her session",
            "WARN limits: /etc/security/cgfs.conf: line 1: 'lots' is not a valid value for pids.max; skipped",
            "OK   limits: /etc/security/cgfs.conf: none for alice",
            "exit=2",
        });
    const auto& bare = r.driver("bare");
    CHECK(bare.lines.at(0) == "FAIL layout: no cgroup file system is mounted");
    CHECK(bare.lines.at(1) == "     fix: mount cgroup2 on /sys/fs/cgroup (systemd does this at boot)");
    check_has(bare,
              {
                  "FAIL pam: /etc/pam.d/common-session: read /etc/pam.d/common-session: No such file or directory",
                  "FAIL subids: /etc/subuid: libsubid could not read the subuid database: No such file or directory",
                  "exit=2",
              });
    // Without hierarchies there is no session line.
    for (const auto& line : bare.lines)
        CHECK(line.rfind("OK   session", 0) != 0);
    CHECK(r.driver("bare-status").lines == Lines{"layout: none", "no cgroup hierarchy is mounted", "exit=0"});
    CHECK(r.driver("bare-reap").lines == Lines{"removed 0 stale session cgroups, kept 0", "exit=0"});
    CHECK(r.driver("nobody").lines.back() == "exit=2");
    check_has(r.driver("nobody"), {"FAIL user: no user 'nosuchuser' in the user database",
                                   "     fix: name an existing user: cgfsctl check USER"});
}

// pam_cgfs(8) "systemd session scopes": on a host booted with systemd (the container's private
// /run says so, as sd_booted(3) reads it), check says whether logind's session scopes are
// Delegate=yes, from the drop-in and from the mark on the scope this check runs in.
void check_systemd_scope(Layout layout)
{
    const std::string scope = "/user.slice/user-1000.slice/session-4.scope";
    const std::string dropin = "/etc/systemd/system/session-.scope.d/50-cgfs-delegate.conf";
    auto r = run_scenario(layout, [&](Container& c) {
        ready_stacks(c);
        c.sh("mkdir -p /run/systemd/system");
        c.move(1, "unified:/init.scope");
        c.mkdir("unified:" + scope + "/init.scope");
        const std::string run = "rc=0; echo $$ > " + c.path("unified:" + scope + "/init.scope") + "/cgroup.procs; " +
                                ctl_path() +
                                " check alice >/tmp/ctl.out 2>/tmp/ctl.err || rc=$?; echo $rc >/tmp/ctl.rc";
        const auto record = [&](const std::string& label) {
            c.emit("@@driver " + label + "\n" + read_file("/tmp/ctl.out") + "exit=" + read_file("/tmp/ctl.rc"));
        };
        c.sh(run);
        record("without");
        // systemd.syntax(7): a comment, and white space around "=".
        write_etc(c, dropin, "# cgfs\n[Scope]\nDelegate = yes\n");
        c.set_xattr("unified:" + scope, "trusted.delegate", "1");
        c.sh(run);
        record("with");
        write_etc(c, "/etc/systemd/system/session-.scope.d/60-local.conf", "[Scope]\nDelegate=no\n");
        c.sh(run);
        record("overridden");
        // A Delegate= outside [Scope] is no setting of a scope unit (systemd.scope(5)).
        write_etc(c, "/etc/systemd/system/session-.scope.d/60-local.conf", "[Service]\nDelegate=no\n");
        c.sh(run);
        record("other-section");
    });
    check_ran(r);
    INFO(r.describe());
    const std::string fix = "     fix: install session-.scope.d/50-cgfs-delegate.conf ([Scope] Delegate=yes, shipped "
                            "with cgfs) in /etc/systemd/system, run systemctl daemon-reload, log in again";
    check_block(r.driver("without"),
                {"WARN systemd: no session-.scope.d drop-in with Delegate=yes: logind's session scopes are not "
                 "delegated, so containers started from a login get no controllers on cgroup2",
                 fix,
                 "WARN systemd: unified: " + scope +
                     " is not delegated by systemd: containers started from this login get no controllers",
                 fix});
    check_block(r.driver("with"), {"OK   systemd: " + dropin + ": Delegate=yes for logind's session scopes",
                                   "OK   systemd: unified: " + scope +
                                       " is delegated by systemd: containers started from this login get controllers"});
    check_block(r.driver("overridden"),
                {"WARN systemd: /etc/systemd/system/session-.scope.d/60-local.conf: Delegate=no: logind's session "
                 "scopes are not delegated, so containers started from a login get no controllers on cgroup2",
                 fix});
    check_block(r.driver("other-section"), {"OK   systemd: " + dropin + ": Delegate=yes for logind's session scopes"});
    for (const auto& label : {"with", "other-section"})
        for (const auto& line : r.driver(label).lines) {
            INFO(label << ": " << line);
            CHECK(line.rfind("WARN systemd", 0) != 0);
        }
}

void status_and_reap(Layout layout)
{
    auto r = run_scenario(layout, [&](Container& c) {
        c.service("cgfs-test", "-c freezer");
        Driver a = c.start("a", alice());
        a.wait_held();
        c.run("b", alice({"--no-close"})); // session 1 stays behind, empty: stale
        c.mkdir("freezer:/user/alice/0/c1", kAliceUid, kAliceUid);
        ctl(c, "status", "status alice");
        ctl(c, "status-json", "status alice --json");
        ctl(c, "dry", "reap --dry-run");
        ctl(c, "reap", "reap alice");
        ctl(c, "after", "status alice");
        a.finish();
        ctl(c, "reap-last", "reap");
        c.snapshot("end");
        ctl(c, "args1", "frobnicate");
        ctl(c, "args2", "status --dry-run");
        ctl(c, "args3", "reap alice bob");
        ctl(c, "args4", "check ../etc");
    });
    check_ran(r);
    INFO(r.describe());
    check_block(r.driver("status"), {
                                        "freezer (cgroup v1) at /sys/fs/cgroup/freezer, BASE /",
                                        "/user",
                                        "└── alice [owner root]",
                                        "    ├── 0 [owner alice, 1 process]",
                                        "    │   └── c1",
                                        "    └── 1 [owner alice, 0 processes, stale]",
                                    });
    CHECK(r.driver("status").lines.front() == "layout: hybrid");
    CHECK(r.driver("status").lines.back() == "exit=0");
    CHECK(r.driver("status-json").lines.back() == "exit=0");
    nlohmann::json freezer;
    const nlohmann::json status = json_of(r.driver("status-json"));
    for (const auto& h : status.at("hierarchies"))
        if (h.at("hierarchy") == "freezer")
            freezer = h;
    REQUIRE(freezer.is_object());
    CHECK(freezer.at("version") == 1);
    CHECK(freezer.at("base") == "/");
    REQUIRE(freezer.at("users").size() == 1);
    const auto& user = freezer.at("users").at(0);
    CHECK(user.at("user") == "alice");
    CHECK(user.at("owner") == 0); // pam_cgfs(8): user/<name> stays root's
    CHECK(user.at("sessions") ==
          nlohmann::json::parse(R"([{"index":0,"cgroup":"/user/alice/0","owner":1000,"processes":1,"stale":false},
                                    {"index":1,"cgroup":"/user/alice/1","owner":1000,"processes":0,"stale":true}])"));
    CHECK(user.at("tree").at("children").at(0).at("children").at(0).at("name") == "c1");
    CHECK(r.driver("dry").lines == Lines{"would remove freezer:/user/alice/1",
                                         "kept freezer:/user/alice/0 (in use, or not removable)",
                                         "would remove 1 stale session cgroup, kept 1", "exit=0"});
    CHECK(r.driver("reap").lines == Lines{"removed freezer:/user/alice/1",
                                          "kept freezer:/user/alice/0 (in use, or not removable)",
                                          "removed 1 stale session cgroup, kept 1", "exit=0"});
    check_block(r.driver("after"), {"└── alice [owner root]", "    └── 0 [owner alice, 1 process]", "        └── c1"});
    // After a's close the module kept nothing else; c1 was the user's and session 0 went with
    // close (empty tree), so the last reap finds nothing.
    CHECK(r.driver("reap-last").lines == Lines{"removed 0 stale session cgroups, kept 0", "exit=0"});
    CHECK(r.snap("end").dir_paths("freezer") == std::set<std::string>{"/", "/user"});
    const std::string usage_tail = "usage: cgfsctl status [USER] [--json]";
    CHECK(r.driver("args1").lines.at(0) == "err: cgfsctl: unknown command 'frobnicate'");
    CHECK(r.driver("args1").lines.at(1) == "err: " + usage_tail);
    CHECK(r.driver("args1").lines.back() == "exit=64");
    CHECK(r.driver("args2").lines.at(0) == "err: cgfsctl: status: unknown option '--dry-run'");
    CHECK(r.driver("args2").lines.back() == "exit=64");
    CHECK(r.driver("args3").lines.at(0) == "err: cgfsctl: reap: more than one user given");
    CHECK(r.driver("args3").lines.back() == "exit=64");
    CHECK(r.driver("args4").lines.at(0) == "err: cgfsctl: check: user name contains '/': Invalid argument");
    CHECK(r.driver("args4").lines.back() == "exit=64");
}

// Names a user (or a container's root) chooses: a carriage return that would overwrite the line
// with a forged "stale" entry, cursor-up, a terminal title (OSC ... BEL), CSI as a raw 0x9b byte
// and as UTF-8 U+009B. Human output shows each escaped (pam_cgfs(8) LOGGING rules); --json keeps
// the names (invalid UTF-8 as U+FFFD) and prints only ASCII.
void hostile_names(Layout layout)
{
    const Lines names = {"fake\r\xe2\x94\x94\xe2\x94\x80\xe2\x94\x80 9 [owner alice, 0 processes, stale]", "\x1b[1Aup",
                         "\x1b]0;owned\x07",
                         "csi\x9b"
                         "2J",
                         "c1\xc2\x9b"
                         "2J"};
    const std::string stranger = "m\x9b"
                                 "2Jallory\r";
    auto r = run_scenario(layout, [&](Container& c) {
        c.service("cgfs-test", "-c freezer");
        Driver a = c.start("a", alice());
        a.wait_held();
        for (const auto& name : names)
            c.mkdir("freezer:/user/alice/0/" + name, kAliceUid, kAliceUid);
        // A user directory the module did not make (as a container's root could in its own
        // cgroup namespace), with a stale session in it.
        c.mkdir("freezer:/user/" + stranger + "/3", 0, 0);
        ctl(c, "status", "status");
        ctl(c, "status-json", "status --json");
        ctl(c, "dry", "reap --dry-run");
        ctl(c, "reap", "reap");
        a.finish();
    });
    check_ran(r);
    INFO(r.describe());
    const Lines tree = {
        "/user",
        "├── alice [owner root]",
        "│   └── 0 [owner alice, 1 process]",
        "│       ├── \\x1b[1Aup",
        "│       ├── \\x1b]0;owned\\x07",
        "│       ├── c1\\xc2\\x9b2J",
        "│       ├── csi\\x9b2J",
        "│       └── fake\\x0d└── 9 [owner alice, 0 processes, stale]",
        "└── m\\x9b2Jallory\\x0d [owner root]",
        "    └── 3 [owner root, 0 processes, stale]",
    };
    check_block(r.driver("status"), tree);
    for (const auto& line : r.driver("status").lines) {
        INFO("status line: " << line);
        CHECK(line.find_first_of("\r\x1b\x07\x9b") == std::string::npos);
        CHECK(line.find("\xc2\x9b") == std::string::npos);
    }
    const auto& j = r.driver("status-json");
    CHECK(j.lines.back() == "exit=0");
    for (const auto& line : j.lines)
        for (const char ch : line) {
            INFO("json line: " << line);
            CHECK(static_cast<unsigned char>(ch) >= 0x20);
            CHECK(static_cast<unsigned char>(ch) < 0x7f);
        }
    nlohmann::json freezer;
    const nlohmann::json parsed = json_of(j);
    for (const auto& h : parsed.at("hierarchies"))
        if (h.at("hierarchy") == "freezer")
            freezer = h;
    REQUIRE(freezer.is_object());
    REQUIRE(freezer.at("users").size() == 2);
    std::vector<std::string> got;
    for (const auto& child : freezer.at("users").at(0).at("tree").at("children").at(0).at("children"))
        got.push_back(child.at("name"));
    const Lines want = {"\x1b[1Aup", "\x1b]0;owned\x07",
                        "c1\xc2\x9b"
                        "2J",
                        "csi\xef\xbf\xbd"
                        "2J",
                        names[0]};
    CHECK(got == want);
    CHECK(freezer.at("users").at(1).at("user") == "m\xef\xbf\xbd"
                                                  "2Jallory\r");
    CHECK(r.driver("dry").lines == Lines{"kept freezer:/user/alice/0 (in use, or not removable)",
                                         "would remove freezer:/user/m\\x9b2Jallory\\x0d/3",
                                         "would remove 1 stale session cgroup, kept 1", "exit=0"});
    CHECK(r.driver("reap").lines ==
          Lines{"kept freezer:/user/alice/0 (in use, or not removable)", "removed freezer:/user/m\\x9b2Jallory\\x0d/3",
                "removed freezer:/user/m\\x9b2Jallory\\x0d", "removed 1 stale session cgroup, kept 1", "exit=0"});
}

// --version and --help, for the tool and for each command; help never needs a user or a host.
void help_and_version(Layout layout)
{
    auto r = run_scenario(layout, [&](Container& c) {
        ctl(c, "version", "--version");
        ctl(c, "help", "--help");
        ctl(c, "help-status", "status --help");
        ctl(c, "help-reap", "reap alice -h");
        ctl(c, "help-check", "help check");
        ctl(c, "help-bad", "help frobnicate");
    });
    check_ran(r);
    INFO(r.describe());
    CHECK(r.driver("version").lines == Lines{"cgfsctl " CGFS_VERSION, "exit=0"});
    CHECK(r.driver("help").lines ==
          Lines{"usage: cgfsctl status [USER] [--json]", "       cgfsctl reap [USER] [--dry-run]",
                "       cgfsctl check [USER] [--json]",
                "       cgfsctl COMMAND --help | help [COMMAND] | --help | --version", "exit=0"});
    CHECK(r.driver("help-status").lines.front() == "usage: cgfsctl status [USER] [--json]");
    CHECK(r.driver("help-status").lines.back() == "exit=0");
    CHECK(r.driver("help-reap").lines.front() == "usage: cgfsctl reap [USER] [--dry-run]");
    CHECK(r.driver("help-reap").lines.back() == "exit=0");
    CHECK(r.driver("help-check").lines.front() == "usage: cgfsctl check [USER] [--json]");
    CHECK(r.driver("help-check").lines.back() == "exit=0");
    CHECK(r.driver("help-bad").lines.at(0) == "err: cgfsctl: help: unknown command 'frobnicate'");
    CHECK(r.driver("help-bad").lines.back() == "exit=64");
}

} // namespace

CGFS_LAYOUT_TEST("cgfsctl: check on a ready host", "[cgfsctl]", check_ready, hybrid)
CGFS_LAYOUT_TEST("cgfsctl: check on broken hosts", "[cgfsctl]", check_broken, hybrid)
CGFS_LAYOUT_TEST("cgfsctl: status, reap, argument errors", "[cgfsctl]", status_and_reap, hybrid)
CGFS_LAYOUT_TEST("cgfsctl: check says whether session scopes are Delegate=yes", "[cgfsctl]", check_systemd_scope, v2)
CGFS_LAYOUT_TEST("cgfsctl: user-chosen names are escaped in status and reap", "[cgfsctl]", hostile_names, hybrid)
CGFS_LAYOUT_TEST("cgfsctl: --help per command and --version", "[cgfsctl]", help_and_version, hybrid)
