#define DOCTEST_CONFIG_NO_EXCEPTIONS_BUT_WITH_ALL_ASSERTS
#include <doctest/doctest.h>

#include <vector>

#include "ws/utf8_validator.hpp"

using wsgate::ws::kUtf8Accept;
using wsgate::ws::kUtf8Reject;
using wsgate::ws::utf8_step;
using wsgate::ws::utf8_validate;
using Bytes = std::vector<uint8_t>;

namespace {

// Index of the byte on which validation fails, or -1 when none does.
int fail_index(const Bytes& b) {
  uint8_t s = kUtf8Accept;
  for (size_t i = 0; i < b.size(); ++i) {
    s = utf8_step(s, b[i]);
    if (s == kUtf8Reject) return static_cast<int>(i);
  }
  return -1;
}

// Reference encoder for the exhaustive check.
Bytes encode(uint32_t cp) {
  if (cp < 0x80) return {static_cast<uint8_t>(cp)};
  if (cp < 0x800) return {static_cast<uint8_t>(0xC0 | cp >> 6), static_cast<uint8_t>(0x80 | (cp & 0x3F))};
  if (cp < 0x10000) {
    return {static_cast<uint8_t>(0xE0 | cp >> 12), static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F)),
            static_cast<uint8_t>(0x80 | (cp & 0x3F))};
  }
  return {static_cast<uint8_t>(0xF0 | cp >> 18), static_cast<uint8_t>(0x80 | ((cp >> 12) & 0x3F)),
          static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F)), static_cast<uint8_t>(0x80 | (cp & 0x3F))};
}

}  // namespace

TEST_CASE("UTF-8 table: where each sequence fails") {
  struct Case {
    const char* what;
    Bytes bytes;
    int fails_at;      // -1: never rejected
    bool complete;     // ends on a code point boundary
  };
  const Case cases[] = {
      {"ascii", {'a', 'b', 'c'}, -1, true},
      {"2-byte U+00E9", {0xC3, 0xA9}, -1, true},
      {"3-byte U+20AC", {0xE2, 0x82, 0xAC}, -1, true},
      {"4-byte U+1F600", {0xF0, 0x9F, 0x98, 0x80}, -1, true},
      {"max U+10FFFF", {0xF4, 0x8F, 0xBF, 0xBF}, -1, true},
      {"U+FFFF", {0xEF, 0xBF, 0xBF}, -1, true},
      {"U+D7FF below surrogates", {0xED, 0x9F, 0xBF}, -1, true},
      {"U+E000 above surrogates", {0xEE, 0x80, 0x80}, -1, true},
      {"F5 fails at once", {0xF5, 0x80, 0x80, 0x80}, 0, false},
      {"FF", {0xFF}, 0, false},
      {"overlong C0 80", {0xC0, 0x80}, 0, false},
      {"overlong C1 BF", {0xC1, 0xBF}, 0, false},
      {"overlong E0 80 80", {0xE0, 0x80, 0x80}, 1, false},
      {"overlong E0 9F BF", {0xE0, 0x9F, 0xBF}, 1, false},
      {"overlong F0 80 80 80", {0xF0, 0x80, 0x80, 0x80}, 1, false},
      {"overlong F0 8F BF BF", {0xF0, 0x8F, 0xBF, 0xBF}, 1, false},
      {"surrogate D800", {0xED, 0xA0, 0x80}, 1, false},
      {"surrogate DFFF", {0xED, 0xBF, 0xBF}, 1, false},
      {"above U+10FFFF", {0xF4, 0x90, 0x80, 0x80}, 1, false},
      {"lone continuation", {'a', 0x80}, 1, false},
      {"lone continuation BF", {0xBF}, 0, false},
      {"truncated 2-byte then ascii", {0xC3, 'a'}, 1, false},
      {"truncated 3-byte then ascii", {0xE2, 0x82, 'a'}, 2, false},
      {"truncated 4-byte at end", {0xF0, 0x9F, 0x98}, -1, false},
      {"truncated 2-byte at end", {'x', 0xC3}, -1, false},
      {"valid then F8", {0xC3, 0xA9, 0xF8}, 2, false},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    CHECK(fail_index(c.bytes) == c.fails_at);
    const uint8_t s = utf8_validate(kUtf8Accept, c.bytes);
    CHECK((s == kUtf8Reject) == (c.fails_at >= 0));
    CHECK((s == kUtf8Accept) == c.complete);
  }
}

TEST_CASE("UTF-8 sequences cut at every point carry their state across pieces") {
  const Bytes text = {'h', 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80, 'z'};
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    const std::span<const uint8_t> all(text);
    uint8_t s = utf8_validate(kUtf8Accept, all.first(cut));
    CHECK(s != kUtf8Reject);
    s = utf8_validate(s, all.subspan(cut));
    CHECK(s == kUtf8Accept);
  }
}

TEST_CASE("every code point: valid scalars accepted, surrogates rejected") {
  for (uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    const Bytes b = encode(cp);
    const uint8_t s = utf8_validate(kUtf8Accept, b);
    const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
    if (surrogate) {
      CHECK(s == kUtf8Reject);
    } else if (s != kUtf8Accept) {
      FAIL("valid code point rejected: " << cp);
    }
  }
}

TEST_CASE("every 2-byte pair is judged like the reference decoder") {
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      const Bytes pair = {static_cast<uint8_t>(a), static_cast<uint8_t>(b)};
      const uint8_t s = utf8_validate(kUtf8Accept, pair);
      bool expect_accept = false;
      if (a < 0x80 && b < 0x80) expect_accept = true;
      if (a >= 0xC2 && a <= 0xDF && b >= 0x80 && b <= 0xBF) expect_accept = true;
      if ((s == kUtf8Accept) != expect_accept) FAIL("pair " << a << " " << b);
    }
  }
}
