// cgfs: diagnostics the library hands back instead of logging: only the PAM adapter and the
// tools log.
// The PAM adapter logs each Note once: notices always, debug lines only with the `debug` option.
#pragma once

#include "escape.hpp"

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

inline void notice(Notes& notes, std::string text)
{
    notes.push_back(Note{Note::Level::notice, std::move(text)});
}

inline void debug(Notes& notes, std::string text)
{
    notes.push_back(Note{Note::Level::debug, std::move(text)});
}

} // namespace cgfs
