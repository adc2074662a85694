// cgfsctl: command-line entry point: parses the arguments and runs one command (cgfsctl(8)).
#include "cgfsctl.hpp"

#include "fs.hpp"
#include "note.hpp"
#include "user_name.hpp"

#include <shadow/subid.h>
#include <algorithm>
#include <cstdio>
#include <exception>
#include <new>
#include <pwd.h>
#include <string>
#include <string_view>
#include <vector>

namespace cgfsctl {

std::string user_of(uid_t uid)
{
    // getpwuid_r with a growing buffer: no fixed-size assumption about the entry.
    std::vector<char> buffer(1024);
    passwd entry{};
    passwd* found = nullptr;
    while (::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) == ERANGE && buffer.size() < (1U << 20))
        buffer.resize(buffer.size() * 2);
    return found != nullptr ? std::string(found->pw_name) : std::to_string(uid);
}

std::optional<cgfs::UniqueFd> open_cgroup(const cgfs::Hierarchy& h, const std::string& cgroup)
{
    if (!h.root.valid())
        return std::nullopt;
    auto fd = cgfs::open_cgroup(h, cgroup);
    if (!fd.ok())
        return std::nullopt;
    return std::move(fd).value();
}

std::vector<std::string> user_names(int user_fd, const Args& args)
{
    if (args.user)
        return {*args.user};
    auto listed = cgfs::fs::list_subdirs(user_fd);
    if (!listed.ok())
        return {};
    auto names = std::move(listed).value();
    std::sort(names.begin(), names.end());
    return names;
}

std::string describe(const cgfs::Hierarchy& h)
{
    return h.label() + (h.version == cgfs::CgroupVersion::v1 ? " (cgroup v1)" : " (cgroup2)");
}

} // namespace cgfsctl

namespace {

constexpr const char* kUsage = "usage: cgfsctl status [USER] [--json]\n"
                               "       cgfsctl reap [USER] [--dry-run]\n"
                               "       cgfsctl check [USER] [--json]\n"
                               "       cgfsctl COMMAND --help | help [COMMAND] | --help | --version\n";

/// `cgfsctl COMMAND --help`: what cgfsctl(8) COMMANDS says of each, in short.
struct CommandHelp {
    std::string_view name;
    std::string_view text;
};

constexpr CommandHelp kCommandHelp[] = {
    {"status", "usage: cgfsctl status [USER] [--json]\n"
               "Shows, per mounted cgroup hierarchy, the tree below BASE/user: each user/<name>, each\n"
               "session cgroup <N> with its owner, its process count and 'stale' when no process is\n"
               "left in it. USER: only that user. Needs no privilege.\n"
               "  --json   one JSON document instead of text\n"
               "Exit status: 0 shown, 1 error, 64 bad arguments. See cgfsctl(8).\n"},
    {"reap", "usage: cgfsctl reap [USER] [--dry-run]\n"
             "Removes stale session cgroups (no process left, created before cgfsctl started) with\n"
             "the module's own reaping code, then user/<name> when no session is left. USER: only\n"
             "that user. Needs root, except for a dry run.\n"
             "  --dry-run   say what would be removed, remove nothing\n"
             "Exit status: 0 done, 1 error (not root, no /proc), 64 bad arguments. See cgfsctl(8).\n"},
    {"check", "usage: cgfsctl check [USER] [--json]\n"
              "Checks whether this host is ready for unprivileged (and nested) containers in pam_cgfs\n"
              "sessions: layout, the PAM stacks, delegation, user namespaces, newuidmap, subordinate\n"
              "ids, the current session, the limits file. USER defaults to $SUDO_USER, else the\n"
              "caller.\n"
              "  --json   one JSON document instead of text\n"
              "Exit status: 0 all OK, 1 worst is WARN, 2 a FAIL, 64 bad arguments. See cgfsctl(8).\n"},
};

const CommandHelp* find_command(std::string_view name)
{
    for (const auto& c : kCommandHelp)
        if (c.name == name)
            return &c;
    return nullptr;
}

int usage_error(const std::string& text)
{
    (void)std::fprintf(stderr, "cgfsctl: %s\n%s", text.c_str(), kUsage);
    return cgfsctl::kExitUsage;
}

int run(const std::vector<std::string_view>& argv)
{
    if (argv.empty())
        return usage_error("no command given");
    const std::string_view command = argv[0];
    if (command == "-h" || command == "--help" || command == "help") {
        if (argv.size() > 1) {
            const CommandHelp* asked = find_command(argv[1]);
            if (asked == nullptr)
                return usage_error("help: unknown command '" + cgfs::escape_control(argv[1]) + "'");
            (void)std::fputs(asked->text.data(), stdout);
            return cgfsctl::kExitOk;
        }
        (void)std::fputs(kUsage, stdout);
        return cgfsctl::kExitOk;
    }
    if (command == "--version" || command == "-V") {
        std::printf("cgfsctl %s\n", CGFS_VERSION);
        return cgfsctl::kExitOk;
    }
    const CommandHelp* help = find_command(command);
    if (help == nullptr)
        return usage_error("unknown command '" + cgfs::escape_control(command) + "'");
    cgfsctl::Args args;
    for (std::size_t i = 1; i < argv.size(); ++i) {
        const std::string_view a = argv[i];
        if (a == "--help" || a == "-h") {
            (void)std::fputs(help->text.data(), stdout);
            return cgfsctl::kExitOk;
        }
        if (a == "--json" && command != "reap") {
            args.json = true;
        } else if (a == "--dry-run" && command == "reap") {
            args.dry_run = true;
        } else if (!a.empty() && a[0] == '-') {
            return usage_error(std::string(command) + ": unknown option '" + cgfs::escape_control(a) + "'");
        } else if (args.user) {
            return usage_error(std::string(command) + ": more than one user given");
        } else {
            if (auto valid = cgfs::validate_user_name(a); !valid.ok())
                return usage_error(std::string(command) + ": " + valid.error().message());
            args.user = std::string(a);
        }
    }
    if (command == "status")
        return cgfsctl::status(args);
    if (command == "reap")
        return cgfsctl::reap(args);
    return cgfsctl::check(args);
}

} // namespace

int main(int argc, char** argv)
{
    // libsubid (used by check) names the program in what it writes to stderr.
    subid_init("cgfsctl", stderr);
    try {
        std::vector<std::string_view> args;
        for (int i = 1; i < argc; ++i)
            args.emplace_back(argv[i]);
        return run(args);
    } catch (const std::bad_alloc&) {
        (void)std::fputs("cgfsctl: out of memory\n", stderr);
    } catch (const std::exception& e) {
        (void)std::fprintf(stderr, "cgfsctl: %s\n", e.what());
    }
    return cgfsctl::kExitWarn;
}
