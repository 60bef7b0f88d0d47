#include <doctest/doctest.h>

#include <array>
#include <vector>

#include "tcp/tcp_wire.hpp"

// doctest's REQUIRE needs exceptions: check and leave the test body.
#define TCP_REQUIRE(expr) \
  do {                    \
    CHECK(expr);          \
    if (!(expr)) return;  \
  } while (0)

using namespace wsgate::tcp;

namespace {

std::vector<uint8_t> header_with_options(std::vector<uint8_t> options, std::vector<uint8_t> payload = {}) {
  while (options.size() % 4) options.push_back(opt::kEnd);
  std::vector<uint8_t> b = {0x9c, 0x40, 0x00, 0x50,  // 40000 -> 80
                            0x00, 0x00, 0x03, 0xe8,  // seq 1000
                            0x00, 0x00, 0x07, 0xd0,  // ack 2000
                            0x00, 0x12,              // offset filled below, SYN|ACK
                            0xff, 0xff, 0x00, 0x00, 0x00, 0x00};
  b[12] = static_cast<uint8_t>(((20 + options.size()) / 4) << 4);
  b.insert(b.end(), options.begin(), options.end());
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

WireError parse_bytes(const std::vector<uint8_t>& b, TcpRepr* r) {
  WireError why = WireError::None;
  auto pkt = TcpPacket::check(b, &why);
  if (!pkt) return why;
  return parse(*pkt, r);
}

}  // namespace

TEST_CASE("wire: check rejects short buffers and bad data offsets") {
  std::vector<uint8_t> b = header_with_options({});
  WireError why = WireError::None;
  CHECK_FALSE(TcpPacket::check(std::span(b).first(19), &why));
  CHECK(why == WireError::Truncated);
  b[12] = 4 << 4;
  CHECK_FALSE(TcpPacket::check(b, &why));
  CHECK(why == WireError::BadDataOffset);
  b[12] = 6 << 4;  // 24 bytes of header in a 20-byte buffer
  CHECK_FALSE(TcpPacket::check(b, &why));
  CHECK(why == WireError::Truncated);
}

TEST_CASE("wire: fields and payload of a plain header") {
  auto b = header_with_options({}, {'h', 'i'});
  auto pkt = TcpPacket::check(b);
  TCP_REQUIRE(pkt);
  CHECK(pkt->src_port() == 40000);
  CHECK(pkt->dst_port() == 80);
  CHECK(pkt->seq() == 1000);
  CHECK(pkt->ack() == 2000);
  CHECK(pkt->flags() == (flag::SYN | flag::ACK));
  CHECK(pkt->window() == 0xffff);
  CHECK(pkt->header_len() == 20);
  CHECK(pkt->payload().size() == 2);
  CHECK(pkt->payload()[1] == 'i');
}

TEST_CASE("wire: parses MSS, WS, SACK-permitted, timestamps, NOPs, unknown options") {
  TcpRepr r;
  auto b = header_with_options({opt::kMss, 4, 0x05, 0xb4,
                                opt::kNop, opt::kWindowScale, 3, 7,
                                opt::kSackPermitted, 2,
                                30, 4, 0xaa, 0xbb,  // unknown kind 30, skipped
                                opt::kTimestamp, 10, 0, 0, 0, 1, 0, 0, 0, 2});
  TCP_REQUIRE(parse_bytes(b, &r) == WireError::None);
  CHECK(r.mss == 1460);
  CHECK(r.wscale == 7);
  CHECK(r.sack_permitted);
  CHECK(r.has_timestamp);
  CHECK(r.ts_val == 1);
  CHECK(r.ts_ecr == 2);
}

TEST_CASE("wire: window scale above 14 is capped") {
  TcpRepr r;
  TCP_REQUIRE(parse_bytes(header_with_options({opt::kWindowScale, 3, 15}), &r) == WireError::None);
  CHECK(r.wscale == 14);
}

TEST_CASE("wire: EOL ends the option list") {
  TcpRepr r;
  TCP_REQUIRE(parse_bytes(header_with_options({opt::kEnd, opt::kMss, 4, 1, 1}), &r) == WireError::None);
  CHECK(r.mss == 0);
}

TEST_CASE("wire: malformed option lists are errors") {
  TcpRepr r;
  CHECK(parse_bytes(header_with_options({30, 0}), &r) == WireError::BadOptions);
  CHECK(parse_bytes(header_with_options({30, 1}), &r) == WireError::BadOptions);
  CHECK(parse_bytes(header_with_options({opt::kNop, opt::kNop, opt::kMss, 8}), &r) == WireError::BadOptions);
  CHECK(parse_bytes(header_with_options({opt::kNop, opt::kNop, opt::kNop, opt::kMss}), &r) == WireError::BadOptions);
}

TEST_CASE("wire: emit then parse round-trips, options padded to 4 bytes") {
  TcpRepr r;
  r.src_port = 80;
  r.dst_port = 40000;
  r.seq = 0xfffffff0u;
  r.ack = 12345;
  r.flags = flag::SYN | flag::ACK;
  r.window = 29200;
  r.mss = 1460;
  r.wscale = 7;
  r.has_timestamp = true;
  r.ts_val = 77;
  r.ts_ecr = 88;
  const size_t n = header_len(r);
  CHECK(n == 40);
  std::array<uint8_t, 60> buf{};
  CHECK(emit(r, std::span(buf).first(n - 1)) == 0);
  TCP_REQUIRE(emit(r, buf) == n);
  CHECK(buf[16] == 0);
  CHECK(buf[17] == 0);
  auto pkt = TcpPacket::check(std::span(buf).first(n));
  TCP_REQUIRE(pkt);
  CHECK(pkt->header_len() == n);
  TcpRepr back;
  TCP_REQUIRE(parse(*pkt, &back) == WireError::None);
  CHECK(back.seq == r.seq);
  CHECK(back.ack == r.ack);
  CHECK(back.flags == r.flags);
  CHECK(back.window == r.window);
  CHECK(back.mss == 1460);
  CHECK(back.wscale == 7);
  CHECK_FALSE(back.sack_permitted);
  CHECK(back.has_timestamp);
  CHECK(back.ts_val == 77);
  CHECK(back.ts_ecr == 88);
}

TEST_CASE("wire: a bare header has no options") {
  TcpRepr r;
  r.flags = flag::ACK;
  CHECK(header_len(r) == 20);
}
