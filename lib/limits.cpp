// cgfs: per-user limits (see limits.hpp).
#include "limits.hpp"

#include "fs.hpp"
#include "text.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <set>

namespace cgfs {

namespace {

/// pids.max accepts 0 … PIDS_MAX (PID_MAX_LIMIT, 4194304 on 64-bit, plus one; kernel/cgroup/pids.c).
constexpr std::uint64_t kMaxPids = 4194304;
/// cgroup-v2.rst "Weights": [1, 10000], default 100.
constexpr std::uint64_t kMinWeight = 1;
constexpr std::uint64_t kMaxWeight = 10000;
constexpr std::uint64_t kDefaultWeight = 100;
/// cpu.max period bounds in µs (kernel/sched/core.c: 1 ms … 1 s) and the minimum quota (1 ms).
constexpr std::uint64_t kMinCpuPeriod = 1000;
constexpr std::uint64_t kMaxCpuPeriod = 1000000;
constexpr std::uint64_t kMinCpuQuota = 1000;
constexpr std::uint64_t kDefaultCpuPeriod = 100000;
/// v1 cpu.shares for the cgroup2 default weight (cgroup-v1 sched: 1024), as systemd converts.
constexpr std::uint64_t kDefaultShares = 1024;
/// blkio.weight range and default (cgroup-v1/blkio-controller.rst: 10 … 1000, default 500).
constexpr std::uint64_t kMinBlkioWeight = 10;
constexpr std::uint64_t kMaxBlkioWeight = 1000;
constexpr std::uint64_t kDefaultBlkioWeight = 500;

/// The largest value the kernel parses for byte counts and cpu quotas (a signed 64-bit value).
constexpr std::uint64_t kMaxSigned64 = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

constexpr std::string_view kSpaces = " \t";

std::vector<std::string_view> words(std::string_view text)
{
    return split(text, kSpaces);
}

/// A plain unsigned decimal ("0", "4096"; no sign, no spaces), else nullopt.
std::optional<std::uint64_t> decimal(std::string_view text)
{
    std::uint64_t value = 0;
    if (text.empty())
        return std::nullopt;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || ptr != text.data() + text.size())
        return std::nullopt;
    return value;
}

std::optional<uid_t> parse_uid(std::string_view text)
{
    const auto value = decimal(text);
    // (uid_t)-1 is "no uid" for the kernel's set*id calls, never a user.
    if (!value || *value >= std::numeric_limits<uid_t>::max())
        return std::nullopt;
    return static_cast<uid_t>(*value);
}

/// `*`, `@group`, `low:high` / `low:` / `:high`, or a user name (cgfs.conf(5) "DOMAINS").
/// Errors: EINVAL, context the reason ("'@' names no group").
Result<Domain> parse_domain(std::string_view text)
{
    Domain d;
    if (text == "*")
        return d;
    if (text[0] == '@') {
        if (text.size() == 1)
            return make_error(EINVAL, "'@' names no group");
        d.kind = Domain::Kind::group;
        d.name = std::string(text.substr(1));
        return d;
    }
    if (const std::size_t colon = text.find(':'); colon != std::string_view::npos) {
        const std::string_view low = text.substr(0, colon);
        const std::string_view high = text.substr(colon + 1);
        const auto lo = low.empty() ? std::optional<uid_t>(0) : parse_uid(low);
        const auto hi = high.empty() ? std::optional<uid_t>(std::numeric_limits<uid_t>::max() - 1) : parse_uid(high);
        if ((low.empty() && high.empty()) || !lo || !hi || *lo > *hi)
            return make_error(EINVAL,
                              "'" + std::string(text) + "' is not a uid range (LOW:HIGH, LOW: or :HIGH, LOW <= HIGH)");
        d.kind = Domain::Kind::uid_range;
        d.low = *lo;
        d.high = *hi;
        return d;
    }
    d.kind = Domain::Kind::user;
    d.name = std::string(text);
    return d;
}

/// memory.max / memory.high: "max" or bytes with an optional K, M, G or T suffix (powers of
/// 1024, as the kernel's memparse reads them). Normalised to "max" or plain bytes.
std::optional<std::string> memory_value(std::string_view text)
{
    if (text == "max")
        return std::string(text);
    unsigned shift = 0;
    if (!text.empty()) {
        switch (text.back()) {
        case 'k':
        case 'K':
            shift = 10;
            break;
        case 'm':
        case 'M':
            shift = 20;
            break;
        case 'g':
        case 'G':
            shift = 30;
            break;
        case 't':
        case 'T':
            shift = 40;
            break;
        default:
            break;
        }
    }
    if (shift != 0)
        text.remove_suffix(1);
    const auto number = decimal(text);
    if (!number || *number > (kMaxSigned64 >> shift))
        return std::nullopt;
    return std::to_string(*number << shift);
}

std::optional<std::string> pids_value(std::string_view text)
{
    if (text == "max")
        return std::string(text);
    const auto number = decimal(text);
    if (!number || *number > kMaxPids)
        return std::nullopt;
    return std::to_string(*number);
}

std::optional<std::uint64_t> weight(std::string_view text)
{
    const auto number = decimal(text);
    if (!number || *number < kMinWeight || *number > kMaxWeight)
        return std::nullopt;
    return number;
}

/// cpu.max: "QUOTA [PERIOD]", QUOTA "max" or µs; normalised to "QUOTA PERIOD" (default period
/// 100000 µs, cgroup-v2.rst "CPU Interface Files").
std::optional<std::string> cpu_max_value(const std::vector<std::string_view>& parts)
{
    if (parts.empty() || parts.size() > 2)
        return std::nullopt;
    std::uint64_t period = kDefaultCpuPeriod;
    if (parts.size() == 2) {
        const auto p = decimal(parts[1]);
        if (!p || *p < kMinCpuPeriod || *p > kMaxCpuPeriod)
            return std::nullopt;
        period = *p;
    }
    if (parts[0] != "max") {
        const auto q = decimal(parts[0]);
        if (!q || *q < kMinCpuQuota || *q > kMaxSigned64)
            return std::nullopt;
    }
    return std::string(parts[0]) + " " + std::to_string(period);
}

/// io.weight: "N", "default N" (normalised to "default N") or "MAJ:MIN N" (cgroup-v2.rst "IO
/// Interface Files").
std::optional<std::string> io_weight_value(const std::vector<std::string_view>& parts)
{
    if (parts.size() == 1 && weight(parts[0]))
        return "default " + std::string(parts[0]);
    if (parts.size() != 2 || !weight(parts[1]))
        return std::nullopt;
    if (parts[0] == "default")
        return "default " + std::string(parts[1]);
    const std::size_t colon = parts[0].find(':');
    if (colon == std::string_view::npos || !decimal(parts[0].substr(0, colon)) || !decimal(parts[0].substr(colon + 1)))
        return std::nullopt;
    return std::string(parts[0]) + " " + std::string(parts[1]);
}

std::string join(const std::vector<std::string_view>& parts)
{
    std::string text;
    for (const auto part : parts) {
        if (!text.empty())
            text += ' ';
        text += part;
    }
    return text;
}

/// The normalised value of `limit` from the words after it (cgfs.conf(5) "LIMITS"), else nullopt.
std::optional<std::string> normalised_value(std::string_view limit, const std::vector<std::string_view>& parts)
{
    if (limit == "cpu.max")
        return cpu_max_value(parts);
    if (limit == "io.weight")
        return io_weight_value(parts);
    if (parts.size() != 1)
        return std::nullopt;
    if (limit == "memory.max" || limit == "memory.high")
        return memory_value(parts[0]);
    if (limit == "pids.max")
        return pids_value(parts[0]);
    if (limit == "cpu.weight" && weight(parts[0]))
        return std::string(parts[0]);
    return std::nullopt;
}

/// normalised_value, or EINVAL with the reason ("'1X' is not a valid value for memory.max").
Result<std::string> limit_value(std::string_view limit, const std::vector<std::string_view>& parts)
{
    if (auto value = normalised_value(limit, parts))
        return std::move(*value);
    return make_error(EINVAL, "'" + join(parts) + "' is not a valid value for " + std::string(limit));
}

std::uint64_t number_or(std::string_view text, std::uint64_t fallback)
{
    return decimal(text).value_or(fallback);
}

bool offers(const Hierarchy& h, const std::string& controller)
{
    if (h.version == CgroupVersion::v1)
        return h.has_controller(controller);
    return std::find(h.controllers.begin(), h.controllers.end(), controller) != h.controllers.end();
}

/// One line's words as a rule: `<domain> <limit> <value...>` (at least three words). Errors:
/// EINVAL, context the reason the line is skipped.
Result<LimitRule> parse_rule(const std::vector<std::string_view>& parts, int number)
{
    auto domain = parse_domain(parts[0]);
    if (!domain.ok())
        return domain.error();
    const auto& names = known_limits();
    if (std::find(names.begin(), names.end(), parts[1]) == names.end())
        return make_error(EINVAL, "unknown limit '" + std::string(parts[1]) + "'");
    auto value = limit_value(parts[1], std::vector<std::string_view>(parts.begin() + 2, parts.end()));
    if (!value.ok())
        return value.error();
    return LimitRule{std::move(domain).value(), std::string(parts[1]), std::move(value).value(), number};
}

} // namespace

const std::vector<std::string_view>& known_limits()
{
    static const std::vector<std::string_view> names = {"memory.max", "memory.high", "pids.max",
                                                        "cpu.weight", "cpu.max",     "io.weight"};
    return names;
}

LimitsConfig parse_limits(std::string_view text)
{
    LimitsConfig config;
    int number = 0;
    while (!text.empty()) {
        ++number;
        const std::size_t newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
        if (const std::size_t hash = line.find('#'); hash != std::string_view::npos)
            line = line.substr(0, hash);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        const auto parts = words(line);
        if (parts.empty())
            continue;
        const auto problem = [&](const std::string& why) {
            config.problems.push_back(
                ConfigProblem{number, "line " + std::to_string(number) + ": " + escape_control(why)});
        };
        if (parts.size() < 3) {
            problem("expected '<domain> <limit> <value>'");
            continue;
        }
        auto rule = parse_rule(parts, number);
        if (!rule.ok()) {
            problem(rule.error().context);
            continue;
        }
        config.rules.push_back(std::move(rule).value());
    }
    return config;
}

Result<LimitsConfig> read_limits(const std::string& path)
{
    auto text = fs::read_regular_file(path, kMaxConfigBytes);
    if (!text.ok()) {
        if (text.error().code == ENOENT)
            return LimitsConfig{};
        return text.error();
    }
    return parse_limits(text.value());
}

bool domain_matches(const Domain& domain, const LimitSubject& subject)
{
    switch (domain.kind) {
    case Domain::Kind::user:
        return domain.name == subject.name;
    case Domain::Kind::uid_range:
        return subject.uid >= domain.low && subject.uid <= domain.high;
    case Domain::Kind::group:
        return subject.uid != 0 && subject.in_group && subject.in_group(domain.name);
    case Domain::Kind::any:
        return subject.uid != 0;
    }
    return false;
}

std::vector<LimitRule> limits_for(const LimitsConfig& config, const LimitSubject& subject)
{
    std::vector<LimitRule> chosen;
    std::set<std::string> decided;
    for (const auto& rule : config.rules) {
        if (decided.count(rule.limit) != 0 || !domain_matches(rule.domain, subject))
            continue;
        decided.insert(rule.limit);
        chosen.push_back(rule);
    }
    return chosen;
}

std::string limit_controller(std::string_view limit, CgroupVersion version)
{
    std::string controller(limit.substr(0, limit.find('.')));
    if (controller == "io" && version == CgroupVersion::v1)
        return "blkio";
    return controller;
}

Result<std::vector<KnobWrite>> translate_limit(const LimitRule& rule, CgroupVersion version)
{
    if (version == CgroupVersion::v2)
        return std::vector<KnobWrite>{{rule.limit, rule.value}};
    const auto parts = words(rule.value);
    const auto v1_max = [](std::string_view value) { return value == "max" ? std::string("-1") : std::string(value); };
    if (rule.limit == "memory.max")
        return std::vector<KnobWrite>{{"memory.limit_in_bytes", v1_max(rule.value)}};
    if (rule.limit == "memory.high")
        return std::vector<KnobWrite>{{"memory.soft_limit_in_bytes", v1_max(rule.value)}};
    if (rule.limit == "pids.max")
        return std::vector<KnobWrite>{{"pids.max", rule.value}};
    if (rule.limit == "cpu.weight") {
        const std::uint64_t shares = number_or(rule.value, kDefaultWeight) * kDefaultShares / kDefaultWeight;
        return std::vector<KnobWrite>{{"cpu.shares", std::to_string(shares)}};
    }
    if (rule.limit == "cpu.max" && parts.size() == 2) {
        // The period first: a quota is checked against the period in force.
        return std::vector<KnobWrite>{{"cpu.cfs_period_us", std::string(parts[1])},
                                      {"cpu.cfs_quota_us", v1_max(parts[0])}};
    }
    if (rule.limit == "io.weight" && parts.size() == 2 && parts[0] == "default") {
        const std::uint64_t blkio =
            std::clamp(number_or(parts[1], kDefaultWeight) * kDefaultBlkioWeight / kDefaultWeight, kMinBlkioWeight,
                       kMaxBlkioWeight);
        return std::vector<KnobWrite>{{"blkio.weight", std::to_string(blkio)}};
    }
    return make_error(ENOTSUP, rule.limit + " '" + rule.value + "' has no cgroup v1 equivalent");
}

namespace {

/// The first of `targets` that holds the controller of `limit`: v1 first (on a hybrid host the
/// controllers live there), else cgroup2.
const LimitTarget* target_of(const std::vector<LimitTarget>& targets, const std::string& limit)
{
    for (const auto version : {CgroupVersion::v1, CgroupVersion::v2})
        for (const auto& target : targets)
            if (target.hierarchy->version == version && offers(*target.hierarchy, limit_controller(limit, version)))
                return &target;
    return nullptr;
}

} // namespace

std::vector<Error> apply_limits(const std::vector<LimitTarget>& targets, const std::vector<LimitRule>& rules,
                                Notes& notes)
{
    std::vector<Error> failed;
    for (const auto& rule : rules) {
        const std::string origin = "limit " + rule.limit + " (line " + std::to_string(rule.line) + ")";
        const LimitTarget* target = target_of(targets, rule.limit);
        if (target == nullptr) {
            notice(notes, origin + ": no hierarchy of this session offers the " +
                              limit_controller(rule.limit, CgroupVersion::v2) + " controller; not applied");
            continue;
        }
        const Hierarchy& h = *target->hierarchy;
        auto knobs = translate_limit(rule, h.version);
        if (!knobs.ok()) {
            notice(notes, origin + ": " + h.label() + ": " + knobs.error().context + "; not applied");
            continue;
        }
        for (const auto& knob : knobs.value()) {
            const std::string where = h.label() + ": " + join_cgroup(target->user_dir, knob.file);
            if (auto written = fs::write_at(target->user_dir_fd, knob.file, knob.value); !written.ok()) {
                if (written.error().code == ENOENT) {
                    notice(notes,
                           origin + ": " + where + " does not exist (controller not enabled there); not applied");
                    break;
                }
                failed.push_back(Error{written.error().code, where + ": write '" + knob.value + "'"});
                break;
            }
            debug(notes, origin + ": " + where + " = " + knob.value);
        }
    }
    return failed;
}

} // namespace cgfs
