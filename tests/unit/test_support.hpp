// cgfs unit tests: shared helpers — fixture loading, a throwaway directory under /tmp, file
// owners — so each test file stays about its own library file.
#pragma once

#include "hierarchy.hpp"
#include "unique_fd.hpp"

#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace cgfs::test {

/// tests/unit/data (CGFS_TEST_DATA_DIR is set by tests/unit/meson.build).
inline std::string data_path(const std::string& rel)
{
    return std::string(CGFS_TEST_DATA_DIR) + "/" + rel;
}

/// The whole fixture file; a missing fixture fails the test loudly.
inline std::string read_fixture(const std::string& rel)
{
    std::ifstream in(data_path(rel), std::ios::binary);
    if (!in)
        throw std::runtime_error("missing fixture " + data_path(rel));
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

/// A fresh directory from mkdtemp(3) under /dev/shm (else /tmp), removed (without following symlinks) at scope
/// exit even when the test fails; `fd()` is an O_DIRECTORY fd on it.
class TempDir {
public:
    TempDir()
    {
        // tmpfs (/dev/shm) first: directory churn there costs no disk I/O (thousands of mkdir/
        // rmdir took 30 s on this machine's ext4 /tmp under load); /tmp otherwise.
        std::string pattern = "/dev/shm/cgfs-unit-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) {
            pattern = "/tmp/cgfs-unit-XXXXXX";
            if (::mkdtemp(pattern.data()) == nullptr)
                throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
        }
        path_ = pattern;
        fd_.reset(::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!fd_.valid())
            throw std::runtime_error("open " + path_);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir()
    {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }

    [[nodiscard]] const std::string& path() const { return path_; }
    [[nodiscard]] std::string path(const std::string& rel) const { return path_ + "/" + rel; }
    [[nodiscard]] int fd() const { return fd_.get(); }

    /// Creates (or replaces) a regular file with `content`.
    void write(const std::string& rel, const std::string& content) const
    {
        std::ofstream out(path(rel), std::ios::binary | std::ios::trunc);
        out << content;
        if (!out)
            throw std::runtime_error("write " + path(rel));
    }
    void mkdirs(const std::string& rel) const { std::filesystem::create_directories(path(rel)); }
    [[nodiscard]] std::string read(const std::string& rel) const
    {
        std::ifstream in(path(rel), std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        return text.str();
    }
    [[nodiscard]] bool exists(const std::string& rel) const
    {
        struct stat st {};
        return ::lstat(path(rel).c_str(), &st) == 0;
    }

private:
    std::string path_;
    UniqueFd fd_;
};

/// "uid:gid" of `path` (lstat: a symlink's own owner).
inline std::string owner_of(const std::string& path)
{
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0)
        return "missing";
    return std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid);
}

/// build_discovery on the captured view data/hierarchy/<name>/{mountinfo,self_cgroup,init_cgroup}.
inline cgfs::Discovery fixture_discovery(const std::string& name)
{
    const auto mounts = cgfs::parse_mountinfo(read_fixture("hierarchy/" + name + "/mountinfo"));
    const auto self = cgfs::parse_proc_cgroup(read_fixture("hierarchy/" + name + "/self_cgroup"));
    const auto init = cgfs::parse_proc_cgroup(read_fixture("hierarchy/" + name + "/init_cgroup"));
    return cgfs::build_discovery(mounts, self, &init);
}

inline bool is_root()
{
    return ::geteuid() == 0;
}

} // namespace cgfs::test
