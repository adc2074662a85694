// cgfsctl reap: removes stale session cgroups with the module's own reaping code
// (cgfs::reap_stale_sessions, pam_cgfs(8) REAPING), then user/<name> when nothing is left in it.
// Paths are printed escaped (cgfs::escape_control), as the module logs them.
#include "cgfsctl.hpp"

#include "escape.hpp"
#include "fs.hpp"
#include "session.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <unistd.h>

namespace cgfsctl {

int reap(const Args& args)
{
    if (!args.dry_run && ::geteuid() != 0) {
        (void)std::fprintf(stderr, "cgfsctl reap: must run as root (or use --dry-run)\n");
        return kExitWarn;
    }
    auto discovery = cgfs::discover();
    if (!discovery.ok()) {
        (void)std::fprintf(stderr, "cgfsctl reap: %s\n", discovery.error().message().c_str());
        return kExitWarn;
    }
    // Everything made before this moment and empty is stale: the same rule an open applies with
    // its own start time; a login racing with us retries with a new index.
    timespec started{};
    ::clock_gettime(CLOCK_REALTIME_COARSE, &started);
    std::size_t removed = 0;
    std::size_t kept = 0;
    for (const auto& h : discovery.value().hierarchies) {
        const std::string user_cg = cgfs::join_cgroup(cgfs::base_cgroup(h), "user");
        auto user_fd = open_cgroup(h, user_cg);
        if (!user_fd)
            continue;
        for (const auto& name : user_names(user_fd->get(), args)) {
            auto fd = cgfs::fs::open_dir_at(user_fd->get(), name);
            if (!fd.ok())
                continue;
            const std::string user_dir = cgfs::join_cgroup(user_cg, name);
            const std::string shown = cgfs::escape_control(h.label() + ":" + user_dir);
            cgfs::Notes notes;
            auto outcome =
                cgfs::reap_stale_sessions(fd.value().get(), h.label() + ": " + user_dir, started,
                                          args.dry_run ? cgfs::ReapMode::dry_run : cgfs::ReapMode::remove, notes);
            std::sort(outcome.removed.begin(), outcome.removed.end());
            for (const long index : outcome.removed)
                std::printf("%s %s/%ld\n", args.dry_run ? "would remove" : "removed", shown.c_str(), index);
            for (const long index : outcome.kept)
                std::printf("kept %s/%ld (in use, or not removable)\n", shown.c_str(), index);
            removed += outcome.removed.size();
            kept += outcome.kept.size();
            // As close does: user/<name> goes once no session is left in it (an open racing with
            // us finds its directory gone and starts over).
            if (!args.dry_run && outcome.kept.empty()) {
                auto gone = cgfs::fs::remove_dir_at(user_fd->get(), name);
                if (gone.ok())
                    std::printf("removed %s\n", shown.c_str());
            }
        }
    }
    std::printf("%s %zu stale session cgroup%s, kept %zu\n", args.dry_run ? "would remove" : "removed", removed,
                removed == 1 ? "" : "s", kept);
    return kExitOk;
}

} // namespace cgfsctl
