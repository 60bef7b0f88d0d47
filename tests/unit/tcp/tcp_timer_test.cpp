// Keepalive, FIN_WAIT_2 timeout, TIME_WAIT life cycle, close_all.
#include <doctest/doctest.h>

#include "tcp_harness.hpp"

using namespace wsgate::tcp;
using namespace wsgate::tcp::test;

TEST_CASE("keepalive: probes with SND.UNA - 1 after idle, reset by an answer, give up") {
  TcpConfig c = test_config();
  c.keepalive_idle_us = 10'000'000;
  c.keepalive_interval_us = 1'000'000;
  c.keepalive_probes = 2;
  Harness h(c);
  h.handshake();
  h.advance(c.keepalive_idle_us - 1000);
  h.expect_nothing();
  h.advance(1000);
  h.expect(flag::ACK, h.lseq - 1, h.rseq);
  h.send_ack();  // the answer
  h.advance(c.keepalive_interval_us);
  h.expect_nothing();
  h.advance(c.keepalive_idle_us);
  h.expect(flag::ACK, h.lseq - 1, h.rseq);
  h.advance(c.keepalive_interval_us);
  h.expect(flag::ACK, h.lseq - 1, h.rseq);
  h.advance(c.keepalive_interval_us);
  h.expect(flag::RST | flag::ACK, h.lseq, h.rseq);
  TCP_REQUIRE(h.app.closed.size() == 1);
  CHECK(h.app.closed[0].second == CloseReason::Timeout);
  CHECK(h.stack.stats().keepalive_probes == 3);
}

TEST_CASE("keepalive off by default: an idle connection costs no timer work") {
  Harness h;
  h.handshake();
  h.advance(3'600'000'000ull);
  h.expect_nothing();
  CHECK(h.stack.state(h.id) == State::Established);
}

TEST_CASE("FIN_WAIT_2 times out") {
  TcpConfig c = test_config();
  c.fin_wait2_timeout_us = 5'000'000;
  Harness h(c);
  h.handshake();
  h.stack.shutdown_write(h.id);
  h.expect(flag::FIN | flag::ACK, h.lseq, h.rseq);
  h.lseq += 1;
  h.send_ack();
  CHECK(h.stack.state(h.id) == State::FinWait2);
  h.advance(c.fin_wait2_timeout_us);
  TCP_REQUIRE(h.app.closed.size() == 1);
  CHECK(h.stack.connections_total() == 0);
}

namespace {

void to_time_wait(Harness& h) {
  h.handshake();
  h.stack.shutdown_write(h.id);
  h.expect(flag::FIN | flag::ACK, h.lseq, h.rseq);
  h.lseq += 1;
  h.send_fin();
  h.expect_ack();
}

}  // namespace

TEST_CASE("TIME_WAIT: a retransmitted FIN restarts 2MSL") {
  TcpConfig c = test_config();
  c.time_wait_us = 10'000'000;
  Harness h(c);
  to_time_wait(h);
  h.advance(8'000'000);
  h.send(h.seg(flag::FIN | flag::ACK, h.rseq - 1, h.lseq));
  h.expect_ack();
  h.advance(8'000'000);
  CHECK(h.stack.connections(State::TimeWait) == 1);
  h.advance(2'000'000);
  CHECK(h.stack.connections(State::TimeWait) == 0);
}

TEST_CASE("TIME_WAIT: exact RST ends it; a stale data segment is ACKed") {
  Harness h;
  to_time_wait(h);
  h.send(h.seg(flag::ACK, h.rseq - 5, h.lseq), "old");
  h.expect_ack();
  h.send(h.seg(flag::RST, h.rseq, 0));
  CHECK(h.stack.connections(State::TimeWait) == 0);
}

TEST_CASE("TIME_WAIT: a SYN with a higher sequence opens a new connection (RFC 6191)") {
  Harness h;
  to_time_wait(h);
  h.send(h.seg(flag::SYN, h.rseq + 100000, 0));
  CHECK(h.sent_count() == 1);
  CHECK(h.out.sent.front().hdr.flags == (flag::SYN | flag::ACK));
  CHECK(h.stack.connections(State::TimeWait) == 0);
  CHECK(h.stack.connections(State::SynReceived) == 1);
  CHECK(h.stack.stats().time_wait_reopened == 1);
}

TEST_CASE("TIME_WAIT: an old SYN is only ACKed") {
  Harness h;
  to_time_wait(h);
  h.send(h.seg(flag::SYN, h.rseq - 50, 0));
  h.expect_ack();
  CHECK(h.stack.connections(State::TimeWait) == 1);
}

TEST_CASE("TIME_WAIT table full: the oldest entry is reused") {
  TcpConfig c = test_config();
  c.max_time_wait = 2;
  Harness h(c);
  for (uint16_t p = 1; p <= 3; ++p) {
    h.tuple.remote_port = p;
    h.rseq = 1000;
    h.app.established.clear();
    to_time_wait(h);
  }
  CHECK(h.stack.connections(State::TimeWait) == 2);
  CHECK(h.stack.stats().time_wait_recycled == 1);
  h.tuple.remote_port = 1;  // forgotten: gets RST like any unknown segment
  h.send(h.seg(flag::ACK, h.rseq, h.lseq));
  h.expect(flag::RST, h.lseq, 0);
}

TEST_CASE("close_all: FIN everywhere, on_closed(Shutdown), RST what lingers") {
  Harness h;
  h.handshake();
  const ConnId first = h.id;
  h.tuple.remote_port = 2;
  h.rseq = 1000;
  h.handshake();
  h.stack.close_all(h.now_us);
  CHECK(h.sent_count() == 2);
  h.out.sent.clear();
  // The second peer completes the close; the first never answers.
  h.lseq += 1;
  h.send_fin();
  h.expect_ack();
  TCP_REQUIRE(h.app.closed.size() == 1);
  CHECK(h.app.closed[0].second == CloseReason::Shutdown);
  h.advance(h.cfg.close_all_grace_us);
  h.out.sent.clear();
  TCP_REQUIRE(h.app.closed.size() == 2);
  CHECK(h.app.closed[1].first == first);
  CHECK(h.app.closed[1].second == CloseReason::Shutdown);
  CHECK(h.stack.connections_total() == h.stack.connections(State::TimeWait));
}

TEST_CASE("TIME_WAIT: an in-window RST that is not exact gets a challenge ACK") {
  Harness h;
  to_time_wait(h);
  h.send(h.seg(flag::RST, h.rseq + 10, 0));
  h.expect_ack();
  CHECK(h.stack.connections(State::TimeWait) == 1);
  CHECK(h.stack.stats().challenge_acks == 1);
}
