#include "core/slab.hpp"

#include <doctest/doctest.h>
#include "aborts.hpp"
#include "require_or_return.hpp"

#include <cstdint>
#include <set>
#include <vector>

using namespace wsgate::core;

namespace {

// Shaped like a connection record: one cache line.
struct Record {
    uint32_t id;
    uint32_t seq;
    uint8_t rest[56];
};
static_assert(sizeof(Record) == 64);

}  // namespace

TEST_CASE("slab: init refuses nonsense and a second call") {
    Slab<Record> slab;
    CHECK_FALSE(slab.init(0));
    CHECK(slab.init(4));
    CHECK_FALSE(slab.init(4));
    CHECK(slab.capacity() == 4);
    CHECK(slab.in_use() == 0);
    CHECK(slab.bytes() >= 4 * sizeof(Record));
}

TEST_CASE("slab: allocates distinct value-initialised objects until exhausted") {
    Slab<Record> slab;
    REQUIRE_OR_RETURN(slab.init(3));
    std::set<uint32_t> seen;
    for (int i = 0; i < 3; ++i) {
        const uint32_t idx = slab.alloc();
        REQUIRE_OR_RETURN(idx != kNil);
        CHECK(idx < 3);
        CHECK(slab[idx].id == 0);
        CHECK(slab[idx].seq == 0);
        slab[idx].id = 100 + idx;
        seen.insert(idx);
    }
    CHECK(seen.size() == 3);
    CHECK(slab.in_use() == 3);
    CHECK(slab.alloc() == kNil);
    CHECK(slab.in_use() == 3);
    for (uint32_t idx : seen) CHECK(slab[idx].id == 100 + idx);  // neighbours untouched
}

TEST_CASE("slab: a freed object is reused, and comes back zeroed") {
    Slab<Record> slab;
    REQUIRE_OR_RETURN(slab.init(2));
    const uint32_t a = slab.alloc();
    const uint32_t b = slab.alloc();
    slab[a].id = 7;
    slab[a].seq = 0xdeadbeef;
    slab[b].id = 8;
    slab.free(a);
    CHECK(slab.in_use() == 1);
    const uint32_t again = slab.alloc();
    CHECK(again == a);
    CHECK(slab[again].id == 0);  // the free-list link written into it is gone
    CHECK(slab[again].seq == 0);
    CHECK(slab[b].id == 8);
    CHECK(slab.alloc() == kNil);
}

TEST_CASE("slab: churn keeps every live object intact") {
    Slab<Record> slab;
    REQUIRE_OR_RETURN(slab.init(1000));
    std::vector<uint32_t> live;
    uint64_t rng = 12345;
    auto next = [&rng] {
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<uint32_t>(rng >> 33);
    };
    for (int step = 0; step < 50000; ++step) {
        if (live.empty() || (next() % 3 != 0 && live.size() < 1000)) {
            const uint32_t idx = slab.alloc();
            REQUIRE_OR_RETURN(idx != kNil);
            REQUIRE_OR_RETURN(slab[idx].id == 0);
            slab[idx].id = idx + 1;
            slab[idx].seq = idx * 7;
            live.push_back(idx);
        } else {
            const size_t pick = next() % live.size();
            const uint32_t idx = live[pick];
            REQUIRE_OR_RETURN(slab[idx].id == idx + 1);
            REQUIRE_OR_RETURN(slab[idx].seq == idx * 7);
            live[pick] = live.back();
            live.pop_back();
            slab.free(idx);
        }
        REQUIRE_OR_RETURN(slab.in_use() == live.size());
    }
    std::set<uint32_t> unique(live.begin(), live.end());
    CHECK(unique.size() == live.size());
}

TEST_CASE("slab: works for the smallest allowed object") {
    Slab<uint32_t> slab;
    REQUIRE_OR_RETURN(slab.init(2));
    const uint32_t a = slab.alloc();
    const uint32_t b = slab.alloc();
    slab[a] = 11;
    slab[b] = 22;
    slab.free(a);
    slab.free(b);
    CHECK(slab.alloc() == b);  // LIFO: the most recently freed first
    CHECK(slab.alloc() == a);
    CHECK(slab[a] == 0);
    CHECK(slab[b] == 0);
}

#ifndef NDEBUG
TEST_CASE("slab: debug builds abort on a double free, not on a normal free") {
    CHECK(aborts([] {
        Slab<Record> slab;
        if (!slab.init(2)) return;
        const uint32_t a = slab.alloc();
        slab.alloc();
        slab.free(a);
        slab.free(a);
    }));
    CHECK_FALSE(aborts([] {
        Slab<Record> slab;
        if (!slab.init(2)) return;
        const uint32_t a = slab.alloc();
        const uint32_t b = slab.alloc();
        slab.free(a);
        slab.free(b);
    }));
}
#endif
