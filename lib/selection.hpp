// cgfs: which hierarchies a session gets, from the `-c` list and the discovered layout
// (pam_cgfs(8) OPTIONS, BEHAVIOUR PER LAYOUT).
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

/// A discovery and the selection made from it.
struct DiscoveredSelection {
    Discovery discovery;
    Selection selection;
};

/// What a login needs: discover() and select_hierarchies(), but only the roots of the selected
/// hierarchies are opened (open_hierarchy_root), plus cgroup2's beforehand when the selection
/// depends on what it offers (a unified-only layout, or no -c). The result is the one of
/// select_hierarchies(discover(RootOpening::all)) except that hierarchies the list leaves out
/// are never opened, so nothing is said of them. When a selected root cannot be opened it falls
/// back to exactly that full discovery, notices included. Errors: those of discover().
Result<DiscoveredSelection> discover_and_select(const ControllerList& list);

} // namespace cgfs
