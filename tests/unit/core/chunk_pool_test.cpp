#include "core/chunk_pool.hpp"

#include <doctest/doctest.h>
#include "aborts.hpp"
#include "require_or_return.hpp"

#include <cstring>
#include <set>
#include <string>

using namespace wsgate::core;

TEST_CASE("chunk_pool: init checks its arguments") {
    ChunkPool pool;
    CHECK_FALSE(pool.init(0));
    CHECK_FALSE(pool.init(4, 0));
    CHECK(pool.init(4));
    CHECK_FALSE(pool.init(4));
    CHECK(pool.chunk_size() == 2048);
    CHECK(pool.capacity() == 4);
    CHECK(pool.in_use() == 0);
    CHECK(pool.bytes() >= 4 * 2048 + 4 * sizeof(uint32_t));
}

TEST_CASE("chunk_pool: chunks are distinct, non-overlapping and run out") {
    ChunkPool pool;
    REQUIRE_OR_RETURN(pool.init(3, 100));
    std::set<uint32_t> got;
    for (int i = 0; i < 3; ++i) {
        const uint32_t c = pool.alloc();
        REQUIRE_OR_RETURN(c != kNil);
        CHECK(pool.next(c) == kNil);
        std::memset(pool.data(c), 0x10 + c, pool.chunk_size());
        got.insert(c);
    }
    CHECK(got.size() == 3);
    CHECK(pool.alloc() == kNil);
    CHECK(pool.in_use() == 3);
    for (uint32_t c : got) {
        const uint8_t* d = pool.data(c);
        CHECK(d[0] == 0x10 + c);
        CHECK(d[99] == 0x10 + c);
    }
}

TEST_CASE("chunk_pool: chains through next() and returns chunks for reuse") {
    ChunkPool pool;
    REQUIRE_OR_RETURN(pool.init(4, 64));
    // Build a chain a -> b -> c holding "abc..." across chunks.
    const uint32_t a = pool.alloc();
    const uint32_t b = pool.alloc();
    const uint32_t c = pool.alloc();
    pool.next(a) = b;
    pool.next(b) = c;
    pool.data(a)[0] = 'a';
    pool.data(b)[0] = 'b';
    pool.data(c)[0] = 'c';
    std::string walked;
    for (uint32_t k = a; k != kNil; k = pool.next(k)) walked += static_cast<char>(pool.data(k)[0]);
    CHECK(walked == "abc");

    // Free the chain the way a connection would: read next() before free().
    for (uint32_t k = a; k != kNil;) {
        const uint32_t following = pool.next(k);
        pool.free(k);
        k = following;
    }
    CHECK(pool.in_use() == 0);
    std::set<uint32_t> again;
    for (int i = 0; i < 4; ++i) {
        const uint32_t k = pool.alloc();
        REQUIRE_OR_RETURN(k != kNil);
        CHECK(pool.next(k) == kNil);  // the free-list link is not leaked to the caller
        again.insert(k);
    }
    CHECK(again.size() == 4);
    CHECK(pool.alloc() == kNil);
}

#ifndef NDEBUG
TEST_CASE("chunk_pool: debug builds abort on a double free, even of a chunk linked in a chain") {
    CHECK(aborts([] {
        ChunkPool pool;
        if (!pool.init(2, 64)) return;
        const uint32_t a = pool.alloc();
        pool.alloc();
        pool.free(a);
        pool.free(a);
    }));
    CHECK_FALSE(aborts([] {
        ChunkPool pool;
        if (!pool.init(2, 64)) return;
        const uint32_t a = pool.alloc();
        const uint32_t b = pool.alloc();
        pool.next(a) = b;  // a caller link must not look like a free-list link
        pool.free(b);
        pool.free(a);
    }));
}
#endif
