// Unit tests for lib/subid.hpp: subuid(5) lines, owners by name or uid, nesting levels.
#include "subid.hpp"

#include <catch2/catch.hpp>

TEST_CASE("subid: lines by name and by uid are summed; bad lines skipped", "[subid]")
{
    const auto ranges = cgfs::parse_subid("# comment\n"
                                          "alice:100000:65536\n"
                                          "1000:200000:65536\n"
                                          "bob:300000:65536\n"
                                          "broken line\n"
                                          ":1:2\n"
                                          "carol:x:65536\n"
                                          "carol:1:\n"
                                          "dave:400000:131072");
    REQUIRE(ranges.size() == 4);
    CHECK(ranges[0].owner == "alice");
    CHECK(ranges[0].start == 100000);
    CHECK(ranges[0].count == 65536);
    CHECK(cgfs::subid_count(ranges, "alice", 1000) == 131072);
    CHECK(cgfs::subid_count(ranges, "bob", 1001) == 65536);
    CHECK(cgfs::subid_count(ranges, "carol", 1002) == 0);
    CHECK(cgfs::subid_count(ranges, "dave", 1003) == 131072);
}

TEST_CASE("subid: 65536 ids per container, one more block per level of nesting", "[subid]")
{
    CHECK(cgfs::nesting_levels(0) == -1);
    CHECK(cgfs::nesting_levels(65535) == -1);
    CHECK(cgfs::nesting_levels(65536) == 0);
    CHECK(cgfs::nesting_levels(131071) == 0);
    CHECK(cgfs::nesting_levels(131072) == 1);
    CHECK(cgfs::nesting_levels(65536 * 5) == 4);
}
