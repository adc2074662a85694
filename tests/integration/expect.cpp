#include "expect.hpp"

#include "util.hpp"

#include "session.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

namespace cgfs_test {
namespace {

bool under(const std::string& path, const std::string& dir)
{
    return path == dir || starts_with(path, dir + "/");
}

std::string join(const std::vector<std::string>& v)
{
    std::string out;
    for (const auto& s : v)
        out += "\n  " + s;
    return out;
}

} // namespace

Profile core_profile(Layout layout)
{
    switch (layout) {
    case Layout::v1:
        return {"-c freezer,memory,name=systemd", {"freezer", "memory", "name=systemd"}};
    case Layout::hybrid:
        return {"-c freezer,memory,name=systemd,unified", {"freezer", "memory", "name=systemd", "unified"}};
    case Layout::v2:
        return {"-c unified", {"unified"}};
    }
    return {};
}

std::vector<std::string> layout_keys(Layout layout)
{
    std::vector<std::string> keys;
    for (const auto& h : discover_host_hierarchies()) {
        if (h.v2 && layout != Layout::v1)
            keys.push_back("unified");
        else if (!h.v2 && layout != Layout::v2)
            keys.push_back(h.key);
    }
    return keys;
}

std::string session_leaf(const std::string& key, const std::string& user, int index)
{
    std::string p = "/user/" + user + "/" + std::to_string(index);
    return key == "unified" ? p + "/" + cgfs::kSessionLeaf : p;
}

void check_ran(const Report& r)
{
    INFO(r.describe());
    REQUIRE_FALSE(r.timed_out);
    REQUIRE(r.errors.empty());
    REQUIRE(r.exit_code == 0);
}

void check_sessions(const Snapshot& s, const std::string& key, const std::string& user, unsigned uid,
                    const std::set<int>& indices, const std::set<std::string>& user_made)
{
    bool v2 = key == "unified";
    std::string ug = std::to_string(uid) + ":" + std::to_string(uid);
    std::string home = "/user/" + user;
    std::set<std::string> delegated_dirs = {home};
    for (int i : indices) {
        delegated_dirs.insert(home + "/" + std::to_string(i));
        if (v2)
            delegated_dirs.insert(home + "/" + std::to_string(i) + "/" + cgfs::kSessionLeaf);
    }
    std::set<std::string> want_dirs = delegated_dirs;
    want_dirs.insert("/user");
    want_dirs.insert(user_made.begin(), user_made.end());
    std::set<std::string> got_dirs;
    for (const auto& d : s.dir_paths(key))
        if (under(d, "/user"))
            got_dirs.insert(d);
    INFO("hierarchy " << key << ", user " << user);
    CHECK(got_dirs == want_dirs);
    auto dir = [&](const std::string& p) {
        auto it = s.dirs.find(key + ":" + p);
        return it == s.dirs.end() ? std::string("<missing>") : it->second;
    };
    CHECK(dir("/user") == "0:0 0755");
    for (const auto& d : delegated_dirs) {
        INFO("dir " << d);
        CHECK(dir(d) == ug + " 0755");
    }
    for (const auto& d : user_made) {
        INFO("user-made dir " << d);
        CHECK(dir(d).substr(0, ug.size()) == ug);
    }
    // Exactly the delegation files are the user's; everything else stays root's.
    std::set<std::string> want_files;
    // For root every file is root's anyway: nothing can be told apart by owner.
    for (const auto& d : uid == 0 ? std::set<std::string>{} : delegated_dirs) {
        if (!v2) {
            want_files.insert(d + "/tasks " + ug);
            want_files.insert(d + "/cgroup.procs " + ug);
            continue;
        }
        for (const auto& f : v2_delegate_files())
            if (s.files.count(key + ":" + d + "/" + f) != 0)
                want_files.insert(d + "/" + f + " " + ug);
    }
    std::set<std::string> got_files;
    for (const auto& f : s.non_root_files(key)) {
        std::string p = f.substr(0, f.find(' '));
        bool in_user_made = std::any_of(user_made.begin(), user_made.end(), [&](const auto& u) { return under(p, u); });
        if (!in_user_made)
            got_files.insert(f);
    }
    CHECK(got_files == want_files);
}

void check_no_session(const Snapshot& s, const std::string& key, const std::string& user, bool base_user_may_stay,
                      const std::set<std::string>& allowed_non_root)
{
    INFO("hierarchy " << key << ": nothing of " << user);
    std::set<std::string> got_dirs;
    for (const auto& d : s.dir_paths(key))
        if (under(d, "/user"))
            got_dirs.insert(d);
    if (base_user_may_stay && !got_dirs.empty()) {
        std::set<std::string> want = {"/user"};
        // Other users' sessions are not ours to judge here; only this user's must be gone.
        for (const auto& d : got_dirs)
            if (!under(d, "/user/" + user))
                want.insert(d);
        CHECK(got_dirs == want);
        CHECK(s.dirs.at(key + ":/user") == "0:0 0755");
    } else {
        CHECK(got_dirs.empty());
    }
    std::set<std::string> got_files;
    for (const auto& f : s.non_root_files(key)) {
        std::string p = f.substr(0, f.find(' '));
        bool allowed =
            std::any_of(allowed_non_root.begin(), allowed_non_root.end(), [&](const auto& a) { return under(p, a); });
        if (!allowed && !under(p, "/user/"))
            got_files.insert(f);
    }
    for (const auto& [k, v] : s.dirs) {
        if (!starts_with(k, key + ":"))
            continue;
        std::string p = k.substr(key.size() + 1);
        bool allowed =
            std::any_of(allowed_non_root.begin(), allowed_non_root.end(), [&](const auto& a) { return under(p, a); });
        if (!allowed && !under(p, "/user/") && !starts_with(v, "0:0 "))
            got_files.insert(p + " " + v);
    }
    CHECK(got_files.empty());
}

void check_in_place(const Snapshot& s, const std::string& key, const std::string& path, unsigned uid,
                    const std::set<std::string>& user_made)
{
    bool v2 = key == "unified";
    std::string ug = std::to_string(uid) + ":" + std::to_string(uid);
    INFO("hierarchy " << key << ": " << path << " delegated in place");
    auto it = s.dirs.find(key + ":" + path);
    REQUIRE(it != s.dirs.end());
    CHECK(it->second.substr(0, ug.size() + 1) == ug + " ");
    std::set<std::string> want;
    if (v2) {
        for (const auto& f : v2_delegate_files())
            if (s.files.count(key + ":" + path + "/" + f) != 0)
                want.insert(path + "/" + f + " " + ug);
    } else {
        want = {path + "/tasks " + ug, path + "/cgroup.procs " + ug};
    }
    std::set<std::string> got;
    for (const auto& f : s.non_root_files(key)) {
        std::string p = f.substr(0, f.find(' '));
        if (std::none_of(user_made.begin(), user_made.end(), [&](const auto& u) { return under(p, u); }))
            got.insert(f);
    }
    CHECK(got == want);
    std::set<std::string> user_dirs;
    for (const auto& d : s.dir_paths(key))
        if (under(d, "/user"))
            user_dirs.insert(d);
    CHECK(user_dirs.empty());
}

void check_proc_in(const DriverOutput& d, const std::string& prefix, const std::string& key, const std::string& path)
{
    auto cg = d.cgroups(prefix);
    INFO("driver " << prefix << " lines:" << join(d.lines));
    REQUIRE(cg.count(key) == 1);
    CHECK(cg.at(key) == path);
}

void check_unchanged(const Snapshot& before, const Snapshot& after)
{
    std::vector<std::string> gone;
    std::vector<std::string> added;
    std::set<std::string> b(before.lines.begin(), before.lines.end());
    std::set<std::string> a(after.lines.begin(), after.lines.end());
    std::set_difference(b.begin(), b.end(), a.begin(), a.end(), std::back_inserter(gone));
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(added));
    INFO("removed or changed:" << join(gone) << "\nadded or changed:" << join(added));
    CHECK(gone.empty());
    CHECK(added.empty());
}

void check_log(const Report& r, int priority, size_t n, const std::vector<std::string>& needles)
{
    auto lines = r.log(priority);
    INFO("syslog at priority " << priority << ":" << join(lines));
    CHECK(lines.size() == n);
    for (const auto& line : lines)
        for (const auto& needle : needles)
            CHECK(line.find(needle) != std::string::npos);
}

std::string knob(const Snapshot& s, const std::string& cgroup, const std::string& file)
{
    auto it = s.knobs.find("unified:" + (cgroup == "/" ? "" : cgroup) + "/" + file);
    return it == s.knobs.end() ? "<missing>" : it->second;
}

std::vector<std::string> root_offers(const Snapshot& s)
{
    std::vector<std::string> out;
    if (s.knobs.count("unified:/cgroup.controllers") == 0)
        return out;
    for (auto& word : split(knob(s, "/", "cgroup.controllers"), ' '))
        if (!word.empty())
            out.push_back(std::move(word));
    return out;
}

} // namespace cgfs_test
