// RFC 9293 section 3.10 event processing, server side, one segment at a time.
// Written from the RFC text; every expectation cites the paragraph it comes from.
#include "rfc_helpers.hpp"

using namespace rfc;

namespace {

bool has_rst(const std::vector<Sent>& v) {
  for (auto& s : v)
    if (s.hdr.has(flag::RST)) return true;
  return false;
}

}  // namespace

TEST_SUITE("rfc9293") {

// 3.10.7.2 LISTEN, "third check for a SYN": send <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>,
// RCV.NXT = SEG.SEQ+1, state SYN-RECEIVED. 3.10.7.4 SYN-RECEIVED, fifth check:
// an acceptable ACK moves to ESTABLISHED and the user is told.
TEST_CASE("LISTEN -> SYN-RECEIVED -> ESTABLISHED") {
  Rig r;
  RFC_REQUIRE(r.init_ok);
  CHECK(r.stack.connections_total() == 0);

  r.input(r.syn_hdr());
  auto v = r.take();
  RFC_REQUIRE(v.size() == 1);
  const Sent& sa = v[0];
  CHECK(sa.is(flag::SYN | flag::ACK));
  CHECK(sa.hdr.ack == r.peer.isn + 1);
  CHECK(sa.len() == 0);
  CHECK(sa.tuple == r.tup);
  CHECK(sa.hdr.src_port == r.tup.local_port);
  CHECK(sa.hdr.dst_port == r.tup.remote_port);
  // 3.7.1: the MSS option is sent in the SYN; ours is cfg.mss.
  CHECK(sa.hdr.mss == r.cfg.mss);
  // RFC 7323 2.2/3.2: no WS / TS in the SYN-ACK unless the SYN carried them.
  CHECK(sa.hdr.wscale == -1);
  CHECK_FALSE(sa.hdr.has_timestamp);
  // The window of a SYN is never scaled (RFC 7323 2.2); it must not exceed our ceiling.
  CHECK(sa.hdr.window > 0);
  CHECK(sa.hdr.window <= r.cfg.recv_buffer_bytes);
  CHECK(r.stack.connections(State::SynReceived) == 1);
  CHECK(r.stack.connections_total() == 1);
  CHECK(r.app.established.empty());

  // Third segment of the handshake: <SEQ=ISN+1><ACK=ISS+1><CTL=ACK>.
  r.iss = sa.hdr.seq;
  r.cli_nxt = r.peer.isn + 1;
  r.srv_nxt = r.iss + 1;
  r.input(r.mk(flag::ACK));
  CHECK(r.take().empty());  // nothing to say: no data, ACK of our SYN is just consumed
  RFC_REQUIRE(r.app.established.size() == 1);
  ConnId id = r.app.established[0];
  CHECK(r.stack.state(id) == State::Established);
  CHECK(r.stack.connections(State::Established) == 1);
  CHECK(r.stack.connections(State::SynReceived) == 0);
  CHECK(r.stack.stats().conns_accepted == 1);
  CHECK(r.stack.tuple(id) == r.tup);
}

// 3.10.7.4 SYN-RECEIVED, fifth check: "If the segment acknowledgment is not
// acceptable, form a reset segment <SEQ=SEG.ACK><CTL=RST> and send it."
TEST_CASE("SYN-RECEIVED: unacceptable ACK gets <SEQ=SEG.ACK><CTL=RST>") {
  Rig r;
  RFC_REQUIRE(r.send_syn());
  uint32_t bad_ack = r.iss + 1000;
  r.input(r.mk(flag::ACK, r.cli_nxt, bad_ack));
  auto v = r.take();
  RFC_REQUIRE(v.size() == 1);
  CHECK(v[0].is(flag::RST));
  CHECK(v[0].hdr.seq == bad_ack);
  CHECK(v[0].len() == 0);
  CHECK(r.app.established.empty());
  // The half-open connection is not destroyed by the peer's bad ACK: the
  // correct ACK still completes it.
  r.input(r.mk(flag::ACK));
  CHECK(r.app.established.size() == 1);
}

// 3.10.7.4 SYN-RECEIVED, second check (RST): "If this connection was initiated
// with a passive OPEN (i.e., came from the LISTEN state), then return this
// connection to LISTEN state and return. The user need not be informed."
TEST_CASE("SYN-RECEIVED: RST returns to LISTEN") {
  Rig r;
  RFC_REQUIRE(r.send_syn());
  r.input(r.mk(flag::RST, r.cli_nxt, 0));  // SEG.SEQ == RCV.NXT exactly
  CHECK(r.take().empty());
  CHECK(r.stack.connections(State::SynReceived) == 0);
  CHECK(r.stack.connections_total() == 0);
  CHECK(r.app.established.empty());
  // The port still listens: a fresh SYN is answered.
  r.peer.isn = 777777;
  CHECK(r.send_syn());
  CHECK(r.stack.connections(State::SynReceived) == 1);
}

// 3.10.7.4 "Second, check the RST bit" (RFC 5961 3 folded into RFC 9293, before
// the per-state text, so SYN-RECEIVED included): an in-window RST that is not
// exactly RCV.NXT gets a challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>; an
// RST outside the window is dropped silently.
TEST_CASE("SYN-RECEIVED: inexact RST is challenged, out-of-window RST ignored") {
  Rig r;
  RFC_REQUIRE(r.send_syn());
  r.input(r.mk(flag::RST, r.cli_nxt + 100, 0));
  auto v = r.take();
  RFC_REQUIRE(v.size() == 1);
  CHECK(v[0].is(flag::ACK));
  CHECK(v[0].hdr.seq == r.iss + 1);
  CHECK(v[0].hdr.ack == r.cli_nxt);
  CHECK(r.stack.connections(State::SynReceived) == 1);
  r.input(r.mk(flag::RST, r.cli_nxt - 1, 0));
  CHECK(r.take().empty());
  CHECK(r.stack.connections(State::SynReceived) == 1);
  r.input(r.mk(flag::ACK));
  CHECK(r.app.established.size() == 1);
}

// 3.10.7.4 SYN-RECEIVED then ESTABLISHED, seventh check: text arriving on the
// handshake-completing ACK is delivered.
TEST_CASE("SYN-RECEIVED: data on the completing ACK is delivered") {
  Rig r;
  RFC_REQUIRE(r.send_syn());
  auto bytes = r.bytes_at(r.cli_nxt, 300);
  r.input(r.mk(flag::ACK | flag::PSH), bytes);
  RFC_REQUIRE(r.app.established.size() == 1);
  r.id = r.app.established[0];
  CHECK(r.received() == bytes);
  auto v = r.take_allowing_delack();
  RFC_REQUIRE(!v.empty());
  CHECK(v.back().is(flag::ACK));
  CHECK(v.back().hdr.ack == r.cli_nxt + 300);
  CHECK(v.back().hdr.seq == r.iss + 1);
}

// A retransmitted SYN (same ISN) in SYN-RECEIVED lies outside the window
// (SEG.SEQ = IRS < RCV.NXT): 3.10.7.4 first check answers an unacceptable
// segment with an ACK (<SEQ=SND.NXT><ACK=RCV.NXT>); re-sending the SYN-ACK is
// the common equivalent. Either way no RST, no second connection.
TEST_CASE("SYN-RECEIVED: retransmitted SYN is answered, not reset") {
  Rig r;
  RFC_REQUIRE(r.send_syn());
  r.now += 100'000;
  r.input(r.syn_hdr());
  auto v = r.take();
  RFC_REQUIRE(v.size() == 1);
  CHECK(v[0].hdr.has(flag::ACK));
  CHECK_FALSE(v[0].hdr.has(flag::RST));
  CHECK(v[0].hdr.ack == r.peer.isn + 1);
  CHECK(v[0].hdr.seq == (v[0].hdr.has(flag::SYN) ? r.iss : r.iss + 1));
  CHECK(r.stack.connections(State::SynReceived) == 1);
  CHECK(r.stack.connections_total() == 1);
  r.input(r.mk(flag::ACK));
  CHECK(r.app.established.size() == 1);
}

// 3.10.7.2 LISTEN, first check: "An incoming RST segment could not be valid ... ignore".
TEST_CASE("LISTEN: RST is ignored") {
  Rig r;
  TcpRepr h = r.syn_hdr();
  h.flags = flag::RST;
  r.input(h);
  CHECK(r.take().empty());
  CHECK(r.stack.connections_total() == 0);
}

// 3.10.7.2 LISTEN, second check: "Any acknowledgment is bad if it arrives on a
// connection still in the LISTEN state. An acceptable reset segment should be
// formed for any arriving ACK-bearing segment ... <SEQ=SEG.ACK><CTL=RST>".
TEST_CASE("LISTEN: ACK-bearing segment gets <SEQ=SEG.ACK><CTL=RST>") {
  Rig r;
  TcpRepr h = r.syn_hdr();
  h.flags = flag::ACK;
  h.seq = 5555;
  h.ack = 0xdeadbeef;
  h.mss = 0;
  r.input(h);
  auto v = r.take();
  RFC_REQUIRE(v.size() == 1);
  CHECK(v[0].is(flag::RST));
  CHECK(v[0].hdr.seq == 0xdeadbeef);
  CHECK(v[0].len() == 0);
  CHECK(v[0].tuple == r.tup);
  CHECK(r.stack.connections_total() == 0);
}

// 3.10.7.1 CLOSED: "If the ACK bit is off, sequence number zero is used,
// <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. If the ACK bit is on,
// <SEQ=SEG.ACK><CTL=RST>." SEG.LEN counts SYN and FIN.
TEST_CASE("CLOSED port: RST per 3.10.7.1") {
  Rig r;
  FourTuple t = r.tup;
  t.local_port = 81;  // nobody listens here
  TcpRepr h;
  h.src_port = t.remote_port;
  h.dst_port = t.local_port;
  h.window = 1000;

  SUBCASE("SYN -> <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>") {
    h.flags = flag::SYN;
    h.seq = 0xfffffff0;
    h.mss = 1460;
    r.input_from(t, h);
    auto v = r.take();
    RFC_REQUIRE(v.size() == 1);
    CHECK(v[0].is(flag::RST | flag::ACK));
    CHECK(v[0].hdr.seq == 0);
    CHECK(v[0].hdr.ack == 0xfffffff1);
    CHECK(v[0].tuple == t);
    CHECK(v[0].hdr.src_port == 81);
    CHECK(r.stack.stats().drop_no_listener == 1);
    CHECK(r.stack.stats().rst_out == 1);
  }
  SUBCASE("data+FIN without ACK -> ACK=SEG.SEQ+len+1 (wraps)") {
    h.flags = flag::FIN | flag::PSH;
    h.seq = 0xffffffff - 9;
    std::vector<uint8_t> d(20, 0x55);
    r.input_from(t, h, d);
    auto v = r.take();
    RFC_REQUIRE(v.size() == 1);
    CHECK(v[0].is(flag::RST | flag::ACK));
    CHECK(v[0].hdr.seq == 0);
    CHECK(v[0].hdr.ack == uint32_t(0xffffffff - 9 + 21));
  }
  SUBCASE("ACK-bearing segment -> <SEQ=SEG.ACK><CTL=RST>") {
    h.flags = flag::ACK | flag::PSH;
    h.seq = 1234;
    h.ack = 987654321;
    std::vector<uint8_t> d(10, 0x55);
    r.input_from(t, h, d);
    auto v = r.take();
    RFC_REQUIRE(v.size() == 1);
    CHECK(v[0].is(flag::RST));
    CHECK(v[0].hdr.seq == 987654321);
    CHECK(v[0].len() == 0);
  }
  SUBCASE("RST -> discarded") {
    h.flags = flag::RST;
    h.seq = 1234;
    r.input_from(t, h);
    CHECK(r.take().empty());
    h.flags = flag::RST | flag::ACK;
    h.ack = 77;
    r.input_from(t, h);
    CHECK(r.take().empty());
    CHECK(r.stack.stats().rst_out == 0);
  }
}

// 3.10.7.4 ESTABLISHED, fifth check: "if the ACK bit is off, drop the segment and return".
TEST_CASE("ESTABLISHED: segment without ACK bit is dropped") {
  Rig r;
  RFC_REQUIRE(r.handshake());
  auto bytes = r.bytes_at(r.cli_nxt, 100);
  r.input(r.mk(flag::PSH, r.cli_nxt, 0), bytes);
  CHECK(r.received().empty());
  CHECK(r.stack.state(r.id) == State::Established);
}

// 3.10.7.4 eighth check (FIN) in ESTABLISHED -> CLOSE-WAIT: "advance RCV.NXT over
// the FIN, and send an acknowledgment for the FIN"; user signalled. 3.10.4 CLOSE
// in CLOSE-WAIT: queue FIN, enter LAST-ACK. LAST-ACK: "if the ACK acknowledges
// our FIN, enter the CLOSED state, delete the TCB".
TEST_CASE("passive close: CLOSE-WAIT -> LAST-ACK -> CLOSED") {
  Rig r;
  RFC_REQUIRE(r.handshake());
  auto data = r.send_data(10);
  uint32_t fin_seq = r.send_fin();
  CHECK(r.received() == data);
  auto v = r.take_allowing_delack();
  RFC_REQUIRE(!v.empty());
  CHECK(v.back().is(flag::ACK));
  CHECK(v.back().hdr.ack == fin_seq + 1);
  CHECK(v.back().hdr.seq == r.iss + 1);
  CHECK(r.app.peer_closed == std::vector<ConnId>{r.id});
  CHECK(r.stack.state(r.id) == State::CloseWait);
  CHECK(r.stack.connections(State::CloseWait) == 1);
  CHECK(r.app.closed.empty());

  r.stack.shutdown_write(r.id);
  v = r.take_now();
  RFC_REQUIRE(v.size() == 1);
  CHECK(v[0].is(flag::FIN | flag::ACK));
  CHECK(v[0].hdr.seq == r.iss + 1);
  CHECK(v[0].hdr.ack == fin_seq + 1);
  CHECK(v[0].len() == 0);
  CHECK(r.stack.state(r.id) == State::LastAck);
  CHECK(r.app.closed.empty());

  r.ack_to(r.iss + 2);
  CHECK(r.take().empty());
  RFC_REQUIRE(r.app.closed.size() == 1);
  CHECK(r.app.closed[0].first == r.id);
  CHECK(r.app.closed[0].second == CloseReason::Normal);
  CHECK(r.stack.connections_total() == 0);
  CHECK(r.stack.connections(State::TimeWait) == 0);  // passive closer holds no TIME-WAIT
}

// LAST-ACK: our FIN is retransmitted when not acknowledged (3.8.1 / RFC 6298).
TEST_CASE("passive close: FIN retransmitted in LAST-ACK") {
  Rig r;
  RFC_REQUIRE(r.handshake());
  uint32_t fin_seq = r.send_fin();
  r.take_allowing_delack();
  r.stack.shutdown_write(r.id);
  auto v = r.take_now();
  RFC_REQUIRE(v.size() == 1);
  uint64_t t = r.run_until_tx(r.cfg.rto_max_us);
  RFC_REQUIRE(t != 0);
  auto rx = r.take();
  RFC_REQUIRE(rx.size() == 1);
  CHECK(rx[0].is(flag::FIN | flag::ACK));
  CHECK(rx[0].hdr.seq == v[0].hdr.seq);
  CHECK(rx[0].hdr.ack == fin_seq + 1);
}

// 3.10.4 CLOSE in ESTABLISHED: FIN after queued data, FIN-WAIT-1. 3.10.7.4
// FIN-WAIT-1: ACK of our FIN -> FIN-WAIT-2. FIN-WAIT-2 eighth check: FIN ->
// TIME-WAIT, ACK it. TIME-WAIT: retransmitted FIN is ACKed and the 2 MSL timer
// restarts; 3.10.8 time-wait timeout deletes the TCB.
TEST_CASE("active close: FIN-WAIT-1 -> FIN-WAIT-2 -> TIME-WAIT -> CLOSED") {
  TcpConfig c = base_config();
  c.time_wait_us = 60'000'000;
  Rig r(c);
  RFC_REQUIRE(r.handshake());
  RFC_REQUIRE(r.app_send(100) == 100);
  r.stack.shutdown_write(r.id);
  auto v = r.take_now();
  RFC_REQUIRE(!v.empty());
  // The FIN follows the 100 queued bytes: its sequence number is ISS+1+100.
  const Sent& last = v.back();
  CHECK(last.hdr.has(flag::FIN));
  CHECK(last.hdr.has(flag::ACK));
  CHECK(last.end() == r.iss + 1 + 100 + 1);
  CHECK(bytes_in(v) == 100);
  CHECK(r.stack.state(r.id) == State::FinWait1);
  CHECK(r.stack.connections(State::FinWait1) == 1);

  r.ack_to(r.iss + 102);
  CHECK(r.take().empty());
  CHECK(r.stack.state(r.id) == State::FinWait2);

  uint32_t fin_seq = r.send_fin();
  v = r.take_allowing_delack();
  RFC_REQUIRE(v.size() == 1);
  CHECK(v[0].is(flag::ACK));
  CHECK(v[0].hdr.seq == r.iss + 102);
  CHECK(v[0].hdr.ack == fin_seq + 1);
  CHECK(r.stack.connections(State::TimeWait) == 1);
  CHECK(r.stack.connections(State::FinWait2) == 0);
  RFC_REQUIRE(r.app.closed.size() == 1);
  CHECK(r.app.closed[0].second == CloseReason::Normal);

  // Peer retransmits its FIN 30 s later (our ACK was lost).
  r.advance(30'000'000);
  CHECK(r.stack.connections(State::TimeWait) == 1);
  r.input(r.mk(flag::FIN | flag::ACK, fin_seq, r.iss + 102));
  v = r.take_allowing_delack();
  RFC_REQUIRE(v.size() == 1);
  CHECK(v[0].is(flag::ACK));
  CHECK(v[0].hdr.seq == r.iss + 102);
  CHECK(v[0].hdr.ack == fin_seq + 1);
  // Restarted: still there past the original deadline (t0+60 s) ...
  r.advance(40'000'000);
  CHECK(r.stack.connections(State::TimeWait) == 1);
  // ... and gone after 2 MSL from the retransmitted FIN (1 s allowance for a coarse wheel).
  r.advance(21'000'000);
  CHECK(r.stack.connections(State::TimeWait) == 0);
  CHECK(r.stack.connections_total() == 0);
  CHECK(r.take().empty());
  CHECK(r.app.closed.size() == 1);  // exactly one on_closed for the whole life

  // CLOSED again: an ACK for the old connection now gets <SEQ=SEG.ACK><CTL=RST>.
  r.input(r.mk(flag::ACK, fin_seq + 1, r.iss + 102));
  v = r.take();
  RFC_REQUIRE(v.size() == 1);
  CHECK(v[0].is(flag::RST));
  CHECK(v[0].hdr.seq == r.iss + 102);
}

// 3.10.7.4 FIN-WAIT-1 eighth check: "If our FIN has been ACKed (perhaps in this
// segment), then enter TIME-WAIT".
TEST_CASE("active close: FIN+ACK in FIN-WAIT-1 goes straight to TIME-WAIT") {
  Rig r;
  RFC_REQUIRE(r.handshake());
  r.stack.shutdown_write(r.id);
  auto v = r.take_now();
  RFC_REQUIRE(v.size() == 1);
  CHECK(v[0].is(flag::FIN | flag::ACK));
  CHECK(v[0].hdr.seq == r.iss + 1);
  CHECK(v[0].hdr.ack == r.cli_nxt);
  r.srv_nxt = r.iss + 2;
  uint32_t fin_seq = r.send_fin();
  v = r.take_allowing_delack();
  RFC_REQUIRE(v.size() == 1);
  CHECK(v[0].is(flag::ACK));
  CHECK(v[0].hdr.ack == fin_seq + 1);
  CHECK(v[0].hdr.seq == r.iss + 2);
  CHECK(r.stack.connections(State::TimeWait) == 1);
  CHECK(r.stack.connections_total() == 1);
}

// Simultaneous close (3.6 figure 13; 3.10.7.4 FIN-WAIT-1: FIN not acking ours ->
// CLOSING; CLOSING: "if the ACK acknowledges our FIN, then enter the TIME-WAIT state").
TEST_CASE("simultaneous close: FIN-WAIT-1 -> CLOSING -> TIME-WAIT") {
  Rig r;
  RFC_REQUIRE(r.handshake());
  r.stack.shutdown_write(r.id);
  auto v = r.take_now();
  RFC_REQUIRE(v.size() == 1);
  uint32_t our_fin = v[0].hdr.seq;
  CHECK(our_fin == r.iss + 1);

  // Peer's FIN crosses ours: it acknowledges ISS+1 only.
  uint32_t fin_seq = r.send_fin();
  v = r.take_allowing_delack();
  RFC_REQUIRE(v.size() == 1);
  CHECK(v[0].is(flag::ACK));
  CHECK(v[0].hdr.ack == fin_seq + 1);
  CHECK(v[0].hdr.seq == our_fin + 1);
  CHECK(r.stack.state(r.id) == State::Closing);
  CHECK(r.stack.connections(State::Closing) == 1);

  r.ack_to(our_fin + 1);
  CHECK(r.take().empty());
  CHECK(r.stack.connections(State::Closing) == 0);
  CHECK(r.stack.connections(State::TimeWait) == 1);
}

// 3.10.7.4 FIN-WAIT-1/FIN-WAIT-2 seventh check: segment text is still processed
// after our FIN (half close).
TEST_CASE("half close: data is still delivered in FIN-WAIT-1 and FIN-WAIT-2") {
  Rig r;
  RFC_REQUIRE(r.handshake());
  r.stack.shutdown_write(r.id);
  r.take_now();
  auto a = r.send_data(200);  // ACK field still iss+1: our FIN is not acked yet
  CHECK(r.stack.state(r.id) == State::FinWait1);
  r.srv_nxt = r.iss + 2;
  auto b = r.send_data(300);
  CHECK(r.stack.state(r.id) == State::FinWait2);
  std::vector<uint8_t> both = a;
  both.insert(both.end(), b.begin(), b.end());
  CHECK(r.received() == both);
  auto v = r.take_allowing_delack();
  RFC_REQUIRE(!v.empty());
  CHECK(v.back().is(flag::ACK));
  CHECK(v.back().hdr.ack == r.cli_nxt);
  CHECK(v.back().hdr.seq == r.iss + 2);
}

// 3.10.7.4 first check (RFC 5961 3.2 refinement): an RST whose SEG.SEQ == RCV.NXT
// resets the connection in every synchronized state. ESTABLISHED, FIN-WAIT-1/2,
// CLOSE-WAIT: "any outstanding RECEIVEs and SEND should receive reset responses
// ... enter the CLOSED state". CLOSING, LAST-ACK, TIME-WAIT: "enter the CLOSED
// state, delete the TCB". (TIME-WAIT per 9293 text; RFC 1337 is informational.)
TEST_CASE("RST with SEG.SEQ == RCV.NXT closes every synchronized state") {
  Rig r;
  RFC_REQUIRE(r.handshake());
  bool expect_reset_reason = true;
  State want{};

  SUBCASE("ESTABLISHED") { want = State::Established; }
  SUBCASE("FIN-WAIT-1") {
    r.stack.shutdown_write(r.id);
    r.take_now();
    want = State::FinWait1;
  }
  SUBCASE("FIN-WAIT-2") {
    r.stack.shutdown_write(r.id);
    r.take_now();
    r.ack_to(r.iss + 2);
    want = State::FinWait2;
  }
  SUBCASE("CLOSE-WAIT") {
    r.send_fin();
    r.take_allowing_delack();
    want = State::CloseWait;
  }
  SUBCASE("CLOSING") {
    r.stack.shutdown_write(r.id);
    r.take_now();
    r.send_fin();
    r.take_allowing_delack();
    want = State::Closing;
    expect_reset_reason = false;
  }
  SUBCASE("LAST-ACK") {
    r.send_fin();
    r.take_allowing_delack();
    r.stack.shutdown_write(r.id);
    r.take_now();
    want = State::LastAck;
    expect_reset_reason = false;
  }
  SUBCASE("TIME-WAIT") {
    r.stack.shutdown_write(r.id);
    r.take_now();
    r.srv_nxt = r.iss + 2;
    r.send_fin();
    r.take_allowing_delack();
    want = State::TimeWait;
    expect_reset_reason = false;
  }
  RFC_REQUIRE(r.stack.connections(want) == 1);
  size_t closed_before = r.app.closed.size();
  uint64_t rst_in = r.stack.stats().rst_in;

  r.input(r.mk(flag::RST, r.cli_nxt, 0));
  CHECK(r.take().empty());  // never answer an RST
  CHECK(r.stack.connections(want) == 0);
  CHECK(r.stack.connections_total() == 0);
  CHECK(r.stack.stats().rst_in == rst_in + 1);
  // Exactly one on_closed over the connection's life.
  RFC_REQUIRE(r.app.closed.size() == 1);
  if (expect_reset_reason) {
    CHECK(closed_before == 0);
    CHECK(r.app.closed[0].second == CloseReason::ResetByPeer);
  }
  CHECK(r.app.closed[0].first == r.id);
}

// 3.10.7.4 first check, acceptability table, with RCV.WND == 0: only a zero-length
// segment with SEG.SEQ == RCV.NXT is acceptable; anything else gets
// <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and is dropped. Then RCV.WND > 0:
// zero-length needs RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND; text needs its first
// or last octet inside the window.
TEST_CASE("acceptability test: the four cases") {
  TcpConfig c = base_config();
  c.recv_buffer_bytes = 4096;
  Rig r(c);
  r.app.consume_limit = 0;  // application holds everything: the window closes
  RFC_REQUIRE(r.handshake());
  r.send_data(1460);
  r.send_data(1460);
  r.send_data(1176);
  CHECK(r.received().empty());
  auto v = r.take_allowing_delack();
  RFC_REQUIRE(!v.empty());
  CHECK(v.back().is(flag::ACK));
  CHECK(v.back().hdr.ack == r.cli_nxt);
  CHECK(v.back().hdr.window == 0);
  const uint32_t rcv_nxt = r.cli_nxt;
  const uint32_t snd_nxt = r.iss + 1;
  auto expect_challenge = [&](const char* what) {
    INFO(what);
    auto w = r.take();
    CHECK(w.size() == 1);
    if (w.size() != 1) return;
    CHECK(w[0].is(flag::ACK));
    CHECK(w[0].hdr.seq == snd_nxt);
    CHECK(w[0].hdr.ack == r.cli_nxt);
    CHECK(w[0].len() == 0);
  };

  // Case 1: SEG.LEN = 0, RCV.WND = 0.
  r.input(r.mk(flag::ACK, rcv_nxt, snd_nxt));
  CHECK(r.take().empty());  // acceptable, nothing to answer
  uint64_t oow = r.stack.stats().drop_out_of_window;
  r.input(r.mk(flag::ACK, rcv_nxt + 1, snd_nxt));
  expect_challenge("len 0, wnd 0, SEG.SEQ = RCV.NXT+1");
  CHECK(r.stack.stats().drop_out_of_window == oow + 1);

  // Case 3: SEG.LEN > 0, RCV.WND = 0: never acceptable (a zero-window probe).
  r.send_at(rcv_nxt, 1);
  expect_challenge("len 1, wnd 0");
  CHECK(r.received().empty());

  // Open the window: the app takes everything held, exactly the 4096 bytes.
  r.app.consume_limit = SIZE_MAX;
  r.stack.resume_read(r.id);
  CHECK(r.received() == r.bytes_at(r.peer.isn + 1, 4096));
  r.take_allowing_delack();  // window update (checked in its own test)
  const uint32_t wnd = 4096;

  // Case 2: SEG.LEN = 0, RCV.WND > 0.
  r.input(r.mk(flag::ACK, rcv_nxt + wnd - 1, snd_nxt));
  CHECK(r.take().empty());
  r.input(r.mk(flag::ACK, rcv_nxt + wnd, snd_nxt));
  expect_challenge("len 0, SEG.SEQ = RCV.NXT+RCV.WND");
  r.input(r.mk(flag::ACK, rcv_nxt - 1, snd_nxt));
  expect_challenge("len 0, SEG.SEQ = RCV.NXT-1");

  // Case 4: SEG.LEN > 0, RCV.WND > 0.
  r.send_at(rcv_nxt - 20, 20);  // ends at RCV.NXT-1: old duplicate
  expect_challenge("len 20 entirely before RCV.NXT");
  r.send_at(rcv_nxt + wnd, 10);  // starts at the right edge
  expect_challenge("len 10 beyond the window");
  CHECK(r.received().size() == 4096);

  // Starts before RCV.NXT and ends inside: acceptable, only the new 10 bytes delivered.
  r.send_at(rcv_nxt - 10, 20);
  CHECK(r.received() == r.bytes_at(r.peer.isn + 1, 4106));
  v = r.take_allowing_delack();
  RFC_REQUIRE(!v.empty());
  CHECK(v.back().hdr.ack == rcv_nxt + 10);
}

// 3.10.7.4 seventh check: CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: "This should
// not occur since a FIN has been received from the remote side. Ignore the
// segment text." RCV.NXT stays just past the FIN.
TEST_CASE("data after FIN is not delivered") {
  Rig r;
  RFC_REQUIRE(r.handshake());
  auto d = r.send_data(100);
  uint32_t fin_seq = r.send_fin();
  r.take_allowing_delack();
  RFC_REQUIRE(r.stack.state(r.id) == State::CloseWait);

  SUBCASE("CLOSE-WAIT") {}
  SUBCASE("LAST-ACK") {
    r.stack.shutdown_write(r.id);
    r.take_now();
    RFC_REQUIRE(r.stack.state(r.id) == State::LastAck);
  }
  State before = r.stack.state(r.id);
  r.send_at(fin_seq + 1, 50);
  auto v = r.take_allowing_delack();
  for (auto& s : v) {
    CHECK_FALSE(s.hdr.has(flag::RST));
    CHECK(s.hdr.ack == fin_seq + 1);
  }
  CHECK(r.received() == d);
  CHECK(r.app.peer_closed.size() == 1);
  CHECK(r.stack.state(r.id) == before);
  CHECK_FALSE(has_rst(v));
}

// 3.10.7.4 eighth check: the FIN is processed only in sequence ("the FIN implies
// PUSH for any segment text not yet delivered"); a FIN beyond a hole must not
// signal the user.
TEST_CASE("out-of-order FIN is not processed before the hole fills") {
  Rig r;
  RFC_REQUIRE(r.handshake());
  uint32_t s0 = r.cli_nxt;
  r.send_at(s0 + 100, 50, flag::FIN);
  CHECK(r.app.peer_closed.empty());
  CHECK(r.stack.state(r.id) == State::Established);
  auto v = r.take();  // RFC 5681 4.2: immediate duplicate ACK for out-of-order data
  RFC_REQUIRE(v.size() == 1);
  CHECK(v[0].hdr.ack == s0);

  r.send_at(s0, 100);
  if (r.stack.state(r.id) != State::CloseWait) {
    // The engine may have dropped the out-of-order FIN; the peer retransmits it.
    r.send_at(s0 + 100, 50, flag::FIN);
  }
  CHECK(r.stack.state(r.id) == State::CloseWait);
  CHECK(r.received() == r.bytes_at(s0, 150));
  CHECK(r.app.peer_closed.size() == 1);
  v = r.take_allowing_delack();
  RFC_REQUIRE(!v.empty());
  CHECK(v.back().hdr.ack == s0 + 151);
}

// 3.10.4 ABORT in ESTABLISHED: "send a reset segment: <SEQ=SND.NXT><CTL=RST>".
TEST_CASE("abort sends RST at SND.NXT") {
  Rig r;
  RFC_REQUIRE(r.handshake());
  RFC_REQUIRE(r.app_send(100) == 100);
  auto v = r.take_now();
  CHECK(bytes_in(v) == 100);
  r.stack.abort(r.id);
  v = r.take_now();
  RFC_REQUIRE(v.size() == 1);
  CHECK(v[0].hdr.has(flag::RST));
  CHECK_FALSE(v[0].hdr.has(flag::SYN));
  CHECK_FALSE(v[0].hdr.has(flag::FIN));
  CHECK(v[0].hdr.seq == r.iss + 1 + 100);
  CHECK(v[0].len() == 0);
  RFC_REQUIRE(r.app.closed.size() == 1);
  CHECK(r.app.closed[0].second == CloseReason::Aborted);
  CHECK(r.stack.connections_total() == 0);
  // Nothing more for this connection, ever.
  r.advance(r.cfg.rto_max_us);
  CHECK(r.take().empty());
}

// 3.7.1: "If an MSS Option is not received at connection setup, TCP
// implementations MUST assume a default send MSS of 536 (576 - 40) for IPv4."
TEST_CASE("no MSS option: send MSS defaults to 536") {
  Rig r;
  PeerOpts p;
  p.mss = 0;
  RFC_REQUIRE(r.handshake(p));
  RFC_REQUIRE(r.app_send(2000) == 2000);
  auto v = r.take_now();
  RFC_REQUIRE(!v.empty());
  for (auto& s : v) CHECK(s.len() <= 536);
  CHECK(v[0].len() == 536);
  CHECK(v[0].hdr.seq == r.iss + 1);
}

// 3.7.1: the sender uses min(our MSS, peer's MSS) as the segment size limit.
TEST_CASE("peer MSS caps segment size") {
  Rig r;
  PeerOpts p;
  p.mss = 1000;
  RFC_REQUIRE(r.handshake(p));
  RFC_REQUIRE(r.app_send(3000) == 3000);  // 3 full segments: within IW (RFC 5681 3.1), no Nagle hold
  auto v = r.take_now();
  RFC_REQUIRE(v.size() == 3);
  CHECK(v[0].len() == 1000);
  CHECK(v[1].len() == 1000);
  CHECK(v[1].hdr.seq == r.iss + 1001);
  CHECK(bytes_in(v) == 3000);
  for (auto& s : v) {
    CHECK(s.len() <= 1000);
    CHECK(s.hdr.has(flag::ACK));
    CHECK(s.hdr.ack == r.cli_nxt);
  }
  // Payload is exactly what the application wrote.
  std::vector<uint8_t> all;
  for (auto& s : v) all.insert(all.end(), s.payload.begin(), s.payload.end());
  CHECK(all == pattern(0, 3000));
}

}  // TEST_SUITE
