// Sequence-number arithmetic modulo 2^32 (RFC 9293 section 3.4). Every
// comparison of sequence or acknowledgment numbers goes through these so a
// connection keeps working when its sequence space wraps.
#pragma once
#include <cstdint>

namespace wsgate::tcp::seq {

// Signed distance a - b; meaningful while |a - b| < 2^31.
constexpr int32_t diff(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b); }

constexpr bool lt(uint32_t a, uint32_t b) { return diff(a, b) < 0; }
constexpr bool le(uint32_t a, uint32_t b) { return diff(a, b) <= 0; }
constexpr bool gt(uint32_t a, uint32_t b) { return diff(a, b) > 0; }
constexpr bool ge(uint32_t a, uint32_t b) { return diff(a, b) >= 0; }

// lo <= x <= hi, walking forward from lo (so the range may wrap).
constexpr bool between(uint32_t lo, uint32_t x, uint32_t hi) { return x - lo <= hi - lo; }

// lo <= x < lo + len.
constexpr bool in_window(uint32_t x, uint32_t lo, uint32_t len) { return x - lo < len; }

// Bytes from `from` forward to `to`.
constexpr uint32_t distance(uint32_t from, uint32_t to) { return to - from; }

constexpr uint32_t max(uint32_t a, uint32_t b) { return lt(a, b) ? b : a; }
constexpr uint32_t min(uint32_t a, uint32_t b) { return lt(a, b) ? a : b; }

}  // namespace wsgate::tcp::seq
