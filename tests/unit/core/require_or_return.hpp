// doctest's REQUIRE needs exceptions, which the project compiles out. This
// stands in for it in void functions: record the failure, then leave the
// function, so one broken invariant does not cascade into thousands of
// follow-on failures or an out-of-bounds index.
#pragma once

#include <doctest/doctest.h>

#define REQUIRE_OR_RETURN(...)                                          \
    do {                                                                \
        const bool require_or_return_ok_ = static_cast<bool>(__VA_ARGS__); \
        CHECK_MESSAGE(require_or_return_ok_, #__VA_ARGS__);             \
        if (!require_or_return_ok_) return;                             \
    } while (0)
