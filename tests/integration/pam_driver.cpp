// pam_driver: a small PAM application for the integration tests. It opens (and closes) one PAM
// session with a private service directory (pam_start_confdir, never /etc/pam.d) and prints
// machine-readable lines: PAM codes, umask, /proc/self/cgroup, and the result of acting as the
// user in the delegated cgroups. The PAM codes are data: the exit code is 0 whenever it ran.
//
// Meant to run inside a throwaway container (cgfs-sandbox); it moves itself between cgroups.

#include "util.hpp"

#include "session.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <security/pam_appl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using cgfs_test::errno_name;
using cgfs_test::read_file;
using cgfs_test::split;
using cgfs_test::split_lines;
using cgfs_test::starts_with;

namespace {

struct Options {
    std::string confdir;
    std::string service;
    std::string user;
    bool user_null = false; // pass NULL as the user to pam_start
    int umask_value = -1;
    std::vector<std::string> in; // KEY:/path to move into before PAM
    bool act_as_user = false;
    bool no_close = false;
    bool close_twice = false;
    bool close_only = false;
    bool hold = false;               // after open: print "held", wait for a line on stdin
    bool wait_start = false;         // before pam_start: print "ready", wait for a byte on stdin
    long caller_uid = -1;            // drop to this uid (and its gid) before pam_start
    long close_caller_uid = -1;      // drop to this uid before pam_close_session
    std::vector<std::string> enable; // v2 controllers the user tries to enable ("memory"...)
    std::string private_mounts;      // shell run in a mount namespace of the driver's own
    bool cgroupns = false;           // after --in: a new cgroup namespace rooted there
    // v2, as the user after --enable: REL=VALUE writes VALUE to <N>/REL ("c1/pids.max=3").
    std::vector<std::string> user_write;
    int fork_probe = -1;        // v2: from c1, fork this many children that stay alive
    int alloc_mib = -1;         // v2: from c1, a child touches this many MiB of memory
    std::string reopen_as;      // after open: set PAM_USER to this and open again on the same handle
    bool second_thread = false; // a second thread, blocked, from before pam_start to pam_end
};

[[noreturn]] void usage()
{
    std::fprintf(stderr, "usage: pam_driver --confdir DIR --service NAME --user USER [--null-user]\n"
                         "  [--umask OCTAL] [--in KEY:/path ...] [--caller-uid UID] [--close-caller-uid UID]\n"
                         "  [--act-as-user] [--cgroupns] [--private-mounts SHELL]\n"
                         "  [--enable CTRL ...] [--user-write REL=VALUE ...] [--fork-probe N]\n"
                         "  [--alloc-mib N] [--hold] [--wait-start] [--no-close] [--close-twice]\n"
                         "  [--close-only] [--reopen-as USER] [--second-thread]\n");
    std::exit(2);
}

void out(const std::string& line)
{
    std::string l = line + "\n";
    // One write per line: children and the parent share stdout.
    (void)!::write(STDOUT_FILENO, l.data(), l.size());
}

std::string sorted_csv(const std::string& csv)
{
    std::set<std::string> parts;
    for (const auto& p : split(csv, ','))
        if (!p.empty() && p != "rw" && p != "ro")
            parts.insert(p);
    std::string r;
    for (const auto& p : parts)
        r += (r.empty() ? "" : ",") + p;
    return r;
}

struct Mount {
    std::string key; // sorted controller set ("cpu", "freezer", "name=systemd") or "unified"
    std::string root;
    std::string point;
};

std::vector<Mount> cgroup_mounts()
{
    static const std::set<std::string> flags = {"noprefix",       "xattr",        "clone_children",
                                                "cpuset_v2_mode", "favordynmods", "none"};
    std::vector<Mount> mounts;
    for (const auto& line : split_lines(read_file("/proc/self/mountinfo"))) {
        auto f = split(line, ' ');
        size_t dash = 0;
        while (dash < f.size() && f[dash] != "-")
            ++dash;
        if (dash + 3 >= f.size() || f.size() < 7)
            continue;
        if (f[dash + 1] == "cgroup2") {
            mounts.push_back({"unified", f[3], f[4]});
        } else if (f[dash + 1] == "cgroup") {
            std::string opts;
            for (const auto& o : split(f[dash + 3], ','))
                if (flags.count(o) == 0 && !starts_with(o, "release_agent="))
                    opts += (opts.empty() ? "" : ",") + o;
            mounts.push_back({sorted_csv(opts), f[3], f[4]});
        }
    }
    return mounts;
}

const Mount* find_mount(const std::vector<Mount>& mounts, const std::string& key)
{
    std::string want = (key == "unified" || key == "0" || key.empty()) ? "unified" : sorted_csv(key);
    for (const auto& m : mounts)
        if (m.key == want)
            return &m;
    return nullptr;
}

// Directory of cgroup `path` (as /proc/self/cgroup shows it) in mount `m`.
std::string cgroup_dir(const Mount& m, const std::string& path)
{
    std::string rel = path;
    if (m.root != "/" && starts_with(rel, m.root))
        rel = rel.substr(m.root.size());
    if (rel == "/" || rel.empty())
        return m.point;
    return m.point + (rel[0] == '/' ? "" : "/") + rel;
}

void print_cgroup(const char* label)
{
    try {
        for (const auto& line : split_lines(read_file("/proc/self/cgroup")))
            out(std::string(label) + "=" + line);
    } catch (const std::exception& e) {
        out(std::string(label) + "_error=" + e.what());
    }
}

/// A second thread of the driver, blocked on a pipe until release(): its cgroup lines show
/// whether the module moved the whole process or only the calling thread.
class SecondThread {
public:
    bool start()
    {
        if (::pipe2(ready_, O_CLOEXEC) != 0 || ::pipe2(release_, O_CLOEXEC) != 0)
            return false;
        if (::pthread_create(&thread_, nullptr, &SecondThread::run, this) != 0)
            return false;
        // The thread sends its id once it runs.
        return ::read(ready_[0], &tid_, sizeof tid_) == static_cast<ssize_t>(sizeof tid_);
    }
    void print(const char* label) const
    {
        try {
            const std::string path = "/proc/self/task/" + std::to_string(tid_) + "/cgroup";
            for (const auto& line : split_lines(read_file(path)))
                out(std::string(label) + "=" + line);
        } catch (const std::exception& e) {
            out(std::string(label) + "_error=" + e.what());
        }
    }
    void release()
    {
        (void)!::write(release_[1], "x", 1);
        ::pthread_join(thread_, nullptr);
    }

private:
    static void* run(void* self)
    {
        auto* me = static_cast<SecondThread*>(self);
        const pid_t tid = ::gettid();
        (void)!::write(me->ready_[1], &tid, sizeof tid);
        char c = 0;
        while (::read(me->release_[0], &c, 1) < 0 && errno == EINTR) {}
        return nullptr;
    }

    int ready_[2] = {-1, -1};
    int release_[2] = {-1, -1};
    pthread_t thread_{};
    pid_t tid_ = 0;
};

std::string read_trimmed(const std::string& path)
{
    std::string v = read_file(path);
    while (!v.empty() && (v.back() == '\n' || v.back() == ' '))
        v.pop_back();
    return v;
}

// --in KEY:/path: create (root-owned, as a setup step) and enter.
bool move_into(const std::vector<Mount>& mounts, const std::string& spec)
{
    size_t colon = spec.find(':');
    if (colon == std::string::npos) {
        out("in_error=" + spec + " bad spec");
        return false;
    }
    std::string key = spec.substr(0, colon);
    std::string path = spec.substr(colon + 1);
    const Mount* m = find_mount(mounts, key);
    if (m == nullptr) {
        out("in_error=" + spec + " not mounted");
        return false;
    }
    std::string dir = m->point;
    bool cpuset = m->key.find("cpuset") != std::string::npos;
    for (const auto& comp : split(path, '/')) {
        if (comp.empty())
            continue;
        std::string parent = dir;
        dir += "/" + comp;
        if (::mkdir(dir.c_str(), 0755) == 0 && cpuset) {
            for (const char* knob : {"cpuset.cpus", "cpuset.mems"})
                (void)cgfs_test::write_kernel_file(dir + "/" + knob, read_trimmed(parent + "/" + knob));
        }
    }
    int err = cgfs_test::write_kernel_file(dir + "/cgroup.procs", std::to_string(::getpid()));
    if (err != 0) {
        out("in_error=" + spec + " " + errno_name(err));
        return false;
    }
    return true;
}

std::string code_text(pam_handle_t* pamh, int code)
{
    return std::to_string(code) + " " + ::pam_strerror(pamh, code);
}

int null_conv(int, const pam_message**, pam_response**, void*)
{
    return PAM_CONV_ERR;
}

// Forks up to `n` children that wait on a pipe, stopping at the first refusal; then lets them
// go. "<forked> ok" or "<forked> <errno of the refused fork>" (pids.max gives EAGAIN).
std::string fork_probe(int n)
{
    int gate[2];
    if (::pipe2(gate, O_CLOEXEC) != 0)
        return "pipe " + errno_name(errno);
    std::vector<pid_t> kids;
    std::string verdict = "ok";
    for (int i = 0; i < n; ++i) {
        pid_t pid = ::fork();
        if (pid < 0) {
            verdict = errno_name(errno);
            break;
        }
        if (pid == 0) {
            ::close(gate[1]);
            char c = 0;
            (void)!::read(gate[0], &c, 1);
            ::_exit(0);
        }
        kids.push_back(pid);
    }
    ::close(gate[0]);
    ::close(gate[1]);
    for (pid_t pid : kids)
        ::waitpid(pid, nullptr, 0);
    return std::to_string(kids.size()) + " " + verdict;
}

// A child touches `mib` MiB, one byte per page. "ok" when it finished, "killed <signal>" when
// the kernel stopped it (memory.max: the OOM killer's SIGKILL).
std::string alloc_probe(int mib)
{
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid < 0)
        return "fork " + errno_name(errno);
    if (pid == 0) {
        const size_t size = static_cast<size_t>(mib) << 20;
        auto* block = static_cast<volatile char*>(std::malloc(size));
        if (block == nullptr)
            ::_exit(3);
        for (size_t i = 0; i < size; i += 4096)
            block[i] = 1;
        ::_exit(0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (WIFSIGNALED(status))
        return "killed " + std::to_string(WTERMSIG(status));
    return WEXITSTATUS(status) == 0 ? "ok" : "exit " + std::to_string(WEXITSTATUS(status));
}

// Acts as the user in every hierarchy where we now sit in a cgroup the user owns.
void act_as_user(const Options& opt)
{
    passwd* pw = ::getpwnam(opt.user.c_str());
    if (pw == nullptr) {
        out("act.error=no such user");
        return;
    }
    uid_t uid = pw->pw_uid;
    gid_t gid = pw->pw_gid;
    std::fflush(nullptr);
    pid_t child = ::fork();
    if (child < 0) {
        out("act.error=fork " + errno_name(errno));
        return;
    }
    if (child == 0) {
        if (::setgroups(1, &gid) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) {
            out("act.error=drop privileges " + errno_name(errno));
            ::_exit(0);
        }
        auto mounts = cgroup_mounts();
        for (const auto& line : split_lines(read_file("/proc/self/cgroup"))) {
            size_t a = line.find(':');
            size_t b = line.find(':', a + 1);
            std::string ctrl = line.substr(a + 1, b - a - 1);
            std::string path = line.substr(b + 1);
            const Mount* m = find_mount(mounts, ctrl);
            if (m == nullptr)
                continue;
            std::string key = ctrl.empty() ? "unified" : ctrl;
            std::string dir = cgroup_dir(*m, path);
            bool v2 = m->key == "unified";
            // v2: the session process sits in <N>/<kSessionLeaf>; the user's subtree is <N>.
            const std::string leaf = std::string("/") + cgfs::kSessionLeaf;
            if (v2 && dir.size() > leaf.size() && dir.substr(dir.size() - leaf.size()) == leaf)
                dir = dir.substr(0, dir.size() - leaf.size());
            struct stat st {};
            if (::stat(dir.c_str(), &st) != 0 || st.st_uid != uid)
                continue;
            std::string p = "act." + key + ".";
            std::string c1 = dir + "/c1";
            out(p + "mkdir=" + (::mkdir(c1.c_str(), 0755) == 0 ? "ok" : errno_name(errno)));
            int err = cgfs_test::write_kernel_file(c1 + "/cgroup.procs", std::to_string(::getpid()));
            out(p + "enter=" + (err == 0 ? "ok" : errno_name(err)));
            if (v2) {
                std::set<std::string> offered;
                try {
                    for (const auto& c : split(read_trimmed(dir + "/cgroup.controllers"), ' '))
                        if (!c.empty())
                            offered.insert(c);
                } catch (const std::exception&) {}
                // What the container's cgroup2 root offers: a controller offered there but not
                // in <N> was not enabled down the tree, which the test must see as a failure.
                std::set<std::string> at_root;
                try {
                    for (const auto& c : split(read_trimmed(m->point + "/cgroup.controllers"), ' '))
                        if (!c.empty())
                            at_root.insert(c);
                } catch (const std::exception&) {}
                for (const auto& c : opt.enable)
                    out(p + "root_offers." + c + "=" + (at_root.count(c) != 0 ? "yes" : "no"));
                for (const auto& c : opt.enable) {
                    if (offered.count(c) == 0) {
                        out(p + "enable." + c + "=not-offered");
                        continue;
                    }
                    int e = cgfs_test::write_kernel_file(dir + "/cgroup.subtree_control", "+" + c);
                    out(p + "enable." + c + "=" + (e == 0 ? "ok" : errno_name(e)));
                }
            }
            if (v2) {
                for (const auto& w : opt.user_write) {
                    size_t eq = w.find('=');
                    std::string rel = w.substr(0, eq);
                    int e = cgfs_test::write_kernel_file(dir + "/" + rel, w.substr(eq + 1));
                    out(p + "write." + rel + "=" + (e == 0 ? "ok" : errno_name(e)));
                }
                if (opt.fork_probe >= 0)
                    out(p + "forks=" + fork_probe(opt.fork_probe));
                if (opt.alloc_mib >= 0)
                    out(p + "alloc=" + alloc_probe(opt.alloc_mib));
            }
            if (v2 && ::access((c1 + "/cgroup.procs").c_str(), F_OK) == 0) {
                struct stat fs {};
                if (::stat((c1 + "/cgroup.procs").c_str(), &fs) == 0)
                    out(p + "c1_procs_owner=" + std::to_string(fs.st_uid) + ":" + std::to_string(fs.st_gid));
            }
        }
        print_cgroup("act.cgroup");
        ::_exit(0);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    out("act.exit=" + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128));
}

// --private-mounts: the driver enters a mount namespace of its own (a copy of the container's,
// private propagation) and runs SHELL there with DRIVER_PID set, so that SHELL can change what
// this process alone sees (a file bound over /proc/$DRIVER_PID/mountinfo, hierarchies unmounted)
// while the container, and its snapshots, keep the real view.
bool private_mounts(const std::string& shell)
{
    if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
        out("private_mounts_error=" + errno_name(errno));
        return false;
    }
    std::fflush(nullptr);
    pid_t child = ::fork();
    if (child < 0) {
        out("private_mounts_error=fork " + errno_name(errno));
        return false;
    }
    if (child == 0) {
        std::string pid_env = "DRIVER_PID=" + std::to_string(::getppid());
        char path_env[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
        char* envp[] = {path_env, pid_env.data(), nullptr};
        ::execle("/bin/sh", "sh", "-ec", shell.c_str(), static_cast<char*>(nullptr), envp);
        ::_exit(127);
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {}
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        out("private_mounts_error=exit " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128));
        return false;
    }
    return true;
}

} // namespace

int main(int argc, char** argv)
{
    Options opt;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                usage();
            return argv[++i];
        };
        if (a == "--confdir")
            opt.confdir = value();
        else if (a == "--service")
            opt.service = value();
        else if (a == "--user")
            opt.user = value();
        else if (a == "--null-user")
            opt.user_null = true;
        else if (a == "--umask")
            opt.umask_value = static_cast<int>(std::stol(value(), nullptr, 8));
        else if (a == "--in")
            opt.in.push_back(value());
        else if (a == "--caller-uid")
            opt.caller_uid = std::stol(value());
        else if (a == "--close-caller-uid")
            opt.close_caller_uid = std::stol(value());
        else if (a == "--act-as-user")
            opt.act_as_user = true;
        else if (a == "--enable")
            opt.enable.push_back(value());
        else if (a == "--user-write")
            opt.user_write.push_back(value());
        else if (a == "--fork-probe")
            opt.fork_probe = std::stoi(value());
        else if (a == "--alloc-mib")
            opt.alloc_mib = std::stoi(value());
        else if (a == "--second-thread")
            opt.second_thread = true;
        else if (a == "--hold")
            opt.hold = true;
        else if (a == "--wait-start")
            opt.wait_start = true;
        else if (a == "--no-close")
            opt.no_close = true;
        else if (a == "--close-twice")
            opt.close_twice = true;
        else if (a == "--close-only")
            opt.close_only = true;
        else if (a == "--private-mounts")
            opt.private_mounts = value();
        else if (a == "--cgroupns")
            opt.cgroupns = true;
        else if (a == "--reopen-as")
            opt.reopen_as = value();
        else
            usage();
    }
    if (opt.confdir.empty() || opt.service.empty())
        usage();

    out("driver.pid=" + std::to_string(::getpid()));
    auto mounts = cgroup_mounts();
    for (const auto& spec : opt.in)
        if (!move_into(mounts, spec))
            return 1;
    if (opt.cgroupns && ::unshare(CLONE_NEWCGROUP) != 0) {
        out("cgroupns_error=" + errno_name(errno));
        return 1;
    }
    if (!opt.private_mounts.empty() && !private_mounts(opt.private_mounts))
        return 1;
    print_cgroup("cgroup_before");
    if (opt.caller_uid >= 0) {
        auto uid = static_cast<uid_t>(opt.caller_uid);
        if (::setgroups(0, nullptr) != 0 || ::setgid(uid) != 0 || ::setuid(uid) != 0) {
            out("caller_error=" + errno_name(errno));
            return 1;
        }
    }
    if (opt.umask_value >= 0)
        ::umask(static_cast<mode_t>(opt.umask_value));

    if (opt.wait_start) {
        // Many drivers started one by one, released at once: their opens really overlap.
        out("ready");
        char c = 0;
        while (::read(STDIN_FILENO, &c, 1) < 0 && errno == EINTR) {}
    }
    SecondThread second;
    if (opt.second_thread && !second.start()) {
        out("second_thread_error=" + errno_name(errno));
        return 1;
    }
    pam_conv conv{null_conv, nullptr};
    pam_handle_t* pamh = nullptr;
    int rc = ::pam_start_confdir(opt.service.c_str(), opt.user_null ? nullptr : opt.user.c_str(), &conv,
                                 opt.confdir.c_str(), &pamh);
    out("start=" + std::to_string(rc));
    if (rc != PAM_SUCCESS)
        return 0;
    if (!opt.close_only) {
        rc = ::pam_open_session(pamh, 0);
        out("open=" + code_text(pamh, rc));
        mode_t now = ::umask(0);
        ::umask(now);
        char buf[16];
        std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(now));
        out(std::string("umask_after=") + buf);
        print_cgroup("cgroup");
        if (opt.second_thread)
            second.print("thread_cgroup");
        if (opt.act_as_user && rc == PAM_SUCCESS)
            act_as_user(opt);
        if (!opt.reopen_as.empty()) {
            // The same handle, PAM_USER changed, opened again without a close in between.
            rc = ::pam_set_item(pamh, PAM_USER, opt.reopen_as.c_str());
            out("set_user=" + std::to_string(rc));
            rc = ::pam_open_session(pamh, 0);
            out("open2=" + code_text(pamh, rc));
            print_cgroup("cgroup2");
        }
    }
    if (opt.hold) {
        out("held");
        char c = 0;
        while (::read(STDIN_FILENO, &c, 1) < 0 && errno == EINTR) {}
    }
    if (!opt.no_close) {
        if (opt.close_caller_uid >= 0) {
            auto uid = static_cast<uid_t>(opt.close_caller_uid);
            if (::setgroups(0, nullptr) != 0 || ::setgid(uid) != 0 || ::setuid(uid) != 0)
                out("close_caller_error=" + errno_name(errno));
        }
        rc = ::pam_close_session(pamh, 0);
        out("close=" + code_text(pamh, rc));
        if (opt.close_twice) {
            rc = ::pam_close_session(pamh, 0);
            out("close2=" + code_text(pamh, rc));
        }
        print_cgroup("cgroup_after_close");
        if (opt.second_thread)
            second.print("thread_cgroup_after_close");
    }
    rc = ::pam_end(pamh, rc);
    out("end=" + std::to_string(rc));
    if (opt.second_thread)
        second.release();
    return 0;
}
