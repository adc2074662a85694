// cgfs: cgroup hierarchy discovery (legacy v1, hybrid, unified).
// Built from /proc/self/mountinfo (super options name the controllers, the root field matters in
// cgroup namespaces), /proc/self/cgroup and /proc/1/cgroup — never from mount-point names or
// /proc/cgroups (pam_cgfs(8) BEHAVIOUR PER LAYOUT). Co-mounted controllers are one hierarchy.
#pragma once

#include "mountinfo.hpp"
#include "note.hpp"
#include "proc_cgroup.hpp"
#include "result.hpp"
#include "unique_fd.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cgfs {

enum class CgroupVersion {
    v1,
    v2
};

/// legacy: v1 only; hybrid: v1 + cgroup2; unified: cgroup2 only; none: no cgroup mounted.
enum class Layout {
    none,
    legacy,
    hybrid,
    unified
};

[[nodiscard]] std::string_view layout_name(Layout layout);

/// One mounted hierarchy as this process sees it.
struct Hierarchy {
    CgroupVersion version = CgroupVersion::v1;
    std::vector<std::string> controllers; ///< v1: bound controllers; v2: root's cgroup.controllers (discover())
    std::string name;                     ///< v1 named hierarchy: X of name=X
    std::string mount_point;              ///< absolute path of the chosen mount
    std::string mount_root;               ///< that mount's root field (cgroup path of the mount point)
    std::string self_cgroup;              ///< the caller's cgroup (/proc/self/cgroup), namespace-relative
    std::string init_cgroup;              ///< PID 1's cgroup, empty when /proc/1/cgroup was unreadable
    UniqueFd root;                        ///< the mount point, opened and magic-checked by discover()

    /// "freezer", "cpu,cpuacct", "name=systemd", "unified": how logs and options name it.
    [[nodiscard]] std::string label() const;
    [[nodiscard]] bool has_controller(std::string_view controller) const;
};

/// The hierarchies of this process, in mountinfo order.
struct Discovery {
    Layout layout = Layout::none;
    std::vector<Hierarchy> hierarchies;
    Notes notes;
};

/// Pure part of discovery: matches cgroup mounts (the visible ones; of several mounts of one
/// hierarchy, the one with the shortest root that holds the caller's cgroup) with the caller's
/// and PID 1's /proc/<pid>/cgroup lines. `init` may be null (unreadable). No fds are opened.
[[nodiscard]] Discovery build_discovery(const MountTable& mounts, const CgroupTable& self, const CgroupTable* init);

/// Which hierarchy roots discover() opens.
enum class RootOpening {
    all,  ///< every root; the discovery holds only hierarchies whose root opened (cgfsctl, fallbacks)
    none, ///< none: the caller opens what it uses with open_hierarchy_root (a login's hot path)
};

/// Reads /proc/self/mountinfo, /proc/self/cgroup and /proc/1/cgroup and builds the discovery.
/// With RootOpening::all it then opens every hierarchy root with open_hierarchy_root; a
/// hierarchy whose root cannot be opened or has the wrong magic is dropped with a notice
/// ("<label>: <error>, hierarchy skipped") and the layout counts only the rest.
/// Errors: reading /proc/self/mountinfo or /proc/self/cgroup (errno, context "read /proc/self/…").
Result<Discovery> discover(RootOpening roots = RootOpening::all);

/// Opens the mount point `path` of a hierarchy of `version` (fs::open_root) and checks with
/// fstatfs(2) that it is the file system of that version (CGROUP_SUPER_MAGIC or
/// CGROUP2_SUPER_MAGIC, <linux/magic.h>). Errors: errno of open, context "open <path>"; or of the
/// magic check, context "<path>: statfs".
Result<UniqueFd> open_mount_root(const std::string& path, CgroupVersion version);

/// Opens `h.root` at `h.mount_point` (open_mount_root) and checks with fstatfs(2) that it is the
/// file system of its version (CGROUP_SUPER_MAGIC or CGROUP2_SUPER_MAGIC, <linux/magic.h>); for
/// cgroup2 also reads the root's cgroup.controllers into `h.controllers` (cgroup-v2.rst "Enabling
/// and Disabling": what can be enabled). Errors: errno of open, context "open <path>"; or of the
/// magic check, context "<mount point>: statfs". `h.root` stays closed on error.
Result<void> open_hierarchy_root(Hierarchy& h);

/// Maps a namespace-relative cgroup path ("/user/alice/0") to a path relative to the hierarchy's
/// mount point ("user/alice/0", "" for the mount root itself). nullopt when the cgroup lies
/// outside the mounted subtree (not below `mount_root`, or a "/.." path).
[[nodiscard]] std::optional<std::string> path_below_mount(const Hierarchy& h, std::string_view cgroup);

/// Opens the cgroup directory `cgroup` (namespace-relative) of `h` from its open root, one
/// component at a time (fs::open_path_at: no symlink followed, none of "." or ".."). Errors:
/// EXDEV when the cgroup lies outside the mounted subtree (path_below_mount); else those of
/// fs::open_path_at.
Result<UniqueFd> open_cgroup(const Hierarchy& h, std::string_view cgroup);

/// The part of the cgroup `path` below the cgroup `ancestor` ("" when equal), both
/// namespace-relative and absolute. nullopt when `path` is not at or below `ancestor`, or climbs
/// above the namespace root ("/..").
[[nodiscard]] std::optional<std::string> cgroup_relative(std::string_view path, std::string_view ancestor);

/// BASE of pam_cgfs(8) "The cgroups of a session": PID 1's cgroup with a trailing "/init.scope"
/// dropped, as a namespace-relative path. When PID 1's cgroup is unknown or outside the mounted
/// subtree, the mount root.
[[nodiscard]] std::string base_cgroup(const Hierarchy& h);

/// True when the /proc/<pid>/cgroup `line` is this v1 hierarchy's (same controllers, in any
/// order, and name) or, for cgroup2, the "0::" line. `h` as discovery built it (v1 controllers
/// sorted).
[[nodiscard]] bool line_matches(const Hierarchy& h, const CgroupLine& line);

/// The words of a cgroup2 controller list file (cgroup.controllers, cgroup.subtree_control:
/// space-separated names, cgroup-v2.rst "Core Interface Files").
[[nodiscard]] std::vector<std::string> parse_controllers(std::string_view text);

/// The non-empty components of a cgroup path: "a//b/" → {"a", "b"}. Views into `rel`.
[[nodiscard]] std::vector<std::string_view> cgroup_components(std::string_view rel);

/// Joins namespace-relative cgroup paths: join_cgroup("/a", "b/c") == "/a/b/c", ("/", "b") == "/b".
[[nodiscard]] std::string join_cgroup(std::string_view parent, std::string_view child);

} // namespace cgfs
