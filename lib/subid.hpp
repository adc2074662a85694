// cgfs: how many levels of nested unprivileged containers a number of subordinate ids allows
// (for cgfsctl check). The ids themselves are read with the shadow suite's libsubid.
#pragma once

#include <cstdint>

namespace cgfs {

/// Ids one unprivileged container maps (0…65535; LXC's and the article's default).
inline constexpr std::uint64_t kIdsPerContainer = 65536;

/// Levels of nested unprivileged containers `count` subordinate ids allow: -1 when not even one
/// container (count < 65536), 0 for one container without nesting, n for n levels below it
/// (count / 65536 - 1: the parent maps all of them, each level inside 65536 fewer; the article's
/// nesting example needs 131072 for one level).
[[nodiscard]] constexpr long nesting_levels(std::uint64_t count)
{
    return static_cast<long>(count / kIdsPerContainer) - 1;
}

} // namespace cgfs
