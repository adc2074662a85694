// cgfs: fault injection for the test build (see fault.hpp). Never part of the production module:
// meson compiles this file only into tests/integration's pam_cgfs_fault.so, and a test checks
// that pam_cgfs.so carries none of it. The environment and a counter are read here on purpose:
// the test names the point to stop at, across fork-free PAM calls of one process.
#include "fault.hpp"

#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <unistd.h>

namespace cgfs::fault {

namespace {
long hits = 0; // test build only: which point of this process we are at
}

void point(std::string_view op, std::string_view name) noexcept
{
    ++hits;
    if (const char* trace = std::getenv("CGFS_FAULT_TRACE"); trace != nullptr) {
        const int fd = ::open(trace, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0) {
            try {
                const std::string line = std::to_string(hits) + " " + std::string(op) + " " + std::string(name) + "\n";
                (void)!::write(fd, line.data(), line.size());
            } catch (...) {}
            ::close(fd);
        }
    }
    const char* at = std::getenv("CGFS_FAULT_AT");
    if (at == nullptr || std::strtol(at, nullptr, 10) != hits)
        return;
    const char* action = std::getenv("CGFS_FAULT_ACTION");
    (void)::raise(action != nullptr && std::string_view(action) == "stop" ? SIGSTOP : SIGKILL);
}

} // namespace cgfs::fault
