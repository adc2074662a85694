// libcgroup 2.0.2 as an independent oracle: on the machine it runs on, read-only, its
// view of the mounted controllers and their mount points must agree with cgfs::discover().
// Named hierarchies (name=systemd) are opaque to Debian's libcgroup and never listed by it, so
// they are left out of the comparison. libcgroup 2.0.2 also lists the controllers cgroup2 offers
// (cgroup.controllers of the cgroup2 root) with the cgroup2 mount point; discover() fills the
// cgroup2 hierarchy's controllers from the same file, so those entries are compared the same way.
// Exit 77 (Meson skip) when libcgroup cannot initialise because no controller is mounted at all.

#include <catch2/catch.hpp>

#include "hierarchy.hpp"

#include <libcgroup.h>

#include <cstdio>
#include <set>
#include <string>
#include <utility>

namespace {

void quiet_logger(void*, int, const char*, va_list)
{}

/// (controller, mount point) pairs as libcgroup lists them.
std::set<std::pair<std::string, std::string>> libcgroup_view()
{
    std::set<std::pair<std::string, std::string>> out;
    void* handle = nullptr;
    cgroup_mount_point info{};
    int ret = cgroup_get_controller_begin(&handle, &info);
    while (ret == 0) {
        out.emplace(info.name, info.path);
        ret = cgroup_get_controller_next(&handle, &info);
    }
    cgroup_get_controller_end(&handle);
    INFO("libcgroup iteration ended with " << ret << " (" << cgroup_strerror(ret) << ")");
    CHECK(ret == ECGEOF);
    return out;
}

} // namespace

TEST_CASE("libcgroup_oracle: every controller libcgroup lists is ours at the same mount point", "[libcgroup_oracle]")
{
    const auto theirs = libcgroup_view();
    REQUIRE_FALSE(theirs.empty());
    auto found = cgfs::discover();
    REQUIRE(found.ok());
    for (const auto& [controller, path] : theirs) {
        INFO("libcgroup: " << controller << " at " << path);
        CHECK(controller.rfind("name=", 0) != 0); // opaque to it, never listed
        bool agreed = false;
        for (const auto& h : found.value().hierarchies)
            if (h.has_controller(controller) && h.mount_point == path)
                agreed = true;
        CHECK(agreed);
    }
}

TEST_CASE("libcgroup_oracle: every v1 controller we found is listed by libcgroup", "[libcgroup_oracle]")
{
    const auto theirs = libcgroup_view();
    auto found = cgfs::discover();
    REQUIRE(found.ok());
    std::size_t compared = 0;
    for (const auto& h : found.value().hierarchies) {
        if (h.version != cgfs::CgroupVersion::v1)
            continue;
        // Named hierarchies (name=systemd) are opaque to libcgroup: excluded. A named hierarchy
        // with controllers is compared by its controllers.
        for (const auto& controller : h.controllers) {
            INFO("cgfs: " << h.label() << " at " << h.mount_point);
            CHECK(theirs.count({controller, h.mount_point}) == 1);
            ++compared;
        }
    }
    if (found.value().layout == cgfs::Layout::unified)
        WARN("cgroup2 only: no v1 hierarchy to compare (the other test compares cgroup2's controllers)");
    else
        CHECK(compared > 0);
}

int cgfs_test_precheck(int, char**);

int cgfs_test_precheck(int, char**)
{
    cgroup_set_logger(quiet_logger, CGROUP_LOG_ERROR, nullptr);
    const int ret = cgroup_init();
    if (ret == ECGROUPNOTMOUNTED) {
        std::printf("SKIP: libcgroup: %s (no controller mounted here, e.g. a cgroup2-only view)\n",
                    cgroup_strerror(ret));
        return 77;
    }
    if (ret != 0) {
        std::printf("FAIL: cgroup_init: %d %s\n", ret, cgroup_strerror(ret));
        return 1;
    }
    return -1;
}
