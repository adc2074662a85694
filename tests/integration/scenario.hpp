// Scenario framework for the integration tests. A scenario body runs inside a throwaway
// container (Container: set up cgroups, write a PAM service file, run pam_driver, snapshot the
// cgroup trees) and ships everything as text; the test process parses it (Report) and asserts
// with Catch2. Nothing in the container uses Catch2.
#pragma once

#include "sandbox.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace cgfs_test {

// Paths of the artefacts under test, from the environment meson sets (CGFS_MODULE,
// CGFS_PAM_DRIVER). Empty when unset.
std::string module_path();
std::string driver_path();

// ---- inside the container -------------------------------------------------------------

class Container;

// A running pam_driver (started with --hold: it stops after open until released).
class Driver {
public:
    Driver(Container& owner, std::string label, pid_t pid, int stdin_fd, int stdout_fd);
    Driver(const Driver&) = delete;
    Driver& operator=(const Driver&) = delete;
    Driver(Driver&& other) noexcept;
    Driver& operator=(Driver&&) = delete;
    ~Driver();

    // Reads output until the "held" line (or the end); returns the lines read so far.
    void wait_held();
    // Reads output until the "ready" line of --wait-start (or the end).
    void wait_ready();
    // Writes one byte to its stdin: a --wait-start driver goes on to open.
    void go();
    // Closes its stdin without waiting: a held driver goes on to close (finish() collects it).
    void release();
    // Lets it close the session and exit; records its whole output in the report.
    void finish();
    [[nodiscard]] pid_t pid() const { return pid_; }

private:
    bool read_more();
    void wait_for(const std::string& line);

    Container* owner_;
    std::string label_;
    pid_t pid_;
    int stdin_fd_;
    int stdout_fd_;
    std::string output_;
    bool finished_ = false;
};

class Container {
public:
    explicit Container(SandboxContext& ctx) : ctx_(ctx) {}

    [[nodiscard]] Layout layout() const { return ctx_.layout; }
    [[nodiscard]] bool has(const std::string& key) const;
    // "freezer:/a/b" -> "/sys/fs/cgroup/freezer/a/b"; throws when the hierarchy is not mounted.
    [[nodiscard]] std::string path(const std::string& spec) const;
    // Creates every missing level of "key:/a/b", owned by uid:gid (root by default), 0755;
    // v1 cpuset levels get cpus/mems from their parent.
    void mkdir(const std::string& spec, unsigned uid = 0, unsigned gid = 0);
    // Moves pid into "key:/path" (creating it).
    void move(pid_t pid, const std::string& spec);
    // Writes one value into a cgroup file ("cpuset:/cpuset.cpus"); throws on error.
    void write(const std::string& spec, const std::string& value);
    // Sets the extended attribute `name` of the cgroup directory "key:/path" to `value` (systemd's
    // trusted.delegate on a delegated unit); throws on error.
    void set_xattr(const std::string& spec, const std::string& name, const std::string& value);
    // Sets the directory's atime/mtime `seconds` into the past (a leftover of an old session).
    void backdate(const std::string& spec, int seconds);
    // Runs a shell command (setup steps such as remounting read-only); throws unless it exits 0.
    void sh(const std::string& command);
    // Writes <confdir>/<service> = "session required <module> <args>" (plus `extra_lines`).
    void service(const std::string& name, const std::string& args, const std::string& module = module_path(),
                 const std::string& extra_lines = "");
    [[nodiscard]] static std::string confdir() { return "/tmp/pam-confdir"; }

    // Records every cgroup directory (owner, mode), the files of non-root directories and every
    // non-root file (owner, mode), selected knobs and PID 1's cgroups, under `label`.
    void snapshot(const std::string& label);
    // Starts pam_driver --hold with the standard --confdir and the given arguments. `env` are
    // extra "NAME=value" entries of its environment; `prefix` a command that execs it (setpriv).
    Driver start(const std::string& label, const std::vector<std::string>& args,
                 const std::vector<std::string>& env = {}, const std::vector<std::string>& prefix = {});
    // Runs pam_driver to the end (no --hold) and records its output under `label`.
    void run(const std::string& label, const std::vector<std::string>& args);

    void emit(const std::string& text);

private:
    SandboxContext& ctx_;
};

// Runs a scenario body in a fresh container of `layout`; the container is killed after `timeout`.
struct Report;
Report run_scenario(Layout layout, const std::function<void(Container&)>& body,
                    std::chrono::seconds timeout = std::chrono::seconds(60));

// ---- in the test process -----------------------------------------------------------------

struct Snapshot {
    std::map<std::string, std::string> dirs;  // "freezer:/user/alice/0" -> "1000:1000 0755"
    std::map<std::string, std::string> files; // "freezer:/user/alice/0/tasks" -> "1000:1000 0644"
    std::map<std::string, std::string> knobs; // "cpuset:/user/cpuset.cpus" -> "0-1"
    std::vector<std::string> pid1;            // PID 1's /proc/1/cgroup lines
    std::vector<std::string> lines;           // all of it, as recorded

    // Directory paths in hierarchy `key` (e.g. {"/", "/user", "/user/alice"}).
    [[nodiscard]] std::set<std::string> dir_paths(const std::string& key) const;
    // Files in `key` owned by someone other than root:root, as "path uid:gid".
    [[nodiscard]] std::set<std::string> non_root_files(const std::string& key) const;
    [[nodiscard]] std::set<std::string> keys() const;
    // The snapshot without anything at or below key:/user/<name>.
    [[nodiscard]] std::vector<std::string> outside_user(const std::string& name) const;
};

struct DriverOutput {
    std::vector<std::string> lines;
    [[nodiscard]] std::string value(const std::string& key) const; // first "key=value", or ""
    [[nodiscard]] bool has(const std::string& key) const;
    [[nodiscard]] int code(const std::string& key) const; // "open=14 ..." -> 14, -1
    // Hierarchy key ("freezer", "name=systemd", "unified") -> path, from "<prefix>=" lines.
    [[nodiscard]] std::map<std::string, std::string> cgroups(const std::string& prefix) const;
};

struct Report {
    int exit_code = -1;
    bool timed_out = false;
    std::string raw;
    std::vector<std::string> errors; // exceptions in the container body
    std::map<std::string, Snapshot> snapshots;
    std::map<std::string, DriverOutput> drivers;
    std::vector<SyslogLine> syslog;

    [[nodiscard]] const Snapshot& snap(const std::string& label) const;
    [[nodiscard]] const DriverOutput& driver(const std::string& label) const;
    // Syslog messages at exactly `priority` (LOG_ERR, LOG_NOTICE, ...).
    [[nodiscard]] std::vector<std::string> log(int priority) const;
    [[nodiscard]] std::string describe() const; // for failure messages
};

Report parse_report(const SandboxResult& result);

// Files the kernel lists in /sys/kernel/cgroup/delegate (fallback: the three cgroup.* files).
std::set<std::string> v2_delegate_files();

} // namespace cgfs_test
