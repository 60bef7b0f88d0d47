// RFC 7323: window scale negotiation and use, timestamps (TS.Recent, echo
// rules), PAWS.
#include "rfc_helpers.hpp"

using namespace rfc;

TEST_SUITE("rfc7323") {

// 2.2: "A TCP MAY send the Window Scale option in a <SYN,ACK> segment only if it
// has received a Window Scale option in the initial <SYN> segment." 2.3: without
// WS in both SYNs, both shifts are zero. 2.2: "The window field in a segment where
// the SYN bit is set MUST NOT be scaled."
TEST_CASE("window scale: only when the SYN carries it; SYN-ACK window unscaled") {
  TcpConfig c = base_config();
  c.recv_buffer_bytes = 16384;
  c.window_scale = 7;
  Rig r(c);
  PeerOpts p;
  bool offer = false;
  SUBCASE("peer offers WS") {
    offer = true;
    p.wscale = 2;
  }
  SUBCASE("peer does not offer WS") { offer = false; }
  RFC_REQUIRE(r.handshake(p));
  if (offer) {
    CHECK(r.synack.wscale == 7);
  } else {
    CHECK(r.synack.wscale == -1);
  }
  // The whole (empty) buffer is offered; the SYN-ACK carries it unscaled.
  CHECK(r.synack.window == 16384);
  r.send_data(100);  // consumed by the app at once
  auto v = r.take_allowing_delack();
  RFC_REQUIRE(!v.empty());
  CHECK(v.back().hdr.ack == r.cli_nxt);
  CHECK(v.back().hdr.wscale == -1);  // WS appears only on SYN segments (2.2)
  // 2.3: SEG.WND field = RCV.WND >> Rcv.Wind.Shift.
  CHECK(v.back().hdr.window == (offer ? 16384 >> 7 : 16384));
}

// 2.3: "the received window is scaled by Snd.Wind.Shift: SND.WND = SEG.WND <<
// Snd.Wind.Shift"; with no WS in the SYN the shift is 0. Sender SWS avoidance
// (RFC 9293 3.8.6.2.1) allows sending a whole usable window smaller than one MSS
// when it is the largest window the peer has offered.
TEST_CASE("window scale: peer's shift applied to its window, not to its SYN") {
  Rig r;
  PeerOpts p;
  p.window = 50;
  uint32_t expect_wnd = 0;
  SUBCASE("shift 4") {
    p.wscale = 4;
    expect_wnd = 50u << 4;
  }
  SUBCASE("no WS") { expect_wnd = 50; }
  RFC_REQUIRE(r.handshake(p));
  RFC_REQUIRE(r.app_send(5000) == 5000);
  auto v = r.take_now();
  CHECK(bytes_in(v) == expect_wnd);
  if (!v.empty()) CHECK(v[0].hdr.seq == r.iss + 1);
  // Nothing more until the window moves.
  r.advance(10'000);
  for (auto& s : r.take()) CHECK(s.len() == 0);
}

// 2.3: "If a Window Scale option is received with a shift.cnt value larger than
// 14, the TCP SHOULD log the error but MUST use 14 instead of the specified
// value." With window field 1 the peer's window is 1 << 14 = 16384 bytes; grow
// cwnd past that and the flight must stop at the window (not at 1 << 15).
TEST_CASE("window scale: a shift above 14 is used as 14") {
  Rig r;
  PeerOpts p;
  p.wscale = 15;
  p.window = 1;
  RFC_REQUIRE(r.handshake(p));
  RFC_REQUIRE(r.app_send(60000) == 60000);
  uint32_t una = r.iss + 1, nxt = una;
  auto track = [&](const std::vector<Sent>& v) {
    for (auto& s : v)
      if (seq_lt(nxt, s.end())) nxt = s.end();
  };
  track(r.take_now());
  for (int round = 0; round < 4; ++round) {
    CHECK(nxt - una <= 16384u);
    uint32_t end = nxt;
    for (uint32_t a = una + 1460; seq_le(a, end); a += 1460) {
      r.ack_to(a);
      una = a;
      track(r.take());
      CHECK(nxt - una <= 16384u);
    }
  }
  CHECK(nxt != r.iss + 1);
}

// 3.2: "A TCP MAY send the TSopt in an initial <SYN> segment ... an initial <SYN,ACK>
// ... only if it received a TSopt in the initial <SYN>"; TSecr echoes TS.Recent
// (4.3). "Once TSopt has been successfully negotiated ... the TSopt MUST be sent
// in every non-<RST> segment".
TEST_CASE("timestamps: negotiated only when the SYN offers them, then on every segment") {
  SUBCASE("peer offers TS") {
    Rig r;
    PeerOpts p;
    p.timestamps = true;
    p.ts_start = 123456;
    RFC_REQUIRE(r.handshake(p));
    CHECK(r.synack.has_timestamp);
    CHECK(r.synack.ts_ecr == 123456);
    r.peer_tsval = 200000 - 1;  // next segment carries TSval 200000
    r.send_data(100);
    auto v = r.take_allowing_delack();
    RFC_REQUIRE(!v.empty());
    CHECK(v.back().hdr.has_timestamp);
    CHECK(v.back().hdr.ts_ecr == 200000);
    // Our data segments carry TS too, echoing TS.Recent, with a clock that does not go back.
    RFC_REQUIRE(r.app_send(300) == 300);
    auto d = r.take_now();
    RFC_REQUIRE(!d.empty());
    CHECK(d[0].hdr.has_timestamp);
    CHECK(d[0].hdr.ts_ecr == 200000);
    CHECK(int32_t(d[0].hdr.ts_val - r.synack.ts_val) >= 0);
    // 6.3 / 4.3: MSS includes no options; with 12 bytes of TS per segment the
    // payload of a full segment is at most MSS - 12 (RFC 6691).
    RFC_REQUIRE(r.app_send(4000, 300) == 4000);
    auto w = r.take_now();
    RFC_REQUIRE(!w.empty());
    for (auto& s : w) {
      CHECK(s.hdr.has_timestamp);
      CHECK(s.len() <= 1460u - 12u);
    }
  }
  SUBCASE("peer does not offer TS") {
    Rig r;
    RFC_REQUIRE(r.handshake());
    CHECK_FALSE(r.synack.has_timestamp);
    r.send_data(100);
    RFC_REQUIRE(r.app_send(300) == 300);
    auto v = r.take_allowing_delack();
    RFC_REQUIRE(!v.empty());
    for (auto& s : v) CHECK_FALSE(s.hdr.has_timestamp);
  }
  SUBCASE("config disables TS") {
    TcpConfig c = base_config();
    c.timestamps = false;
    Rig r(c);
    PeerOpts p;
    p.timestamps = true;
    RFC_REQUIRE(r.handshake(p));
    CHECK_FALSE(r.synack.has_timestamp);
  }
}

// 4.3 (2)/(3): TS.Recent is updated only from a segment that covers
// Last.ACK.sent; example (C): ACKs for out-of-order segments echo the TSval of
// the last in-sequence segment, and the ACK after the hole fills echoes the
// segment that filled it.
TEST_CASE("timestamps: TS.Recent ignores out-of-order segments") {
  Rig r;
  PeerOpts p;
  p.timestamps = true;
  p.ts_start = 1;  // TS.Recent after the handshake: 2
  RFC_REQUIRE(r.handshake(p));
  const uint32_t s0 = r.cli_nxt;

  r.peer_tsval = 9;  // -> TSval 10
  r.send_at(s0, 100);
  auto v = r.take_allowing_delack();
  RFC_REQUIRE(!v.empty());
  CHECK(v.back().hdr.ts_ecr == 10);

  r.peer_tsval = 19;  // -> TSval 20, out of order (hole at s0+100)
  r.send_at(s0 + 200, 100);
  v = r.take();
  RFC_REQUIRE(v.size() == 1);  // RFC 5681 4.2: immediate duplicate ACK
  CHECK(v[0].hdr.ack == s0 + 100);
  CHECK(v[0].hdr.ts_ecr == 10);

  r.peer_tsval = 29;  // -> TSval 30 fills the hole
  r.send_at(s0 + 100, 100);
  v = r.take_allowing_delack();
  RFC_REQUIRE(!v.empty());
  CHECK(v.back().hdr.ack == s0 + 300);
  CHECK(v.back().hdr.ts_ecr == 30);
  CHECK(r.received() == r.bytes_at(s0, 300));
}

// 5.3 R1: "If there is a Timestamps option in the arriving segment, SEG.TSval <
// TS.Recent, TS.Recent is valid, and if the RST bit is not set, then treat the
// arriving segment as not acceptable: Send an acknowledgment in reply as
// specified in [RFC793] page 69 and drop the segment."
TEST_CASE("PAWS: old TSval is dropped with an ACK; newer accepted") {
  Rig r;
  PeerOpts p;
  p.timestamps = true;
  p.ts_start = 100;
  RFC_REQUIRE(r.handshake(p));
  const uint32_t s0 = r.cli_nxt;
  r.peer_tsval = 999;  // TS.Recent = 1000
  r.send_data(100);
  r.take_allowing_delack();
  RFC_REQUIRE(r.received().size() == 100);

  TcpRepr h = r.mk(flag::ACK | flag::PSH);
  h.ts_val = 500;  // older than TS.Recent
  r.input(h, r.bytes_at(r.cli_nxt, 50));
  auto v = r.take();
  RFC_REQUIRE(v.size() == 1);
  CHECK(v[0].is(flag::ACK));
  CHECK(v[0].hdr.seq == r.iss + 1);
  CHECK(v[0].hdr.ack == s0 + 100);
  CHECK(v[0].hdr.ts_ecr == 1000);  // TS.Recent unchanged
  CHECK(r.received().size() == 100);
  CHECK(r.stack.stats().drop_paws == 1);

  h.ts_val = 1001;
  r.input(h, r.bytes_at(r.cli_nxt, 50));
  CHECK(r.received() == r.bytes_at(s0, 150));
  CHECK(r.stack.stats().drop_paws == 1);
}

// 5.3 R1 excludes RST: an RST with an old TSval at RCV.NXT still resets.
TEST_CASE("PAWS: not applied to RST") {
  Rig r;
  PeerOpts p;
  p.timestamps = true;
  p.ts_start = 100;
  RFC_REQUIRE(r.handshake(p));
  r.peer_tsval = 999;
  r.send_data(10);
  RFC_REQUIRE(r.received().size() == 10);
  TcpRepr h = r.mk(flag::RST, r.cli_nxt, 0);
  h.ts_val = 1;
  r.input(h);
  RFC_REQUIRE(r.app.closed.size() == 1);
  CHECK(r.app.closed[0].second == CloseReason::ResetByPeer);
}

// 5.3 / 4.3: timestamp comparisons are modulo 2^32 ("SEG.TSval < TS.Recent"
// uses sequence-space arithmetic), so a TSval that wrapped is newer, not older.
TEST_CASE("PAWS: TSval wrapping past 2^32 is accepted") {
  Rig r;
  PeerOpts p;
  p.timestamps = true;
  p.ts_start = 0xfffffff0u;
  RFC_REQUIRE(r.handshake(p));  // handshake ACK carries 0xfffffff1
  r.send_data(100);             // 0xfffffff2
  r.peer_tsval = 0xfffffffeu;
  r.send_data(100);  // 0xffffffff
  r.send_data(100);  // 0x00000000
  r.send_data(100);  // 0x00000001
  CHECK(r.received().size() == 400);
  CHECK(r.stack.stats().drop_paws == 0);
  auto v = r.take_allowing_delack();
  RFC_REQUIRE(!v.empty());
  CHECK(v.back().hdr.ack == r.cli_nxt);
  CHECK(v.back().hdr.ts_ecr == 1);
}

// 3.2: "If a non-<RST> segment is received without a TSopt, a TCP SHOULD silently
// drop the segment. A TCP MUST NOT abort a TCP connection because any segment
// lacks an expected TSopt."
TEST_CASE("timestamps negotiated: segment without TSopt is dropped (SHOULD)") {
  Rig r;
  PeerOpts p;
  p.timestamps = true;
  RFC_REQUIRE(r.handshake(p));
  TcpRepr h = r.mk(flag::ACK | flag::PSH);
  h.has_timestamp = false;
  r.input(h, r.bytes_at(r.cli_nxt, 50));
  CHECK(r.received().empty());
  CHECK(r.stack.state(r.id) == State::Established);
}

// 3.2: an <RST> is processed whether or not it carries a TSopt.
TEST_CASE("timestamps negotiated: RST without TSopt still resets") {
  Rig r;
  PeerOpts p;
  p.timestamps = true;
  RFC_REQUIRE(r.handshake(p));
  r.send_data(50);
  RFC_REQUIRE(r.received().size() == 50);
  TcpRepr rst = r.mk(flag::RST, r.cli_nxt, 0);
  rst.has_timestamp = false;
  r.input(rst);
  RFC_REQUIRE(r.app.closed.size() == 1);
  CHECK(r.app.closed[0].second == CloseReason::ResetByPeer);
}

}  // TEST_SUITE
