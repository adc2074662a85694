// Unit tests for lib/mountinfo.hpp: the parser on captured and synthetic mountinfo text, octal
// unescaping, and over-mount detection (is_covered).
#include "mountinfo.hpp"

#include "test_support.hpp"

#include <string>
#include <vector>

using cgfs::MountEntry;
using cgfs::MountTable;
using cgfs::test::read_fixture;

namespace {

/// One entry as one comparable line: "id parent root|mount_point|fstype|source|opt,opt".
std::string show(const MountEntry& e)
{
    std::string options;
    for (const auto& o : e.super_options) {
        if (!options.empty())
            options += ',';
        options += o;
    }
    return std::to_string(e.mount_id) + " " + std::to_string(e.parent_id) + " " + e.root + "|" + e.mount_point + "|" +
           e.fstype + "|" + e.source + "|" + options;
}

std::vector<std::string> show_all(const MountTable& t)
{
    std::vector<std::string> out;
    for (const auto& e : t.entries)
        out.push_back(show(e));
    return out;
}

std::size_t index_of(const MountTable& t, std::uint64_t mount_id)
{
    for (std::size_t i = 0; i < t.entries.size(); ++i)
        if (t.entries[i].mount_id == mount_id)
            return i;
    FAIL("mount id " << mount_id << " not in the table");
    return 0;
}

} // namespace

TEST_CASE("mountinfo: parses the captured hybrid host", "[mountinfo]")
{
    const MountTable t = cgfs::parse_mountinfo(read_fixture("hierarchy/host-hybrid/mountinfo"));
    CHECK(t.skipped == 0);
    CHECK(show_all(t) == std::vector<std::string>{
                             "21 26 /|/proc|proc|proc|rw",
                             "22 26 /|/sys|sysfs|sysfs|rw",
                             "23 26 /|/dev|devtmpfs|devtmpfs|rw,size=12334416k,nr_inodes=3083604,mode=755",
                             "24 23 /|/dev/shm|tmpfs|tmpfs|rw,size=24683620k",
                             "25 23 /|/dev/pts|devpts|devpts|rw,mode=600,ptmxmode=000",
                             "26 1 /|/|ext4|/dev/vda|rw,discard,resv_strict,resuid=65534,resgid=65534",
                             "28 25 /|/dev/pts|devpts|devpts|rw,mode=600,ptmxmode=000",
                             "29 24 /|/dev/shm|tmpfs|tmpfs|rw,size=24683620k",
                             "30 22 /|/sys/fs/cgroup|tmpfs|tmpfs|rw,mode=755",
                             "31 30 /|/sys/fs/cgroup/cpu|cgroup|cgroup|rw,cpu",
                             "32 30 /|/sys/fs/cgroup/cpuacct|cgroup|cgroup|rw,cpuacct",
                             "33 30 /|/sys/fs/cgroup/cpuset|cgroup|cgroup|rw,cpuset",
                             "34 30 /|/sys/fs/cgroup/memory|cgroup|cgroup|rw,memory",
                             "35 30 /|/sys/fs/cgroup/devices|cgroup|cgroup|rw,devices",
                             "36 30 /|/sys/fs/cgroup/freezer|cgroup|cgroup|rw,freezer",
                             "37 30 /|/sys/fs/cgroup/blkio|cgroup|cgroup|rw,blkio",
                             "38 30 /|/sys/fs/cgroup/pids|cgroup|cgroup|rw,pids",
                             "39 30 /|/sys/fs/cgroup/systemd|cgroup|cgroup|rw,name=systemd",
                             "40 30 /|/sys/fs/cgroup/unified|cgroup2|cgroup2|rw",
                         });
}

TEST_CASE("mountinfo: keeps the root field of namespace views", "[mountinfo]")
{
    const MountTable t = cgfs::parse_mountinfo(read_fixture("hierarchy/ns-host-mounts/mountinfo"));
    CHECK(t.skipped == 0);
    CHECK(show(t.entries[index_of(t, 50)]) == "50 46 /../../..|/sys/fs/cgroup/memory|cgroup|cgroup|rw,memory");
    CHECK(show(t.entries[index_of(t, 56)]) == "56 46 /..|/sys/fs/cgroup/unified|cgroup2|cgroup2|rw");

    const MountTable h = cgfs::parse_mountinfo(read_fixture("hierarchy/ns-hybrid/mountinfo"));
    CHECK(h.skipped == 0);
    CHECK(show(h.entries.back()) == "63 46 /sub|/sys/fs/cgroup/freezer-sub|cgroup|cgroup|rw,freezer");
}

TEST_CASE("mountinfo: skips optional fields up to the separator", "[mountinfo]")
{
    const MountTable t = cgfs::parse_mountinfo(read_fixture("hierarchy/ubuntu-hybrid-comounted/mountinfo"));
    CHECK(t.skipped == 0);
    CHECK(show(t.entries[index_of(t, 27)]) == "27 25 /|/sys/fs/cgroup/systemd|cgroup|cgroup|rw,xattr,name=systemd");
    CHECK(show(t.entries[index_of(t, 30)]) == "30 25 /|/sys/fs/cgroup/cpu,cpuacct|cgroup|cgroup|rw,cpu,cpuacct");
    CHECK(show(t.entries[index_of(t, 26)]) == "26 25 /|/sys/fs/cgroup/unified|cgroup2|cgroup2|rw,nsdelegate");
    // Several optional fields, and none at all, give the same fields after " - ".
    const MountTable many = cgfs::parse_mountinfo(
        "77 25 0:40 / /mnt/x rw shared:3 master:1 propagate_from:2 unbindable - cgroup cg rw,pids\n");
    REQUIRE(many.entries.size() == 1);
    CHECK(show(many.entries[0]) == "77 25 /|/mnt/x|cgroup|cg|rw,pids");
}

TEST_CASE("mountinfo: unescapes octal in mount points and roots", "[mountinfo]")
{
    const MountTable t = cgfs::parse_mountinfo(read_fixture("mountinfo/escapes.mountinfo"));
    CHECK(t.skipped == 0);
    CHECK(show_all(t) == std::vector<std::string>{
                             "41 30 /with space|/mnt/cg root|cgroup|cgroup|rw,freezer",
                             "42 30 /tab\tname|/mnt/tab\tdir|cgroup|cgroup|rw,freezer",
                             "43 30 /back\\slash|/mnt/back\\slash\nnl|cgroup|cgroup|rw,freezer",
                             "44 30 /|/mnt/old (deleted)|cgroup2|cgroup2|rw",
                             "45 30 /|/mnt/odd\\08x\\0|tmpfs|my src|rw,mode=755",
                         });
}

TEST_CASE("mountinfo: unescape_mount_field undoes only three-digit octal escapes", "[mountinfo]")
{
    CHECK(cgfs::unescape_mount_field("") == "");
    CHECK(cgfs::unescape_mount_field("/plain") == "/plain");
    CHECK(cgfs::unescape_mount_field("\\040") == " ");
    CHECK(cgfs::unescape_mount_field("a\\011b\\012c\\134d") == "a\tb\nc\\d");
    CHECK(cgfs::unescape_mount_field("\\0401") == " 1");
    CHECK(cgfs::unescape_mount_field("\\\\040") == "\\ ");
    CHECK(cgfs::unescape_mount_field("\\04") == "\\04");   // too short
    CHECK(cgfs::unescape_mount_field("x\\") == "x\\");     // trailing backslash
    CHECK(cgfs::unescape_mount_field("\\08x") == "\\08x"); // 8 is not octal
    CHECK(cgfs::unescape_mount_field("\\400") == "\\400"); // above 255
    CHECK(cgfs::unescape_mount_field("\\000") == "\\000"); // NUL is never produced
    CHECK(cgfs::unescape_mount_field("\\377") == "\xff");
}

TEST_CASE("mountinfo: counts malformed lines and keeps the good ones", "[mountinfo]")
{
    const MountTable t = cgfs::parse_mountinfo(read_fixture("mountinfo/malformed.mountinfo"));
    CHECK(show_all(t) == std::vector<std::string>{
                             "30 22 /|/sys/fs/cgroup|tmpfs|tmpfs|rw,mode=755",
                             "36 30 /|/sys/fs/cgroup/freezer|cgroup|cgroup|rw,freezer",
                             "39 30 /|/sys/fs/cgroup/systemd|cgroup|cgroup|rw,xattr,name=systemd",
                         });
    CHECK(t.skipped == 8);
}

TEST_CASE("mountinfo: empty input and a missing final newline", "[mountinfo]")
{
    CHECK(cgfs::parse_mountinfo("").entries.empty());
    CHECK(cgfs::parse_mountinfo("").skipped == 0);
    CHECK(cgfs::parse_mountinfo("\n\n").skipped == 0);
    const MountTable t = cgfs::parse_mountinfo("36 30 0:33 / /sys/fs/cgroup/freezer rw - cgroup cgroup rw,freezer");
    REQUIRE(t.entries.size() == 1);
    CHECK(show(t.entries[0]) == "36 30 /|/sys/fs/cgroup/freezer|cgroup|cgroup|rw,freezer");
    // Only the type after " - ": source and super options empty.
    const MountTable bare = cgfs::parse_mountinfo("36 30 0:33 / /x rw - cgroup\n");
    REQUIRE(bare.entries.size() == 1);
    CHECK(show(bare.entries[0]) == "36 30 /|/x|cgroup||");
}

TEST_CASE("mountinfo: an empty source field keeps the super options", "[mountinfo]")
{
    // Captured: fs/proc_namespace.c prints an empty device name as nothing, so "cgroup  rw,freezer"
    // has two spaces. The source is "" and the super options are still the last field.
    const MountTable t = cgfs::parse_mountinfo(read_fixture("mountinfo/empty-source.mountinfo"));
    CHECK(t.skipped == 0);
    CHECK(show_all(t) == std::vector<std::string>{
                             "62 42 /|/tmp/cgfs-empty-src|tmpfs||rw",
                             "62 42 /|/tmp/cgfs-empty-src|cgroup||rw,freezer",
                         });
}

TEST_CASE("mountinfo: is_covered finds the tree under a new /sys/fs/cgroup", "[mountinfo]")
{
    const MountTable t = cgfs::parse_mountinfo(read_fixture("hierarchy/ns-overmounted/mountinfo"));
    REQUIRE(t.skipped == 0);
    for (std::uint64_t id = 47; id <= 56; ++id) {
        INFO("mount id " << id);
        CHECK(cgfs::is_covered(t.entries, index_of(t, id)));
    }
    for (std::uint64_t id : {42U, 45U, 57U, 63U, 64U, 65U}) {
        INFO("mount id " << id);
        CHECK_FALSE(cgfs::is_covered(t.entries, index_of(t, id)));
    }
}

TEST_CASE("mountinfo: is_covered keeps child mounts visible", "[mountinfo]")
{
    const MountTable t = cgfs::parse_mountinfo(read_fixture("hierarchy/host-hybrid/mountinfo"));
    for (std::size_t i = 0; i < t.entries.size(); ++i) {
        if (t.entries[i].fstype != "cgroup" && t.entries[i].fstype != "cgroup2")
            continue;
        INFO(t.entries[i].mount_point);
        CHECK_FALSE(cgfs::is_covered(t.entries, i));
    }
    CHECK_FALSE(cgfs::is_covered(t.entries, index_of(t, 26))); // "/" with every other mount below it
    CHECK_FALSE(cgfs::is_covered(t.entries, index_of(t, 30))); // the tmpfs under its cgroup mounts
}

TEST_CASE("mountinfo: is_covered never takes a parent listed after its children as covering them", "[mountinfo]")
{
    // Captured on this machine: "/" (26) is listed after /proc (21), /sys (22) and /dev (23),
    // which are mounted on it (parent id 26). A mount cannot hide the mounts made on top of it.
    const MountTable t = cgfs::parse_mountinfo(read_fixture("hierarchy/host-hybrid/mountinfo"));
    for (std::uint64_t id : {21U, 22U, 23U}) {
        INFO("mount id " << id << " " << t.entries[index_of(t, id)].mount_point);
        CHECK_FALSE(cgfs::is_covered(t.entries, index_of(t, id)));
    }
    // The same shape made up around a cgroup mount: the cgroup tree is listed before "/".
    const MountTable late_root =
        cgfs::parse_mountinfo("30 26 0:27 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"
                              "36 30 0:33 / /sys/fs/cgroup/freezer rw - cgroup cgroup rw,freezer\n"
                              "26 1 254:0 / / rw - ext4 /dev/vda rw\n");
    CHECK_FALSE(cgfs::is_covered(late_root.entries, 0));
    CHECK_FALSE(cgfs::is_covered(late_root.entries, 1));
}

TEST_CASE("mountinfo: is_covered sees a mount stacked on the same mount point", "[mountinfo]")
{
    // A mount made on top of an existing mount point is the old mount's child in the mount tree,
    // yet it hides the old one completely. Captured examples: --mount-proc stacks proc 62 on proc
    // 44; the host stacks /dev/shm 29 on 24; ns-stacked bind-mounts freezer's /sub on freezer 47.
    const MountTable over = cgfs::parse_mountinfo(read_fixture("hierarchy/ns-overmounted/mountinfo"));
    CHECK(cgfs::is_covered(over.entries, index_of(over, 44)));
    CHECK(cgfs::is_covered(over.entries, index_of(over, 46)));
    CHECK_FALSE(cgfs::is_covered(over.entries, index_of(over, 62)));
    const MountTable host = cgfs::parse_mountinfo(read_fixture("hierarchy/host-hybrid/mountinfo"));
    CHECK(cgfs::is_covered(host.entries, index_of(host, 24)));
    CHECK(cgfs::is_covered(host.entries, index_of(host, 25)));
    const MountTable stacked = cgfs::parse_mountinfo(read_fixture("hierarchy/ns-stacked/mountinfo"));
    CHECK(cgfs::is_covered(stacked.entries, index_of(stacked, 47)));
    CHECK_FALSE(cgfs::is_covered(stacked.entries, index_of(stacked, 49)));
}

TEST_CASE("mountinfo: is_covered terminates on a parent cycle", "[mountinfo]")
{
    const MountTable t = cgfs::parse_mountinfo("1 0 0:1 / /a rw - tmpfs t rw\n"
                                               "2 3 0:2 / / rw - tmpfs t rw\n"
                                               "3 2 0:3 / /x rw - tmpfs t rw\n");
    REQUIRE(t.entries.size() == 3);
    CHECK(cgfs::is_covered(t.entries, 0));
    CHECK_FALSE(cgfs::is_covered(t.entries, 2));
    // A self-parented entry.
    const MountTable self = cgfs::parse_mountinfo("5 5 0:1 / /a rw - tmpfs t rw\n"
                                                  "6 6 0:1 / / rw - tmpfs t rw\n");
    CHECK(cgfs::is_covered(self.entries, 0));
    CHECK_FALSE(cgfs::is_covered(self.entries, 1));
}

TEST_CASE("mountinfo: covered_mounts answers for the whole table at once", "[mountinfo]")
{
    // The over-mounted capture: a fresh tmpfs (63) on /sys/fs/cgroup hides the old one (46) and
    // every old hierarchy below it; the stacked /dev/shm, /dev/pts and proc hide their first
    // mounts; nothing hides the new tree.
    const MountTable over = cgfs::parse_mountinfo(read_fixture("hierarchy/ns-overmounted/mountinfo"));
    const std::vector<bool> covered = cgfs::covered_mounts(over.entries);
    REQUIRE(covered.size() == over.entries.size());
    std::vector<std::uint64_t> hidden;
    for (std::size_t i = 0; i < covered.size(); ++i) {
        CHECK(covered[i] == cgfs::is_covered(over.entries, i));
        if (covered[i])
            hidden.push_back(over.entries[i].mount_id);
    }
    std::vector<std::uint64_t> expected;
    for (const auto& e : over.entries)
        if (e.mount_id == 44 || e.mount_id == 46 || e.mount_id == 58 || e.mount_id == 60 ||
            (e.parent_id == 46 && e.mount_point.rfind("/sys/fs/cgroup/", 0) == 0))
            expected.push_back(e.mount_id);
    CHECK(hidden == expected);
}
