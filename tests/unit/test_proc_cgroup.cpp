// Unit tests for lib/proc_cgroup.hpp: /proc/<pid>/cgroup parsing on captured and synthetic text.
#include "proc_cgroup.hpp"

#include "test_support.hpp"

#include <string>
#include <vector>

using cgfs::CgroupTable;
using cgfs::test::read_fixture;

namespace {

/// One line as "id|controller,controller|name|path|v2 or v1".
std::string show(const cgfs::CgroupLine& l)
{
    std::string controllers;
    for (const auto& c : l.controllers) {
        if (!controllers.empty())
            controllers += ',';
        controllers += c;
    }
    return std::to_string(l.hierarchy_id) + "|" + controllers + "|" + l.name + "|" + l.path + "|" +
           (l.is_unified() ? "v2" : "v1");
}

std::vector<std::string> show_all(const CgroupTable& t)
{
    std::vector<std::string> out;
    for (const auto& l : t.lines)
        out.push_back(show(l));
    return out;
}

} // namespace

TEST_CASE("proc_cgroup: parses the captured hybrid host", "[proc_cgroup]")
{
    const CgroupTable t = cgfs::parse_proc_cgroup(read_fixture("hierarchy/host-hybrid/self_cgroup"));
    CHECK(t.skipped == 0);
    CHECK(show_all(t) == std::vector<std::string>{
                             "9||systemd|/|v1",
                             "8|pids||/|v1",
                             "7|blkio||/|v1",
                             "6|freezer||/|v1",
                             "5|devices||/|v1",
                             "4|memory||/process_api/a01a3dfc6b15d6366d0eaca9cc20e8d8|v1",
                             "3|cpuset||/|v1",
                             "2|cpuacct||/|v1",
                             "1|cpu||/|v1",
                             "0|||/|v2",
                         });
}

TEST_CASE("proc_cgroup: parses a captured cgroup namespace view", "[proc_cgroup]")
{
    const CgroupTable t = cgfs::parse_proc_cgroup(read_fixture("hierarchy/ns-hybrid/self_cgroup"));
    CHECK(t.skipped == 0);
    REQUIRE(t.lines.size() == 10);
    CHECK(show(t.lines[3]) == "6|freezer||/sub|v1");
    CHECK(show(t.lines[9]) == "0|||/sub|v2");
}

TEST_CASE("proc_cgroup: large ids, co-mounted controllers, colons and deleted cgroups", "[proc_cgroup]")
{
    const CgroupTable t = cgfs::parse_proc_cgroup(read_fixture("proc_cgroup/odd.cgroup"));
    CHECK(t.skipped == 0);
    CHECK(show_all(t) == std::vector<std::string>{
                             "4294967295|cpuset||/|v1",
                             "12|pids||/user.slice/user-1000.slice/session-2.scope|v1",
                             "7|freezer||/lxc/c1:with:colons|v1",
                             "1||systemd|/user.slice/user-1000.slice/session-2.scope|v1",
                             "4|cpu,cpuacct||/|v1",
                             "3|net_cls,net_prio||/|v1",
                             "5|rdma|odd|/x|v1",
                             "0|||/.lxc|v2",
                         });
}

TEST_CASE("proc_cgroup: a systemd pure-v2 session line", "[proc_cgroup]")
{
    const CgroupTable t = cgfs::parse_proc_cgroup(read_fixture("hierarchy/systemd-unified/self_cgroup"));
    CHECK(t.skipped == 0);
    CHECK(show_all(t) == std::vector<std::string>{"0|||/user.slice/user-1000.slice/session-2.scope|v2"});
}

TEST_CASE("proc_cgroup: counts malformed lines and keeps the good ones", "[proc_cgroup]")
{
    const CgroupTable t = cgfs::parse_proc_cgroup(read_fixture("proc_cgroup/malformed.cgroup"));
    CHECK(show_all(t) == std::vector<std::string>{"9|blkio||/ok|v1"});
    CHECK(t.skipped == 8);
}

TEST_CASE("proc_cgroup: strips one deleted suffix and nothing else", "[proc_cgroup]")
{
    CHECK(show_all(cgfs::parse_proc_cgroup("0::/ (deleted)\n")) == std::vector<std::string>{"0|||/|v2"});
    CHECK(show_all(cgfs::parse_proc_cgroup("0::/a (deleted) (deleted)\n")) ==
          std::vector<std::string>{"0|||/a (deleted)|v2"});
    CHECK(show_all(cgfs::parse_proc_cgroup("0::/a(deleted)\n")) == std::vector<std::string>{"0|||/a(deleted)|v2"});
    const CgroupTable only = cgfs::parse_proc_cgroup("0:: (deleted)\n");
    CHECK(only.lines.empty());
    CHECK(only.skipped == 1);
}

TEST_CASE("proc_cgroup: namespace paths above the root are kept verbatim", "[proc_cgroup]")
{
    CHECK(show_all(cgfs::parse_proc_cgroup("0::/../sibling\n6:freezer:/..\n")) ==
          std::vector<std::string>{"0|||/../sibling|v2", "6|freezer||/..|v1"});
}

TEST_CASE("proc_cgroup: empty controller items and a v1 line without controllers", "[proc_cgroup]")
{
    const CgroupTable t = cgfs::parse_proc_cgroup("3:,cpu,,cpuacct,:/\n3::/x\n");
    CHECK(t.skipped == 0);
    // Id 3 with an empty list is not the cgroup2 line: only id 0 is.
    CHECK(show_all(t) == std::vector<std::string>{"3|cpu,cpuacct||/|v1", "3|||/x|v1"});
}

TEST_CASE("proc_cgroup: empty input and no final newline", "[proc_cgroup]")
{
    CHECK(cgfs::parse_proc_cgroup("").lines.empty());
    CHECK(cgfs::parse_proc_cgroup("").skipped == 0);
    CHECK(cgfs::parse_proc_cgroup("\n").skipped == 0);
    CHECK(show_all(cgfs::parse_proc_cgroup("0::/x")) == std::vector<std::string>{"0|||/x|v2"});
}
