// cgfs: an open in the user's systemd cgroups (see session_scope.hpp).
#include "session_scope.hpp"

#include "delegation.hpp"
#include "fs.hpp"
#include "text.hpp"
#include "systemd_unit.hpp"

#include <cerrno>
#include <set>

namespace cgfs {

Result<void> delegate_in_place(const Hierarchy& hierarchy, const HierarchySession& record, OpenContext& context)
{
    const std::string where = hierarchy.label() + ": " + record.origin;
    auto fd = open_cgroup(hierarchy, record.origin);
    if (!fd.ok())
        return fd.error().wrap(where);
    const UserIdentity& user = context.user();
    std::vector<OwnerChange> changes;
    if (auto done = delegate_cgroup(fd.value().get(), context.files(hierarchy.version), user.uid, user.gid, changes);
        !done.ok())
        return done.error().wrap(where);
    debug(context.notes(), where + ": systemd cgroup of uid " + std::to_string(user.uid) + " delegated in place");
    return {};
}

UniqueFd plan_scope(const Hierarchy& hierarchy, HierarchySession& record, Notes& notes)
{
    const std::string where = hierarchy.label() + ": " + record.origin;
    auto fd = open_cgroup(hierarchy, record.origin);
    auto delegated = fd.ok() ? delegated_by_systemd(fd.value().get()) : Result<bool>(fd.error());
    if (!delegated.ok()) {
        notice(notes, where + ": " + delegated.error().message() +
                          "; session scope delegated in place, containers started in it get no controllers");
        return {};
    }
    if (!delegated.value()) {
        notice(notes, where +
                          ": session scope not delegated by systemd (no Delegate=yes), so containers started in "
                          "it get no controllers; install the session-.scope.d drop-in (pam_cgfs(8), systemd session "
                          "scopes)");
        return {};
    }
    record.placement = Placement::systemd_scope;
    record.leaf = join_cgroup(record.origin, kSessionLeaf);
    return std::move(fd).value();
}

ScopeSession::ScopeSession(const Hierarchy& hierarchy, UniqueFd scope, OpenContext& context,
                           const HierarchySession& record)
    : hierarchy_(hierarchy), scope_(std::move(scope)), context_(context), record_(record)
{}

Result<void> ScopeSession::enter()
{
    auto leaf = context_.ensure_dir(scope_.get(), kSessionLeaf, where(record_.leaf), leaf_.created);
    if (!leaf.ok())
        return leaf.error();
    leaf_.fd = std::move(leaf).value();
    const std::string caller = std::to_string(context_.params().pid);
    if (auto r = fs::write_at(leaf_.fd.get(), "cgroup.procs", caller); !r.ok())
        return r.error().wrap(where(record_.leaf));
    moved_.push_back(caller);
    if (auto r = move_processes(); !r.ok())
        return r;
    const std::string enabled = enable_offered();
    const UserIdentity& user = context_.user();
    const auto& files = context_.files(hierarchy_.version);
    std::vector<OwnerChange> changes;
    if (auto r = delegate_cgroup(scope_.get(), files, user.uid, user.gid, changes); !r.ok())
        return r.error().wrap(where(record_.session));
    auto delegated = leaf_.created ? delegate_new_cgroup(leaf_.fd.get(), files, user.uid, user.gid)
                                   : delegate_cgroup(leaf_.fd.get(), files, user.uid, user.gid, changes);
    if (!delegated.ok())
        return delegated.error().wrap(where(record_.leaf));
    debug(context_.notes(), where(record_.session) +
                                ": session scope delegated by systemd: " + std::to_string(moved_.size()) +
                                (moved_.size() == 1 ? " process" : " processes") + " moved into " + kSessionLeaf +
                                ", controllers " + enabled + ", delegated to uid " + std::to_string(user.uid));
    return {};
}

/// The PAM application's other processes in the scope (sshd's, login's parent) must leave it too:
/// cgroup-v2.rst "no internal processes" refuses controllers to a scope holding any.
Result<void> ScopeSession::move_processes()
{
    bool emptied = false;
    for (int round = 0; round < kMaxScopeMoveRounds && !emptied; ++round) {
        auto procs = fs::read_at(scope_.get(), "cgroup.procs");
        if (!procs.ok())
            return procs.error().wrap(where(record_.session));
        emptied = true;
        for_each_line(procs.value(), [&](std::string_view line) {
            const std::string pid(line);
            emptied = false;
            if (auto r = fs::write_at(leaf_.fd.get(), "cgroup.procs", pid); r.ok())
                moved_.push_back(pid);
            else if (r.error().code != ESRCH) // ESRCH: it exited meanwhile
                notice(context_.notes(), where(record_.session) + ": moving process " + pid + " into " + kSessionLeaf +
                                             ": " + r.error().message());
            return true;
        });
    }
    if (!emptied)
        notice(context_.notes(), where(record_.session) + ": still holds processes after " +
                                     std::to_string(kMaxScopeMoveRounds) + " rounds of moving them into " +
                                     kSessionLeaf);
    return {};
}

/// Enables in the scope each controller it offers, remembering which were off before (for undo).
/// Returns those now enabled, space-separated, or "none".
std::string ScopeSession::enable_offered()
{
    std::set<std::string> before;
    if (auto text = fs::read_at(scope_.get(), "cgroup.subtree_control"); text.ok())
        for (auto& word : parse_controllers(text.value()))
            before.insert(std::move(word));
    std::vector<std::string> offered;
    if (auto text = fs::read_at(scope_.get(), "cgroup.controllers"); text.ok())
        offered = parse_controllers(text.value());
    const auto now = enable_controllers(scope_.get(), offered, where(record_.session), context_.notes());
    std::string enabled;
    for (const auto& controller : now) {
        if (before.count(controller) == 0)
            enabled_.push_back(controller);
        enabled += (enabled.empty() ? "" : " ") + controller;
    }
    return enabled.empty() ? std::string("none") : enabled;
}

void ScopeSession::undo()
{
    if (!leaf_.fd.valid())
        return;
    for (auto it = enabled_.rbegin(); it != enabled_.rend(); ++it)
        ignore_error(fs::write_at(scope_.get(), "cgroup.subtree_control", "-" + *it));
    for (const auto& pid : moved_)
        if (auto r = fs::write_at(scope_.get(), "cgroup.procs", pid); !r.ok() && pid == moved_.front())
            notice(context_.notes(), where(record_.session) + ": moving the process back: " + r.error().message());
    if (leaf_.created)
        ignore_error(fs::remove_dir_at(scope_.get(), kSessionLeaf));
    leaf_ = TreeLevel{};
    moved_.clear();
    enabled_.clear();
}

} // namespace cgfs
