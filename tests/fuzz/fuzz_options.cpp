// libFuzzer target for lib/options (parse_module_options, parse_controller_list). The input is
// the PAM line's argv, tokens separated by NUL bytes. Invariants beyond not crashing: an accepted
// line lists only names the kernel could have (controllers [a-z0-9_], hierarchy names
// [A-Za-z0-9_.-], 1..64 bytes), none twice, `all` alone; no -c means all; unknown tokens are
// quoted with no control character left (they go into log lines); and an accepted list, written
// back as one "-c LIST", parses to the same list.
#include "fuzz_check.hpp"
#include "options.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::size_t kMaxTokens = 64;

bool controller_name(const std::string& s)
{
    return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

bool hierarchy_name(const std::string& s)
{
    return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
               c == '-';
    });
}

bool unique(const std::vector<std::string>& v)
{
    return std::set<std::string>(v.begin(), v.end()).size() == v.size();
}

bool no_control(const std::string& s)
{
    return std::none_of(s.begin(), s.end(), [](char c) {
        const auto b = static_cast<unsigned char>(c);
        return b < 0x20 || b == 0x7f;
    });
}

std::string write_list(const cgfs::ControllerList& l)
{
    if (l.all)
        return "all";
    std::string out;
    auto add = [&](const std::string& item) { out += (out.empty() ? "" : ",") + item; };
    for (const auto& c : l.controllers)
        add(c);
    for (const auto& n : l.names)
        add("name=" + n);
    if (l.unified)
        add("unified");
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::vector<std::string_view> argv;
    std::size_t pos = 0;
    while (pos <= text.size() && argv.size() < kMaxTokens) {
        std::size_t nul = text.find('\0', pos);
        if (nul == std::string_view::npos)
            nul = text.size();
        argv.push_back(text.substr(pos, nul - pos));
        pos = nul + 1;
    }
    const cgfs::ModuleOptions o = cgfs::parse_module_options(argv);
    const bool has_c = std::find(argv.begin(), argv.end(), "-c") != argv.end();
    // Without -c everything is selected; only a config= that is not an absolute path is fatal.
    const bool bad_config = std::any_of(argv.begin(), argv.end(), [](std::string_view a) {
        return a.substr(0, 7) == "config=" && (a.size() == 7 || a[7] != '/');
    });
    if (!has_c)
        FUZZ_CHECK(o.list.all && o.fatal.has_value() == bad_config);
    for (const auto& u : o.unknown) {
        FUZZ_CHECK(u.size() >= 2 && u.front() == '\'' && u.back() == '\'');
        FUZZ_CHECK(no_control(u));
    }
    for (const auto& problem : o.list.invalid)
        FUZZ_CHECK(no_control(problem));
    if (o.fatal) {
        FUZZ_CHECK(no_control(*o.fatal));
        return 0;
    }
    const cgfs::ControllerList& l = o.list;
    if (l.all)
        FUZZ_CHECK(!l.unified && l.controllers.empty() && l.names.empty());
    FUZZ_CHECK(std::all_of(l.controllers.begin(), l.controllers.end(), controller_name));
    FUZZ_CHECK(std::all_of(l.names.begin(), l.names.end(), hierarchy_name));
    FUZZ_CHECK(unique(l.controllers) && unique(l.names));
    const std::string list = write_list(l);
    const cgfs::ModuleOptions again = cgfs::parse_module_options({"-c", list});
    FUZZ_CHECK(!again.fatal && again.unknown.empty() && again.list.invalid.empty());
    FUZZ_CHECK(again.list.all == l.all && again.list.unified == l.unified && again.list.controllers == l.controllers &&
               again.list.names == l.names);
    return 0;
}
