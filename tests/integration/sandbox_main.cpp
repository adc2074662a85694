// cgfs-sandbox: runs one command inside a throwaway container (see sandbox.hpp) with the chosen
// cgroup layout. Exit code = the command's. Lines logged to the container's /dev/log are printed
// to stderr afterwards, prefixed "syslog: ".

#include "sandbox.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

void usage(FILE* out)
{
    std::fprintf(out,
                 "usage: cgfs-sandbox --layout v1|hybrid|v2 [--keep DIR]... [--keep-tty] [--quiet] -- CMD ARGS...\n"
                 "Runs CMD as root in a throwaway container (new cgroup/mount/pid/uts/ipc/net\n"
                 "namespaces, scratch cgroups below the caller's, private /etc /home /dev /tmp\n"
                 "/run, users alice 1000 and bob 1001). Needs root. --keep DIR: the caller's\n"
                 "directory DIR (absolute) stays visible at the same path, also below /tmp,\n"
                 "/home or /run.\n");
}

} // namespace

int main(int argc, char** argv)
{
    cgfs_test::SandboxConfig config;
    bool have_layout = false;
    bool quiet = false;
    int i = 1;
    for (; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--") {
            ++i;
            break;
        }
        if (arg == "--layout" && i + 1 < argc) {
            try {
                config.layout = cgfs_test::parse_layout(argv[++i]);
            } catch (const std::exception& e) {
                std::fprintf(stderr, "cgfs-sandbox: %s\n", e.what());
                return 2;
            }
            have_layout = true;
        } else if (arg == "--keep" && i + 1 < argc) {
            config.keep.emplace_back(argv[++i]);
        } else if (arg == "--keep-tty") {
            config.keep_tty = true;
        } else if (arg == "--quiet") {
            quiet = true;
        } else if (arg == "--help" || arg == "-h") {
            usage(stdout);
            return 0;
        } else {
            std::fprintf(stderr, "cgfs-sandbox: unknown argument '%s'\n", arg.c_str());
            usage(stderr);
            return 2;
        }
    }
    if (!have_layout || i >= argc) {
        usage(stderr);
        return 2;
    }
    std::string why = cgfs_test::sandbox_unavailable_reason();
    if (!why.empty()) {
        std::fprintf(stderr, "cgfs-sandbox: refusing to run: %s\n", why.c_str());
        return 1;
    }
    std::vector<char*> cmd(argv + i, argv + argc);
    cmd.push_back(nullptr);
    // The container runs until the command exits; there is no other timeout for humans.
    config.timeout = std::chrono::hours(24);
    try {
        auto result = cgfs_test::run_in_sandbox(config, [&](cgfs_test::SandboxContext&) {
            const char* term = ::getenv("TERM");
            std::string term_var = std::string("TERM=") + (term != nullptr ? term : "dumb");
            std::vector<std::string> env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                            "HOME=/root",
                                            "USER=root",
                                            "LOGNAME=root",
                                            "SHELL=/bin/sh",
                                            "LANG=C.UTF-8",
                                            "container=cgfs-sandbox",
                                            term_var};
            std::vector<char*> envp;
            for (auto& e : env)
                envp.push_back(e.data());
            envp.push_back(nullptr);
            if (::chdir("/") != 0)
                return 125;
            ::execvpe(cmd[0], cmd.data(), envp.data());
            std::fprintf(stderr, "cgfs-sandbox: exec %s: %s\n", cmd[0], std::strerror(errno));
            return 127;
        });
        if (!quiet)
            for (const auto& line : result.syslog)
                std::fprintf(stderr, "syslog: <%d> %s\n", line.priority, line.message.c_str());
        return result.exit_code;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cgfs-sandbox: %s\n", e.what());
        return 125;
    }
}
