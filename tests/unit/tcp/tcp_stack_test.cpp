// The engine, one segment at a time: handshake, data both ways, close.
#include <doctest/doctest.h>

#include "tcp/seq.hpp"
#include "tcp_harness.hpp"

using namespace wsgate::tcp;
using namespace wsgate::tcp::test;

TEST_CASE("handshake: SYN gets SYN-ACK with MSS, ACK establishes") {
  Harness h;
  SentSegment synack = h.syn();
  CHECK(synack.hdr.mss == h.cfg.mss);
  CHECK(synack.hdr.wscale == -1);  // the SYN had no WS
  CHECK_FALSE(synack.hdr.has_timestamp);
  CHECK_FALSE(synack.hdr.sack_permitted);
  CHECK(h.stack.connections(State::SynReceived) == 1);
  CHECK(h.app.established.empty());
  h.send_ack();
  TCP_REQUIRE(h.app.established.size() == 1);
  CHECK(h.stack.state(h.app.established[0]) == State::Established);
  CHECK(h.stack.stats().conns_accepted == 1);
  CHECK(h.stack.tuple(h.app.established[0]) == h.tuple);
  h.expect_nothing();
}

TEST_CASE("data in: delivered to the app, ACK delayed then sent by the timer") {
  Harness h;
  h.handshake();
  h.send_data("hello");
  CHECK(h.app.received_text() == "hello");
  h.expect_nothing();
  h.advance(h.cfg.delayed_ack_us - 1000);
  h.expect_nothing();
  h.advance(1000);
  h.expect_ack();
  h.expect_nothing();
}

TEST_CASE("data in: every second segment is ACKed at once") {
  Harness h;
  h.handshake();
  h.send_data("one");
  h.expect_nothing();
  h.send_data("two");
  h.expect_ack();
  CHECK(h.app.received_text() == "onetwo");
}

TEST_CASE("echo: the reply from on_data carries the ACK") {
  Harness h;
  h.app.echo = true;
  h.handshake();
  h.send_data("ping");
  SentSegment s = h.expect_data(4);
  CHECK(s.text() == "ping");
  CHECK(s.hdr.has(flag::PSH));
  h.send_ack();
  h.advance(h.cfg.delayed_ack_us * 2);
  h.expect_nothing();
  CHECK(h.stack.buffers_in_use() == 0);
}

TEST_CASE("data out: segments of at most MSS, queue freed by the ACK") {
  Harness h;
  h.peer_mss = 1000;
  h.handshake();
  std::vector<uint8_t> big(2500, 'x');
  CHECK(h.stack.send(h.id, big) == 2500);
  h.expect_data(1000);
  h.expect_data(1000);
  h.expect_data(500);
  h.expect_nothing();
  CHECK(h.stack.buffers_in_use() > 0);
  h.send_ack();
  CHECK(h.stack.buffers_in_use() == 0);
  h.advance(5'000'000);
  h.expect_nothing();
}

TEST_CASE("passive close: FIN -> CLOSE_WAIT -> app shuts down -> LAST_ACK -> CLOSED") {
  Harness h;
  h.handshake();
  h.send_fin();
  CHECK(h.stack.state(h.id) == State::CloseWait);
  CHECK(h.app.peer_closed.size() == 1);
  h.expect_ack();
  h.stack.shutdown_write(h.id);
  CHECK(h.stack.state(h.id) == State::LastAck);
  h.expect(flag::FIN | flag::ACK, h.lseq, h.rseq);
  h.lseq += 1;
  h.send_ack();
  TCP_REQUIRE(h.app.closed.size() == 1);
  CHECK(h.app.closed[0].second == CloseReason::Normal);
  CHECK(h.stack.connections_total() == 0);
}

TEST_CASE("passive close: shutdown_write from on_peer_closed piggybacks the ACK on the FIN") {
  Harness h;
  h.app.shutdown_on_peer_close = true;
  h.handshake();
  h.send_fin();
  h.expect(flag::FIN | flag::ACK, h.lseq, h.rseq);
  h.expect_nothing();
  CHECK(h.stack.state(h.id) == State::LastAck);
}

TEST_CASE("active close: FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT -> expiry") {
  Harness h;
  h.handshake();
  h.stack.shutdown_write(h.id);
  CHECK(h.stack.state(h.id) == State::FinWait1);
  h.expect(flag::FIN | flag::ACK, h.lseq, h.rseq);
  h.lseq += 1;
  h.send_ack();
  CHECK(h.stack.state(h.id) == State::FinWait2);
  h.send_data("late");  // data after our FIN is still taken
  CHECK(h.app.received_text() == "late");
  h.send_fin();
  h.expect_ack();
  TCP_REQUIRE(h.app.closed.size() == 1);
  CHECK(h.app.closed[0].second == CloseReason::Normal);
  CHECK(h.stack.connections(State::TimeWait) == 1);
  // A retransmitted FIN is ACKed again.
  h.send(h.seg(flag::FIN | flag::ACK, h.rseq - 1, h.lseq));
  h.expect_ack();
  h.advance(h.cfg.time_wait_us + 1000);
  CHECK(h.stack.connections(State::TimeWait) == 0);
  CHECK(h.stack.connections_total() == 0);
}

TEST_CASE("simultaneous close: FIN_WAIT_1 -> CLOSING -> TIME_WAIT") {
  Harness h;
  h.handshake();
  h.stack.shutdown_write(h.id);
  h.expect(flag::FIN | flag::ACK, h.lseq, h.rseq);
  h.send_fin();  // the peer's FIN does not ack ours
  CHECK(h.stack.state(h.id) == State::Closing);
  CHECK(h.app.peer_closed.size() == 1);
  h.lseq += 1;
  h.expect_ack();
  h.send_ack();
  CHECK(h.app.closed.size() == 1);
  CHECK(h.stack.connections(State::TimeWait) == 1);
}

TEST_CASE("FIN and ACK of our FIN in one segment: FIN_WAIT_1 -> TIME_WAIT") {
  Harness h;
  h.handshake();
  h.stack.shutdown_write(h.id);
  h.expect(flag::FIN | flag::ACK, h.lseq, h.rseq);
  h.lseq += 1;
  h.send_fin();
  h.expect_ack();
  CHECK(h.stack.connections(State::TimeWait) == 1);
  CHECK(h.app.closed.size() == 1);
}

TEST_CASE("memory: idle connections hold no flight record and no buffer") {
  TcpConfig c = test_config();
  c.max_connections = 200;
  Harness h(c);
  h.app.echo = true;
  for (uint16_t p = 1; p <= 100; ++p) {
    h.tuple.remote_port = p;
    h.rseq = 5000;
    h.handshake();
    h.send_data("hi");
    h.expect_data(2);
    h.send_ack();
  }
  CHECK(h.stack.connections(State::Established) == 100);
  CHECK(h.stack.flights_in_use() == 0);
  CHECK(h.stack.buffers_in_use() == 0);
  h.advance(h.cfg.delayed_ack_us * 2);
  CHECK(h.stack.flights_in_use() == 0);
}

TEST_CASE("memory: a flight exists only while data is unacknowledged") {
  Harness h;
  h.handshake();
  h.stack.send(h.id, bytes_of("abc"));
  CHECK(h.stack.flights_in_use() == 1);
  h.expect_data(3);
  h.send_ack();
  CHECK(h.stack.flights_in_use() == 0);
}
