// Unit tests for lib/cpuset.hpp: cpu list parsing/formatting and init_cpuset on plain files in a
// throwaway directory standing in for a parent and a child v1 cpuset cgroup.
#include "cpuset.hpp"

#include "test_support.hpp"

#include <optional>
#include <vector>

using cgfs::test::TempDir;
using Cpus = std::vector<unsigned>;

TEST_CASE("cpuset: parses kernel cpu lists", "[cpuset]")
{
    CHECK(cgfs::parse_cpu_list("0-3,8,10-11\n") == Cpus{0, 1, 2, 3, 8, 10, 11});
    CHECK(cgfs::parse_cpu_list("0") == Cpus{0});
    CHECK(cgfs::parse_cpu_list("0-0") == Cpus{0});
    CHECK(cgfs::parse_cpu_list("3,1,2,1-2") == Cpus{1, 2, 3});
    CHECK(cgfs::parse_cpu_list(" 4-5 \n") == Cpus{4, 5});
    CHECK(cgfs::parse_cpu_list("65536") == Cpus{cgfs::kMaxCpuNumber});
}

TEST_CASE("cpuset: an empty list is no CPUs", "[cpuset]")
{
    CHECK(cgfs::parse_cpu_list("") == Cpus{});
    CHECK(cgfs::parse_cpu_list("\n") == Cpus{});
    CHECK(cgfs::parse_cpu_list(" \n ") == Cpus{});
}

TEST_CASE("cpuset: malformed cpu lists are refused", "[cpuset]")
{
    for (const char* text : {"65537", "0-65537", "3-1", "1,", ",1", "1,,2", "a", "-1", "1-", "-", "1-2-3", "1 2",
                             "1, 2", "0x1", "+1", "99999999999999999999", "0-3\t", "1;2", "0-4294967295"}) {
        INFO("text '" << text << "'");
        CHECK(cgfs::parse_cpu_list(text) == std::nullopt);
    }
}

TEST_CASE("cpuset: formats ranges", "[cpuset]")
{
    CHECK(cgfs::format_cpu_list({}) == "");
    CHECK(cgfs::format_cpu_list({5}) == "5");
    CHECK(cgfs::format_cpu_list({1, 2}) == "1-2");
    CHECK(cgfs::format_cpu_list({0, 2, 4}) == "0,2,4");
    CHECK(cgfs::format_cpu_list({0, 1, 2, 3, 8}) == "0-3,8");
    CHECK(cgfs::format_cpu_list({0, 1, 2, 3, 8, 10, 11}) == "0-3,8,10-11");
    CHECK(cgfs::format_cpu_list({cgfs::kMaxCpuNumber - 1, cgfs::kMaxCpuNumber}) == "65535-65536");
}

TEST_CASE("cpuset: parse and format round-trip", "[cpuset]")
{
    for (const char* text : {"", "0", "0-1", "0-3", "0-3,8,10-11", "1,3,5-7,65536", "0,2,4-5"}) {
        INFO("text '" << text << "'");
        const auto cpus = cgfs::parse_cpu_list(text);
        REQUIRE(cpus.has_value());
        CHECK(cgfs::format_cpu_list(*cpus) == text);
    }
    // Non-canonical input comes back canonical.
    CHECK(cgfs::format_cpu_list(*cgfs::parse_cpu_list("3,0-2,1\n")) == "0-3");
}

namespace {

/// parent/ and child/ as a v1 cpuset parent and a freshly made child (kernfs shows "\n" for an
/// empty cpuset file).
struct CpusetPair {
    TempDir tmp;
    cgfs::UniqueFd parent;
    cgfs::UniqueFd child;

    explicit CpusetPair(const std::string& parent_cpus = "0-3\n", const std::string& parent_mems = "0\n")
    {
        tmp.mkdirs("parent/child");
        tmp.write("parent/cpuset.cpus", parent_cpus);
        tmp.write("parent/cpuset.mems", parent_mems);
        tmp.write("parent/cgroup.clone_children", "0\n");
        tmp.write("parent/child/cpuset.cpus", "\n");
        tmp.write("parent/child/cpuset.mems", "\n");
        tmp.write("parent/child/cgroup.clone_children", "0\n");
        parent.reset(::open(tmp.path("parent").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        child.reset(::open(tmp.path("parent/child").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    }
    [[nodiscard]] std::string child_file(const std::string& name) const { return tmp.read("parent/child/" + name); }
    [[nodiscard]] std::string parent_file(const std::string& name) const { return tmp.read("parent/" + name); }
};

} // namespace

TEST_CASE("cpuset: init copies the parent's cpus and mems and sets clone_children", "[cpuset]")
{
    CpusetPair p;
    REQUIRE(cgfs::init_cpuset(p.parent.get(), p.child.get(), {}, true).ok());
    CHECK(p.child_file("cpuset.cpus") == "0-3");
    CHECK(p.child_file("cpuset.mems") == "0");
    CHECK(p.child_file("cgroup.clone_children") == "1\n");
    CHECK(p.parent_file("cpuset.cpus") == "0-3\n");
    CHECK(p.parent_file("cpuset.mems") == "0\n");
    CHECK(p.parent_file("cgroup.clone_children") == "0\n");
}

TEST_CASE("cpuset: init leaves isolated CPUs out", "[cpuset]")
{
    CpusetPair p;
    REQUIRE(cgfs::init_cpuset(p.parent.get(), p.child.get(), {1}, true).ok());
    CHECK(p.child_file("cpuset.cpus") == "0,2-3");
    CpusetPair q("0-1,4-7\n", "0-1\n");
    REQUIRE(cgfs::init_cpuset(q.parent.get(), q.child.get(), {1, 5, 9}, true).ok());
    CHECK(q.child_file("cpuset.cpus") == "0,4,6-7");
    CHECK(q.child_file("cpuset.mems") == "0-1"); // isolation is about CPUs only
}

TEST_CASE("cpuset: init keeps the parent's cpus when isolation would leave none", "[cpuset]")
{
    CpusetPair p("2-3\n");
    REQUIRE(cgfs::init_cpuset(p.parent.get(), p.child.get(), {0, 1, 2, 3}, true).ok());
    CHECK(p.child_file("cpuset.cpus") == "2-3");
}

TEST_CASE("cpuset: init leaves a child's own values and clone_children of an existing level", "[cpuset]")
{
    CpusetPair p;
    p.tmp.write("parent/child/cpuset.cpus", "2\n");
    REQUIRE(cgfs::init_cpuset(p.parent.get(), p.child.get(), {}, false).ok());
    CHECK(p.child_file("cpuset.cpus") == "2\n");
    CHECK(p.child_file("cpuset.mems") == "0");
    CHECK(p.child_file("cgroup.clone_children") == "0\n");
}

TEST_CASE("cpuset: init refuses to copy an empty parent", "[cpuset]")
{
    CpusetPair p("\n");
    const auto r = cgfs::init_cpuset(p.parent.get(), p.child.get(), {}, true);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ENOSPC);
    CHECK(r.error().context == "cpuset.cpus: the parent's is empty");
    CHECK(p.child_file("cpuset.cpus") == "\n");
    CpusetPair m("0-1\n", "\n");
    const auto mems = cgfs::init_cpuset(m.parent.get(), m.child.get(), {}, true);
    REQUIRE_FALSE(mems.ok());
    CHECK(mems.error().code == ENOSPC);
    CHECK(mems.error().context == "cpuset.mems: the parent's is empty");
}

TEST_CASE("cpuset: init reports missing files and never creates them", "[cpuset]")
{
    CpusetPair p;
    REQUIRE(::unlink(p.tmp.path("parent/child/cpuset.mems").c_str()) == 0);
    const auto r = cgfs::init_cpuset(p.parent.get(), p.child.get(), {}, true);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ENOENT);
    CHECK(r.error().context == "read cpuset.mems");
    CHECK_FALSE(p.tmp.exists("parent/child/cpuset.mems"));

    CpusetPair q;
    REQUIRE(::unlink(q.tmp.path("parent/child/cgroup.clone_children").c_str()) == 0);
    const auto c = cgfs::init_cpuset(q.parent.get(), q.child.get(), {}, true);
    REQUIRE_FALSE(c.ok());
    CHECK(c.error().code == ENOENT);
    CHECK(c.error().context == "write cgroup.clone_children");
    CHECK_FALSE(q.tmp.exists("parent/child/cgroup.clone_children"));
    // Without `created` clone_children is not needed.
    CpusetPair n;
    REQUIRE(::unlink(n.tmp.path("parent/child/cgroup.clone_children").c_str()) == 0);
    CHECK(cgfs::init_cpuset(n.parent.get(), n.child.get(), {}, false).ok());
}
