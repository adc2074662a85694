// cgfs: the owner of one file descriptor.
// Closes exactly once, keeps errno across close (so an error path can still report it), and is
// never retried on EINTR (close(2): the fd is gone even when close reports EINTR).
#pragma once

#include <cerrno>
#include <unistd.h>
#include <utility>

namespace cgfs {

class UniqueFd {
public:
    UniqueFd() noexcept = default;
    explicit UniqueFd(int fd) noexcept : fd_(fd) {}
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept
    {
        reset(other.release());
        return *this;
    }
    ~UniqueFd() { reset(); }

    /// The descriptor, or -1 when empty. Ownership stays here.
    [[nodiscard]] int get() const noexcept { return fd_; }
    [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
    bool operator!() const = delete; // ambiguous with fd 0; say valid()

    /// Gives up ownership: the caller closes the returned descriptor.
    [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }

    /// Closes the held descriptor (if any) and takes `fd`; errno is preserved.
    void reset(int fd = -1) noexcept
    {
        if (fd_ >= 0) {
            const int saved = errno;
            ::close(fd_);
            errno = saved;
        }
        fd_ = fd;
    }

private:
    int fd_ = -1;
};

} // namespace cgfs
