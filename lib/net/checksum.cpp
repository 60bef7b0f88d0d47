#include "net/checksum.hpp"

#include <bit>
#include <cstring>

namespace wsgate::net {

namespace {

// Ones'-complement folding to 16 bits; 2^16 == 1 (mod 0xffff), so wider words
// can be summed first and folded once.
uint16_t fold16(uint64_t acc) {
  acc = (acc & 0xffffffffu) + (acc >> 32);
  acc = (acc & 0xffffffffu) + (acc >> 32);
  acc = (acc & 0xffff) + (acc >> 16);
  acc = (acc & 0xffff) + (acc >> 16);
  acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint16_t>(acc);
}

}  // namespace

uint32_t checksum_add(std::span<const uint8_t> bytes, uint32_t sum) {
  // Sum in native byte order, 8 bytes per step, and swap once at the end: the
  // ones'-complement sum is byte-order independent (RFC 1071 section 2.B).
  // Each step adds at most 2^33 to a 64-bit accumulator, so no carry is lost
  // for any buffer shorter than 2^31 * 8 bytes.
  const uint8_t* p = bytes.data();
  size_t n = bytes.size();
  uint64_t acc = 0;
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    acc += (w & 0xffffffffu) + (w >> 32);
    p += 8;
    n -= 8;
  }
  if (n >= 4) {
    uint32_t w;
    std::memcpy(&w, p, 4);
    acc += w;
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    uint16_t w;
    std::memcpy(&w, p, 2);
    acc += w;
    p += 2;
    n -= 2;
  }
  uint16_t folded = fold16(acc);
  if constexpr (std::endian::native == std::endian::little) folded = __builtin_bswap16(folded);
  // Now in big-endian-word terms. An odd last byte is the high half of a word.
  uint64_t total = uint64_t{sum} + folded;
  if (n == 1) total += uint32_t{*p} << 8;
  return static_cast<uint32_t>((total & 0xffffffffu) + (total >> 32));
}

}  // namespace wsgate::net
