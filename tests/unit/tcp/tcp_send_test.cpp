// The send side: RTO with backoff and give-up, fast retransmit and NewReno,
// congestion window, zero-window persist, pool exhaustion.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tcp_harness.hpp"

using namespace wsgate::tcp;
using namespace wsgate::tcp::test;

namespace {

std::vector<uint8_t> bytes(size_t n, char c = 'd') { return std::vector<uint8_t>(n, static_cast<uint8_t>(c)); }

}  // namespace

TEST_CASE("RTO: retransmit after rto_initial, doubling, give up with RST and Timeout") {
  TcpConfig c = test_config();
  c.max_retransmits = 3;
  Harness h(c);
  h.handshake();
  h.stack.send(h.id, bytes_of("lost"));
  h.expect(flag::ACK, h.lseq, h.rseq, 4);
  uint64_t rto = c.rto_initial_us;
  for (int i = 0; i < 3; ++i) {
    CAPTURE(i);
    h.advance(rto - 1000);
    h.expect_nothing();
    h.advance(1000);
    SentSegment s = h.expect(flag::ACK, h.lseq, h.rseq, 4);
    CHECK(s.text() == "lost");
    rto *= 2;
  }
  h.advance(rto);
  h.expect(flag::RST | flag::ACK, h.lseq + 4, h.rseq);
  TCP_REQUIRE(h.app.closed.size() == 1);
  CHECK(h.app.closed[0].second == CloseReason::Timeout);
  CHECK(h.stack.stats().timeouts == 1);
  CHECK(h.stack.stats().retransmits == 3);
  CHECK(h.stack.buffers_in_use() == 0);
}

TEST_CASE("RTO: an ACK restarts the timer and resets the count") {
  TcpConfig c = test_config();
  c.max_retransmits = 1;
  Harness h(c);
  h.handshake();
  h.stack.send(h.id, bytes_of("aaaa"));
  h.expect_data(4);
  h.advance(c.rto_initial_us);
  h.expect(flag::ACK, h.lseq - 4, h.rseq, 4);
  h.send_ack();
  h.stack.send(h.id, bytes_of("bbbb"));
  h.expect_data(4);
  h.advance(c.rto_initial_us);  // rtt sampling was off (Karn): RTO is still backed off
  h.advance(c.rto_initial_us);
  h.expect(flag::ACK, h.lseq - 4, h.rseq, 4);
  CHECK(h.app.closed.empty());
}

TEST_CASE("RTT sample sets the RTO (RFC 6298), clamped at rto_min") {
  Harness h;
  h.handshake();
  h.stack.send(h.id, bytes_of("x"));
  h.expect_data(1);
  h.advance(10'000);
  h.send_ack();
  h.stack.send(h.id, bytes_of("y"));
  h.expect_data(1);
  // srtt 10 ms, rttvar 5 ms: RTO = max(rto_min, 30 ms) = rto_min.
  h.advance(h.cfg.rto_min_us - 1000);
  h.expect_nothing();
  h.advance(1000);
  h.expect(flag::ACK, h.lseq - 1, h.rseq, 1);
}

TEST_CASE("RTO rewinds: the FIN is resent with the lost data") {
  Harness h;
  h.handshake();
  h.stack.send(h.id, bytes_of("bye"));
  h.stack.shutdown_write(h.id);
  h.expect(flag::ACK, h.lseq, h.rseq, 3);
  h.expect(flag::FIN | flag::ACK, h.lseq + 3, h.rseq);
  h.advance(h.cfg.rto_initial_us);
  SentSegment s = h.expect(flag::ACK | flag::FIN, h.lseq, h.rseq, 3);
  CHECK(s.text() == "bye");
  h.send_ack(h.lseq + 4);
  CHECK(h.stack.state(h.id) == State::FinWait2);
}

TEST_CASE("initial window: RFC 5681 3.1 by default (3 segments at MSS 1460) then slow start") {
  TcpConfig c = test_config();
  c.send_buffer_bytes = 1 << 20;
  Harness h(c);
  h.peer_wscale = 7;
  h.peer_window = 2000;  // 256000 bytes: the window is not the limit
  h.handshake();
  CHECK(h.stack.send(h.id, bytes(60000)) == 60000);
  CHECK(h.sent_count() == 3);  // IW = 3 * SMSS for 1095 < SMSS <= 2190
  for (int i = 0; i < 3; ++i) h.expect_data(1460);
  h.send_ack(h.lseq - 3 * 1460 + 1460);  // one segment acked: cwnd += MSS, two more go
  CHECK(h.sent_count() == 2);
}

TEST_CASE("initial window: RFC 5681 3.1 gives 4 segments at MSS <= 1095, 2 above 2190") {
  TcpConfig c = test_config();
  c.send_buffer_bytes = 1 << 20;
  Harness small(c);
  small.peer_mss = 1000;
  small.handshake();
  CHECK(small.stack.send(small.id, bytes(20000)) == 20000);
  CHECK(small.sent_count() == 4);
  c.mss = 8960;
  Harness jumbo(c);
  jumbo.peer_mss = 8960;
  jumbo.peer_window = 65535;
  jumbo.handshake();
  CHECK(jumbo.stack.send(jumbo.id, bytes(60000)) == 60000);
  CHECK(jumbo.sent_count() == 2);
}

TEST_CASE("initial window: --initial-window 10 is RFC 6928's min(10*MSS, max(2*MSS, 14600))") {
  TcpConfig c = test_config();
  c.send_buffer_bytes = 1 << 20;
  c.initial_window_segments = 10;
  Harness h(c);
  h.peer_wscale = 7;
  h.peer_window = 2000;
  h.handshake();
  CHECK(h.stack.send(h.id, bytes(60000)) == 60000);
  CHECK(h.sent_count() == 10);  // IW = 14600 = 10 * 1460
  for (int i = 0; i < 10; ++i) h.expect_data(1460);
  h.send_ack(h.lseq - 14600 + 1460);
  CHECK(h.sent_count() == 2);
}

TEST_CASE("fast retransmit on the third duplicate ACK, NewReno partial ACK") {
  TcpConfig c = test_config();
  c.send_buffer_bytes = 1 << 20;
  c.initial_window_segments = 10;  // ten segments in flight from the start
  Harness h(c);
  h.peer_mss = 1000;
  h.handshake();
  const uint32_t start = h.lseq;
  CHECK(h.stack.send(h.id, bytes(10000)) == 10000);
  for (int i = 0; i < 10; ++i) h.expect_data(1000);
  // Segments 0 and 3 are lost: the peer ACKs start three times.
  h.send_ack(start);
  h.send_ack(start);
  h.expect_nothing();
  h.send_ack(start);
  h.expect(flag::ACK, start, h.rseq, 1000);
  CHECK(h.stack.stats().fast_retransmits == 1);
  // Partial ACK up to the second hole: resend it at once.
  h.send_ack(start + 3000);
  h.expect(flag::ACK, start + 3000, h.rseq, 1000);
  // Full ACK ends recovery.
  h.send_ack(start + 10000);
  CHECK(h.stack.buffers_in_use() == 0);
  CHECK(h.stack.stats().fast_retransmits == 1);
}

TEST_CASE("zero window: persist probes back off and never give up while answered") {
  TcpConfig c = test_config();
  c.max_retransmits = 2;
  Harness h(c);
  h.handshake();
  h.peer_window = 0;
  h.send_ack();
  CHECK(h.stack.send(h.id, bytes_of("wait")) == 4);
  h.expect_nothing();
  uint64_t gap = c.rto_initial_us;
  for (int i = 0; i < 5; ++i) {  // more probes than max_retransmits: answered, so no give-up
    CAPTURE(i);
    h.advance(gap * 2);
    TCP_REQUIRE(h.sent_count() >= 1);
    SentSegment p = h.expect(flag::ACK, h.lseq - 1, h.rseq, 0);
    h.expect_nothing();
    h.send_ack();  // still zero
    gap *= 2;
  }
  CHECK(h.app.closed.empty());
  CHECK(h.stack.stats().persist_probes >= 5);
  h.peer_window = 1000;
  h.send_ack();
  SentSegment d = h.expect_data(4);
  CHECK(d.text() == "wait");
}

TEST_CASE("zero window: unanswered probes give up") {
  TcpConfig c = test_config();
  c.max_retransmits = 2;
  Harness h(c);
  h.handshake();
  h.peer_window = 0;
  h.send_ack();
  h.stack.send(h.id, bytes_of("wait"));
  h.advance(600'000'000);
  for (int i = 0; i < 600 && h.app.closed.empty(); ++i) h.advance(1'000'000);
  TCP_REQUIRE(h.app.closed.size() == 1);
  CHECK(h.app.closed[0].second == CloseReason::Timeout);
}

TEST_CASE("send buffer cap: send() returns short, on_writable when space frees") {
  TcpConfig c = test_config();
  c.send_buffer_bytes = 3000;
  Harness h(c);
  h.handshake();
  CHECK(h.stack.send_space(h.id) == 3000);
  CHECK(h.stack.send(h.id, bytes(5000)) == 3000);
  CHECK(h.stack.send_space(h.id) == 0);
  h.expect_data(1460);
  h.expect_data(1460);
  h.expect_data(80);
  h.send_ack();
  CHECK(h.app.writable.size() == 1);
  CHECK(h.stack.send_space(h.id) == 3000);
}

TEST_CASE("pool exhaustion: send() returns short and loses nothing it accepted") {
  TcpConfig c = test_config();
  c.buffer_count = 4;  // sends never take the last 2 (the receive reserve)
  c.send_buffer_bytes = 1 << 20;
  c.initial_window_segments = 10;  // everything accepted goes out at once
  Harness h(c);
  h.peer_mss = 1000;
  h.handshake();
  std::string msg;
  for (int i = 0; i < 5000; ++i) msg.push_back(static_cast<char>('a' + i % 26));
  const size_t n = h.stack.send(h.id, bytes_of(msg));
  CHECK(n == 4096);  // two 2 KiB chunks
  std::string got;
  while (h.sent_count() > 0) got += h.expect_data(h.out.sent.front().len()).text();
  CHECK(got == msg.substr(0, n));
  h.send_ack();
  CHECK(h.stack.buffers_in_use() == 0);
  CHECK(h.stack.send(h.id, bytes_of(msg).subspan(n)) == 904);
}

TEST_CASE("pool exhaustion: send_space() says what the pool can take; on_writable when it recovers") {
  TcpConfig c = test_config();
  c.buffer_count = 6;  // 2 kept for receiving: sends get 4 chunks, 8 KiB, for every connection together
  c.send_buffer_bytes = 1 << 20;
  c.initial_window_segments = 10;
  Harness h(c);
  h.peer_mss = 1460;
  h.handshake();
  const FourTuple first = h.tuple;
  const ConnId a = h.id;
  const uint32_t a_lseq = h.lseq, a_rseq = h.rseq;
  CHECK(h.stack.send_space(a) == 4 * 2048);
  CHECK(h.stack.send(a, bytes_of(std::string(8192, 'x'))) == 8192);
  CHECK(h.stack.send_space(a) == 0);
  h.out.sent.clear();
  // A second connection finds the pool empty: its send is short and it waits
  // for the pool, not for an ACK of its own (it has nothing in flight).
  h.tuple.remote_port = 40001;
  h.rseq = 5000;
  h.handshake();
  const ConnId b = h.id;
  CHECK(h.stack.send_space(b) == 0);
  CHECK(h.stack.send(b, bytes_of("reply")) == 0);
  CHECK(h.stack.stats().pool_waits == 1);
  h.advance(1000);
  CHECK(h.app.writable.empty());  // still dry
  // The first connection's data is ACKed: the chunks return and b is told.
  h.tuple = first;
  h.send(h.seg(flag::ACK, a_rseq, a_lseq + 8192));
  h.advance(1000);
  TCP_REQUIRE(h.app.writable.size() == 1);
  CHECK(h.app.writable[0] == b);
  CHECK(h.stack.send_space(b) == 4 * 2048);
}

TEST_CASE("want_writable: on_writable once the pool has room, also with nothing sent short") {
  TcpConfig c = test_config();
  c.buffer_count = 4;
  Harness h(c);
  h.handshake();
  h.stack.want_writable(h.id);
  h.advance(1000);
  TCP_REQUIRE(h.app.writable.size() == 1);
  CHECK(h.app.writable[0] == h.id);
}

TEST_CASE("pool exhaustion: incoming data that cannot be held is not acknowledged") {
  TcpConfig c = test_config();
  c.buffer_count = 1;
  Harness h(c);
  h.app.consume_limit = 0;
  h.handshake();
  h.send_data(std::string(2048, 'a'));  // fills the only chunk
  h.send(h.seg(flag::ACK | flag::PSH), "b");
  h.advance(h.cfg.delayed_ack_us);
  SentSegment a = h.expect_ack();
  CHECK(a.hdr.ack == h.rseq);  // the "b" byte was not acknowledged
  CHECK(h.stack.stats().drop_no_buffer >= 1);
}

TEST_CASE("Karn: the backed-off RTO survives the flight's release until a valid sample") {
  Harness h;
  h.handshake();
  h.stack.send(h.id, bytes_of("a"));
  h.expect_data(1);
  h.advance(h.cfg.rto_initial_us);  // retransmitted: RTO doubles, no sample from it
  h.expect(flag::ACK, h.lseq - 1, h.rseq, 1);
  h.send_ack();  // everything acked: the flight is released
  CHECK(h.stack.buffers_in_use() == 0);
  h.stack.send(h.id, bytes_of("b"));
  h.expect_data(1);
  h.advance(2 * h.cfg.rto_initial_us - 1000);
  h.expect_nothing();
  h.advance(1000);
  h.expect(flag::ACK, h.lseq - 1, h.rseq, 1);
}

TEST_CASE("SND.WL1: an older segment's window does not close the send window") {
  Harness h;
  h.handshake();
  const uint32_t b = h.rseq;
  h.send(h.seg(flag::ACK, b + 4, h.lseq), "EFGH");  // out of order: sets the window
  h.expect(flag::ACK, h.lseq, b);
  h.peer_window = 0;
  h.send(h.seg(flag::ACK, b, h.lseq), "ABCD");  // older SEG.SEQ: its zero window is stale
  h.expect(flag::ACK, h.lseq, b + 8);
  h.rseq = b + 8;
  CHECK(h.stack.send(h.id, bytes_of("go")) == 2);
  h.expect_data(2);
}

TEST_CASE("our sequence numbers wrap: send, lose, retransmit and ACK across 2^32") {
  // The ISN is M + F(tuple): moving the clock moves it. Find the clock that
  // puts our ISN 100 bytes before the wrap.
  uint64_t start_us = 0;
  {
    Harness probe;
    probe.syn();
    const uint32_t want = 0xffffff9bu;  // iss + 1 = 0xffffff9c: 100 bytes to the wrap
    start_us = probe.now_us + uint64_t{static_cast<uint32_t>(want - probe.iss)} * 4;
  }
  Harness h;
  h.now_us = start_us;
  h.peer_mss = 1000;
  h.handshake();
  CHECK(h.iss == 0xffffff9bu);
  std::vector<uint8_t> data = bytes(3000, 'w');
  CHECK(h.stack.send(h.id, data) == 3000);
  const uint32_t first = h.lseq;
  h.expect_data(1000);
  h.expect_data(1000);
  h.expect_data(1000);
  CHECK(h.lseq < first);  // wrapped
  h.send_ack(first + 1000);
  h.advance(h.cfg.rto_initial_us);
  h.expect(flag::ACK, first + 1000, h.rseq, 1000);
  h.send_ack(first + 3000);
  CHECK(h.stack.buffers_in_use() == 0);
  CHECK(h.stack.flights_in_use() == 0);
  CHECK(h.app.closed.empty());
}

TEST_CASE("a reply written in pieces from on_data leaves as one segment with the ACK and the FIN") {
  Harness h;
  h.handshake();
  h.app.on_data_hook = [&](ConnId id, std::span<const uint8_t>) {
    h.stack.send(id, bytes_of("\x88\x02"));  // a WebSocket close header ...
    h.stack.send(id, bytes_of("\x03\xe8"));  // ... its payload ...
    h.stack.shutdown_write(id);              // ... and the TCP close behind it
  };
  h.send_data("close");
  SentSegment s = h.expect(flag::ACK | flag::FIN, h.lseq, h.rseq, 4);
  CHECK(s.text() == "\x88\x02\x03\xe8");
  h.expect_nothing();
  CHECK(h.stack.state(h.id) == State::FinWait1);
}

TEST_CASE("outside on_data a send goes out at once") {
  Harness h;
  h.handshake();
  h.stack.send(h.id, bytes_of("ab"));
  h.expect_data(2);
  h.stack.send(h.id, bytes_of("cd"));
  h.expect_data(2);
  h.expect_nothing();
}
