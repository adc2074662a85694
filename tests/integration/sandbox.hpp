// Throwaway containers for the integration tests: scratch cgroups below the test's own cgroup in
// every hierarchy, new cgroup/mount/pid/uts/ipc/net namespaces, the chosen cgroup layout
// re-mounted, private /etc (overlay), /home, /dev, /tmp, /run and a harness-owned /dev/log.
// The host is never changed; everything created is removed when run_in_sandbox() returns.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace cgfs_test {

enum class Layout {
    v1,
    hybrid,
    v2
};

const char* layout_name(Layout layout);
// "v1", "hybrid", "v2"; throws std::invalid_argument otherwise.
Layout parse_layout(const std::string& name);

// One cgroup hierarchy as the host mounts it.
struct HostHierarchy {
    std::string key;        // "freezer", "cpu", "name=systemd", "unified" (cgroup2)
    std::string dir_name;   // directory under /sys/fs/cgroup: "freezer", "systemd", "unified"
    std::string mount_data; // mount(2) data for v1: "freezer", "none,name=systemd"
    std::string host_mount; // where the host mounts it
    std::string own_path;   // this process's cgroup, relative to that mount's root
    bool v2 = false;
};

// Every cgroup hierarchy mounted on the host (from /proc/self/mountinfo + /proc/self/cgroup).
std::vector<HostHierarchy> discover_host_hierarchies();

// One hierarchy as mounted inside the container.
struct ContainerHierarchy {
    std::string key;   // as HostHierarchy::key
    std::string mount; // e.g. /sys/fs/cgroup/freezer, /sys/fs/cgroup (v2 layout)
    bool v2 = false;
};

struct SandboxConfig {
    Layout layout = Layout::hybrid;
    // Keep the caller's controlling terminal (bound to /dev/console); otherwise the body runs
    // in a new session without one.
    bool keep_tty = false;
    // Directories of the caller that stay visible at the same path inside the container even
    // where the container mounts its own /tmp, /home or /run over them (a checkout or build
    // directory in /tmp); absolute paths. Each is the caller's directory itself (a recursive bind
    // mount with its flags, read-only stays read-only), not a copy.
    std::vector<std::string> keep;
    std::chrono::milliseconds timeout{60'000};
};

// What the body sees (it runs inside the container, as a child of the namespace's PID 1).
struct SandboxContext {
    Layout layout = Layout::hybrid;
    std::vector<ContainerHierarchy> hierarchies;
    int report_fd = -1; // whatever the body writes here arrives in SandboxResult::report
};

struct SyslogLine {
    int priority = 0;    // LOG_ERR, LOG_NOTICE, ... (facility stripped)
    std::string message; // text after "ident[pid]: " (or the whole datagram when unparsable)
    std::string raw;
};

struct SandboxResult {
    int exit_code = -1; // body's exit code, 128+signal when killed, -1 on timeout
    bool timed_out = false;
    std::string report;
    std::vector<SyslogLine> syslog;
};

// Uid/gid of the test users created inside every container.
inline constexpr unsigned kAliceUid = 1000;
inline constexpr unsigned kBobUid = 1001;

// Runs `body` in a fresh container and returns once the container and its scratch cgroups are
// gone. Requires root. Throws std::system_error when the container cannot be set up; an
// exception thrown by the body is printed to stderr and gives exit code 125.
SandboxResult run_in_sandbox(const SandboxConfig& config, const std::function<int(SandboxContext&)>& body);

// Error text when the sandbox cannot run here (not root, no cgroups), or "" when it can.
std::string sandbox_unavailable_reason();

} // namespace cgfs_test
