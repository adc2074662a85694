// Unit tests for lib/session.hpp without root cgroups: find_session on constructed discoveries,
// remove_tree and close_session on a throwaway directory tree standing in for a hierarchy.
// open_session/close_session on real cgroups are the integration harness's (tests/integration).
#include "session.hpp"

#include "fs.hpp"
#include "test_support.hpp"

#include <string>
#include <vector>

using cgfs::Discovery;
using cgfs::HierarchySession;
using cgfs::Placement;
using cgfs::SessionRecord;
using cgfs::test::TempDir;
using Strings = std::vector<std::string>;

namespace {

std::string show(const HierarchySession& h)
{
    const char* placement = h.placement == Placement::created            ? "created"
                            : h.placement == Placement::systemd_in_place ? "systemd_in_place"
                                                                         : "already_delegated";
    return std::string(h.version == cgfs::CgroupVersion::v1 ? "v1" : "v2") + "|" + h.label + "|" + placement + "|" +
           h.origin + "|" + h.base + "|" + h.session + "|" + h.leaf;
}

Strings show_all(const SessionRecord& r)
{
    Strings out;
    for (const auto& h : r.hierarchies)
        out.push_back(show(h));
    return out;
}

Strings texts(const cgfs::Notes& notes)
{
    Strings out;
    for (const auto& n : notes)
        out.push_back(std::string(n.level == cgfs::Note::Level::notice ? "notice|" : "debug|") + n.text);
    return out;
}

// 0 unified, 1 freezer, 2 memory, 3 name=systemd, 4 pids, 5 cpuset, 6 net_cls, 7 cpu
constexpr const char* kMounts = "1 0 0:1 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"
                                "2 0 0:2 / /sys/fs/cgroup/freezer rw - cgroup cgroup rw,freezer\n"
                                "3 0 0:3 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
                                "4 0 0:4 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
                                "5 0 0:5 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n"
                                "6 0 0:6 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset\n"
                                "7 0 0:7 / /sys/fs/cgroup/net_cls rw - cgroup cgroup rw,net_cls\n"
                                "8 0 0:8 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n";

Discovery discovery_with(const std::string& self_text, const std::string& init_text)
{
    const auto mounts = cgfs::parse_mountinfo(kMounts);
    const auto self = cgfs::parse_proc_cgroup(self_text);
    const auto init = cgfs::parse_proc_cgroup(init_text);
    Discovery d = cgfs::build_discovery(mounts, self, &init);
    REQUIRE(d.hierarchies.size() == 8);
    return d;
}

cgfs::Selection select_all(const Discovery& d)
{
    cgfs::Selection s;
    for (std::size_t i = 0; i < d.hierarchies.size(); ++i)
        s.chosen.push_back(cgfs::SelectedHierarchy{i, {}});
    return s;
}

const std::string kInit = "0::/init.scope\n2:freezer:/init.scope\n3:memory:/init.scope\n1:name=systemd:/init.scope\n"
                          "4:pids:/init.scope\n5:cpuset:/\n6:net_cls:/\n7:cpu:/\n";

const cgfs::UserIdentity kAlice{"alice", 1000, 1000};

/// Creates name/d/d/…: `levels` directories below `name`.
void make_chain(const TempDir& tmp, const std::string& name, int levels)
{
    std::string path = name;
    tmp.mkdirs(path);
    int made = 0;
    for (int i = 1; i <= levels; ++i) {
        path += "/d";
        made += ::mkdir(tmp.path(path).c_str(), 0755) == 0 ? 1 : 0;
    }
    REQUIRE(made == levels);
}

} // namespace

TEST_CASE("session: constants", "[session]")
{
    CHECK(cgfs::kMaxCreateAttempts == 32);
    CHECK(cgfs::kMaxTreeDepth == 64);
    CHECK(cgfs::kMaxTreeEntries == 4096);
    CHECK(cgfs::kDirMode == 0755);
    CHECK(std::string(cgfs::kSessionLeaf) == "init.scope");
}

TEST_CASE("session: find_session finds the created sessions the caller sits in", "[session]")
{
    const Discovery d = discovery_with("0::/user/alice/3/init.scope\n"
                                       "2:freezer:/user/alice/3\n"
                                       "3:memory:/user/alice/3/sub/deeper\n"
                                       "1:name=systemd:/user.slice/user-1000.slice/session-2.scope\n"
                                       "4:pids:/user/bob/1\n"
                                       "5:cpuset:/user/alice\n"
                                       "6:net_cls:/user/alice/007\n"
                                       "7:cpu:/user/alice/12x\n",
                                       kInit);
    const SessionRecord r = cgfs::find_session(d, select_all(d), kAlice);
    CHECK(r.user.name == "alice");
    CHECK(r.user.uid == 1000);
    CHECK(r.index == 3);
    CHECK(show_all(r) == Strings{
                             "v2|unified|created|/|/|/user/alice/3|/user/alice/3/init.scope",
                             "v1|freezer|created|/|/|/user/alice/3|/user/alice/3",
                             "v1|memory|created|/|/|/user/alice/3|/user/alice/3/sub/deeper",
                         });
}

TEST_CASE("session: find_session looks only at selected hierarchies", "[session]")
{
    const Discovery d = discovery_with("0::/user/alice/3/init.scope\n2:freezer:/user/alice/3\n3:memory:/\n"
                                       "1:name=systemd:/\n4:pids:/user/bob/1\n5:cpuset:/\n6:net_cls:/\n7:cpu:/\n",
                                       kInit);
    cgfs::Selection only_freezer;
    only_freezer.chosen.push_back(cgfs::SelectedHierarchy{1, {}});
    const SessionRecord r = cgfs::find_session(d, only_freezer, kAlice);
    CHECK(r.index == 3);
    CHECK(show_all(r) == Strings{"v1|freezer|created|/|/|/user/alice/3|/user/alice/3"});

    const SessionRecord bob = cgfs::find_session(d, select_all(d), cgfs::UserIdentity{"bob", 1001, 1001});
    CHECK(bob.index == 1);
    CHECK(show_all(bob) == Strings{"v1|pids|created|/|/|/user/bob/1|/user/bob/1"});
}

TEST_CASE("session: find_session finds nothing outside user/<name>/<N>", "[session]")
{
    const Discovery d = discovery_with("0::/\n2:freezer:/user/alice\n3:memory:/user/alice/-1\n"
                                       "1:name=systemd:/user.slice/user-1000.slice/session-2.scope\n"
                                       "4:pids:/user/alicex/0\n5:cpuset:/x/user/alice/0\n6:net_cls:/user/alice/00\n"
                                       "7:cpu:/user/alice/1000001\n",
                                       kInit);
    const SessionRecord r = cgfs::find_session(d, select_all(d), kAlice);
    CHECK(r.index == -1);
    CHECK(r.hierarchies.empty());
}

TEST_CASE("session: find_session uses BASE below a container's mount root", "[session]")
{
    const auto mounts = cgfs::parse_mountinfo("2 0 0:2 /lxc/c1 /sys/fs/cgroup/freezer rw - cgroup cgroup rw,freezer\n");
    const auto self = cgfs::parse_proc_cgroup("2:freezer:/lxc/c1/user/alice/0\n");
    const auto init = cgfs::parse_proc_cgroup("2:freezer:/lxc/c1/init.scope\n");
    const Discovery d = cgfs::build_discovery(mounts, self, &init);
    const SessionRecord r = cgfs::find_session(d, select_all(d), kAlice);
    CHECK(r.index == 0);
    CHECK(show_all(r) == Strings{"v1|freezer|created|/lxc/c1|/lxc/c1|/lxc/c1/user/alice/0|/lxc/c1/user/alice/0"});
}

TEST_CASE("session: remove_tree removes empty directories bottom-up", "[session]")
{
    TempDir tmp;
    tmp.mkdirs("0/a/b/c");
    tmp.mkdirs("0/d");
    tmp.mkdirs("0/init.scope");
    tmp.mkdirs("1");
    cgfs::Notes notes;
    CHECK(cgfs::remove_tree(tmp.fd(), "0", "test", notes));
    CHECK_FALSE(tmp.exists("0"));
    CHECK(tmp.exists("1"));
    CHECK(notes.empty());
    CHECK(cgfs::remove_tree(tmp.fd(), "0", "test", notes)); // already gone
    CHECK(notes.empty());
}

TEST_CASE("session: remove_tree leaves a busy subtree and says so", "[session]")
{
    TempDir tmp;
    tmp.mkdirs("0/busy");
    tmp.mkdirs("0/empty");
    tmp.write("0/busy/cgroup.procs", "1234\n"); // on a plain directory a file makes rmdir fail
    cgfs::Notes notes;
    CHECK_FALSE(cgfs::remove_tree(tmp.fd(), "0", "test", notes));
    CHECK(tmp.exists("0/busy/cgroup.procs"));
    CHECK_FALSE(tmp.exists("0/empty"));
    CHECK(texts(notes) == Strings{"debug|test/busy: Directory not empty, left in place",
                                  "debug|test: Directory not empty, left in place"});
}

TEST_CASE("session: remove_tree never follows a symlink", "[session]")
{
    TempDir tmp;
    TempDir elsewhere;
    elsewhere.mkdirs("victim/child");
    REQUIRE(::symlink(elsewhere.path("victim").c_str(), tmp.path("0").c_str()) == 0);
    tmp.mkdirs("1");
    REQUIRE(::symlink(elsewhere.path("victim").c_str(), tmp.path("1/link").c_str()) == 0);
    cgfs::Notes notes;
    CHECK_FALSE(cgfs::remove_tree(tmp.fd(), "0", "test", notes));
    CHECK(elsewhere.exists("victim/child"));
    // A symlink inside is not a directory entry of type DT_DIR: not descended, and it keeps the
    // parent non-empty.
    CHECK_FALSE(cgfs::remove_tree(tmp.fd(), "1", "test", notes));
    CHECK(elsewhere.exists("victim/child"));
    CHECK(tmp.exists("1/link"));
}

TEST_CASE("session: remove_tree removes a tree exactly kMaxTreeDepth deep", "[session]")
{
    TempDir tmp;
    make_chain(tmp, "0", cgfs::kMaxTreeDepth);
    cgfs::Notes notes;
    CHECK(cgfs::remove_tree(tmp.fd(), "0", "test", notes));
    CHECK_FALSE(tmp.exists("0"));
    CHECK(notes.empty());
}

TEST_CASE("session: remove_tree stops at kMaxTreeDepth and leaves the deeper tree", "[session]")
{
    TempDir tmp;
    make_chain(tmp, "0", cgfs::kMaxTreeDepth + 1);
    cgfs::Notes notes;
    CHECK_FALSE(cgfs::remove_tree(tmp.fd(), "0", "test", notes));
    std::string deepest = "0";
    for (int i = 0; i <= cgfs::kMaxTreeDepth; ++i)
        deepest += "/d";
    CHECK(tmp.exists(deepest));
    REQUIRE_FALSE(notes.empty());
    std::string where = "test";
    for (int i = 0; i <= cgfs::kMaxTreeDepth; ++i)
        where += "/d";
    CHECK(notes.front().text == where + ": cgroup tree deeper or larger than the removal bounds; left in place");
    CHECK(notes.front().level == cgfs::Note::Level::debug);
    CHECK(notes.size() == static_cast<std::size_t>(cgfs::kMaxTreeDepth) + 2);
    CHECK(notes.back().text == "test: Directory not empty, left in place");
}

TEST_CASE("session: remove_tree removes at most kMaxTreeEntries directories", "[session]")
{
    TempDir tmp;
    tmp.mkdirs("fits");
    int made = 0;
    for (int i = 0; i < cgfs::kMaxTreeEntries - 1; ++i) // plus "fits" itself: exactly the bound
        made += ::mkdir(tmp.path("fits/" + std::to_string(i)).c_str(), 0755) == 0 ? 1 : 0;
    REQUIRE(made == cgfs::kMaxTreeEntries - 1);
    cgfs::Notes notes;
    CHECK(cgfs::remove_tree(tmp.fd(), "fits", "test", notes));
    CHECK_FALSE(tmp.exists("fits"));
    CHECK(notes.empty());

    tmp.mkdirs("wide");
    made = 0;
    for (int i = 0; i < cgfs::kMaxTreeEntries; ++i)
        made += ::mkdir(tmp.path("wide/" + std::to_string(i)).c_str(), 0755) == 0 ? 1 : 0;
    REQUIRE(made == cgfs::kMaxTreeEntries);
    CHECK_FALSE(cgfs::remove_tree(tmp.fd(), "wide", "test", notes));
    auto left = cgfs::fs::list_subdirs(tmp.fd());
    REQUIRE(left.ok());
    CHECK(left.value() == Strings{"wide"});
    auto inside = cgfs::fs::open_dir_at(tmp.fd(), "wide");
    REQUIRE(inside.ok());
    const Strings rest = cgfs::fs::list_subdirs(inside.value().get()).value();
    REQUIRE(rest.size() == 1);
    CHECK(texts(notes) ==
          Strings{"debug|test/" + rest[0] + ": cgroup tree deeper or larger than the removal bounds; left in place",
                  "debug|test: Directory not empty, left in place"});
}

namespace {

/// A one-hierarchy discovery whose root is `tmp` (a plain directory standing in for a v1 mount).
Discovery tmp_hierarchy(const TempDir& tmp, const std::string& self)
{
    const auto mounts = cgfs::parse_mountinfo("2 0 0:2 / /sys/fs/cgroup/freezer rw - cgroup cgroup rw,freezer\n");
    const auto self_table = cgfs::parse_proc_cgroup("2:freezer:" + self + "\n");
    const auto init = cgfs::parse_proc_cgroup("2:freezer:/\n");
    Discovery d = cgfs::build_discovery(mounts, self_table, &init);
    REQUIRE(d.hierarchies.size() == 1);
    d.hierarchies[0].root.reset(::open(tmp.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    return d;
}

SessionRecord alice_session(long index, const std::string& origin = "/")
{
    SessionRecord r;
    r.user = kAlice;
    r.index = index;
    HierarchySession h;
    h.label = "freezer";
    h.placement = Placement::created;
    h.origin = origin;
    h.base = "/";
    h.session = "/user/alice/" + std::to_string(index);
    h.leaf = h.session;
    r.hierarchies.push_back(h);
    return r;
}

} // namespace

TEST_CASE("session: close moves the caller back, removes its session, then user/<name> when empty", "[session]")
{
    TempDir tmp;
    tmp.write("cgroup.procs", "");
    tmp.mkdirs("origin");
    tmp.write("origin/cgroup.procs", "");
    tmp.mkdirs("user/alice/0/c1");
    tmp.mkdirs("user/alice/1");
    const Discovery d = tmp_hierarchy(tmp, "/user/alice/0");
    cgfs::Notes notes;
    cgfs::close_session(d, alice_session(0, "/origin"), 4321, notes);
    CHECK(tmp.read("origin/cgroup.procs") == "4321");
    CHECK(tmp.read("cgroup.procs") == "");
    CHECK_FALSE(tmp.exists("user/alice/0"));
    CHECK(tmp.exists("user/alice/1"));
    CHECK(texts(notes) == Strings{"debug|freezer: /user/alice: rmdir alice: Directory not empty, left in place"});
    notes.clear();

    // The last session of the user: user/<name> goes, BASE/user stays.
    const Discovery elsewhere = tmp_hierarchy(tmp, "/origin");
    cgfs::close_session(elsewhere, alice_session(1), 4321, notes);
    CHECK_FALSE(tmp.exists("user/alice"));
    CHECK(tmp.exists("user"));
    CHECK(tmp.read("cgroup.procs") == ""); // not inside the session: nobody was moved
    CHECK(notes.empty());
}

TEST_CASE("session: close falls back to BASE when the origin is gone", "[session]")
{
    TempDir tmp;
    tmp.write("cgroup.procs", "");
    tmp.mkdirs("user/alice/0");
    const Discovery d = tmp_hierarchy(tmp, "/user/alice/0");
    cgfs::Notes notes;
    cgfs::close_session(d, alice_session(0, "/vanished"), 77, notes);
    CHECK(tmp.read("cgroup.procs") == "77");
    CHECK_FALSE(tmp.exists("user/alice"));
    CHECK(texts(notes) == Strings{"debug|freezer: /vanished: moving back: open vanished: No such file or directory"});
}

TEST_CASE("session: close leaves a busy session and the user directory", "[session]")
{
    TempDir tmp;
    tmp.mkdirs("user/alice/0");
    tmp.write("user/alice/0/cgroup.procs", "99\n");
    const Discovery d = tmp_hierarchy(tmp, "/");
    cgfs::Notes notes;
    cgfs::close_session(d, alice_session(0), 1, notes);
    CHECK(tmp.exists("user/alice/0/cgroup.procs"));
    CHECK(texts(notes) == Strings{"debug|freezer: /user/alice/0: still in use, left in place"});
}

TEST_CASE("session: close touches nothing for in-place and already delegated hierarchies", "[session]")
{
    TempDir tmp;
    tmp.mkdirs("user/alice/0");
    const Discovery d = tmp_hierarchy(tmp, "/user/alice/0");
    for (const Placement p : {Placement::systemd_in_place, Placement::already_delegated}) {
        SessionRecord r = alice_session(0);
        r.hierarchies[0].placement = p;
        cgfs::Notes notes;
        cgfs::close_session(d, r, 1, notes);
        CHECK(tmp.exists("user/alice/0"));
        CHECK(notes.empty());
    }
}

TEST_CASE("session: close of a hierarchy no longer mounted is a debug note", "[session]")
{
    const Discovery none;
    cgfs::Notes notes;
    cgfs::close_session(none, alice_session(0), 1, notes);
    CHECK(texts(notes) == Strings{"debug|freezer: not mounted any more, nothing to close"});
    cgfs::Notes empty_notes;
    cgfs::close_session(none, SessionRecord{}, 1, empty_notes);
    CHECK(empty_notes.empty());
}

TEST_CASE("session: tree_populated sees a process anywhere below, v1 style", "[session]")
{
    TempDir tmp;
    tmp.mkdirs("0/lxc.payload.c1/init.scope");
    tmp.mkdirs("0/empty");
    tmp.write("0/cgroup.procs", "\n");
    tmp.write("0/empty/cgroup.procs", "");
    tmp.write("0/lxc.payload.c1/cgroup.procs", "");
    tmp.write("0/lxc.payload.c1/init.scope/cgroup.procs", "4242\n");
    const cgfs::UniqueFd busy(::openat(tmp.fd(), "0", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    CHECK(cgfs::tree_populated(busy.get()));
    const cgfs::UniqueFd empty(::openat(tmp.fd(), "0/empty", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    CHECK_FALSE(cgfs::tree_populated(empty.get()));
}

TEST_CASE("session: tree_populated trusts cgroup2's cgroup.events", "[session]")
{
    TempDir tmp;
    tmp.mkdirs("0/init.scope");
    tmp.write("0/cgroup.events", "populated 0\nfrozen 0\n");
    tmp.write("0/init.scope/cgroup.procs", "4242\n"); // not read: cgroup.events covers the subtree
    const cgfs::UniqueFd idle(::openat(tmp.fd(), "0", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    CHECK_FALSE(cgfs::tree_populated(idle.get()));
    tmp.write("0/cgroup.events", "populated 1\nfrozen 0\n");
    CHECK(cgfs::tree_populated(idle.get()));
}

TEST_CASE("session: tree_populated counts what it cannot read as populated", "[session]")
{
    TempDir tmp;
    make_chain(tmp, "0", cgfs::kMaxTreeDepth + 2);
    const cgfs::UniqueFd deep(::openat(tmp.fd(), "0", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    CHECK(cgfs::tree_populated(deep.get()));
}

TEST_CASE("session: reap_stale_sessions removes empty sessions older than the start; a dry run only names them",
          "[session]")
{
    TempDir tmp;
    tmp.mkdirs("user/alice/0/c1");
    tmp.write("user/alice/0/cgroup.procs", "");
    tmp.write("user/alice/0/c1/cgroup.procs", "");
    tmp.mkdirs("user/alice/1");
    tmp.write("user/alice/1/cgroup.procs", "4242\n"); // still runs something
    tmp.mkdirs("user/alice/2");
    tmp.mkdirs("user/alice/lxc.payload.c"); // not a session index: never touched
    const cgfs::UniqueFd user_dir(::open(tmp.path("user/alice").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    timespec later{};
    ::clock_gettime(CLOCK_REALTIME_COARSE, &later);
    later.tv_sec += 2;

    cgfs::Notes notes;
    auto dry = cgfs::reap_stale_sessions(user_dir.get(), "freezer: /user/alice", later, cgfs::ReapMode::dry_run, notes);
    std::sort(dry.removed.begin(), dry.removed.end());
    CHECK(dry.removed == std::vector<long>{0, 2});
    CHECK(dry.kept == std::set<long>{1});
    CHECK(notes.empty());
    CHECK(tmp.exists("user/alice/0/c1"));
    CHECK(tmp.exists("user/alice/2"));

    // Sessions newer than the start are a concurrent login's: kept.
    const timespec long_ago{1, 0};
    auto early =
        cgfs::reap_stale_sessions(user_dir.get(), "freezer: /user/alice", long_ago, cgfs::ReapMode::remove, notes);
    CHECK(early.removed.empty());
    CHECK(early.kept == std::set<long>{0, 1, 2});

    // The plain files stand in for kernel files here, so rmdir of 0 and 1 fails; 2 is empty.
    auto reaped =
        cgfs::reap_stale_sessions(user_dir.get(), "freezer: /user/alice", later, cgfs::ReapMode::remove, notes);
    CHECK(reaped.removed == std::vector<long>{2});
    CHECK(reaped.kept == std::set<long>{0, 1});
    CHECK_FALSE(tmp.exists("user/alice/2"));
    CHECK(tmp.exists("user/alice/lxc.payload.c"));
}

TEST_CASE("session: reap_if_stale tells a missing, a live and a removed session apart", "[session]")
{
    TempDir tmp;
    tmp.mkdirs("user/alice/3");
    tmp.write("user/alice/3/cgroup.procs", "4242\n");
    tmp.mkdirs("user/alice/5");
    const cgfs::UniqueFd user_dir(::open(tmp.path("user/alice").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    timespec later{};
    ::clock_gettime(CLOCK_REALTIME_COARSE, &later);
    later.tv_sec += 2;
    const timespec long_ago{1, 0};
    cgfs::Notes notes;
    CHECK(cgfs::reap_if_stale(user_dir.get(), "4", "freezer: /user/alice", later, notes) == cgfs::Staleness::missing);
    CHECK(cgfs::reap_if_stale(user_dir.get(), "3", "freezer: /user/alice", later, notes) == cgfs::Staleness::live);
    // Newer than the start: a concurrent login's, live.
    CHECK(cgfs::reap_if_stale(user_dir.get(), "5", "freezer: /user/alice", long_ago, notes) == cgfs::Staleness::live);
    CHECK(notes.empty());
    CHECK(cgfs::reap_if_stale(user_dir.get(), "5", "freezer: /user/alice", later, notes) == cgfs::Staleness::removed);
    CHECK(texts(notes) == Strings{"debug|freezer: /user/alice/5: stale, removed"});
    CHECK(tmp.exists("user/alice/3"));
    CHECK_FALSE(tmp.exists("user/alice/5"));
}

TEST_CASE("session: holds_internal_processes asks cgroup.procs below the root only", "[session]")
{
    TempDir tmp;
    tmp.mkdirs("root/base");
    tmp.write("root/cgroup.procs", "1\n"); // the root: no cgroup.type, exempt
    tmp.write("root/base/cgroup.type", "domain\n");
    tmp.write("root/base/cgroup.procs", "");
    const cgfs::UniqueFd root(::openat(tmp.fd(), "root", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    const cgfs::UniqueFd base(::openat(tmp.fd(), "root/base", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    CHECK_FALSE(cgfs::holds_internal_processes(root.get()));
    CHECK_FALSE(cgfs::holds_internal_processes(base.get()));
    // A container's init in its namespace root, as LXC starts a non-systemd init.
    std::string many;
    for (int pid = 1; pid < 100; ++pid)
        many += std::to_string(pid) + "\n";
    tmp.write("root/base/cgroup.procs", many);
    CHECK(cgfs::holds_internal_processes(base.get()));
    tmp.write("root/base/cgroup.procs", "4242\n");
    CHECK(cgfs::holds_internal_processes(base.get()));
    // Unreadable counts as holding processes: nothing is enabled on a guess.
    REQUIRE(::unlinkat(tmp.fd(), "root/base/cgroup.procs", 0) == 0);
    CHECK(cgfs::holds_internal_processes(base.get()));
}
