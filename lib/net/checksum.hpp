// The Internet checksum (RFC 1071): a ones'-complement sum of 16-bit big-endian
// words. Sums are carried in a uint32_t accumulator whose carries are folded
// only once at the end, so pieces (pseudo-header, header, payload) can be added
// one after another.
#pragma once
#include <cstdint>
#include <span>

namespace wsgate::net {

// Adds `bytes` to `sum` as big-endian 16-bit words. An odd final byte counts as
// the high byte of a word padded with zero, so an odd-length piece is only
// correct as the LAST piece of a sum (every earlier piece must be even-length).
// The returned accumulator is partially folded: always < 2^32 and safe to pass
// back in.
uint32_t checksum_add(std::span<const uint8_t> bytes, uint32_t sum = 0);

// Adds one 16-bit word (host order) to the accumulator.
constexpr uint32_t checksum_add_word(uint32_t sum, uint16_t word) {
  uint64_t s = uint64_t{sum} + word;
  return static_cast<uint32_t>((s & 0xffffffffu) + (s >> 32));
}

// Folds the carries and complements: the value to put in a checksum field
// (host order, ready for store_be16). When verifying a received header summed
// together with its checksum field, a result of 0 means the checksum is good.
constexpr uint16_t checksum_fold(uint32_t sum) {
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffff);
}

// The TCP/UDP pseudo-header (RFC 9293 3.1): source, destination, zero,
// protocol, and the transport length (header plus payload). Host-order inputs.
constexpr uint32_t pseudo_header_sum(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len) {
  uint64_t s = uint64_t{src >> 16} + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + len;
  return static_cast<uint32_t>(s);
}

}  // namespace wsgate::net
