// RFC 9293 data transfer: out-of-order reassembly (3.10.7.4 seventh check),
// sequence numbers wrapping past 2^32 (3.4), zero-window probing (3.8.6.1,
// RFC 1122 4.2.2.17), receiver window management and SWS avoidance (3.8.6.2.2).
#include "rfc_helpers.hpp"

using namespace rfc;

TEST_SUITE("rfc9293-data") {

// 3.10.7.4 seventh check: segments beyond RCV.NXT are held and delivered once
// the hole is filled, in order, each byte once. RFC 5681 4.2: "A TCP receiver
// SHOULD send an immediate duplicate ACK when an out-of-order segment arrives"
// and "SHOULD send an immediate ACK when the incoming segment fills in all or
// part of a gap".
TEST_CASE("out-of-order segments are delivered once, in order") {
  Rig r;
  RFC_REQUIRE(r.handshake());
  const uint32_t s0 = r.cli_nxt;
  // A=[0,100) B=[100,300) C=[300,400) D=[400,600); arrival D, B, C, A.
  struct Piece { uint32_t off, len; };
  for (Piece p : {Piece{400, 200}, Piece{100, 200}, Piece{300, 100}}) {
    CAPTURE(p.off);
    r.send_at(s0 + p.off, p.len);
    auto v = r.take();
    RFC_REQUIRE(v.size() == 1);
    CHECK(v[0].is(flag::ACK));
    CHECK(v[0].hdr.ack == s0);
    CHECK(v[0].len() == 0);
    CHECK(r.received().empty());
  }
  CHECK(r.stack.stats().ooo_segments >= 3);
  r.send_at(s0, 100);
  CHECK(r.received() == r.bytes_at(s0, 600));
  auto v = r.take();
  RFC_REQUIRE(v.size() == 1);
  CHECK(v[0].hdr.ack == s0 + 600);
  // DESIGN.md: buffers are borrowed only while bytes are held; all returned now.
  CHECK(r.stack.buffers_in_use() == 0);
}

// Overlapping and duplicate out-of-order data: each byte delivered exactly once.
TEST_CASE("overlapping and duplicate out-of-order segments") {
  Rig r;
  RFC_REQUIRE(r.handshake());
  const uint32_t s0 = r.cli_nxt;
  r.send_at(s0 + 200, 200);  // [200,400)
  r.send_at(s0 + 300, 200);  // [300,500) overlaps
  r.send_at(s0 + 200, 200);  // duplicate
  r.send_at(s0 + 450, 150);  // [450,600)
  r.send_at(s0 + 250, 10);   // inside what is held
  CHECK(r.received().empty());
  r.take();
  r.send_at(s0, 250);  // [0,250) overlaps the first held piece
  CHECK(r.received() == r.bytes_at(s0, 600));
  auto v = r.take_allowing_delack();
  RFC_REQUIRE(!v.empty());
  CHECK(v.back().hdr.ack == s0 + 600);
  // Retransmission of everything: nothing new to deliver.
  r.send_at(s0, 600);
  CHECK(r.received().size() == 600);
  v = r.take_allowing_delack();
  RFC_REQUIRE(!v.empty());
  CHECK(v.back().hdr.ack == s0 + 600);
}

// cfg.ooo_max_segments bounds what is held; the rest is dropped and counted,
// and the stream still completes once the peer retransmits.
TEST_CASE("out-of-order limit per connection") {
  TcpConfig c = base_config();
  c.ooo_max_segments = 8;
  Rig r(c);
  RFC_REQUIRE(r.handshake());
  const uint32_t s0 = r.cli_nxt;
  for (uint32_t i = 1; i <= 10; ++i) r.send_at(s0 + 20 * i, 10);  // 10 disjoint pieces
  CHECK(r.stack.stats().drop_ooo_full == 2);
  CHECK(r.received().empty());
  r.take();
  for (uint32_t off = 0; off < 210; off += 10) r.send_at(s0 + off, 10);
  CHECK(r.received() == r.bytes_at(s0, 210));
}

// 3.4: sequence numbers are modulo 2^32. A peer ISN just below 2^32 makes its
// stream wrap mid-transfer; out-of-order pieces across the wrap still reassemble.
TEST_CASE("peer sequence numbers wrap past 2^32 mid-transfer") {
  Rig r;
  PeerOpts p;
  SUBCASE("ISN = 2^32 - 1: SYN-ACK acknowledges 0") {
    p.isn = 0xffffffffu;
    RFC_REQUIRE(r.handshake(p));
    CHECK(r.synack.ack == 0u);
  }
  SUBCASE("ISN = 2^32 - 1000") {
    p.isn = 0xffffffffu - 1000;
    RFC_REQUIRE(r.handshake(p));
    CHECK(r.synack.ack == 0xffffffffu - 999);
  }
  const uint32_t s0 = r.cli_nxt;
  r.send_data(1460);
  r.send_data(1460);
  // Out of order across (or after) the wrap: [4380,5840) before [2920,4380).
  r.send_at(s0 + 4380, 1460);
  auto v = r.take();
  RFC_REQUIRE(!v.empty());
  CHECK(v.back().hdr.ack == s0 + 2920);
  r.send_at(s0 + 2920, 1460);
  r.cli_nxt = s0 + 5840;
  CHECK(r.received() == r.bytes_at(s0, 5840));
  v = r.take_allowing_delack();
  RFC_REQUIRE(!v.empty());
  CHECK(v.back().hdr.ack == s0 + 5840);
  CHECK(v.back().hdr.ack == uint32_t(p.isn + 1 + 5840));
  // Old duplicate from before the wrap is recognised as old (3.10.7.4 case 4).
  r.send_at(s0, 100);
  v = r.take();
  RFC_REQUIRE(v.size() == 1);
  CHECK(v[0].hdr.ack == s0 + 5840);
  CHECK(r.received().size() == 5840);
  // The connection closes normally across the wrap too.
  uint32_t fin = r.send_fin();
  v = r.take_allowing_delack();
  RFC_REQUIRE(!v.empty());
  CHECK(v.back().hdr.ack == fin + 1);
  CHECK(r.stack.state(r.id) == State::CloseWait);
}

// 3.8.6.1: "The sending TCP peer must regularly transmit at least one octet of
// new data (if available), or retransmit to the receiving TCP peer even if the
// send window is zero". RFC 1122 4.2.2.17: first probe after one RTO, SHOULD back
// off exponentially, and "MUST NOT close the connection as long as the
// receiving TCP continues to send acknowledgments in response to the probe
// segments". When the window opens, the remaining data flows from SND.UNA.
TEST_CASE("zero-window probing keeps the connection and resumes") {
  TcpConfig c = base_config();
  c.rto_max_us = 2'000'000;
  c.max_retransmits = 4;
  Rig r(c);
  PeerOpts p;
  p.window = 1000;
  RFC_REQUIRE(r.handshake(p, 1'000));
  RFC_REQUIRE(r.app_send(3000) == 3000);
  auto v = r.take_now();
  RFC_REQUIRE(bytes_in(v) == 1000);
  r.now += 1'000;
  r.peer.window = 0;
  const uint32_t una = r.iss + 1001;
  r.ack_to(una);
  for (auto& s : r.take()) CHECK(s.len() == 0);

  uint64_t last = r.now;
  uint64_t prev_gap = 0;
  for (int i = 0; i < 12; ++i) {  // well past max_retransmits
    CAPTURE(i);
    uint64_t t = r.run_until_tx(c.rto_max_us * 2, 5'000);
    RFC_REQUIRE(t != 0);
    uint64_t gap = t - last;
    if (i == 0) CHECK(gap + kSlackUs >= c.rto_min_us);
    if (i > 0) CHECK(gap + kSlackUs >= prev_gap);  // backs off, never speeds up
    CHECK(gap <= c.rto_max_us + kSlackUs);
    prev_gap = gap;
    last = t;
    v = r.take();
    RFC_REQUIRE(v.size() == 1);
    const Sent& probe = v[0];
    bool new_octet = probe.len() >= 1 && probe.hdr.seq == una;
    bool keepalive_style = probe.len() == 0 && probe.hdr.seq == una - 1;
    CHECK((new_octet || keepalive_style));
    if (new_octet) CHECK(probe.payload[0] == pattern_byte(1000));
    // Receiver still full: ACK the probe without taking the octet.
    r.ack_to(una);
    for (auto& s : r.take()) CHECK(s.seg_len() <= 1);
    CHECK(r.app.closed.empty());
    CHECK(r.stack.state(r.id) == State::Established);
  }
  // Window opens: bytes 1000.. flow, starting at SND.UNA, none skipped. The
  // peer ACKs what it got each round (cwnd may have been reduced meanwhile).
  r.peer.window = 4000;
  r.ack_to(una);
  std::vector<uint8_t> got;
  for (int round = 0; round < 10 && got.size() < 2000; ++round) {
    v = r.take_now();
    if (v.empty()) v = r.take_allowing_delack();
    for (auto& s : v) {
      uint32_t expect = una + uint32_t(got.size());
      if (s.len() == 0 || seq_le(s.end(), expect)) continue;
      RFC_REQUIRE(seq_le(s.hdr.seq, expect));  // never skips bytes
      uint32_t skip = expect - s.hdr.seq;
      got.insert(got.end(), s.payload.begin() + skip, s.payload.end());
    }
    r.ack_to(una + uint32_t(got.size()));
  }
  CHECK(got == pattern(1000, 2000));
}

// 3.8.6.2.2 receiver SWS avoidance (MUST): the window is not reopened in steps
// smaller than min(RCV.BUFF / 2, Eff.snd.MSS); once it can be, the new window is
// announced without waiting for the peer's probe.
TEST_CASE("window update after the application drains; no silly window") {
  TcpConfig c = base_config();
  c.recv_buffer_bytes = 4096;
  Rig r(c);
  r.app.consume_limit = 0;
  RFC_REQUIRE(r.handshake());
  r.send_data(1460);
  r.send_data(1460);
  r.send_data(1176);
  auto v = r.take_allowing_delack();
  RFC_REQUIRE(!v.empty());
  CHECK(v.back().hdr.window == 0);

  // App takes 1000 bytes: a 1000-byte window would be silly (< min(2048, 1460)).
  r.app.consume_limit = 1000;
  r.stack.resume_read(r.id);
  CHECK(r.received().size() == 1000);
  v = r.take_allowing_delack();
  for (auto& s : v) CHECK((s.hdr.window == 0 || s.hdr.window >= 1460));

  // App drains the rest: the full window is announced.
  r.app.consume_limit = SIZE_MAX;
  r.stack.resume_read(r.id);
  CHECK(r.received() == r.bytes_at(r.peer.isn + 1, 4096));
  v = r.take_allowing_delack();
  RFC_REQUIRE(!v.empty());
  CHECK(v.back().is(flag::ACK));
  CHECK(v.back().hdr.ack == r.cli_nxt);
  CHECK(v.back().hdr.window == 4096);
  // And the peer can use it.
  r.send_data(1460);
  CHECK(r.received().size() == 4096 + 1460);
}

// Bytes the application does not take are held, not lost, and offered again by
// resume_read exactly once; the window shrinks by what is held.
TEST_CASE("held bytes shrink the window and are re-offered once") {
  TcpConfig c = base_config();
  c.recv_buffer_bytes = 8192;
  Rig r(c);
  r.app.consume_limit = 300;
  RFC_REQUIRE(r.handshake());
  auto d = r.send_data(1000);
  CHECK(r.received().size() == 300);
  auto v = r.take_allowing_delack();
  RFC_REQUIRE(!v.empty());
  CHECK(v.back().hdr.ack == r.cli_nxt);
  CHECK(v.back().hdr.window <= 8192 - 700);
  r.app.consume_limit = SIZE_MAX;
  r.stack.resume_read(r.id);
  CHECK(r.received() == d);
  r.stack.resume_read(r.id);
  CHECK(r.received() == d);
}

// 3.10.7.4 fifth check, ESTABLISHED: "If (SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ
// and SND.WL2 =< SEG.ACK)), set SND.WND <- SEG.WND, set SND.WL1 <- SEG.SEQ, and
// set SND.WL2 <- SEG.ACK" — "this prevents using old segments to update the window".
// A reordered (older) segment carrying window 0 must not close the send window.
TEST_CASE("SND.WL1/WL2: an older segment does not update the send window") {
  Rig r;
  RFC_REQUIRE(r.handshake());
  const uint32_t s0 = r.cli_nxt;
  r.send_at(s0, 100);        // WL1 = s0
  r.send_at(s0 + 200, 100);  // out of order, acceptable: WL1 = s0+200, window 65535
  r.take();
  r.peer.window = 0;
  r.send_at(s0 + 100, 100);  // SEG.SEQ < WL1: its window 0 is stale
  r.peer.window = 65535;
  CHECK(r.received() == r.bytes_at(s0, 300));
  r.take_allowing_delack();
  RFC_REQUIRE(r.app_send(100) == 100);
  auto v = r.take_now();
  CHECK(bytes_in(v) == 100);
}

// 3.8.6.2.1 / 3.10.7.4: an ACK that opens the window (same SEG.ACK, larger
// SEG.WND, newer SEG.SEQ) lets queued data go at once.
TEST_CASE("window update from the peer releases queued data") {
  Rig r;
  PeerOpts p;
  p.window = 0;
  RFC_REQUIRE(r.handshake(p));
  RFC_REQUIRE(r.app_send(500) == 500);
  for (auto& s : r.take_now()) CHECK(s.len() == 0);
  r.peer.window = 65535;
  r.ack_to(r.iss + 1);
  auto v = r.take_now();
  RFC_REQUIRE(!v.empty());
  CHECK(v[0].hdr.seq == r.iss + 1);
  CHECK(bytes_in(v) == 500);
}

// RFC 9293 3.8.6.3 / RFC 5681 4.2: "an ACK SHOULD be generated for at least every
// second full-sized segment" and a delayed ACK "MUST be less than 0.5 seconds"
// (here cfg.delayed_ack_us).
TEST_CASE("ACK generation: every second full-sized segment, delayed ACK bounded") {
  Rig r;
  RFC_REQUIRE(r.handshake());
  r.send_data(1460);
  auto first = r.take();  // may be delayed
  r.send_data(1460);
  auto v = r.take();
  v.insert(v.begin(), first.begin(), first.end());
  RFC_REQUIRE(!v.empty());
  CHECK(v.back().hdr.ack == r.cli_nxt);

  // A lone small segment: the ACK comes within the delayed-ACK time.
  r.send_data(10);
  v = r.take();
  if (v.empty()) {
    uint64_t t0 = r.now;
    uint64_t t = r.run_until_tx(500'000);
    RFC_REQUIRE(t != 0);
    CHECK(t - t0 <= r.cfg.delayed_ack_us + kSlackUs);
    v = r.take();
  }
  RFC_REQUIRE(!v.empty());
  CHECK(v.back().hdr.ack == r.cli_nxt);
}

// 3.10.7.4 eighth check: the FIN is acknowledged at once (RCV.NXT moves over it)
// but the user is told only after the text before it: "FIN implies PUSH for any
// segment text not yet delivered to the user" — on_peer_closed waits for the
// application to take the held bytes.
TEST_CASE("FIN behind bytes the application has not taken") {
  Rig r;
  r.app.consume_limit = 0;
  RFC_REQUIRE(r.handshake());
  auto d = r.send_data(100, flag::FIN);
  const uint32_t after_fin = r.cli_nxt;
  auto v = r.take_allowing_delack();
  RFC_REQUIRE(!v.empty());
  CHECK(v.back().hdr.ack == after_fin);
  CHECK(r.app.peer_closed.empty());
  r.app.consume_limit = SIZE_MAX;
  r.stack.resume_read(r.id);
  CHECK(r.received() == d);
  CHECK(r.app.peer_closed.size() == 1);
  CHECK(r.stack.state(r.id) == State::CloseWait);
}

}  // TEST_SUITE
