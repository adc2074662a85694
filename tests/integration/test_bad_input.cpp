// Every bad input of SPEC 1 and 6: bad user names, bad option combinations, unmounted or
// missing hierarchies, a read-only mount, an unknown user. Each: the exact PAM code, one LOG_ERR
// line, nothing changed anywhere (before/after snapshots), the caller unmoved.
#include "expect.hpp"
#include "layouts.hpp"
#include "util.hpp"

#include <catch2/catch.hpp>

#include <syslog.h>

using namespace cgfs_test;

namespace {

struct BadCase {
    const char* label;
    std::string args;  // module arguments; "" = the layout's core profile
    std::string user = "alice";
    bool add_to_passwd = false;  // make the bad name a real account (so only validation stops it)
    std::string setup;           // shell run in the container first
    std::vector<std::string> log_needles;
};

void run_bad(Layout layout, const BadCase& bc)
{
    auto prof = core_profile(layout);
    std::string args = bc.args.empty() ? prof.args : bc.args;
    auto r = run_scenario(layout, [&](Container& c) {
        if (bc.add_to_passwd) {
            std::string passwd = read_file("/etc/passwd");
            passwd += bc.user + ":x:2000:2000::/home/alice:/bin/sh\n";
            write_regular_file("/etc/passwd", passwd, 0644);
        }
        if (!bc.setup.empty())
            c.sh(bc.setup);
        c.service("cgfs-test", args);
        c.snapshot("before");
        c.run("main", {"--service", "cgfs-test", "--user", bc.user, "--no-close"});
        c.snapshot("after");
    });
    check_ran(r);
    INFO("case: " << bc.label << ", args '" << args << "'\n" << r.describe());
    const auto& d = r.driver("main");
    CHECK(d.code("start") == kPamSuccess);
    CHECK(d.code("open") == kPamSessionErr);
    check_unchanged(r.snap("before"), r.snap("after"));
    // Caller unmoved in every hierarchy.
    CHECK(d.cgroups("cgroup") == d.cgroups("cgroup_before"));
    check_log(r, LOG_ERR, 1, bc.log_needles);
}

std::vector<BadCase> bad_names()
{
    std::vector<BadCase> v;
    v.push_back({"empty name", "", "", false, "", {}});
    for (const char* name : {".", "..", "a/b", "cgroup.procs", "tasks", "memory.max",
                             "notify_on_release", "release_agent", "cgroup.subtree_control"})
        v.push_back({name, "", name, true, "", {}});
    v.push_back({"tab in name", "", "al\tice", true, "", {}});
    v.push_back({"escape in name", "", "al\x1b" "ice", true, "", {}});
    v.push_back({"newline in name", "", "al\nice", false, "", {}});
    v.push_back({"256 bytes", "", std::string(256, 'a'), true, "", {}});
    return v;
}

void bad_name(Layout layout)
{
    for (const auto& bc : bad_names()) {
        DYNAMIC_SECTION("name: " << bc.label) { run_bad(layout, bc); }
    }
}

void unknown_user(Layout layout)
{
    run_bad(layout, {"unknown user", "", "nosuchuser", false, "", {"nosuchuser"}});
}

void bad_options(Layout layout)
{
    std::vector<BadCase> v = {
        {"all mixed", "-c all,memory", "alice", false, "", {"all"}},
        {"memory mixed with all", "-c memory,all", "alice", false, "", {"all"}},
        {"-c at the end", "debug -c", "alice", false, "", {"-c"}},
        {"empty name=", "-c name=", "alice", false, "", {"name="}},
        {"slash in an item", "-c freezer/../memory", "alice", false, "", {}},
        {"empty list", "-c ,", "alice", false, "", {}},
        {"unknown controller only", "-c nosuchcontroller", "alice", false, "", {}},
    };
    for (const auto& bc : v) {
        DYNAMIC_SECTION("options: " << bc.label) { run_bad(layout, bc); }
    }
}

// An unknown token is logged once at LOG_ERR and ignored: the session still opens.
void unknown_token(Layout layout)
{
    auto prof = core_profile(layout);
    auto r = run_scenario(layout, [&](Container& c) {
        c.service("cgfs-test", "bogus_option " + prof.args);
        c.run("main", {"--service", "cgfs-test", "--user", "alice", "--no-close"});
    });
    check_ran(r);
    INFO(r.describe());
    CHECK(r.driver("main").code("open") == kPamSuccess);
    check_log(r, LOG_ERR, 1, {"bogus_option"});
}

void nothing_selectable_v1(Layout layout)
{
    run_bad(layout, {"only blkio, unmounted", "-c blkio", "alice", false,
                     "umount /sys/fs/cgroup/blkio", {}});
    run_bad(layout, {"only name=nosuch", "-c name=nosuch", "alice", false, "", {}});
}

void nothing_selectable_v2()
{
    // name=... is skipped on a unified-only host; nothing else was asked for.
    run_bad(Layout::v2, {"only name=systemd", "-c name=systemd", "alice", false, "", {}});
}

// The cgroup2 hierarchy is asked for but not mounted.
void missing_hierarchy_hybrid()
{
    run_bad(Layout::hybrid, {"unified unmounted", "-c unified", "alice", false,
                             "umount /sys/fs/cgroup/unified", {}});
}

// A read-only mount (a per-mount bind remount: the superblock, shared with the host, is
// untouched).
void read_only(Layout layout)
{
    std::string mnt = layout == Layout::v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/freezer";
    std::string args = layout == Layout::v2 ? "-c unified" : "-c memory,freezer";
    run_bad(layout, {"read-only mount", args, "alice", false,
                     "mount -o remount,bind,ro " + mnt, {"alice"}});
}

}  // namespace

CGFS_ALL_LAYOUTS("bad input: invalid user names", "[bad]", bad_name)
CGFS_ALL_LAYOUTS("bad input: unknown user", "[bad]", unknown_user)
CGFS_ALL_LAYOUTS("bad input: bad option combinations", "[bad]", bad_options)
CGFS_ALL_LAYOUTS("bad input: an unknown token is logged and ignored", "[bad]", unknown_token)
CGFS_LAYOUT_TEST("bad input: nothing selectable", "[bad]", nothing_selectable_v1, v1)
CGFS_LAYOUT_TEST("bad input: nothing selectable", "[bad]", nothing_selectable_v1, hybrid)
TEST_CASE("bad input: nothing selectable (v2)", "[v2][bad]") { nothing_selectable_v2(); }
TEST_CASE("bad input: a missing hierarchy (hybrid)", "[hybrid][bad]")
{
    missing_hierarchy_hybrid();
}
CGFS_ALL_LAYOUTS("bad input: a read-only hierarchy mount", "[bad]", read_only)
