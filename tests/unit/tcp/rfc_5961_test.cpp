// RFC 5961 (blind in-window attacks): RST and SYN handling in synchronized
// states, the ACK acceptability range, and the challenge-ACK rate limit.
#include "rfc_helpers.hpp"

using namespace rfc;

namespace {

// A challenge ACK is <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (RFC 5961 3.2, 4.2).
void check_challenge_ack(const std::vector<Sent>& v, uint32_t snd_nxt, uint32_t rcv_nxt) {
  CHECK(v.size() == 1);
  if (v.size() != 1) return;
  CHECK(v[0].is(flag::ACK));
  CHECK(v[0].hdr.seq == snd_nxt);
  CHECK(v[0].hdr.ack == rcv_nxt);
  CHECK(v[0].len() == 0);
}

}  // namespace

TEST_SUITE("rfc5961") {

// 3.2: "If the RST bit is set and the sequence number exactly matches the next
// expected sequence number (RCV.NXT), then TCP MUST reset the connection."
TEST_CASE("RST at exactly RCV.NXT resets") {
  Rig r;
  RFC_REQUIRE(r.handshake());
  r.send_data(500);
  r.take_allowing_delack();
  r.input(r.mk(flag::RST | flag::ACK, r.cli_nxt, r.srv_nxt));
  CHECK(r.take().empty());
  RFC_REQUIRE(r.app.closed.size() == 1);
  CHECK(r.app.closed[0].second == CloseReason::ResetByPeer);
  CHECK(r.stack.connections_total() == 0);
  CHECK(r.stack.stats().challenge_acks == 0);
}

// 3.2: "If the RST bit is set and the sequence number does not exactly match
// the next expected sequence value, yet is within the current receive window,
// TCP MUST send an acknowledgment (challenge ACK): <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
// After sending the challenge ACK, TCP MUST drop the unacceptable segment."
TEST_CASE("in-window RST gets a challenge ACK and the connection survives") {
  Rig r;
  RFC_REQUIRE(r.handshake());
  r.send_data(100);
  r.take_allowing_delack();
  uint32_t snd_nxt = r.iss + 1;
  for (uint32_t off : {1u, 1000u, 60000u}) {
    CAPTURE(off);
    r.input(r.mk(flag::RST, r.cli_nxt + off, 0));
    check_challenge_ack(r.take(), snd_nxt, r.cli_nxt);
    CHECK(r.stack.state(r.id) == State::Established);
  }
  CHECK(r.app.closed.empty());
  CHECK(r.stack.stats().challenge_acks == 3);
  // Still fully working: in-order data is accepted afterwards.
  r.send_data(10);
  CHECK(r.received().size() == 110);
}

// 3.2 applies "in all synchronized states" (RFC 9293 3.5: ESTABLISHED through
// TIME-WAIT): an in-window RST that is not exactly RCV.NXT is challenged and
// leaves the connection (or TIME-WAIT entry) in place.
TEST_CASE("in-window RST is challenged in every synchronized state") {
  Rig r;
  RFC_REQUIRE(r.handshake());
  State want{};
  uint32_t snd_nxt = r.iss + 1;
  SUBCASE("FIN-WAIT-1") {
    r.stack.shutdown_write(r.id);
    r.take_now();
    snd_nxt = r.iss + 2;
    want = State::FinWait1;
  }
  SUBCASE("FIN-WAIT-2") {
    r.stack.shutdown_write(r.id);
    r.take_now();
    r.ack_to(r.iss + 2);
    snd_nxt = r.iss + 2;
    want = State::FinWait2;
  }
  SUBCASE("CLOSE-WAIT") {
    r.send_fin();
    r.take_allowing_delack();
    want = State::CloseWait;
  }
  SUBCASE("LAST-ACK") {
    r.send_fin();
    r.take_allowing_delack();
    r.stack.shutdown_write(r.id);
    r.take_now();
    snd_nxt = r.iss + 2;
    want = State::LastAck;
  }
  SUBCASE("TIME-WAIT") {
    r.stack.shutdown_write(r.id);
    r.take_now();
    r.srv_nxt = r.iss + 2;
    r.send_fin();
    r.take_allowing_delack();
    snd_nxt = r.iss + 2;
    want = State::TimeWait;
  }
  RFC_REQUIRE(r.stack.connections(want) == 1);
  r.input(r.mk(flag::RST, r.cli_nxt + 100, 0));
  check_challenge_ack(r.take(), snd_nxt, r.cli_nxt);
  CHECK(r.stack.connections(want) == 1);
}

// 3.2: "If the RST bit is set and the sequence number is outside the current
// receive window, silently drop the segment."
TEST_CASE("out-of-window RST is silently dropped") {
  Rig r;
  RFC_REQUIRE(r.handshake());
  r.input(r.mk(flag::RST, r.cli_nxt - 1, 0));
  CHECK(r.take().empty());
  r.input(r.mk(flag::RST, r.cli_nxt + 200000, 0));  // window is at most 65535 unscaled
  CHECK(r.take().empty());
  r.input(r.mk(flag::RST, r.cli_nxt + 0x80000000u, 0));
  CHECK(r.take().empty());
  CHECK(r.stack.state(r.id) == State::Established);
  CHECK(r.app.closed.empty());
  CHECK(r.stack.stats().challenge_acks == 0);
}

// 4.2: "If the SYN bit is set, irrespective of the sequence number, TCP MUST send
// an ACK (also referred to as challenge ACK) to the remote peer ... After sending
// the acknowledgment, TCP MUST drop the unacceptable segment".
TEST_CASE("SYN in ESTABLISHED gets a challenge ACK") {
  Rig r;
  RFC_REQUIRE(r.handshake());
  r.send_data(100);
  r.take_allowing_delack();
  const uint32_t snd_nxt = r.iss + 1;

  SUBCASE("in window") {
    TcpRepr h = r.syn_hdr();
    h.seq = r.cli_nxt + 10;
    r.input(h);
  }
  SUBCASE("exactly RCV.NXT") {
    TcpRepr h = r.syn_hdr();
    h.seq = r.cli_nxt;
    r.input(h);
  }
  SUBCASE("outside the window (new ISN from a restarted peer)") {
    TcpRepr h = r.syn_hdr();
    h.seq = r.cli_nxt - 0x40000000u;
    r.input(h);
  }
  SUBCASE("SYN+ACK") {
    TcpRepr h = r.mk(flag::SYN | flag::ACK, r.cli_nxt, r.srv_nxt);
    r.input(h);
  }
  auto v = r.take();
  check_challenge_ack(v, snd_nxt, r.cli_nxt);
  for (auto& s : v) CHECK_FALSE(s.hdr.has(flag::RST));
  CHECK(r.stack.state(r.id) == State::Established);
  CHECK(r.app.closed.empty());
  CHECK(r.app.established.size() == 1);
  CHECK(r.stack.connections_total() == 1);
  // The SYN changed nothing: RCV.NXT is where it was.
  r.send_data(5);
  CHECK(r.received().size() == 105);
}

// 5.2: "The ACK value is considered acceptable only if it is in the range of
// ((SND.UNA - MAX.SND.WND) =< SEG.ACK =< SND.NXT). All incoming segments whose
// ACK value doesn't satisfy the above condition MUST be discarded and an ACK
// sent back." RFC 9293 3.10.7.4 fifth check: "If the ACK acks something not yet
// sent (SEG.ACK > SND.NXT), then send an ACK, drop the segment, and return."
TEST_CASE("ACK outside [SND.UNA - MAX.SND.WND, SND.NXT] is dropped with an ACK") {
  Rig r;  // peer window 65535, no scaling: MAX.SND.WND = 65535
  RFC_REQUIRE(r.handshake());
  RFC_REQUIRE(r.app_send(1000) == 1000);
  auto v = r.take_now();
  RFC_REQUIRE(bytes_in(v) == 1000);
  const uint32_t snd_una = r.iss + 1;
  const uint32_t snd_nxt = r.iss + 1001;
  const uint32_t s0 = r.cli_nxt;
  uint64_t bad_ack = r.stack.stats().drop_bad_ack;

  SUBCASE("SEG.ACK > SND.NXT") {
    r.input(r.mk(flag::ACK | flag::PSH, s0, snd_nxt + 1), r.bytes_at(s0, 50));
    check_challenge_ack(r.take(), snd_nxt, s0);
    CHECK(r.received().empty());
    CHECK(r.stack.stats().drop_bad_ack == bad_ack + 1);
  }
  SUBCASE("SEG.ACK < SND.UNA - MAX.SND.WND") {
    r.input(r.mk(flag::ACK | flag::PSH, s0, snd_una - 65535 - 1), r.bytes_at(s0, 50));
    check_challenge_ack(r.take(), snd_nxt, s0);
    CHECK(r.received().empty());
    CHECK(r.stack.stats().drop_bad_ack == bad_ack + 1);
  }
  SUBCASE("SEG.ACK = SND.UNA - MAX.SND.WND is acceptable (old duplicate, text kept)") {
    r.input(r.mk(flag::ACK | flag::PSH, s0, snd_una - 65535), r.bytes_at(s0, 50));
    CHECK(r.received() == r.bytes_at(s0, 50));
    CHECK(r.stack.stats().drop_bad_ack == bad_ack);
    auto w = r.take_allowing_delack();
    RFC_REQUIRE(!w.empty());
    CHECK(w.back().hdr.ack == s0 + 50);
  }
  SUBCASE("SEG.ACK = SND.NXT is acceptable") {
    r.input(r.mk(flag::ACK | flag::PSH, s0, snd_nxt), r.bytes_at(s0, 50));
    CHECK(r.received() == r.bytes_at(s0, 50));
    CHECK(r.stack.stats().drop_bad_ack == bad_ack);
    // Everything is acknowledged: nothing is ever retransmitted.
    auto w = r.take_allowing_delack();
    for (auto& s : w) CHECK(s.len() == 0);
    r.advance(r.cfg.rto_initial_us * 4);
    for (auto& s : r.take()) CHECK(s.len() == 0);
  }
  CHECK(r.stack.state(r.id) == State::Established);
}

// 7: "An implementation SHOULD include an ACK throttling mechanism"; here the
// limit is cfg.challenge_ack_per_s per second.
TEST_CASE("challenge ACKs are rate limited per cfg.challenge_ack_per_s") {
  TcpConfig c = base_config();
  c.challenge_ack_per_s = 2;
  Rig r(c);
  RFC_REQUIRE(r.handshake());
  for (int i = 0; i < 5; ++i) r.input(r.mk(flag::RST, r.cli_nxt + 100 + uint32_t(i), 0));
  auto v = r.take();
  CHECK(v.size() == 2);
  for (auto& s : v) CHECK(s.is(flag::ACK));
  CHECK(r.stack.stats().challenge_acks == 2);
  CHECK(r.stack.stats().challenge_acks_limited == 3);
  CHECK(r.stack.state(r.id) == State::Established);
  // A second later the budget is back.
  r.advance(1'100'000);
  r.take();
  r.input(r.mk(flag::RST, r.cli_nxt + 7, 0));
  CHECK(r.take().size() == 1);
  CHECK(r.stack.stats().challenge_acks == 3);
}

}  // TEST_SUITE
