// cgfs: escape_control (escape.hpp): C0, DEL, C1 and invalid UTF-8 made visible.
#include "escape.hpp"

#include <cstddef>

namespace cgfs {

namespace {

unsigned byte_at(std::string_view text, std::size_t i)
{
    return static_cast<unsigned char>(text[i]);
}

bool in_range(std::string_view text, std::size_t i, unsigned low, unsigned high)
{
    return i < text.size() && byte_at(text, i) >= low && byte_at(text, i) <= high;
}

/// Length of the well-formed UTF-8 sequence of two to four bytes at `text[i]`, 0 when there is
/// none (RFC 3629 section 4, "UTF8-2" to "UTF8-4": the second byte's range depends on the first,
/// which rules out overlong forms, surrogates and code points above U+10FFFF).
std::size_t multibyte_length(std::string_view text, std::size_t i)
{
    const unsigned lead = byte_at(text, i);
    unsigned low = 0x80;
    unsigned high = 0xbf;
    std::size_t length = 0;
    if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3;
        if (lead == 0xe0)
            low = 0xa0;
        else if (lead == 0xed)
            high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4;
        if (lead == 0xf0)
            low = 0x90;
        else if (lead == 0xf4)
            high = 0x8f;
    } else {
        return 0;
    }
    if (!in_range(text, i + 1, low, high))
        return 0;
    for (std::size_t k = 2; k < length; ++k)
        if (!in_range(text, i + k, 0x80, 0xbf))
            return 0;
    return length;
}

void append_escaped(std::string& out, unsigned byte)
{
    static constexpr char kHex[] = "0123456789abcdef";
    out += "\\x";
    out += kHex[byte >> 4];
    out += kHex[byte & 0xf];
}

} // namespace

std::string escape_control(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        const unsigned lead = byte_at(text, i);
        if (lead >= 0x20 && lead < 0x7f) {
            out += text[i];
            ++i;
            continue;
        }
        const std::size_t length = lead < 0x80 ? 0 : multibyte_length(text, i);
        if (length == 0) {
            // C0, DEL, or a byte outside any well-formed sequence: this byte alone; the next one
            // may start a valid sequence.
            append_escaped(out, lead);
            ++i;
        } else if (lead == 0xc2 && byte_at(text, i + 1) <= 0x9f) {
            // U+0080-U+009F, the C1 controls.
            append_escaped(out, lead);
            append_escaped(out, byte_at(text, i + 1));
            i += 2;
        } else {
            out.append(text.substr(i, length));
            i += length;
        }
    }
    return out;
}

} // namespace cgfs
