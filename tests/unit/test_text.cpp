// Unit tests for lib/text.hpp: lines and words as the kernel files and paths give them.
#include "text.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

using Views = std::vector<std::string_view>;

TEST_CASE("text: for_each_line visits non-empty lines, a last one without newline included", "[text]")
{
    Views seen;
    CHECK(cgfs::for_each_line("12\n\n34\n56", [&](std::string_view line) {
        seen.push_back(line);
        return true;
    }));
    CHECK(seen == Views{"12", "34", "56"});
}

TEST_CASE("text: for_each_line stops when a visit says so", "[text]")
{
    Views seen;
    CHECK_FALSE(cgfs::for_each_line("1\n2\n3\n", [&](std::string_view line) {
        seen.push_back(line);
        return line != "2";
    }));
    CHECK(seen == Views{"1", "2"});
    CHECK(cgfs::for_each_line("", [](std::string_view) { return false; }));
}

TEST_CASE("text: split keeps the non-empty pieces between any separator", "[text]")
{
    CHECK(cgfs::split("/user//alice/0/", "/") == Views{"user", "alice", "0"});
    CHECK(cgfs::split("cpu io\nmemory\n", " \n") == Views{"cpu", "io", "memory"});
    CHECK(cgfs::split("", "/").empty());
    CHECK(cgfs::split("///", "/").empty());
    CHECK(cgfs::split("a", "/") == Views{"a"});
}
