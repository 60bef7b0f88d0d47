#include "core/index_table.hpp"

#include <doctest/doctest.h>
#include "require_or_return.hpp"

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "core/siphash.hpp"

using namespace wsgate::core;

namespace {

constexpr uint64_t kHashKey[2] = {0x0123456789abcdefULL, 0xfedcba9876543210ULL};

uint64_t good_hash(uint64_t key) { return siphash24(kHashKey, &key, sizeof key); }

// Three tags whose homes are the last three slots of a 128-slot table
// (home = tag * 128 / 2^32), so runs are long, wrap around slot 0, and every
// tag collides (is_match must decide).
uint64_t clustering_hash(uint64_t key) { return (uint64_t{125 + key % 3} << 25) << 32 | (key & 0xffffffff); }

uint64_t lcg(uint64_t& state) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 17;
}

// The caller's side of the table: records holding keys, and a model map.
struct Harness {
    explicit Harness(uint32_t max, uint64_t (*hash)(uint64_t)) : hash_of(hash), key_of(max) {
        CHECK(table.init(max));
        for (uint32_t i = max; i-- > 0;) free_indices.push_back(i);
    }

    uint32_t find(uint64_t key) const {
        return table.find(hash_of(key), [&](uint32_t index) { return key_of[index] == key; });
    }

    bool insert(uint64_t key) {
        CHECK(find(key) == kNil);
        if (free_indices.empty()) return false;
        const uint32_t index = free_indices.back();
        if (!table.insert(hash_of(key), index)) return false;
        free_indices.pop_back();
        key_of[index] = key;
        model[key] = index;
        return true;
    }

    void erase(uint64_t key) {
        const uint32_t index = model.at(key);
        REQUIRE_OR_RETURN(table.erase(hash_of(key), index));
        model.erase(key);
        free_indices.push_back(index);
        CHECK(find(key) == kNil);
    }

    void expect_model() const {
        REQUIRE_OR_RETURN(table.size() == model.size());
        for (const auto& [key, index] : model) REQUIRE_OR_RETURN(find(key) == index);
    }

    IndexTable table;
    uint64_t (*hash_of)(uint64_t);
    std::vector<uint64_t> key_of;
    std::vector<uint32_t> free_indices;
    std::unordered_map<uint64_t, uint32_t> model;
};

void churn(Harness& h, uint32_t max, int ops, uint64_t key_space, uint64_t seed) {
    uint64_t rng = seed;
    std::vector<uint64_t> keys;  // the model's keys, for picking one at random
    for (int op = 0; op < ops; ++op) {
        const uint64_t r = lcg(rng);
        switch (r % 4) {
            case 0:
            case 1: {  // insert a fresh key
                const uint64_t key = lcg(rng) % key_space;
                if (h.model.count(key) != 0) {
                    CHECK(h.find(key) == h.model[key]);
                } else if (h.model.size() < max) {
                    REQUIRE_OR_RETURN(h.insert(key));
                    keys.push_back(key);
                }
                break;
            }
            case 2: {  // erase a present key
                if (keys.empty()) break;
                const size_t pick = lcg(rng) % keys.size();
                h.erase(keys[pick]);
                keys[pick] = keys.back();
                keys.pop_back();
                break;
            }
            default: {  // look up a random key, present or not
                const uint64_t key = lcg(rng) % key_space;
                const auto it = h.model.find(key);
                REQUIRE_OR_RETURN(h.find(key) == (it == h.model.end() ? kNil : it->second));
            }
        }
        if (op % 20000 == 0) h.expect_model();
    }
    h.expect_model();
}

}  // namespace

TEST_CASE("index_table: init sizes slots to exactly 2x entries, not a power of two") {
    IndexTable t;
    CHECK_FALSE(t.init(0));
    CHECK_FALSE(t.init(IndexTable::kMaxEntries + 1));
    REQUIRE_OR_RETURN(t.init(1100));  // 2200 slots x 8 bytes = 17600, rounded up to 4 KiB pages
    CHECK_FALSE(t.init(1100));
    CHECK(t.bytes() == 20480);  // a power of two (4096 slots) would be 32768
    CHECK(t.size() == 0);
    CHECK(t.max_entries() == 1100);
}

TEST_CASE("index_table: find, insert, erase one entry") {
    Harness h(8, good_hash);
    CHECK(h.find(42) == kNil);
    REQUIRE_OR_RETURN(h.insert(42));
    CHECK(h.find(42) == h.model[42]);
    CHECK(h.table.size() == 1);
    CHECK_FALSE(h.table.erase(good_hash(42), h.model[42] + 1));  // wrong index
    CHECK_FALSE(h.table.erase(good_hash(43), h.model[42]));      // wrong hash
    h.erase(42);
    CHECK(h.table.size() == 0);
    CHECK_FALSE(h.table.erase(good_hash(42), 0));
}

TEST_CASE("index_table: a full table refuses inserts and recovers after an erase") {
    Harness h(16, good_hash);
    for (uint64_t k = 0; k < 16; ++k) REQUIRE_OR_RETURN(h.insert(k * 1000003));
    CHECK(h.table.size() == 16);
    CHECK_FALSE(h.table.insert(good_hash(99), 0));
    CHECK(h.table.size() == 16);
    h.expect_model();
    h.erase(5 * 1000003);
    CHECK(h.table.insert(good_hash(99), 5));
    CHECK(h.table.size() == 16);
}

TEST_CASE("index_table: a hash whose upper half is zero still works (tag 0 is reserved)") {
    IndexTable t;
    REQUIRE_OR_RETURN(t.init(4));
    REQUIRE_OR_RETURN(t.insert(0x0000000000000001ULL, 3));
    CHECK(t.find(0x1ULL, [](uint32_t i) { return i == 3; }) == 3);
    CHECK(t.erase(0x1ULL, 3));
    CHECK(t.find(0x1ULL, [](uint32_t) { return true; }) == kNil);
}

TEST_CASE("index_table: 200k random operations match an unordered_map") {
    const uint32_t max = 5000;
    Harness h(max, good_hash);
    churn(h, max, 200000, 12000, 1);
}

TEST_CASE("index_table: colliding, wrapping runs survive churn (backward shift)") {
    const uint32_t max = 64;  // 128 slots; homes 125..127, runs wrap past slot 0
    Harness h(max, clustering_hash);
    churn(h, max, 200000, 400, 7);
}

TEST_CASE("index_table: an odd slot count (2 x 777) survives churn at full load") {
    const uint32_t max = 777;
    Harness h(max, good_hash);
    churn(h, max, 200000, 2000, 3);
}

TEST_CASE("index_table: churn at full load never loses entries") {
    const uint32_t max = 256;
    Harness h(max, good_hash);
    uint64_t rng = 99;
    std::vector<uint64_t> keys;
    uint64_t next_key = 1;
    while (h.model.size() < max) {
        REQUIRE_OR_RETURN(h.insert(next_key));
        keys.push_back(next_key++);
    }
    for (int round = 0; round < 20000; ++round) {
        const size_t pick = lcg(rng) % keys.size();
        h.erase(keys[pick]);
        REQUIRE_OR_RETURN(h.insert(next_key));
        keys[pick] = next_key++;
        CHECK_FALSE(h.table.insert(good_hash(next_key), 0));
    }
    h.expect_model();
}
