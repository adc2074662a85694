// Runner for the integration scenarios: exits 77 (Meson: skipped) when a precondition is truly
// absent (not root, no cgroups mounted); a missing module or driver is a failure, not a skip.

#include <catch2/catch.hpp>

#include "scenario.hpp"

#include <cstdio>

#include <unistd.h>

int cgfs_test_precheck(int, char**);

int cgfs_test_precheck(int, char**)
{
    std::string why = cgfs_test::sandbox_unavailable_reason();
    if (!why.empty()) {
        std::fprintf(stderr, "SKIP: integration scenarios need a throwaway container: %s\n", why.c_str());
        return 77;
    }
    for (const auto& [var, path] :
         {std::pair{"CGFS_MODULE", cgfs_test::module_path()}, std::pair{"CGFS_PAM_DRIVER", cgfs_test::driver_path()}}) {
        if (path.empty() || ::access(path.c_str(), R_OK) != 0) {
            std::fprintf(stderr, "FAIL: %s='%s' is not a readable file (run through meson test)\n", var, path.c_str());
            return 1;
        }
        if (path.rfind("/tmp/", 0) == 0 || path.rfind("/run/", 0) == 0) {
            std::fprintf(stderr,
                         "FAIL: %s='%s': the containers mount a private /tmp and /run; "
                         "use a build directory elsewhere\n",
                         var, path.c_str());
            return 1;
        }
    }
    return -1;
}
