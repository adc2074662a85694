// [reference] LXC's pam_cgfs (Debian libpam-cgfs 5.0.2, unpacked by fetch_reference.sh, never
// installed) run through the same scenarios; each documented difference from ours is asserted
// as the reference really behaves (measured on these machines). The runner exits 77 when the
// reference module was not fetched.

#include <catch2/catch.hpp>

#include "expect.hpp"

#include <cstdio>
#include <cstdlib>

#include <syslog.h>
#include <unistd.h>

using namespace cgfs_test;

namespace {

std::string reference_module()
{
    const char* v = std::getenv("CGFS_REFERENCE_MODULE");
    return v != nullptr ? v : "";
}

} // namespace

TEST_CASE("reference: two sessions share index 0; close leaves the session cgroup", "[reference][hybrid]")
{
    auto r = run_scenario(Layout::hybrid, [](Container& c) {
        c.service("ref", "-c freezer,memory,name=systemd", reference_module());
        Driver a = c.start("a", alice({}, "ref"));
        a.wait_held();
        Driver b = c.start("b", alice({}, "ref"));
        b.wait_held();
        c.snapshot("both");
        a.finish();
        b.finish();
        c.snapshot("closed");
    });
    check_ran(r);
    INFO(r.describe());
    CHECK(r.driver("a").code("open") == kPamSuccess);
    CHECK(r.driver("b").code("open") == kPamSuccess);
    for (const std::string key : {"freezer", "memory", "name=systemd"}) {
        check_proc_in(r.driver("a"), "cgroup", key, "/user/alice/0");
        check_proc_in(r.driver("b"), "cgroup", key, "/user/alice/0"); // ours: 0 and 1
        CHECK(r.snap("both").dir_paths(key).count("/user/alice/1") == 0);
        // Ours removes the session and moves P back; the reference leaves both.
        CHECK(r.snap("closed").dirs.count(key + ":/user/alice/0") == 1);
        check_proc_in(r.driver("a"), "cgroup_after_close", key, "/user/alice/0");
    }
}

TEST_CASE("reference: on hybrid only the v1 session directory is chowned", "[reference][hybrid]")
{
    auto r = run_scenario(Layout::hybrid, [](Container& c) {
        c.service("ref", "-c freezer,memory", reference_module());
        c.run("main", alice({"--no-close", "--umask", "077"}, "ref"));
        c.snapshot("open");
    });
    check_ran(r);
    INFO(r.describe());
    CHECK(r.driver("main").code("open") == kPamSuccess);
    CHECK(r.driver("main").value("umask_after") == "0077");
    for (const std::string key : {"freezer", "memory"}) {
        const auto& s = r.snap("open");
        // Ours: user/alice and its tasks/cgroup.procs are alice's too.
        CHECK(s.dirs.at(key + ":/user") == "0:0 0755");
        CHECK(s.dirs.at(key + ":/user/alice") == "0:0 0755");
        CHECK(s.dirs.at(key + ":/user/alice/0") == "1000:1000 0755"); // 0755 even under umask 077
        CHECK(s.non_root_files(key).empty());
    }
}

// Measured: with no cgroup2 mounted at all the reference refuses the session.
TEST_CASE("reference: a pure v1 layout is refused", "[reference][v1]")
{
    auto r = run_scenario(Layout::v1, [](Container& c) {
        c.service("ref", "-c freezer,memory", reference_module());
        c.snapshot("before");
        c.run("main", alice({"--no-close"}, "ref"));
        c.snapshot("after");
    });
    check_ran(r);
    INFO(r.describe());
    CHECK(r.driver("main").code("open") == kPamSessionErr); // ours: PAM_SUCCESS (core tests)
    check_unchanged(r.snap("before"), r.snap("after"));
    check_log(r, LOG_ERR, 1, {"Failed to get list of controllers"});
}

TEST_CASE("reference: pure v2 with the stock line does nothing and reports success", "[reference][v2]")
{
    auto r = run_scenario(Layout::v2, [](Container& c) {
        c.service("ref", "-c freezer,memory,name=systemd", reference_module());
        c.snapshot("before");
        c.run("main", alice({"--no-close"}, "ref"));
        c.snapshot("after");
    });
    check_ran(r);
    INFO(r.describe());
    CHECK(r.driver("main").code("open") == kPamSuccess); // ours: a subtree (pam_cgfs(8) BEHAVIOUR PER LAYOUT)
    check_unchanged(r.snap("before"), r.snap("after"));
    check_proc_in(r.driver("main"), "cgroup", "unified", "/");
}

int cgfs_test_precheck(int, char**);

int cgfs_test_precheck(int, char**)
{
    std::string why = sandbox_unavailable_reason();
    if (!why.empty()) {
        std::fprintf(stderr, "SKIP: reference scenarios need a throwaway container: %s\n", why.c_str());
        return 77;
    }
    std::string ref = reference_module();
    if (ref.empty() || ::access(ref.c_str(), R_OK) != 0) {
        std::fprintf(stderr,
                     "SKIP: reference module '%s' absent; fetch it with "
                     "`ninja -C <build> fetch-reference` (apt-get download libpam-cgfs)\n",
                     ref.c_str());
        return 77;
    }
    if (driver_path().empty() || ::access(driver_path().c_str(), X_OK) != 0) {
        std::fprintf(stderr, "FAIL: CGFS_PAM_DRIVER not set to the driver\n");
        return 1;
    }
    return -1;
}
