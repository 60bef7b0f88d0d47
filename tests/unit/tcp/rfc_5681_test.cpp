// RFC 5681 congestion control (initial window, slow start, fast retransmit,
// loss window after RTO) and RFC 6582 NewReno partial ACKs. The peer offers a
// large scaled window (1024 << 7 = 128 KiB) and no timestamps, MSS 1460, so
// congestion control is the only limit and SMSS = 1460 exactly.
#include "rfc_helpers.hpp"

using namespace rfc;

namespace {

constexpr uint32_t kSmss = 1460;

// Sender's view, reconstructed from what it transmitted and what we acked.
struct Flight {
  uint32_t una = 0;
  uint32_t nxt = 0;
  uint32_t bytes() const { return nxt - una; }
  void saw(const std::vector<Sent>& v) {
    for (auto& s : v)
      if (seq_lt(nxt, s.end())) nxt = s.end();
  }
};

struct CcRig {
  Rig r;
  Flight f;
  bool ok = false;

  CcRig() {
    PeerOpts p;
    p.wscale = 7;
    p.window = 1024;
    if (!r.handshake(p, 1'000)) return;
    if (r.app_send(60000) != 60000) return;
    f.una = f.nxt = r.iss + 1;
    f.saw(r.take_now());
    ok = f.bytes() > 0;
  }
  // Peer acknowledges up to `ack`; returns what the stack sent in response.
  std::vector<Sent> ack(uint32_t a) {
    r.ack_to(a);
    if (seq_lt(f.una, a)) f.una = a;
    auto v = r.take();
    f.saw(v);
    return v;
  }
  // One ACK per outstanding full segment (a receiver that ACKs every segment).
  void ack_each_segment() {
    uint32_t end = f.nxt;
    for (uint32_t a = f.una + kSmss; seq_le(a, end); a += kSmss) ack(a);
  }
};

bool all_full_and_contiguous(const std::vector<Sent>& v, uint32_t from) {
  for (auto& s : v) {
    if (s.hdr.seq != from || s.len() != kSmss) return false;
    from += kSmss;
  }
  return true;
}

}  // namespace

TEST_SUITE("rfc5681") {

// 3.1: "If SMSS > 1095 bytes and SMSS <= 2190 bytes: IW = 3 * SMSS bytes and
// MUST NOT be more than 3 segments".
TEST_CASE("initial window is at most 3 * SMSS for SMSS 1460") {
  CcRig c;
  RFC_REQUIRE(c.ok);
  CHECK(c.f.bytes() <= 3 * kSmss);
  CHECK(c.f.bytes() % kSmss == 0);  // plenty queued: full-sized segments only
}

// 3.1: during slow start "cwnd += min (N, SMSS)" per ACK of new data (eq. 2, a
// SHOULD; "at most SMSS bytes for each ACK" is the limit). ACKing each of k
// segments separately lets 2k segments be in flight afterwards; one cumulative
// ACK for the k segments grows cwnd by one SMSS only.
TEST_CASE("slow start: one SMSS per ACK") {
  SUBCASE("an ACK per segment doubles the flight") {
    CcRig c;
    RFC_REQUIRE(c.ok);
    const uint32_t end = c.r.iss + 1 + 60000;  // all the application wrote
    for (int round = 0; round < 2; ++round) {
      CAPTURE(round);
      uint32_t k = c.f.bytes() / kSmss;
      c.ack_each_segment();
      uint32_t left = end - c.f.una;  // flight can never exceed the data left
      uint32_t want = 2 * k * kSmss < left ? 2 * k * kSmss : left;
      CHECK(c.f.bytes() == want);
    }
  }
  SUBCASE("one cumulative ACK adds one SMSS") {
    CcRig c;
    RFC_REQUIRE(c.ok);
    uint32_t k = c.f.bytes() / kSmss;
    uint32_t from = c.f.nxt;
    auto v = c.ack(c.f.nxt);
    CHECK(all_full_and_contiguous(v, from));
    CHECK(c.f.bytes() == (k + 1) * kSmss);
  }
}

// 3.2 steps 1-3: duplicate ACKs (same ACK, same window, no data) do not
// retransmit until the third; "The lost segment starting at SND.UNA MUST be
// retransmitted". Before that the sender MAY send new data (Limited Transmit,
// RFC 3042) but not retransmit. After the recovery, "set cwnd to ssthresh" with
// ssthresh = max (FlightSize / 2, 2*SMSS) (eq. 4) — the flight is halved.
TEST_CASE("three duplicate ACKs trigger fast retransmit; cwnd halves") {
  CcRig c;
  RFC_REQUIRE(c.ok);
  for (int i = 0; i < 5 && c.f.bytes() < 6 * kSmss; ++i) c.ack_each_segment();
  RFC_REQUIRE(c.f.bytes() >= 6 * kSmss);
  const uint32_t n_segs = c.f.bytes() / kSmss;
  const uint32_t lost = c.f.una;
  const uint64_t fr0 = c.r.stack.stats().fast_retransmits;

  for (int d = 1; d <= 2; ++d) {
    CAPTURE(d);
    uint32_t nxt_before = c.f.nxt;
    auto v = c.ack(lost);
    CHECK(v.size() <= 1);  // Limited Transmit: at most one new segment per dupack
    for (auto& s : v) CHECK(seq_le(nxt_before, s.hdr.seq));  // new data only
  }
  const uint32_t limited = c.f.bytes() / kSmss - n_segs;
  CHECK(c.r.stack.stats().fast_retransmits == fr0);
  auto v = c.ack(lost);
  bool retransmitted = false;
  for (auto& s : v) {
    if (s.hdr.seq == lost) {
      retransmitted = true;
      CHECK(s.len() == kSmss);
      CHECK(s.payload == pattern(lost - (c.r.iss + 1), kSmss));
    }
  }
  CHECK(retransmitted);
  CHECK(c.r.stack.stats().fast_retransmits == fr0 + 1);

  // Full ACK of everything sent: recovery ends with cwnd = ssthresh.
  const uint32_t flight_at_loss = (n_segs + limited) * kSmss;
  uint32_t ssthresh = flight_at_loss / 2 > 2 * kSmss ? flight_at_loss / 2 : 2 * kSmss;
  c.ack(c.f.nxt);
  CHECK(c.f.bytes() > 0);
  CHECK(c.f.bytes() <= ssthresh);
  CHECK(c.f.bytes() < n_segs * kSmss);
}

// RFC 6582 3.2 step 5: "If this ACK does *not* acknowledge all of the data up to
// and including recover, then this is a partial ACK. In this case, retransmit
// the first unacknowledged segment." — at once, without waiting for a timer or
// three more duplicate ACKs.
TEST_CASE("RFC 6582: partial ACK retransmits the next hole") {
  CcRig c;
  RFC_REQUIRE(c.ok);
  for (int i = 0; i < 5 && c.f.bytes() < 6 * kSmss; ++i) c.ack_each_segment();
  RFC_REQUIRE(c.f.bytes() >= 6 * kSmss);
  const uint32_t s0 = c.f.una;           // lost
  const uint32_t s2 = s0 + 2 * kSmss;    // lost too
  for (int d = 0; d < 3; ++d) c.ack(s0);
  // (the fast retransmission of s0 is checked in the previous test)
  const uint32_t recover = c.f.nxt;
  auto v = c.ack(s2);  // s0 and s1 now received: partial ACK
  bool hole = false;
  for (auto& s : v) {
    if (s.hdr.seq == s2) {
      hole = true;
      CHECK(s.len() == kSmss);
      CHECK(s.payload == pattern(s2 - (c.r.iss + 1), kSmss));
    }
    CHECK(s.hdr.seq != s0);
  }
  CHECK(hole);
  CHECK(seq_lt(s2, recover));
  // Full ACK: no further retransmission of s2.
  v = c.ack(c.f.nxt);
  for (auto& s : v) CHECK(seq_le(recover, s.hdr.seq));
}

// 3.1 eq. 5: "Upon a timeout ... cwnd MUST be set to no more than the loss
// window, LW, which equals 1 full-sized segment". Then slow start: the ACK of it
// lets two segments go (from SND.UNA: go-back-N over unacknowledged data).
TEST_CASE("retransmission timeout resets cwnd to one segment") {
  CcRig c;
  RFC_REQUIRE(c.ok);
  for (int i = 0; i < 5 && c.f.bytes() < 4 * kSmss; ++i) c.ack_each_segment();
  RFC_REQUIRE(c.f.bytes() >= 4 * kSmss);
  const uint32_t una = c.f.una;
  RFC_REQUIRE(c.r.run_until_tx(c.r.cfg.rto_initial_us + 1'000'000) != 0);
  auto v = c.r.take();
  RFC_REQUIRE(v.size() == 1);
  CHECK(v[0].hdr.seq == una);
  CHECK(v[0].len() == kSmss);
  c.r.now += 1'000;
  v = c.ack(una + kSmss);
  CHECK(bytes_in(v) == 2 * kSmss);
  if (!v.empty()) CHECK(v[0].hdr.seq == una + kSmss);
}

}  // TEST_SUITE
