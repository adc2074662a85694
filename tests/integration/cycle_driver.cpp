// cycle_driver: runs many complete PAM sessions in one process, as a long-lived login service
// would (pam_start_confdir, pam_open_session, pam_close_session, pam_end, with a private service
// directory), for the valgrind test. Linked with libpam only. Prints machine-readable lines:
//   fds_before=0,1,2        the open descriptors before the first pam_start (/proc/self/fd)
//   cycles=N                sessions run
//   start_failures=K open_failures=K close_failures=K end_failures=K   (first failing code too)
//   moved=K                 cycles in which the process sat elsewhere after open than before
//   returned=K              cycles in which it was back where it started after close
//   fds_after=...           the open descriptors after the last pam_end
// --pin PATH keeps PATH (the module) loaded for the whole run (dlopen RTLD_NODELETE before the
// first cycle): libpam then maps it once instead of at every pam_start, which spares valgrind
// re-reading its debug information 1,000 times (that alone took over 15 minutes here). The
// module's code and every allocation it makes are checked all the same.
// Exit code 0 whenever it ran; the test judges the lines. Meant for a throwaway container.
#include "util.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <dirent.h>
#include <dlfcn.h>
#include <security/pam_appl.h>
#include <unistd.h>

namespace {

int null_conv(int, const pam_message**, pam_response**, void*)
{
    return PAM_CONV_ERR;
}

// The descriptors open in this process, without the one used to list them.
std::string open_fds()
{
    DIR* d = ::opendir("/proc/self/fd");
    if (d == nullptr)
        return "error " + cgfs_test::errno_name(errno);
    const int own = ::dirfd(d);
    std::vector<long> fds;
    while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.')
            continue;
        long fd = std::strtol(e->d_name, nullptr, 10);
        if (fd != own)
            fds.push_back(fd);
    }
    ::closedir(d);
    std::sort(fds.begin(), fds.end());
    std::string out;
    for (long fd : fds)
        out += (out.empty() ? "" : ",") + std::to_string(fd);
    return out;
}

std::string self_cgroup()
{
    try {
        return cgfs_test::read_file("/proc/self/cgroup");
    } catch (const std::exception& e) {
        return std::string("error ") + e.what();
    }
}

struct Failures {
    long count = 0;
    int first = PAM_SUCCESS;
    void add(int rc)
    {
        if (rc == PAM_SUCCESS)
            return;
        if (count++ == 0)
            first = rc;
    }
    [[nodiscard]] std::string text() const
    {
        return std::to_string(count) + (count != 0 ? " first=" + std::to_string(first) : "");
    }
};

[[noreturn]] void usage()
{
    std::fprintf(stderr, "usage: cycle_driver --confdir DIR --service NAME --user USER --cycles N"
                         " [--pin MODULE]\n");
    std::exit(2);
}

} // namespace

int main(int argc, char** argv)
{
    std::string confdir, service, user, pin;
    long cycles = -1;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        if (a == "--confdir")
            confdir = argv[i + 1];
        else if (a == "--service")
            service = argv[i + 1];
        else if (a == "--user")
            user = argv[i + 1];
        else if (a == "--cycles")
            cycles = std::strtol(argv[i + 1], nullptr, 10);
        else if (a == "--pin")
            pin = argv[i + 1];
        else
            usage();
    }
    if (confdir.empty() || service.empty() || user.empty() || cycles < 0 || argc % 2 != 1)
        usage();

    if (!pin.empty() && ::dlopen(pin.c_str(), RTLD_NOW | RTLD_NODELETE) == nullptr) {
        std::printf("pin_error=%s\n", ::dlerror());
        return 1;
    }
    std::printf("fds_before=%s\n", open_fds().c_str());
    const std::string home = self_cgroup();
    pam_conv conv{null_conv, nullptr};
    Failures start, open, close, end;
    long moved = 0;
    long returned = 0;
    for (long i = 0; i < cycles; ++i) {
        pam_handle_t* pamh = nullptr;
        int rc = ::pam_start_confdir(service.c_str(), user.c_str(), &conv, confdir.c_str(), &pamh);
        start.add(rc);
        if (rc != PAM_SUCCESS)
            continue;
        rc = ::pam_open_session(pamh, 0);
        open.add(rc);
        if (self_cgroup() != home)
            ++moved;
        rc = ::pam_close_session(pamh, 0);
        close.add(rc);
        if (self_cgroup() == home)
            ++returned;
        end.add(::pam_end(pamh, rc));
    }
    std::printf("cycles=%ld\n", cycles);
    std::printf("start_failures=%s\nopen_failures=%s\nclose_failures=%s\nend_failures=%s\n", start.text().c_str(),
                open.text().c_str(), close.text().c_str(), end.text().c_str());
    std::printf("moved=%ld\nreturned=%ld\n", moved, returned);
    std::printf("fds_after=%s\n", open_fds().c_str());
    return 0;
}
