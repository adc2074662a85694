// cgfs: hierarchy selection (see selection.hpp).
#include "selection.hpp"

#include <algorithm>

namespace cgfs {

namespace {

SelectedHierarchy& select(Selection& selection, std::size_t index)
{
    for (auto& chosen : selection.chosen)
        if (chosen.index == index)
            return chosen;
    auto at = std::find_if(selection.chosen.begin(), selection.chosen.end(),
                           [&](const SelectedHierarchy& s) { return s.index > index; });
    return *selection.chosen.insert(at, SelectedHierarchy{index, {}});
}

void add_enable(SelectedHierarchy& chosen, const std::string& controller)
{
    if (std::find(chosen.enable.begin(), chosen.enable.end(), controller) == chosen.enable.end())
        chosen.enable.push_back(controller);
}

std::optional<std::size_t> find_unified(const Discovery& d)
{
    for (std::size_t i = 0; i < d.hierarchies.size(); ++i)
        if (d.hierarchies[i].version == CgroupVersion::v2)
            return i;
    return std::nullopt;
}

void select_unified_only(const Discovery& d, const ControllerList& list, std::size_t v2, Selection& out)
{
    const Hierarchy& h = d.hierarchies[v2];
    if (list.all) {
        auto& chosen = select(out, v2);
        for (const auto& controller : h.controllers)
            add_enable(chosen, controller);
        return;
    }
    if (list.unified)
        select(out, v2);
    for (const auto& requested : list.controllers) {
        // cgroup-v2.rst "Core Interface Files": cgroup.freeze is in every non-root cgroup.
        if (requested == "freezer") {
            select(out, v2);
            continue;
        }
        const std::string controller = requested == "blkio" ? "io" : requested;
        if (!h.has_controller(controller)) {
            notice(out.notes, requested + ": not available on cgroup2, skipped");
            continue;
        }
        add_enable(select(out, v2), controller);
    }
    for (const auto& name : list.names)
        debug(out.notes, "name=" + name + ": named hierarchies do not exist on cgroup2, skipped");
}

void select_with_v1(const Discovery& d, const ControllerList& list, Selection& out)
{
    const auto& hs = d.hierarchies;
    if (list.all) {
        for (std::size_t i = 0; i < hs.size(); ++i) {
            auto& chosen = select(out, i);
            if (hs[i].version == CgroupVersion::v2)
                for (const auto& controller : hs[i].controllers)
                    add_enable(chosen, controller);
        }
        return;
    }
    for (const auto& controller : list.controllers) {
        auto it = std::find_if(hs.begin(), hs.end(), [&](const Hierarchy& h) {
            return h.version == CgroupVersion::v1 && h.has_controller(controller);
        });
        if (it == hs.end())
            notice(out.notes, controller + ": not mounted, skipped");
        else
            select(out, static_cast<std::size_t>(it - hs.begin()));
    }
    for (const auto& name : list.names) {
        auto it = std::find_if(hs.begin(), hs.end(),
                               [&](const Hierarchy& h) { return h.version == CgroupVersion::v1 && h.name == name; });
        if (it == hs.end())
            notice(out.notes, "name=" + name + ": not mounted, skipped");
        else
            select(out, static_cast<std::size_t>(it - hs.begin()));
    }
    if (list.unified) {
        if (auto v2 = find_unified(d))
            select(out, *v2);
        else
            notice(out.notes, "unified: cgroup2 not mounted, skipped");
    }
}

} // namespace

Selection select_hierarchies(const Discovery& discovery, const ControllerList& list)
{
    Selection out;
    if (discovery.layout == Layout::unified)
        select_unified_only(discovery, list, *find_unified(discovery), out);
    else
        select_with_v1(discovery, list, out);
    return out;
}

Result<DiscoveredSelection> discover_and_select(const ControllerList& list)
{
    auto lazy = discover(RootOpening::none);
    if (!lazy.ok())
        return lazy.error();
    DiscoveredSelection out{std::move(lazy).value(), {}};
    bool complete = true;
    const auto v2 = find_unified(out.discovery);
    if (v2 && (out.discovery.layout == Layout::unified || list.all))
        complete = open_hierarchy_root(out.discovery.hierarchies[*v2]).ok();
    if (complete) {
        out.selection = select_hierarchies(out.discovery, list);
        for (const auto& chosen : out.selection.chosen) {
            Hierarchy& h = out.discovery.hierarchies[chosen.index];
            if (!h.root.valid() && !open_hierarchy_root(h).ok()) {
                complete = false;
                break;
            }
        }
    }
    if (complete)
        return out;
    // A root that cannot be opened changes what is usable, and so possibly the layout and the
    // selection: decide as the full discovery does, with its notices.
    auto full = discover(RootOpening::all);
    if (!full.ok())
        return full.error();
    out.discovery = std::move(full).value();
    out.selection = select_hierarchies(out.discovery, list);
    return out;
}

} // namespace cgfs
