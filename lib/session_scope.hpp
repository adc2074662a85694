// cgfs: one hierarchy's part of an open in a systemd cgroup of the user (pam_cgfs(8) "systemd
// user slices", "systemd session scopes"): delegated in place, or, for a logind session scope that
// systemd delegates (Delegate=yes), the scope's processes moved into <scope>/init.scope and its
// controllers enabled.
#pragma once

#include "hierarchy.hpp"
#include "result.hpp"
#include "session.hpp"
#include "session_tree.hpp"
#include "unique_fd.hpp"

#include <string>
#include <vector>

namespace cgfs {

/// Chowns the caller's cgroup `record.origin` (a user-<uid>.slice cgroup of the user) and its
/// delegated files to the user, creating and moving nothing (Placement::systemd_in_place).
/// Errors: errno, context "<hierarchy>: <cgroup>".
Result<void> delegate_in_place(const Hierarchy& hierarchy, const HierarchySession& record, OpenContext& context);

/// For a caller in its own logind session scope on cgroup2: the open scope when systemd delegates
/// it (delegated_by_systemd), and then `record` becomes Placement::systemd_scope with the leaf
/// <scope>/init.scope. Otherwise an invalid fd and a notice that containers started there get no
/// controllers, since systemd owns the cgroup.subtree_control of any other unit and rewrites it at
/// its next reload (systemd's docs/CGROUP_DELEGATION.md); the scope is then delegated in place.
UniqueFd plan_scope(const Hierarchy& hierarchy, HierarchySession& record, Notes& notes);

/// A delegated session scope being entered (Placement::systemd_scope).
class ScopeSession {
public:
    /// `scope` as plan_scope opened it.
    ScopeSession(const Hierarchy& hierarchy, UniqueFd scope, OpenContext& context, const HierarchySession& record);

    /// Moves every process of the scope into <scope>/init.scope, the caller first, within
    /// kMaxScopeMoveRounds (cgroup-v2.rst "no internal processes": a scope holding any refuses
    /// controllers); enables in the scope each controller it offers; delegates scope and leaf (the
    /// leaf's memory.* files exist only once the scope passes memory on). Errors: errno, context.
    Result<void> enter();
    /// Undoes enter() for a failed open: the controllers it enabled off again (else the scope
    /// refuses processes), the moved processes back into the scope, its own leaf removed. Owner
    /// changes stay (see OwnerChange). Never fails.
    void undo();

private:
    Result<void> move_processes();
    std::string enable_offered();
    [[nodiscard]] std::string where(const std::string& cgroup) const { return hierarchy_.label() + ": " + cgroup; }

    const Hierarchy& hierarchy_;
    UniqueFd scope_;
    OpenContext& context_;
    const HierarchySession& record_;
    TreeLevel leaf_;
    std::vector<std::string> moved_;   // pids moved into the leaf, the caller first
    std::vector<std::string> enabled_; // controllers this open enabled in the scope
};

} // namespace cgfs
