// Test NSS module "cgfsalias" (libnss_cgfsalias.so.2, never installed): answers getpwnam(3) for
// any spelling of "alice" that differs only in case with alice's entry, pw_name "alice", as a
// case-insensitive directory service does. A scenario names it in the container's
// nsswitch.conf ("passwd: files cgfsalias") and puts its directory in the driver's
// LD_LIBRARY_PATH.
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <nss.h>
#include <pwd.h>
#include <strings.h>

extern "C" __attribute__((visibility("default"))) nss_status
_nss_cgfsalias_getpwnam_r(const char* name, passwd* pw, char* buffer, std::size_t buflen, int* errnop)
{
    if (name == nullptr || ::strcasecmp(name, "alice") != 0)
        return NSS_STATUS_NOTFOUND;
    const char* const fields[] = {"alice", "x", "", "/home/alice", "/bin/sh"};
    char* out[5] = {};
    std::size_t used = 0;
    for (std::size_t i = 0; i < 5; ++i) {
        const std::size_t n = std::strlen(fields[i]) + 1;
        if (used + n > buflen) {
            *errnop = ERANGE;
            return NSS_STATUS_TRYAGAIN;
        }
        std::memcpy(buffer + used, fields[i], n);
        out[i] = buffer + used;
        used += n;
    }
    pw->pw_name = out[0];
    pw->pw_passwd = out[1];
    pw->pw_gecos = out[2];
    pw->pw_dir = out[3];
    pw->pw_shell = out[4];
    pw->pw_uid = 1000;
    pw->pw_gid = 1000;
    return NSS_STATUS_SUCCESS;
}
