// Unit tests for lib/options.hpp: every rule of the module's argv (pam_cgfs(8) OPTIONS,
// options.hpp).
#include "options.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

using cgfs::ModuleOptions;

namespace {

ModuleOptions parse(std::vector<std::string_view> argv)
{
    return cgfs::parse_module_options(argv);
}

using Strings = std::vector<std::string>;

} // namespace

TEST_CASE("options: no -c at all means all", "[options]")
{
    const ModuleOptions o = parse({});
    CHECK(o.list.all);
    CHECK_FALSE(o.list.unified);
    CHECK(o.list.controllers.empty());
    CHECK(o.list.names.empty());
    CHECK_FALSE(o.debug);
    CHECK(o.unknown.empty());
    CHECK(o.fatal == std::nullopt);

    const ModuleOptions d = parse({"debug"});
    CHECK(d.list.all);
    CHECK(d.debug);
    CHECK(d.fatal == std::nullopt);
}

TEST_CASE("options: the Debian default line", "[options]")
{
    const ModuleOptions o = parse({"-c", "freezer,memory,name=systemd,unified"});
    CHECK_FALSE(o.list.all);
    CHECK(o.list.unified);
    CHECK(o.list.controllers == Strings{"freezer", "memory"});
    CHECK(o.list.names == Strings{"systemd"});
    CHECK_FALSE(o.debug);
    CHECK(o.unknown.empty());
    CHECK(o.fatal == std::nullopt);
}

TEST_CASE("options: -c in any position, lists merged without duplicates", "[options]")
{
    const ModuleOptions o = parse({"debug", "-c", "freezer,cpu", "-c", "memory,freezer,name=a,name=a"});
    CHECK(o.debug);
    CHECK_FALSE(o.list.all);
    CHECK(o.list.controllers == Strings{"freezer", "cpu", "memory"});
    CHECK(o.list.names == Strings{"a"});
    CHECK(o.fatal == std::nullopt);
}

TEST_CASE("options: all alone, also repeated", "[options]")
{
    for (std::string_view list : {"all", "all,all", ",all,"}) {
        INFO(list);
        const ModuleOptions o = parse({"-c", list});
        CHECK(o.list.all);
        CHECK(o.list.controllers.empty());
        CHECK(o.fatal == std::nullopt);
    }
}

TEST_CASE("options: all mixed with anything is fatal", "[options]")
{
    const std::string message = "-c: 'all' cannot be combined with other controllers";
    CHECK(parse({"-c", "all,memory"}).fatal == message);
    CHECK(parse({"-c", "memory,all"}).fatal == message);
    CHECK(parse({"-c", "unified,all"}).fatal == message);
    CHECK(parse({"-c", "all,name=systemd"}).fatal == message);
    CHECK(parse({"-c", "all", "-c", "memory"}).fatal == message);
    CHECK(parse({"-c", "memory", "-c", "all"}).fatal == message);
}

TEST_CASE("options: -c as the last token is fatal", "[options]")
{
    CHECK(parse({"-c"}).fatal == "-c needs a list of controllers");
    const ModuleOptions o = parse({"debug", "-c", "memory", "-c"});
    CHECK(o.fatal == "-c needs a list of controllers");
    CHECK(o.debug);
    CHECK(o.list.controllers == Strings{"memory"});
}

TEST_CASE("options: empty items are skipped, an empty list selects nothing", "[options]")
{
    const ModuleOptions o = parse({"-c", ",freezer,,memory,"});
    CHECK(o.list.controllers == Strings{"freezer", "memory"});
    CHECK(o.fatal == std::nullopt);

    const ModuleOptions empty = parse({"-c", ""});
    CHECK_FALSE(empty.list.all);
    CHECK_FALSE(empty.list.unified);
    CHECK(empty.list.controllers.empty());
    CHECK(empty.list.names.empty());
    CHECK(empty.fatal == std::nullopt);
}

// pam_cgfs(8) OPTIONS: an item that cannot name a hierarchy is logged and skipped; the rest of
// the list still applies, so one typo does not take every hierarchy away.
TEST_CASE("options: name= without a valid hierarchy name is skipped, the rest kept", "[options]")
{
    auto skipped = [](const std::vector<std::string>& words) {
        const ModuleOptions o = parse(std::vector<std::string_view>(words.begin(), words.end()));
        CHECK(o.fatal == std::nullopt);
        return o.list.invalid;
    };
    CHECK(skipped({"-c", "name="}) == Strings{"-c: 'name=' names no hierarchy; skipped"});
    CHECK(skipped({"-c", "name=sys/temd"}) == Strings{"-c: 'name=sys/temd' is not a valid hierarchy name; skipped"});
    CHECK(skipped({"-c", "name=a b"}) == Strings{"-c: 'name=a b' is not a valid hierarchy name; skipped"});
    CHECK(skipped({"-c", "name=a=b"}) == Strings{"-c: 'name=a=b' is not a valid hierarchy name; skipped"});
    CHECK(skipped({"-c", "name=" + std::string(65, 'n')}) ==
          Strings{"-c: 'name=" + std::string(65, 'n') + "' is not a valid hierarchy name; skipped"});
    const ModuleOptions rest = parse({"-c", "freezer,name=,name=systemd"});
    CHECK(rest.fatal == std::nullopt);
    CHECK(rest.list.controllers == Strings{"freezer"});
    CHECK(rest.list.names == Strings{"systemd"});
    CHECK(rest.list.invalid == Strings{"-c: 'name=' names no hierarchy; skipped"});

    const std::string longest(64, 'n');
    const ModuleOptions ok = parse({"-c", "name=Sys.temd-1_x,name=" + longest});
    CHECK(ok.fatal == std::nullopt);
    CHECK(ok.list.names == Strings{"Sys.temd-1_x", longest});
    CHECK(ok.list.invalid.empty());
}

TEST_CASE("options: controller names are [a-z0-9_] up to 64 bytes; others are skipped", "[options]")
{
    auto skipped = [](const std::string& item) {
        const ModuleOptions o = parse({"-c", "freezer," + item + ",memory"});
        CHECK(o.fatal == std::nullopt);
        CHECK(o.list.controllers == Strings{"freezer", "memory"});
        return o.list.invalid;
    };
    CHECK(skipped("Memory") == Strings{"-c: 'Memory' is not a valid controller name; skipped"});
    CHECK(skipped("mem ory") == Strings{"-c: 'mem ory' is not a valid controller name; skipped"});
    CHECK(skipped("../x") == Strings{"-c: '../x' is not a valid controller name; skipped"});
    CHECK(skipped("cpu.max") == Strings{"-c: 'cpu.max' is not a valid controller name; skipped"});
    CHECK(skipped("bfq-io") == Strings{"-c: 'bfq-io' is not a valid controller name; skipped"});
    CHECK(skipped("cpu\tx") == Strings{"-c: 'cpu\\x09x' is not a valid controller name; skipped"});
    CHECK(skipped("a\x7f") == Strings{"-c: 'a\\x7f' is not a valid controller name; skipped"});
    CHECK(skipped(std::string(65, 'c')) ==
          Strings{"-c: '" + std::string(65, 'c') + "' is not a valid controller name; skipped"});

    const std::string longest(64, 'c');
    const ModuleOptions ok = parse({"-c", "net_cls,perf_event,rdma2," + longest});
    CHECK(ok.fatal == std::nullopt);
    CHECK(ok.list.controllers == Strings{"net_cls", "perf_event", "rdma2", longest});
    CHECK(ok.list.invalid.empty());
}

TEST_CASE("options: the first fatal problem is kept", "[options]")
{
    const ModuleOptions o = parse({"-c", "all,cpu", "-c", "name=", "-c"});
    CHECK(o.fatal == "-c: 'all' cannot be combined with other controllers");
}

TEST_CASE("options: unknown tokens are collected quoted, with control characters visible", "[options]")
{
    const ModuleOptions o = parse({"foo", "-d", "\x01x", "Debug", "", "-c", "freezer", "bar=1"});
    CHECK(o.unknown == Strings{"'foo'", "'-d'", "'\\x01x'", "'Debug'", "''", "'bar=1'"});
    CHECK_FALSE(o.debug);
    CHECK(o.list.controllers == Strings{"freezer"});
    CHECK(o.fatal == std::nullopt);
}

TEST_CASE("options: parse_controller_list adds to an existing list", "[options]")
{
    cgfs::ControllerList list;
    list.controllers = {"memory"};
    CHECK(cgfs::parse_controller_list("unified,memory,pids,name=x", list).ok());
    CHECK(list.unified);
    CHECK_FALSE(list.all);
    CHECK(list.controllers == Strings{"memory", "pids"});
    CHECK(list.names == Strings{"x"});
    const auto mixed = cgfs::parse_controller_list("all", list);
    REQUIRE_FALSE(mixed.ok());
    CHECK(mixed.error().code == EINVAL);
    CHECK(mixed.error().context == "-c: 'all' cannot be combined with other controllers");
}

TEST_CASE("options: config=PATH names the limits file; the last one counts; relative is fatal", "[options]")
{
    CHECK(parse({}).config == "/etc/security/cgfs.conf");
    const ModuleOptions o = parse({"config=/etc/a.conf", "-c", "freezer", "config=/tmp/b.conf"});
    CHECK(o.config == "/tmp/b.conf");
    CHECK(o.unknown.empty());
    CHECK(o.fatal == std::nullopt);
    CHECK(parse({"config=etc/a.conf"}).fatal ==
          std::optional<std::string>("config=: 'etc/a.conf' is not an absolute path"));
    CHECK(parse({"config="}).fatal == std::optional<std::string>("config=: '' is not an absolute path"));
}
