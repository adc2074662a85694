// Unit tests for lib/limits.hpp: the cgfs.conf(5) parser (good and bad lines, domains), the
// first-match rule, the v1 translation, and writing limits on user/<name> in a scratch tree.
#include "limits.hpp"

#include "fs.hpp"

#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <sys/stat.h>
#include <vector>

using cgfs::CgroupVersion;
using cgfs::Domain;
using cgfs::LimitRule;
using cgfs::LimitSubject;

namespace {

LimitSubject subject(std::string name, uid_t uid, std::vector<std::string> groups = {})
{
    return LimitSubject{std::move(name), uid, [groups](std::string_view g) {
                            return std::find(groups.begin(), groups.end(), g) != groups.end();
                        }};
}

std::vector<std::string> problems(const cgfs::LimitsConfig& c)
{
    std::vector<std::string> out;
    for (const auto& p : c.problems)
        out.push_back(p.text);
    return out;
}

/// "line limit value" of each rule, for compact comparisons.
std::vector<std::string> summary(const std::vector<LimitRule>& rules)
{
    std::vector<std::string> out;
    for (const auto& r : rules)
        out.push_back(std::to_string(r.line) + " " + r.limit + " " + r.value);
    return out;
}

std::vector<std::string> knobs(const LimitRule& rule, CgroupVersion version)
{
    auto r = cgfs::translate_limit(rule, version);
    REQUIRE(r.ok());
    std::vector<std::string> out;
    for (const auto& k : r.value())
        out.push_back(k.file + "=" + k.value);
    return out;
}

LimitRule rule(std::string limit, std::string value)
{
    return LimitRule{Domain{}, std::move(limit), std::move(value), 1};
}

using Strings = std::vector<std::string>;

} // namespace

TEST_CASE("limits: good lines, every domain form, values normalised", "[limits]")
{
    const auto c = cgfs::parse_limits("# comment\n"
                                      "\n"
                                      "alice   memory.max  512M   # trailing comment\n"
                                      "@staff\tpids.max\t100\n"
                                      "1000:1999 cpu.weight 50\n"
                                      "2000: cpu.max 50000\n"
                                      ":999 cpu.max max 20000\n"
                                      "*  io.weight 200\n"
                                      "bob io.weight 8:0 300\n"
                                      "bob memory.high 2g\n"
                                      "bob memory.max max\r\n"
                                      "carol pids.max max\n");
    CHECK(problems(c).empty());
    REQUIRE(c.rules.size() == 10);
    CHECK(summary(c.rules) == Strings{"3 memory.max 536870912", "4 pids.max 100", "5 cpu.weight 50",
                                      "6 cpu.max 50000 100000", "7 cpu.max max 20000", "8 io.weight default 200",
                                      "9 io.weight 8:0 300", "10 memory.high 2147483648", "11 memory.max max",
                                      "12 pids.max max"});
    CHECK(c.rules[0].domain.kind == Domain::Kind::user);
    CHECK(c.rules[0].domain.name == "alice");
    CHECK(c.rules[1].domain.kind == Domain::Kind::group);
    CHECK(c.rules[1].domain.name == "staff");
    CHECK(c.rules[2].domain.kind == Domain::Kind::uid_range);
    CHECK(c.rules[2].domain.low == 1000);
    CHECK(c.rules[2].domain.high == 1999);
    CHECK(c.rules[3].domain.low == 2000);
    CHECK(c.rules[3].domain.high == 4294967294U);
    CHECK(c.rules[4].domain.low == 0);
    CHECK(c.rules[4].domain.high == 999);
    CHECK(c.rules[5].domain.kind == Domain::Kind::any);
}

TEST_CASE("limits: a bad line is reported with its number and skipped, the rest applies", "[limits]")
{
    const auto c = cgfs::parse_limits("alice pids.max\n"                // 1: no value
                                      "alice memory.swap.max 1G\n"      // 2: unknown limit
                                      "@ pids.max 10\n"                 // 3: no group
                                      "2000:1000 pids.max 10\n"         // 4: empty range
                                      ": pids.max 10\n"                 // 5: no bounds
                                      "x:5 pids.max 10\n"               // 6: not a number
                                      "alice pids.max -1\n"             // 7
                                      "alice pids.max 4194305\n"        // 8: above PIDS_MAX
                                      "alice cpu.weight 0\n"            // 9: below 1
                                      "alice cpu.weight 10001\n"        // 10
                                      "alice cpu.max 500\n"             // 11: quota below 1 ms
                                      "alice cpu.max max 100\n"         // 12: period below 1 ms
                                      "alice memory.max 12X\n"          // 13
                                      "alice memory.max 99999999999T\n" // 14: overflow
                                      "alice io.weight sda 100\n"       // 15
                                      "alice pids.max 1 2\n"            // 16
                                      "alice pids.max 7\n");            // 17: good
    CHECK(problems(c) == Strings{
                             "line 1: expected '<domain> <limit> <value>'",
                             "line 2: unknown limit 'memory.swap.max'",
                             "line 3: '@' names no group",
                             "line 4: '2000:1000' is not a uid range (LOW:HIGH, LOW: or :HIGH, LOW <= HIGH)",
                             "line 5: ':' is not a uid range (LOW:HIGH, LOW: or :HIGH, LOW <= HIGH)",
                             "line 6: 'x:5' is not a uid range (LOW:HIGH, LOW: or :HIGH, LOW <= HIGH)",
                             "line 7: '-1' is not a valid value for pids.max",
                             "line 8: '4194305' is not a valid value for pids.max",
                             "line 9: '0' is not a valid value for cpu.weight",
                             "line 10: '10001' is not a valid value for cpu.weight",
                             "line 11: '500' is not a valid value for cpu.max",
                             "line 12: 'max 100' is not a valid value for cpu.max",
                             "line 13: '12X' is not a valid value for memory.max",
                             "line 14: '99999999999T' is not a valid value for memory.max",
                             "line 15: 'sda 100' is not a valid value for io.weight",
                             "line 16: '1 2' is not a valid value for pids.max",
                         });
    CHECK(summary(c.rules) == Strings{"17 pids.max 7"});
}

TEST_CASE("limits: control characters in a bad line cannot forge a log line", "[limits]")
{
    const auto c = cgfs::parse_limits("alice pids.max 1\x1b[2J\n");
    CHECK(problems(c) == Strings{"line 1: '1\\x1b[2J' is not a valid value for pids.max"});
}

TEST_CASE("limits: domains match user, group, uid range and *; never root through * or @group", "[limits]")
{
    const auto c = cgfs::parse_limits("alice pids.max 1\n@staff pids.max 2\n1000:1999 pids.max 3\n* pids.max 4\n");
    REQUIRE(c.rules.size() == 4);
    const auto alice = subject("alice", 1000, {"staff"});
    const auto root = subject("root", 0, {"staff"});
    const auto bob = subject("bob", 5000);
    CHECK(cgfs::domain_matches(c.rules[0].domain, alice));
    CHECK_FALSE(cgfs::domain_matches(c.rules[0].domain, bob));
    CHECK(cgfs::domain_matches(c.rules[1].domain, alice));
    CHECK_FALSE(cgfs::domain_matches(c.rules[1].domain, bob));
    CHECK_FALSE(cgfs::domain_matches(c.rules[1].domain, root));
    CHECK(cgfs::domain_matches(c.rules[2].domain, alice));
    CHECK(cgfs::domain_matches(c.rules[2].domain, subject("x", 1999)));
    CHECK_FALSE(cgfs::domain_matches(c.rules[2].domain, subject("x", 2000)));
    CHECK_FALSE(cgfs::domain_matches(c.rules[2].domain, subject("x", 999)));
    CHECK(cgfs::domain_matches(c.rules[3].domain, bob));
    CHECK_FALSE(cgfs::domain_matches(c.rules[3].domain, root));
    // Root is bound by its name or by a range that includes uid 0.
    const auto r = cgfs::parse_limits("root pids.max 1\n:10 pids.max 2\n");
    CHECK(cgfs::domain_matches(r.rules[0].domain, root));
    CHECK(cgfs::domain_matches(r.rules[1].domain, root));
}

TEST_CASE("limits: the first matching line decides each limit", "[limits]")
{
    const auto c = cgfs::parse_limits("bob pids.max 5\n"
                                      "@staff pids.max 50\n"
                                      "alice pids.max 500\n" // later than @staff: not used for alice
                                      "1000:1999 memory.max 1G\n"
                                      "alice memory.max 2G\n" // later than the range: not used
                                      "* pids.max 1000\n"
                                      "* cpu.weight 20\n");
    CHECK(summary(cgfs::limits_for(c, subject("alice", 1000, {"staff"}))) ==
          Strings{"2 pids.max 50", "4 memory.max 1073741824", "7 cpu.weight 20"});
    CHECK(summary(cgfs::limits_for(c, subject("alice", 1000))) ==
          Strings{"3 pids.max 500", "4 memory.max 1073741824", "7 cpu.weight 20"});
    CHECK(summary(cgfs::limits_for(c, subject("bob", 3000, {"staff"}))) == Strings{"1 pids.max 5", "7 cpu.weight 20"});
    CHECK(summary(cgfs::limits_for(c, subject("root", 0, {"staff"}))).empty());
}

TEST_CASE("limits: cgroup2 names are written as they are on cgroup2", "[limits]")
{
    CHECK(knobs(rule("memory.max", "max"), CgroupVersion::v2) == Strings{"memory.max=max"});
    CHECK(knobs(rule("cpu.max", "50000 100000"), CgroupVersion::v2) == Strings{"cpu.max=50000 100000"});
    CHECK(knobs(rule("io.weight", "8:0 300"), CgroupVersion::v2) == Strings{"io.weight=8:0 300"});
}

TEST_CASE("limits: translation to cgroup v1", "[limits]")
{
    const auto v1 = CgroupVersion::v1;
    CHECK(knobs(rule("memory.max", "536870912"), v1) == Strings{"memory.limit_in_bytes=536870912"});
    CHECK(knobs(rule("memory.max", "max"), v1) == Strings{"memory.limit_in_bytes=-1"});
    CHECK(knobs(rule("memory.high", "1024"), v1) == Strings{"memory.soft_limit_in_bytes=1024"});
    CHECK(knobs(rule("memory.high", "max"), v1) == Strings{"memory.soft_limit_in_bytes=-1"});
    CHECK(knobs(rule("pids.max", "100"), v1) == Strings{"pids.max=100"});
    CHECK(knobs(rule("pids.max", "max"), v1) == Strings{"pids.max=max"});
    CHECK(knobs(rule("cpu.weight", "100"), v1) == Strings{"cpu.shares=1024"});
    CHECK(knobs(rule("cpu.weight", "1"), v1) == Strings{"cpu.shares=10"});
    CHECK(knobs(rule("cpu.weight", "10000"), v1) == Strings{"cpu.shares=102400"});
    CHECK(knobs(rule("cpu.max", "50000 100000"), v1) == Strings{"cpu.cfs_period_us=100000", "cpu.cfs_quota_us=50000"});
    CHECK(knobs(rule("cpu.max", "max 20000"), v1) == Strings{"cpu.cfs_period_us=20000", "cpu.cfs_quota_us=-1"});
    CHECK(knobs(rule("io.weight", "default 100"), v1) == Strings{"blkio.weight=500"});
    CHECK(knobs(rule("io.weight", "default 1"), v1) == Strings{"blkio.weight=10"});
    CHECK(knobs(rule("io.weight", "default 10000"), v1) == Strings{"blkio.weight=1000"});
    CHECK(knobs(rule("io.weight", "default 150"), v1) == Strings{"blkio.weight=750"});
    const auto device = cgfs::translate_limit(rule("io.weight", "8:0 300"), v1);
    REQUIRE_FALSE(device.ok());
    CHECK(device.error().code == ENOTSUP);
    CHECK(device.error().context == "io.weight '8:0 300' has no cgroup v1 equivalent");
    CHECK(cgfs::limit_controller("io.weight", v1) == "blkio");
    CHECK(cgfs::limit_controller("io.weight", CgroupVersion::v2) == "io");
    CHECK(cgfs::limit_controller("memory.high", v1) == "memory");
}

TEST_CASE("limits: a missing file is no limits; an unreadable one is an error", "[limits]")
{
    auto missing = cgfs::read_limits("/nonexistent/cgfs.conf");
    REQUIRE(missing.ok());
    CHECK(missing.value().rules.empty());
    CHECK(missing.value().problems.empty());
    auto directory = cgfs::read_limits("/");
    REQUIRE_FALSE(directory.ok());
    CHECK(directory.error().code == EISDIR);
    CHECK(directory.error().context == "read /");
}

TEST_CASE("limits: a FIFO named as the limits file is refused at once, never read", "[limits]")
{
    cgfs::test::TempDir tmp;
    REQUIRE(::mkfifo(tmp.path("cgfs.conf").c_str(), 0600) == 0);
    // No writer ever opens it: a blocking open or read would hang the test here.
    auto fifo = cgfs::read_limits(tmp.path("cgfs.conf"));
    REQUIRE_FALSE(fifo.ok());
    CHECK(fifo.error().code == EINVAL);
    CHECK(fifo.error().context == "read " + tmp.path("cgfs.conf") + " (not a regular file)");
}

namespace {

/// A pids (v1) and a cgroup2 hierarchy whose roots are the plain directories tmp/pids and
/// tmp/unified; the cgroup2 root offers `v2_controllers`.
cgfs::Discovery tmp_hierarchies(const cgfs::test::TempDir& tmp, std::vector<std::string> v2_controllers)
{
    const auto mounts = cgfs::parse_mountinfo("2 0 0:2 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n"
                                              "3 0 0:3 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n");
    const auto self = cgfs::parse_proc_cgroup("2:pids:/user/alice/0\n0::/user/alice/0/init.scope\n");
    const auto init = cgfs::parse_proc_cgroup("2:pids:/\n0::/\n");
    cgfs::Discovery d = cgfs::build_discovery(mounts, self, &init);
    REQUIRE(d.hierarchies.size() == 2);
    d.hierarchies[0].root.reset(::open(tmp.path("pids").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    d.hierarchies[1].root.reset(::open(tmp.path("unified").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    d.hierarchies[1].controllers = std::move(v2_controllers);
    return d;
}

/// BASE/user/alice of the hierarchies of `d` where an open created the session, held open as
/// open_session holds them: the v1 one always, the cgroup2 one when `v2_created`.
struct Targets {
    std::vector<cgfs::UniqueFd> fds;
    std::vector<cgfs::LimitTarget> list;
};

Targets open_targets(const cgfs::Discovery& d, bool v2_created)
{
    Targets t;
    for (const auto& h : d.hierarchies) {
        if (h.version == CgroupVersion::v2 && !v2_created)
            continue;
        auto fd = cgfs::fs::open_path_at(h.root.get(), "user/alice");
        REQUIRE(fd.ok());
        t.list.push_back(cgfs::LimitTarget{&h, fd.value().get(), "/user/alice"});
        t.fds.push_back(std::move(fd).value());
    }
    return t;
}

Strings note_texts(const cgfs::Notes& notes)
{
    Strings out;
    for (const auto& n : notes)
        out.push_back(std::string(n.level == cgfs::Note::Level::notice ? "notice|" : "debug|") + n.text);
    return out;
}

} // namespace

TEST_CASE("limits: written on user/<name> in the hierarchy that holds the controller", "[limits]")
{
    cgfs::test::TempDir tmp;
    tmp.mkdirs("pids/user/alice/0");
    // Empty stand-ins for the kernel files (a regular file is not truncated by the write).
    tmp.write("pids/user/alice/pids.max", "");
    tmp.mkdirs("unified/user/alice/0");
    tmp.write("unified/user/alice/io.weight", "");
    tmp.write("unified/user/alice/pids.max", "");
    const auto d = tmp_hierarchies(tmp, {"io", "memory", "pids"});
    const auto c = cgfs::parse_limits("alice pids.max 10\nalice io.weight 8:0 300\nalice memory.max 1G\n"
                                      "alice cpu.weight 20\n");
    cgfs::Notes notes;
    const auto failed = cgfs::apply_limits(open_targets(d, true).list, c.rules, notes);
    CHECK(failed.empty());
    // pids: the v1 hierarchy wins over cgroup2; io only cgroup2 offers; memory.max's file is
    // missing (controller not enabled there); cpu nobody offers.
    CHECK(tmp.read("pids/user/alice/pids.max") == "10");
    CHECK(tmp.read("unified/user/alice/pids.max").empty());
    CHECK(tmp.read("unified/user/alice/io.weight") == "8:0 300");
    CHECK(note_texts(notes) ==
          Strings{"debug|limit pids.max (line 1): pids: /user/alice/pids.max = 10",
                  "debug|limit io.weight (line 2): unified: /user/alice/io.weight = 8:0 300",
                  "notice|limit memory.max (line 3): unified: /user/alice/memory.max does not exist (controller not "
                  "enabled there); not applied",
                  "notice|limit cpu.weight (line 4): no hierarchy of this session offers the cpu controller; not "
                  "applied"});
}

TEST_CASE("limits: untranslatable on v1, hierarchies not created by open, refused writes", "[limits]")
{
    cgfs::test::TempDir tmp;
    tmp.mkdirs("pids/user/alice");
    tmp.mkdirs("unified/user/alice");
    // A directory where the kernel file should be: the write fails with EISDIR, not ENOENT.
    tmp.mkdirs("pids/user/alice/pids.max");
    const auto d = tmp_hierarchies(tmp, {"io"});
    const auto c = cgfs::parse_limits("alice pids.max 10\nalice io.weight 8:0 300\n");
    cgfs::Notes notes;
    // cgroup2 delegated in place (systemd): open created nothing there, so it is no target and
    // io.weight finds no home.
    const auto failed = cgfs::apply_limits(open_targets(d, false).list, c.rules, notes);
    REQUIRE(failed.size() == 1);
    CHECK(failed[0].code == EISDIR);
    CHECK(failed[0].message() == "pids: /user/alice/pids.max: write '10': Is a directory");
    CHECK(note_texts(notes) ==
          Strings{"notice|limit io.weight (line 2): no hierarchy of this session offers the io controller; not "
                  "applied"});
}
