// Unit tests for lib/escape: what an administrator's terminal and the log get of a user-chosen
// name (C0, DEL, C1 controls and invalid UTF-8 made visible; valid UTF-8 kept).
#include "escape.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

using cgfs::escape_control;

TEST_CASE("escape: printable ASCII and valid UTF-8 are kept", "[escape]")
{
    CHECK(escape_control("alice") == "alice");
    CHECK(escape_control("lxc.payload.c1 x~!") == "lxc.payload.c1 x~!");
    CHECK(escape_control("\xc3\xa9t\xc3\xa9") == "\xc3\xa9t\xc3\xa9"); // U+00E9, 2 bytes
    CHECK(escape_control("\xc2\xa0") == "\xc2\xa0");                   // U+00A0, first after C1
    CHECK(escape_control("\xe2\x82\xac") == "\xe2\x82\xac");           // U+20AC, 3 bytes
    CHECK(escape_control("\xed\x9f\xbf") == "\xed\x9f\xbf");           // U+D7FF, below surrogates
    CHECK(escape_control("\xf0\x9f\x90\xa7") == "\xf0\x9f\x90\xa7");   // U+1F427, 4 bytes
    CHECK(escape_control("\xf4\x8f\xbf\xbf") == "\xf4\x8f\xbf\xbf");   // U+10FFFF
    CHECK(escape_control("back\\x1bslash") == "back\\x1bslash");       // backslash kept
    CHECK(escape_control("") == "");
}

TEST_CASE("escape: C0 controls and DEL", "[escape]")
{
    CHECK(escape_control("al\nice") == "al\\x0aice");
    CHECK(escape_control(std::string_view("a\0b", 3)) == "a\\x00b");
    CHECK(escape_control("fake\rstale") == "fake\\x0dstale");
    CHECK(escape_control("\x1b[1A") == "\\x1b[1A");
    CHECK(escape_control("\x1b]0;owned\x07") == "\\x1b]0;owned\\x07");
    CHECK(escape_control("\t\x1f") == "\\x09\\x1f");
    CHECK(escape_control("del\x7f") == "del\\x7f");
}

TEST_CASE("escape: C1 controls, raw and as UTF-8", "[escape]")
{
    // A raw 0x9b is CSI to a terminal in 8-bit mode; it is never valid UTF-8 on its own.
    CHECK(escape_control("a\x9b"
                         "1Ab") == "a\\x9b1Ab");
    CHECK(escape_control("\x80\x9f") == "\\x80\\x9f");
    // U+009B and U+0080 / U+009F encoded as UTF-8: both bytes escaped.
    CHECK(escape_control("\xc2\x9b"
                         "1A") == "\\xc2\\x9b1A");
    CHECK(escape_control("\xc2\x80\xc2\x9f") == "\\xc2\\x80\\xc2\\x9f");
}

TEST_CASE("escape: bytes outside well-formed UTF-8", "[escape]")
{
    CHECK(escape_control("\xff\xfe") == "\\xff\\xfe");
    CHECK(escape_control("\xc0\xaf") == "\\xc0\\xaf");                   // overlong '/'
    CHECK(escape_control("\xe0\x80\xaf") == "\\xe0\\x80\\xaf");          // overlong, 3 bytes
    CHECK(escape_control("\xed\xa0\x80") == "\\xed\\xa0\\x80");          // surrogate U+D800
    CHECK(escape_control("\xf4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80"); // above U+10FFFF
    CHECK(escape_control("\xf5\x80") == "\\xf5\\x80");
    // A truncated sequence: its lead byte escaped, what follows judged on its own.
    CHECK(escape_control("\xe2\x82") == "\\xe2\\x82");
    CHECK(escape_control("\xe2\x82x\xc3\xa9") == "\\xe2\\x82x\xc3\xa9");
    CHECK(escape_control("\xc3") == "\\xc3");
}

TEST_CASE("escape: the result is stable under a second escape", "[escape]")
{
    for (const std::string& text : {std::string("\x1b]0;t\x07\r\n"), std::string("\x9b\xc2\x9b\xff"),
                                    std::string("ok \xc3\xa9"), std::string("\\x1b")}) {
        const std::string once = escape_control(text);
        INFO("once: " << once);
        CHECK(escape_control(once) == once);
    }
}
