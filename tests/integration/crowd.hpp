// Helpers for the scenarios with many sessions, faults and a hostile user (test_load.cpp,
// test_faults.cpp, test_hostile.cpp): starting drivers in bulk inside the container, recording
// which processes sit in which cgroup below /user, and checking that record in the test process.
#pragma once

#include "expect.hpp"
#include "scenario.hpp"

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace cgfs_test {

// ---- inside the container -------------------------------------------------------------

// Milliseconds since `since` (for the figures a scenario prints).
long ms_since(std::chrono::steady_clock::time_point since);

// Starts one --wait-start driver per label (`args_of(label)` gives its arguments), waits until
// each is ready, lets them all open at once and waits until each holds its session (or died).
// Returns the wall time from release to the last "held", in ms.
long open_together(Container& c, std::vector<Driver>& out, const std::vector<std::string>& labels,
                   const std::vector<std::vector<std::string>>& args);

// Emits, as the pseudo-driver `label`, one line "key:/path=pid pid ..." for every cgroup at or
// below /user in each hierarchy of `keys` that holds a process.
void emit_procs(Container& c, const std::vector<std::string>& keys, const std::string& label);

// Emits the pseudo-driver `label` with the given "name=value" lines (figures, markers).
void emit_lines(Container& c, const std::string& label, const std::vector<std::string>& lines);

// The fault-injection build of the module (CGFS_FAULT_MODULE, set by meson), or "".
std::string fault_module();
// Where a driver started with CGFS_FAULT_TRACE=<kTrace> lists its fault points, one a line:
// "<count> <op> <name>" (lib/fault.hpp).
inline constexpr const char* kTrace = "/tmp/cgfs-fault-trace";
size_t trace_lines();
// The count of the first traced point whose "<op> <name>" is `what`; throws when there is none.
std::string trace_point(const std::string& what);

// Removes BASE/user in every hierarchy (empty once the sessions are gone), so a run starts from
// the state of a first login ever. Whatever is still there stays and shows in the snapshot.
void remove_base_user(Container& c, const std::vector<std::string>& keys);

// ---- in the test process --------------------------------------------------------------------

// LOG_DEBUG lines (module option `debug`) that contain `needle`: "; retrying" counts creation
// attempts restarted because a concurrent login or close removed a fresh cgroup, ": stale,
// removed" counts reaped cgroups.
size_t debug_count(const Report& r, const std::string& needle);

// "key:/path" -> pids, from an emit_procs() record.
std::map<std::string, std::set<std::string>> procs_of(const DriverOutput& d);

// Directories at or below /user/<user> in hierarchy `key` of the snapshot.
std::set<std::string> user_tree(const Snapshot& s, const std::string& key, const std::string& user);

// The session index of `leaf` ("/user/alice/7" or "/user/alice/7/<kSessionLeaf>"), or -1.
int index_of_leaf(const std::string& key, const std::string& user, const std::string& leaf);

// Each driver of `labels` (user `user`) opened with PAM_SUCCESS, sits in a session leaf of its own
// in every hierarchy of `keys` (one index for all of them, distinct across drivers), and that leaf
// holds exactly its process (per the procs record). Returns the indices.
std::set<int> check_alone(const Report& r, const DriverOutput& procs, const std::vector<std::string>& labels,
                          const std::vector<std::string>& keys, const std::string& user);

} // namespace cgfs_test
