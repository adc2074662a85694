// Unit tests for lib/delegation.hpp: the delegated file list, and delegate_cgroup /
// on a throwaway directory laid out like a cgroup (chown needs root).
#include "delegation.hpp"

#include "test_support.hpp"

#include <cerrno>
#include <string>
#include <vector>

using cgfs::CgroupVersion;
using cgfs::OwnerChange;
using cgfs::test::owner_of;
using cgfs::test::TempDir;
using Strings = std::vector<std::string>;

namespace {

/// "file:uid:gid" per recorded change ("." for the directory itself).
Strings show(const std::vector<OwnerChange>& changes)
{
    Strings out;
    for (const auto& c : changes)
        out.push_back((c.file.empty() ? std::string(".") : c.file) + ":" + std::to_string(c.old_uid) + ":" +
                      std::to_string(c.old_gid));
    return out;
}

/// A v1-like cgroup directory: the two delegated files and two that must stay root's.
void lay_out_v1(const TempDir& tmp)
{
    for (const char* f : {"tasks", "cgroup.procs", "notify_on_release", "memory.limit_in_bytes"})
        tmp.write(f, "");
}

} // namespace

TEST_CASE("delegation: v1 delegates tasks and cgroup.procs", "[delegation]")
{
    CHECK(cgfs::delegated_files(CgroupVersion::v1, "") == Strings{"tasks", "cgroup.procs"});
    CHECK(cgfs::delegated_files(CgroupVersion::v1, "cgroup.procs\ncgroup.threads\n") ==
          Strings{"tasks", "cgroup.procs"});
}

TEST_CASE("delegation: cgroup2 delegates the kernel's list", "[delegation]")
{
    // This machine's /sys/kernel/cgroup/delegate, verbatim.
    const std::string host = "cgroup.procs\ncgroup.threads\ncgroup.subtree_control\nmemory.oom.group\nmemory.reclaim\n";
    CHECK(cgfs::delegated_files(CgroupVersion::v2, host) ==
          Strings{"cgroup.procs", "cgroup.threads", "cgroup.subtree_control", "memory.oom.group", "memory.reclaim"});
    CHECK(cgfs::delegated_files(CgroupVersion::v2, "cgroup.procs\ncgroup.threads") ==
          Strings{"cgroup.procs", "cgroup.threads"});
}

TEST_CASE("delegation: implausible kernel list entries are ignored", "[delegation]")
{
    CHECK(cgfs::delegated_files(CgroupVersion::v2,
                                "cgroup.procs\n../../etc/passwd\nevil/x.y\ntasks\n.x\nx.\n\nmemory.oom.group") ==
          Strings{"cgroup.procs", "memory.oom.group"});
}

TEST_CASE("delegation: cgroup2 falls back when the kernel list is empty or useless", "[delegation]")
{
    const Strings fallback{"cgroup.procs", "cgroup.threads", "cgroup.subtree_control"};
    CHECK(cgfs::delegated_files(CgroupVersion::v2, "") == fallback);
    CHECK(cgfs::delegated_files(CgroupVersion::v2, "\n\n") == fallback);
    CHECK(cgfs::delegated_files(CgroupVersion::v2, "tasks\n/x.y\n") == fallback);
}

TEST_CASE("delegation: chowns exactly the directory and the delegated files", "[delegation]")
{
    // chown needs root; the suite runs as root (tests/run-suite refuses otherwise), so a
    // non-root run fails here rather than passing without checking anything.
    REQUIRE(cgfs::test::is_root());
    TempDir tmp;
    lay_out_v1(tmp);
    std::vector<OwnerChange> changes;
    REQUIRE(cgfs::delegate_cgroup(tmp.fd(), cgfs::delegated_files(CgroupVersion::v1, ""), 1000, 1000, changes).ok());
    CHECK(owner_of(tmp.path()) == "1000:1000");
    CHECK(owner_of(tmp.path("tasks")) == "1000:1000");
    CHECK(owner_of(tmp.path("cgroup.procs")) == "1000:1000");
    CHECK(owner_of(tmp.path("notify_on_release")) == "0:0");
    CHECK(owner_of(tmp.path("memory.limit_in_bytes")) == "0:0");
    CHECK(show(changes) == Strings{"tasks:0:0", "cgroup.procs:0:0", ".:0:0"});
}

TEST_CASE("delegation: missing files are skipped", "[delegation]")
{
    // chown needs root; the suite runs as root (tests/run-suite refuses otherwise), so a
    // non-root run fails here rather than passing without checking anything.
    REQUIRE(cgfs::test::is_root());
    TempDir tmp;
    for (const char* f : {"cgroup.procs", "cgroup.threads", "cgroup.subtree_control", "cgroup.controllers"})
        tmp.write(f, "");
    std::vector<OwnerChange> changes;
    const Strings files = {"cgroup.procs", "cgroup.threads", "cgroup.subtree_control", "memory.oom.group",
                           "memory.reclaim"};
    REQUIRE(cgfs::delegate_cgroup(tmp.fd(), files, 1000, 1000, changes).ok());
    CHECK(show(changes) == Strings{"cgroup.procs:0:0", "cgroup.threads:0:0", "cgroup.subtree_control:0:0", ".:0:0"});
    CHECK(owner_of(tmp.path("cgroup.controllers")) == "0:0");
    CHECK_FALSE(tmp.exists("memory.oom.group"));
}

TEST_CASE("delegation: a new cgroup gets exactly its directory and delegated files, missing ones skipped",
          "[delegation]")
{
    // chown needs root; the suite runs as root (tests/run-suite refuses otherwise).
    REQUIRE(cgfs::test::is_root());
    TempDir tmp;
    lay_out_v1(tmp);
    REQUIRE(cgfs::delegate_new_cgroup(tmp.fd(), {"tasks", "cgroup.procs", "memory.oom.group"}, 1000, 1000).ok());
    CHECK(owner_of(tmp.path()) == "1000:1000");
    CHECK(owner_of(tmp.path("tasks")) == "1000:1000");
    CHECK(owner_of(tmp.path("cgroup.procs")) == "1000:1000");
    CHECK(owner_of(tmp.path("notify_on_release")) == "0:0");
    CHECK(owner_of(tmp.path("memory.limit_in_bytes")) == "0:0");
    CHECK_FALSE(tmp.exists("memory.oom.group"));
}

TEST_CASE("delegation: a new cgroup's delegation stops at the first error and names the file", "[delegation]")
{
    REQUIRE(cgfs::test::is_root());
    TempDir tmp;
    lay_out_v1(tmp);
    const std::string too_long(300, 'x');
    auto r = cgfs::delegate_new_cgroup(tmp.fd(), {"tasks", too_long, "cgroup.procs"}, 1000, 1000);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ENAMETOOLONG);
    CHECK(r.error().context == "chown " + too_long);
    CHECK(owner_of(tmp.path("tasks")) == "1000:1000");
    CHECK(owner_of(tmp.path("cgroup.procs")) == "0:0");
    CHECK(owner_of(tmp.path()) == "0:0");
}

TEST_CASE("delegation: files already owned are not recorded", "[delegation]")
{
    // chown needs root; the suite runs as root (tests/run-suite refuses otherwise), so a
    // non-root run fails here rather than passing without checking anything.
    REQUIRE(cgfs::test::is_root());
    TempDir tmp;
    lay_out_v1(tmp);
    REQUIRE(::chown(tmp.path("tasks").c_str(), 1000, 1000) == 0);
    REQUIRE(::chown(tmp.path("cgroup.procs").c_str(), 1000, 0) == 0); // right uid, wrong gid
    std::vector<OwnerChange> changes;
    REQUIRE(cgfs::delegate_cgroup(tmp.fd(), {"tasks", "cgroup.procs"}, 1000, 1000, changes).ok());
    CHECK(show(changes) == Strings{"cgroup.procs:1000:0", ".:0:0"});
    std::vector<OwnerChange> again;
    REQUIRE(cgfs::delegate_cgroup(tmp.fd(), {"tasks", "cgroup.procs"}, 1000, 1000, again).ok());
    CHECK(again.empty());
}

TEST_CASE("delegation: a symlink is chowned itself, never its target", "[delegation]")
{
    // chown needs root; the suite runs as root (tests/run-suite refuses otherwise), so a
    // non-root run fails here rather than passing without checking anything.
    REQUIRE(cgfs::test::is_root());
    TempDir tmp;
    TempDir elsewhere;
    elsewhere.write("shadow", "");
    REQUIRE(::symlink(elsewhere.path("shadow").c_str(), tmp.path("cgroup.procs").c_str()) == 0);
    std::vector<OwnerChange> changes;
    REQUIRE(cgfs::delegate_cgroup(tmp.fd(), {"cgroup.procs"}, 1000, 1000, changes).ok());
    CHECK(owner_of(elsewhere.path("shadow")) == "0:0");
    CHECK(owner_of(tmp.path("cgroup.procs")) == "1000:1000");
}

TEST_CASE("delegation: an error reports the changes made so far", "[delegation]")
{
    // chown needs root; the suite runs as root (tests/run-suite refuses otherwise), so a
    // non-root run fails here rather than passing without checking anything.
    REQUIRE(cgfs::test::is_root());
    TempDir tmp;
    lay_out_v1(tmp);
    const std::string too_long(300, 'x'); // fstatat: ENAMETOOLONG, not a skippable ENOENT
    std::vector<OwnerChange> changes;
    const auto r = cgfs::delegate_cgroup(tmp.fd(), {"tasks", too_long, "cgroup.procs"}, 1000, 1000, changes);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ENAMETOOLONG);
    CHECK(r.error().context == "stat " + too_long);
    CHECK(show(changes) == Strings{"tasks:0:0"});
    CHECK(owner_of(tmp.path()) == "0:0"); // the directory comes last
}

TEST_CASE("delegation: user/<name> gives the user cgroup.procs on cgroup2 only", "[delegation]")
{
    CHECK(cgfs::user_dir_files(CgroupVersion::v2) == Strings{"cgroup.procs"});
    CHECK(cgfs::user_dir_files(CgroupVersion::v1).empty());
}

TEST_CASE("delegation: give_files chowns the named files only, never the directory", "[delegation]")
{
    REQUIRE(cgfs::test::is_root());
    TempDir tmp;
    lay_out_v1(tmp);
    REQUIRE(cgfs::give_files(tmp.fd(), {"cgroup.procs", "missing.file"}, 1000, 1000).ok());
    CHECK(owner_of(tmp.path()) == "0:0");
    CHECK(owner_of(tmp.path("cgroup.procs")) == "1000:1000");
    CHECK(owner_of(tmp.path("tasks")) == "0:0");
    // And back, as a user/<name> left the user's is taken back.
    REQUIRE(cgfs::give_files(tmp.fd(), {"cgroup.procs", "tasks"}, 0, 0).ok());
    CHECK(owner_of(tmp.path("cgroup.procs")) == "0:0");
    auto bad = cgfs::give_files(-1, {"tasks"}, 1000, 1000);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == EBADF);
    CHECK(bad.error().context == "stat tasks");
}
