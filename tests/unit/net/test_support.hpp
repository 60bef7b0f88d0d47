// Small helpers shared by the net tests.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include <doctest/doctest.h>

// The build has no exceptions, so doctest's REQUIRE is unavailable: check,
// and leave the test case on failure. Same macro as tests/unit/core's.
#ifndef REQUIRE_OR_RETURN
#define REQUIRE_OR_RETURN(...)                                           \
  do {                                                                   \
    const bool require_or_return_ok_ = static_cast<bool>(__VA_ARGS__);  \
    CHECK_MESSAGE(require_or_return_ok_, #__VA_ARGS__);                  \
    if (!require_or_return_ok_) return;                                  \
  } while (0)
#endif

namespace wsgate::net::test {

template <class Container>
std::vector<uint8_t> to_vec(const Container& c) {
  return std::vector<uint8_t>(c.begin(), c.end());
}

inline std::span<const uint8_t> cspan(const std::vector<uint8_t>& v) { return {v.data(), v.size()}; }

// Deterministic byte source for property tests (xorshift32).
struct TestRng {
  uint32_t state = 0x12345678;
  uint32_t next() {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
  }
};

}  // namespace wsgate::net::test
