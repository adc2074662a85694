// What changes when a user has many sessions, and how close finds its hierarchies (issue 5).
// Up to kFullReapBound entries in user/<name> an open reaps every leftover and takes the lowest
// free index (pam_cgfs(8) Reaping); above it, it looks at kReapWindow session cgroups sampled from
// the directory and searches for a free index from the number of entries, so a login costs the same with 20 or
// 10,000 sessions of the user. `cgfsctl reap` removes the rest. Close finds the hierarchies where
// open saw them (rediscover) and reads mountinfo again only when a mount changed in between.
#include "expect.hpp"
#include "layouts.hpp"
#include "session.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <syslog.h>

using namespace cgfs_test;

namespace {

std::string ctl_path()
{
    const char* p = std::getenv("CGFS_CTL");
    return p != nullptr ? p : "";
}

// Leftovers of `count` killed logins of alice in every key: user/alice/<first>..<first+count-1>,
// alice's, 10 s old and empty (user/alice itself root's, as the module keeps it).
void make_leftovers(Container& c, const std::vector<std::string>& keys, int count, int first)
{
    for (const auto& key : keys) {
        c.mkdir(key + ":/user");
        c.mkdir(key + ":/user/alice");
        for (int i = first; i < first + count; ++i) {
            const std::string dir = key + ":/user/alice/" + std::to_string(i);
            c.mkdir(dir, kAliceUid, kAliceUid);
            c.backdate(dir, 10);
        }
    }
}

constexpr const char* kTag = "pam_cgfs(cgfs-test:session): ";

// The module's debug lines that contain `needle`, without the tag, sorted (hierarchies are
// logged in mountinfo order).
std::vector<std::string> debug_lines(const Report& r, const std::string& needle)
{
    std::vector<std::string> out;
    const std::string tag = kTag;
    for (const auto& line : r.log(LOG_DEBUG))
        if (line.rfind(tag, 0) == 0 && line.find(needle) != std::string::npos)
            out.push_back(line.substr(tag.size()));
    std::sort(out.begin(), out.end());
    return out;
}

// The entries directly below /user/alice in `key`.
std::set<std::string> alice_entries(const Snapshot& s, const std::string& key)
{
    std::set<std::string> out;
    const std::string prefix = "/user/alice/";
    for (const auto& d : s.dir_paths(key))
        if (d.rfind(prefix, 0) == 0 && d.find('/', prefix.size()) == std::string::npos)
            out.insert(d.substr(prefix.size()));
    return out;
}

std::set<std::string> indexes(int from, int to)
{
    std::set<std::string> out;
    for (int i = from; i < to; ++i)
        out.insert(std::to_string(i));
    return out;
}

// With `count` leftovers from index `first` on, one login of alice (debug) held ("held"), closed ("closed"), then
// `cgfsctl reap alice` ("reaped"). Checks that it ran and that open and close succeeded.
Report login_over_leftovers(Layout layout, const Profile& prof, int count, int first = 0)
{
    auto r = run_scenario(layout, [&](Container& c) {
        c.service("cgfs-test", prof.args + " debug");
        make_leftovers(c, prof.keys, count, first);
        Driver d = c.start("login", alice());
        d.wait_held();
        c.snapshot("held");
        d.finish();
        c.snapshot("closed");
        c.sh(ctl_path() + " reap alice >/dev/null");
        c.snapshot("reaped");
    });
    check_ran(r);
    INFO(r.describe());
    CHECK(r.driver("login").code("open") == kPamSuccess);
    CHECK(r.driver("login").code("close") == kPamSuccess);
    return r;
}

// kFullReapBound + 4 leftovers, named far above their number (1000..1019, as after many
// sessions of which the later ones were killed): the login samples two of the user's session
// cgroups at random (read back from its debug line), reaps them, and takes index 20, the number
// of entries. Everything else stays until `cgfsctl reap alice`.
void bounded_reaping(Layout layout)
{
    const int count = static_cast<int>(cgfs::kFullReapBound) + 4;
    const int first = 1000;
    auto prof = core_profile(layout);
    const Report r = login_over_leftovers(layout, prof, count, first);
    INFO(r.describe());
    const auto& d = r.driver("login");
    const std::string bound =
        std::to_string(count) + " entries, more than " + std::to_string(cgfs::kFullReapBound) + ": looked at sessions ";
    const auto window_lines = debug_lines(r, bound);
    REQUIRE(window_lines.size() == prof.keys.size());
    // "<key>: /user/alice: 20 entries, more than 16: looked at sessions A, B only (...)"
    const std::string& first_line = window_lines.front();
    const size_t at = first_line.find(bound) + bound.size();
    const std::string list = first_line.substr(at, first_line.find(" only", at) - at);
    std::set<std::string> sampled;
    for (size_t pos = 0; pos <= list.size();) {
        const size_t comma = list.find(", ", pos);
        sampled.insert(list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
        if (comma == std::string::npos)
            break;
        pos = comma + 2;
    }
    INFO("sampled: " << list);
    CHECK(sampled.size() == cgfs::kReapWindow);
    std::set<std::string> left = indexes(first, first + count);
    std::vector<std::string> want_window;
    std::vector<std::string> want_removed;
    for (const auto& key : prof.keys) {
        want_window.push_back(key + ": /user/alice: " + bound + list + " only (cgfsctl reap removes every leftover)");
        for (const auto& index : sampled)
            want_removed.push_back(key + ": /user/alice/" + index + ": stale, removed");
    }
    for (const auto& index : sampled) {
        CHECK(left.count(index) == 1); // one of the leftovers
        left.erase(index);
    }
    std::sort(want_window.begin(), want_window.end());
    std::sort(want_removed.begin(), want_removed.end());
    CHECK(window_lines == want_window);
    CHECK(debug_lines(r, ": stale, removed") == want_removed);
    for (const auto& key : prof.keys) {
        INFO("hierarchy " << key);
        check_proc_in(d, "cgroup", key, session_leaf(key, "alice", count));
        std::set<std::string> held = left;
        held.insert(std::to_string(count));
        CHECK(alice_entries(r.snap("held"), key) == held);
        CHECK(alice_entries(r.snap("closed"), key) == left);
        check_no_session(r.snap("reaped"), key, "alice", true);
    }
    // Close found every hierarchy where open saw it.
    CHECK(debug_lines(r, "not mounted as at open").empty());
    check_log(r, LOG_ERR, 0);
    check_log(r, LOG_NOTICE, 0);
}

// Exactly kFullReapBound leftovers: complete reaping (pam_cgfs(8) Reaping), every one reaped and
// index 0 taken.
void full_reaping_at_the_bound(Layout layout)
{
    const int count = static_cast<int>(cgfs::kFullReapBound);
    auto prof = core_profile(layout);
    const Report r = login_over_leftovers(layout, prof, count);
    INFO(r.describe());
    const auto& d = r.driver("login");
    CHECK(debug_lines(r, "more than").empty());
    CHECK(debug_lines(r, ": stale, removed").size() == prof.keys.size() * static_cast<size_t>(count));
    for (const auto& key : prof.keys) {
        INFO("hierarchy " << key);
        check_proc_in(d, "cgroup", key, session_leaf(key, "alice", 0));
        check_sessions(r.snap("held"), key, "alice", kAliceUid, {0});
        check_no_session(r.snap("closed"), key, "alice", true);
    }
    check_log(r, LOG_ERR, 0);
}

// A file system mounted over the hierarchy while the session runs: close must not take it for
// the hierarchy open used. It reads mountinfo again, finds the hierarchy covered and leaves the
// session (PAM_SUCCESS); once uncovered, the next login reaps it.
void covered_between_open_and_close(Layout layout)
{
    const std::string key = layout == Layout::v2 ? "unified" : "freezer";
    const std::string mnt = layout == Layout::v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/freezer";
    auto r = run_scenario(layout, [&](Container& c) {
        c.service("cgfs-test", "-c " + key + " debug");
        Driver d = c.start("covered", alice());
        d.wait_held();
        c.sh("mount -t tmpfs none " + mnt);
        d.finish();
        c.sh("umount " + mnt);
        c.snapshot("uncovered");
        c.run("next", alice());
        c.snapshot("after");
    });
    check_ran(r);
    INFO(r.describe());
    const auto& d = r.driver("covered");
    CHECK(d.code("open") == kPamSuccess);
    CHECK(d.code("close") == kPamSuccess);
    check_proc_in(d, "cgroup_after_close", key, session_leaf(key, "alice", 0)); // left there
    CHECK(debug_lines(r, "not mounted as at open") ==
          std::vector<std::string>{"close: a hierarchy is not mounted as at open; reading mountinfo again"});
    CHECK(debug_lines(r, "not mounted any more") ==
          std::vector<std::string>{key + ": not mounted any more, nothing to close"});
    check_sessions(r.snap("uncovered"), key, "alice", kAliceUid, {0});
    CHECK(r.driver("next").code("open") == kPamSuccess);
    check_proc_in(r.driver("next"), "cgroup", key, session_leaf(key, "alice", 0)); // 0 reaped, reused
    check_no_session(r.snap("after"), key, "alice", true);
    check_log(r, LOG_ERR, 0);
}

} // namespace

CGFS_ALL_LAYOUTS("scale: above kFullReapBound entries an open reaps a window only", "[scale]", bounded_reaping)
CGFS_ALL_LAYOUTS("scale: at kFullReapBound entries an open reaps every leftover", "[scale]", full_reaping_at_the_bound)
CGFS_ALL_LAYOUTS("scale: close reads mountinfo again when a hierarchy was covered", "[scale]",
                 covered_between_open_and_close)
