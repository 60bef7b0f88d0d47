#include <doctest/doctest.h>

#include "tcp/seq.hpp"

using namespace wsgate::tcp;

TEST_CASE("seq: ordering without wrap") {
  CHECK(seq::lt(1, 2));
  CHECK_FALSE(seq::lt(2, 2));
  CHECK(seq::le(2, 2));
  CHECK(seq::gt(3, 2));
  CHECK(seq::ge(3, 3));
  CHECK_FALSE(seq::gt(2, 3));
}

TEST_CASE("seq: ordering across the 2^32 wrap") {
  const uint32_t before = 0xFFFFFFF0u;
  const uint32_t after = 0x00000010u;
  CHECK(seq::lt(before, after));
  CHECK(seq::gt(after, before));
  CHECK(seq::distance(before, after) == 0x20u);
  CHECK(seq::diff(before, after) == -0x20);
  CHECK(seq::max(before, after) == after);
  CHECK(seq::min(before, after) == before);
}

TEST_CASE("seq: between and in_window wrap") {
  CHECK(seq::between(0xFFFFFFF0u, 0xFFFFFFFFu, 0x10u));
  CHECK(seq::between(0xFFFFFFF0u, 0x0u, 0x10u));
  CHECK(seq::between(0xFFFFFFF0u, 0x10u, 0x10u));
  CHECK_FALSE(seq::between(0xFFFFFFF0u, 0x11u, 0x10u));
  CHECK_FALSE(seq::between(0xFFFFFFF0u, 0xFFFFFFEFu, 0x10u));
  CHECK(seq::in_window(5, 0xFFFFFFFEu, 8));
  CHECK_FALSE(seq::in_window(6, 0xFFFFFFFEu, 8));
  CHECK_FALSE(seq::in_window(5, 5, 0));
}
