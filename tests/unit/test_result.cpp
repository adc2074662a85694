// Unit tests for lib/result.hpp: Error text, wrapping, Result<T> and Result<void>.
#include "result.hpp"

#include <catch2/catch.hpp>

#include <cerrno>
#include <string>

using cgfs::Error;
using cgfs::Result;

TEST_CASE("result: message joins context and strerror", "[result]")
{
    CHECK(Error{ENOENT, "read cgroup.procs"}.message() == "read cgroup.procs: No such file or directory");
    CHECK(Error{EACCES, ""}.message() == "Permission denied");
    CHECK(Error{0, "only context"}.message() == "only context");
    CHECK(Error{}.message().empty());
}

TEST_CASE("result: wrap puts the outer context in front and keeps the code", "[result]")
{
    const Error inner = cgfs::make_error(EBUSY, "rmdir 0");
    const Error outer = inner.wrap("freezer: /user/alice/0");
    CHECK(outer.code == EBUSY);
    CHECK(outer.context == "freezer: /user/alice/0: rmdir 0");
    CHECK(outer.message() == "freezer: /user/alice/0: rmdir 0: Device or resource busy");
    CHECK(Error{EIO, ""}.wrap("outer").context == "outer");
    CHECK(inner.context == "rmdir 0"); // wrap does not change the original
}

TEST_CASE("result: Result<T> holds a value or an error", "[result]")
{
    Result<std::string> good(std::string("text"));
    REQUIRE(good.ok());
    CHECK(good.value() == "text");
    std::string moved = std::move(good).value();
    CHECK(moved == "text");

    Result<std::string> bad(cgfs::make_error(EINVAL, "parse"));
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == EINVAL);
    CHECK(bad.error().context == "parse");
    CHECK_THROWS_AS(bad.value(), std::bad_variant_access);
}

TEST_CASE("result: Result<void> defaults to success", "[result]")
{
    const Result<void> good;
    CHECK(good.ok());
    const Result<void> bad(cgfs::make_error(EPERM, "chown tasks"));
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == EPERM);
    CHECK(bad.error().message() == "chown tasks: Operation not permitted");
    cgfs::ignore_error(bad); // compiles and does nothing: a named, visible act
}
