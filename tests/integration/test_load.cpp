// Load and races (issue 4): 200 logins opened at the same moment (one user, then two users), and
// logins, logouts and killed sessions interleaved. Each opened session sits alone in a cgroup of
// its own; after the last logout nothing of the users is left. Figures (logins held, wall
// times) are printed, never asserted.
#include "crowd.hpp"
#include "expect.hpp"
#include "layouts.hpp"
#include "util.hpp"

#include "session.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <cstdio>
#include <random>

#include <syslog.h>

using namespace cgfs_test;

namespace {

constexpr int kParallel = 200;
constexpr auto kLoadTimeout = std::chrono::seconds(300); // ASan runs take ~90 s a case

std::vector<std::string> user_args(const std::string& user)
{
    return {"--service", "cgfs-test", "--user", user};
}

void figure(Layout layout, const std::string& what, const Report& r)
{
    std::string text;
    for (const auto& l : r.driver("figures").lines)
        text += " " + l;
    text += " retries=" + std::to_string(debug_count(r, "; retrying")) +
            " reaped=" + std::to_string(debug_count(r, ": stale, removed"));
    std::printf("load figures (%s) %s:%s\n", layout_name(layout), what.c_str(), text.c_str());
    std::fflush(stdout);
}

// `per_user` logins of each of `users`, all released together and held together, then all
// closed together.
void parallel_logins(Layout layout, const std::vector<std::string>& users, int per_user)
{
    auto prof = core_profile(layout);
    std::vector<std::string> labels;
    std::vector<std::vector<std::string>> args;
    for (int i = 0; i < per_user; ++i)
        for (const auto& u : users) {
            labels.push_back(u + "-" + std::to_string(i));
            args.push_back(user_args(u));
        }
    auto r = run_scenario(
        layout,
        [&](Container& c) {
            c.service("cgfs-test", prof.args + " debug");
            std::vector<Driver> drivers;
            const long open_ms = open_together(c, drivers, labels, args);
            emit_procs(c, prof.keys, "procs");
            c.snapshot("held");
            auto t0 = std::chrono::steady_clock::now();
            for (auto& d : drivers)
                d.release();
            for (auto& d : drivers)
                d.finish();
            const long close_ms = ms_since(t0);
            c.snapshot("after");
            emit_lines(c, "figures",
                       {"held=" + std::to_string(drivers.size()), "open_all_ms=" + std::to_string(open_ms),
                        "close_all_ms=" + std::to_string(close_ms)});
        },
        kLoadTimeout);
    check_ran(r);
    figure(layout, std::to_string(per_user) + " x " + std::to_string(users.size()) + " users", r);
    for (const auto& u : users) {
        std::vector<std::string> mine;
        for (const auto& l : labels)
            if (starts_with(l, u + "-"))
                mine.push_back(l);
        const auto indices = check_alone(r, r.driver("procs"), mine, prof.keys, u);
        CHECK(indices.size() == static_cast<size_t>(per_user));
        for (const auto& key : prof.keys) {
            // The held tree is exactly the sessions, each delegated, nothing else anywhere.
            INFO("hierarchy " << key << " user " << u);
            std::set<std::string> want = {"/user/" + u};
            for (int i : indices) {
                want.insert("/user/" + u + "/" + std::to_string(i));
                if (key == "unified")
                    want.insert(session_leaf(key, u, i));
            }
            CHECK(user_tree(r.snap("held"), key, u) == want);
            check_no_session(r.snap("after"), key, u, true);
        }
    }
    for (const auto& l : labels) {
        INFO("driver " << l);
        CHECK(r.driver(l).code("close") == kPamSuccess);
    }
    for (const auto& key : prof.keys)
        CHECK(r.snap("after").dir_paths(key).count("/user/alice") == 0);
    check_log(r, LOG_ERR, 0);
    check_log(r, LOG_NOTICE, 0);
}

void same_user(Layout layout)
{
    parallel_logins(layout, {"alice"}, kParallel);
}
void two_users(Layout layout)
{
    parallel_logins(layout, {"alice", "bob"}, kParallel / 2);
}

// Logins and logouts of alice and bob interleaved with sessions killed with SIGKILL (their close
// never runs: stale cgroups that concurrent opens reap). Every round does its kills, logouts and
// new logins in one burst, so opens overlap closes and reaping.
void churn(Layout layout)
{
    constexpr int kStart = 40; // per user
    constexpr int kRounds = 8;
    constexpr int kKill = 6, kClose = 6, kNew = 12; // per user and round
    auto prof = core_profile(layout);
    const std::vector<std::string> users = {"alice", "bob"};
    auto r = run_scenario(
        layout,
        [&](Container& c) {
            c.service("cgfs-test", prof.args + " debug");
            std::mt19937 rng(4242);
            std::vector<Driver> drivers;
            std::vector<size_t> live;
            std::vector<std::string> labels;
            std::vector<std::vector<std::string>> args;
            int serial = 0;
            auto batch = [&](int per_user) {
                labels.clear();
                args.clear();
                for (int i = 0; i < per_user; ++i)
                    for (const auto& u : users) {
                        labels.push_back(u + "-" + std::to_string(serial++));
                        args.push_back(user_args(u));
                    }
            };
            batch(kStart);
            auto t0 = std::chrono::steady_clock::now();
            size_t first = drivers.size();
            open_together(c, drivers, labels, args);
            for (size_t i = first; i < drivers.size(); ++i)
                live.push_back(i);
            size_t max_held = live.size();
            int killed = 0, closed = 0, opened = static_cast<int>(live.size());
            for (int round = 0; round < kRounds; ++round) {
                std::shuffle(live.begin(), live.end(), rng);
                std::vector<size_t> to_kill(live.end() - 2 * kKill, live.end());
                live.resize(live.size() - 2 * kKill);
                std::vector<size_t> to_close(live.end() - 2 * kClose, live.end());
                live.resize(live.size() - 2 * kClose);
                batch(kNew);
                first = drivers.size();
                for (size_t i = 0; i < labels.size(); ++i) {
                    auto a = args[i];
                    a.push_back("--wait-start");
                    drivers.push_back(c.start(labels[i], a));
                }
                for (size_t i = first; i < drivers.size(); ++i)
                    drivers[i].wait_ready();
                // The burst: kill, log out and log in, interleaved.
                for (size_t i = 0; i < labels.size(); ++i) {
                    if (i < to_kill.size())
                        ::kill(drivers[to_kill[i]].pid(), SIGKILL); // our own child
                    if (i < to_close.size())
                        drivers[to_close[i]].release();
                    drivers[first + i].go();
                }
                for (size_t i = first; i < drivers.size(); ++i) {
                    drivers[i].wait_held();
                    live.push_back(i);
                }
                for (size_t i : to_close)
                    drivers[i].finish();
                for (size_t i : to_kill)
                    drivers[i].finish();
                killed += static_cast<int>(to_kill.size());
                closed += static_cast<int>(to_close.size());
                opened += static_cast<int>(labels.size());
                max_held = std::max(max_held, live.size());
            }
            emit_procs(c, prof.keys, "procs");
            c.snapshot("held");
            for (size_t i : live)
                drivers[i].release();
            for (size_t i : live)
                drivers[i].finish();
            const long total_ms = ms_since(t0);
            // Killed sessions of both users may still be there: the next login of each reaps them all
            // when the user has at most kFullReapBound entries, else looks at kReapWindow of them
            // (pam_cgfs(8) Reaping); `cgfsctl reap` then removes every leftover.
            c.snapshot("closed");
            c.run("alice-final", user_args("alice"));
            c.run("bob-final", user_args("bob"));
            c.snapshot("after-final");
            const char* ctl = std::getenv("CGFS_CTL");
            c.sh(std::string(ctl != nullptr ? ctl : "cgfsctl") + " reap alice >/dev/null && " +
                 (ctl != nullptr ? ctl : "cgfsctl") + " reap bob >/dev/null");
            c.snapshot("after");
            emit_lines(c, "figures",
                       {"logins=" + std::to_string(opened), "killed=" + std::to_string(killed),
                        "closed=" + std::to_string(closed + static_cast<int>(live.size())),
                        "max_held=" + std::to_string(max_held), "wall_ms=" + std::to_string(total_ms)});
        },
        kLoadTimeout);
    check_ran(r);
    figure(layout, "churn, two users", r);
    INFO("the held snapshot and procs record follow the burst rounds");
    // Every driver that was not killed opened; the ones held at the end each sit alone.
    std::map<std::string, std::vector<std::string>> held_by_user;
    const auto procs = procs_of(r.driver("procs"));
    std::set<std::string> pids_in_user_tree;
    for (const auto& [path, pids] : procs)
        pids_in_user_tree.insert(pids.begin(), pids.end());
    for (const auto& [label, d] : r.drivers) {
        if (label == "procs" || label == "figures")
            continue;
        INFO("driver " << label);
        CHECK(d.code("open") == kPamSuccess);
        const bool killed = d.value("exit") == "137";
        const bool final_login = label.find("-final") != std::string::npos;
        if (!killed && !final_login && d.has("close"))
            CHECK(d.code("close") == kPamSuccess);
        if (!killed && !final_login && pids_in_user_tree.count(d.value("driver.pid")) != 0)
            held_by_user[label.substr(0, label.find('-'))].push_back(label);
    }
    size_t held = 0;
    for (const auto& [u, labels] : held_by_user) {
        held += labels.size();
        check_alone(r, r.driver("procs"), labels, prof.keys, u);
    }
    CHECK(held == static_cast<size_t>(2 * (kStart + kRounds * (kNew - kKill - kClose))));
    // No process of a killed session can be anywhere: every process below /user is a held one.
    CHECK(pids_in_user_tree.size() == held);
    for (const auto& key : prof.keys) {
        for (const auto& u : users) {
            INFO("hierarchy " << key << " user " << u);
            // What the final login found: entries below user/<u>, and so which reaping it did.
            size_t entries = 0;
            for (const auto& d : r.snap("closed").dir_paths(key))
                if (d.rfind("/user/" + u + "/", 0) == 0 && d.find('/', 7 + u.size()) == std::string::npos)
                    ++entries;
            INFO(entries << " entries when the final login opened");
            if (entries <= static_cast<size_t>(cgfs::kFullReapBound)) {
                check_no_session(r.snap("after-final"), key, u, true);
            } else {
                bool bounded = false;
                for (const auto& line : r.log(LOG_DEBUG))
                    bounded = bounded || line.find("/user/" + u + ": " + std::to_string(entries) +
                                                   " entries, more than " + std::to_string(cgfs::kFullReapBound) +
                                                   ": looked at sessions") != std::string::npos;
                CHECK(bounded);
            }
            check_no_session(r.snap("after"), key, u, true);
        }
    }
    for (const char* f : {"alice-final", "bob-final"}) {
        CHECK(r.driver(f).code("open") == kPamSuccess);
        CHECK(r.driver(f).code("close") == kPamSuccess);
    }
    check_log(r, LOG_ERR, 0);
    check_log(r, LOG_NOTICE, 0);
}

} // namespace

CGFS_ALL_LAYOUTS("load: 200 logins of one user at the same moment", "[load]", same_user)
CGFS_ALL_LAYOUTS("load: 100 logins each of two users at the same moment", "[load]", two_users)
CGFS_ALL_LAYOUTS("load: logins, logouts and killed sessions interleaved", "[load]", churn)
