// Unit tests for lib/note.hpp: notes and the escaping that keeps log lines whole.
#include "note.hpp"

#include <catch2/catch.hpp>

TEST_CASE("note: escape_control makes control characters visible", "[note]")
{
    CHECK(cgfs::escape_control("alice") == "alice");
    CHECK(cgfs::escape_control("al\nice") == "al\\x0aice");
    CHECK(cgfs::escape_control(std::string_view("a\0b", 3)) == "a\\x00b");
    CHECK(cgfs::escape_control("\x1b[31m") == "\\x1b[31m");
    CHECK(cgfs::escape_control("del\x7f") == "del\\x7f");
    CHECK(cgfs::escape_control("\xc3\xa9t\xc3\xa9") == "\xc3\xa9t\xc3\xa9"); // UTF-8 kept
}

TEST_CASE("note: notice and debug append at their level", "[note]")
{
    cgfs::Notes notes;
    cgfs::notice(notes, "n");
    cgfs::debug(notes, "d");
    REQUIRE(notes.size() == 2);
    CHECK(notes[0].level == cgfs::Note::Level::notice);
    CHECK(notes[0].text == "n");
    CHECK(notes[1].level == cgfs::Note::Level::debug);
    CHECK(notes[1].text == "d");
}
