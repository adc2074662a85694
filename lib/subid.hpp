// cgfs: subordinate id ranges from /etc/subuid and /etc/subgid (subuid(5)), for cgfsctl check:
// an unprivileged container needs 65536 ids, each level of nesting 65536 more.
#pragma once

#include "result.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace cgfs {

/// Ids one unprivileged container maps (0…65535; LXC's and the article's default).
inline constexpr std::uint64_t kIdsPerContainer = 65536;

/// One line "owner:start:count"; owner is a login name or a numeric uid.
struct SubidRange {
    std::string owner;
    std::uint64_t start = 0;
    std::uint64_t count = 0;
};

/// Parses a subuid(5)/subgid(5) file. Comment lines (#), empty lines and malformed lines are
/// skipped (shadow's own readers skip them too).
[[nodiscard]] std::vector<SubidRange> parse_subid(std::string_view text);

/// Sum of the counts of the ranges that belong to the user `name` / `uid` (by name or by the
/// decimal uid, as subuid(5) allows both).
[[nodiscard]] std::uint64_t subid_count(const std::vector<SubidRange>& ranges, std::string_view name, uid_t uid);

/// Levels of nested unprivileged containers `count` ids allow: -1 when not even one container
/// (count < 65536), 0 for one container without nesting, n for n levels below it
/// (count / 65536 - 1; the article's nesting example needs 131072 for one level).
[[nodiscard]] long nesting_levels(std::uint64_t count);

} // namespace cgfs
