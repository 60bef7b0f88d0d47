// RFC 7323 window scaling and timestamps (PAWS), MSS negotiation.
#include <doctest/doctest.h>

#include <vector>

#include "tcp_harness.hpp"

using namespace wsgate::tcp;
using namespace wsgate::tcp::test;

TEST_CASE("window scale: offered only when the SYN had it; SYN-ACK window unscaled") {
  TcpConfig c = test_config();
  c.window_scale = 7;
  c.recv_buffer_bytes = 1 << 20;
  Harness h(c);
  h.peer_wscale = 2;
  SentSegment sa = h.syn();
  CHECK(sa.hdr.wscale == 7);
  CHECK(sa.hdr.window == 65535);
  h.send_ack();
  h.send_data("x");
  h.advance(c.delayed_ack_us);
  SentSegment a = h.expect_ack();
  CHECK(a.hdr.window == (1 << 20) >> 7);
}

TEST_CASE("window scale: the peer's shift applies to its window after the SYN") {
  Harness h;
  h.peer_wscale = 4;
  h.peer_mss = 1000;
  h.handshake();
  h.peer_window = 100;  // 100 << 4 = 1600 bytes
  h.send_ack();
  std::vector<uint8_t> data(5000, 'w');
  CHECK(h.stack.send(h.id, data) == 5000);
  h.expect_data(1000);
  h.expect_data(600);
  h.expect_nothing();
}

TEST_CASE("MSS: min of ours and the peer's; 536 when the SYN has none") {
  Harness h;
  h.peer_mss = 0;
  h.handshake();
  std::vector<uint8_t> data(1000, 'm');
  h.stack.send(h.id, data);
  h.expect_data(536);
  h.expect_data(464);
}

TEST_CASE("timestamps: negotiated when offered, echoed, and they shrink the payload") {
  Harness h;
  h.peer_ts = true;
  h.peer_mss = 1000;
  SentSegment sa = h.syn();
  CHECK(sa.hdr.has_timestamp);
  CHECK(sa.hdr.ts_ecr == h.peer_tsval);
  h.send_ack();
  TCP_REQUIRE(h.app.established.size() == 1);
  h.id = h.app.established[0];
  std::vector<uint8_t> data(1000, 't');
  h.stack.send(h.id, data);
  SentSegment s = h.expect_data(988);  // 1000 - 12 bytes of TS option
  CHECK(s.hdr.has_timestamp);
  CHECK(s.hdr.ts_ecr == h.peer_tsval);
  h.expect_data(12);
}

TEST_CASE("timestamps: not used when disabled in the config") {
  TcpConfig c = test_config();
  c.timestamps = false;
  Harness h(c);
  h.peer_ts = true;
  SentSegment sa = h.syn();
  CHECK_FALSE(sa.hdr.has_timestamp);
}

TEST_CASE("PAWS: a segment with an older timestamp is dropped and ACKed") {
  Harness h;
  h.peer_ts = true;
  h.handshake();
  h.send_data("new");
  TcpRepr old = h.seg(flag::ACK | flag::PSH);
  old.ts_val = h.peer_tsval - 100;
  h.send(old, "old!");
  CHECK(h.app.received_text() == "new");
  CHECK(h.stack.stats().drop_paws == 1);
  h.expect_ack();
}

TEST_CASE("timestamps: TS.Recent follows in-order segments") {
  Harness h;
  h.peer_ts = true;
  h.handshake();
  h.send_data("a");
  h.send_data("b");
  SentSegment a = h.expect_ack();
  CHECK(a.hdr.ts_ecr == h.peer_tsval);
}

TEST_CASE("timestamps negotiated: a segment without TSopt is dropped, an RST without it still works") {
  Harness h;
  h.peer_ts = true;
  h.handshake();
  TcpRepr bare = h.seg(flag::ACK | flag::PSH);
  bare.has_timestamp = false;
  h.send(bare, "nots");
  CHECK(h.app.received.empty());
  CHECK(h.stack.stats().drop_no_timestamp == 1);
  CHECK(h.stack.state(h.id) == State::Established);
  TcpRepr rst = h.seg(flag::RST);
  rst.has_timestamp = false;
  h.send(rst);
  CHECK(h.app.closed.size() == 1);
}
