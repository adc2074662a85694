// cgfs: the caller's own moves (see self_move.hpp).
#include "self_move.hpp"

#include <sys/stat.h>
#include <unistd.h>

namespace cgfs {

bool caller_is_whole_process(pid_t pid)
{
    if (pid != ::getpid() || ::gettid() != pid)
        return false;
    struct stat st {};
    return ::stat("/proc/self/task", &st) == 0 && st.st_nlink == 3;
}

MoveSelf move_self(CgroupVersion version, bool whole_process, pid_t pid)
{
    if (version == CgroupVersion::v1 && whole_process)
        return {"tasks", "0"};
    return {"cgroup.procs", std::to_string(pid)};
}

} // namespace cgfs
