#include "util.hpp"

#include <cerrno>
#include <cstring>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cgfs_test {

void throw_errno(const std::string& context)
{
    throw_errno(errno, context);
}

void throw_errno(int err, const std::string& context)
{
    throw std::system_error(err, std::generic_category(), context);
}

std::string read_file(const std::string& path)
{
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd.valid())
        throw_errno("open " + path);
    std::string out;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw_errno("read " + path);
        }
        if (n == 0)
            break;
        out.append(buf, static_cast<size_t>(n));
        constexpr size_t kReadCap = 64UL << 20;
        if (out.size() > kReadCap)
            throw_errno(EFBIG, "read " + path);
    }
    return out;
}

int write_kernel_file(const std::string& path, std::string_view data)
{
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW));
    if (!fd.valid())
        return errno;
    ssize_t n = ::write(fd.get(), data.data(), data.size());
    if (n < 0)
        return errno;
    if (static_cast<size_t>(n) != data.size())
        return EIO;
    return 0;
}

void write_regular_file(const std::string& path, std::string_view data, mode_t mode)
{
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode));
    if (!fd.valid())
        throw_errno("create " + path);
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw_errno("write " + path);
        }
        done += static_cast<size_t>(n);
    }
    if (::fchmod(fd.get(), mode) != 0)
        throw_errno("chmod " + path);
}

std::vector<std::string> split(std::string_view text, char sep)
{
    std::vector<std::string> out;
    size_t start = 0;
    for (;;) {
        size_t pos = text.find(sep, start);
        if (pos == std::string_view::npos) {
            out.emplace_back(text.substr(start));
            return out;
        }
        out.emplace_back(text.substr(start, pos - start));
        start = pos + 1;
    }
}

std::vector<std::string> split_lines(std::string_view text)
{
    std::vector<std::string> out;
    size_t start = 0;
    while (start < text.size()) {
        size_t pos = text.find('\n', start);
        if (pos == std::string_view::npos)
            pos = text.size();
        out.emplace_back(text.substr(start, pos - start));
        start = pos + 1;
    }
    return out;
}

bool starts_with(std::string_view s, std::string_view prefix)
{
    return s.substr(0, prefix.size()) == prefix;
}

std::string errno_name(int err)
{
    const char* name = ::strerrorname_np(err);
    return name != nullptr ? std::string(name) : std::to_string(err);
}

} // namespace cgfs_test
