// Unit tests for lib/systemd_unit.hpp: where a cgroup lies in a user's systemd slice, and
// systemd's delegation mark read from a directory's xattrs.
#include "systemd_unit.hpp"

#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/xattr.h>

using cgfs::classify_systemd_cgroup;
using cgfs::SystemdCgroup;

TEST_CASE("systemd_unit: logind's session scope of the user's own slice", "[systemd_unit]")
{
    CHECK(classify_systemd_cgroup("/user.slice/user-1000.slice/session-4.scope", "/", 1000) ==
          SystemdCgroup::session_scope);
    CHECK(classify_systemd_cgroup("/user.slice/user-1000.slice/session-c12.scope", "/", 1000) ==
          SystemdCgroup::session_scope);
    CHECK(classify_systemd_cgroup("/lxc/c1/user.slice/user-0.slice/session-1.scope", "/lxc/c1", 0) ==
          SystemdCgroup::session_scope);
    CHECK(classify_systemd_cgroup("/user.slice/user-1000.slice/session-4.scope/init.scope", "/", 1000) ==
          SystemdCgroup::session_leaf);
    CHECK(classify_systemd_cgroup("/user.slice/user-1000.slice/session-4.scope/c1", "/", 1000) == SystemdCgroup::other);
}

TEST_CASE("systemd_unit: the user manager is user@<uid>.service of the same uid", "[systemd_unit]")
{
    CHECK(classify_systemd_cgroup("/user.slice/user-1000.slice/user@1000.service", "/", 1000) ==
          SystemdCgroup::user_manager);
    CHECK(classify_systemd_cgroup("/user.slice/user-1000.slice/user@1000.service/app.slice/x.service", "/", 1000) ==
          SystemdCgroup::other);
    CHECK(classify_systemd_cgroup("/user.slice/user-1000.slice/user@1001.service", "/", 1000) == SystemdCgroup::other);
    CHECK(classify_systemd_cgroup("/user.slice/user-1000.slice/user@01000.service", "/", 1000) == SystemdCgroup::other);
}

TEST_CASE("systemd_unit: other uids, look-alikes and names that are not logind's are foreign", "[systemd_unit]")
{
    CHECK(classify_systemd_cgroup("/user.slice/user-1001.slice/session-4.scope", "/", 1000) == SystemdCgroup::foreign);
    CHECK(classify_systemd_cgroup("/user.slice/user-01000.slice/session-4.scope", "/", 1000) == SystemdCgroup::foreign);
    CHECK(classify_systemd_cgroup("/srv/user.slice/user-1000.slice/session-4.scope", "/", 1000) ==
          SystemdCgroup::foreign);
    CHECK(classify_systemd_cgroup("/user.slice/user-1000.slice", "/", 1000) == SystemdCgroup::foreign);
    CHECK(classify_systemd_cgroup("/user.slice/user-1000.slice/session-.scope", "/", 1000) == SystemdCgroup::other);
    CHECK(classify_systemd_cgroup("/user.slice/user-1000.slice/session-4.scope", "/lxc/c1", 1000) ==
          SystemdCgroup::foreign);
}

TEST_CASE("systemd_unit: no mark, or only the owner-writable user.delegate, is not delegated", "[systemd_unit]")
{
    cgfs::test::TempDir tmp;
    tmp.mkdirs("scope");
    const cgfs::UniqueFd fd(::openat(tmp.fd(), "scope", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    auto plain = cgfs::delegated_by_systemd(fd.get());
    REQUIRE(plain.ok());
    CHECK_FALSE(plain.value());
    // The cgroup's owner may set user.delegate herself; only trusted.delegate, which needs
    // CAP_SYS_ADMIN, counts where the file system has trusted xattrs.
    REQUIRE(::fsetxattr(fd.get(), cgfs::kUserDelegateXattr, "1", 1, 0) == 0);
    auto user_only = cgfs::delegated_by_systemd(fd.get());
    REQUIRE(user_only.ok());
    CHECK_FALSE(user_only.value());
}
