// cgfs: validation of the PAM user name before it becomes a cgroup directory name
// (pam_cgfs(8) SECURITY).
// The name is checked once, before anything is created: it must be one path component that can
// never be mistaken for a kernel interface file of a cgroup directory.
#pragma once

#include "result.hpp"

#include <string_view>

namespace cgfs {

/// Accepts `name` as the directory name of user/<name>. Refused with EINVAL (context says why):
/// empty, ".", "..", containing '/' or a control character (bytes < 0x20 and 0x7f), longer than
/// NAME_MAX (255) bytes, and names of kernel files in a cgroup directory: "tasks",
/// "notify_on_release", "release_agent", "cgroup.*", and "<controller>.*" for every kernel
/// controller (cgroup-v1/cgroups.rst §1.3 and §2, cgroup-v2.rst "Interface Files"; the rule is the
/// one systemd's cg_needs_escape uses).
Result<void> validate_user_name(std::string_view name);

} // namespace cgfs
