// Unit tests for lib/user_name.hpp: every refusal of pam_cgfs(8) SECURITY and names that must pass.
#include "user_name.hpp"

#include <catch2/catch.hpp>

#include <cerrno>
#include <string>

namespace {

/// "" when accepted, else "errno|context".
std::string check(const std::string& name)
{
    const auto r = cgfs::validate_user_name(name);
    if (r.ok())
        return "";
    return std::to_string(r.error().code) + "|" + r.error().context;
}

std::string refused(const std::string& context)
{
    return std::to_string(EINVAL) + "|" + context;
}

} // namespace

TEST_CASE("user_name: accepts ordinary names", "[user_name]")
{
    for (const std::string name :
         {"alice", "a.b", "user-1000", "root", "_apt", "Debian-exim", "user@example.com", "a", "x.y.z", "memory",
          "cgroup", "tasks2", "Tasks", "cpux.y", "io", ".hidden", "...", "\xc3\xa9lodie", "a b"}) {
        INFO("name '" << name << "'");
        CHECK(check(name) == "");
    }
    CHECK(check(std::string(255, 'a')) == "");
}

TEST_CASE("user_name: refuses C1 controls and bytes that are not UTF-8", "[user_name]")
{
    for (const std::string& name :
         {std::string("x\xc2\x9b"
                      "2Jy"),
          std::string("csi\x9b"), std::string("\xc3"), std::string("a\xc2\x85"), std::string("\xff\xfe")}) {
        INFO("name of " << name.size() << " bytes");
        CHECK(check(name) == refused("user name contains a C1 control character or bytes that are not UTF-8"));
    }
}

TEST_CASE("user_name: refuses empty, dot and dot-dot", "[user_name]")
{
    CHECK(check("") == refused("user name is empty"));
    CHECK(check(".") == refused("user name '.' is not a directory name"));
    CHECK(check("..") == refused("user name '..' is not a directory name"));
}

TEST_CASE("user_name: refuses names longer than NAME_MAX", "[user_name]")
{
    CHECK(check(std::string(256, 'a')) == refused("user name is longer than 255 bytes"));
    CHECK(check(std::string(4096, 'a')) == refused("user name is longer than 255 bytes"));
}

TEST_CASE("user_name: refuses slashes and control characters", "[user_name]")
{
    CHECK(check("a/b") == refused("user name contains '/'"));
    CHECK(check("/") == refused("user name contains '/'"));
    CHECK(check("../etc") == refused("user name contains '/'"));
    for (const std::string& name : {std::string("a\nb"), std::string("tab\t"), std::string("\x7f"),
                                    std::string("x\x1f"), std::string("nul\0x", 5), std::string("\r")}) {
        INFO("name of " << name.size() << " bytes");
        CHECK(check(name) == refused("user name contains a control character"));
    }
}

TEST_CASE("user_name: refuses cgroup kernel file names", "[user_name]")
{
    for (const std::string name : {"tasks", "notify_on_release", "release_agent"}) {
        INFO(name);
        CHECK(check(name) == refused("user name '" + name + "' is a cgroup kernel file name"));
    }
}

TEST_CASE("user_name: refuses controller-prefixed names", "[user_name]")
{
    for (const std::string name :
         {"cgroup.procs",       "cgroup.",      "cgroup.x",      "cpu.weight",    "cpuacct.usage",
          "cpuset.cpus",        "memory.max",   "devices.allow", "freezer.state", "net_cls.classid",
          "net_prio.ifpriomap", "blkio.weight", "io.max",        "perf_event.x",  "hugetlb.2MB.max",
          "pids.max",           "rdma.max",     "misc.max",      "debug.x",       "cpu.pressure"}) {
        INFO(name);
        CHECK(check(name) == refused("user name '" + name + "' collides with cgroup kernel files"));
    }
}

TEST_CASE("user_name: refuses kernel files of newer kernels (dmem.*, irq.pressure)", "[user_name]")
{
    // Linux 6.14 added the dmem controller (dmem.max, dmem.min, dmem.low, dmem.current,
    // dmem.capacity); cgroup-v2.rst lists irq.pressure (Linux 6.2+). Both name files in a
    // cgroup2 directory, so a user of that name collides with them (pam_cgfs(8) SECURITY).
    for (const std::string name : {"dmem.max", "dmem.current", "irq.pressure"}) {
        INFO(name);
        CHECK(check(name) == refused("user name '" + name + "' collides with cgroup kernel files"));
    }
}
