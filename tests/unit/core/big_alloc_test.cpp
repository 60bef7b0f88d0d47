#include "core/big_alloc.hpp"

#include <doctest/doctest.h>
#include "require_or_return.hpp"

#include <cstdint>

using namespace wsgate::core;

TEST_CASE("big_alloc: zero bytes gives nullptr, free of nullptr is harmless") {
    bool huge = true;
    CHECK(big_alloc(0, &huge) == nullptr);
    CHECK_FALSE(huge);
    big_free(nullptr, 123);
}

TEST_CASE("big_alloc: small requests are zeroed, page-aligned, writable") {
    const size_t n = 10000;
    bool huge = true;
    auto* p = static_cast<uint8_t*>(big_alloc(n, &huge));
    REQUIRE_OR_RETURN(p != nullptr);
    CHECK_FALSE(huge);  // below the threshold: never a whole huge page
    CHECK(reinterpret_cast<uintptr_t>(p) % 4096 == 0);
    CHECK(big_alloc_length(n) == 12288);
    bool all_zero = true;
    for (size_t i = 0; i < n; ++i) all_zero = all_zero && p[i] == 0;
    CHECK(all_zero);
    p[n - 1] = 0x5a;
    CHECK(p[n - 1] == 0x5a);
    big_free(p, n);
}

TEST_CASE("big_alloc: large requests are 2 MiB aligned and zeroed, with or without hugetlb") {
    const size_t n = 3 * kBigAllocHugePage + 17;
    bool huge = false;
    auto* p = static_cast<uint8_t*>(big_alloc(n, &huge));
    REQUIRE_OR_RETURN(p != nullptr);
    MESSAGE("MAP_HUGETLB used: " << huge);
    CHECK(reinterpret_cast<uintptr_t>(p) % kBigAllocHugePage == 0);
    CHECK(big_alloc_length(n) == 4 * kBigAllocHugePage);
    CHECK(p[0] == 0);
    CHECK(p[n / 2] == 0);
    CHECK(p[n - 1] == 0);
    p[0] = 1;
    p[n - 1] = 2;
    CHECK(p[0] + p[n - 1] == 3);
    big_free(p, n);
}
