// libFuzzer target for lib/user_name (validate_user_name) and escape_control (lib/note.hpp),
// which makes user names safe for log lines. Invariants beyond not crashing: an accepted name is
// one path component the kernel would not mistake for anything (not empty, not "." or "..", no
// '/', no control character, at most NAME_MAX bytes, not a kernel file name); every refusal is
// EINVAL; escape_control leaves no control character and changes nothing else.
#include "fuzz_check.hpp"
#include "note.hpp"
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
        FUZZ_CHECK(name != "tasks" && name != "notify_on_release" && name != "release_agent");
        FUZZ_CHECK(name.rfind("cgroup.", 0) != 0 && name.rfind("memory.", 0) != 0 && name.rfind("cpuset.", 0) != 0 &&
                   name.rfind("freezer.", 0) != 0);
    } else {
        FUZZ_CHECK(valid.error().code == EINVAL);
        FUZZ_CHECK(std::none_of(valid.error().context.begin(), valid.error().context.end(), is_control));
    }
    const std::string escaped = cgfs::escape_control(name);
    FUZZ_CHECK(std::none_of(escaped.begin(), escaped.end(), is_control));
    const auto controls = static_cast<std::size_t>(std::count_if(name.begin(), name.end(), is_control));
    FUZZ_CHECK(escaped.size() == name.size() + 3 * controls);
    return 0;
}
