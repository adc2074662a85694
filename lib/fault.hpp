// cgfs: fault-injection points for the test build only. In the production module
// CGFS_FAULT_POINT expands to nothing; the test module (tests/integration: pam_cgfs_fault.so,
// built with -DCGFS_FAULT_INJECTION) stops or kills itself at a chosen point (see fault.cpp).
#pragma once

#ifdef CGFS_FAULT_INJECTION
#include <string_view>

namespace cgfs::fault {

/// Called before each state-changing system call below a hierarchy root (mkdir, rmdir, write,
/// chown, chmod, futimens) with the operation and the file name. Counts the calls of this process
/// and, when the count equals CGFS_FAULT_AT, raises CGFS_FAULT_ACTION ("kill": SIGKILL, the
/// default; "stop": SIGSTOP). With CGFS_FAULT_TRACE=<file>, appends "<count> <op> <name>" to it.
void point(std::string_view op, std::string_view name) noexcept;

} // namespace cgfs::fault

#define CGFS_FAULT_POINT(op, name) ::cgfs::fault::point(op, name)
#else
#define CGFS_FAULT_POINT(op, name) ((void)0)
#endif
