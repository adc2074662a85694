// cgfsctl status: per hierarchy, the user/<name> trees under BASE with owners, process counts
// and stale sessions, drawn like `tree -d` (human) or as nested objects (--json). Users choose
// the names below their sessions: human output shows every name and path escaped
// (cgfs::escape_control), so none can move the cursor, forge a line or retitle the terminal.
#include "cgfsctl.hpp"

#include "escape.hpp"
#include "fs.hpp"
#include "session.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <iostream>

namespace cgfsctl {

namespace {

using Json = nlohmann::ordered_json;

/// A cgroup directory as status shows it.
struct Node {
    std::string name;
    uid_t owner = 0;
    std::size_t processes = 0; ///< in this cgroup and every cgroup below it
    bool session = false;      ///< a session cgroup <N> directly below user/<name>
    bool stale = false;        ///< session with no process anywhere below it (reaped at next open)
    std::vector<Node> children;
};

std::size_t count_lines(const std::string& text)
{
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

/// Reads the tree at `fd` within the module's removal bounds (session.hpp kMaxTreeDepth/Entries).
Node read_tree(int fd, const std::string& name, int depth, int& budget)
{
    Node node;
    node.name = name;
    if (auto st = cgfs::fs::stat_fd(fd); st.ok())
        node.owner = st.value().st_uid;
    if (auto procs = cgfs::fs::read_at(fd, "cgroup.procs"); procs.ok())
        node.processes = count_lines(procs.value());
    if (depth >= cgfs::kMaxTreeDepth || --budget < 0)
        return node;
    if (auto children = cgfs::fs::list_subdirs(fd); children.ok()) {
        auto names = children.value();
        std::sort(names.begin(), names.end());
        for (const auto& child : names) {
            auto child_fd = cgfs::fs::open_dir_at(fd, child);
            if (!child_fd.ok())
                continue;
            node.children.push_back(read_tree(child_fd.value().get(), child, depth + 1, budget));
            node.processes += node.children.back().processes;
        }
    }
    return node;
}

std::string annotation(const Node& node, bool user_dir)
{
    std::string text = " [owner " + cgfs::escape_control(user_of(node.owner));
    if (!user_dir && node.session) {
        text += ", " + std::to_string(node.processes) + (node.processes == 1 ? " process" : " processes");
        if (node.stale)
            text += ", stale";
    }
    return text + "]";
}

void print_tree(const Node& node, const std::string& prefix, bool last, bool user_dir)
{
    std::printf("%s%s%s%s\n", prefix.c_str(), last ? "└── " : "├── ", cgfs::escape_control(node.name).c_str(),
                user_dir || node.session ? annotation(node, user_dir).c_str() : "");
    const std::string inner = prefix + (last ? "    " : "│   ");
    for (std::size_t i = 0; i < node.children.size(); ++i)
        print_tree(node.children[i], inner, i + 1 == node.children.size(), false);
}

Json tree_json(const Node& node)
{
    Json j = {{"name", node.name}, {"owner", node.owner}, {"processes", node.processes}};
    if (node.session)
        j["stale"] = node.stale;
    Json children = Json::array();
    for (const auto& child : node.children)
        children.push_back(tree_json(child));
    j["children"] = children;
    return j;
}

/// The user/<name> trees below BASE/user (`user_cg`) of `h`, each session cgroup marked, with
/// whether it is stale (the module's rule: parse_session_index, tree_populated).
std::vector<Node> read_users(const cgfs::Hierarchy& h, const std::string& user_cg, const Args& args)
{
    std::vector<Node> users;
    auto user_fd = open_cgroup(h, user_cg);
    if (!user_fd)
        return users;
    for (const auto& name : user_names(user_fd->get(), args)) {
        auto fd = cgfs::fs::open_dir_at(user_fd->get(), name);
        if (!fd.ok())
            continue;
        int budget = cgfs::kMaxTreeEntries;
        Node user = read_tree(fd.value().get(), name, 0, budget);
        for (auto& child : user.children) {
            if (cgfs::parse_session_index(child.name) < 0)
                continue;
            child.session = true;
            if (auto child_fd = cgfs::fs::open_dir_at(fd.value().get(), child.name); child_fd.ok())
                child.stale = !cgfs::tree_populated(child_fd.value().get());
        }
        users.push_back(std::move(user));
    }
    return users;
}

Json hierarchy_json(const cgfs::Hierarchy& h, const std::string& base, const std::string& user_cg,
                    const std::vector<Node>& users)
{
    Json users_json = Json::array();
    for (const auto& u : users) {
        const std::string user_dir = cgfs::join_cgroup(user_cg, u.name);
        Json sessions = Json::array();
        for (const auto& s : u.children)
            if (s.session)
                sessions.push_back({{"index", std::stol(s.name)},
                                    {"cgroup", cgfs::join_cgroup(user_dir, s.name)},
                                    {"owner", s.owner},
                                    {"processes", s.processes},
                                    {"stale", s.stale}});
        users_json.push_back({{"user", u.name},
                              {"cgroup", user_dir},
                              {"owner", u.owner},
                              {"sessions", sessions},
                              {"tree", tree_json(u)}});
    }
    return {{"hierarchy", h.label()},
            {"version", h.version == cgfs::CgroupVersion::v1 ? 1 : 2},
            {"mount", h.mount_point},
            {"base", base},
            {"users", users_json}};
}

void print_hierarchy(const cgfs::Hierarchy& h, const std::string& base, const std::string& user_cg,
                     const std::vector<Node>& users, const Args& args)
{
    std::printf("%s at %s, BASE %s\n", cgfs::escape_control(describe(h)).c_str(),
                cgfs::escape_control(h.mount_point).c_str(), cgfs::escape_control(base).c_str());
    if (users.empty()) {
        std::printf("  no session cgroups%s\n", args.user ? (" of " + *args.user).c_str() : "");
        return;
    }
    std::printf("%s\n", cgfs::escape_control(user_cg).c_str());
    for (std::size_t i = 0; i < users.size(); ++i)
        print_tree(users[i], "", i + 1 == users.size(), true);
}

} // namespace

int status(const Args& args)
{
    auto discovery = cgfs::discover();
    if (!discovery.ok()) {
        (void)std::fprintf(stderr, "cgfsctl status: %s\n", discovery.error().message().c_str());
        return kExitWarn;
    }
    const auto& d = discovery.value();
    Json out = {{"layout", std::string(cgfs::layout_name(d.layout))}, {"hierarchies", Json::array()}};
    if (!args.json)
        std::printf("layout: %s\n", std::string(cgfs::layout_name(d.layout)).c_str());
    for (const auto& h : d.hierarchies) {
        const std::string base = cgfs::base_cgroup(h);
        const std::string user_cg = cgfs::join_cgroup(base, cgfs::kUserDir);
        const std::vector<Node> users = read_users(h, user_cg, args);
        if (args.json)
            out["hierarchies"].push_back(hierarchy_json(h, base, user_cg, users));
        else
            print_hierarchy(h, base, user_cg, users, args);
    }
    if (args.json)
        std::cout << out.dump(2, ' ', true, Json::error_handler_t::replace) << '\n';
    else if (d.hierarchies.empty())
        std::printf("no cgroup hierarchy is mounted\n");
    return kExitOk;
}

} // namespace cgfsctl
