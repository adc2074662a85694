// Catch2's implementation and main, compiled once for every test executable; it is by far the
// slowest file to compile, so it is built without optimisation. Each executable supplies
// cgfs_test_precheck(): -1 to run its tests, or an exit code (77 = skipped: a precondition such
// as root or a fetched reference module is truly absent).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

int cgfs_test_precheck(int argc, char** argv);

int main(int argc, char** argv)
{
    const int early = cgfs_test_precheck(argc, argv);
    if (early >= 0)
        return early;
    return Catch::Session().run(argc, argv);
}
