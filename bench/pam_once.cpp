// pam_once: one login in a process of its own, as sshd (a new process per connection), login and
// su do it: libpam loads the module into a fresh process, pam_start + pam_open_session +
// pam_close_session + pam_end, and the process exits. login_bench forks and execs it once per
// login. The C++ runtime is linked in statically and nothing of it is exported, so the process
// looks like a C program's to the module, as sshd's does. Not a test: it measures.
// Usage:
//   pam_once pam CONFDIR SERVICE USER
//   pam_once floor UID GID NAME INDEX V:MOUNT:FILE,FILE... [V:MOUNT:FILES...]
//     (V is 1 or 2; the floor's kernel operations of floor.hpp, the roots opened before timing)
// Prints one line: "<main> <ok>" then, per phase (start, open, close, end), "<wall> <cpu>
// <faults>": main is CLOCK_MONOTONIC in microseconds when main() began (the parent's fork time
// subtracted gives exec and loading), ok 1 or 0; wall and CPU time (CLOCK_PROCESS_CPUTIME_ID) in
// microseconds, so wall - cpu is time off the CPU; faults are page faults (minor and major). The
// floor has no start and end (zeros).
#include "floor.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <security/pam_appl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

namespace {

double now_us()
{
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

/// Wall clock, CPU time and page faults at one instant.
struct Mark {
    double wall = 0;
    double cpu = 0;
    long faults = 0;
};

Mark mark()
{
    Mark m;
    timespec ts{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    m.cpu = static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    m.faults = ru.ru_minflt + ru.ru_majflt;
    m.wall = now_us(); // last: the two calls above are outside the next phase's wall time
    return m;
}

/// One phase: from `a` to `b`.
struct Phase {
    double wall = 0;
    double cpu = 0;
    long faults = 0;
};

Phase between(const Mark& a, const Mark& b)
{
    return Phase{b.wall - a.wall, b.cpu - a.cpu, b.faults - a.faults};
}

int null_conv(int, const pam_message**, pam_response**, void*)
{
    return PAM_CONV_ERR;
}

void print(double main_us, const Phase (&p)[4], bool ok)
{
    std::printf("%.3f %d", main_us, ok ? 1 : 0);
    for (const Phase& x : p)
        std::printf(" %.3f %.3f %ld", x.wall, x.cpu, x.faults);
    std::printf("\n");
}

int pam_mode(double main_us, const char* confdir, const char* service, const char* user)
{
    Phase p[4];
    const pam_conv conv{null_conv, nullptr};
    pam_handle_t* pamh = nullptr;
    const Mark a = mark();
    const int rc = ::pam_start_confdir(service, user, &conv, confdir, &pamh);
    const Mark b = mark();
    p[0] = between(a, b);
    if (rc != PAM_SUCCESS) {
        print(main_us, p, false);
        return 1;
    }
    const int open_rc = ::pam_open_session(pamh, 0);
    const Mark c = mark();
    p[1] = between(b, c);
    const int close_rc = ::pam_close_session(pamh, 0);
    const Mark d = mark();
    p[2] = between(c, d);
    ::pam_end(pamh, PAM_SUCCESS);
    p[3] = between(d, mark());
    const bool ok = open_rc == PAM_SUCCESS && close_rc == PAM_SUCCESS;
    print(main_us, p, ok);
    return ok ? 0 : 1;
}

int floor_mode(double main_us, int argc, char** argv)
{
    // argv: floor UID GID NAME INDEX HIERARCHY...
    if (argc < 7)
        return 2;
    const auto uid = static_cast<uid_t>(std::strtoul(argv[2], nullptr, 10));
    const auto gid = static_cast<gid_t>(std::strtoul(argv[3], nullptr, 10));
    const long index = std::strtol(argv[5], nullptr, 10);
    std::vector<cgfs_bench::Hier> sel;
    for (int i = 6; i < argc; ++i) {
        const std::string spec = argv[i];
        const std::size_t c1 = spec.find(':');
        const std::size_t c2 = spec.find(':', c1 == std::string::npos ? c1 : c1 + 1);
        if (c1 == std::string::npos || c2 == std::string::npos)
            return 2;
        cgfs_bench::Hier h;
        h.v2 = spec.substr(0, c1) == "2";
        h.mount = spec.substr(c1 + 1, c2 - c1 - 1);
        std::string files = spec.substr(c2 + 1);
        while (!files.empty()) {
            const std::size_t comma = files.find(',');
            h.files.push_back(files.substr(0, comma));
            files = comma == std::string::npos ? std::string() : files.substr(comma + 1);
        }
        h.root_fd = ::open(h.mount.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (h.root_fd < 0)
            return 1;
        sel.push_back(std::move(h));
    }
    cgfs_bench::Floor floor(sel, index, uid, gid, argv[4]);
    Phase p[4];
    const Mark a = mark();
    bool ok = floor.open();
    const Mark b = mark();
    ok = floor.close() && ok;
    p[1] = between(a, b);
    p[2] = between(b, mark());
    print(main_us, p, ok);
    return ok ? 0 : 1;
}

} // namespace

int main(int argc, char** argv)
{
    const double main_us = now_us();
    if (argc == 5 && std::strcmp(argv[1], "pam") == 0)
        return pam_mode(main_us, argv[2], argv[3], argv[4]);
    if (argc >= 2 && std::strcmp(argv[1], "floor") == 0)
        return floor_mode(main_us, argc, argv);
    std::fprintf(stderr, "usage: pam_once pam CONFDIR SERVICE USER\n"
                         "       pam_once floor UID GID NAME INDEX V:MOUNT:FILES...\n");
    return 2;
}
