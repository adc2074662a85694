// Bad input (issue 4), as one table: option strings, PAM user values and environments (no or
// garbage /proc/self/mountinfo, no cgroup mounts, duplicated and stacked mounts, bind-mounted
// subtrees, cgroup namespaces). Each row runs one open in a fresh container and asserts the exact
// PAM code, the exact syslog lines (all of them, in order) and the cgroup state: nothing changed
// anywhere and the caller unmoved for a refusal; exactly the session's tree, owners, modes and
// /proc/self/cgroup for a success. Environments that only the caller may see (a file bound over
// /proc/<pid>/mountinfo) are made in the driver's own mount namespace (pam_driver
// --private-mounts), so the snapshots still see the real trees. Behaviour: pam_cgfs(8) OPTIONS,
// BEHAVIOUR PER LAYOUT, RETURN VALUES, LOGGING and SECURITY.
#include "expect.hpp"
#include "layouts.hpp"
#include "util.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <set>
#include <utility>

#include <syslog.h>

using namespace cgfs_test;

namespace {

constexpr const char* kLogPrefix = "pam_cgfs(cgfs-test:session): ";
constexpr size_t kMinRows = 40;

using LogLines = std::vector<std::pair<int, std::string>>;

struct Row {
    std::string label;
    Layout layout = Layout::v1;
    std::string args; // the module's arguments, exactly
    std::string user = "alice";
    bool null_user = false;          // no PAM_USER at all
    std::string passwd;              // a line appended to the container's /etc/passwd
    std::string setup;               // shell in the container, before the "before" snapshot
    std::string private_mounts;      // shell in the driver's own mount namespace ($DRIVER_PID)
    std::vector<std::string> driver; // more pam_driver arguments (--in, --cgroupns)
    // Selects every hierarchy (no -c, -c all): on cgroup2 the module then tries to enable each
    // controller the container's root offers, and that root holds the container's init.
    bool selects_all = false;
    int open = kPamSessionErr;
    LogLines log;
    // Success: the session's user and uid, the hierarchies it got, and where the caller sits in
    // them (namespace-relative, as the caller's /proc/self/cgroup shows it). Empty keys: a refusal.
    std::string session_user = "alice";
    unsigned uid = kAliceUid;
    std::vector<std::string> keys;
    // Replaces the standard success check (sessions not at BASE = "/").
    std::function<void(const Report&)> custom;
};

LogLines err(const std::string& text)
{
    return {{LOG_ERR, text}};
}

// What the module logs when the Debian line finds none of its hierarchies (pam_cgfs(8) BEHAVIOUR
// PER LAYOUT: a listed controller that is not mounted is a notice; nothing selectable is one
// LOG_ERR).
LogLines none_of_v1_core(const std::string& layout)
{
    return {{LOG_NOTICE, "freezer: not mounted, skipped"},
            {LOG_NOTICE, "memory: not mounted, skipped"},
            {LOG_NOTICE, "name=systemd: not mounted, skipped"},
            {LOG_ERR, "user 'alice': no cgroup hierarchy selected (layout " + layout + ")"}};
}

std::string refusal(const std::string& why)
{
    return "refusing session: " + why + ": Invalid argument";
}

std::string no_hierarchy(const std::string& layout)
{
    return "user 'alice': no cgroup hierarchy selected (layout " + layout + ")";
}

std::pair<int, std::string> no_hierarchy_line(const std::string& layout)
{
    return {LOG_ERR, no_hierarchy(layout)};
}

// A -c item that cannot name a hierarchy: logged and skipped (pam_cgfs(8) OPTIONS).
std::pair<int, std::string> skipped(const std::string& what)
{
    return {LOG_ERR, "-c: " + what + "; skipped"};
}

// Every row's syslog: only the module's lines, exactly these, in this order.
void check_exact_log(const Report& r, const LogLines& expected)
{
    std::vector<std::string> got;
    for (const auto& l : r.syslog) {
        std::string m = l.message;
        if (starts_with(m, kLogPrefix))
            m = m.substr(std::string(kLogPrefix).size());
        else
            m = "(not from pam_cgfs) " + m;
        got.push_back("<" + std::to_string(l.priority) + "> " + m);
    }
    std::vector<std::string> want;
    for (const auto& [priority, text] : expected)
        want.push_back("<" + std::to_string(priority) + "> " + text);
    CHECK(got == want);
}

void run_row(const Row& row)
{
    auto r = run_scenario(row.layout, [&](Container& c) {
        if (!row.passwd.empty())
            write_regular_file("/etc/passwd", read_file("/etc/passwd") + row.passwd + "\n", 0644);
        if (!row.setup.empty())
            c.sh(row.setup);
        c.service("cgfs-test", row.args);
        c.snapshot("before");
        std::vector<std::string> args = {"--service", "cgfs-test", "--no-close"};
        if (row.null_user)
            args.push_back("--null-user");
        else
            args.insert(args.end(), {"--user", row.user});
        if (!row.private_mounts.empty())
            args.insert(args.end(), {"--private-mounts", row.private_mounts});
        args.insert(args.end(), row.driver.begin(), row.driver.end());
        c.run("main", args);
        c.snapshot("after");
    });
    check_ran(r);
    INFO("row: " << row.label << " (" << layout_name(row.layout) << "), args '" << row.args << "'\n" << r.describe());
    const auto& d = r.driver("main");
    REQUIRE(d.code("start") == kPamSuccess);
    CHECK(d.code("open") == row.open);
    LogLines expected = row.log;
    if (row.selects_all && row.open == kPamSuccess)
        for (const auto& controller : root_offers(r.snap("before")))
            expected.push_back({LOG_NOTICE, "unified: /: holds processes of its own, " + controller +
                                                " not enabled (cgroup-v2.rst: no internal processes)"});
    check_exact_log(r, expected);
    if (row.custom) {
        row.custom(r);
        return;
    }
    if (row.keys.empty()) {
        check_unchanged(r.snap("before"), r.snap("after"));
        CHECK(d.cgroups("cgroup") == d.cgroups("cgroup_before"));
        return;
    }
    const auto& after = r.snap("after");
    auto before = d.cgroups("cgroup_before");
    for (const auto& key : layout_keys(row.layout)) {
        if (std::find(row.keys.begin(), row.keys.end(), key) != row.keys.end()) {
            check_sessions(after, key, row.session_user, row.uid, {0});
            check_proc_in(d, "cgroup", key, session_leaf(key, row.session_user, 0));
        } else {
            check_no_session(after, key, row.session_user, false);
            check_proc_in(d, "cgroup", key, before[key]);
        }
    }
}

// ---- the rows ------------------------------------------------------------------------------

const std::vector<std::string> kV1Core = {"freezer", "memory", "name=systemd"};
const char* const kV1Args = "-c freezer,memory,name=systemd";

std::vector<Row> user_rows()
{
    std::vector<Row> v;
    auto refuse = [&](std::string label, std::string user, std::string why, bool in_passwd,
                      Layout layout = Layout::v1) {
        Row r;
        r.label = "user " + std::move(label);
        r.layout = layout;
        r.args = kV1Args;
        if (layout == Layout::v2)
            r.args = "-c unified";
        r.user = user;
        if (in_passwd)
            r.passwd = user + ":x:2000:2000::/home/x:/bin/sh";
        r.log = err(refusal(why));
        v.push_back(std::move(r));
    };
    for (Layout l : {Layout::v1, Layout::hybrid, Layout::v2})
        refuse("empty", "", "user name is empty", false, l);
    refuse("'.'", ".", "user name '.' is not a directory name", true);
    refuse("'..'", "..", "user name '..' is not a directory name", true, Layout::v2);
    refuse("'a/b'", "a/b", "user name contains '/'", true);
    refuse("'/'", "/", "user name contains '/'", false);
    refuse("'../../etc'", "../../etc", "user name contains '/'", false, Layout::hybrid);
    refuse("256 bytes", std::string(256, 'a'), "user name is longer than 255 bytes", true);
    refuse("4096 bytes", std::string(4096, 'b'), "user name is longer than 255 bytes", false);
    refuse("with a tab", "al\tice", "user name contains a control character", true);
    refuse("with ESC",
           "al\x1b"
           "ice",
           "user name contains a control character", true);
    refuse("with a newline", "al\nice", "user name contains a control character", false);
    refuse("with DEL",
           "al\x7f"
           "ice",
           "user name contains a control character", true);
    refuse("with \\x01", "\x01", "user name contains a control character", false);
    for (const char* name : {"tasks", "notify_on_release", "release_agent"})
        refuse(std::string("'") + name + "'", name,
               std::string("user name '") + name + "' is a cgroup kernel file name", true);
    for (const char* name :
         {"cgroup.procs", "cgroup.subtree_control", "memory.max", "pids.max", "cpu.weight", "io.max", "irq.pressure"})
        refuse(std::string("'") + name + "'", name,
               std::string("user name '") + name + "' collides with cgroup kernel files", true,
               std::string(name) == "cgroup.subtree_control" ? Layout::v2 : Layout::v1);
    {
        Row r;
        r.label = "user not in passwd";
        r.args = kV1Args;
        r.user = "nosuchuser";
        r.log = err("user 'nosuchuser': not found in the user database");
        v.push_back(r);
        r.layout = Layout::v2;
        r.args = "-c unified";
        v.push_back(r);
    }
    {
        // A failing name service is not "not found": the log names the errno (getpwnam(3)).
        // The container's nsswitch.conf asks files only, and its /etc/passwd cannot be read.
        Row r;
        r.label = "user database unreadable (symlink loop)";
        r.args = kV1Args;
        r.setup = "printf 'passwd: files\\n' > /etc/nsswitch.conf && rm /etc/passwd && "
                  "ln -s passwd.loop /etc/passwd && ln -s passwd /etc/passwd.loop";
        r.log = err("user 'alice': the user database could not be read: Too many levels of symbolic links");
        v.push_back(r);
        r.label = "user database unreadable (a directory)";
        r.layout = Layout::v2;
        r.args = "-c unified";
        r.setup = "printf 'passwd: files\\n' > /etc/nsswitch.conf && rm /etc/passwd && mkdir /etc/passwd";
        r.log = err("user 'alice': the user database could not be read: Is a directory");
        v.push_back(r);
    }
    for (Layout l : {Layout::v1, Layout::v2}) {
        // chown(2) takes -1 as "leave the owner": such an entry would get root-owned cgroups
        // and a PAM_SUCCESS that delegates nothing.
        Row r;
        r.label = "uid -1 in the user database";
        r.layout = l;
        r.args = l == Layout::v1 ? kV1Args : "-c unified";
        r.user = "ghost";
        r.passwd = "ghost:x:4294967295:2000::/home/g:/bin/sh";
        r.log = err("user 'ghost': refusing session: uid 4294967295, gid 2000 in the user database (-1 is no "
                    "owner, chown(2))");
        v.push_back(r);
        r.label = "gid -1 in the user database";
        r.user = "ghost2";
        r.passwd = "ghost2:x:2000:4294967295::/home/g:/bin/sh";
        r.log = err("user 'ghost2': refusing session: uid 2000, gid 4294967295 in the user database (-1 is no "
                    "owner, chown(2))");
        v.push_back(r);
    }
    {
        Row r;
        r.label = "no PAM_USER item";
        r.args = kV1Args;
        r.null_user = true;
        r.log = err("no user: the PAM_USER item is not set");
        v.push_back(r);
    }
    {
        Row r; // root is a user like any other (pam_cgfs(8) "The cgroups of a session")
        r.label = "user root (uid 0)";
        r.args = kV1Args;
        r.user = "root";
        r.open = kPamSuccess;
        r.session_user = "root";
        r.uid = 0;
        r.keys = kV1Core;
        v.push_back(r);
    }
    {
        Row r; // NAME_MAX exactly is a valid directory name
        r.label = "user of 255 bytes";
        r.args = "-c freezer";
        r.user = std::string(255, 'z');
        r.passwd = r.user + ":x:2000:2000::/home/z:/bin/sh";
        r.open = kPamSuccess;
        r.session_user = r.user;
        r.uid = 2000;
        r.keys = {"freezer"};
        v.push_back(r);
    }
    {
        Row r; // bytes >= 0x80 are not control characters: a UTF-8 name is a directory name
        r.label = "user with a non-ASCII name";
        r.layout = Layout::hybrid;
        r.args = "-c freezer,unified";
        r.user = "\xc3\xa9lodie";
        r.passwd = r.user + ":x:2000:2000::/home/e:/bin/sh";
        r.open = kPamSuccess;
        r.session_user = r.user;
        r.uid = 2000;
        r.keys = {"freezer", "unified"};
        v.push_back(r);
    }
    {
        Row r; // "cgroup" alone is no kernel file; only "cgroup.*" is
        r.label = "user named 'cgroup'";
        r.args = "-c memory";
        r.user = "cgroup";
        r.passwd = "cgroup:x:2000:2000::/home/c:/bin/sh";
        r.open = kPamSuccess;
        r.session_user = "cgroup";
        r.uid = 2000;
        r.keys = {"memory"};
        v.push_back(r);
    }
    for (Layout l : {Layout::v1, Layout::v2}) {
        // user/alice exists and belongs to bob (uid 1001): another user's cgroup is never
        // chowned or reused (pam_cgfs(8) "Cgroups that already belong to the user"); the whole
        // call fails and undoes what it made.
        Row r;
        r.label = "user/alice owned by another uid";
        r.layout = l;
        bool v2 = l == Layout::v2;
        r.args = v2 ? "-c unified" : "-c freezer";
        std::string key = v2 ? "unified" : "freezer";
        std::string mnt = v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/freezer";
        r.setup = "mkdir -p " + mnt + "/user/alice && chown 1001:1001 " + mnt + "/user/alice";
        r.log = err("user 'alice': " + key +
                    ": /user/alice: owned by uid 1001, not by alice (uid 1000): Operation not "
                    "permitted");
        v.push_back(r);
    }
    return v;
}

std::vector<Row> option_rows()
{
    std::vector<Row> v;
    auto row = [&](std::string label, std::string args, int code, LogLines log, std::vector<std::string> keys,
                   Layout layout = Layout::v1) {
        Row r;
        r.label = "options " + std::move(label);
        r.layout = layout;
        r.args = std::move(args);
        r.open = code;
        r.log = std::move(log);
        r.keys = std::move(keys);
        v.push_back(std::move(r));
    };
    // No -c at all means all (pam_cgfs(8) OPTIONS).
    for (Layout l : {Layout::v1, Layout::hybrid, Layout::v2}) {
        row("empty (no -c: all)", "", kPamSuccess, {}, layout_keys(l), l);
        v.back().selects_all = true;
    }
    row("-c ',' (an empty list)", "-c ,", kPamSessionErr, err(no_hierarchy("legacy")), {});
    row("-c ',,,' on cgroup2", "-c ,,,", kPamSessionErr, err(no_hierarchy("unified")), {}, Layout::v2);
    row("repeated -c, merged", "-c freezer -c memory", kPamSuccess, {}, {"freezer", "memory"});
    row("repeated -c, same list", "-c freezer -c freezer", kPamSuccess, {}, {"freezer"});
    row("-c all,all", "-c all,all", kPamSuccess, {}, layout_keys(Layout::hybrid), Layout::hybrid);
    v.back().selects_all = true;
    row("-c at the end", "debug -c", kPamSessionErr, err("-c needs a list of controllers"), {});
    row("-c at the end after a list", "-c freezer -c", kPamSessionErr, err("-c needs a list of controllers"), {},
        Layout::hybrid);
    // pam_cgfs(8) OPTIONS: an item that cannot name a hierarchy is one LOG_ERR line and skipped,
    // like an unknown word; the rest of the list applies, and a list left empty selects nothing.
    row("-c -c", "-c -c", kPamSessionErr, {skipped("'-c' is not a valid controller name"), no_hierarchy_line("legacy")},
        {});
    row("unknown controller only", "-c nosuchcontroller", kPamSessionErr,
        {{LOG_NOTICE, "nosuchcontroller: not mounted, skipped"}, {LOG_ERR, no_hierarchy("legacy")}}, {});
    row("unknown controller on cgroup2", "-c nosuchcontroller", kPamSessionErr,
        {{LOG_NOTICE, "nosuchcontroller: not available on cgroup2, skipped"}, {LOG_ERR, no_hierarchy("unified")}}, {},
        Layout::v2);
    row("unknown controller next to a known one", "-c freezer,nosuch", kPamSuccess,
        {{LOG_NOTICE, "nosuch: not mounted, skipped"}}, {"freezer"});
    row("unknown named hierarchy only", "-c name=nosuch", kPamSessionErr,
        {{LOG_NOTICE, "name=nosuch: not mounted, skipped"}, {LOG_ERR, no_hierarchy("legacy")}}, {});
    row("name= on cgroup2 only", "-c name=systemd", kPamSessionErr, err(no_hierarchy("unified")), {}, Layout::v2);
    row("unified on v1", "-c unified", kPamSessionErr,
        {{LOG_NOTICE, "unified: cgroup2 not mounted, skipped"}, {LOG_ERR, no_hierarchy("legacy")}}, {});
    row("name= empty", "-c name=", kPamSessionErr, {skipped("'name=' names no hierarchy"), no_hierarchy_line("legacy")},
        {});
    row("name= empty after a good item", "-c unified,name=", kPamSuccess, {skipped("'name=' names no hierarchy")},
        {"unified"}, Layout::v2);
    row("name= with '/'", "-c name=sys/temd", kPamSessionErr,
        {skipped("'name=sys/temd' is not a valid hierarchy name"), no_hierarchy_line("legacy")}, {});
    row("all mixed", "-c all,memory", kPamSessionErr, err("-c: 'all' cannot be combined with other controllers"), {});
    row("all in a second -c", "-c memory -c all", kPamSessionErr,
        err("-c: 'all' cannot be combined with other controllers"), {}, Layout::hybrid);
    row("'/' in an item", "-c freezer/../memory", kPamSessionErr,
        {skipped("'freezer/../memory' is not a valid controller name"), no_hierarchy_line("legacy")}, {});
    row("upper case", "-c Freezer", kPamSessionErr,
        {skipped("'Freezer' is not a valid controller name"), no_hierarchy_line("legacy")}, {});
    row("non-ASCII controller",
        "-c fr\xc3\xa9"
        "ezer",
        kPamSessionErr,
        {skipped("'fr\xc3\xa9"
                 "ezer' is not a valid controller name"),
         no_hierarchy_line("legacy")},
        {});
    // One malformed item of each kind next to good ones: the good ones are delegated.
    row("upper case next to a good item", "-c freezer,Memory", kPamSuccess,
        {skipped("'Memory' is not a valid controller name")}, {"freezer"});
    row("a kernel file name as an item", "-c unified,memory.x", kPamSuccess,
        {skipped("'memory.x' is not a valid controller name")}, {"unified"}, Layout::v2);
    row("an I/O scheduler name as an item", "-c freezer,bfq-io,name=systemd", kPamSuccess,
        {skipped("'bfq-io' is not a valid controller name")}, {"freezer", "name=systemd"}, Layout::hybrid);
    row("a path as an item", "-c freezer,/sys/fs/cgroup/memory", kPamSuccess,
        {skipped("'/sys/fs/cgroup/memory' is not a valid controller name")}, {"freezer"});
    row("a control character in an item", "-c freezer,mem\x01ory", kPamSuccess,
        {skipped("'mem\\x01ory' is not a valid controller name")}, {"freezer"});
    row("non-ASCII unknown token",
        "d\xc3\xa9"
        "bug -c freezer",
        kPamSuccess,
        err("unknown option 'd\xc3\xa9"
            "bug' ignored"),
        {"freezer"});
    // Terminal control in a logged word: ESC, BEL, a raw 0x9b (CSI in 8-bit terminals) and
    // U+009B as UTF-8 reach the log escaped (pam_cgfs(8) LOGGING).
    row("unknown token with terminal controls",
        "x\x1b]0;t\x07\x9b"
        "1A\xc2\x9b"
        "2J -c freezer",
        kPamSuccess, err("unknown option 'x\\x1b]0;t\\x07\\x9b1A\\xc2\\x9b2J' ignored"), {"freezer"});
    row("unknown token", "bogus_option -c unified", kPamSuccess, err("unknown option 'bogus_option' ignored"),
        {"unified"}, Layout::v2);
    row("two unknown tokens", "-x -c freezer Debug", kPamSuccess,
        {{LOG_ERR, "unknown option '-x' ignored"}, {LOG_ERR, "unknown option 'Debug' ignored"}}, {"freezer"});
    {
        // A long list: 120 items, duplicates merged. libpam 1.5.2 reads a service file line
        // in 1,024-byte pieces (each further piece is logged as a broken line), so this is
        // about as long as a PAM line gets (960 bytes of list).
        std::string list;
        for (int i = 0; i < 60; ++i)
            list += "freezer,memory,";
        row("a list of 120 items", "-c " + list + "name=systemd", kPamSuccess, {}, kV1Core);
    }
    {
        std::string item(65, 'c');
        row("an item of 65 bytes", "-c freezer," + item, kPamSuccess,
            {skipped("'" + item + "' is not a valid controller name")}, {"freezer"});
    }
    return v;
}

// Shell fragments for --private-mounts ($DRIVER_PID is the driver; /tmp is the container's).
const std::string kFakeMountinfo = "mount --bind /tmp/mountinfo /proc/$DRIVER_PID/mountinfo";

std::vector<Row> environment_rows()
{
    std::vector<Row> v;
    auto row = [&](std::string label, Layout layout, std::string args, std::string private_mounts, int code,
                   LogLines log, std::vector<std::string> keys) {
        Row r;
        r.label = "environment " + std::move(label);
        r.layout = layout;
        r.args = std::move(args);
        r.private_mounts = std::move(private_mounts);
        r.open = code;
        r.log = std::move(log);
        r.keys = std::move(keys);
        v.push_back(std::move(r));
        return &v.back();
    };
    // No /proc/self/mountinfo: the pid directory replaced by one holding only "cgroup".
    row("no /proc/self/mountinfo", Layout::v1, kV1Args,
        "cp /proc/$DRIVER_PID/cgroup /tmp/cgroup && mount -t tmpfs none /proc/$DRIVER_PID && "
        "cp /tmp/cgroup /proc/$DRIVER_PID/cgroup",
        kPamSessionErr, err("user 'alice': read /proc/self/mountinfo: No such file or directory"), {});
    row("empty mountinfo", Layout::hybrid, "", "mount --bind /dev/null /proc/$DRIVER_PID/mountinfo", kPamSessionErr,
        err(no_hierarchy("none")), {});
    row("garbage in mountinfo", Layout::v1, kV1Args, "head -c 65536 /dev/urandom > /tmp/mountinfo && " + kFakeMountinfo,
        kPamSessionErr, none_of_v1_core("none"), {});
    row("mountinfo lines cut before ' - '", Layout::v2, "-c unified",
        "sed 's/ - .*//' /proc/$DRIVER_PID/mountinfo > /tmp/mountinfo && " + kFakeMountinfo, kPamSessionErr,
        {{LOG_NOTICE, "unified: cgroup2 not mounted, skipped"}, {LOG_ERR, no_hierarchy("none")}}, {});
    row("mountinfo with text fields as ids", Layout::v1, kV1Args,
        "sed 's/^[0-9]* [0-9]*/x y/' /proc/$DRIVER_PID/mountinfo > /tmp/mountinfo && " + kFakeMountinfo, kPamSessionErr,
        none_of_v1_core("none"), {});
    // A forged line that calls a tmpfs a freezer hierarchy: the fstatfs magic check refuses it,
    // so nothing is ever written outside cgroup file systems.
    row("mountinfo names a tmpfs as a cgroup mount", Layout::v1, "-c freezer",
        "grep -v ' - cgroup ' /proc/$DRIVER_PID/mountinfo > /tmp/mountinfo && "
        "echo '999 1 0:99 / /tmp rw - cgroup cgroup rw,freezer' >> /tmp/mountinfo && "
        "mkdir -p /tmp/user && " +
            kFakeMountinfo,
        kPamSessionErr,
        {{LOG_NOTICE, "freezer: /tmp: statfs: not a cgroup file system: Operation not "
                      "supported, hierarchy skipped"},
         {LOG_NOTICE, "freezer: not mounted, skipped"},
         {LOG_ERR, no_hierarchy("none")}},
        {});
    row("garbage in /proc/self/cgroup", Layout::v1, kV1Args,
        "echo 'not a cgroup file' > /tmp/cgroup && "
        "mount --bind /tmp/cgroup /proc/$DRIVER_PID/cgroup",
        kPamSessionErr, none_of_v1_core("none"), {});
    for (Layout l : {Layout::v1, Layout::hybrid, Layout::v2})
        row("no cgroup mounts at all", l, "", "umount -R /sys/fs/cgroup && mount -t tmpfs none /sys/fs/cgroup",
            kPamSessionErr, err(no_hierarchy("none")), {});
    row("every cgroup line of mountinfo twice", Layout::hybrid, "",
        "awk '{print} / - cgroup2? /{print}' /proc/$DRIVER_PID/mountinfo > /tmp/mountinfo && " + kFakeMountinfo,
        kPamSuccess, {}, layout_keys(Layout::hybrid));
    // The kernel refuses a hierarchy directly on its own mount point (EBUSY); with a tmpfs in
    // between, mountinfo lists the hierarchy twice at one path, the lower mount hidden.
    row("a hierarchy stacked twice on one mount point", Layout::v1, kV1Args,
        "mount -t tmpfs none /sys/fs/cgroup/freezer && "
        "mount -t cgroup -o freezer again /sys/fs/cgroup/freezer",
        kPamSuccess, {}, kV1Core);
    row("cgroup2 mounted twice", Layout::v2, "-c unified", "mkdir /tmp/again && mount -t cgroup2 cgroup2 /tmp/again",
        kPamSuccess, {}, {"unified"});
    row("a hierarchy also mounted at a second place", Layout::hybrid, "-c memory",
        "mkdir /tmp/memory && mount -t cgroup -o memory cgroup /tmp/memory", kPamSuccess, {}, {"memory"});
    // A bind mount of a subtree next to the whole hierarchy: the widest view is used.
    {
        Row* r = row("a bind-mounted subtree next to the hierarchy", Layout::v1, "-c freezer",
                     "mkdir /tmp/sub && mount --bind /sys/fs/cgroup/freezer/sub /tmp/sub", kPamSuccess, {}, {});
        r->setup = "mkdir /sys/fs/cgroup/freezer/sub";
        r->custom = [](const Report& rep) {
            const auto& s = rep.snap("after");
            check_sessions(s, "freezer", "alice", kAliceUid, {0});
            check_proc_in(rep.driver("main"), "cgroup", "freezer", "/user/alice/0");
            CHECK(s.dir_paths("freezer").count("/sub/user") == 0);
        };
    }
    // Only a subtree is visible, and the caller sits in it: BASE is the mount's root (PID 1's
    // cgroup lies outside the view), so the session is made below it.
    {
        Row* r = row("only a bind-mounted subtree, caller inside", Layout::v1, "-c freezer",
                     "mount --bind /sys/fs/cgroup/freezer/sub /sys/fs/cgroup/freezer", kPamSuccess, {}, {});
        r->driver = {"--in", "freezer:/sub"};
        r->custom = [](const Report& rep) {
            const auto& s = rep.snap("after");
            std::set<std::string> want = {"/", "/sub", "/sub/user", "/sub/user/alice", "/sub/user/alice/0"};
            CHECK(s.dir_paths("freezer") == want);
            CHECK(s.dirs.at("freezer:/sub/user") == "0:0 0755");
            CHECK(s.dirs.at("freezer:/sub/user/alice") == "0:0 0755");
            CHECK(s.dirs.at("freezer:/sub/user/alice/0") == "1000:1000 0755");
            CHECK(s.non_root_files("freezer") == std::set<std::string>{"/sub/user/alice/0/tasks 1000:1000",
                                                                       "/sub/user/alice/0/cgroup.procs 1000:1000"});
            check_proc_in(rep.driver("main"), "cgroup", "freezer", "/sub/user/alice/0");
        };
    }
    // Only a subtree is visible and the caller sits outside it: refused, nothing made.
    {
        Row* r = row("only a bind-mounted subtree, caller outside", Layout::v1, "-c freezer",
                     "mount --bind /sys/fs/cgroup/freezer/sub /sys/fs/cgroup/freezer", kPamSessionErr,
                     err("user 'alice': freezer: /: the caller's cgroup is outside the mount at "
                         "/sys/fs/cgroup/freezer: Invalid cross-device link"),
                     {});
        r->setup = "mkdir /sys/fs/cgroup/freezer/sub";
    }
    // A cgroup namespace rooted at the caller's cgroup, the hierarchies not mounted again in
    // it: the mounts' roots lie above the namespace root ("/.."), so no mount shows the caller.
    {
        Row* r = row("a cgroup namespace root, hierarchies not remounted", Layout::v1, "-c freezer,memory", "",
                     kPamSessionErr, {}, {});
        r->driver = {"--in", "freezer:/ns", "--in", "memory:/ns", "--cgroupns"};
        r->setup = "mkdir /sys/fs/cgroup/freezer/ns /sys/fs/cgroup/memory/ns";
        // memory comes first: it is first in mountinfo.
        r->log = err("user 'alice': memory: /: the caller's cgroup is outside the mount at "
                     "/sys/fs/cgroup/memory: Invalid cross-device link");
    }
    // A cgroup namespace with its hierarchies mounted inside it (as LXC does): BASE is the
    // namespace root, the session lands below it.
    for (Layout l : {Layout::v1, Layout::v2}) {
        bool v2 = l == Layout::v2;
        std::string key = v2 ? "unified" : "freezer";
        std::string mnt = v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/freezer";
        Row* r = row("a cgroup namespace root, hierarchy mounted inside", l, v2 ? "-c unified" : "-c freezer",
                     v2 ? "umount " + mnt + " && mount -t cgroup2 cgroup2 " + mnt
                        : "umount " + mnt + " && mount -t cgroup -o freezer cgroup " + mnt,
                     kPamSuccess, {}, {});
        r->driver = {"--in", key + ":/ns", "--cgroupns"};
        r->setup = "mkdir " + mnt + "/ns";
        r->custom = [key](const Report& rep) {
            const auto& s = rep.snap("after");
            bool is_v2 = key == "unified";
            std::set<std::string> want = {"/", "/ns", "/ns/user", "/ns/user/alice", "/ns/user/alice/0"};
            if (is_v2)
                want.insert("/ns" + session_leaf(key, "alice", 0));
            std::set<std::string> got;
            for (const auto& d : s.dir_paths(key))
                if (d == "/" || starts_with(d, "/ns"))
                    got.insert(d);
            CHECK(got == want);
            CHECK(s.dirs.at(key + ":/ns/user") == "0:0 0755");
            CHECK(s.dirs.at(key + ":/ns/user/alice") == "0:0 0755");
            CHECK(s.dirs.at(key + ":/ns/user/alice/0") == "1000:1000 0755");
            CHECK(s.dir_paths(key).count("/user") == 0);
            // In the namespace the caller sees its session at /user/alice/0 (cgroup2: its leaf below).
            check_proc_in(rep.driver("main"), "cgroup", key, session_leaf(key, "alice", 0));
        };
    }
    return v;
}

// The rows the issue named earlier and that other tables do not have: mounts missing or
// read-only in the container itself (so the snapshot sees them too).
std::vector<Row> mount_rows()
{
    std::vector<Row> v;
    {
        Row r;
        r.label = "mount only blkio asked for, unmounted";
        r.args = "-c blkio";
        r.setup = "umount /sys/fs/cgroup/blkio";
        r.log = {{LOG_NOTICE, "blkio: not mounted, skipped"}, {LOG_ERR, no_hierarchy("legacy")}};
        v.push_back(r);
    }
    {
        Row r;
        r.label = "mount unified asked for, unmounted";
        r.layout = Layout::hybrid;
        r.args = "-c unified";
        r.setup = "umount /sys/fs/cgroup/unified";
        r.log = {{LOG_NOTICE, "unified: cgroup2 not mounted, skipped"}, {LOG_ERR, no_hierarchy("legacy")}};
        v.push_back(r);
    }
    for (Layout l : {Layout::v1, Layout::v2}) {
        // A per-mount read-only bind remount (the superblock, shared with the host, is untouched).
        bool v2 = l == Layout::v2;
        Row r;
        r.label = "mount read-only";
        r.layout = l;
        r.args = v2 ? "-c unified" : "-c freezer";
        std::string mnt = v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/freezer";
        r.setup = "mount -o remount,bind,ro " + mnt;
        r.log = err(std::string("user 'alice': ") + (v2 ? "unified" : "freezer") +
                    ": /user: mkdir user: Read-only file system");
        v.push_back(r);
    }
    return v;
}

std::vector<Row> all_rows()
{
    std::vector<Row> rows;
    for (auto part : {user_rows(), option_rows(), environment_rows(), mount_rows()})
        rows.insert(rows.end(), part.begin(), part.end());
    return rows;
}

void table(Layout layout)
{
    auto rows = all_rows();
    size_t mine =
        static_cast<size_t>(std::count_if(rows.begin(), rows.end(), [&](const Row& r) { return r.layout == layout; }));
    static std::set<Layout> printed; // Catch2 runs the test case once per section
    if (printed.insert(layout).second)
        std::printf("bad input table: %zu rows on %s, %zu rows in all\n", mine, layout_name(layout), rows.size());
    REQUIRE(rows.size() >= kMinRows);
    for (const auto& row : rows) {
        if (row.layout != layout)
            continue;
        DYNAMIC_SECTION(row.label)
        {
            run_row(row);
        }
    }
}

} // namespace

CGFS_ALL_LAYOUTS("bad input: the table of options, user names and environments", "[bad]", table)
