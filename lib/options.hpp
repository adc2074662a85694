// cgfs: the module's argv (pam_cgfs(8) OPTIONS): `-c LIST` (two tokens, any position,
// repeatable), `debug` and `config=PATH` (the limits file, cgfs.conf(5)).
// Pure parsing; the PAM adapter logs what comes back (unknown tokens, the fatal problem).
#pragma once

#include "result.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cgfs {

/// What `-c` asked for. No `-c` at all means `all`.
struct ControllerList {
    bool all = false;
    bool unified = false;                 ///< "unified": the cgroup2 hierarchy
    std::vector<std::string> controllers; ///< kernel controller names, as written, no duplicates
    std::vector<std::string> names;       ///< X of each "name=X", no duplicates
    /// Items that cannot name a controller or hierarchy, each as the problem to log (pam_cgfs(8)
    /// OPTIONS: logged at LOG_ERR and skipped, the other items still apply).
    std::vector<std::string> invalid;
};

struct ModuleOptions {
    ControllerList list;
    bool debug = false;
    std::string config = "/etc/security/cgfs.conf"; ///< `config=PATH`: the limits file (cgfs.conf(5))
    std::vector<std::string> unknown;               ///< tokens that were ignored (each gets one LOG_ERR line)
    std::optional<std::string> fatal;               ///< a problem that makes the line unusable (PAM_SESSION_ERR)
};

/// Parses the PAM line's arguments. Several `-c` lists are merged; of several `config=`, the last
/// counts. Fatal: `config=` with a path that is not absolute, `-c` as the last token, `all`
/// together with anything else. An item that is not a possible controller or hierarchy name
/// (kernel: controller names are [a-z0-9_], names of v1 named hierarchies [A-Za-z0-9_.-], both at
/// most 64 bytes; `name=` without a name) goes to list.invalid and is skipped, as an unknown word
/// is (pam_cgfs(8) OPTIONS). Empty items ("a,,b") are skipped silently.
[[nodiscard]] ModuleOptions parse_module_options(const std::vector<std::string_view>& argv);

/// Parses one LIST into `into`, adding what it skips to into.invalid (see parse_module_options).
/// Errors: EINVAL, context the problem that makes the line unusable (`all` with other items).
Result<void> parse_controller_list(std::string_view text, ControllerList& into);

} // namespace cgfs
