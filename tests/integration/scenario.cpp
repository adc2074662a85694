#include "scenario.hpp"

#include "util.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <syslog.h>
#include <unistd.h>

namespace cgfs_test {
namespace {

// Knobs recorded for every cgroup directory where they exist.
constexpr const char* kKnobs[] = {"cpuset.cpus",
                                  "cpuset.mems",
                                  "cgroup.clone_children",
                                  "cgroup.subtree_control",
                                  "cgroup.controllers",
                                  "memory.use_hierarchy",
                                  "notify_on_release",
                                  "memory.max",
                                  "pids.max"};

std::string env_or_empty(const char* name)
{
    const char* v = std::getenv(name);
    return v != nullptr ? v : "";
}

std::string owner_mode(const struct stat& st)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%u:%u %04o", st.st_uid, st.st_gid, static_cast<unsigned>(st.st_mode & 07777));
    return buf;
}

std::string trimmed(std::string v)
{
    while (!v.empty() && (v.back() == '\n' || v.back() == ' '))
        v.pop_back();
    // Multi-line knobs stay on one report line.
    std::replace(v.begin(), v.end(), '\n', ' ');
    return v;
}

void walk(const std::string& key, const std::string& dir, const std::string& rel, dev_t dev,
          std::vector<std::string>& out)
{
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0 || st.st_dev != dev)
        return;
    std::string shown = rel.empty() ? "/" : rel;
    out.push_back("D " + key + ":" + shown + " " + owner_mode(st));
    bool root_dir = st.st_uid == 0 && st.st_gid == 0;
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr)
        return;
    std::vector<std::string> subdirs;
    while (dirent* ent = ::readdir(d)) {
        std::string name = ent->d_name;
        if (name == "." || name == "..")
            continue;
        std::string full = dir + "/" + name;
        struct stat fst {};
        if (::lstat(full.c_str(), &fst) != 0)
            continue;
        if (S_ISDIR(fst.st_mode)) {
            subdirs.push_back(name);
            continue;
        }
        std::string fpath = key + ":" + rel + "/" + name;
        if (!root_dir || fst.st_uid != 0 || fst.st_gid != 0)
            out.push_back("F " + fpath + " " + owner_mode(fst));
        for (const char* knob : kKnobs) {
            if (name == knob) {
                try {
                    out.push_back("K " + fpath + " " + trimmed(read_file(full)));
                } catch (const std::exception&) {
                    out.push_back("K " + fpath + " <unreadable>");
                }
            }
        }
    }
    ::closedir(d);
    for (const auto& sub : subdirs)
        walk(key, dir + "/" + sub, rel + "/" + sub, dev, out);
}

std::string hierarchy_key_of(const std::string& proc_cgroup_line, std::string* path)
{
    size_t a = proc_cgroup_line.find(':');
    size_t b = a == std::string::npos ? a : proc_cgroup_line.find(':', a + 1);
    if (b == std::string::npos)
        return "";
    std::string ctrl = proc_cgroup_line.substr(a + 1, b - a - 1);
    if (path != nullptr)
        *path = proc_cgroup_line.substr(b + 1);
    return ctrl.empty() ? "unified" : ctrl;
}

} // namespace

std::string module_path()
{
    return env_or_empty("CGFS_MODULE");
}
std::string driver_path()
{
    return env_or_empty("CGFS_PAM_DRIVER");
}

// ---- Driver --------------------------------------------------------------------------------

Driver::Driver(Container& owner, std::string label, pid_t pid, int stdin_fd, int stdout_fd)
    : owner_(&owner), label_(std::move(label)), pid_(pid), stdin_fd_(stdin_fd), stdout_fd_(stdout_fd)
{}

Driver::Driver(Driver&& other) noexcept
    : owner_(other.owner_),
      label_(std::move(other.label_)),
      pid_(other.pid_),
      stdin_fd_(other.stdin_fd_),
      stdout_fd_(other.stdout_fd_),
      output_(std::move(other.output_)),
      finished_(other.finished_)
{
    other.finished_ = true;
    other.stdin_fd_ = -1;
    other.stdout_fd_ = -1;
}

Driver::~Driver()
{
    if (!finished_) {
        try {
            finish();
        } catch (const std::exception&) {}
    }
}

bool Driver::read_more()
{
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(stdout_fd_, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        output_.append(buf, static_cast<size_t>(n));
        return true;
    }
}

void Driver::wait_for(const std::string& line)
{
    while (output_.find("\n" + line + "\n") == std::string::npos && !starts_with(output_, line + "\n")) {
        if (!read_more())
            return;
    }
}

void Driver::wait_held()
{
    wait_for("held");
}

void Driver::wait_ready()
{
    wait_for("ready");
}

void Driver::go()
{
    const char c = 'g';
    while (::write(stdin_fd_, &c, 1) < 0 && errno == EINTR) {}
}

void Driver::release()
{
    if (stdin_fd_ >= 0)
        ::close(stdin_fd_);
    stdin_fd_ = -1;
}

void Driver::finish()
{
    if (finished_)
        return;
    finished_ = true;
    release(); // the driver's read() returns 0: it closes the session
    while (read_more()) {}
    ::close(stdout_fd_);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {}
    output_ += "exit=" + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) + "\n";
    owner_->emit("@@driver " + label_ + "\n" + output_);
}

// ---- Container -----------------------------------------------------------------------------

bool Container::has(const std::string& key) const
{
    return std::any_of(ctx_.hierarchies.begin(), ctx_.hierarchies.end(), [&](const auto& h) { return h.key == key; });
}

std::string Container::path(const std::string& spec) const
{
    size_t colon = spec.find(':');
    if (colon == std::string::npos)
        throw std::invalid_argument("cgroup spec without ':': " + spec);
    std::string key = spec.substr(0, colon);
    std::string rel = spec.substr(colon + 1);
    for (const auto& h : ctx_.hierarchies) {
        if (h.key == key) {
            if (rel.empty() || rel == "/")
                return h.mount;
            return h.mount + (rel[0] == '/' ? "" : "/") + rel;
        }
    }
    throw std::invalid_argument("hierarchy not mounted in this layout: " + key);
}

void Container::mkdir(const std::string& spec, unsigned uid, unsigned gid)
{
    size_t colon = spec.find(':');
    std::string key = spec.substr(0, colon);
    std::string dir = path(key + ":/");
    bool cpuset = key.find("cpuset") != std::string::npos;
    for (const auto& comp : split(spec.substr(colon + 1), '/')) {
        if (comp.empty())
            continue;
        std::string parent = dir;
        dir += "/" + comp;
        if (::mkdir(dir.c_str(), 0755) != 0) {
            if (errno != EEXIST)
                throw_errno("mkdir " + dir);
            continue;
        }
        if (cpuset) {
            for (const char* knob : {"cpuset.cpus", "cpuset.mems"}) {
                int err = write_kernel_file(dir + "/" + knob, trimmed(read_file(parent + "/" + knob)));
                if (err != 0)
                    throw_errno(err, "write " + dir + "/" + knob);
            }
        }
        if (::chmod(dir.c_str(), 0755) != 0)
            throw_errno("chmod " + dir);
    }
    if (::chown(dir.c_str(), uid, gid) != 0)
        throw_errno("chown " + dir);
}

void Container::move(pid_t pid, const std::string& spec)
{
    mkdir(spec);
    int err = write_kernel_file(path(spec) + "/cgroup.procs", std::to_string(pid));
    if (err != 0)
        throw_errno(err, "move " + std::to_string(pid) + " to " + spec);
}

void Container::write(const std::string& spec, const std::string& value)
{
    int err = write_kernel_file(path(spec), value);
    if (err != 0)
        throw_errno(err, "write '" + value + "' to " + spec);
}

void Container::set_xattr(const std::string& spec, const std::string& name, const std::string& value)
{
    if (::setxattr(path(spec).c_str(), name.c_str(), value.data(), value.size(), 0) != 0)
        throw_errno("setxattr " + name + " on " + spec);
}

void Container::backdate(const std::string& spec, int seconds)
{
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    timespec times[2] = {now, now};
    times[0].tv_sec -= seconds;
    times[1].tv_sec -= seconds;
    if (::utimensat(AT_FDCWD, path(spec).c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
        throw_errno("utimensat " + spec);
}

void Container::sh(const std::string& command)
{
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid < 0)
        throw_errno("fork");
    if (pid == 0) {
        ::execl("/bin/sh", "sh", "-ec", command.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw std::runtime_error("setup command failed: " + command);
}

void Container::service(const std::string& name, const std::string& args, const std::string& module,
                        const std::string& extra_lines)
{
    if (::mkdir(confdir().c_str(), 0755) != 0 && errno != EEXIST)
        throw_errno("mkdir " + confdir());
    std::string text = "session required " + module + (args.empty() ? "" : " " + args) + "\n" + extra_lines;
    write_regular_file(confdir() + "/" + name, text, 0644);
    // libpam reads <confdir>/other at every start and logs LOG_ERR when it is missing.
    if (::access((confdir() + "/other").c_str(), F_OK) != 0)
        write_regular_file(confdir() + "/other",
                           "auth required pam_deny.so\naccount required pam_deny.so\n"
                           "password required pam_deny.so\nsession required pam_deny.so\n",
                           0644);
}

void Container::emit(const std::string& text)
{
    std::string t = text;
    if (t.empty() || t.back() != '\n')
        t += "\n";
    size_t done = 0;
    while (done < t.size()) {
        ssize_t n = ::write(ctx_.report_fd, t.data() + done, t.size() - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw_errno("write report");
        }
        done += static_cast<size_t>(n);
    }
}

void Container::snapshot(const std::string& label)
{
    std::vector<std::string> lines;
    for (const auto& h : ctx_.hierarchies) {
        struct stat st {};
        if (::stat(h.mount.c_str(), &st) != 0)
            throw_errno("stat " + h.mount);
        walk(h.key, h.mount, "", st.st_dev, lines);
    }
    for (const auto& line : split_lines(read_file("/proc/1/cgroup")))
        lines.push_back("P " + line);
    std::string text = "@@snapshot " + label + "\n";
    for (const auto& l : lines)
        text += l + "\n";
    emit(text);
}

Driver Container::start(const std::string& label, const std::vector<std::string>& args,
                        const std::vector<std::string>& env, const std::vector<std::string>& prefix)
{
    int in[2];
    int outp[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(outp, O_CLOEXEC) != 0)
        throw_errno("pipe");
    std::vector<std::string> argv = prefix;
    for (const auto& a : {driver_path(), std::string("--confdir"), confdir(), std::string("--hold")})
        argv.push_back(a);
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<std::string> envs = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
    envs.insert(envs.end(), env.begin(), env.end());
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid < 0)
        throw_errno("fork");
    if (pid == 0) {
        ::dup2(in[0], STDIN_FILENO);
        ::dup2(outp[1], STDOUT_FILENO);
        std::vector<char*> cargv;
        for (auto& a : argv)
            cargv.push_back(a.data());
        cargv.push_back(nullptr);
        std::vector<char*> envp;
        for (auto& e : envs)
            envp.push_back(e.data());
        envp.push_back(nullptr);
        ::execvpe(cargv[0], cargv.data(), envp.data());
        std::fprintf(stderr, "exec %s: %s\n", cargv[0], std::strerror(errno));
        ::_exit(127);
    }
    ::close(in[0]);
    ::close(outp[1]);
    return Driver(*this, label, pid, in[1], outp[0]);
}

void Container::run(const std::string& label, const std::vector<std::string>& args)
{
    Driver d = start(label, args);
    d.finish();
}

Report run_scenario(Layout layout, const std::function<void(Container&)>& body, std::chrono::seconds timeout)
{
    SandboxConfig config;
    config.layout = layout;
    config.timeout = timeout;
    auto result = run_in_sandbox(config, [&](SandboxContext& ctx) {
        Container c(ctx);
        try {
            body(c);
        } catch (const std::exception& e) {
            c.emit(std::string("@@error ") + e.what());
            return 1;
        }
        return 0;
    });
    return parse_report(result);
}

// ---- parsing ---------------------------------------------------------------------------

std::set<std::string> Snapshot::dir_paths(const std::string& key) const
{
    std::set<std::string> out;
    for (const auto& [k, v] : dirs)
        if (starts_with(k, key + ":"))
            out.insert(k.substr(key.size() + 1));
    return out;
}

std::set<std::string> Snapshot::non_root_files(const std::string& key) const
{
    std::set<std::string> out;
    for (const auto& [k, v] : files) {
        if (!starts_with(k, key + ":"))
            continue;
        std::string owner = v.substr(0, v.find(' '));
        if (owner != "0:0")
            out.insert(k.substr(key.size() + 1) + " " + owner);
    }
    return out;
}

std::set<std::string> Snapshot::keys() const
{
    std::set<std::string> out;
    for (const auto& [k, v] : dirs)
        out.insert(k.substr(0, k.find(':')));
    return out;
}

std::vector<std::string> Snapshot::outside_user(const std::string& name) const
{
    std::vector<std::string> out;
    for (const auto& line : lines) {
        auto colon = line.find(':');
        auto sp = line.find(' ', 2);
        if (line.size() > 2 && line[0] != 'P' && colon != std::string::npos) {
            std::string p = line.substr(colon + 1, sp == std::string::npos ? sp : sp - colon - 1);
            std::string mine = "/user/" + name;
            if (p == mine || starts_with(p, mine + "/"))
                continue;
        }
        out.push_back(line);
    }
    return out;
}

std::string DriverOutput::value(const std::string& key) const
{
    for (const auto& l : lines)
        if (starts_with(l, key + "="))
            return l.substr(key.size() + 1);
    return "";
}

bool DriverOutput::has(const std::string& key) const
{
    return std::any_of(lines.begin(), lines.end(),
                       [&](const auto& l) { return starts_with(l, key + "=") || l == key; });
}

int DriverOutput::code(const std::string& key) const
{
    std::string v = value(key);
    if (v.empty())
        return -1;
    return std::atoi(v.c_str());
}

std::map<std::string, std::string> DriverOutput::cgroups(const std::string& prefix) const
{
    std::map<std::string, std::string> out;
    for (const auto& l : lines) {
        if (!starts_with(l, prefix + "="))
            continue;
        std::string path;
        std::string key = hierarchy_key_of(l.substr(prefix.size() + 1), &path);
        if (!key.empty())
            out[key] = path;
    }
    return out;
}

const Snapshot& Report::snap(const std::string& label) const
{
    auto it = snapshots.find(label);
    if (it == snapshots.end())
        throw std::runtime_error("no snapshot '" + label + "' in report:\n" + describe());
    return it->second;
}

const DriverOutput& Report::driver(const std::string& label) const
{
    auto it = drivers.find(label);
    if (it == drivers.end())
        throw std::runtime_error("no driver output '" + label + "' in report:\n" + describe());
    return it->second;
}

std::vector<std::string> Report::log(int priority) const
{
    std::vector<std::string> out;
    for (const auto& l : syslog)
        if (l.priority == priority)
            out.push_back(l.message);
    return out;
}

std::string Report::describe() const
{
    std::ostringstream s;
    s << "exit=" << exit_code << (timed_out ? " (timed out)" : "") << "\n";
    for (const auto& e : errors)
        s << "error: " << e << "\n";
    for (const auto& [label, d] : drivers) {
        s << "-- driver " << label << "\n";
        for (const auto& l : d.lines)
            s << "   " << l << "\n";
    }
    s << "-- syslog\n";
    for (const auto& l : syslog)
        s << "   <" << l.priority << "> " << l.message << "\n";
    return s.str();
}

Report parse_report(const SandboxResult& result)
{
    Report r;
    r.exit_code = result.exit_code;
    r.timed_out = result.timed_out;
    r.raw = result.report;
    r.syslog = result.syslog;
    Snapshot* snap = nullptr;
    DriverOutput* drv = nullptr;
    for (const auto& line : split_lines(result.report)) {
        if (starts_with(line, "@@snapshot ")) {
            snap = &r.snapshots[line.substr(11)];
            drv = nullptr;
            continue;
        }
        if (starts_with(line, "@@driver ")) {
            drv = &r.drivers[line.substr(9)];
            snap = nullptr;
            continue;
        }
        if (starts_with(line, "@@error ")) {
            r.errors.push_back(line.substr(8));
            snap = nullptr;
            drv = nullptr;
            continue;
        }
        if (drv != nullptr) {
            drv->lines.push_back(line);
            continue;
        }
        if (snap == nullptr || line.size() < 3)
            continue;
        snap->lines.push_back(line);
        std::string rest = line.substr(2);
        if (line[0] == 'P') {
            snap->pid1.push_back(rest);
            continue;
        }
        // "<key>:<path> <value...>"; paths never contain spaces here.
        size_t sp = rest.find(' ');
        std::string name = rest.substr(0, sp);
        std::string value = sp == std::string::npos ? "" : rest.substr(sp + 1);
        if (line[0] == 'D')
            snap->dirs[name] = value;
        else if (line[0] == 'F')
            snap->files[name] = value;
        else if (line[0] == 'K')
            snap->knobs[name] = value;
    }
    return r;
}

std::set<std::string> v2_delegate_files()
{
    std::set<std::string> out;
    try {
        for (const auto& l : split_lines(read_file("/sys/kernel/cgroup/delegate")))
            if (!l.empty())
                out.insert(l);
    } catch (const std::exception&) {
        out = {"cgroup.procs", "cgroup.threads", "cgroup.subtree_control"};
    }
    return out;
}

} // namespace cgfs_test
