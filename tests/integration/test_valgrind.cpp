// Valgrind (memcheck) over 1,000 complete sessions in one process (issue 4): cycle_driver runs
// pam_start_confdir/open/close/pam_end 1,000 times against the built module in a throwaway
// container, the module pinned in memory (cycle_driver --pin: valgrind re-reads a module's debug
// information at every load, which made 1,000 unpinned cycles take over 15 minutes here); 50
// more cycles without the pin cover loading and unloading the module at every pam_start/pam_end. Asserts, from valgrind's own output: 0 bytes definitely and indirectly lost, 0
// memcheck errors (--error-exitcode), and from the driver: every call succeeded, the process was
// moved and moved back each time, and the descriptors open after the last pam_end are exactly
// those open before the first pam_start; afterwards nothing of alice's is left.
// Skips (77) in a sanitizer build: valgrind cannot run ASan-instrumented code.
#include "expect.hpp"
#include "util.hpp"

#include <catch2/catch.hpp>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

using namespace cgfs_test;

#ifndef CGFS_SANITIZE
#error "CGFS_SANITIZE must be 0 or 1"
#endif

namespace {

constexpr long kPinnedCycles = 1000;
constexpr long kUnpinnedCycles = 50;
constexpr const char* kValgrind = "/usr/bin/valgrind";
constexpr auto kTimeout = std::chrono::seconds(900);

std::string env_path(const char* name)
{
    const char* v = std::getenv(name);
    return v != nullptr ? v : "";
}

// Runs argv with stdout to `out_path`; returns the exit code (128+signal when killed).
int run_to_file(const std::vector<std::string>& argv, const std::string& out_path)
{
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid < 0)
        throw_errno("fork");
    if (pid == 0) {
        int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || ::dup2(fd, STDOUT_FILENO) < 0)
            ::_exit(126);
        std::vector<char*> cargv;
        for (const auto& a : argv)
            cargv.push_back(const_cast<char*>(a.c_str()));
        cargv.push_back(nullptr);
        char path_env[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
        char* envp[] = {path_env, nullptr};
        ::execve(cargv[0], cargv.data(), envp);
        ::_exit(127);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The number right after `label` in valgrind's log, without thousands separators
// ("definitely lost: 1,024 bytes" -> 1024); -1 when the label is missing. (No std::regex: with
// ASan at -O2, g++ 12 reports maybe-uninitialized inside <regex>, an error under -Werror.)
long logged_number(const std::string& log, const std::string& label)
{
    size_t pos = log.find(label);
    if (pos == std::string::npos)
        return -1;
    std::string digits;
    for (pos += label.size(); pos < log.size(); ++pos) {
        const char c = log[pos];
        if (std::isdigit(static_cast<unsigned char>(c)) == 0 && c != ',')
            break;
        if (c != ',')
            digits += c;
    }
    return digits.empty() ? -1 : std::stol(digits);
}

long leak_bytes(const std::string& log, const std::string& kind)
{
    // With no leak at all, memcheck prints this line instead of a LEAK SUMMARY.
    if (log.find("All heap blocks were freed -- no leaks are possible") != std::string::npos)
        return 0;
    return logged_number(log, kind + ": ");
}

void cycles(Layout layout, long count, bool pin)
{
    auto prof = core_profile(layout);
    const std::string driver = env_path("CGFS_CYCLE_DRIVER");
    auto r = run_scenario(
        layout,
        [&](Container& c) {
            c.service("cgfs-cycles", prof.args);
            c.snapshot("before");
            std::vector<std::string> argv = {kValgrind,
                                             "--error-exitcode=99",
                                             "--leak-check=full",
                                             "--errors-for-leak-kinds=definite,indirect",
                                             "--show-leak-kinds=definite,indirect",
                                             "--log-file=/tmp/valgrind.log",
                                             driver,
                                             "--confdir",
                                             Container::confdir(),
                                             "--service",
                                             "cgfs-cycles",
                                             "--user",
                                             "alice",
                                             "--cycles",
                                             std::to_string(count)};
            if (pin)
                argv.insert(argv.end(), {"--pin", module_path()});
            const int rc = run_to_file(argv, "/tmp/cycles.out");
            c.emit("@@driver cycles\n" + read_file("/tmp/cycles.out") + "exit=" + std::to_string(rc) + "\n");
            c.emit("@@driver valgrind\n" + read_file("/tmp/valgrind.log"));
            c.snapshot("after");
        },
        kTimeout);
    check_ran(r);
    const auto& d = r.driver("cycles");
    std::string log;
    for (const auto& l : r.driver("valgrind").lines)
        log += l + "\n";
    INFO("cycle_driver:\n"
         <<
         [&] {
             std::string t;
             for (const auto& l : d.lines)
                 t += "  " + l + "\n";
             return t;
         }()
         << "valgrind log:\n"
         << log);
    const long definite = leak_bytes(log, "definitely lost");
    const long indirect = leak_bytes(log, "indirectly lost");
    const long errors = logged_number(log, "ERROR SUMMARY: ");
    std::printf("valgrind (%s): %ld cycles (module %s), definitely lost %ld bytes, indirectly "
                "lost %ld bytes, %ld errors; fds before {%s}, after {%s}\n",
                layout_name(layout), count, pin ? "pinned" : "loaded at every pam_start", definite, indirect, errors,
                d.value("fds_before").c_str(), d.value("fds_after").c_str());
    CHECK(d.code("exit") == 0); // --error-exitcode=99: any memcheck error or definite/indirect leak
    CHECK(definite == 0);
    CHECK(indirect == 0);
    CHECK(errors == 0);
    CHECK(d.value("cycles") == std::to_string(count));
    CHECK(d.value("start_failures") == "0");
    CHECK(d.value("open_failures") == "0");
    CHECK(d.value("close_failures") == "0");
    CHECK(d.value("end_failures") == "0");
    CHECK(d.value("moved") == std::to_string(count));
    CHECK(d.value("returned") == std::to_string(count));
    CHECK_FALSE(d.value("fds_before").empty());
    CHECK(d.value("fds_after") == d.value("fds_before"));
    for (const auto& key : prof.keys)
        check_no_session(r.snap("after"), key, "alice", true);
    check_log(r, LOG_ERR, 0);
}

} // namespace

int cgfs_test_precheck(int, char**);

int cgfs_test_precheck(int, char**)
{
    if (CGFS_SANITIZE) {
        std::fprintf(stderr, "SKIP: valgrind cannot run code built with ASan/UBSan; the plain "
                             "build runs this test\n");
        return 77;
    }
    std::string why = sandbox_unavailable_reason();
    if (!why.empty()) {
        std::fprintf(stderr, "SKIP: the valgrind test needs a throwaway container: %s\n", why.c_str());
        return 77;
    }
    for (const auto& [var, path] :
         {std::pair{"CGFS_MODULE", module_path()}, std::pair{"CGFS_CYCLE_DRIVER", env_path("CGFS_CYCLE_DRIVER")},
          std::pair{"valgrind", std::string(kValgrind)}}) {
        if (path.empty() || ::access(path.c_str(), R_OK) != 0) {
            std::fprintf(stderr,
                         "FAIL: %s ('%s') is missing (tests/install-deps installs "
                         "valgrind; run through meson test)\n",
                         var, path.c_str());
            return 1;
        }
    }
    return -1;
}

TEST_CASE("valgrind: 1,000 open/close cycles in one process lose nothing (hybrid)", "[valgrind]")
{
    cycles(Layout::hybrid, kPinnedCycles, true);
}

TEST_CASE("valgrind: 1,000 open/close cycles in one process lose nothing (v2)", "[valgrind]")
{
    cycles(Layout::v2, kPinnedCycles, true);
}

TEST_CASE("valgrind: 50 cycles loading the module each time lose nothing (hybrid)", "[valgrind]")
{
    cycles(Layout::hybrid, kUnpinnedCycles, false);
}
