// libFuzzer target for lib/user_name (validate_user_name) and escape_control (lib/escape.hpp),
// which makes user names safe for log lines and terminals. Invariants beyond not crashing: an accepted name is
// one path component the kernel would not mistake for anything (not empty, not "." or "..", no
// '/', no control character, at most NAME_MAX bytes, not a kernel file name); every refusal is
// EINVAL; escape_control leaves valid UTF-8 without C0, DEL or C1 controls, keeps an input that
// has none of them as it is, and changes nothing on a second pass.
#include "fuzz_check.hpp"
#include "escape.hpp"
#include "user_name.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

bool is_control(char c)
{
    const auto b = static_cast<unsigned char>(c);
    return b < 0x20 || b == 0x7f;
}

/// Well-formed UTF-8 (an independent decoder: RFC 3629's code point ranges, checked after
/// decoding) without C0, DEL or C1 (U+0080-U+009F) controls.
bool is_clean_utf8(std::string_view text)
{
    std::size_t i = 0;
    while (i < text.size()) {
        const auto lead = static_cast<unsigned char>(text[i]);
        std::size_t length = 0;
        std::uint32_t cp = 0;
        if (lead < 0x80) {
            length = 1;
            cp = lead;
        } else if ((lead & 0xe0) == 0xc0) {
            length = 2;
            cp = lead & 0x1fU;
        } else if ((lead & 0xf0) == 0xe0) {
            length = 3;
            cp = lead & 0x0fU;
        } else if ((lead & 0xf8) == 0xf0) {
            length = 4;
            cp = lead & 0x07U;
        } else {
            return false;
        }
        if (i + length > text.size())
            return false;
        for (std::size_t k = 1; k < length; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            if ((next & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (next & 0x3fU);
        }
        static constexpr std::uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < kMinimum[length] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
            return false;
        i += length;
    }
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view name(reinterpret_cast<const char*>(data), size);
    const auto valid = cgfs::validate_user_name(name);
    if (valid.ok()) {
        FUZZ_CHECK(!name.empty() && name != "." && name != "..");
        FUZZ_CHECK(name.size() <= NAME_MAX);
        FUZZ_CHECK(name.find('/') == std::string_view::npos);
        FUZZ_CHECK(std::none_of(name.begin(), name.end(), is_control));
        FUZZ_CHECK(is_clean_utf8(name)); // what the logs would escape is refused
        FUZZ_CHECK(name != "tasks" && name != "notify_on_release" && name != "release_agent");
        FUZZ_CHECK(name.rfind("cgroup.", 0) != 0 && name.rfind("memory.", 0) != 0 && name.rfind("cpuset.", 0) != 0 &&
                   name.rfind("freezer.", 0) != 0);
    } else {
        FUZZ_CHECK(valid.error().code == EINVAL);
        FUZZ_CHECK(std::none_of(valid.error().context.begin(), valid.error().context.end(), is_control));
    }
    const std::string escaped = cgfs::escape_control(name);
    FUZZ_CHECK(std::none_of(escaped.begin(), escaped.end(), is_control));
    FUZZ_CHECK(is_clean_utf8(escaped));
    FUZZ_CHECK(!is_clean_utf8(name) || escaped == name);
    FUZZ_CHECK(cgfs::escape_control(escaped) == escaped);
    return 0;
}
