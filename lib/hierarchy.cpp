// cgfs: hierarchy discovery (see hierarchy.hpp).
#include "hierarchy.hpp"

#include "fs.hpp"
#include "text.hpp"

#include <algorithm>
#include <linux/magic.h>

namespace cgfs {

namespace {

constexpr std::string_view kInitScope = "/init.scope";

/// v1 super options that are not controllers (cgroup-v1 docs, "mount options"; kernel
/// cgroup1_parse_param): everything else in the super options is a controller name.
bool is_v1_mount_flag(std::string_view option)
{
    static constexpr std::string_view kFlags[] = {
        "rw", "ro", "none", "noprefix", "xattr", "clone_children", "cpuset_v2_mode", "favordynmods"};
    if (std::find(std::begin(kFlags), std::end(kFlags), option) != std::end(kFlags))
        return true;
    return option.find('=') != std::string_view::npos; // name=, release_agent=, …
}

struct MountKey {
    CgroupVersion version;
    std::vector<std::string> controllers; // sorted
    std::string name;
};

MountKey key_of(const MountEntry& m)
{
    MountKey key{m.fstype == "cgroup2" ? CgroupVersion::v2 : CgroupVersion::v1, {}, {}};
    if (key.version == CgroupVersion::v1) {
        for (const auto& option : m.super_options) {
            if (option.substr(0, kNamePrefix.size()) == kNamePrefix)
                key.name = option.substr(kNamePrefix.size());
            else if (!is_v1_mount_flag(option))
                key.controllers.push_back(option);
        }
        std::sort(key.controllers.begin(), key.controllers.end());
    }
    return key;
}

/// Does /proc/<pid>/cgroup `line` belong to the hierarchy of this version, sorted controller set
/// and name? (Co-mounted controllers may be listed in any order.)
bool line_is(const CgroupLine& line, CgroupVersion version, const std::vector<std::string>& sorted_controllers,
             std::string_view name)
{
    if (version == CgroupVersion::v2)
        return line.is_unified();
    if (line.is_unified() || name != line.name || line.controllers.size() != sorted_controllers.size())
        return false;
    // The same multiset of names, compared without a sorted copy: this runs for every mount and
    // line at each open and close, and the lists are a few names long.
    for (const auto& controller : line.controllers) {
        const auto in_line = std::count(line.controllers.begin(), line.controllers.end(), controller);
        const auto [first, last] = std::equal_range(sorted_controllers.begin(), sorted_controllers.end(), controller);
        if (in_line != last - first)
            return false;
    }
    return true;
}

bool same_hierarchy(const MountKey& key, const CgroupLine& line)
{
    return line_is(line, key.version, key.controllers, key.name);
}

const CgroupLine* find_line(const CgroupTable* table, const MountKey& key)
{
    if (table == nullptr)
        return nullptr;
    for (const auto& line : table->lines)
        if (same_hierarchy(key, line))
            return &line;
    return nullptr;
}

} // namespace

std::optional<std::string> cgroup_relative(std::string_view path, std::string_view root)
{
    if (path.empty() || path[0] != '/')
        return std::nullopt;
    // A path that climbs above the namespace root is never below a mount.
    if (path == "/.." || path.substr(0, 4) == "/../")
        return std::nullopt;
    if (root == "/")
        return std::string(path.substr(1));
    if (path.substr(0, root.size()) != root)
        return std::nullopt;
    if (path.size() == root.size())
        return std::string();
    if (path[root.size()] != '/')
        return std::nullopt;
    return std::string(path.substr(root.size() + 1));
}

namespace {

Layout layout_of(const std::vector<Hierarchy>& hierarchies)
{
    bool have_v1 = false;
    bool have_v2 = false;
    for (const auto& h : hierarchies)
        (h.version == CgroupVersion::v2 ? have_v2 : have_v1) = true;
    if (have_v1)
        return have_v2 ? Layout::hybrid : Layout::legacy;
    return have_v2 ? Layout::unified : Layout::none;
}

} // namespace

bool line_matches(const Hierarchy& h, const CgroupLine& line)
{
    return line_is(line, h.version, h.controllers, h.name);
}

std::vector<std::string> parse_controllers(std::string_view text)
{
    std::vector<std::string> words;
    for (const auto word : split(text, " \n"))
        words.emplace_back(word);
    return words;
}

std::string_view layout_name(Layout layout)
{
    switch (layout) {
    case Layout::legacy:
        return "legacy";
    case Layout::hybrid:
        return "hybrid";
    case Layout::unified:
        return "unified";
    case Layout::none:
        break;
    }
    return "none";
}

std::string Hierarchy::label() const
{
    if (version == CgroupVersion::v2)
        return "unified";
    std::string text;
    for (const auto& controller : controllers) {
        if (!text.empty())
            text += ',';
        text += controller;
    }
    if (!name.empty()) {
        if (!text.empty())
            text += ',';
        text += "name=";
        text += name;
    }
    return text;
}

bool Hierarchy::has_controller(std::string_view controller) const
{
    return std::find(controllers.begin(), controllers.end(), controller) != controllers.end();
}

std::vector<std::string_view> cgroup_components(std::string_view rel)
{
    return split(rel, "/");
}

std::string join_cgroup(std::string_view parent, std::string_view child)
{
    std::string out(parent);
    while (!out.empty() && out.back() == '/')
        out.pop_back();
    while (!child.empty() && child.front() == '/')
        child.remove_prefix(1);
    out += '/';
    out += child;
    if (out.size() > 1 && out.back() == '/')
        out.pop_back();
    return out;
}

std::optional<std::string> path_below_mount(const Hierarchy& h, std::string_view cgroup)
{
    return cgroup_relative(cgroup, h.mount_root);
}

Result<UniqueFd> open_cgroup(const Hierarchy& h, std::string_view cgroup)
{
    const auto rel = path_below_mount(h, cgroup);
    if (!rel)
        return make_error(EXDEV, "outside the mount");
    return fs::open_path_at(h.root.get(), *rel);
}

std::string base_cgroup(const Hierarchy& h)
{
    std::string_view init = h.init_cgroup;
    if (init.size() >= kInitScope.size() && init.substr(init.size() - kInitScope.size()) == kInitScope)
        init.remove_suffix(kInitScope.size());
    std::string base = init.empty() ? std::string("/") : std::string(init);
    if (h.init_cgroup.empty() || !cgroup_relative(base, h.mount_root))
        return h.mount_root;
    return base;
}

Discovery build_discovery(const MountTable& mounts, const CgroupTable& self, const CgroupTable* init)
{
    Discovery out;
    struct Candidate {
        MountKey key;
        std::size_t entry;
    };
    std::vector<Candidate> chosen;
    const std::vector<bool> covered = covered_mounts(mounts.entries);
    for (std::size_t i = 0; i < mounts.entries.size(); ++i) {
        const MountEntry& m = mounts.entries[i];
        if (m.fstype != "cgroup" && m.fstype != "cgroup2")
            continue;
        if (covered[i])
            continue;
        MountKey key = key_of(m);
        if (key.version == CgroupVersion::v1 && key.controllers.empty() && key.name.empty())
            continue; // not a usable v1 hierarchy
        const CgroupLine* line = find_line(&self, key);
        const bool reachable = line != nullptr && cgroup_relative(line->path, m.root).has_value();
        auto same = std::find_if(chosen.begin(), chosen.end(), [&](const Candidate& c) {
            return c.key.version == key.version && c.key.controllers == key.controllers && c.key.name == key.name;
        });
        if (same == chosen.end()) {
            chosen.push_back(Candidate{std::move(key), i});
            continue;
        }
        // Several mounts of one hierarchy: keep the one that shows the caller's cgroup, and of
        // those the one with the shortest root (the widest view).
        const MountEntry& current = mounts.entries[same->entry];
        const bool current_reachable = line != nullptr && cgroup_relative(line->path, current.root).has_value();
        if ((reachable && !current_reachable) ||
            (reachable == current_reachable && m.root.size() < current.root.size()))
            same->entry = i;
    }

    out.hierarchies.reserve(chosen.size()); // one allocation, no moves: a new process faults per heap page
    for (auto& candidate : chosen) {
        const MountEntry& m = mounts.entries[candidate.entry];
        const CgroupLine* line = find_line(&self, candidate.key);
        Hierarchy h;
        h.version = candidate.key.version;
        h.controllers = candidate.key.controllers;
        h.name = candidate.key.name;
        h.mount_point = m.mount_point;
        h.mount_root = m.root;
        if (line == nullptr) {
            debug(out.notes, h.label() + ": mounted at " + m.mount_point + " but not in /proc/self/cgroup, skipped");
            continue;
        }
        h.self_cgroup = line->path;
        if (const CgroupLine* init_line = find_line(init, candidate.key))
            h.init_cgroup = init_line->path;
        out.hierarchies.push_back(std::move(h));
    }
    out.layout = layout_of(out.hierarchies);
    if (mounts.skipped > 0)
        debug(out.notes, "/proc/self/mountinfo: " + std::to_string(mounts.skipped) + " malformed lines ignored");
    if (self.skipped > 0)
        debug(out.notes, "/proc/self/cgroup: " + std::to_string(self.skipped) + " malformed lines ignored");
    return out;
}

Result<UniqueFd> open_mount_root(const std::string& path, CgroupVersion version)
{
    auto root = fs::open_root(path);
    if (!root.ok())
        return root.error();
    const unsigned long magic = version == CgroupVersion::v2 ? CGROUP2_SUPER_MAGIC : CGROUP_SUPER_MAGIC;
    if (auto checked = fs::check_magic(root.value().get(), magic); !checked.ok())
        return checked.error().wrap(path);
    return root;
}

Result<void> open_hierarchy_root(Hierarchy& h)
{
    auto root = open_mount_root(h.mount_point, h.version);
    if (!root.ok())
        return root.error();
    h.root = std::move(root).value();
    if (h.version == CgroupVersion::v2) {
        if (auto available = fs::read_at(h.root.get(), "cgroup.controllers"); available.ok())
            h.controllers = parse_controllers(available.value());
    }
    return {};
}

Result<Discovery> discover(RootOpening roots)
{
    auto mountinfo = fs::read_path("/proc/self/mountinfo");
    if (!mountinfo.ok())
        return mountinfo.error();
    auto self = fs::read_path("/proc/self/cgroup");
    if (!self.ok())
        return self.error();
    // /proc/1/cgroup can be hidden (hidepid); BASE then falls back to the mount root.
    auto init = fs::read_path("/proc/1/cgroup");
    const CgroupTable self_table = parse_proc_cgroup(self.value());
    std::optional<CgroupTable> init_table;
    if (init.ok())
        init_table = parse_proc_cgroup(init.value());
    Discovery found =
        build_discovery(parse_mountinfo(mountinfo.value()), self_table, init_table ? &*init_table : nullptr);
    if (!init.ok())
        debug(found.notes, init.error().message() + "; BASE is each mount's root");
    if (roots == RootOpening::none)
        return found;

    std::vector<Hierarchy> usable;
    for (auto& h : found.hierarchies) {
        if (auto opened = open_hierarchy_root(h); !opened.ok()) {
            notice(found.notes, h.label() + ": " + opened.error().message() + ", hierarchy skipped");
            continue;
        }
        usable.push_back(std::move(h));
    }
    found.hierarchies = std::move(usable);
    found.layout = layout_of(found.hierarchies);
    return found;
}

} // namespace cgfs
