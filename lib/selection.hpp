// cgfs: which hierarchies a session gets, from the `-c` list and the discovered layout (SPEC §3).
// Legacy/hybrid: a controller selects the v1 hierarchy it is mounted in. Unified-only: controllers
// cgroup2 offers select cgroup2 and are enabled down the delegated tree; freezer is built in.
#pragma once

#include "hierarchy.hpp"
#include "note.hpp"
#include "options.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace cgfs {

struct SelectedHierarchy {
    std::size_t index = 0;           ///< into Discovery::hierarchies
    std::vector<std::string> enable; ///< cgroup2 only: controllers to enable in subtree_control
};

struct Selection {
    std::vector<SelectedHierarchy> chosen; ///< in discovery order, each hierarchy once
    Notes notes;                           ///< "X: not mounted, skipped" (notice), name= on cgroup2 (debug)
};

/// Selects hierarchies. Never fails; an empty `chosen` means nothing selectable (the caller
/// reports it). Co-mounted controllers select their hierarchy once. `blkio` means `io` on cgroup2.
[[nodiscard]] Selection select_hierarchies(const Discovery& discovery, const ControllerList& list);

} // namespace cgfs
