// cgfs: diagnostics the library hands back instead of logging: only the PAM adapter and the
// tools log.
// The PAM adapter logs each Note once: notices always, debug lines only with the `debug` option.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cgfs {

struct Note {
    enum class Level {
        notice,
        debug
    };
    Level level = Level::debug;
    std::string text;
};

using Notes = std::vector<Note>;

/// `text` with every control character (bytes below 0x20, and 0x7f) written as \xNN, so that no
/// input (a user name, an option, a path) can split or forge a log line.
inline std::string escape_control(std::string_view text)
{
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) {
            out += "\\x";
            out += kHex[byte >> 4];
            out += kHex[byte & 0xf];
        } else {
            out += c;
        }
    }
    return out;
}

inline void notice(Notes& notes, std::string text)
{
    notes.push_back(Note{Note::Level::notice, std::move(text)});
}

inline void debug(Notes& notes, std::string text)
{
    notes.push_back(Note{Note::Level::debug, std::move(text)});
}

} // namespace cgfs
