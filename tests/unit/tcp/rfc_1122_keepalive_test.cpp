// Keep-alives (RFC 9293 3.8.4, RFC 1122 4.2.3.6) and the FIN-WAIT-2 timer, as
// configured by TcpConfig. Off unless keepalive_idle_us is set.
#include "rfc_helpers.hpp"

using namespace rfc;

TEST_SUITE("rfc1122") {

// RFC 1122 4.2.3.6: "Keep-alive packets MUST only be sent when no data or
// acknowledgement packets have been received for the connection within an
// interval"; "MUST default to no less than two hours" (here off by default:
// nothing is ever sent on an idle connection).
TEST_CASE("keep-alive is off by default") {
  Rig r;
  RFC_REQUIRE(r.handshake());
  for (int i = 0; i < 10; ++i) r.advance(3'600'000'000ull);
  CHECK(r.take().empty());
  CHECK(r.stack.state(r.id) == State::Established);
}

// RFC 1122's two-hour default idle time (7200 s) must not wrap: the first
// probe comes after two hours, not after 7200e6 mod 2^32 us (~48 min).
TEST_CASE("keep-alive at two hours idle: the first probe after 7200 s") {
  TcpConfig c = base_config();
  c.keepalive_idle_us = 7'200'000'000ull;
  Rig r(c);
  RFC_REQUIRE(r.handshake());
  const uint64_t t0 = r.now;
  const uint64_t t = r.run_until_tx(7'300'000'000ull, 1'000'000);
  RFC_REQUIRE(t != 0);
  CHECK(t - t0 + 1'000'000 >= c.keepalive_idle_us);
  CHECK(t - t0 <= c.keepalive_idle_us + 1'000'000);
}

// RFC 9293 3.8.4 / RFC 1122 4.2.3.6: a keep-alive is a segment with SEG.SEQ =
// SND.NXT-1 and zero or one octet, which elicits an ACK. Answered probes keep
// the connection; cfg.keepalive_probes unanswered ones give up (Timeout).
TEST_CASE("keep-alive probes after cfg.keepalive_idle_us; give up after the configured count") {
  TcpConfig c = base_config();
  c.keepalive_idle_us = 10'000'000;
  c.keepalive_interval_us = 1'000'000;
  c.keepalive_probes = 3;
  Rig r(c);
  RFC_REQUIRE(r.handshake());
  const uint64_t t0 = r.now;
  uint64_t t = r.run_until_tx(20'000'000, 10'000);
  RFC_REQUIRE(t != 0);
  CHECK(t - t0 + 1'000'000 >= c.keepalive_idle_us);
  CHECK(t - t0 <= c.keepalive_idle_us + 1'000'000);
  auto v = r.take();
  RFC_REQUIRE(v.size() == 1);
  CHECK(v[0].hdr.has(flag::ACK));
  CHECK(v[0].hdr.seq == r.iss);  // SND.NXT - 1
  CHECK(v[0].len() <= 1);
  CHECK(v[0].hdr.ack == r.cli_nxt);

  // Answered: the connection lives and stays quiet for another idle period.
  r.ack_to(r.iss + 1);
  const uint64_t t1 = r.now;
  t = r.run_until_tx(20'000'000, 10'000);
  RFC_REQUIRE(t != 0);
  CHECK(t - t1 + 1'000'000 >= c.keepalive_idle_us);
  r.take();

  // Unanswered from now on.
  int probes = 1;
  while (probes < 10) {
    t = r.run_until_tx(5'000'000, 10'000);
    if (t == 0) break;
    auto w = r.take();
    if (!w.empty() && w.back().hdr.has(flag::RST)) break;
    ++probes;
  }
  CHECK(probes == c.keepalive_probes);
  RFC_REQUIRE(r.app.closed.size() == 1);
  CHECK(r.app.closed[0].second == CloseReason::Timeout);
  CHECK(r.stack.connections_total() == 0);
}

// RFC 9293 3.10.7.4 leaves FIN-WAIT-2 open-ended; cfg.fin_wait2_timeout_us bounds it
// (like Linux tcp_fin_timeout) so a vanished peer cannot pin the record.
TEST_CASE("FIN-WAIT-2 is bounded by cfg.fin_wait2_timeout_us") {
  TcpConfig c = base_config();
  c.fin_wait2_timeout_us = 5'000'000;
  Rig r(c);
  RFC_REQUIRE(r.handshake());
  r.stack.shutdown_write(r.id);
  r.take_now();
  r.ack_to(r.iss + 2);
  RFC_REQUIRE(r.stack.connections(State::FinWait2) == 1);
  r.advance(4'000'000);
  CHECK(r.stack.connections(State::FinWait2) == 1);
  r.advance(2'000'000);
  CHECK(r.stack.connections(State::FinWait2) == 0);
  CHECK(r.app.closed.size() == 1);
}

}  // TEST_SUITE
