#include "crowd.hpp"

#include "util.hpp"

#include "session.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <stdexcept>

#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>
#include <syslog.h>

namespace cgfs_test {

long ms_since(std::chrono::steady_clock::time_point since)
{
    return static_cast<long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - since).count());
}

long open_together(Container& c, std::vector<Driver>& out, const std::vector<std::string>& labels,
                   const std::vector<std::vector<std::string>>& args)
{
    const size_t first = out.size();
    out.reserve(out.size() + labels.size());
    for (size_t i = 0; i < labels.size(); ++i) {
        std::vector<std::string> a = args[i];
        a.push_back("--wait-start");
        out.push_back(c.start(labels[i], a));
    }
    for (size_t i = first; i < out.size(); ++i)
        out[i].wait_ready();
    auto t0 = std::chrono::steady_clock::now();
    for (size_t i = first; i < out.size(); ++i)
        out[i].go();
    for (size_t i = first; i < out.size(); ++i)
        out[i].wait_held();
    return ms_since(t0);
}

namespace {

void walk_procs(const std::string& key, const std::string& dir, const std::string& rel, std::vector<std::string>& lines)
{
    std::string pids;
    try {
        for (const auto& p : split_lines(read_file(dir + "/cgroup.procs")))
            if (!p.empty())
                pids += (pids.empty() ? "" : " ") + p;
    } catch (const std::exception&) {
        return; // removed meanwhile
    }
    if (!pids.empty())
        lines.push_back(key + ":" + rel + "=" + pids);
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr)
        return;
    std::vector<std::string> subdirs;
    while (dirent* ent = ::readdir(d)) {
        std::string name = ent->d_name;
        if (ent->d_type == DT_DIR && name != "." && name != "..")
            subdirs.push_back(name);
    }
    ::closedir(d);
    for (const auto& s : subdirs)
        walk_procs(key, dir + "/" + s, rel + "/" + s, lines);
}

} // namespace

void emit_procs(Container& c, const std::vector<std::string>& keys, const std::string& label)
{
    std::vector<std::string> lines;
    for (const auto& key : keys) {
        std::string dir = c.path(key + ":/user");
        struct stat st {};
        if (::stat(dir.c_str(), &st) == 0)
            walk_procs(key, dir, "/user", lines);
    }
    emit_lines(c, label, lines);
}

void emit_lines(Container& c, const std::string& label, const std::vector<std::string>& lines)
{
    std::string text = "@@driver " + label + "\n";
    for (const auto& l : lines)
        text += l + "\n";
    c.emit(text);
}

std::string fault_module()
{
    const char* m = std::getenv("CGFS_FAULT_MODULE");
    return m != nullptr ? m : "";
}

size_t trace_lines()
{
    if (::access(kTrace, F_OK) != 0)
        return 0;
    return split_lines(read_file(kTrace)).size();
}

std::string trace_point(const std::string& what)
{
    for (const auto& line : split_lines(read_file(kTrace))) {
        const size_t space = line.find(' ');
        if (space != std::string::npos && line.substr(space + 1) == what)
            return line.substr(0, space);
    }
    throw std::runtime_error("no fault point '" + what + "' in " + kTrace);
}

void remove_base_user(Container& c, const std::vector<std::string>& keys)
{
    for (const auto& key : keys)
        (void)::rmdir(c.path(key + ":/user").c_str());
}

size_t debug_count(const Report& r, const std::string& needle)
{
    size_t n = 0;
    for (const auto& l : r.log(LOG_DEBUG))
        if (l.find(needle) != std::string::npos)
            ++n;
    return n;
}

std::map<std::string, std::set<std::string>> procs_of(const DriverOutput& d)
{
    std::map<std::string, std::set<std::string>> out;
    for (const auto& l : d.lines) {
        size_t eq = l.rfind('='); // keys may hold one ("name=systemd:/user/...=12 13")
        if (eq == std::string::npos)
            continue;
        for (const auto& p : split(l.substr(eq + 1), ' '))
            if (!p.empty())
                out[l.substr(0, eq)].insert(p);
    }
    return out;
}

std::set<std::string> user_tree(const Snapshot& s, const std::string& key, const std::string& user)
{
    std::set<std::string> out;
    const std::string home = "/user/" + user;
    for (const auto& d : s.dir_paths(key))
        if (d == home || starts_with(d, home + "/"))
            out.insert(d);
    return out;
}

int index_of_leaf(const std::string& key, const std::string& user, const std::string& leaf)
{
    std::string rest = leaf;
    const std::string home = "/user/" + user + "/";
    if (!starts_with(rest, home))
        return -1;
    rest = rest.substr(home.size());
    if (key == "unified") {
        const std::string tail = std::string("/") + cgfs::kSessionLeaf;
        if (rest.size() <= tail.size() || rest.substr(rest.size() - tail.size()) != tail)
            return -1;
        rest = rest.substr(0, rest.size() - tail.size());
    }
    if (rest.empty() || rest.size() > 7 || rest.find_first_not_of("0123456789") != std::string::npos ||
        (rest.size() > 1 && rest[0] == '0'))
        return -1;
    return std::stoi(rest);
}

std::set<int> check_alone(const Report& r, const DriverOutput& procs, const std::vector<std::string>& labels,
                          const std::vector<std::string>& keys, const std::string& user)
{
    const auto where = procs_of(procs);
    std::set<int> indices;
    for (const auto& label : labels) {
        const auto& d = r.driver(label);
        INFO("driver " << label << ":\n  " << [&] {
            std::string t;
            for (const auto& l : d.lines)
                t += l + "\n  ";
            return t;
        }());
        REQUIRE(d.code("open") == kPamSuccess);
        const std::string pid = d.value("driver.pid");
        const auto cg = d.cgroups("cgroup");
        int index = -1;
        for (const auto& key : keys) {
            INFO("hierarchy " << key);
            REQUIRE(cg.count(key) == 1);
            const int i = index_of_leaf(key, user, cg.at(key));
            CHECK(i >= 0);
            if (index < 0)
                index = i;
            CHECK(i == index); // one index in every hierarchy
            auto it = where.find(key + ":" + cg.at(key));
            REQUIRE(it != where.end());
            CHECK(it->second == std::set<std::string>{pid}); // only its own process
        }
        CHECK(indices.insert(index).second); // nobody else's index
    }
    return indices;
}

} // namespace cgfs_test
