// cgfs: module argv parsing (see options.hpp).
#include "options.hpp"

#include "note.hpp"
#include "proc_cgroup.hpp"

#include <algorithm>

namespace cgfs {

namespace {

constexpr std::string_view kConfigPrefix = "config=";
/// MAX_CGROUP_ROOT_NAMELEN in include/linux/cgroup-defs.h.
constexpr std::size_t kMaxHierarchyName = 64;

bool is_controller_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

bool is_hierarchy_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
}

template <typename Predicate> bool all_of_chars(std::string_view text, Predicate ok)
{
    return std::all_of(text.begin(), text.end(), ok);
}

void add_unique(std::vector<std::string>& list, std::string_view item)
{
    if (std::find(list.begin(), list.end(), item) == list.end())
        list.emplace_back(item);
}

/// Quotes a token for a log line, with control characters made visible.
std::string quoted(std::string_view token)
{
    return "'" + escape_control(token) + "'";
}

} // namespace

Result<void> parse_controller_list(std::string_view text, ControllerList& into)
{
    std::size_t pos = 0;
    while (pos <= text.size()) {
        const std::size_t comma = text.find(',', pos);
        const std::size_t end = comma == std::string_view::npos ? text.size() : comma;
        const std::string_view item = text.substr(pos, end - pos);
        pos = end + 1;
        if (!item.empty()) {
            if (item == "all") {
                into.all = true;
            } else if (item == "unified") {
                into.unified = true;
            } else if (item.substr(0, kNamePrefix.size()) == kNamePrefix) {
                const std::string_view name = item.substr(kNamePrefix.size());
                if (name.empty())
                    into.invalid.push_back("-c: " + quoted(item) + " names no hierarchy; skipped");
                else if (name.size() > kMaxHierarchyName || !all_of_chars(name, is_hierarchy_name_char))
                    into.invalid.push_back("-c: " + quoted(item) + " is not a valid hierarchy name; skipped");
                else
                    add_unique(into.names, name);
            } else if (item.size() > kMaxHierarchyName || !all_of_chars(item, is_controller_char)) {
                into.invalid.push_back("-c: " + quoted(item) + " is not a valid controller name; skipped");
            } else {
                add_unique(into.controllers, item);
            }
        }
        if (comma == std::string_view::npos)
            break;
    }
    if (into.all && (into.unified || !into.controllers.empty() || !into.names.empty()))
        return make_error(EINVAL, "-c: 'all' cannot be combined with other controllers");
    return {};
}

ModuleOptions parse_module_options(const std::vector<std::string_view>& argv)
{
    ModuleOptions options;
    bool list_given = false;
    for (std::size_t i = 0; i < argv.size(); ++i) {
        const std::string_view token = argv[i];
        if (token == "-c") {
            if (i + 1 >= argv.size()) {
                if (!options.fatal)
                    options.fatal = "-c needs a list of controllers";
                break;
            }
            list_given = true;
            if (auto parsed = parse_controller_list(argv[++i], options.list); !parsed.ok() && !options.fatal)
                options.fatal = parsed.error().context;
        } else if (token == "debug") {
            options.debug = true;
        } else if (token.substr(0, kConfigPrefix.size()) == kConfigPrefix) {
            const std::string_view path = token.substr(kConfigPrefix.size());
            if (path.empty() || path[0] != '/') {
                if (!options.fatal)
                    options.fatal = "config=: " + quoted(path) + " is not an absolute path";
            } else {
                options.config = std::string(path);
            }
        } else {
            options.unknown.push_back(quoted(token));
        }
    }
    if (!list_given)
        options.list.all = true; // pam_cgfs(8) OPTIONS: no -c means all
    return options;
}

} // namespace cgfs
