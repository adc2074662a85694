// pam_cgfs: PAM session module that gives each login its own delegated cgroup in every selected
// hierarchy (man pam_cgfs(8)). A thin adapter: parse argv, resolve the user, call lib/, turn each
// error into one pam_syslog line and one PAM code. Nothing throws across the C ABI.
#include "hierarchy.hpp"
#include "limits.hpp"
#include "options.hpp"
#include "selection.hpp"
#include "session.hpp"
#include "systemd_unit.hpp"
#include "user_name.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <syslog.h>
#include <unistd.h>
#include <vector>

#define PAM_SM_SESSION
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <security/pam_modutil.h>

namespace {

/// pam_set_data key for what close needs from open (pam_cgfs(8) "Closing and stale sessions").
constexpr const char* kDataName = "pam_cgfs_session";

/// One log line through pam_syslog (never openlog in the host process), control characters
/// escaped so no input can forge or split a line.
class Log {
public:
    Log(pam_handle_t* pamh, bool debug) : pamh_(pamh), debug_(debug) {}

    void error(const std::string& text) const { emit(LOG_ERR, text); }
    void warning(const std::string& text) const { emit(LOG_WARNING, text); }
    void notice(const std::string& text) const { emit(LOG_NOTICE, text); }
    void debug(const std::string& text) const
    {
        if (debug_)
            emit(LOG_DEBUG, text);
    }
    void notes(const cgfs::Notes& notes) const
    {
        for (const auto& note : notes) {
            if (note.level == cgfs::Note::Level::notice)
                notice(note.text);
            else
                debug(note.text);
        }
    }

private:
    void emit(int priority, const std::string& text) const
    {
        pam_syslog(pamh_, priority, "%s", cgfs::escape_control(text).c_str());
    }

    pam_handle_t* pamh_;
    bool debug_;
};

std::vector<std::string_view> arguments(int argc, const char** argv)
{
    std::vector<std::string_view> args;
    for (int i = 0; i < argc; ++i)
        if (argv[i] != nullptr)
            args.emplace_back(argv[i]);
    return args;
}

/// Parses argv and logs what is wrong with it. False when the line is unusable.
bool read_options(const cgfs::ModuleOptions& options, const Log& log)
{
    for (const auto& token : options.unknown)
        log.error("unknown option " + token + " ignored");
    for (const auto& problem : options.list.invalid)
        log.error(problem);
    if (options.fatal) {
        log.error(*options.fatal);
        return false;
    }
    return true;
}

/// The PAM_USER item, or nullptr (pam_get_item(3); a session module does not prompt).
const char* pam_user(pam_handle_t* pamh)
{
    const void* item = nullptr;
    if (pam_get_item(pamh, PAM_USER, &item) != PAM_SUCCESS)
        return nullptr;
    return static_cast<const char*>(item);
}

/// The PAM_SERVICE item, or "".
std::string_view pam_service(pam_handle_t* pamh)
{
    const void* item = nullptr;
    if (pam_get_item(pamh, PAM_SERVICE, &item) != PAM_SUCCESS || item == nullptr)
        return {};
    return static_cast<const char*>(item);
}

std::string quoted(std::string_view name)
{
    return "'" + std::string(name) + "'";
}

/// The record kept by open, or nullptr.
const void* session_data(pam_handle_t* pamh)
{
    const void* data = nullptr;
    if (pam_get_data(pamh, kDataName, &data) != PAM_SUCCESS)
        return nullptr;
    return data;
}

void cleanup_record(pam_handle_t*, void* data, int)
{
    // Runs in forked children too (sshd): only frees memory, never touches cgroups.
    delete static_cast<cgfs::SessionRecord*>(data);
}

std::string describe(const cgfs::SessionRecord& record)
{
    std::string text = "user " + record.user.name + ": session opened:";
    for (const auto& h : record.hierarchies) {
        text += ' ';
        text += h.label + ":" + h.leaf;
        if (h.placement == cgfs::Placement::systemd_in_place)
            text += " (systemd, delegated in place)";
        else if (h.placement == cgfs::Placement::systemd_scope)
            text += " (systemd session scope, Delegate=yes)";
        else if (h.placement == cgfs::Placement::already_delegated)
            text += " (already delegated)";
    }
    return text;
}

/// The limits of cgfs.conf(5) in force for the user. A bad line is logged (LOG_WARNING, as
/// pam_limits does) with its line number and skipped, the first kMaxProblemsLogged one by one,
/// the rest as one count; a missing file means no limits; a file that
/// cannot be read is one LOG_ERR line and no limits (the session still opens).
std::vector<cgfs::LimitRule> user_limits(pam_handle_t* pamh, const std::string& path, const char* user, uid_t uid,
                                         const Log& log)
{
    auto config = cgfs::read_limits(path);
    if (!config.ok()) {
        log.error(config.error().message() + "; no limits applied");
        return {};
    }
    const auto& problems = config.value().problems;
    for (std::size_t i = 0; i < problems.size() && i < cgfs::kMaxProblemsLogged; ++i)
        log.warning(path + ": " + problems[i].text + "; skipped");
    if (problems.size() > cgfs::kMaxProblemsLogged)
        log.warning(path + ": " + std::to_string(problems.size() - cgfs::kMaxProblemsLogged) +
                    " more bad lines skipped (cgfsctl check lists them all)");
    const cgfs::LimitSubject subject{user, uid, [&](std::string_view group) {
                                         return pam_modutil_user_in_group_nam_nam(pamh, user,
                                                                                  std::string(group).c_str()) != 0;
                                     }};
    return cgfs::limits_for(config.value(), subject);
}

void close_recorded(pam_handle_t* pamh, const cgfs::ModuleOptions& options, const cgfs::SessionRecord* record,
                    const Log& log);

/// pam_cgfs(8) RETURN VALUES: a handle holds one session. The one still open on it would be lost
/// when this open records its own (pam_set_data replaces it), and its cgroups and process left
/// behind: it is closed first.
void close_previous(pam_handle_t* pamh, const cgfs::ModuleOptions& options, const char* user, const Log& log)
{
    const auto* previous = static_cast<const cgfs::SessionRecord*>(session_data(pamh));
    if (previous == nullptr)
        return;
    log.notice("user " + quoted(previous->user.name) + ": the session still open on this PAM handle is closed " +
               "before another one opens" + (user != nullptr ? " for " + quoted(user) : std::string()));
    close_recorded(pamh, options, previous, log);
}

/// The account PAM_USER names, as the user database spells it (pam_cgfs(8) SECURITY: one account,
/// one tree; a name service may match PAM_USER case-insensitively or by alias). nullopt, after
/// one LOG_ERR line, for a missing or invalid name, an unknown or unreadable entry, or uid/gid -1.
std::optional<cgfs::UserIdentity> resolve_account(pam_handle_t* pamh, const char* user, const Log& log)
{
    if (user == nullptr) {
        log.error("no user: the PAM_USER item is not set");
        return std::nullopt;
    }
    if (auto valid = cgfs::validate_user_name(user); !valid.ok()) {
        log.error("refusing session: " + valid.error().message());
        return std::nullopt;
    }
    errno = 0;
    const passwd* pw = pam_modutil_getpwnam(pamh, user);
    const int lookup_errno = errno;
    if (pw == nullptr) {
        // getpwnam(3): no entry gives errno 0, ENOENT, ESRCH, EBADF or EPERM; any other value is
        // a failing name service (nsswitch.conf(5)), which is what an administrator looks for.
        if (lookup_errno == 0 || lookup_errno == ENOENT || lookup_errno == ESRCH || lookup_errno == EBADF ||
            lookup_errno == EPERM)
            log.error("user " + quoted(user) + ": not found in the user database");
        else
            log.error("user " + quoted(user) + ": the user database could not be read: " + std::strerror(lookup_errno));
        return std::nullopt;
    }
    const std::string account = pw->pw_name != nullptr ? pw->pw_name : "";
    if (account != user) {
        if (auto valid = cgfs::validate_user_name(account); !valid.ok()) {
            log.error("user " + quoted(user) + ": refusing session: the user database returns the name " +
                      quoted(account) + ": " + valid.error().message());
            return std::nullopt;
        }
        log.debug("user " + quoted(user) + ": the user database calls this account " + quoted(account));
    }
    // chown(2): -1 leaves an owner unchanged, so such an entry would get root's cgroups.
    if (pw->pw_uid == static_cast<uid_t>(-1) || pw->pw_gid == static_cast<gid_t>(-1)) {
        log.error("user " + quoted(account) + ": refusing session: uid " + std::to_string(pw->pw_uid) + ", gid " +
                  std::to_string(pw->pw_gid) + " in the user database (-1 is no owner, chown(2))");
        return std::nullopt;
    }
    return cgfs::UserIdentity{account, pw->pw_uid, pw->pw_gid};
}

/// Creating, chowning and moving into cgroups is root's work (in a container: the container's
/// root). Refused up front, an unprivileged caller cannot end up half-moved into cgroups that the
/// user happens to own already. False, after one LOG_ERR line, when the caller is not root.
bool caller_is_root(const cgfs::UserIdentity& user, const Log& log)
{
    if (::geteuid() == 0)
        return true;
    log.error("user " + quoted(user.name) + ": the caller is not root (euid " + std::to_string(::geteuid()) +
              "), so it cannot create and delegate cgroups");
    return false;
}

/// pam_cgfs(8) "The systemd user manager": user@<uid>.service is Delegate=yes, so its cgroups are
/// the user's already, and its close runs in (sd-pam) after dropping to the user's uid, where
/// nothing could be moved out or removed. It gets no session, so it holds no index.
bool is_user_manager(pam_handle_t* pamh, const cgfs::Discovery& discovery, const cgfs::UserIdentity& user,
                     const Log& log)
{
    if (pam_service(pamh) != cgfs::kUserManagerService && !cgfs::in_own_user_manager(discovery, user.uid))
        return false;
    log.debug("user " + quoted(user.name) + ": systemd user manager (service " + std::string(pam_service(pamh)) +
              "): no session, its cgroup is delegated by systemd");
    return true;
}

/// Keeps the opened session's record on the handle for close and logs how the open went. The
/// session is open: logging is best effort from here on.
void keep_record(pam_handle_t* pamh, std::unique_ptr<cgfs::SessionRecord> kept, const cgfs::OpenedSession& opened,
                 const cgfs::Notes& notes, const Log& log)
{
    const cgfs::SessionRecord& record = *kept; // alive until pam_end, or until we return
    const bool stored = pam_set_data(pamh, kDataName, kept.get(), cleanup_record) == PAM_SUCCESS;
    if (stored)
        (void)kept.release(); // owned by the PAM handle now; cleanup_record frees it
    try {
        log.notes(notes);
        log.debug(stored ? describe(record)
                         : "pam_set_data failed; close will find the session from /proc/self/cgroup");
        // cgfs.conf(5): on user/<name>, whose limit files stay root's, so they bind every session
        // of the user. A refused write does not undo the login (the previous value stays).
        log.notes(opened.limit_notes);
        for (const auto& error : opened.limit_errors)
            log.error("user " + quoted(record.user.name) + ": limit not applied: " + error.message());
    } catch (const std::bad_alloc&) {}
}

int open_session(pam_handle_t* pamh, int argc, const char** argv)
{
    const cgfs::ModuleOptions options = cgfs::parse_module_options(arguments(argc, argv));
    const Log log(pamh, options.debug);
    if (!read_options(options, log))
        return PAM_SESSION_ERR;
    const char* user = pam_user(pamh);
    close_previous(pamh, options, user, log);
    const auto account = resolve_account(pamh, user, log);
    if (!account || !caller_is_root(*account, log))
        return PAM_SESSION_ERR;
    auto found = cgfs::discover_and_select(options.list);
    if (!found.ok()) {
        log.error("user " + quoted(account->name) + ": " + found.error().message());
        return PAM_SESSION_ERR;
    }
    const cgfs::Discovery& discovery = found.value().discovery;
    const cgfs::Selection& selection = found.value().selection;
    log.notes(discovery.notes);
    log.notes(selection.notes);
    if (is_user_manager(pamh, discovery, *account, log))
        return PAM_SUCCESS;
    if (selection.chosen.empty()) {
        log.error("user " + quoted(account->name) + ": no cgroup hierarchy selected (layout " +
                  std::string(cgfs::layout_name(discovery.layout)) + ")");
        return PAM_SESSION_ERR;
    }
    cgfs::OpenParams params;
    params.user = *account;
    params.pid = ::getpid();
    ::clock_gettime(CLOCK_REALTIME_COARSE, &params.started);
    params.limits = user_limits(pamh, options.config, account->name.c_str(), account->uid, log);
    // Allocated before the session exists, so that nothing after a successful open can fail for
    // want of memory (moving the record in does not allocate).
    auto kept = std::make_unique<cgfs::SessionRecord>();
    cgfs::Notes notes;
    auto opened = cgfs::open_session(discovery, selection, params, notes);
    if (!opened.ok()) {
        log.notes(notes);
        log.error("user " + quoted(account->name) + ": " + opened.error().message());
        return PAM_SESSION_ERR;
    }
    *kept = std::move(opened.value().record);
    keep_record(pamh, std::move(kept), opened.value(), notes, log);
    return PAM_SUCCESS;
}

/// Closes the session `record` describes (nullptr: the one found from /proc/self/cgroup for
/// PAM_USER) and forgets the record kept on the handle (pam_cgfs(8) RETURN VALUES: a second close does nothing
/// twice). Never fails.
void close_recorded(pam_handle_t* pamh, const cgfs::ModuleOptions& options, const cgfs::SessionRecord* record,
                    const Log& log)
{
    // With the record from open, the hierarchies are found again where open saw them, without
    // reading mountinfo; if a mount changed since, as on a close without a record, by discover().
    std::optional<cgfs::Discovery> known;
    if (record != nullptr) {
        known = cgfs::rediscover(*record);
        if (!known)
            log.debug("close: a hierarchy is not mounted as at open; reading mountinfo again");
    }
    if (!known) {
        auto discovery = cgfs::discover();
        if (!discovery.ok()) {
            log.debug("close: " + discovery.error().message());
            return;
        }
        log.notes(discovery.value().notes);
        known = std::move(discovery).value();
    }
    const cgfs::Discovery& discovery = *known;
    cgfs::Notes notes;
    if (record != nullptr) {
        cgfs::close_session(discovery, *record, ::getpid(), notes);
    } else {
        const char* user = pam_user(pamh);
        if (user == nullptr || !cgfs::validate_user_name(user).ok()) {
            log.debug("close: no session record and no valid user; nothing to do");
            return;
        }
        const cgfs::Selection selection = cgfs::select_hierarchies(discovery, options.list);
        const cgfs::SessionRecord found = cgfs::find_session(discovery, selection, {user, 0, 0});
        log.debug("close: no session record; found " + std::to_string(found.hierarchies.size()) +
                  " session cgroups of " + quoted(user) + " holding this process");
        cgfs::close_session(discovery, found, ::getpid(), notes);
    }
    log.notes(notes);
    if (record != nullptr)
        (void)pam_set_data(pamh, kDataName, nullptr, nullptr);
}

int close_session(pam_handle_t* pamh, int argc, const char** argv)
{
    const cgfs::ModuleOptions options = cgfs::parse_module_options(arguments(argc, argv));
    const Log log(pamh, options.debug);
    if (!read_options(options, log))
        return PAM_SESSION_ERR;
    const auto* record = static_cast<const cgfs::SessionRecord*>(session_data(pamh));
    if (record == nullptr && pam_service(pamh) == cgfs::kUserManagerService) {
        log.debug("close: systemd user manager: no session to close");
        return PAM_SUCCESS;
    }
    close_recorded(pamh, options, record, log);
    return PAM_SUCCESS;
}

/// The one try/catch per entry point: no exception crosses the C ABI.
template <typename Body> int guarded(pam_handle_t* pamh, Body body) noexcept
{
    try {
        return body();
    } catch (const std::bad_alloc&) {
        pam_syslog(pamh, LOG_CRIT, "out of memory");
        return PAM_BUF_ERR;
    } catch (...) {
        pam_syslog(pamh, LOG_ERR, "internal error");
        return PAM_SESSION_ERR;
    }
}

} // namespace

#if CGFS_STATIC_CXX_RUNTIME
// This build carries its own copy of the C++ runtime (pam/meson.build: -static-libstdc++), so
// that loading it does not load and relocate libstdc++ into every sshd, su and cron process.
// That copy mallocs its exception emergency pool when the module is loaded and never frees it,
// and libpam loads and unloads the module with every handle: freed here, at unload, or each
// pam_start/pam_end pair would leak it. __freeres is libstdc++'s own hook for this (GCC
// libsupc++/eh_alloc.cc); it is not in a public header.
namespace __gnu_cxx {
void __freeres() noexcept; // NOLINT(bugprone-reserved-identifier): libstdc++'s own name
} // namespace __gnu_cxx

namespace {

__attribute__((destructor)) void release_cxx_runtime()
{
    __gnu_cxx::__freeres();
}

} // namespace
#endif

extern "C" {

__attribute__((visibility("default"))) int pam_sm_open_session(pam_handle_t* pamh, int /*flags*/, int argc,
                                                               const char** argv)
{
    return guarded(pamh, [&] { return open_session(pamh, argc, argv); });
}

__attribute__((visibility("default"))) int pam_sm_close_session(pam_handle_t* pamh, int /*flags*/, int argc,
                                                                const char** argv)
{
    return guarded(pamh, [&] { return close_session(pamh, argc, argv); });
}

} // extern "C"
