// Unit tests for lib/note.hpp: the notes the library hands back (escaping: test_escape.cpp).
#include "note.hpp"

#include <catch2/catch.hpp>

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
