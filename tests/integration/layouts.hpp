// Declares one Catch2 test case per cgroup layout, tagged [v1], [hybrid] and [v2].
#pragma once

#include "sandbox.hpp"

#include <catch2/catch.hpp>

#define CGFS_LAYOUT_TEST(name, tags, fn, layout)                                                                       \
    TEST_CASE(name " (" #layout ")", "[" #layout "]" tags)                                                             \
    {                                                                                                                  \
        fn(cgfs_test::Layout::layout);                                                                                 \
    }

#define CGFS_ALL_LAYOUTS(name, tags, fn)                                                                               \
    CGFS_LAYOUT_TEST(name, tags, fn, v1)                                                                               \
    CGFS_LAYOUT_TEST(name, tags, fn, hybrid)                                                                           \
    CGFS_LAYOUT_TEST(name, tags, fn, v2)
