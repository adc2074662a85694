// A C host (like sshd: no libstdc++ of its own) whose malloc fails once, at the N-th call
// after pam_open_session starts, for N = 1, 2, ... until an open runs without reaching N.
// After every round: the process must be back in its cgroups of before, and nothing of alice's
// may be left (user/alice gone). Exercises the module's own static C++ runtime (exception
// allocation, emergency pool, unwinding through its static libgcc) under allocation failure.
// Found in review: the host segfaulted at about the 512th point on hybrid and v1 (a bad_alloc
// while the session records were being moved out left the undo reading a moved-from record).
// Run inside cgfs-sandbox by oom-test.sh: oom_host CONFDIR SERVICE USER CGROUP_MOUNT...
// Exit 0 when every point was tried and each left the process home and nothing of the user.
#include <security/pam_appl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pwd.h>

extern void* __libc_malloc(size_t);
extern void* __libc_calloc(size_t, size_t);
extern void* __libc_realloc(void*, size_t);
static long countdown = -1; // fail when it reaches 0
static long calls = 0;
static int hit = 0;
static int fail_now(void)
{
    if (countdown < 0)
        return 0;
    ++calls;
    if (--countdown == 0) {
        hit = 1;
        return 1;
    }
    return 0;
}
void* malloc(size_t n)
{
    if (fail_now()) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_malloc(n);
}
void* calloc(size_t a, size_t b)
{
    if (fail_now()) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_calloc(a, b);
}
void* realloc(void* p, size_t n)
{
    if (fail_now()) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_realloc(p, n);
}

static int conv(int n, const struct pam_message** m, struct pam_response** r, void* d)
{
    (void)n;
    (void)m;
    (void)r;
    (void)d;
    return PAM_CONV_ERR;
}
static void read_cgroup(char* buf, size_t size)
{
    FILE* f = fopen("/proc/self/cgroup", "r");
    size_t got = fread(buf, 1, size - 1, f);
    buf[got] = 0;
    fclose(f);
}

int main(int argc, char** argv)
{
    char before[4096], after[4096], path[512];
    read_cgroup(before, sizeof before);
    (void)getpwnam(argv[3]); // NSS state made before any failure: glibc crashes when that allocation fails
    int codes[64] = {0};
    int bad = 0;
    long n;
    for (n = 1; n < 100000; ++n) {
        struct pam_conv c = {conv, NULL};
        pam_handle_t* h = NULL;
        if (pam_start_confdir(argv[2], argv[3], &c, argv[1], &h) != PAM_SUCCESS) {
            printf("pam_start failed\n");
            return 1;
        }
        hit = 0;
        calls = 0;
        countdown = n;
        int rc = pam_open_session(h, 0);
        countdown = -1;
        if (rc >= 0 && rc < 64)
            codes[rc]++;
        // The module returns PAM_SUCCESS, PAM_BUF_ERR or PAM_SESSION_ERR (pam_cgfs(8)); libpam
        // itself answers PAM_SYSTEM_ERR when its own allocation for the call fails.
        if (rc != PAM_SUCCESS && rc != PAM_BUF_ERR && rc != PAM_SESSION_ERR && rc != PAM_SYSTEM_ERR) {
            printf("N=%ld: open returned %d (%s)\n", n, rc, pam_strerror(h, rc));
            bad = 1;
        }
        int rc2 = pam_close_session(h, 0);
        pam_end(h, rc2);
        read_cgroup(after, sizeof after);
        if (strcmp(before, after) != 0) {
            printf("N=%ld (open rc %d): not back home:\n%s", n, rc, after);
            bad = 1;
        }
        for (int i = 4; i < argc; ++i) {
            snprintf(path, sizeof path, "%s/user/alice", argv[i]);
            if (access(path, F_OK) == 0) {
                printf("N=%ld (open rc %d, close rc %d): %s left\n", n, rc, rc2, path);
                bad = 1;
                rmdir(path);
            }
        }
        if (bad)
            break;
        if (!hit)
            break; // this open made fewer than n allocations: every point was tried
    }
    printf("tried failing allocation 1..%ld of an open; open codes:", n - 1);
    for (int i = 0; i < 64; ++i)
        if (codes[i])
            printf(" %d:%s x%d", i, i == 0 ? "SUCCESS" : i == 5 ? "BUF_ERR" : i == 14 ? "SESSION_ERR" : "?", codes[i]);
    printf("\n");
    return bad;
}
