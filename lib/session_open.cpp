// cgfs: opening a session (see session.hpp, open_session): every selected hierarchy planned, then
// one loop over the session trees: prepare, reap, claim the lowest index free everywhere, enter,
// delegate; start over (bounded) when a concurrent close or reaper removed what this open made.
// Whatever is not committed is undone when the open ends, by an error or an exception.
#include "session.hpp"

#include "cpuset.hpp"
#include "delegation.hpp"
#include "fs.hpp"
#include "session_scope.hpp"
#include "session_tree.hpp"
#include "systemd_unit.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <new>
#include <optional>
#include <set>

namespace cgfs {

namespace {

/// pam_cgfs(8) "systemd user slices": `origin` is strictly below BASE/user.slice/user-<uid>.slice/,
/// anchored at BASE (only root can create there) and the uid compared as a number.
bool in_own_systemd_slice(std::string_view origin, std::string_view base, uid_t uid)
{
    const auto rel = cgroup_relative(origin, base);
    if (!rel)
        return false;
    const auto parts = cgroup_components(*rel);
    return parts.size() >= 3 && parts[0] == "user.slice" && is_user_slice_of(parts[1], uid);
}

/// The kernel's lists an open needs, read only when a selected hierarchy uses them: the delegate
/// list on cgroup2, the isolated CPUs for a v1 cpuset.
struct KernelLists {
    std::string delegate;
    std::vector<unsigned> isolated;
};

KernelLists read_kernel_lists(const Discovery& discovery, const Selection& selection)
{
    bool any_v2 = false;
    bool any_cpuset = false;
    for (const auto& chosen : selection.chosen) {
        const Hierarchy& h = discovery.hierarchies[chosen.index];
        any_v2 = any_v2 || h.version == CgroupVersion::v2;
        any_cpuset = any_cpuset || (h.version == CgroupVersion::v1 && h.has_controller("cpuset"));
    }
    KernelLists lists;
    if (any_v2)
        if (auto list = fs::read_path(kKernelDelegateList); list.ok())
            lists.delegate = std::move(list).value();
    if (any_cpuset)
        if (auto isolated = fs::read_path(kIsolatedCpus); isolated.ok())
            lists.isolated = parse_cpu_list(isolated.value()).value_or(std::vector<unsigned>{});
    return lists;
}

/// What open records of a hierarchy before deciding anything: where it is mounted, where the
/// caller is, BASE.
HierarchySession describe(const Hierarchy& h)
{
    HierarchySession hs;
    hs.version = h.version;
    hs.label = h.label();
    hs.mount = MountIdentity{h.controllers, h.name, h.mount_point, h.mount_root, 0, 0};
    if (auto st = fs::stat_fd(h.root.get()); st.ok()) {
        hs.mount.dev = st.value().st_dev;
        hs.mount.ino = st.value().st_ino;
    }
    hs.origin = h.self_cgroup;
    hs.base = base_cgroup(h);
    return hs;
}

/// pam_cgfs(8) "Cgroups that already belong to the user": `su - alice` from alice's session must
/// not nest user/alice/0/user/alice/0. The owner is checked on the opened fd, never by path.
/// BASE/user/<name> itself is root's and no session (pam_cgfs(8) THREAT MODEL), whoever sits there.
bool already_delegated(const Hierarchy& h, const HierarchySession& hs, const UserIdentity& user,
                       const std::string& origin_rel)
{
    const auto below = cgroup_relative(h.self_cgroup, user_dir_cgroup(hs.base, user.name));
    if (!below || below->empty())
        return false;
    auto fd = fs::open_path_at(h.root.get(), origin_rel);
    if (!fd.ok())
        return false;
    auto st = fs::stat_fd(fd.value().get());
    return st.ok() && st.value().st_uid == user.uid;
}

/// One attempt of the open loop: the index claimed in every tree, or why to start over.
struct Attempt {
    long index = -1;
    std::optional<Error> retry;
};

/// A cgroup removed under the attempt (is_vanished) means start over; any other error ends the open.
Result<Attempt> retry_or_fail(const Error& error)
{
    if (is_vanished(error.code))
        return Attempt{-1, error};
    return error;
}

/// Where in BASE/user/<name> the sampled reaping starts reading: kernfs positions are name hashes
/// in [2, INT_MAX), and the seed's bits are spread over all of them (splitmix64's finaliser):
/// tv_nsec < 2^30 and container pids are small, and a plain xor left the upper half of the hash
/// range out of reach.
off_t sample_position(const timespec& started, pid_t pid, long entries)
{
    std::uint64_t seed = static_cast<std::uint64_t>(started.tv_nsec) ^ (static_cast<std::uint64_t>(pid) << 32) ^
                         static_cast<std::uint64_t>(entries);
    seed = (seed ^ (seed >> 30)) * 0xbf58476d1ce4e5b9ULL;
    seed = (seed ^ (seed >> 27)) * 0x94d049bb133111ebULL;
    seed ^= seed >> 31;
    return static_cast<off_t>(2 + seed % 0x7ffffffdULL);
}

class Opening {
public:
    Opening(const Discovery& discovery, const Selection& selection, const OpenParams& params, Notes& notes)
        : discovery_(discovery),
          selection_(selection),
          params_(params),
          notes_(notes),
          lists_(read_kernel_lists(discovery, selection)),
          context_(params, lists_.delegate, lists_.isolated, notes)
    {}
    Opening(const Opening&) = delete;
    Opening& operator=(const Opening&) = delete;
    /// Undoes everything not committed (an error returned or an exception on its way out).
    ~Opening()
    {
        if (!committed_)
            undo();
    }

    Result<OpenedSession> run();

private:
    Result<void> plan();
    Result<UniqueFd> plan_hierarchy(const Hierarchy& h, HierarchySession& hs);
    Result<Attempt> attempt();
    long reap(std::set<long>& used);
    long reap_sampled(long entries, std::set<long>& used);
    Result<long> claim_free(long from, std::set<long>& used);
    [[nodiscard]] Result<void> verify() const;
    OpenedSession commit();
    void undo() noexcept;

    const Discovery& discovery_;
    const Selection& selection_;
    const OpenParams& params_;
    Notes& notes_;
    KernelLists lists_;
    OpenContext context_;
    SessionRecord record_;
    std::vector<const Hierarchy*> hierarchies_; // of record_.hierarchies, in the same order
    std::vector<SessionTree> trees_;            // Placement::created
    std::vector<ScopeSession> scopes_;          // Placement::systemd_scope
    bool committed_ = false;
};

Result<OpenedSession> Opening::run()
{
    if (auto planned = plan(); !planned.ok())
        return planned.error();
    for (int attempt = 1; !trees_.empty() && record_.index < 0; ++attempt) {
        auto outcome = this->attempt();
        if (!outcome.ok())
            return outcome.error();
        if (const auto& retry = outcome.value().retry) {
            // Something this attempt made was removed by a concurrent close or reaper, or its
            // cgroup turned out to be another login's too: start over.
            debug(notes_, retry->message() + "; retrying");
            for (auto tree = trees_.rbegin(); tree != trees_.rend(); ++tree)
                tree->undo();
            if (attempt == kMaxCreateAttempts)
                return retry->wrap("gave up after " + std::to_string(kMaxCreateAttempts) + " attempts");
            continue;
        }
        record_.index = outcome.value().index;
    }
    // Last, so that nothing after it but the check can fail: undoing it is the most disruptive.
    for (auto& scope : scopes_)
        if (auto entered = scope.enter(); !entered.ok())
            return entered.error();
    if (auto verified = verify(); !verified.ok())
        return verified.error();
    return commit();
}

Result<void> Opening::plan()
{
    const std::size_t count = selection_.chosen.size();
    record_.user = params_.user;
    record_.hierarchies.resize(count);
    hierarchies_.reserve(count);
    trees_.reserve(count);
    scopes_.reserve(count);
    std::vector<UniqueFd> scope_fds(count);
    for (std::size_t i = 0; i < count; ++i) {
        hierarchies_.push_back(&discovery_.hierarchies[selection_.chosen[i].index]);
        auto planned = plan_hierarchy(*hierarchies_[i], record_.hierarchies[i]);
        if (!planned.ok())
            return planned.error();
        scope_fds[i] = std::move(planned).value();
    }
    for (std::size_t i = 0; i < count; ++i) {
        HierarchySession& hs = record_.hierarchies[i];
        if (hs.placement == Placement::created)
            trees_.emplace_back(*hierarchies_[i], selection_.chosen[i].enable, context_, hs);
        else if (hs.placement == Placement::systemd_scope)
            scopes_.emplace_back(*hierarchies_[i], std::move(scope_fds[i]), context_, hs);
    }
    for (std::size_t i = 0; i < count; ++i)
        if (record_.hierarchies[i].placement == Placement::systemd_in_place)
            if (auto r = delegate_in_place(*hierarchies_[i], record_.hierarchies[i], context_); !r.ok())
                return r;
    return {};
}

/// Decides the placement of one hierarchy (session.hpp, Placement). Returns the open session
/// scope for Placement::systemd_scope, else an invalid fd.
Result<UniqueFd> Opening::plan_hierarchy(const Hierarchy& h, HierarchySession& hs)
{
    hs = describe(h);
    auto origin_rel = path_below_mount(h, h.self_cgroup);
    if (!origin_rel)
        return make_error(EXDEV, h.label() + ": " + h.self_cgroup + ": the caller's cgroup is outside the mount at " +
                                     h.mount_point);
    hs.placement = Placement::created;
    if (already_delegated(h, hs, params_.user, *origin_rel)) {
        hs.placement = Placement::already_delegated;
        hs.session = hs.leaf = h.self_cgroup;
        debug(notes_,
              h.label() + ": " + h.self_cgroup + ": already delegated to " + params_.user.name + ", left as it is");
    } else if (in_own_systemd_slice(h.self_cgroup, hs.base, params_.user.uid)) {
        hs.placement = Placement::systemd_in_place;
        hs.session = hs.leaf = h.self_cgroup;
        if (h.version == CgroupVersion::v2 &&
            classify_systemd_cgroup(h.self_cgroup, hs.base, params_.user.uid) == SystemdCgroup::session_scope)
            return plan_scope(h, hs, notes_);
    }
    return UniqueFd{};
}

Result<Attempt> Opening::attempt()
{
    for (auto& tree : trees_)
        if (auto prepared = tree.prepare(); !prepared.ok())
            return retry_or_fail(prepared.error());
    std::set<long> used;
    const long from = reap(used);
    auto index = claim_free(from, used);
    if (!index.ok())
        return retry_or_fail(index.error());
    for (auto& tree : trees_) {
        auto entry = tree.enter();
        if (!entry.ok())
            return retry_or_fail(entry.error());
        if (entry.value() == Entry::shared)
            return Attempt{-1, make_error(EBUSY, tree.leaf_where() + ": another process moved in too")};
    }
    for (auto& tree : trees_)
        if (auto delegated = tree.delegate(); !delegated.ok())
            return retry_or_fail(delegated.error());
    return Attempt{index.value(), std::nullopt};
}

/// The lowest index from `from` that is not in `used` and that every tree claims; an index one
/// tree finds taken is released everywhere and the next one tried. Errors: those of claim();
/// ENOSPC when none is free up to kMaxSessionIndex.
Result<long> Opening::claim_free(long from, std::set<long>& used)
{
    for (long candidate = from; candidate <= kMaxSessionIndex; ++candidate) {
        if (used.count(candidate) != 0)
            continue;
        bool taken = false;
        for (auto& tree : trees_) {
            auto claimed = tree.claim(candidate);
            if (!claimed.ok())
                return claimed.error();
            if (claimed.value() == Claim::taken) {
                taken = true;
                break;
            }
        }
        if (!taken)
            return candidate;
        for (auto& tree : trees_)
            tree.release();
        used.insert(candidate);
    }
    return make_error(ENOSPC, "no free session index up to " + std::to_string(kMaxSessionIndex));
}

/// pam_cgfs(8) "Reaping", bounded, in every tree: returns the index the search for a free one
/// starts at, and puts the indexes known to be live in `used`.
long Opening::reap(std::set<long>& used)
{
    long entries = 0;
    for (const auto& tree : trees_)
        entries = std::max(entries, tree.entries());
    if (entries == 0)
        return 0; // user/<name> new or empty everywhere: nothing to reap, 0 is free
    if (entries > kFullReapBound)
        return reap_sampled(entries, used);
    for (auto& tree : trees_) {
        if (tree.entries() == 0)
            continue;
        const ReapOutcome outcome =
            reap_stale_sessions(tree.user_dir(), tree.user_dir_where(), params_.started, ReapMode::remove, notes_);
        used.insert(outcome.kept.begin(), outcome.kept.end());
    }
    return 0;
}

/// Many sessions: no walk over all of them. kReapWindow session cgroups, sampled from the
/// directory at a position that changes from open to open (on cgroupfs a directory position is a
/// name hash, so any index can come up, however high), are looked at; the search for a free index
/// starts at the number of entries, which is free whenever the indexes below are packed. An index
/// live in one hierarchy is a running session: the others are not asked.
long Opening::reap_sampled(long entries, std::set<long>& used)
{
    const auto first = std::find_if(trees_.begin(), trees_.end(), [](const auto& t) { return t.entries() > 0; });
    std::vector<long> window;
    const off_t from = sample_position(params_.started, params_.pid, entries);
    if (auto sample = fs::sample_subdirs(first->user_dir(), from, kReapSample); sample.ok()) {
        for (const auto& name : sample.value())
            if (const long index = parse_session_index(name); index >= 0 && window.size() < kReapWindow)
                window.push_back(index);
    } else {
        debug(notes_, first->user_dir_where() + ": " + sample.error().message());
    }
    std::string looked;
    for (const long index : window) {
        const std::string name = std::to_string(index);
        looked += (looked.empty() ? "" : ", ") + name;
        for (auto& tree : trees_) {
            if (reap_if_stale(tree.user_dir(), name, tree.user_dir_where(), params_.started, notes_) ==
                Staleness::live) {
                used.insert(index);
                break;
            }
        }
    }
    for (const auto& tree : trees_)
        debug(notes_, tree.user_dir_where() + ": " + std::to_string(tree.entries()) + " entries, more than " +
                          std::to_string(kFullReapBound) + ": looked at sessions " +
                          (looked.empty() ? std::string("none") : looked) +
                          " only (cgfsctl reap removes every leftover)");
    return entries;
}

/// pam_cgfs(8) RETURN VALUES: PAM_SUCCESS means /proc/<pid>/cgroup shows the process there.
Result<void> Opening::verify() const
{
    const std::string proc = "/proc/" + std::to_string(params_.pid) + "/cgroup";
    auto text = fs::read_path(proc);
    if (!text.ok())
        return text.error();
    const CgroupTable table = parse_proc_cgroup(text.value());
    for (std::size_t i = 0; i < hierarchies_.size(); ++i) {
        const Hierarchy& h = *hierarchies_[i];
        const HierarchySession& hs = record_.hierarchies[i];
        const auto line = std::find_if(table.lines.begin(), table.lines.end(),
                                       [&](const CgroupLine& l) { return line_matches(h, l); });
        if (line == table.lines.end())
            return make_error(EIO, h.label() + ": " + hs.leaf + ": hierarchy missing from " + proc);
        if (line->path != hs.leaf)
            return make_error(EIO, h.label() + ": " + hs.leaf + ": " + proc + " shows " + line->path);
    }
    return {};
}

/// The session is open from here on: nothing is undone any more, and the limits are written
/// through the BASE/user/<name> the trees hold (an exception there leaves them unwritten).
OpenedSession Opening::commit()
{
    committed_ = true;
    OpenedSession opened;
    opened.record = std::move(record_);
    if (params_.limits.empty())
        return opened;
    try {
        std::vector<LimitTarget> targets;
        for (const auto& tree : trees_)
            if (tree.hierarchy().root.valid())
                targets.push_back(LimitTarget{&tree.hierarchy(), tree.user_dir(), tree.user_dir_cgroup()});
        opened.limit_errors = apply_limits(targets, params_.limits, opened.limit_notes);
    } catch (...) {
        // The session stays open without its limits (out of memory: the adapter could not log
        // either); the record must reach the adapter whatever happened here.
    }
    return opened;
}

void Opening::undo() noexcept
{
    try {
        for (auto& scope : scopes_)
            scope.undo();
        for (auto tree = trees_.rbegin(); tree != trees_.rend(); ++tree)
            tree->undo();
    } catch (...) {
        // Out of memory while undoing: what is left is reaped at the next open.
    }
}

} // namespace

std::string user_dir_cgroup(std::string_view base, std::string_view name)
{
    return join_cgroup(join_cgroup(base, kUserDir), name);
}

Result<OpenedSession> open_session(const Discovery& discovery, const Selection& selection, const OpenParams& params,
                                   Notes& notes)
{
    Opening opening(discovery, selection, params, notes);
    return opening.run();
}

} // namespace cgfs
