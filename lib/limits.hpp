// cgfs: per-user cgroup limits from /etc/security/cgfs.conf (man cgfs.conf(5)).
// Lines of `<domain> <limit> <value>`; the first line that matches the user decides each limit.
// Limits use cgroup2 names and are translated for v1 hierarchies; they are written on
// BASE/user/<name>, whose limit files stay root-owned, so they bind all of the user's sessions.
#pragma once

#include "hierarchy.hpp"
#include "note.hpp"
#include "result.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace cgfs {

/// The default configuration file (module option `config=PATH` overrides it).
inline constexpr const char* kLimitsConfig = "/etc/security/cgfs.conf";
/// The largest configuration file read.
inline constexpr std::size_t kMaxConfigBytes = 1U << 20;
/// At most this many bad lines are logged one by one at each open; the rest are counted in one
/// more line, so a broken file cannot flood syslog (a 1 MiB file holds 500,000 bad lines).
inline constexpr std::size_t kMaxProblemsLogged = 20;

/// Who a line applies to (cgfs.conf(5) "DOMAINS"; the forms of limits.conf(5)).
struct Domain {
    enum class Kind {
        user,
        group,
        uid_range,
        any
    };
    Kind kind = Kind::any;
    std::string name; ///< user: the user name; group: the group name without '@'
    uid_t low = 0;    ///< uid_range: first uid
    uid_t high = 0;   ///< uid_range: last uid (inclusive)
};

/// One valid line: the value is normalised (single spaces, memory sizes in bytes).
struct LimitRule {
    Domain domain;
    std::string limit; ///< cgroup2 name: memory.max, memory.high, pids.max, cpu.weight, cpu.max, io.weight
    std::string value;
    int line = 0; ///< 1-based line number in the file
};

/// A line that was skipped, with why ("line 7: unknown limit 'memory.swap'").
struct ConfigProblem {
    int line = 0;
    std::string text;
};

struct LimitsConfig {
    std::vector<LimitRule> rules;        ///< valid lines, in file order
    std::vector<ConfigProblem> problems; ///< bad lines (each skipped; the rest still applies)
};

/// The cgroup2 limit names this file accepts (cgroup-v2.rst "Controllers").
[[nodiscard]] const std::vector<std::string_view>& known_limits();

/// Parses the whole text of a configuration file. `#` starts a comment; blank lines are ignored.
/// A line that has no value, an unknown limit, a malformed domain (`@` alone, `5:3`, `x:`) or a
/// value the limit does not accept becomes a ConfigProblem and is skipped. Never fails.
[[nodiscard]] LimitsConfig parse_limits(std::string_view text);

/// Reads and parses `path`. A missing file (ENOENT) is an empty configuration: no limits.
/// Errors: any other errno of open/read (EACCES, EISDIR, EFBIG past kMaxConfigBytes), context
/// "read <path>".
Result<LimitsConfig> read_limits(const std::string& path);

/// The user a rule is matched against. `in_group(name)` says whether the user is a member of the
/// group `name` (primary or supplementary; pam_modutil_user_in_group_nam_nam in the module).
struct LimitSubject {
    std::string name;
    uid_t uid = 0;
    std::function<bool(std::string_view)> in_group;
};

/// True when `domain` covers `subject`. As in limits.conf(5), `*` and `@group` never cover root
/// (uid 0): root is bound only by a line naming it or by a uid range that includes 0.
[[nodiscard]] bool domain_matches(const Domain& domain, const LimitSubject& subject);

/// The rules in force for `subject`: for each limit, the first matching line in file order.
/// Returned in the order of their lines.
[[nodiscard]] std::vector<LimitRule> limits_for(const LimitsConfig& config, const LimitSubject& subject);

/// One kernel file write that carries a limit.
struct KnobWrite {
    std::string file;
    std::string value;
};

/// How a limit is written in a hierarchy: cgroup2 names as they are; on v1 memory.max →
/// memory.limit_in_bytes, memory.high → memory.soft_limit_in_bytes ("max" → -1), pids.max →
/// pids.max, cpu.weight → cpu.shares (weight × 1024 / 100, the conversion systemd uses), cpu.max
/// → cpu.cfs_period_us then cpu.cfs_quota_us ("max" → -1), io.weight → blkio.weight (× 5,
/// clamped to 10…1000; cgroup-v1/blkio-controller.rst). `rule.value` as parse_limits left it.
/// Errors: ENOTSUP with the reason when v1 has no equivalent (a per-device io.weight).
Result<std::vector<KnobWrite>> translate_limit(const LimitRule& rule, CgroupVersion version);

/// The kernel controller a limit belongs to ("memory", "pids", "cpu", "io"; on v1 "io" is
/// "blkio").
[[nodiscard]] std::string limit_controller(std::string_view limit, CgroupVersion version);

/// One hierarchy where an open created the session, with its BASE/user/<name> held open.
struct LimitTarget {
    const Hierarchy* hierarchy = nullptr;
    int user_dir_fd = -1; ///< BASE/user/<name>, open
    std::string user_dir; ///< its namespace-relative cgroup path, for messages
};

/// Writes `rules` on BASE/user/<name> of `targets`, choosing for each limit the first target that
/// holds its controller (a v1 hierarchy bound to it, else cgroup2 when its root offers it). A
/// limit with no such target, an untranslatable one, or a limit file the kernel does not offer
/// (controller not enabled for user/<name>) becomes a notice; each write made, a debug note. A
/// refused write is returned as an Error (context "<hierarchy>: <cgroup>/<file>: write
/// '<value>'"); the other limits are still written (cgfs.conf(5): a refused limit does not undo
/// the login).
std::vector<Error> apply_limits(const std::vector<LimitTarget>& targets, const std::vector<LimitRule>& rules,
                                Notes& notes);

} // namespace cgfs
