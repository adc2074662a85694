// Unit tests for lib/subid.hpp: nesting levels from a number of subordinate ids.
#include "subid.hpp"

#include <catch2/catch.hpp>

TEST_CASE("subid: 65536 ids per container, one more block per level of nesting", "[subid]")
{
    CHECK(cgfs::nesting_levels(0) == -1);
    CHECK(cgfs::nesting_levels(65535) == -1);
    CHECK(cgfs::nesting_levels(65536) == 0);
    CHECK(cgfs::nesting_levels(131071) == 0);
    CHECK(cgfs::nesting_levels(131072) == 1);
    CHECK(cgfs::nesting_levels(65536 * 5) == 4);
}
