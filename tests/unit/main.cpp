// cgfs unit tests: nothing to check before running (Catch2's main is tests/catch_impl.cpp).
int cgfs_test_precheck(int, char**);

int cgfs_test_precheck(int, char**)
{
    return -1;
}
