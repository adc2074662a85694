// load_probe: prints how long one dlopen(RTLD_NOW) of a PAM module takes, in microseconds, in a
// process like sshd's: libpam loaded, libstdc++ not (this binary links it statically), so the
// module's own dependencies are loaded and relocated as they would be at a real login.
// Usage: load_probe MODULE.so (login_bench runs it in fresh processes inside its container).
#include <security/pam_appl.h>

#include <cstdio>
#include <dlfcn.h>
#include <time.h>

int main(int argc, char** argv)
{
    if (argc != 2)
        return 2;
    // Keep libpam a real dependency, as in sshd (the linker would drop an unused one).
    if (pam_strerror(nullptr, PAM_SUCCESS) == nullptr)
        return 1;
    timespec a{};
    timespec b{};
    ::clock_gettime(CLOCK_MONOTONIC, &a);
    void* handle = ::dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    ::clock_gettime(CLOCK_MONOTONIC, &b);
    if (handle == nullptr) {
        std::fprintf(stderr, "load_probe: %s\n", ::dlerror());
        return 1;
    }
    const double us = static_cast<double>(b.tv_sec - a.tv_sec) * 1e6 + static_cast<double>(b.tv_nsec - a.tv_nsec) / 1e3;
    std::printf("%.1f\n", us);
    return 0;
}
