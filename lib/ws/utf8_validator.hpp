// Incremental UTF-8 validation (RFC 3629) with one byte of state, so a text
// message split across frames and segments is checked as it arrives and fails
// on the first byte that cannot continue a valid sequence: 0xF5 fails at once,
// an overlong E0 80 or a surrogate ED A0 fails on its second byte.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

namespace wsgate::ws {

enum Utf8State : uint8_t {
  kUtf8Accept = 0,  // at a code point boundary
  kUtf8Reject = 1,  // sticky
  kUtf8Need1 = 2,   // one continuation byte (80..BF) left
  kUtf8Need2 = 3,   // two left
  kUtf8Need3 = 4,   // three left
  kUtf8AfterE0 = 5, // next must be A0..BF (no overlong 3-byte)
  kUtf8AfterED = 6, // next must be 80..9F (no surrogates D800..DFFF)
  kUtf8AfterF0 = 7, // next must be 90..BF (no overlong 4-byte)
  kUtf8AfterF4 = 8, // next must be 80..8F (nothing above U+10FFFF)
};

constexpr uint8_t utf8_step(uint8_t state, uint8_t b) {
  const bool cont = (b & 0xC0) == 0x80;
  switch (state) {
    case kUtf8Accept:
      if (b < 0x80) return kUtf8Accept;
      if (b < 0xC2) return kUtf8Reject;  // lone continuation, or overlong C0/C1
      if (b < 0xE0) return kUtf8Need1;
      if (b == 0xE0) return kUtf8AfterE0;
      if (b == 0xED) return kUtf8AfterED;
      if (b < 0xF0) return kUtf8Need2;
      if (b == 0xF0) return kUtf8AfterF0;
      if (b < 0xF4) return kUtf8Need3;
      if (b == 0xF4) return kUtf8AfterF4;
      return kUtf8Reject;  // F5..FF
    case kUtf8Need1: return cont ? kUtf8Accept : kUtf8Reject;
    case kUtf8Need2: return cont ? kUtf8Need1 : kUtf8Reject;
    case kUtf8Need3: return cont ? kUtf8Need2 : kUtf8Reject;
    case kUtf8AfterE0: return (b >= 0xA0 && b <= 0xBF) ? kUtf8Need1 : kUtf8Reject;
    case kUtf8AfterED: return (b >= 0x80 && b <= 0x9F) ? kUtf8Need1 : kUtf8Reject;
    case kUtf8AfterF0: return (b >= 0x90 && b <= 0xBF) ? kUtf8Need2 : kUtf8Reject;
    case kUtf8AfterF4: return (b >= 0x80 && b <= 0x8F) ? kUtf8Need2 : kUtf8Reject;
    default: return kUtf8Reject;
  }
}

// Advances state over bytes; stops at the first rejecting byte. The result is
// kUtf8Reject, kUtf8Accept (complete), or a "need more" state.
constexpr uint8_t utf8_validate(uint8_t state, std::span<const uint8_t> bytes) {
  size_t i = 0;
  const size_t n = bytes.size();
  while (i < n) {
    if (state == kUtf8Accept) {
      // ASCII runs are the common case in text messages.
      while (i < n && bytes[i] < 0x80) ++i;
      if (i == n) break;
    }
    state = utf8_step(state, bytes[i++]);
    if (state == kUtf8Reject) break;
  }
  return state;
}

}  // namespace wsgate::ws
