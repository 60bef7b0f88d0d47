// SYN cookies (RFC 4987 3.6): the codec on its own, then the stack answering
// SYNs with cookies once the half-open backlog is full.
#include <doctest/doctest.h>

#include "tcp/syn_cookie.hpp"
#include "tcp_harness.hpp"

using namespace wsgate::tcp;
using namespace wsgate::tcp::test;
namespace sc = wsgate::tcp::syn_cookie;

namespace {

const uint64_t kKey[2] = {0x1122334455667788ull, 0x99aabbccddeeff00ull};
const FourTuple kTuple{0x0a000002, 0x0a000001, 40000, 80};
std::vector<uint8_t> bytes(size_t n) { return std::vector<uint8_t>(n, 'c'); }
constexpr uint64_t kNow = 1'000 * sc::kPeriodUs + 5'000'000;  // 5 s into a period

uint16_t decoded_mss(uint32_t cookie, uint64_t now = kNow, const FourTuple& t = kTuple, uint32_t isn = 7777) {
  uint16_t mss = 0;
  return sc::decode(kKey, t, isn, cookie, now, &mss) ? mss : 0;
}

}  // namespace

TEST_CASE("syn cookie: round trip keeps the largest table MSS not above the peer's") {
  const std::pair<uint16_t, uint16_t> cases[] = {
      {0, 536}, {100, 536}, {536, 536}, {1199, 536}, {1200, 1200}, {1379, 1300}, {1400, 1400},
      {1459, 1440}, {1460, 1460}, {1500, 1460}, {8960, 8960}, {65535, 8960}};
  for (auto [peer, want] : cases) {
    CAPTURE(peer);
    CHECK(decoded_mss(sc::encode(kKey, kTuple, 7777, peer, kNow)) == want);
  }
}

TEST_CASE("syn cookie: valid in its period and the next, expired after") {
  const uint32_t c = sc::encode(kKey, kTuple, 7777, 1460, kNow);
  CHECK(decoded_mss(c, kNow) == 1460);
  CHECK(decoded_mss(c, kNow + 58'000'000) == 1460);       // end of the same period
  CHECK(decoded_mss(c, kNow + sc::kPeriodUs) == 1460);    // the next period
  CHECK(decoded_mss(c, kNow + 2 * sc::kPeriodUs) == 0);   // expired
  CHECK(decoded_mss(c, kNow + 32 * sc::kPeriodUs) == 0);  // same 5 bits, 32 periods later: MAC fails
  CHECK(decoded_mss(c, kNow + 33 * sc::kPeriodUs) == 0);
  CHECK(decoded_mss(c, kNow - sc::kPeriodUs) == 0);       // from the future
}

TEST_CASE("syn cookie: valid across the wrap of the 5-bit period counter") {
  const uint64_t t = 31 * sc::kPeriodUs + 1;  // period 31, the next one is 32 (bits 0)
  const uint32_t c = sc::encode(kKey, kTuple, 1, 1460, t);
  uint16_t mss = 0;
  CHECK(sc::decode(kKey, kTuple, 1, c, t + sc::kPeriodUs, &mss));
  CHECK(mss == 1460);
}

TEST_CASE("syn cookie: any flipped bit, another tuple, ISN or key fails") {
  const uint32_t c = sc::encode(kKey, kTuple, 7777, 1460, kNow);
  for (int bit = 0; bit < 32; ++bit) {
    CAPTURE(bit);
    CHECK(decoded_mss(c ^ (1u << bit)) == 0);
  }
  FourTuple other = kTuple;
  other.remote_port = 40001;
  CHECK(decoded_mss(c, kNow, other) == 0);
  other = kTuple;
  other.remote_ip ^= 1;
  CHECK(decoded_mss(c, kNow, other) == 0);
  CHECK(decoded_mss(c, kNow, kTuple, 7778) == 0);
  const uint64_t other_key[2] = {kKey[0], kKey[1] ^ 1};
  uint16_t mss = 0;
  CHECK_FALSE(sc::decode(other_key, kTuple, 7777, c, kNow, &mss));
}

TEST_CASE("syn cookie: guessing is rare (24-bit MAC)") {
  int accepted = 0;
  for (uint32_t guess = 0; guess < 200000; ++guess) accepted += decoded_mss(guess * 2654435761u) != 0;
  CHECK(accepted <= 2);  // expected 200000 * 2 periods * 8 MSS / 2^32 ~ 0.0007 per guess... ~0
}

TEST_CASE("syn cookie: TSval carries the peer's window shift and never runs ahead of the clock") {
  for (int shift = -1; shift <= 14; ++shift) {
    for (uint32_t now : {1000u, 1007u, 1015u, 1016u, 123456789u}) {
      CAPTURE(shift);
      CAPTURE(now);
      const uint32_t ts = sc::ts_encode(now, shift);
      CHECK(ts <= now);
      CHECK(now - ts < 16);
      CHECK(sc::ts_decode_wscale(ts) == shift);
    }
  }
  CHECK(sc::ts_decode_wscale(sc::ts_encode(5000, 20)) == 14);  // capped like a parsed option
}

TEST_CASE("stack: below the backlog a SYN gets a record, at it a cookie and no record") {
  TcpConfig c = test_config();
  c.max_half_open = 1;
  Harness a(c);
  a.syn();
  CHECK(a.stack.connections(State::SynReceived) == 1);
  CHECK(a.stack.stats().syn_cookies_sent == 0);
  // A second client while the first is half open: cookie.
  a.tuple.remote_port = 40001;
  a.rseq = 5000;
  a.syn();
  CHECK(a.stack.connections(State::SynReceived) == 1);
  CHECK(a.stack.connections_total() == 1);
  CHECK(a.stack.stats().syn_cookies_sent == 1);
  // Its ACK makes the connection.
  a.send_ack();
  TCP_REQUIRE(a.app.established.size() == 1);
  CHECK(a.stack.tuple(a.app.established[0]).remote_port == 40001);
  CHECK(a.stack.stats().syn_cookies_accepted == 1);
  CHECK(a.stack.connections(State::Established) == 1);
}

TEST_CASE("stack: a cookie connection with timestamps keeps MSS and window scaling") {
  TcpConfig c = test_config();
  c.max_half_open = 0;  // cookies for every SYN
  Harness h(c);
  h.peer_ts = true;
  h.peer_wscale = 7;
  h.peer_mss = 1460;
  SentSegment synack = h.syn();
  CHECK(synack.hdr.has_timestamp);
  CHECK(synack.hdr.wscale == c.window_scale);
  CHECK(synack.hdr.mss == c.mss);
  CHECK(h.stack.connections_total() == 0);
  h.peer_window = 10;  // 10 << 7 = 1280 bytes; 10 bytes if the shift were lost
  h.send_ack();
  TCP_REQUIRE(h.app.established.size() == 1);
  h.id = h.app.established[0];
  CHECK(h.stack.send(h.id, bytes(5000)) == 5000);
  h.expect_data(1280);
  h.expect_nothing();
  h.peer_window = 100;  // 12800 bytes: MSS 1460 less 12 bytes of timestamps per segment
  h.send_ack();
  h.expect_data(1448);
  CHECK(h.stack.stats().syn_cookies_accepted == 1);
}

TEST_CASE("stack: a cookie connection without timestamps runs without window scaling") {
  TcpConfig c = test_config();
  c.max_half_open = 0;
  Harness h(c);
  h.peer_wscale = 7;  // offered, but there is no TSecr to bring it back
  SentSegment synack = h.syn();
  CHECK_FALSE(synack.hdr.has_timestamp);
  CHECK(synack.hdr.wscale == -1);
  h.peer_window = 1000;  // unscaled: 1000 bytes
  h.send_ack();
  TCP_REQUIRE(h.app.established.size() == 1);
  h.id = h.app.established[0];
  CHECK(h.stack.send(h.id, bytes(5000)) == 5000);
  h.expect_data(1000);  // the window, taken unscaled
  h.expect_nothing();
}

TEST_CASE("stack: the cookie ACK may carry the first data") {
  TcpConfig c = test_config();
  c.max_half_open = 0;
  Harness h(c);
  h.syn();
  h.send_data("GET / HTTP/1.1\r\n");
  TCP_REQUIRE(h.app.established.size() == 1);
  CHECK(h.app.received_text() == "GET / HTTP/1.1\r\n");
}

TEST_CASE("stack: a forged or stale cookie ACK gets an RST and no connection") {
  TcpConfig c = test_config();
  c.max_half_open = 0;
  Harness h(c);
  h.syn();
  h.send_ack(h.lseq + 1);  // wrong cookie
  h.expect(flag::RST, h.lseq + 1, 0);
  CHECK(h.app.established.empty());
  CHECK(h.stack.stats().syn_cookies_rejected == 1);
  h.advance(2 * sc::kPeriodUs + 1);  // the right cookie, too late
  h.send_ack();
  h.expect(flag::RST, h.lseq, 0);
  CHECK(h.app.established.empty());
  CHECK(h.stack.connections_total() == 0);
}

TEST_CASE("stack: no cookie was sent recently: an ACK for nothing is an RST without a cookie check") {
  Harness h;
  h.send(h.seg(flag::ACK, 5000, 12345));
  h.expect(flag::RST, 12345, 0);
  CHECK(h.stack.stats().syn_cookies_rejected == 0);
  CHECK(h.stack.stats().drop_no_conn == 1);
}

TEST_CASE("stack: table full: SYNs and cookie ACKs are refused with RST, open connections untouched") {
  TcpConfig c = test_config();
  c.max_connections = 16;
  Harness h(c);
  std::vector<ConnId> open;
  for (uint16_t i = 0; i < 16; ++i) {
    h.tuple.remote_port = static_cast<uint16_t>(41000 + i);
    h.rseq = 1000u * i;
    h.handshake();
    open.push_back(h.id);
  }
  CHECK(h.stack.connections(State::Established) == 16);
  h.tuple.remote_port = 42000;
  h.rseq = 777;
  h.send(h.seg(flag::SYN, h.rseq, 0));
  h.expect(flag::RST | flag::ACK, 0, 778);
  CHECK(h.stack.stats().conns_refused_full == 1);
  for (ConnId id : open) CHECK(h.stack.state(id) == State::Established);
  // An open connection still sends.
  CHECK(h.stack.send(open[0], bytes(10)) == 10);
  TCP_REQUIRE(h.sent_count() == 1);
  CHECK(h.out.sent.front().tuple.remote_port == 41000);
  CHECK(h.out.sent.front().len() == 10);
}

TEST_CASE("stack: table full: a valid cookie ACK is refused with RST") {
  TcpConfig c = test_config();
  c.max_connections = 16;
  c.max_half_open = 0;
  Harness h(c);
  for (uint16_t i = 0; i < 16; ++i) {
    h.tuple.remote_port = static_cast<uint16_t>(41000 + i);
    h.rseq = 1000u * i;
    h.handshake();
  }
  h.tuple.remote_port = 42000;
  h.rseq = 777;
  h.syn();  // cookies need no record: answered
  h.send_ack();
  h.expect(flag::RST, h.lseq, 0);
  CHECK(h.stack.stats().conns_refused_full == 1);
  CHECK(h.stack.connections(State::Established) == 16);
}
