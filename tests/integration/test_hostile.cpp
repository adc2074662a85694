// Hostile user (issue 4): with bob's session and her own open, alice (uid 1000 and nothing else,
// started from inside her session as her shell would be) makes directories named like future
// session indexes and like bob's tree, renames and fills her cgroups, tries to reach out of her
// tree, moves processes around, freezes part of her session, races logins and logouts of her own
// with mkdir/rmdir of index names, and has a root process (su bob) open and close a session from
// a cgroup of hers that looks like bob's. Asserted: nothing outside user/alice is created,
// chowned, written or removed (full snapshots of every hierarchy: path, owner, mode, knobs),
// nothing of hers is ever handed to bob, and bob's session is untouched.
#include "crowd.hpp"
#include "expect.hpp"
#include "layouts.hpp"
#include "util.hpp"

#include <catch2/catch.hpp>

#include <csignal>

#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

using namespace cgfs_test;

namespace {

constexpr int kRaceLogins = 12; // concurrent logins of alice while she interferes
constexpr auto kHostileTimeout = std::chrono::seconds(120);
const std::string kAsAlice = "setpriv --reuid=1000 --regid=1000 --clear-groups ";

std::string label_of(const std::string& key)
{
    std::string k = key;
    for (char& ch : k)
        if (ch == '=' || ch == ',')
            ch = '_';
    return k;
}

// Alice's actions in hierarchy `key` mounted at `m`, as shell lines. `t NAME CMD...` records
// NAME=ok or NAME=fail.
std::string actions(const std::string& key, const std::string& m, const std::string& bob_leaf)
{
    const std::string k = label_of(key);
    const bool v2 = key == "unified";
    const std::string u = m + "/user/alice";
    std::string s;
    auto t = [&](const std::string& name, const std::string& cmd) { s += "t " + k + "." + name + " " + cmd + "\n"; };
    // Directories named like future session indexes, like bob's tree, and plain ones.
    t("future_index", "mkdir " + u + "/1");
    t("future_index2", "mkdir " + u + "/2");
    t("noncanonical_index", "mkdir " + u + "/007");
    t("bob_named", "mkdir " + u + "/bob");
    t("lookalike", "mkdir -p " + u + "/0/user/bob/0");
    t("c1", "mkdir " + u + "/0/c1");
    t("c2", "mkdir " + u + "/0/c2");
    // Fill: 100 siblings, and a chain 70 deep below a future index (beyond the removal bounds).
    t("fill", "sh -c 'for i in $(seq 100); do mkdir " + u + "/0/c1/f$i || exit 1; done'");
    t("deep", "sh -c 'd=" + u + "/5; for i in $(seq 70); do d=$d/d; done; mkdir -p $d'");
    // Renames: inside her tree (cgroup v1 only), out of it, of her user directory.
    t("rename_own", "mv -T " + u + "/2 " + u + "/3");
    t("rename_out", "mv -T " + u + "/1 " + m + "/user/bob/1");
    t("rename_home", "mv -T " + u + " " + m + "/user/mallory");
    // Reaching out: next to her user dir, into bob's, root's knobs.
    t("mkdir_base", "mkdir " + m + "/user/mallory");
    t("mkdir_bob", "mkdir " + m + "/user/bob/9");
    t("rmdir_bob", "rmdir " + m + "/user/bob");
    t("write_root_knob", "sh -c 'echo 0 > " + u + (v2 ? "/cgroup.max.descendants" : "/notify_on_release") + "'");
    t("enter_bob", "sh -c 'echo $$ > " + m + bob_leaf + "/cgroup.procs'");
    t("move_bob_proc", "sh -c 'echo $BOBPID > " + u + "/0/c1/cgroup.procs'");
    t("enter_own", "sh -c 'echo $$ > " + u + "/0/c1/cgroup.procs'");
    // Her own sleeper into c2, then c2 frozen; the session cgroup itself she cannot freeze.
    t("sleeper_to_c2", "sh -c 'echo $SLEEPER > " + u + "/0/c2/cgroup.procs'");
    if (v2) {
        t("freeze_own", "sh -c 'echo 1 > " + u + "/0/c2/cgroup.freeze'");
        t("freeze_session", "sh -c 'echo 1 > " + u + "/0/cgroup.freeze'");
    } else if (key == "freezer") {
        t("freeze_own", "sh -c 'echo FROZEN > " + u + "/0/c2/freezer.state'");
        t("freeze_session", "sh -c 'echo FROZEN > " + u + "/0/freezer.state'");
    }
    // The root process of her session (sshd's, here the driver) into c1: cgroup2 lets her
    // (delegation: she may move any process within her subtree), v1 does not (another uid).
    t("move_session_proc", "sh -c 'echo $SESSIONPID > " + u + "/0/c1/cgroup.procs'");
    return s;
}

// The mkdir/rmdir of index names alice runs against her own concurrent logins, until
// /tmp/race.stop exists (bounded by 2000 rounds).
std::string race_script(const std::vector<std::string>& mounts)
{
    std::string s = "i=0\nwhile [ $i -lt 2000 ] && [ ! -e /tmp/race.stop ]; do\n";
    for (const auto& m : mounts)
        for (int n = 1; n <= 6; ++n) {
            const std::string d = m + "/user/alice/" + std::to_string(n);
            s += "  mkdir " + d + " 2>/dev/null; rmdir " + d + " 2>/dev/null\n";
        }
    s += "  i=$((i+1))\ndone\n";
    return s;
}

void hostile(Layout layout)
{
    auto prof = core_profile(layout);
    std::vector<std::string> race;
    for (int i = 0; i < kRaceLogins; ++i)
        race.push_back("race-" + std::to_string(i));
    auto r = run_scenario(
        layout,
        [&](Container& c) {
            c.service("cgfs-test", prof.args + " debug");
            Driver bob = c.start("bob", {"--service", "cgfs-test", "--user", "bob"});
            bob.wait_held();
            Driver mine = c.start("alice", alice());
            mine.wait_held();
            c.snapshot("start");

            // Alice's shell: started by root inside her session (as sshd's child is), then uid 1000.
            std::string enter,
                script = "t() { n=$1; shift; if \"$@\" >/dev/null 2>&1; then echo $n=ok; else echo $n=fail; fi; }\n";
            script += "sleep 600 & SLEEPER=$!\nexport SLEEPER\necho $SLEEPER > /tmp/sleeper.pid\n";
            std::vector<std::string> mounts;
            for (const auto& key : prof.keys) {
                const std::string m = c.path(key + ":/");
                mounts.push_back(m);
                enter += "echo $$ > " + m + session_leaf(key, "alice", 0) + "/cgroup.procs\n";
                script += actions(key, m, session_leaf(key, "bob", 0));
            }
            write_regular_file("/tmp/alice.sh", script, 0644);
            write_regular_file("/tmp/race.sh", race_script(mounts), 0644);
            c.sh(enter + "export BOBPID=" + std::to_string(bob.pid()) + " SESSIONPID=" + std::to_string(mine.pid()) +
                 "\nexec " + kAsAlice + "/bin/sh /tmp/alice.sh > /tmp/alice.out 2>&1");
            emit_lines(c, "actions", split_lines(read_file("/tmp/alice.out")));
            c.snapshot("acted");

            // su bob by a root process that alice placed in her look-alike of bob's tree.
            std::vector<std::string> in;
            for (const auto& key : prof.keys) {
                in.push_back("--in");
                in.push_back(key + ":/user/alice/0/user/bob/0");
            }
            auto su = in;
            for (const auto& a : {"--service", "cgfs-test", "--user", "bob"})
                su.push_back(a);
            {
                Driver d = c.start("su-bob", su);
                d.wait_held();
                c.snapshot("su-held");
                d.finish();
            }
            su.push_back("--close-only");
            c.run("su-bob-close-only", su);
            c.snapshot("su-done");

            // Her own logins, 12 at once, while she makes and removes index names 1..6 everywhere.
            std::fflush(nullptr);
            pid_t racer = ::fork();
            if (racer == 0) {
                ::execl("/bin/sh", "sh", "-c", (kAsAlice + "/bin/sh /tmp/race.sh").c_str(),
                        static_cast<char*>(nullptr));
                ::_exit(127);
            }
            {
                std::vector<Driver> drivers;
                std::vector<std::vector<std::string>> args(race.size(), alice());
                open_together(c, drivers, race, args);
                for (auto& d : drivers)
                    d.release();
                for (auto& d : drivers)
                    d.finish();
            }
            write_regular_file("/tmp/race.stop", "", 0644);
            int status = 0;
            ::waitpid(racer, &status, 0); // our own child
            c.snapshot("raced");

            mine.finish();
            // Her frozen sleeper: thawed (v1 freezer keeps a killed task until thawed) and killed.
            const pid_t sleeper = std::stoi(read_file("/tmp/sleeper.pid"));
            for (const auto& key : prof.keys) {
                if (key == "freezer")
                    (void)write_kernel_file(c.path("freezer:/user/alice/0/c2/freezer.state"), "THAWED");
                if (key == "unified")
                    (void)write_kernel_file(c.path("unified:/user/alice/0/c2/cgroup.freeze"), "0");
            }
            ::kill(sleeper, SIGKILL); // started by our shell, a child of the container's init
            c.snapshot("alice-closed");
            c.run("alice-next", alice());
            emit_procs(c, prof.keys, "procs");
            c.snapshot("end");
            bob.finish();
        },
        kHostileTimeout);
    check_ran(r);
    INFO(r.describe());

    // What alice could and could not do (the kernel's delegation rules, checked so that the rest
    // of the test is known to have run).
    const auto& act = r.driver("actions");
    for (const auto& key : prof.keys) {
        const std::string k = label_of(key) + ".";
        const bool v2 = key == "unified";
        INFO("hierarchy " << key);
        for (const char* ok : {"future_index", "future_index2", "noncanonical_index", "bob_named", "lookalike", "c1",
                               "c2", "fill", "deep", "enter_own", "sleeper_to_c2"})
            CHECK(act.value(k + ok) == "ok");
        for (const char* no : {"rename_out", "rename_home", "mkdir_base", "mkdir_bob", "rmdir_bob", "write_root_knob",
                               "enter_bob", "move_bob_proc"})
            CHECK(act.value(k + no) == "fail");
        CHECK(act.value(k + "rename_own") == (v2 ? "fail" : "ok"));
        CHECK(act.value(k + "move_session_proc") == (v2 ? "ok" : "fail"));
        if (v2 || key == "freezer") {
            CHECK(act.value(k + "freeze_own") == "ok");
            CHECK(act.value(k + "freeze_session") == "fail");
        }
    }

    // Nothing outside user/alice ever changed, apart from bob's su session while it was open.
    const auto outside = [&](const std::string& label) {
        Snapshot s;
        s.lines = r.snap(label).outside_user("alice");
        return s;
    };
    for (const char* label : {"acted", "su-done", "raced", "alice-closed", "end"}) {
        INFO("snapshot " << label << " against the start, outside user/alice");
        check_unchanged(outside("start"), outside(label));
    }
    // Nothing of alice's is ever bob's, and nothing of bob's alice's.
    std::vector<std::string> crossed;
    for (const auto& [label, snap] : r.snapshots)
        for (const auto& l : snap.lines)
            if ((l.find(":/user/alice") != std::string::npos && l.find(" 1001:") != std::string::npos) ||
                (l.find(":/user/bob") != std::string::npos && l.find(" 1000:") != std::string::npos))
                crossed.push_back(label + ": " + l);
    CHECK(crossed == std::vector<std::string>{});

    // su bob from her look-alike: bob's own session 1, her directories untouched, back to origin.
    const auto& su = r.driver("su-bob");
    CHECK(su.code("open") == kPamSuccess);
    CHECK(su.code("close") == kPamSuccess);
    for (const auto& key : prof.keys) {
        check_proc_in(su, "cgroup", key, session_leaf(key, "bob", 1));
        check_proc_in(su, "cgroup_after_close", key, "/user/alice/0/user/bob/0");
        check_proc_in(r.driver("su-bob-close-only"), "cgroup_after_close", key, "/user/alice/0/user/bob/0");
        // bob's tree while su held: his sessions 0 and 1, nothing else.
        std::set<std::string> want = {"/user/bob", "/user/bob/0", "/user/bob/1"};
        if (key == "unified")
            want.insert({session_leaf(key, "bob", 0), session_leaf(key, "bob", 1)});
        CHECK(user_tree(r.snap("su-held"), key, "bob") == want);
    }
    CHECK(r.driver("su-bob-close-only").code("close") == kPamSuccess);

    // Her racing logins: each opens (in a leaf of hers) or fails cleanly with one line; all close.
    size_t failed = 0;
    for (const auto& label : race) {
        const auto& d = r.driver(label);
        INFO("driver " << label);
        const int code = d.code("open");
        CHECK((code == kPamSuccess || code == kPamSessionErr));
        if (code != kPamSuccess) {
            ++failed;
            CHECK(d.cgroups("cgroup") == d.cgroups("cgroup_before"));
            continue;
        }
        for (const auto& key : prof.keys)
            CHECK(index_of_leaf(key, "alice", d.cgroups("cgroup").at(key)) >= 0);
        CHECK(d.code("close") == kPamSuccess);
        CHECK(d.cgroups("cgroup_after_close") == d.cgroups("cgroup_before"));
    }
    std::printf("hostile figures (%s): %zu of %d racing logins failed under her interference; "
                "%zu creation retries, %zu stale cgroups reaped\n",
                layout_name(layout), failed, kRaceLogins, debug_count(r, "; retrying"),
                debug_count(r, ": stale, removed"));
    check_log(r, LOG_ERR, failed, {"'alice'"});

    // Bob: never moved, his session intact to the end, closed normally.
    const auto& b = r.driver("bob");
    const auto procs = procs_of(r.driver("procs"));
    for (const auto& key : prof.keys) {
        auto it = procs.find(key + ":" + session_leaf(key, "bob", 0));
        REQUIRE(it != procs.end());
        CHECK(it->second == std::set<std::string>{b.value("driver.pid")});
        check_proc_in(b, "cgroup_after_close", key, "/");
    }
    CHECK(b.code("close") == kPamSuccess);
    CHECK(r.driver("alice").code("close") == kPamSuccess);
    for (const auto& key : prof.keys) // wherever she had moved it in her tree (cgroup2: c1)
        check_proc_in(r.driver("alice"), "cgroup_after_close", key, "/");
    CHECK(r.driver("alice-next").code("open") == kPamSuccess);
}

// Alice swaps a fresh session cgroup for her own: a login of hers is stopped right after its
// exclusive mkdir of <0>; she removes that (still empty, root-owned) <0> from her directory and
// makes her own <0>. The login goes on in her directory (it opens <0> by name): that stays
// inside user/alice, her own cgroup cannot hold more than user/alice allows, and close removes
// it. Nothing outside user/alice changes.
void swapped_session_cgroup(Layout layout)
{
    REQUIRE_FALSE(fault_module().empty());
    const std::string key = layout == Layout::v2 ? "unified" : "freezer";
    const std::string args = "-c " + key;
    auto r = run_scenario(layout, [&](Container& c) {
        c.service("cgfs-fault", args, fault_module());
        // Traced from the state of the run below: the first login leaves BASE/user behind.
        for (const char* label : {"first", "trace"}) {
            (void)::unlink(kTrace);
            Driver d = c.start(label, alice({}, "cgfs-fault"), {std::string("CGFS_FAULT_TRACE=") + kTrace});
            d.wait_held();
        }
        const std::string at = trace_point("created 0");
        c.snapshot("before");
        Driver a = c.start("login", alice({}, "cgfs-fault"), {"CGFS_FAULT_AT=" + at, "CGFS_FAULT_ACTION=stop"});
        int status = 0;
        if (::waitpid(a.pid(), &status, WUNTRACED) != a.pid() || !WIFSTOPPED(status))
            throw std::runtime_error("the login did not stop after its mkdir");
        const std::string dir = c.path(key + ":/user/alice/0");
        c.sh(kAsAlice + "sh -c 'rmdir " + dir + " && mkdir " + dir + "'");
        c.snapshot("swapped");
        ::kill(a.pid(), SIGCONT); // our own child
        a.wait_held();
        c.snapshot("held");
        a.finish();
        c.snapshot("after");
    });
    check_ran(r);
    INFO(r.describe());
    const auto& d = r.driver("login");
    CHECK(d.code("open") == kPamSuccess);
    check_proc_in(d, "cgroup", key, session_leaf(key, "alice", 0));
    CHECK(d.code("close") == kPamSuccess);
    check_proc_in(d, "cgroup_after_close", key, "/");
    // Her directory, every file in it hers (she made it); the module changed nothing outside.
    CHECK(r.snap("swapped").dirs.at(key + ":/user/alice/0") == "1000:1000 0755");
    CHECK(r.snap("held").files.at(key + ":/user/alice/0/cgroup.procs").substr(0, 10) == "1000:1000 ");
    const auto outside = [&](const std::string& label) {
        Snapshot s;
        s.lines = r.snap(label).outside_user("alice");
        return s;
    };
    check_unchanged(outside("before"), outside("held"));
    check_unchanged(r.snap("before"), r.snap("after"));
    check_log(r, LOG_ERR, 0);
}

} // namespace

CGFS_ALL_LAYOUTS("hostile: alice swaps a fresh session cgroup for her own", "[hostile]", swapped_session_cgroup)
CGFS_ALL_LAYOUTS("hostile: alice attacks from her own session", "[hostile]", hostile)
