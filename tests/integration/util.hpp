// Small helpers shared by the integration harness (sandbox, pam_driver is separate):
// errno-carrying exceptions and whole-file reads/writes. Test code only; the module
// never links this.
#pragma once

#include "unique_fd.hpp"

#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

namespace cgfs_test {

// The library's fd owner (header-only; no module code is linked into the harness).
using cgfs::UniqueFd;

// Throws std::system_error(errno, context).
[[noreturn]] void throw_errno(const std::string& context);
[[noreturn]] void throw_errno(int err, const std::string& context);

// Reads a whole file (kernel files included: read to EOF, never trust st_size).
std::string read_file(const std::string& path);
// Writes `data` with one write() to an existing file (kernel files: no O_CREAT/O_TRUNC).
// Returns 0 or the errno.
[[nodiscard]] int write_kernel_file(const std::string& path, std::string_view data);
// Creates or replaces a regular file with `data` and `mode`.
void write_regular_file(const std::string& path, std::string_view data, mode_t mode);

std::vector<std::string> split(std::string_view text, char sep);
std::vector<std::string> split_lines(std::string_view text);
bool starts_with(std::string_view s, std::string_view prefix);

// Name of an errno value ("ENOENT"), or its number when unknown.
std::string errno_name(int err);

} // namespace cgfs_test
