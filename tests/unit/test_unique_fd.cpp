// Unit tests for lib/unique_fd.hpp: single close, errno kept, release and moves.
#include "unique_fd.hpp"

#include <catch2/catch.hpp>

#include <cerrno>
#include <fcntl.h>
#include <type_traits>
#include <unistd.h>

using cgfs::UniqueFd;

namespace {

bool fd_is_open(int fd)
{
    return ::fcntl(fd, F_GETFD) != -1;
}

int open_null()
{
    return ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

} // namespace

// operator! is deleted (fd 0 is valid); valid() is the way to ask.
template <typename T>
concept Negatable = requires(const T& t)
{
    !t;
};
static_assert(!Negatable<UniqueFd>);
static_assert(!std::is_copy_constructible_v<UniqueFd> && !std::is_copy_assignable_v<UniqueFd>);
static_assert(std::is_nothrow_move_constructible_v<UniqueFd> && std::is_nothrow_move_assignable_v<UniqueFd>);

TEST_CASE("unique_fd: default is empty", "[unique_fd]")
{
    const UniqueFd fd;
    CHECK(fd.get() == -1);
    CHECK_FALSE(fd.valid());
}

TEST_CASE("unique_fd: closes at scope exit", "[unique_fd]")
{
    int raw = open_null();
    REQUIRE(raw >= 0);
    {
        const UniqueFd fd(raw);
        CHECK(fd.valid());
        CHECK(fd.get() == raw);
    }
    CHECK_FALSE(fd_is_open(raw));
}

TEST_CASE("unique_fd: reset closes the old fd and keeps errno", "[unique_fd]")
{
    int first = open_null();
    int second = open_null();
    REQUIRE(first >= 0);
    REQUIRE(second >= 0);
    UniqueFd fd(first);
    errno = EXDEV;
    fd.reset(second);
    CHECK(errno == EXDEV);
    CHECK_FALSE(fd_is_open(first));
    CHECK(fd.get() == second);
    errno = ENOSPC;
    fd.reset();
    CHECK(errno == ENOSPC);
    CHECK_FALSE(fd_is_open(second));
    CHECK(fd.get() == -1);
}

TEST_CASE("unique_fd: release hands over without closing", "[unique_fd]")
{
    int raw = open_null();
    REQUIRE(raw >= 0);
    int released = -1;
    {
        UniqueFd fd(raw);
        released = fd.release();
        CHECK(fd.get() == -1);
    }
    CHECK(released == raw);
    CHECK(fd_is_open(raw));
    ::close(raw);
}

TEST_CASE("unique_fd: move construction and assignment transfer ownership", "[unique_fd]")
{
    int a = open_null();
    int b = open_null();
    REQUIRE(a >= 0);
    REQUIRE(b >= 0);
    UniqueFd first(a);
    UniqueFd second(std::move(first));
    CHECK(first.get() == -1); // NOLINT(bugprone-use-after-move): the moved-from state is the point
    CHECK(second.get() == a);
    UniqueFd third(b);
    third = std::move(second);
    CHECK_FALSE(fd_is_open(b)); // the assigned-over fd is closed
    CHECK(third.get() == a);
    CHECK(fd_is_open(a));
}
