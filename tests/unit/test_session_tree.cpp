// Unit tests for lib/session_tree.hpp: the steps of an open in one hierarchy (prepare, claim,
// enter, delegate, release, undo) on a throwaway directory tree standing in for the hierarchy.
// The kernel's files a cgroup directory gets (cgroup.procs, tasks) are made by the test where the
// step needs them; the last tests run open_session over two such trees (the retry bound, the undo
// of every tree). Whole opens on real cgroups are the integration harness's (tests/integration).
#include "session_tree.hpp"

#include "fs.hpp"
#include "selection.hpp"
#include "test_support.hpp"

#include <string>
#include <unistd.h>
#include <sys/stat.h>
#include <vector>

using cgfs::Claim;
using cgfs::Entry;
using cgfs::test::TempDir;
using Strings = std::vector<std::string>;

namespace {

constexpr pid_t kCaller = 4321; // not this process: moves go through cgroup.procs

/// One hierarchy (v1 freezer, or cgroup2) whose root is `tmp`; the caller sits in `self`.
cgfs::Discovery tmp_hierarchy(const TempDir& tmp, cgfs::CgroupVersion version, const std::string& self = "/")
{
    const bool v1 = version == cgfs::CgroupVersion::v1;
    const auto mounts = cgfs::parse_mountinfo(v1 ? "2 0 0:2 / /sys/fs/cgroup/freezer rw - cgroup cgroup rw,freezer\n"
                                                 : "2 0 0:2 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
    const auto self_table = cgfs::parse_proc_cgroup(v1 ? "2:freezer:" + self + "\n" : "0::" + self + "\n");
    const auto init = cgfs::parse_proc_cgroup(v1 ? "2:freezer:/\n" : "0::/\n");
    cgfs::Discovery d = cgfs::build_discovery(mounts, self_table, &init);
    REQUIRE(d.hierarchies.size() == 1);
    d.hierarchies[0].root.reset(::open(tmp.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    return d;
}

/// The record open makes for a created session before the first step.
cgfs::HierarchySession created_record(const cgfs::Hierarchy& h)
{
    cgfs::HierarchySession hs;
    hs.version = h.version;
    hs.label = h.label();
    hs.placement = cgfs::Placement::created;
    hs.origin = h.self_cgroup;
    hs.base = "/";
    return hs;
}

cgfs::OpenParams alice_params()
{
    cgfs::OpenParams p;
    p.user = {"alice", 1000, 1000};
    p.pid = kCaller;
    ::clock_gettime(CLOCK_REALTIME_COARSE, &p.started);
    return p;
}

/// "uid:gid mode" of a path below `tmp`.
std::string state(const TempDir& tmp, const std::string& rel)
{
    struct stat st {};
    if (::lstat(tmp.path(rel).c_str(), &st) != 0)
        return "missing";
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
    return std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid) + " " + mode;
}

Strings texts(const cgfs::Notes& notes)
{
    Strings out;
    for (const auto& n : notes)
        out.push_back(std::string(n.level == cgfs::Note::Level::notice ? "notice|" : "debug|") + n.text);
    return out;
}

/// Everything one tree needs, wired as open_session wires it.
struct Fixture {
    TempDir tmp;
    cgfs::Discovery d;
    cgfs::HierarchySession record;
    cgfs::OpenParams params = alice_params();
    cgfs::Notes notes;
    cgfs::OpenContext context;
    cgfs::SessionTree tree;

    explicit Fixture(cgfs::CgroupVersion version)
        : d(tmp_hierarchy(tmp, version)),
          record(created_record(d.hierarchies[0])),
          context(params, "", {}, notes),
          tree(d.hierarchies[0], {}, context, record)
    {
        tmp.write("cgroup.procs", ""); // the origin, the hierarchy's root
    }
};

} // namespace

TEST_CASE("session tree: a v1 session is prepared, claimed, entered and delegated", "[session_tree]")
{
    REQUIRE(cgfs::test::is_root()); // chown; the suite runs as root (tests/run-suite refuses otherwise)
    Fixture f(cgfs::CgroupVersion::v1);
    REQUIRE(f.tree.prepare().ok());
    CHECK(state(f.tmp, "user") == "0:0 0755");
    CHECK(state(f.tmp, "user/alice") == "0:0 0755"); // pam_cgfs(8) THREAT MODEL: root's
    CHECK(f.tree.entries() == 0);
    CHECK(f.tree.user_dir_cgroup() == "/user/alice");

    auto claimed = f.tree.claim(0);
    REQUIRE(claimed.ok());
    CHECK(claimed.value() == Claim::ours);
    CHECK(state(f.tmp, "user/alice/0") == "0:0 0755"); // root's until the caller is in
    CHECK(f.record.session == "/user/alice/0");
    CHECK(f.record.leaf == "/user/alice/0");

    // What the kernel puts in a new v1 cgroup, and one file that must stay root's.
    for (const char* file : {"user/alice/0/cgroup.procs", "user/alice/0/tasks", "user/alice/0/freezer.state"})
        f.tmp.write(file, "");
    auto entered = f.tree.enter();
    REQUIRE(entered.ok());
    CHECK(entered.value() == Entry::alone);
    CHECK(f.tmp.read("user/alice/0/cgroup.procs") == "4321");

    REQUIRE(f.tree.delegate().ok());
    CHECK(state(f.tmp, "user/alice/0") == "1000:1000 0755");
    CHECK(cgfs::test::owner_of(f.tmp.path("user/alice/0/cgroup.procs")) == "1000:1000");
    CHECK(cgfs::test::owner_of(f.tmp.path("user/alice/0/tasks")) == "1000:1000");
    CHECK(cgfs::test::owner_of(f.tmp.path("user/alice/0/freezer.state")) == "0:0");
    CHECK(state(f.tmp, "user/alice") == "0:0 0755");
    CHECK(f.notes.empty());
}

TEST_CASE("session tree: an index already there is taken, the next one is claimed", "[session_tree]")
{
    Fixture f(cgfs::CgroupVersion::v1);
    f.tmp.mkdirs("user/alice/0");
    f.tmp.mkdirs("user/alice/5");
    REQUIRE(f.tree.prepare().ok());
    CHECK(f.tree.entries() == 2);
    auto taken = f.tree.claim(0);
    REQUIRE(taken.ok());
    CHECK(taken.value() == Claim::taken);
    auto ours = f.tree.claim(1);
    REQUIRE(ours.ok());
    CHECK(ours.value() == Claim::ours);
    CHECK(f.record.session == "/user/alice/1");
    // release() removes what this claim made, and nothing else.
    f.tree.release();
    CHECK_FALSE(f.tmp.exists("user/alice/1"));
    CHECK(f.tmp.exists("user/alice/0"));
    CHECK(f.tmp.exists("user/alice/5"));
}

TEST_CASE("session tree: another process in the claimed cgroup means shared", "[session_tree]")
{
    Fixture f(cgfs::CgroupVersion::v1);
    REQUIRE(f.tree.prepare().ok());
    REQUIRE(f.tree.claim(0).ok());
    // A concurrent login sits there already (the write lands on the first line of this stand-in).
    f.tmp.write("user/alice/0/cgroup.procs", "4321\n77\n");
    auto entered = f.tree.enter();
    REQUIRE(entered.ok());
    CHECK(entered.value() == Entry::shared);
}

TEST_CASE("session tree: undo moves the caller back and removes exactly what this open made", "[session_tree]")
{
    Fixture f(cgfs::CgroupVersion::v1);
    REQUIRE(f.tree.prepare().ok());
    REQUIRE(f.tree.claim(0).ok());
    f.tmp.write("user/alice/0/cgroup.procs", "");
    REQUIRE(f.tree.enter().ok());
    // Directories cannot be removed while the stand-in kernel files are in them.
    ::unlink(f.tmp.path("user/alice/0/cgroup.procs").c_str());
    f.tree.undo();
    CHECK(f.tmp.read("cgroup.procs") == "4321"); // back to the origin
    CHECK_FALSE(f.tmp.exists("user/alice/0"));
    CHECK_FALSE(f.tmp.exists("user/alice"));
    CHECK_FALSE(f.tmp.exists("user"));
    CHECK(f.notes.empty());
}

TEST_CASE("session tree: undo leaves BASE/user and user/<name> that were there before", "[session_tree]")
{
    Fixture f(cgfs::CgroupVersion::v1);
    f.tmp.mkdirs("user/alice");
    REQUIRE(f.tree.prepare().ok());
    REQUIRE(f.tree.claim(3).ok());
    f.tree.undo();
    CHECK_FALSE(f.tmp.exists("user/alice/3"));
    CHECK(f.tmp.exists("user/alice"));
}

TEST_CASE("session tree: a user/<name> of another uid is refused", "[session_tree]")
{
    REQUIRE(cgfs::test::is_root());
    Fixture f(cgfs::CgroupVersion::v1);
    f.tmp.mkdirs("user/alice");
    REQUIRE(::chown(f.tmp.path("user/alice").c_str(), 1001, 1001) == 0);
    auto prepared = f.tree.prepare();
    REQUIRE_FALSE(prepared.ok());
    CHECK(prepared.error().code == EPERM);
    CHECK(prepared.error().message() ==
          "freezer: /user/alice: owned by uid 1001, not by alice (uid 1000): Operation not permitted");
    CHECK(state(f.tmp, "user/alice") == "1001:1001 0755");
}

TEST_CASE("session tree: a user/<name> left the user's by an older module is taken back", "[session_tree]")
{
    REQUIRE(cgfs::test::is_root());
    Fixture f(cgfs::CgroupVersion::v1);
    f.tmp.mkdirs("user/alice");
    f.tmp.write("user/alice/tasks", "");
    f.tmp.write("user/alice/cgroup.procs", "");
    for (const char* path : {"user/alice", "user/alice/tasks", "user/alice/cgroup.procs"})
        REQUIRE(::chown(f.tmp.path(path).c_str(), 1000, 1000) == 0);
    REQUIRE(f.tree.prepare().ok());
    CHECK(state(f.tmp, "user/alice") == "0:0 0755");
    CHECK(cgfs::test::owner_of(f.tmp.path("user/alice/tasks")) == "0:0");
    CHECK(cgfs::test::owner_of(f.tmp.path("user/alice/cgroup.procs")) == "0:0");
    CHECK(texts(f.notes) == Strings{"notice|freezer: /user/alice: owned by alice (made by an older module), taken "
                                    "back: root's from now on, as pam_cgfs(8) says"});
}

TEST_CASE("session tree: on cgroup2 the caller enters <N>/init.scope, and both are delegated", "[session_tree]")
{
    REQUIRE(cgfs::test::is_root());
    Fixture f(cgfs::CgroupVersion::v2);
    REQUIRE(f.tree.prepare().ok());
    auto claimed = f.tree.claim(0);
    REQUIRE(claimed.ok());
    CHECK(claimed.value() == Claim::ours);
    CHECK(f.record.session == "/user/alice/0");
    CHECK(f.record.leaf == "/user/alice/0/init.scope");
    CHECK(state(f.tmp, "user/alice/0/init.scope") == "0:0 0755");
    f.tmp.write("user/alice/0/init.scope/cgroup.procs", "");
    auto entered = f.tree.enter();
    REQUIRE(entered.ok());
    CHECK(entered.value() == Entry::alone);
    CHECK(f.tmp.read("user/alice/0/init.scope/cgroup.procs") == "4321");
    REQUIRE(f.tree.delegate().ok());
    CHECK(state(f.tmp, "user/alice/0") == "1000:1000 0755");
    CHECK(state(f.tmp, "user/alice/0/init.scope") == "1000:1000 0755");
    CHECK(cgfs::test::owner_of(f.tmp.path("user/alice/0/init.scope/cgroup.procs")) == "1000:1000");
}

TEST_CASE("session tree: every directory made is 0755 whatever the umask", "[session_tree]")
{
    for (const mode_t mask : {mode_t{077}, mode_t{022}, mode_t{0}}) {
        Fixture f(cgfs::CgroupVersion::v2);
        f.tmp.mkdirs("user/alice"); // there already: the first directory this open makes is <N>
        const mode_t old = ::umask(mask);
        const bool prepared = f.tree.prepare().ok();
        auto claimed = f.tree.claim(0);
        ::umask(old);
        INFO("umask " << mask);
        REQUIRE(prepared);
        REQUIRE(claimed.ok());
        CHECK(state(f.tmp, "user/alice/0") == "0:0 0755");
        CHECK(state(f.tmp, "user/alice/0/init.scope") == "0:0 0755");
    }
}

TEST_CASE("session tree: is_vanished is ENOENT and ENODEV only", "[session_tree]")
{
    CHECK(cgfs::is_vanished(ENOENT));
    CHECK(cgfs::is_vanished(ENODEV));
    CHECK_FALSE(cgfs::is_vanished(EBUSY));
    CHECK_FALSE(cgfs::is_vanished(EPERM));
}

namespace {

/// Two v1 hierarchies (freezer, cpuacct), each rooted at its own throwaway directory (`first`
/// for the one open handles first), both selected; the caller sits at both roots.
struct TwoTrees {
    TempDir first;
    TempDir second;
    cgfs::Discovery d;
    cgfs::Selection selection;
    cgfs::OpenParams params = alice_params();
    cgfs::Notes notes;

    TwoTrees()
    {
        const auto mounts = cgfs::parse_mountinfo("2 0 0:2 / /sys/fs/cgroup/freezer rw - cgroup cgroup rw,freezer\n"
                                                  "3 0 0:3 / /sys/fs/cgroup/cpuacct rw - cgroup cgroup rw,cpuacct\n");
        const auto self_table = cgfs::parse_proc_cgroup("2:freezer:/\n3:cpuacct:/\n");
        d = cgfs::build_discovery(mounts, self_table, &self_table);
        REQUIRE(d.hierarchies.size() == 2);
        for (std::size_t i = 0; i < d.hierarchies.size(); ++i) {
            const TempDir& root = i == 0 ? first : second;
            d.hierarchies[i].root.reset(::open(root.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
            root.write("cgroup.procs", ""); // the origin
            selection.chosen.push_back(cgfs::SelectedHierarchy{i, {}});
        }
    }
};

} // namespace

// pam_cgfs(8) "Reaping": a session cgroup removed under the open (here: the stand-in kernel files
// never appear, so every move in fails with ENOENT) starts the attempt over, at most
// kMaxCreateAttempts times; each attempt is undone, so nothing is left and the caller is where it
// was.
TEST_CASE("open: a cgroup vanishing at every attempt ends the open after the bound, nothing left", "[session_tree]")
{
    REQUIRE(cgfs::test::is_root());
    TwoTrees t;
    auto opened = cgfs::open_session(t.d, t.selection, t.params, t.notes);
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.error().code == ENOENT);
    CHECK(opened.error().message().find("gave up after " + std::to_string(cgfs::kMaxCreateAttempts) + " attempts") !=
          std::string::npos);
    const Strings notes = texts(t.notes);
    CHECK(notes.size() == static_cast<std::size_t>(cgfs::kMaxCreateAttempts));
    for (const auto& note : notes)
        CHECK(note.rfind("debug|", 0) == 0);
    for (const TempDir* root : {&t.first, &t.second}) {
        CHECK_FALSE(root->exists("user"));
        CHECK(root->read("cgroup.procs").empty()); // never entered, so never moved back
    }
}

// pam_cgfs(8) SECURITY: a user/<name> of another uid ends the open at once (no retry); what the
// open made in the hierarchy prepared before it (BASE/user, user/<name>) is removed again.
TEST_CASE("open: an error in the second tree undoes the first one", "[session_tree]")
{
    REQUIRE(cgfs::test::is_root());
    TwoTrees t;
    t.second.mkdirs("user/alice");
    REQUIRE(::chown(t.second.path("user/alice").c_str(), 1001, 1001) == 0);
    auto opened = cgfs::open_session(t.d, t.selection, t.params, t.notes);
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.error().code == EPERM);
    CHECK(opened.error().message().find("owned by uid 1001, not by alice (uid 1000)") != std::string::npos);
    CHECK(t.notes.empty());
    CHECK_FALSE(t.first.exists("user"));
    CHECK(state(t.second, "user/alice") == "1001:1001 0755"); // another user's: untouched
}
