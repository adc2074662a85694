// Unit tests for lib/selection.hpp: every rule of pam_cgfs(8) OPTIONS (-c) and BEHAVIOUR PER LAYOUT
// on discoveries built from fixtures.
#include "selection.hpp"

#include "test_support.hpp"

#include <string>
#include <vector>

using cgfs::ControllerList;
using cgfs::Discovery;
using cgfs::Selection;
using cgfs::test::read_fixture;
using Strings = std::vector<std::string>;

namespace {

Discovery view(const std::string& name)
{
    return cgfs::test::fixture_discovery(name);
}

/// A pure-v2 host whose cgroup2 root offers these controllers (what discover() reads).
Discovery unified_host(Strings controllers)
{
    Discovery d = view("systemd-unified");
    REQUIRE(d.hierarchies.size() == 1);
    d.hierarchies[0].controllers = std::move(controllers);
    return d;
}

ControllerList list_of(std::string_view text)
{
    ControllerList list;
    REQUIRE(cgfs::parse_controller_list(text, list).ok());
    return list;
}

ControllerList all()
{
    ControllerList list;
    list.all = true;
    return list;
}

/// "index:enable,enable" per chosen hierarchy.
Strings chosen(const Selection& s)
{
    Strings out;
    for (const auto& c : s.chosen) {
        std::string text = std::to_string(c.index) + ":";
        for (std::size_t i = 0; i < c.enable.size(); ++i)
            text += (i ? "," : "") + c.enable[i];
        out.push_back(text);
    }
    return out;
}

/// "notice|text" / "debug|text" per note.
Strings notes(const Selection& s)
{
    Strings out;
    for (const auto& n : s.notes)
        out.push_back(std::string(n.level == cgfs::Note::Level::notice ? "notice|" : "debug|") + n.text);
    return out;
}

const Strings kAllV2 = {"cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"};

} // namespace

// ubuntu-hybrid-comounted: 0 unified, 1 name=systemd, 2 cpu,cpuacct, 3 net_cls,net_prio,
// 4 memory, 5 freezer, 6 cpuset, 7 pids.

TEST_CASE("selection: a controller selects the v1 hierarchy it is mounted in", "[selection]")
{
    const Discovery d = view("ubuntu-hybrid-comounted");
    const Selection s = cgfs::select_hierarchies(d, list_of("pids"));
    CHECK(chosen(s) == Strings{"7:"});
    CHECK(s.notes.empty());
}

TEST_CASE("selection: co-mounted controllers select their hierarchy once", "[selection]")
{
    const Discovery d = view("ubuntu-hybrid-comounted");
    CHECK(chosen(cgfs::select_hierarchies(d, list_of("cpu"))) == Strings{"2:"});
    CHECK(chosen(cgfs::select_hierarchies(d, list_of("cpuacct"))) == Strings{"2:"});
    CHECK(chosen(cgfs::select_hierarchies(d, list_of("cpu,cpuacct"))) == Strings{"2:"});
    CHECK(chosen(cgfs::select_hierarchies(d, list_of("net_prio,cpuacct,net_cls,cpu"))) == Strings{"2:", "3:"});
}

TEST_CASE("selection: chosen hierarchies are in discovery order", "[selection]")
{
    const Discovery d = view("ubuntu-hybrid-comounted");
    const Selection s = cgfs::select_hierarchies(d, list_of("freezer,memory,name=systemd,unified"));
    CHECK(chosen(s) == Strings{"0:", "1:", "4:", "5:"});
    CHECK(s.notes.empty());
}

TEST_CASE("selection: name= selects the named hierarchy", "[selection]")
{
    const Discovery d = view("ubuntu-hybrid-comounted");
    CHECK(chosen(cgfs::select_hierarchies(d, list_of("name=systemd"))) == Strings{"1:"});
    const Selection missing = cgfs::select_hierarchies(d, list_of("name=elogind"));
    CHECK(missing.chosen.empty());
    CHECK(notes(missing) == Strings{"notice|name=elogind: not mounted, skipped"});
}

TEST_CASE("selection: unified selects the cgroup2 mount on hybrid, enabling nothing", "[selection]")
{
    Discovery d = view("ubuntu-hybrid-comounted");
    d.hierarchies[0].controllers = {"hugetlb"};
    CHECK(chosen(cgfs::select_hierarchies(d, list_of("unified"))) == Strings{"0:"});
    const Selection legacy = cgfs::select_hierarchies(view("ns-legacy"), list_of("unified"));
    CHECK(legacy.chosen.empty());
    CHECK(notes(legacy) == Strings{"notice|unified: cgroup2 not mounted, skipped"});
}

TEST_CASE("selection: an unmounted controller is a notice and skipped", "[selection]")
{
    const Discovery d = view("ubuntu-hybrid-comounted");
    const Selection s = cgfs::select_hierarchies(d, list_of("cpuset,blkio"));
    CHECK(chosen(s) == Strings{"6:"});
    CHECK(notes(s) == Strings{"notice|blkio: not mounted, skipped"});
    // On hybrid, a cgroup2-only controller is not a v1 mount either.
    const Selection io = cgfs::select_hierarchies(d, list_of("io"));
    CHECK(io.chosen.empty());
    CHECK(notes(io) == Strings{"notice|io: not mounted, skipped"});
}

TEST_CASE("selection: all selects every hierarchy, cgroup2 with its controllers", "[selection]")
{
    Discovery d = view("ubuntu-hybrid-comounted");
    d.hierarchies[0].controllers = {"hugetlb"};
    const Selection s = cgfs::select_hierarchies(d, all());
    CHECK(chosen(s) == Strings{"0:hugetlb", "1:", "2:", "3:", "4:", "5:", "6:", "7:"});
    CHECK(s.notes.empty());
    const Selection host = cgfs::select_hierarchies(view("host-hybrid"), all());
    CHECK(chosen(host) == Strings{"0:", "1:", "2:", "3:", "4:", "5:", "6:", "7:", "8:", "9:"});
    const Selection legacy = cgfs::select_hierarchies(view("ns-legacy"), all());
    CHECK(chosen(legacy) == Strings{"0:", "1:", "2:", "3:", "4:", "5:", "6:", "7:", "8:"});
}

TEST_CASE("selection: nothing mounted selects nothing", "[selection]")
{
    const Discovery none;
    CHECK(cgfs::select_hierarchies(none, all()).chosen.empty());
    const Selection s = cgfs::select_hierarchies(none, list_of("freezer,name=systemd"));
    CHECK(s.chosen.empty());
    CHECK(notes(s) == Strings{"notice|freezer: not mounted, skipped", "notice|name=systemd: not mounted, skipped"});
}

TEST_CASE("selection: unified-only, the Debian default line delegates a usable subtree", "[selection]")
{
    const Discovery d = unified_host(kAllV2);
    const Selection s = cgfs::select_hierarchies(d, list_of("freezer,memory,name=systemd"));
    CHECK(chosen(s) == Strings{"0:memory"});
    CHECK(notes(s) == Strings{"debug|name=systemd: named hierarchies do not exist on cgroup2, skipped"});
}

TEST_CASE("selection: unified-only, freezer is built in", "[selection]")
{
    const Selection s = cgfs::select_hierarchies(unified_host({}), list_of("freezer"));
    CHECK(chosen(s) == Strings{"0:"});
    CHECK(s.notes.empty());
}

TEST_CASE("selection: unified-only, blkio means io", "[selection]")
{
    const Discovery d = unified_host(kAllV2);
    CHECK(chosen(cgfs::select_hierarchies(d, list_of("blkio"))) == Strings{"0:io"});
    CHECK(chosen(cgfs::select_hierarchies(d, list_of("blkio,io"))) == Strings{"0:io"});
    CHECK(chosen(cgfs::select_hierarchies(d, list_of("pids,blkio,cpu,pids"))) == Strings{"0:pids,io,cpu"});
    const Selection without = cgfs::select_hierarchies(unified_host({"memory"}), list_of("blkio"));
    CHECK(without.chosen.empty());
    CHECK(notes(without) == Strings{"notice|blkio: not available on cgroup2, skipped"});
}

TEST_CASE("selection: unified-only, a controller cgroup2 does not offer is a notice", "[selection]")
{
    const Selection s = cgfs::select_hierarchies(unified_host(kAllV2), list_of("net_cls,cpuacct,memory"));
    CHECK(chosen(s) == Strings{"0:memory"});
    CHECK(notes(s) == Strings{"notice|net_cls: not available on cgroup2, skipped",
                              "notice|cpuacct: not available on cgroup2, skipped"});
    // The captured pure-v2 view: this machine's cgroup2 offers no controller to children.
    const Selection captured = cgfs::select_hierarchies(view("ns-unified"), list_of("memory"));
    CHECK(captured.chosen.empty());
    CHECK(notes(captured) == Strings{"notice|memory: not available on cgroup2, skipped"});
}

TEST_CASE("selection: unified-only, name= alone selects nothing", "[selection]")
{
    const Selection s = cgfs::select_hierarchies(unified_host(kAllV2), list_of("name=systemd"));
    CHECK(s.chosen.empty());
    CHECK(notes(s) == Strings{"debug|name=systemd: named hierarchies do not exist on cgroup2, skipped"});
}

TEST_CASE("selection: unified-only, unified and all", "[selection]")
{
    const Discovery d = unified_host(kAllV2);
    CHECK(chosen(cgfs::select_hierarchies(d, list_of("unified"))) == Strings{"0:"});
    CHECK(chosen(cgfs::select_hierarchies(d, list_of("unified,memory"))) == Strings{"0:memory"});
    CHECK(chosen(cgfs::select_hierarchies(d, all())) == Strings{"0:cpuset,cpu,io,memory,hugetlb,pids,rdma,misc"});
    CHECK(chosen(cgfs::select_hierarchies(unified_host({}), all())) == Strings{"0:"});
    CHECK(chosen(cgfs::select_hierarchies(view("lxc-attach-unified"), list_of("freezer"))) == Strings{"0:"});
}
