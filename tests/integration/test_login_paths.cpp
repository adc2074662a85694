// The login programs an administrator uses, run for real against the built module on every
// layout: sshd (ssh with a command, ssh -tt), su and su -, runuser -l, login on a pseudo-terminal
// (the console path of lxc-console) and a cron-like service. Each runs in a throwaway container
// whose private /etc/pam.d is Debian's own with the module line added where pam-auth-update puts
// it; each asserts the login's own /proc/self/cgroup, the delegated tree while it runs, and that
// alice's cgroups are gone after logout.
#include "expect.hpp"
#include "layouts.hpp"
#include "util.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace cgfs_test;

namespace {

using Clock = std::chrono::steady_clock;

// Bound for one login to print its probe, and for one logout to finish (sshd closes the PAM
// session after the client has gone).
constexpr auto kLoginDeadline = std::chrono::seconds(20);
constexpr auto kGonePoll = std::chrono::milliseconds(5);

// What every login runs in alice's shell. The quotes keep a pseudo-terminal's echo of the typed
// line from matching the markers the shell prints.
constexpr const char* kProbe = "echo @@BE''GIN; cat /proc/self/cgroup; tty; echo @@E''ND";

constexpr const char* kSshd = "/usr/sbin/sshd";
constexpr const char* kSsh = "/usr/bin/ssh";
constexpr const char* kSshKeygen = "/usr/bin/ssh-keygen";
constexpr const char* kSshDir = "/run/cgfs-sshd";   // host key and sshd_config (private /run)
constexpr const char* kClientDir = "/tmp/cgfs-ssh"; // the client's key and known_hosts

// ---- inside the container ------------------------------------------------------------------

// A program we started, on pipes or on a pseudo-terminal whose master we hold.
struct Child {
    pid_t pid = -1;
    UniqueFd to;   // its stdin (the master on a pty)
    UniqueFd from; // its stdout and stderr (the master on a pty)
    std::string output;
};

std::vector<char*> c_strings(std::vector<std::string>& v)
{
    std::vector<char*> out;
    for (auto& s : v)
        out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

// Starts argv[0] (an absolute path) with `env` only. On a pty the child is a session leader
// with the pty as its controlling terminal, as getty leaves login.
Child spawn(std::vector<std::string> argv, std::vector<std::string> env, bool pty)
{
    Child c;
    int in[2] = {-1, -1};
    int out[2] = {-1, -1};
    int master = -1;
    int slave = -1;
    if (pty) {
        if (::openpty(&master, &slave, nullptr, nullptr, nullptr) != 0)
            throw_errno("openpty");
        ::fcntl(master, F_SETFD, FD_CLOEXEC);
        ::fcntl(slave, F_SETFD, FD_CLOEXEC);
    } else if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) {
        throw_errno("pipe");
    }
    auto cargv = c_strings(argv);
    auto cenv = c_strings(env);
    std::fflush(nullptr);
    c.pid = ::fork();
    if (c.pid < 0)
        throw_errno("fork " + argv[0]);
    if (c.pid == 0) {
        if (pty) {
            ::setsid();
            if (::ioctl(slave, TIOCSCTTY, 0) != 0)
                ::_exit(126);
            ::dup2(slave, STDIN_FILENO);
            ::dup2(slave, STDOUT_FILENO);
            ::dup2(slave, STDERR_FILENO);
        } else {
            ::dup2(in[0], STDIN_FILENO);
            ::dup2(out[1], STDOUT_FILENO);
            ::dup2(out[1], STDERR_FILENO);
        }
        ::execve(cargv[0], cargv.data(), cenv.data());
        std::fprintf(stderr, "exec %s: %s\n", cargv[0], std::strerror(errno));
        ::_exit(127);
    }
    if (pty) {
        ::close(slave);
        c.to = UniqueFd(master);
        c.from = UniqueFd(::dup(master));
        if (!c.from.valid())
            throw_errno("dup pty master");
    } else {
        ::close(in[0]);
        ::close(out[1]);
        c.to = UniqueFd(in[1]);
        c.from = UniqueFd(out[0]);
    }
    return c;
}

// Reads what is there within `wait`; false at the end of the output (EOF, or EIO once every
// holder of a pty's slave side has gone).
bool read_some(Child& c, std::chrono::milliseconds wait)
{
    pollfd p{c.from.get(), POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(wait.count()));
    if (n <= 0)
        return true;
    char buf[4096];
    ssize_t r = ::read(c.from.get(), buf, sizeof buf);
    if (r < 0 && errno == EINTR)
        return true;
    if (r <= 0)
        return false;
    c.output.append(buf, static_cast<size_t>(r));
    return true;
}

// Reads until `needle` appears after `from` in the output; throws with the transcript when the
// program ends or the deadline passes first.
void read_until(Child& c, const std::string& needle, size_t from = 0)
{
    auto deadline = Clock::now() + kLoginDeadline;
    while (c.output.find(needle, from) == std::string::npos) {
        if (Clock::now() > deadline)
            throw std::runtime_error("no '" + needle + "' within the deadline; output:\n" + c.output);
        if (!read_some(c, std::chrono::milliseconds(50)))
            throw std::runtime_error("output ended before '" + needle + "':\n" + c.output);
    }
}

void send(Child& c, const std::string& text)
{
    if (::write(c.to.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
        throw_errno("write to child");
}

// Waits for the program to exit, reading its output meanwhile; kills it (our own child) at the
// deadline. Returns its exit code, 128+signal, or -1 when it had to be killed.
int finish(Child& c)
{
    auto deadline = Clock::now() + kLoginDeadline;
    bool open = true;
    for (;;) {
        int status = 0;
        pid_t done = ::waitpid(c.pid, &status, WNOHANG);
        if (done == c.pid) {
            // What it wrote before exiting; a grandchild still holding the pipe is not waited for.
            for (pollfd p{c.from.get(), POLLIN, 0}; open && ::poll(&p, 1, 0) > 0;)
                open = read_some(c, std::chrono::milliseconds(0));
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        if (Clock::now() > deadline) {
            ::kill(c.pid, SIGKILL);
            ::waitpid(c.pid, nullptr, 0);
            return -1;
        }
        if (open)
            open = read_some(c, std::chrono::milliseconds(10));
        else
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

// The environment of a program we start. In an ASan build (meson sets CGFS_SANITIZER_PRELOAD)
// the uninstrumented sshd, su, runuser and login can load the module only with the ASan runtime
// preloaded; their own leaks are not ours to judge (pam_driver's leak checks cover the module).
std::vector<std::string> user_env(const std::string& home)
{
    std::vector<std::string> env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + home, "TERM=dumb", "LANG=C"};
    const char* preload = std::getenv("CGFS_SANITIZER_PRELOAD");
    if (preload != nullptr && *preload != '\0') {
        env.push_back(std::string("LD_PRELOAD=") + preload);
        env.push_back("ASAN_OPTIONS=detect_leaks=0");
    }
    return env;
}

// Makes the container's private /etc/pam.d what an administrator gets from Debian plus the
// module: the line in common-session (interactive logins) and common-session-noninteractive
// (cron and other batch services), as "session optional <module> <args>" like pam-auth-update
// writes it (each stock file stays as <file>.debian). Debian's runuser stack includes neither,
// so it gets the line itself. Login records (wtmp, lastlog, btmp) go to a private /var/log.
void prepare_pam(Container& c, const std::string& args)
{
    bool private_etc = false;
    for (const auto& line : split_lines(read_file("/proc/self/mountinfo"))) {
        auto fields = split(line, ' ');
        auto dash = std::find(fields.begin(), fields.end(), "-");
        if (fields.size() > 4 && fields[4] == "/etc" && dash != fields.end() && dash + 1 != fields.end())
            private_etc = *(dash + 1) == "overlay";
    }
    if (!private_etc)
        throw std::runtime_error("/etc is not the container's private overlay: refusing to "
                                 "edit PAM files");
    std::string line = "session\toptional\t" + module_path() + " " + args + "\n";
    for (const char* file : {"common-session", "common-session-noninteractive", "runuser"}) {
        std::string path = std::string("/etc/pam.d/") + file;
        std::string debian = read_file(path);
        write_regular_file(path + ".debian", debian, 0644); // the stock file, for controls
        write_regular_file(path, debian + line, 0644);
    }
    c.sh("mount -t tmpfs -o mode=0755 tmpfs /var/log");
}

// Until alice's directory is gone from every selected hierarchy (sshd closes the session after
// the client has left), bounded by kLoginDeadline; a leftover then shows in the next snapshot.
long wait_gone(Container& c, const std::vector<std::string>& keys)
{
    auto start = Clock::now();
    auto present = [&] {
        return std::any_of(keys.begin(), keys.end(), [&](const std::string& key) {
            struct stat st {};
            return ::stat(c.path(key + ":/user/alice").c_str(), &st) == 0;
        });
    };
    while (present() && Clock::now() - start < kLoginDeadline)
        std::this_thread::sleep_for(kGonePoll);
    return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
}

// Records a login's result as driver lines: "cgroup=" per /proc/self/cgroup line of the probe,
// "tty=", "exit=", "gone_ms=", and the transcript as "out: " lines.
void emit_login(Container& c, const std::string& label, const Child& child, int exit_code, long gone_ms)
{
    std::string text = "@@driver " + label + "\n";
    std::string out = child.output;
    out.erase(std::remove(out.begin(), out.end(), '\r'), out.end());
    out.insert(0, "\n"); // the markers are found as whole lines
    size_t begin = out.find("\n@@BEGIN\n");
    size_t end = begin == std::string::npos ? begin : out.find("\n@@END\n", begin);
    if (end != std::string::npos) {
        auto lines = split_lines(out.substr(begin + 9, end + 1 - (begin + 9)));
        for (const auto& l : lines) {
            if (l.empty())
                continue;
            text += (starts_with(l, "/dev/") || l == "not a tty" ? "tty=" : "cgroup=") + l + "\n";
        }
    }
    text += "exit=" + std::to_string(exit_code) + "\n";
    text += "gone_ms=" + std::to_string(gone_ms) + "\n";
    for (const auto& l : split_lines(out))
        text += "out: " + l + "\n";
    c.emit(text);
}

// One login as alice: `argv` either runs the probe as its command (then waits for a line on
// stdin) or, when `shell`, starts an interactive shell that is sent the probe after its prompt
// and `exit` after the snapshot. Snapshots "<label>-open" and "<label>-closed".
void login(Container& c, const std::vector<std::string>& keys, const std::string& label,
           const std::vector<std::string>& argv, bool pty, bool shell,
           const std::vector<std::string>& env = user_env("/tmp"))
{
    Child child = spawn(argv, env, pty);
    if (shell) {
        read_until(child, "alice@cgfs-test:~$ ");
        size_t typed = child.output.size();
        send(child, std::string(kProbe) + "\n");
        read_until(child, "@@END", typed);
    } else {
        read_until(child, "@@END");
    }
    read_until(child, "\n", child.output.find("@@END"));
    c.snapshot(label + "-open");
    send(child, shell ? "exit\n" : "\n");
    int code = finish(child);
    long gone_ms = wait_gone(c, keys);
    c.snapshot(label + "-closed");
    emit_login(c, label, child, code, gone_ms);
}

std::string command_probe()
{
    return std::string(kProbe) + "; read -r line";
}

// ---- sshd in the container -------------------------------------------------------------------

// Starts sshd on 127.0.0.1:22 of the container's own network namespace with a private config:
// UsePAM yes (service "sshd", Debian's /etc/pam.d/sshd including common-session), public-key
// authentication only, alice's key and the host key generated here. Returns once it listens.
Child start_sshd(Container& c)
{
    std::string dir = kSshDir;
    std::string client = kClientDir;
    c.sh("install -d -m 0755 /run/sshd && install -d -m 0700 " + dir + " " + client);
    c.sh(std::string(kSshKeygen) + " -q -t ed25519 -N '' -C cgfs-host -f " + dir + "/host_key");
    c.sh(std::string(kSshKeygen) + " -q -t ed25519 -N '' -C alice@cgfs-test -f " + client + "/id_ed25519");
    c.sh("install -d -o alice -g alice -m 0700 /home/alice/.ssh && install -o alice -g alice "
         "-m 0600 " +
         client + "/id_ed25519.pub /home/alice/.ssh/authorized_keys");
    c.sh("printf '127.0.0.1 %s\\n' \"$(cut -d' ' -f1,2 " + dir + "/host_key.pub)\" > " + client + "/known_hosts");
    write_regular_file(dir + "/sshd_config",
                       "ListenAddress 127.0.0.1:22\n"
                       "HostKey " +
                           dir +
                           "/host_key\n"
                           "PidFile none\n"
                           "UsePAM yes\n"
                           "PubkeyAuthentication yes\n"
                           "AuthorizedKeysFile .ssh/authorized_keys\n"
                           "PasswordAuthentication no\n"
                           "KbdInteractiveAuthentication no\n"
                           "PermitRootLogin no\n"
                           "AllowUsers alice\n"
                           "StrictModes yes\n"
                           "PrintMotd no\n"
                           "PrintLastLog no\n"
                           "UseDNS no\n"
                           "X11Forwarding no\n"
                           "LogLevel VERBOSE\n",
                       0600);
    Child sshd = spawn({kSshd, "-D", "-e", "-f", dir + "/sshd_config"}, user_env("/tmp"), false);
    read_until(sshd, "Server listening on 127.0.0.1 port 22");
    return sshd;
}

std::vector<std::string> ssh_argv(const std::vector<std::string>& more)
{
    std::string client = kClientDir;
    std::vector<std::string> argv = {kSsh,
                                     "-F",
                                     "/dev/null",
                                     "-i",
                                     client + "/id_ed25519",
                                     "-o",
                                     "IdentitiesOnly=yes",
                                     "-o",
                                     "BatchMode=yes",
                                     "-o",
                                     "UserKnownHostsFile=" + client + "/known_hosts",
                                     "-o",
                                     "GlobalKnownHostsFile=/dev/null",
                                     "-o",
                                     "StrictHostKeyChecking=yes",
                                     "-o",
                                     "LogLevel=ERROR"};
    argv.insert(argv.end(), more.begin(), more.end());
    return argv;
}

void stop_sshd(Container& c, Child& sshd)
{
    ::kill(sshd.pid, SIGTERM); // the sshd this body started, by its pid
    int code = finish(sshd);
    std::string text = "@@driver sshd\nexit=" + std::to_string(code) + "\n";
    for (const auto& l : split_lines(sshd.output))
        text += "out: " + l + "\n";
    c.emit(text);
}

// ---- in the test process ---------------------------------------------------------------------

// Every hierarchy the kernel lists in /proc/<pid>/cgroup, by key ("freezer", "unified"...):
// the container shares the host's hierarchies, mounted or not.
std::set<std::string> kernel_keys()
{
    DriverOutput own;
    for (const auto& l : split_lines(read_file("/proc/self/cgroup")))
        if (!l.empty())
            own.lines.push_back("self=" + l);
    std::set<std::string> keys;
    for (const auto& [key, path] : own.cgroups("self"))
        keys.insert(key);
    return keys;
}

// The login's probe ran in alice's session `index` in every selected hierarchy and at the
// container's root in every other one; its session was at `tty` ("not a tty", "/dev/pts/", or
// "" for no probe).
// While it ran the tree was exactly that session, owned by alice; after logout it is gone.
void check_login(const Report& r, Layout layout, const std::string& label, int index, const std::string& tty)
{
    auto prof = core_profile(layout);
    const auto& d = r.driver(label);
    INFO("login " << label);
    CHECK(d.code("exit") == 0);
    if (tty == "not a tty")
        CHECK(d.value("tty") == tty);
    else if (!tty.empty())
        CHECK(starts_with(d.value("tty"), tty));
    std::map<std::string, std::string> want;
    for (const auto& key : kernel_keys()) {
        bool selected = std::find(prof.keys.begin(), prof.keys.end(), key) != prof.keys.end();
        want[key] = selected ? session_leaf(key, "alice", index) : "/";
    }
    CHECK(d.cgroups("cgroup") == want);
    for (const auto& key : prof.keys) {
        check_sessions(r.snap(label + "-open"), key, "alice", kAliceUid, {index});
        check_no_session(r.snap(label + "-closed"), key, "alice", true);
    }
    for (const auto& key : layout_keys(layout)) {
        if (std::find(prof.keys.begin(), prof.keys.end(), key) == prof.keys.end())
            check_no_session(r.snap(label + "-open"), key, "alice", false);
    }
}

// The module logged nothing: every session opened and closed without an error or a notice.
void check_module_quiet(const Report& r)
{
    std::vector<std::string> lines;
    for (const auto& l : r.syslog)
        if (l.message.find("pam_cgfs") != std::string::npos)
            lines.push_back(l.message);
    INFO("syslog:\n" << r.describe());
    CHECK(lines.empty());
}

std::string sandbox_program_missing()
{
    for (const char* p : {kSshd, kSsh, kSshKeygen, "/usr/bin/su", "/usr/sbin/runuser", "/usr/bin/login"})
        if (::access(p, X_OK) != 0)
            return p;
    return "";
}

Report run_logins(Layout layout, const std::function<void(Container&)>& body)
{
    std::string missing = sandbox_program_missing();
    INFO("tests/install-deps installs it");
    REQUIRE(missing.empty());
    auto prof = core_profile(layout);
    auto r = run_scenario(layout, [&](Container& c) {
        prepare_pam(c, prof.args);
        body(c);
    });
    check_ran(r);
    return r;
}

// One login: the program as alice and how it is driven (see login()), and where its shell must
// find itself: "not a tty" or a prefix such as "/dev/pts/".
struct LoginCase {
    std::string label;
    std::vector<std::string> argv;
    bool pty = false;
    bool shell = false;
    std::string tty;
};

// Runs `cases` one after the other in one container (each must start at session 0: the one
// before has been cleaned up), with sshd listening when `sshd`.
void run_cases(Layout layout, const std::vector<LoginCase>& cases, bool sshd)
{
    auto prof = core_profile(layout);
    auto r = run_logins(layout, [&](Container& c) {
        Child server;
        if (sshd)
            server = start_sshd(c);
        for (const auto& lc : cases)
            login(c, prof.keys, lc.label, lc.argv, lc.pty, lc.shell);
        if (sshd)
            stop_sshd(c, server);
    });
    INFO(r.describe());
    for (const auto& lc : cases)
        check_login(r, layout, lc.label, 0, lc.tty);
    check_module_quiet(r);
}

// Debian's sshd has one PAM service, "sshd": ssh with a command goes through common-session as
// the pty login does, not through common-session-noninteractive.
void sshd_logins(Layout layout)
{
    run_cases(layout,
              {{"ssh-command", ssh_argv({"-T", "alice@127.0.0.1", command_probe()}), false, false, "not a tty"},
               {"ssh-tty", ssh_argv({"-tt", "alice@127.0.0.1"}), false, true, "/dev/pts/"}},
              true);
}

void su_logins(Layout layout)
{
    run_cases(layout,
              {{"su-l", {"/usr/bin/su", "-", "alice", "-c", command_probe()}, false, false, "not a tty"},
               {"su", {"/usr/bin/su", "alice", "-c", command_probe()}, false, false, "not a tty"}},
              false);
}

// Debian's runuser-l stack includes runuser, not common-session: prepare_pam() gave runuser
// the module line.
void runuser_login(Layout layout)
{
    run_cases(layout,
              {{"runuser-l", {"/usr/sbin/runuser", "-l", "alice", "-c", command_probe()}, false, false, "not a tty"}},
              false);
}

// getty's job done by hand: a pty as the controlling terminal, then `login -f alice` (already
// authenticated, as getty -a or lxc-console's autologin would run it).
void console_login(Layout layout)
{
    run_cases(layout, {{"login", {"/usr/bin/login", "-f", "alice"}, true, true, "/dev/pts/"}}, false);
}

// Debian's cron PAM file, session part through `noninteractive` (a common-session-noninteractive).
std::string cron_stack(const std::string& noninteractive)
{
    return "@include common-auth\n"
           "session required pam_loginuid.so\n"
           "session required pam_env.so\n"
           "session required pam_env.so envfile=/etc/default/locale\n"
           "@include common-account\n"
           "@include " +
           noninteractive +
           "\n"
           "session required pam_limits.so\n";
}

// pam_driver through /etc/pam.d/<service>, as cron runs a job: the driver is the job's process.
// Snapshots "<label>-open" and "<label>-closed"; its output becomes driver `label`.
void run_job(Container& c, const std::vector<std::string>& keys, const std::string& label, const std::string& service)
{
    Child job = spawn({driver_path(), "--confdir", "/etc/pam.d", "--service", service, "--user", "alice", "--hold"},
                      user_env("/tmp"), false);
    read_until(job, "\nheld\n");
    c.snapshot(label + "-open");
    send(job, "\n");
    int code = finish(job);
    long gone_ms = wait_gone(c, keys);
    c.snapshot(label + "-closed");
    c.emit("@@driver " + label + "\n" + job.output + "exit=" + std::to_string(code) +
           "\ngone_ms=" + std::to_string(gone_ms) + "\n");
}

// A batch service as Debian's cron package ships it. With the module line in
// common-session-noninteractive the job runs in alice's cgroups; with Debian's file as it was
// (the control), the same stack gives her nothing: interactive-only setups miss every cron job.
void cron_like_service(Layout layout)
{
    auto prof = core_profile(layout);
    auto r = run_logins(layout, [&](Container& c) {
        write_regular_file("/etc/pam.d/cron", cron_stack("common-session-noninteractive"), 0644);
        write_regular_file("/etc/pam.d/cron-stock", cron_stack("common-session-noninteractive.debian"), 0644);
        run_job(c, prof.keys, "cron", "cron");
        run_job(c, prof.keys, "cron-stock", "cron-stock");
    });
    INFO(r.describe());
    const auto& d = r.driver("cron");
    CHECK(d.code("open") == kPamSuccess);
    CHECK(d.code("close") == kPamSuccess);
    check_login(r, layout, "cron", 0, "");
    const auto& stock = r.driver("cron-stock");
    CHECK(stock.code("open") == kPamSuccess);
    CHECK(stock.code("exit") == 0);
    std::map<std::string, std::string> at_root;
    for (const auto& key : kernel_keys())
        at_root[key] = "/";
    CHECK(stock.cgroups("cgroup") == at_root);
    for (const auto& key : prof.keys)
        check_no_session(r.snap("cron-stock-open"), key, "alice", true);
    check_module_quiet(r);
}

} // namespace

CGFS_ALL_LAYOUTS("logins: sshd with ssh CMD and ssh -tt", "[logins]", sshd_logins)
CGFS_ALL_LAYOUTS("logins: su - alice -c and su alice -c", "[logins]", su_logins)
CGFS_ALL_LAYOUTS("logins: runuser -l alice -c", "[logins]", runuser_login)
CGFS_ALL_LAYOUTS("logins: login -f alice on a pseudo-terminal", "[logins]", console_login)
CGFS_ALL_LAYOUTS("logins: a cron-like service through common-session-noninteractive", "[logins]", cron_like_service)
