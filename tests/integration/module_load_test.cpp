// The module loads completely, everywhere. A program linked only with libpam (and the C++
// runtime) dlopens the built module with RTLD_NOW|RTLD_LOCAL, resolves both entry points, and
// checks the dynamic symbol table (exactly the two exports), `ldd -r` (no undefined symbol) and
// DT_NEEDED (libpam, libc, ld.so; the C++ runtime and libasan/libubsan too in a sanitizer build).
// No container needed: nothing is called.

#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

#include <dlfcn.h>
#include <unistd.h>

namespace {

int failures = 0;

void fail(const std::string& what)
{
    std::fprintf(stderr, "FAIL: %s\n", what.c_str());
    ++failures;
}

std::string run(const std::string& cmd)
{
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "re");
    if (p == nullptr) {
        fail("popen " + cmd);
        return out;
    }
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
        out.append(buf, n);
    int status = ::pclose(p);
    if (status != 0)
        fail(cmd + " exited with status " + std::to_string(status));
    return out;
}

std::string quote(const std::string& s)
{
    std::string q = "'";
    for (char c : s)
        q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

} // namespace

int main()
{
    const char* env = std::getenv("CGFS_MODULE");
    if (env == nullptr || ::access(env, R_OK) != 0) {
        std::fprintf(stderr, "FAIL: CGFS_MODULE is not set to a readable module\n");
        return 1;
    }
    const std::string module = env;

    void* handle = ::dlopen(module.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        fail(std::string("dlopen: ") + ::dlerror());
    } else {
        for (const char* sym : {"pam_sm_open_session", "pam_sm_close_session"})
            if (::dlsym(handle, sym) == nullptr)
                fail(std::string("dlsym ") + sym + ": " + ::dlerror());
        ::dlclose(handle);
    }

    // Exactly the two entry points are exported ('A' lines are version nodes, not symbols).
    std::set<std::string> exported;
    std::string nm = run("nm -D --defined-only " + quote(module));
    size_t pos = 0;
    while (pos < nm.size()) {
        size_t end = nm.find('\n', pos);
        if (end == std::string::npos)
            end = nm.size();
        std::string line = nm.substr(pos, end - pos);
        pos = end + 1;
        size_t a = line.find(' ');
        size_t b = a == std::string::npos ? a : line.find(' ', a + 1);
        if (b == std::string::npos)
            continue;
        std::string type = line.substr(a + 1, b - a - 1);
        if (type != "A")
            exported.insert(line.substr(b + 1));
    }
    const std::set<std::string> want = {"pam_sm_close_session", "pam_sm_open_session"};
    if (exported != want) {
        std::string got;
        for (const auto& s : exported)
            got += " " + s;
        fail("exported symbols:" + got);
    }

    std::string ldd = run("ldd -r " + quote(module) + " 2>&1");
    if (ldd.find("undefined symbol") != std::string::npos || ldd.find("not found") != std::string::npos)
        fail("ldd -r:\n" + ldd);

    // The C++ runtime is linked in statically outside sanitizer builds (pam/meson.build); its
    // thread-local exception state needs the dynamic loader's __tls_get_addr.
    std::set<std::string> allowed = {"libpam.so.0", "libc.so.6", "ld-linux-x86-64.so.2"};
#if CGFS_SANITIZE
    allowed.insert({"libstdc++.so.6", "libgcc_s.so.1", "libm.so.6", "libasan.so.8", "libubsan.so.1"});
#endif
    std::string dyn = run("readelf -d --wide " + quote(module));
    pos = 0;
    while ((pos = dyn.find("(NEEDED)", pos)) != std::string::npos) {
        size_t open = dyn.find('[', pos);
        size_t close = dyn.find(']', open);
        if (open == std::string::npos || close == std::string::npos)
            break;
        std::string lib = dyn.substr(open + 1, close - open - 1);
        if (allowed.count(lib) == 0)
            fail("DT_NEEDED " + lib + " is not allowed");
        pos = close;
    }
    if (failures == 0)
        std::printf("module %s: loads with RTLD_NOW, exports exactly the two entry points, "
                    "needs only allowed libraries\n",
                    module.c_str());
    return failures == 0 ? 0 : 1;
}
