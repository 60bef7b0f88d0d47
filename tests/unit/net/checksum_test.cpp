#include "net/checksum.hpp"

#include <doctest/doctest.h>

#include <array>
#include <vector>

#include "core/byte_order.hpp"
#include "sample_packets.hpp"
#include "test_support.hpp"

using namespace wsgate::net;
using wsgate::net::test::TestRng;

namespace {

// The textbook definition, one 16-bit word at a time, as the reference.
uint16_t reference_checksum(std::span<const uint8_t> bytes) {
  uint64_t sum = 0;
  for (size_t i = 0; i + 1 < bytes.size(); i += 2) sum += (uint32_t{bytes[i]} << 8) | bytes[i + 1];
  if (bytes.size() % 2) sum += uint32_t{bytes.back()} << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffff);
}

}  // namespace

TEST_CASE("RFC 1071 section 3 example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2") {
  const std::array<uint8_t, 8> data{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  CHECK(checksum_fold(checksum_add(data)) == static_cast<uint16_t>(~0xddf2));
  // Same sum when fed in even-length pieces.
  uint32_t sum = checksum_add(std::span(data).first(2));
  sum = checksum_add(std::span(data).subspan(2, 4), sum);
  sum = checksum_add(std::span(data).subspan(6), sum);
  CHECK(checksum_fold(sum) == 0x220d);
}

TEST_CASE("empty input leaves the sum alone; fold of 0 is ffff") {
  CHECK(checksum_add({}, 0x1234) == 0x1234);
  CHECK(checksum_fold(0) == 0xffff);
}

TEST_CASE("odd length: the last byte is the high half of a zero-padded word") {
  const std::array<uint8_t, 3> odd{0x12, 0x34, 0x56};
  CHECK(checksum_fold(checksum_add(odd)) == static_cast<uint16_t>(~(0x1234 + 0x5600)));
}

TEST_CASE("matches the word-at-a-time reference for every length 0..300 and for splits") {
  TestRng rng;
  std::vector<uint8_t> buf(300);
  for (auto& b : buf) b = static_cast<uint8_t>(rng.next());
  for (size_t len = 0; len <= buf.size(); ++len) {
    std::span<const uint8_t> s(buf.data(), len);
    CAPTURE(len);
    REQUIRE_OR_RETURN(checksum_fold(checksum_add(s)) == reference_checksum(s));
    // Split at an even offset: the first piece must be even, the last may be odd.
    const size_t cut = (len / 3) & ~size_t{1};
    CHECK(checksum_fold(checksum_add(s.subspan(cut), checksum_add(s.first(cut)))) ==
          reference_checksum(s));
  }
}

TEST_CASE("carries are not lost: all-ones buffers of many sizes") {
  std::vector<uint8_t> ones(4096, 0xff);
  for (size_t len : {2u, 8u, 10u, 64u, 1500u, 4096u}) {
    CAPTURE(len);
    CHECK(checksum_fold(checksum_add(std::span<const uint8_t>(ones.data(), len))) ==
          reference_checksum(std::span<const uint8_t>(ones.data(), len)));
  }
  // A saturated incoming accumulator still folds correctly.
  const std::array<uint8_t, 2> w{0xff, 0xff};
  CHECK(checksum_fold(checksum_add(w, 0xffffffffu)) ==
        checksum_fold(checksum_add_word(0xffffffffu, 0xffff)));
}

TEST_CASE("IPv4 header checksum of a real packet verifies to zero and recomputes equal") {
  const auto& pkt = samples::kTcpIpv4;
  std::span<const uint8_t> header(pkt.data(), 20);
  CHECK(checksum_fold(checksum_add(header)) == 0);
  std::array<uint8_t, 20> copy;
  std::copy(header.begin(), header.end(), copy.begin());
  copy[10] = copy[11] = 0;
  CHECK(checksum_fold(checksum_add(copy)) == 0xf757);  // scapy's value
}

TEST_CASE("TCP checksum of a real segment with an odd payload via the pseudo-header") {
  const auto& pkt = samples::kTcpIpv4;
  std::span<const uint8_t> tcp(pkt.data() + 20, pkt.size() - 20);  // 29 bytes: odd
  const uint32_t src = wsgate::core::load_be32(pkt.data() + 12);
  const uint32_t dst = wsgate::core::load_be32(pkt.data() + 16);
  const uint32_t pseudo = pseudo_header_sum(src, dst, 6, static_cast<uint16_t>(tcp.size()));
  CHECK(checksum_fold(checksum_add(tcp, pseudo)) == 0);

  std::vector<uint8_t> zeroed(tcp.begin(), tcp.end());
  zeroed[16] = zeroed[17] = 0;
  CHECK(checksum_fold(checksum_add(zeroed, pseudo)) == 0x1052);  // scapy's value
}

TEST_CASE("UDP checksum of a real datagram behind IPv4 options") {
  const auto& pkt = samples::kIpv4WithOptions;
  std::span<const uint8_t> udp(pkt.data() + 24, pkt.size() - 24);
  const uint32_t pseudo = pseudo_header_sum(0x01020304, 0x05060708, 17, static_cast<uint16_t>(udp.size()));
  CHECK(checksum_fold(checksum_add(udp, pseudo)) == 0);
}

TEST_CASE("a flipped bit is detected") {
  auto pkt = wsgate::net::test::to_vec(samples::kTcpIpv4);
  pkt[13] ^= 0x04;
  CHECK(checksum_fold(checksum_add(std::span<const uint8_t>(pkt.data(), 20))) != 0);
}
