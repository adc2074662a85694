// Shared by the libFuzzer targets: an invariant check that aborts (so libFuzzer records the input
// as a crash) with a message naming the broken invariant. Built only by tests/fuzz/run (clang).
#pragma once

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#define FUZZ_CHECK(condition)                                                                                          \
    do {                                                                                                               \
        if (!(condition)) {                                                                                            \
            std::fprintf(stderr, "invariant broken at %s:%d: %s\n", __FILE__, __LINE__, #condition);                   \
            std::abort();                                                                                              \
        }                                                                                                              \
    } while (0)

namespace fuzz {

/// Lines with at least one byte in `text` (the parsers skip empty lines and count the others).
inline std::size_t non_empty_lines(std::string_view text)
{
    std::size_t n = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos)
            nl = text.size();
        if (nl > pos)
            ++n;
        pos = nl + 1;
    }
    return n;
}

} // namespace fuzz
