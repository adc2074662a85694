// cgfsctl check: is this host ready for (nested) unprivileged containers in cgfs sessions?
// Each finding is OK, WARN or FAIL with what to do; the exit code is the worst (cgfsctl(8)).
#include "cgfsctl.hpp"

#include "delegation.hpp"
#include "fs.hpp"
#include "limits.hpp"
#include "options.hpp"
#include "selection.hpp"
#include "subid.hpp"
#include "systemd_unit.hpp"

#include <nlohmann/json.hpp>
#include <shadow/subid.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <grp.h>
#include <iostream>
#include <map>
#include <optional>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

namespace cgfsctl {

namespace {

using Json = nlohmann::ordered_json;

enum class Level {
    ok,
    warn,
    fail
};

struct Finding {
    Level level = Level::ok;
    std::string check;
    std::string message;
    std::string fix;
};

constexpr const char* kPamDir = "/etc/pam.d";
/// Debian's stacks that pam-auth-update writes; both are needed (cgfsctl(8)): ssh logins and
/// `su -` use the first, cron and non-interactive services the second.
constexpr const char* kPamStacks[] = {"common-session", "common-session-noninteractive"};
constexpr const char* kEnableFix = "pam-auth-update --enable cgfs";

const char* level_name(Level level)
{
    switch (level) {
    case Level::ok:
        return "OK";
    case Level::warn:
        return "WARN";
    case Level::fail:
        return "FAIL";
    }
    return "?";
}

std::vector<std::string> split_words(std::string_view line)
{
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < line.size()) {
        pos = line.find_first_not_of(" \t", pos);
        if (pos == std::string_view::npos)
            break;
        std::size_t end = pos;
        if (line[pos] == '[') { // a control like [success=1 default=ignore] is one field
            end = line.find(']', pos);
            end = end == std::string_view::npos ? line.size() : end + 1;
        } else {
            end = std::min(line.find_first_of(" \t", pos), line.size());
        }
        out.emplace_back(line.substr(pos, end - pos));
        pos = end;
    }
    return out;
}

/// The arguments of the first active `session … pam_cgfs.so` line of a PAM stack (pam.conf(5)),
/// or nullopt.
std::optional<std::vector<std::string>> module_line(std::string_view text)
{
    while (!text.empty()) {
        const std::size_t newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
        line = line.substr(0, line.find('#'));
        const auto words = split_words(line);
        if (words.size() < 3 || (words[0] != "session" && words[0] != "-session"))
            continue;
        const std::string& module = words[2];
        const std::size_t slash = module.rfind('/');
        if (module.substr(slash == std::string::npos ? 0 : slash + 1) != "pam_cgfs.so")
            continue;
        return std::vector<std::string>(words.begin() + 3, words.end());
    }
    return std::nullopt;
}

std::string joined(const std::vector<std::string>& items, const char* separator)
{
    std::string text;
    for (const auto& item : items) {
        if (!text.empty())
            text += separator;
        text += item;
    }
    return text;
}

struct Checker {
    std::vector<Finding> findings;
    void add(Level level, std::string check, std::string message, std::string fix = {})
    {
        findings.push_back(Finding{level, std::move(check), std::move(message), std::move(fix)});
    }
};

/// The user the check is for: USER, else the user who ran sudo, else the caller.
std::optional<passwd> target_user(const Args& args, std::string& name, std::vector<char>& buffer)
{
    if (args.user) {
        name = *args.user;
    } else if (const char* sudo = std::getenv("SUDO_USER"); sudo != nullptr && *sudo != '\0') {
        name = sudo;
    } else {
        name = user_of(::getuid());
    }
    buffer.resize(1 << 16);
    passwd entry{};
    passwd* found = nullptr;
    if (::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 || found == nullptr)
        return std::nullopt;
    return entry;
}

std::vector<std::string> group_names(const passwd& pw)
{
    int count = 64;
    std::vector<gid_t> gids(static_cast<std::size_t>(count));
    if (::getgrouplist(pw.pw_name, pw.pw_gid, gids.data(), &count) < 0) {
        gids.resize(static_cast<std::size_t>(count));
        if (::getgrouplist(pw.pw_name, pw.pw_gid, gids.data(), &count) < 0)
            return {};
    }
    gids.resize(static_cast<std::size_t>(count));
    std::vector<std::string> names;
    for (const gid_t gid : gids)
        if (const group* g = ::getgrgid(gid); g != nullptr)
            names.emplace_back(g->gr_name);
    return names;
}

void check_layout(Checker& c, const cgfs::Discovery& d)
{
    if (d.hierarchies.empty()) {
        c.add(Level::fail, "layout", "no cgroup file system is mounted",
              "mount cgroup2 on /sys/fs/cgroup (systemd does this at boot)");
        return;
    }
    c.add(Level::ok, "layout", std::string(cgfs::layout_name(d.layout)));
    for (const auto& h : d.hierarchies) {
        std::string text = describe(h) + " at " + h.mount_point;
        if (h.version == cgfs::CgroupVersion::v2) {
            text += ", controllers: " + (h.controllers.empty() ? std::string("none") : joined(h.controllers, " "));
            if (h.controllers.empty() && d.layout == cgfs::Layout::unified) {
                c.add(Level::warn, "hierarchy", text,
                      "enable controllers in the parent's cgroup.subtree_control, or sessions get no limits");
                continue;
            }
        }
        c.add(Level::ok, "hierarchy", text);
    }
}

/// Returns the selection of the first stack with a valid module line (for the session check).
std::optional<cgfs::ModuleOptions> check_pam(Checker& c, const cgfs::Discovery& d)
{
    std::optional<cgfs::ModuleOptions> first;
    for (const char* stack : kPamStacks) {
        const std::string path = std::string(kPamDir) + "/" + stack;
        auto text = cgfs::fs::read_path(path);
        if (!text.ok()) {
            c.add(Level::fail, "pam", path + ": " + text.error().message(),
                  "add the module line to the distribution's session stack, or " + std::string(kEnableFix));
            continue;
        }
        const auto args = module_line(text.value());
        if (!args) {
            c.add(Level::fail, "pam", path + ": no pam_cgfs.so session line", kEnableFix);
            continue;
        }
        const std::vector<std::string_view> views(args->begin(), args->end());
        const cgfs::ModuleOptions options = cgfs::parse_module_options(views);
        const std::string line = "pam_cgfs.so" + (args->empty() ? "" : " " + joined(*args, " "));
        if (options.fatal) {
            c.add(Level::fail, "pam", path + ": " + line + ": " + *options.fatal, "correct the line (pam_cgfs(8))");
            continue;
        }
        const cgfs::Selection selection = cgfs::select_hierarchies(d, options.list);
        std::vector<std::string> labels;
        for (const auto& chosen : selection.chosen)
            labels.push_back(d.hierarchies[chosen.index].label());
        if (labels.empty()) {
            c.add(Level::fail, "pam", path + ": " + line + " selects no mounted hierarchy",
                  "list controllers this host mounts (cgfsctl check shows them)");
            continue;
        }
        c.add(Level::ok, "pam", path + ": " + line + " selects " + joined(labels, ", "));
        if (!first)
            first = options;
    }
    return first;
}

/// The number of subordinate uids (`uids`) or gids of `pw`, summed over its ranges, from the
/// shadow suite's subid database through libsubid (subuid(5)/subgid(5): lines owned by the name
/// or by the numeric uid; or the source that nsswitch.conf's "subid:" names).
/// Errors: the database could not be read (errno as libsubid's reader left it, else EIO).
cgfs::Result<std::uint64_t> subordinate_ids(bool uids, const passwd& pw)
{
    subid_range* ranges = nullptr;
    errno = 0;
    const int n = uids ? subid_get_uid_ranges(pw.pw_name, &ranges) : subid_get_gid_ranges(pw.pw_name, &ranges);
    if (n < 0)
        return cgfs::make_error(errno != 0 ? errno : EIO, std::string("libsubid could not read the ") +
                                                              (uids ? "subuid" : "subgid") + " database");
    std::uint64_t total = 0;
    for (int i = 0; i < n; ++i)
        total += ranges[i].count;
    std::free(ranges); // libsubid 4.13 allocates the array with malloc and has no subid_free()
    return total;
}

void check_subids(Checker& c, bool uids, const passwd& pw)
{
    const std::string file = uids ? "/etc/subuid" : "/etc/subgid";
    const std::string kind = uids ? "uids" : "gids";
    const std::string flag = uids ? "--add-subuids" : "--add-subgids";
    const std::string fix =
        "usermod " + flag + " FIRST-LAST " + std::string(pw.pw_name) + " (131072 ids for one level of nesting)";
    auto count = subordinate_ids(uids, pw);
    if (!count.ok()) {
        c.add(Level::fail, "subids", file + ": " + count.error().message(), fix);
        return;
    }
    const long levels = cgfs::nesting_levels(count.value());
    const std::string head =
        file + ": " + pw.pw_name + " has " + std::to_string(count.value()) + " subordinate " + kind;
    if (levels < 0)
        c.add(Level::fail, "subids", head + "; an unprivileged container needs 65536", fix);
    else if (levels == 0)
        c.add(Level::warn, "subids", head + ": one container, no nesting (one level needs 131072)", fix);
    else
        c.add(Level::ok, "subids",
              head + ": a container with " + std::to_string(levels) + " level" + (levels == 1 ? "" : "s") +
                  " of nesting");
}

void check_idmap_tool(Checker& c, const char* tool)
{
    const std::string path = std::string("/usr/bin/") + tool;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        c.add(Level::fail, "idmap", path + ": not found", "apt-get install uidmap");
        return;
    }
    const bool setuid_root = st.st_uid == 0 && (st.st_mode & S_ISUID) != 0;
    const bool capabilities = ::getxattr(path.c_str(), "security.capability", nullptr, 0) > 0;
    if (setuid_root)
        c.add(Level::ok, "idmap", path + ": setuid root");
    else if (capabilities)
        c.add(Level::ok, "idmap", path + ": file capabilities");
    else
        c.add(Level::fail, "idmap", path + ": neither setuid root nor file capabilities",
              "reinstall uidmap (it must be setuid root to write other users' id maps)");
}

void check_userns(Checker& c)
{
    auto max = cgfs::fs::read_path("/proc/sys/user/max_user_namespaces");
    if (!max.ok() || max.value().substr(0, 2) == "0\n") {
        c.add(Level::fail, "userns", "user namespaces are disabled (user.max_user_namespaces = 0)",
              "sysctl -w user.max_user_namespaces=15000");
        return;
    }
    if (auto clone = cgfs::fs::read_path("/proc/sys/kernel/unprivileged_userns_clone");
        clone.ok() && clone.value().substr(0, 1) == "0") {
        c.add(Level::fail, "userns", "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0)",
              "sysctl -w kernel.unprivileged_userns_clone=1");
        return;
    }
    std::string value = max.value();
    while (!value.empty() && value.back() == '\n')
        value.pop_back();
    c.add(Level::ok, "userns", "user namespaces enabled (user.max_user_namespaces = " + value + ")");
}

void check_delegate(Checker& c, const cgfs::Discovery& d)
{
    const bool has_v2 = std::any_of(d.hierarchies.begin(), d.hierarchies.end(),
                                    [](const cgfs::Hierarchy& h) { return h.version == cgfs::CgroupVersion::v2; });
    if (!has_v2)
        return;
    auto list = cgfs::fs::read_path(cgfs::kKernelDelegateList);
    if (!list.ok()) {
        c.add(Level::warn, "delegate",
              std::string(cgfs::kKernelDelegateList) + ": " + list.error().message() +
                  "; the module delegates cgroup.procs, cgroup.threads and cgroup.subtree_control",
              "a kernel of 4.15 or later lists the files to delegate");
        return;
    }
    c.add(Level::ok, "delegate",
          std::string(cgfs::kKernelDelegateList) + ": " + joined(cgfs::parse_controllers(list.value()), " "));
}

/// Whether this process is part of a login of `uid`: it runs as that uid, or sudo(8) started it
/// from such a login (SUDO_UID). The session check reads this process's own cgroups, so from a
/// root shell it says nothing about the user's logins.
bool from_login_of(uid_t uid)
{
    if (::getuid() == uid)
        return true;
    const char* sudo_uid = std::getenv("SUDO_UID");
    return sudo_uid != nullptr && std::to_string(uid) == sudo_uid;
}

void check_session(Checker& c, const cgfs::Discovery& d, const std::optional<cgfs::ModuleOptions>& options,
                   const passwd& pw)
{
    cgfs::ControllerList all;
    all.all = true;
    const cgfs::Selection selection = cgfs::select_hierarchies(d, options ? options->list : all);
    for (const auto& chosen : selection.chosen) {
        const cgfs::Hierarchy& h = d.hierarchies[chosen.index];
        const auto fd = open_cgroup(h, h.self_cgroup);
        bool writable = false;
        if (fd) {
            auto dir = cgfs::fs::stat_fd(fd->get());
            struct stat st {};
            writable = dir.ok() && dir.value().st_uid == pw.pw_uid &&
                       ::fstatat(fd->get(), "cgroup.procs", &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_uid == pw.pw_uid;
        }
        if (writable)
            c.add(Level::ok, "session", h.label() + ": " + h.self_cgroup + " is delegated to " + pw.pw_name);
        else
            c.add(Level::warn, "session",
                  h.label() + ": this session sits in " + h.self_cgroup + ", which " + pw.pw_name + " cannot write",
                  from_login_of(pw.pw_uid)
                      ? "log in again as " + std::string(pw.pw_name) + " once the module line is in place"
                      : "this check runs as uid " + std::to_string(::getuid()) + ", not in a login of " + pw.pw_name +
                            ": run it from her login (sudo cgfsctl check) to check her session");
    }
}

/// systemd's system unit search path (systemd.unit(5) "Unit File Load Path"), highest precedence
/// first; /lib/systemd/system is Debian's own.
constexpr const char* kUnitDirs[] = {"/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system",
                                     "/usr/lib/systemd/system", "/lib/systemd/system"};
constexpr const char* kDropInDir = "session-.scope.d";
constexpr const char* kDropInFix = "install session-.scope.d/50-cgfs-delegate.conf ([Scope] Delegate=yes, shipped "
                                   "with cgfs) in /etc/systemd/system, run systemctl daemon-reload, log in again";

/// The value of the last Delegate= assignment in the [Scope] section of a unit file's text (white
/// space around "=" allowed, comments skipped, systemd.syntax(7)), or nullopt.
std::optional<std::string> delegate_setting(std::string_view text)
{
    std::optional<std::string> value;
    bool in_scope = false; // systemd.syntax(7): settings belong to the section they follow
    while (!text.empty()) {
        const std::size_t newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
        const std::size_t start = line.find_first_not_of(" \t");
        if (start == std::string_view::npos)
            continue;
        line.remove_prefix(start);
        const std::size_t last = line.find_last_not_of(" \t\r");
        line = line.substr(0, last + 1);
        if (line.front() == '#' || line.front() == ';')
            continue;
        if (line.front() == '[') {
            in_scope = line == "[Scope]"; // systemd.scope(5): Delegate= of a scope unit
            continue;
        }
        const std::size_t equals = line.find('=');
        if (!in_scope || equals == std::string_view::npos)
            continue;
        std::string_view key = line.substr(0, equals);
        key = key.substr(0, key.find_last_not_of(" \t") + 1);
        if (key != "Delegate")
            continue;
        std::string_view rest = line.substr(equals + 1);
        const std::size_t first = rest.find_first_not_of(" \t");
        value = std::string(first == std::string_view::npos ? std::string_view() : rest.substr(first));
    }
    return value;
}

/// The cgroup2 hierarchy the module line selects (all hierarchies without a line), or nullptr.
const cgfs::Hierarchy* selected_v2(const cgfs::Discovery& d, const std::optional<cgfs::ModuleOptions>& options)
{
    cgfs::ControllerList all;
    all.all = true;
    const cgfs::Selection selection = cgfs::select_hierarchies(d, options ? options->list : all);
    const cgfs::Hierarchy* v2 = nullptr;
    for (const auto& chosen : selection.chosen)
        if (d.hierarchies[chosen.index].version == cgfs::CgroupVersion::v2)
            v2 = &d.hierarchies[chosen.index];
    return v2;
}

/// logind's session scopes' Delegate= as systemd reads the session-.scope.d drop-ins: a file name
/// in a directory earlier in the search path masks the same name later, files apply in name
/// order, the last Delegate= wins. A finding either way.
void check_dropins(Checker& c)
{
    std::map<std::string, std::string> dropins; // file name -> path, highest precedence first
    for (const char* dir : kUnitDirs) {
        const std::string path = std::string(dir) + "/" + kDropInDir;
        dirent** names = nullptr; // a missing directory: n < 0
        const int n = ::scandir(path.c_str(), &names, nullptr, alphasort);
        for (int i = 0; i < n; ++i) {
            const std::string name = names[i]->d_name;
            if (name.size() > 5 && name.compare(name.size() - 5, 5, ".conf") == 0)
                dropins.emplace(name, path + "/" + name);
            std::free(names[i]);
        }
        std::free(names);
    }
    std::optional<std::string> delegate;
    std::string from;
    for (const auto& [name, path] : dropins) {
        auto text = cgfs::fs::read_regular_file(path);
        if (!text.ok())
            continue;
        if (auto value = delegate_setting(text.value())) {
            delegate = value;
            from = path;
        }
    }
    const bool off = !delegate || delegate->empty() || *delegate == "no" || *delegate == "false" ||
                     *delegate == "off" || *delegate == "0";
    if (!off) {
        c.add(Level::ok, "systemd", from + ": Delegate=" + *delegate + " for logind's session scopes");
        return;
    }
    c.add(Level::warn, "systemd",
          delegate ? from + ": Delegate=" + *delegate +
                         ": logind's session scopes are not delegated, so containers "
                         "started from a login get no controllers on cgroup2"
                   : std::string("no session-.scope.d drop-in with Delegate=yes: logind's session scopes are not "
                                 "delegated, so containers started from a login get no controllers on cgroup2"),
          kDropInFix);
}

/// Whether the session scope this check runs in carries systemd's delegation mark (nothing when
/// it does not run from a login of the user).
void check_scope_mark(Checker& c, const cgfs::Hierarchy& v2, const passwd& pw)
{
    const std::string base = cgfs::base_cgroup(v2);
    std::string scope = v2.self_cgroup;
    switch (cgfs::classify_systemd_cgroup(scope, base, pw.pw_uid)) {
    case cgfs::SystemdCgroup::session_leaf:
        scope = scope.substr(0, scope.rfind('/'));
        break;
    case cgfs::SystemdCgroup::session_scope:
        break;
    default:
        return; // not run from a login of the user: no scope to look at
    }
    const auto fd = open_cgroup(v2, scope);
    if (!fd)
        return;
    // Only root sees trusted.* xattrs; the user reads the user.delegate mark systemd sets beside it.
    bool marked = false;
    if (::geteuid() == 0) {
        auto delegated = cgfs::delegated_by_systemd(fd->get());
        marked = delegated.ok() && delegated.value();
    } else {
        char value[8] = {};
        marked = ::fgetxattr(fd->get(), cgfs::kUserDelegateXattr, value, sizeof value) == 1 && value[0] == '1';
    }
    if (marked)
        c.add(Level::ok, "systemd",
              v2.label() + ": " + scope +
                  " is delegated by systemd: containers started from this login get controllers");
    else
        c.add(Level::warn, "systemd",
              v2.label() + ": " + scope +
                  " is not delegated by systemd: containers started from this login get no controllers",
              kDropInFix);
}

/// pam_cgfs(8) "systemd session scopes": on a host booted with systemd whose module line selects
/// cgroup2, whether logind's session scopes are Delegate=yes, and whether the scope this check
/// runs in carries systemd's mark.
void check_systemd(Checker& c, const cgfs::Discovery& d, const std::optional<cgfs::ModuleOptions>& options,
                   const passwd& pw)
{
    struct stat st {};
    if (::stat("/run/systemd/system", &st) != 0 || !S_ISDIR(st.st_mode))
        return; // sd_booted(3): PID 1 is not systemd
    const cgfs::Hierarchy* v2 = selected_v2(d, options);
    if (v2 == nullptr)
        return;
    check_dropins(c);
    check_scope_mark(c, *v2, pw);
}

void check_limits(Checker& c, const std::string& path, const passwd& pw)
{
    auto config = cgfs::read_limits(path);
    if (!config.ok()) {
        c.add(Level::fail, "limits", config.error().message(), "make it readable, or remove it for no limits");
        return;
    }
    for (const auto& problem : config.value().problems)
        c.add(Level::warn, "limits", path + ": " + problem.text + "; skipped", "correct the line (cgfs.conf(5))");
    const auto groups = group_names(pw);
    const cgfs::LimitSubject subject{pw.pw_name, pw.pw_uid, [&](std::string_view g) {
                                         return std::find(groups.begin(), groups.end(), g) != groups.end();
                                     }};
    const auto rules = cgfs::limits_for(config.value(), subject);
    if (rules.empty()) {
        c.add(Level::ok, "limits", path + ": none for " + std::string(pw.pw_name));
        return;
    }
    for (const auto& rule : rules)
        c.add(Level::ok, "limits",
              path + ": " + pw.pw_name + ": " + rule.limit + " " + rule.value + " (line " + std::to_string(rule.line) +
                  ")");
}

/// Prints the findings (human, escaped as in status, or --json) and returns the exit code of the
/// worst one (cgfsctl(8) EXIT STATUS).
int report(const Checker& c, const std::string& name, bool json)
{
    Level worst = Level::ok;
    std::size_t counts[3] = {0, 0, 0};
    for (const auto& f : c.findings) {
        worst = std::max(worst, f.level);
        ++counts[static_cast<int>(f.level)];
    }
    if (json) {
        Json findings = Json::array();
        for (const auto& f : c.findings) {
            Json j = {{"level", level_name(f.level)}, {"check", f.check}, {"message", f.message}};
            if (!f.fix.empty())
                j["fix"] = f.fix;
            findings.push_back(j);
        }
        const Json out = {{"user", name}, {"worst", level_name(worst)}, {"findings", findings}};
        std::cout << out.dump(2, ' ', true, Json::error_handler_t::replace) << '\n';
    } else {
        // Messages carry paths and cgroup names a user may have chosen: escaped as in status.
        for (const auto& f : c.findings) {
            std::printf("%-4s %s: %s\n", level_name(f.level), f.check.c_str(), cgfs::escape_control(f.message).c_str());
            if (!f.fix.empty())
                std::printf("     fix: %s\n", cgfs::escape_control(f.fix).c_str());
        }
        std::printf("check: %zu OK, %zu WARN, %zu FAIL\n", counts[0], counts[1], counts[2]);
    }
    switch (worst) {
    case Level::ok:
        return kExitOk;
    case Level::warn:
        return kExitWarn;
    case Level::fail:
        return kExitFail;
    }
    return kExitFail;
}

} // namespace

int check(const Args& args)
{
    Checker c;
    auto discovery = cgfs::discover();
    cgfs::Discovery empty;
    const cgfs::Discovery& d = discovery.ok() ? discovery.value() : empty;
    if (!discovery.ok())
        c.add(Level::fail, "layout", discovery.error().message(), "mount /proc and the cgroup file systems");
    else
        check_layout(c, d);
    const auto options = check_pam(c, d);
    check_delegate(c, d);
    check_userns(c);
    check_idmap_tool(c, "newuidmap");
    check_idmap_tool(c, "newgidmap");

    std::string name;
    std::vector<char> buffer;
    const auto pw = target_user(args, name, buffer);
    if (!pw) {
        c.add(Level::fail, "user", "no user '" + cgfs::escape_control(name) + "' in the user database",
              "name an existing user: cgfsctl check USER");
    } else {
        check_subids(c, true, *pw);
        check_subids(c, false, *pw);
        if (!d.hierarchies.empty())
            check_session(c, d, options, *pw);
        if (!d.hierarchies.empty())
            check_systemd(c, d, options, *pw);
        check_limits(c, options ? options->config : std::string(cgfs::kLimitsConfig), *pw);
    }

    return report(c, name, args.json);
}

} // namespace cgfsctl
