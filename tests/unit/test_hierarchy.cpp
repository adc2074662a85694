// Unit tests for lib/hierarchy.hpp: build_discovery on every captured and synthetic view (exact
// hierarchies), the cgroup path helpers, and discover() read-only on this machine.
#include "hierarchy.hpp"

#include "fs.hpp"
#include "test_support.hpp"

#include <string>
#include <vector>

using cgfs::CgroupVersion;
using cgfs::Discovery;
using cgfs::Hierarchy;
using cgfs::Layout;
using cgfs::test::read_fixture;

namespace {

/// "v1|label|mount_point|mount_root|self_cgroup|init_cgroup"
std::string show(const Hierarchy& h)
{
    return std::string(h.version == CgroupVersion::v1 ? "v1" : "v2") + "|" + h.label() + "|" + h.mount_point + "|" +
           h.mount_root + "|" + h.self_cgroup + "|" + h.init_cgroup;
}

std::vector<std::string> show_all(const Discovery& d)
{
    std::vector<std::string> out;
    for (const auto& h : d.hierarchies)
        out.push_back(show(h));
    return out;
}

std::vector<std::string> note_texts(const cgfs::Notes& notes, cgfs::Note::Level level)
{
    std::vector<std::string> out;
    for (const auto& n : notes)
        if (n.level == level)
            out.push_back(n.text);
    return out;
}

Discovery view(const std::string& name)
{
    return cgfs::test::fixture_discovery(name);
}

Hierarchy make(CgroupVersion version, std::string mount_root, std::string init, std::string self = "/")
{
    Hierarchy h;
    h.version = version;
    if (version == CgroupVersion::v1)
        h.controllers = {"freezer"};
    h.mount_point = "/sys/fs/cgroup/freezer";
    h.mount_root = std::move(mount_root);
    h.init_cgroup = std::move(init);
    h.self_cgroup = std::move(self);
    return h;
}

const std::string kSession = "/user.slice/user-1000.slice/session-2.scope";

} // namespace

TEST_CASE("hierarchy: captured hybrid host", "[hierarchy]")
{
    const Discovery d = view("host-hybrid");
    CHECK(d.layout == Layout::hybrid);
    CHECK(show_all(d) == std::vector<std::string>{
                             "v1|cpu|/sys/fs/cgroup/cpu|/|/|/",
                             "v1|cpuacct|/sys/fs/cgroup/cpuacct|/|/|/",
                             "v1|cpuset|/sys/fs/cgroup/cpuset|/|/|/",
                             "v1|memory|/sys/fs/cgroup/memory|/|/process_api/a01a3dfc6b15d6366d0eaca9cc20e8d8|/",
                             "v1|devices|/sys/fs/cgroup/devices|/|/|/",
                             "v1|freezer|/sys/fs/cgroup/freezer|/|/|/",
                             "v1|blkio|/sys/fs/cgroup/blkio|/|/|/",
                             "v1|pids|/sys/fs/cgroup/pids|/|/|/",
                             "v1|name=systemd|/sys/fs/cgroup/systemd|/|/|/",
                             "v2|unified|/sys/fs/cgroup/unified|/|/|/",
                         });
    CHECK(d.notes.empty());
    const Hierarchy& systemd = d.hierarchies[8];
    CHECK(systemd.controllers.empty());
    CHECK(systemd.name == "systemd");
    CHECK(d.hierarchies[9].controllers.empty()); // cgroup2's are read by discover(), not here
    CHECK_FALSE(d.hierarchies[0].root.valid());  // no fd is opened by the pure part
}

TEST_CASE("hierarchy: captured pure cgroup2 view in a cgroup namespace", "[hierarchy]")
{
    const Discovery d = view("ns-unified");
    CHECK(d.layout == Layout::unified);
    // The v1 lines of /proc/self/cgroup have no mount: they are not hierarchies of this view.
    CHECK(show_all(d) == std::vector<std::string>{"v2|unified|/sys/fs/cgroup|/|/sub|/"});
    CHECK(d.notes.empty());
}

TEST_CASE("hierarchy: captured hybrid view in a cgroup namespace, freezer mounted twice", "[hierarchy]")
{
    const Discovery d = view("ns-hybrid");
    CHECK(d.layout == Layout::hybrid);
    // freezer is also bind-mounted with root /sub at /sys/fs/cgroup/freezer-sub: the mount with
    // the shortest root that holds the caller's cgroup wins.
    CHECK(show_all(d) == std::vector<std::string>{
                             "v1|cpu|/sys/fs/cgroup/cpu|/|/|/",
                             "v1|cpuacct|/sys/fs/cgroup/cpuacct|/|/|/",
                             "v1|cpuset|/sys/fs/cgroup/cpuset|/|/|/",
                             "v1|memory|/sys/fs/cgroup/memory|/|/|/",
                             "v1|devices|/sys/fs/cgroup/devices|/|/|/",
                             "v1|freezer|/sys/fs/cgroup/freezer|/|/sub|/",
                             "v1|blkio|/sys/fs/cgroup/blkio|/|/|/",
                             "v1|pids|/sys/fs/cgroup/pids|/|/|/",
                             "v1|name=systemd|/sys/fs/cgroup/systemd|/|/|/",
                             "v2|unified|/sys/fs/cgroup/unified|/|/sub|/",
                         });
    CHECK(cgfs::path_below_mount(d.hierarchies[5], "/sub") == "sub");
}

TEST_CASE("hierarchy: captured legacy view in a cgroup namespace", "[hierarchy]")
{
    const Discovery d = view("ns-legacy");
    CHECK(d.layout == Layout::legacy);
    CHECK(show_all(d) == std::vector<std::string>{
                             "v1|cpu|/sys/fs/cgroup/cpu|/|/|/",
                             "v1|cpuacct|/sys/fs/cgroup/cpuacct|/|/|/",
                             "v1|cpuset|/sys/fs/cgroup/cpuset|/|/|/",
                             "v1|memory|/sys/fs/cgroup/memory|/|/|/",
                             "v1|devices|/sys/fs/cgroup/devices|/|/|/",
                             "v1|freezer|/sys/fs/cgroup/freezer|/|/sub|/",
                             "v1|blkio|/sys/fs/cgroup/blkio|/|/|/",
                             "v1|pids|/sys/fs/cgroup/pids|/|/|/",
                             "v1|name=systemd|/sys/fs/cgroup/systemd|/|/|/",
                         });
}

TEST_CASE("hierarchy: captured namespace that kept the host's mounts", "[hierarchy]")
{
    const Discovery d = view("ns-host-mounts");
    CHECK(d.layout == Layout::hybrid);
    CHECK(show_all(d) == std::vector<std::string>{
                             "v1|cpu|/sys/fs/cgroup/cpu|/..|/|/",
                             "v1|cpuacct|/sys/fs/cgroup/cpuacct|/..|/|/",
                             "v1|cpuset|/sys/fs/cgroup/cpuset|/..|/|/",
                             "v1|memory|/sys/fs/cgroup/memory|/../../..|/|/",
                             "v1|devices|/sys/fs/cgroup/devices|/..|/|/",
                             "v1|freezer|/sys/fs/cgroup/freezer|/..|/|/",
                             "v1|blkio|/sys/fs/cgroup/blkio|/..|/|/",
                             "v1|pids|/sys/fs/cgroup/pids|/..|/|/",
                             "v1|name=systemd|/sys/fs/cgroup/systemd|/..|/|/",
                             "v2|unified|/sys/fs/cgroup/unified|/..|/|/",
                         });
    // The namespace root is somewhere below these mounts, under a name the caller cannot know:
    // the caller's cgroup is not reachable through them, and BASE falls back to the mount root.
    for (const auto& h : d.hierarchies) {
        INFO(h.label());
        CHECK(cgfs::path_below_mount(h, h.self_cgroup) == std::nullopt);
        CHECK(cgfs::base_cgroup(h) == h.mount_root);
    }
}

TEST_CASE("hierarchy: captured over-mounted /sys/fs/cgroup hides the old tree", "[hierarchy]")
{
    const Discovery d = view("ns-overmounted");
    CHECK(d.layout == Layout::hybrid);
    CHECK(show_all(d) == std::vector<std::string>{
                             "v1|freezer|/sys/fs/cgroup/freezer|/|/sub|/",
                             "v2|unified|/sys/fs/cgroup/unified|/|/sub|/",
                         });
}

TEST_CASE("hierarchy: captured mount stacked on the freezer mount point", "[hierarchy]")
{
    // /sys/fs/cgroup/freezer shows freezer's /sub (mount 49 on top of mount 47): paths below
    // the mount point are relative to /sub, so mount_root must be /sub. Hierarchies come in the
    // mountinfo order of the mounts chosen: 48 (unified) before 49 (freezer).
    const Discovery d = view("ns-stacked");
    CHECK(d.layout == Layout::hybrid);
    CHECK(show_all(d) == std::vector<std::string>{
                             "v2|unified|/sys/fs/cgroup/unified|/|/sub|/",
                             "v1|freezer|/sys/fs/cgroup/freezer|/sub|/sub|/sub",
                         });
    REQUIRE(d.hierarchies.size() == 2);
    CHECK(cgfs::path_below_mount(d.hierarchies[1], "/sub") == "");
}

TEST_CASE("hierarchy: systemd pure-v2 host", "[hierarchy]")
{
    const Discovery d = view("systemd-unified");
    CHECK(d.layout == Layout::unified);
    CHECK(show_all(d) == std::vector<std::string>{"v2|unified|/sys/fs/cgroup|/|" + kSession + "|/init.scope"});
    REQUIRE(d.hierarchies.size() == 1);
    CHECK(cgfs::base_cgroup(d.hierarchies[0]) == "/");
    CHECK(cgfs::path_below_mount(d.hierarchies[0], kSession) == kSession.substr(1));
}

TEST_CASE("hierarchy: co-mounted controllers are one hierarchy, ids do not matter", "[hierarchy]")
{
    const Discovery d = view("ubuntu-hybrid-comounted");
    CHECK(d.layout == Layout::hybrid);
    CHECK(show_all(d) == std::vector<std::string>{
                             "v2|unified|/sys/fs/cgroup/unified|/|" + kSession + "|/init.scope",
                             "v1|name=systemd|/sys/fs/cgroup/systemd|/|" + kSession + "|/init.scope",
                             "v1|cpu,cpuacct|/sys/fs/cgroup/cpu,cpuacct|/|/user.slice|/init.scope",
                             "v1|net_cls,net_prio|/sys/fs/cgroup/net_cls,net_prio|/|/|/",
                             "v1|memory|/sys/fs/cgroup/memory|/|" + kSession + "|/init.scope",
                             "v1|freezer|/sys/fs/cgroup/freezer|/|/|/",
                             "v1|cpuset|/sys/fs/cgroup/cpuset|/|/|/",
                             "v1|pids|/sys/fs/cgroup/pids|/|" + kSession + "|/init.scope",
                         });
    CHECK(d.hierarchies[2].controllers == std::vector<std::string>{"cpu", "cpuacct"});
    CHECK(d.hierarchies[2].has_controller("cpu"));
    CHECK(d.hierarchies[2].has_controller("cpuacct"));
    CHECK_FALSE(d.hierarchies[2].has_controller("cpuset"));
    CHECK(d.hierarchies[6].controllers == std::vector<std::string>{"cpuset"}); // clone_children is a flag
    CHECK(note_texts(d.notes, cgfs::Note::Level::debug) ==
          std::vector<std::string>{"rdma: mounted at /sys/fs/cgroup/rdma but not in /proc/self/cgroup, skipped"});
    CHECK(note_texts(d.notes, cgfs::Note::Level::notice).empty());
    for (const auto& h : d.hierarchies) {
        INFO(h.label());
        CHECK(cgfs::base_cgroup(h) == "/");
    }
}

TEST_CASE("hierarchy: lxc-attach puts the caller in .lxc of a pure-v2 container", "[hierarchy]")
{
    const Discovery d = view("lxc-attach-unified");
    CHECK(d.layout == Layout::unified);
    CHECK(show_all(d) == std::vector<std::string>{"v2|unified|/sys/fs/cgroup|/|/.lxc|/init.scope"});
    REQUIRE(d.hierarchies.size() == 1);
    CHECK(cgfs::base_cgroup(d.hierarchies[0]) == "/");
    CHECK(cgfs::path_below_mount(d.hierarchies[0], "/.lxc") == ".lxc");
}

TEST_CASE("hierarchy: container without a cgroup namespace, hierarchies mounted twice", "[hierarchy]")
{
    const Discovery d = view("lxc-no-cgroupns");
    CHECK(d.layout == Layout::legacy);
    CHECK(show_all(d) == std::vector<std::string>{
                             // the first freezer mount (root /lxc/c2) cannot reach /lxc/c1/sub
                             "v1|freezer|/sys/fs/cgroup/freezer|/lxc/c1|/lxc/c1/sub|/lxc/c1",
                             // both memory mounts reach /lxc/c1: the widest (root /) wins
                             "v1|memory|/mnt/memory-all|/|/lxc/c1|/lxc/c1",
                             "v1|name=systemd|/sys/fs/cgroup/systemd|/lxc/c1|/lxc/c1/user.slice/user-1000.slice/"
                             "session-3.scope|/lxc/c1/init.scope",
                             // only another container's subtree is mounted: kept, but unreachable
                             "v1|cpu,cpuacct|/sys/fs/cgroup/cpu,cpuacct|/lxc/c2|/lxc/c1|/lxc/c1",
                         });
    REQUIRE(d.hierarchies.size() == 4);
    CHECK(cgfs::base_cgroup(d.hierarchies[0]) == "/lxc/c1");
    CHECK(cgfs::base_cgroup(d.hierarchies[1]) == "/lxc/c1");
    CHECK(cgfs::base_cgroup(d.hierarchies[2]) == "/lxc/c1");
    CHECK(cgfs::base_cgroup(d.hierarchies[3]) == "/lxc/c2");
    CHECK(cgfs::path_below_mount(d.hierarchies[0], "/lxc/c1/sub") == "sub");
    CHECK(cgfs::path_below_mount(d.hierarchies[1], "/lxc/c1") == "lxc/c1");
    CHECK(cgfs::path_below_mount(d.hierarchies[3], "/lxc/c1") == std::nullopt);
}

TEST_CASE("hierarchy: an empty-source cgroup mount is still a hierarchy", "[hierarchy]")
{
    // Captured mountinfo (see mountinfo/empty-source.mountinfo) with the host's own cgroup lines.
    const auto mounts = cgfs::parse_mountinfo(read_fixture("mountinfo/empty-source.mountinfo"));
    const auto self = cgfs::parse_proc_cgroup(read_fixture("hierarchy/host-hybrid/self_cgroup"));
    const Discovery d = cgfs::build_discovery(mounts, self, nullptr);
    CHECK(d.layout == Layout::legacy);
    CHECK(show_all(d) == std::vector<std::string>{"v1|freezer|/tmp/cgfs-empty-src|/|/|"});
}

TEST_CASE("hierarchy: a cgroup tree listed before the root mount is still found", "[hierarchy]")
{
    // mountinfo lists "/" after the mounts made on it on this very machine (host-hybrid: 26
    // after 21-25); the same order around the cgroup tree.
    const auto mounts = cgfs::parse_mountinfo("30 26 0:27 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"
                                              "36 30 0:33 / /sys/fs/cgroup/freezer rw - cgroup cgroup rw,freezer\n"
                                              "40 30 0:37 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"
                                              "26 1 254:0 / / rw - ext4 /dev/vda rw\n");
    const auto self = cgfs::parse_proc_cgroup("6:freezer:/\n0::/\n");
    const Discovery d = cgfs::build_discovery(mounts, self, nullptr);
    CHECK(d.layout == Layout::hybrid);
    CHECK(show_all(d) ==
          std::vector<std::string>{"v1|freezer|/sys/fs/cgroup/freezer|/|/|", "v2|unified|/sys/fs/cgroup/unified|/|/|"});
}

TEST_CASE("hierarchy: without /proc/1/cgroup the init cgroup is empty and BASE the mount root", "[hierarchy]")
{
    const auto mounts = cgfs::parse_mountinfo(read_fixture("hierarchy/ubuntu-hybrid-comounted/mountinfo"));
    const auto self = cgfs::parse_proc_cgroup(read_fixture("hierarchy/ubuntu-hybrid-comounted/self_cgroup"));
    const Discovery d = cgfs::build_discovery(mounts, self, nullptr);
    REQUIRE(d.hierarchies.size() == 8);
    for (const auto& h : d.hierarchies) {
        INFO(h.label());
        CHECK(h.init_cgroup.empty());
        CHECK(cgfs::base_cgroup(h) == "/");
    }
}

TEST_CASE("hierarchy: malformed input becomes debug notes, mounts without lines are skipped", "[hierarchy]")
{
    const auto mounts = cgfs::parse_mountinfo(read_fixture("mountinfo/malformed.mountinfo"));
    const auto self = cgfs::parse_proc_cgroup(read_fixture("proc_cgroup/malformed.cgroup"));
    const Discovery d = cgfs::build_discovery(mounts, self, nullptr);
    CHECK(d.layout == Layout::none);
    CHECK(d.hierarchies.empty());
    CHECK(note_texts(d.notes, cgfs::Note::Level::debug) ==
          std::vector<std::string>{
              "freezer: mounted at /sys/fs/cgroup/freezer but not in /proc/self/cgroup, skipped",
              "name=systemd: mounted at /sys/fs/cgroup/systemd but not in /proc/self/cgroup, skipped",
              "/proc/self/mountinfo: 8 malformed lines ignored",
              "/proc/self/cgroup: 8 malformed lines ignored",
          });
    CHECK(note_texts(d.notes, cgfs::Note::Level::notice).empty());
}

TEST_CASE("hierarchy: a v1 mount with only flags is not a hierarchy", "[hierarchy]")
{
    const auto mounts = cgfs::parse_mountinfo("40 30 0:50 / /mnt/none rw - cgroup cgroup rw,none,xattr\n"
                                              "41 30 0:51 / /mnt/tmp rw - tmpfs cgroup rw,freezer\n");
    const auto self = cgfs::parse_proc_cgroup("6:freezer:/\n0::/\n");
    const Discovery d = cgfs::build_discovery(mounts, self, nullptr);
    CHECK(d.layout == Layout::none);
    CHECK(d.hierarchies.empty());
    CHECK(d.notes.empty());
}

TEST_CASE("hierarchy: layout_name names every layout", "[hierarchy]")
{
    CHECK(cgfs::layout_name(Layout::none) == "none");
    CHECK(cgfs::layout_name(Layout::legacy) == "legacy");
    CHECK(cgfs::layout_name(Layout::hybrid) == "hybrid");
    CHECK(cgfs::layout_name(Layout::unified) == "unified");
}

TEST_CASE("hierarchy: label joins controllers and name", "[hierarchy]")
{
    Hierarchy h;
    h.controllers = {"cpu", "cpuacct"};
    CHECK(h.label() == "cpu,cpuacct");
    h.name = "odd";
    CHECK(h.label() == "cpu,cpuacct,name=odd");
    h.controllers.clear();
    CHECK(h.label() == "name=odd");
    Hierarchy v2;
    v2.version = CgroupVersion::v2;
    v2.controllers = {"memory", "pids"};
    CHECK(v2.label() == "unified");
    CHECK(v2.has_controller("pids"));
    CHECK_FALSE(v2.has_controller("freezer"));
}

TEST_CASE("hierarchy: cgroup_relative edge cases", "[hierarchy]")
{
    CHECK(cgfs::cgroup_relative("/", "/") == "");
    CHECK(cgfs::cgroup_relative("/a/b", "/") == "a/b");
    CHECK(cgfs::cgroup_relative("/a", "/a") == "");
    CHECK(cgfs::cgroup_relative("/a/b/c", "/a") == "b/c");
    CHECK(cgfs::cgroup_relative("/a/", "/a") == "");
    CHECK(cgfs::cgroup_relative("/..x", "/") == "..x"); // a name that merely starts with ".."
    CHECK(cgfs::cgroup_relative("/ab", "/a") == std::nullopt);
    CHECK(cgfs::cgroup_relative("/a", "/a/b") == std::nullopt);
    CHECK(cgfs::cgroup_relative("/", "/a") == std::nullopt);
    CHECK(cgfs::cgroup_relative("/..", "/") == std::nullopt);
    CHECK(cgfs::cgroup_relative("/../x", "/") == std::nullopt);
    CHECK(cgfs::cgroup_relative("/../..", "/..") == std::nullopt);
    CHECK(cgfs::cgroup_relative("relative", "/") == std::nullopt);
    CHECK(cgfs::cgroup_relative("", "/") == std::nullopt);
}

TEST_CASE("hierarchy: path_below_mount maps to the mount's root", "[hierarchy]")
{
    const Hierarchy root = make(CgroupVersion::v1, "/", "/");
    CHECK(cgfs::path_below_mount(root, "/") == "");
    CHECK(cgfs::path_below_mount(root, "/user/alice/0") == "user/alice/0");
    CHECK(cgfs::path_below_mount(root, "/../x") == std::nullopt);
    const Hierarchy sub = make(CgroupVersion::v1, "/sub", "/sub");
    CHECK(cgfs::path_below_mount(sub, "/sub") == "");
    CHECK(cgfs::path_below_mount(sub, "/sub/user") == "user");
    CHECK(cgfs::path_below_mount(sub, "/") == std::nullopt);
    CHECK(cgfs::path_below_mount(sub, "/subway") == std::nullopt);
    const Hierarchy above = make(CgroupVersion::v2, "/..", "/");
    CHECK(cgfs::path_below_mount(above, "/") == std::nullopt);
}

TEST_CASE("hierarchy: base_cgroup strips a trailing init.scope", "[hierarchy]")
{
    CHECK(cgfs::base_cgroup(make(CgroupVersion::v1, "/", "/init.scope")) == "/");
    CHECK(cgfs::base_cgroup(make(CgroupVersion::v2, "/", "/init.scope")) == "/");
    CHECK(cgfs::base_cgroup(make(CgroupVersion::v1, "/", "/")) == "/");
    CHECK(cgfs::base_cgroup(make(CgroupVersion::v1, "/", "/lxc/c1")) == "/lxc/c1");
    CHECK(cgfs::base_cgroup(make(CgroupVersion::v1, "/", "/lxc/c1/init.scope")) == "/lxc/c1");
    CHECK(cgfs::base_cgroup(make(CgroupVersion::v1, "/", "/my-init.scope")) == "/my-init.scope");
    CHECK(cgfs::base_cgroup(make(CgroupVersion::v1, "/", "/init.scope/child")) == "/init.scope/child");
    CHECK(cgfs::base_cgroup(make(CgroupVersion::v1, "/lxc/c1", "/lxc/c1/init.scope")) == "/lxc/c1");
}

TEST_CASE("hierarchy: base_cgroup falls back to the mount root", "[hierarchy]")
{
    CHECK(cgfs::base_cgroup(make(CgroupVersion::v1, "/", "")) == "/");
    CHECK(cgfs::base_cgroup(make(CgroupVersion::v1, "/lxc/c1", "")) == "/lxc/c1");
    CHECK(cgfs::base_cgroup(make(CgroupVersion::v1, "/lxc/c1", "/")) == "/lxc/c1");
    CHECK(cgfs::base_cgroup(make(CgroupVersion::v1, "/lxc/c1", "/lxc/c2/init.scope")) == "/lxc/c1");
    CHECK(cgfs::base_cgroup(make(CgroupVersion::v1, "/", "/..")) == "/");
    CHECK(cgfs::base_cgroup(make(CgroupVersion::v1, "/", "/../init.scope")) == "/");
}

TEST_CASE("hierarchy: join_cgroup", "[hierarchy]")
{
    CHECK(cgfs::join_cgroup("/a", "b/c") == "/a/b/c");
    CHECK(cgfs::join_cgroup("/", "b") == "/b");
    CHECK(cgfs::join_cgroup("/", "") == "/");
    CHECK(cgfs::join_cgroup("/a", "") == "/a");
    CHECK(cgfs::join_cgroup("/a/", "/b/") == "/a/b");
    CHECK(cgfs::join_cgroup("", "user") == "/user");
    CHECK(cgfs::join_cgroup(cgfs::join_cgroup("/", "user/alice"), "0") == "/user/alice/0");
}

TEST_CASE("hierarchy: discover agrees with build_discovery on this machine (read-only)", "[hierarchy]")
{
    auto found = cgfs::discover();
    REQUIRE(found.ok());
    const Discovery& d = found.value();
    const auto mounts = cgfs::parse_mountinfo(cgfs::fs::read_path("/proc/self/mountinfo").value());
    const auto self = cgfs::parse_proc_cgroup(cgfs::fs::read_path("/proc/self/cgroup").value());
    auto init_text = cgfs::fs::read_path("/proc/1/cgroup");
    const auto init = cgfs::parse_proc_cgroup(init_text.ok() ? init_text.value() : std::string());
    const Discovery pure = cgfs::build_discovery(mounts, self, init_text.ok() ? &init : nullptr);
    // discover() only drops hierarchies (with a notice) and fills cgroup2's controllers.
    std::vector<std::string> expected;
    for (const auto& h : pure.hierarchies)
        expected.push_back(show(h));
    CHECK(show_all(d) == expected);
    CHECK(d.layout == pure.layout);
    for (const auto& h : d.hierarchies) {
        INFO(h.label());
        REQUIRE(h.root.valid());
        CHECK((::fcntl(h.root.get(), F_GETFD) & FD_CLOEXEC) != 0);
        if (h.version == CgroupVersion::v2) {
            const std::string text = cgfs::fs::read_at(h.root.get(), "cgroup.controllers").value();
            std::vector<std::string> words;
            std::string word;
            for (const char c : text + " ") {
                if (c == ' ' || c == '\n') {
                    if (!word.empty())
                        words.push_back(word);
                    word.clear();
                } else {
                    word += c;
                }
            }
            CHECK(h.controllers == words);
        }
    }
}

TEST_CASE("hierarchy: parse_controllers splits cgroup2 controller lists", "[hierarchy]")
{
    CHECK(cgfs::parse_controllers("cpuset cpu io memory pids\n") ==
          std::vector<std::string>{"cpuset", "cpu", "io", "memory", "pids"});
    CHECK(cgfs::parse_controllers("\n").empty());
    CHECK(cgfs::parse_controllers("").empty());
    CHECK(cgfs::parse_controllers("memory") == std::vector<std::string>{"memory"});
}

TEST_CASE("hierarchy: line_matches pairs /proc/<pid>/cgroup lines with hierarchies", "[hierarchy]")
{
    const cgfs::CgroupTable table =
        cgfs::parse_proc_cgroup("12:cpuacct,cpu:/a\n9:name=systemd:/b\n4:freezer:/c\n0::/d\n");
    cgfs::Hierarchy cpu;
    cpu.controllers = {"cpu", "cpuacct"};
    cgfs::Hierarchy systemd;
    systemd.name = "systemd";
    cgfs::Hierarchy unified;
    unified.version = cgfs::CgroupVersion::v2;
    unified.controllers = {"memory"}; // what cgroup2 offers plays no part
    const auto paths = [&](const cgfs::Hierarchy& h) {
        std::vector<std::string> out;
        for (const auto& line : table.lines)
            if (cgfs::line_matches(h, line))
                out.push_back(line.path);
        return out;
    };
    CHECK(paths(cpu) == std::vector<std::string>{"/a"});
    CHECK(paths(systemd) == std::vector<std::string>{"/b"});
    CHECK(paths(unified) == std::vector<std::string>{"/d"});
}
