#include "core/byte_order.hpp"

#include <doctest/doctest.h>

using namespace wsgate::core;

TEST_CASE("byte_order: loads read network order from unaligned bytes") {
    const uint8_t wire[] = {0xaa, 0x12, 0x34, 0x56, 0x78};
    CHECK(load_be16(wire + 1) == 0x1234);
    CHECK(load_be32(wire + 1) == 0x12345678u);
}

TEST_CASE("byte_order: stores write network order and round-trip") {
    uint8_t buf[7] = {};
    store_be16(buf + 1, 0xbeef);
    CHECK(buf[1] == 0xbe);
    CHECK(buf[2] == 0xef);
    store_be32(buf + 3, 0xdeadc0deu);
    CHECK(buf[3] == 0xde);
    CHECK(buf[4] == 0xad);
    CHECK(buf[5] == 0xc0);
    CHECK(buf[6] == 0xde);
    CHECK(buf[0] == 0);
    CHECK(load_be32(buf + 3) == 0xdeadc0deu);
    CHECK(load_be16(buf + 1) == 0xbeef);
}
