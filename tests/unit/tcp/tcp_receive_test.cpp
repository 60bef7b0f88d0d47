// The receive side: out-of-order reassembly, held bytes and resume_read,
// the advertised window, wrap of the sequence space.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tcp_harness.hpp"

using namespace wsgate::tcp;
using namespace wsgate::tcp::test;

TEST_CASE("out of order: held, duplicate ACK at once, merged when the gap fills") {
  Harness h;
  h.handshake();
  const uint32_t base = h.rseq;
  h.send(h.seg(flag::ACK, base + 5, h.lseq), "World");
  h.expect(flag::ACK, h.lseq, base);  // immediate duplicate ACK
  CHECK(h.app.received.empty());
  CHECK(h.stack.stats().ooo_segments == 1);
  CHECK(h.stack.buffers_in_use() == 1);
  h.send(h.seg(flag::ACK, base, h.lseq), "Hello");
  h.expect(flag::ACK, h.lseq, base + 10);  // the gap filled: ACK at once
  CHECK(h.app.received_text() == "HelloWorld");
  CHECK(h.stack.buffers_in_use() == 0);
}

TEST_CASE("out of order: overlapping and repeated segments reassemble exactly") {
  Harness h;
  h.handshake();
  const uint32_t b = h.rseq;
  h.send(h.seg(flag::ACK, b + 6, h.lseq), "ghij");
  h.send(h.seg(flag::ACK, b + 3, h.lseq), "defgh");
  h.send(h.seg(flag::ACK, b + 6, h.lseq), "ghij");
  h.send(h.seg(flag::ACK, b, h.lseq), "abcd");
  CHECK(h.app.received_text() == "abcdefghij");
}

TEST_CASE("out of order: at most ooo_max_segments held, the rest dropped and counted") {
  TcpConfig c = test_config();
  c.ooo_max_segments = 2;
  Harness h(c);
  h.handshake();
  const uint32_t b = h.rseq;
  h.send(h.seg(flag::ACK, b + 10, h.lseq), "1");
  h.send(h.seg(flag::ACK, b + 20, h.lseq), "2");
  h.send(h.seg(flag::ACK, b + 30, h.lseq), "3");
  CHECK(h.stack.stats().drop_ooo_full == 1);
  CHECK(h.stack.buffers_in_use() == 2);
}

TEST_CASE("out of order: a FIN beyond a gap waits for a retransmission") {
  Harness h;
  h.handshake();
  const uint32_t b = h.rseq;
  h.send(h.seg(flag::ACK | flag::FIN, b + 3, h.lseq), "def");
  h.expect(flag::ACK, h.lseq, b);
  h.send(h.seg(flag::ACK, b, h.lseq), "abc");
  h.expect(flag::ACK, h.lseq, b + 6);
  CHECK(h.stack.state(h.id) == State::Established);
  h.send(h.seg(flag::ACK | flag::FIN, b + 6, h.lseq));
  h.expect(flag::ACK, h.lseq, b + 7);
  CHECK(h.stack.state(h.id) == State::CloseWait);
  CHECK(h.app.received_text() == "abcdef");
}

TEST_CASE("partial consumption: the rest is held, the window shrinks, resume_read re-offers") {
  TcpConfig c = test_config();
  c.recv_buffer_bytes = 4000;
  Harness h(c);
  h.app.consume_limit = 3;
  h.handshake();
  h.send_data("abcdefgh");
  CHECK(h.app.received_text() == "abc");
  h.advance(c.delayed_ack_us);
  SentSegment a = h.expect_ack();  // all 8 bytes acknowledged: they are held
  CHECK(a.hdr.window <= 4000 - 5);
  h.app.consume_limit = SIZE_MAX;
  h.send_data("ij");  // queued behind the held bytes, not offered out of order
  CHECK(h.app.received_text() == "abc");
  h.stack.resume_read(h.id);
  CHECK(h.app.received_text() == "abcdefghij");
  CHECK(h.stack.buffers_in_use() == 0);
}

TEST_CASE("held bytes delay on_peer_closed until consumed") {
  Harness h;
  h.app.consume_limit = 0;
  h.handshake();
  h.send_data("data", flag::FIN);
  CHECK(h.stack.state(h.id) == State::CloseWait);
  CHECK(h.app.peer_closed.empty());
  h.app.consume_limit = SIZE_MAX;
  h.stack.resume_read(h.id);
  CHECK(h.app.received_text() == "data");
  CHECK(h.app.peer_closed.size() == 1);
}

TEST_CASE("zero receive window: data is not accepted, the ACK still is") {
  TcpConfig c = test_config();
  c.recv_buffer_bytes = 10;
  Harness h(c);
  h.app.consume_limit = 0;
  h.handshake();
  h.send_data("0123456789");
  h.advance(c.delayed_ack_us);
  SentSegment a = h.expect_ack();
  CHECK(a.hdr.window == 0);
  h.send(h.seg(flag::ACK | flag::PSH), "more");
  SentSegment b = h.expect_ack();
  CHECK(b.hdr.ack == h.rseq);
  CHECK(b.hdr.window == 0);
  // Reading opens the window and announces it.
  h.app.consume_limit = SIZE_MAX;
  h.stack.resume_read(h.id);
  SentSegment u = h.expect_ack();
  CHECK(u.hdr.window == 10);
}

TEST_CASE("the right edge of the window never moves left") {
  TcpConfig c = test_config();
  c.recv_buffer_bytes = 8000;
  Harness h(c);
  h.app.consume_limit = 0;
  h.handshake();
  uint32_t edge = h.rseq + 8000;
  for (int i = 0; i < 4; ++i) {
    h.send_data(std::string(1000, 'z'));
    h.advance(c.delayed_ack_us);
    while (h.sent_count() > 0) {
      SentSegment a = h.expect(flag::ACK, h.lseq, h.rseq);
      const uint32_t e = a.hdr.ack + a.hdr.window;
      CHECK(static_cast<int32_t>(e - edge) >= 0);
      edge = e;
    }
  }
}

TEST_CASE("sequence numbers wrap: data across 2^32 both ways") {
  Harness h;
  h.rseq = 0xfffffff0u;
  h.app.echo = true;
  h.handshake();
  h.send_data("0123456789abcdefXYZ");  // crosses the peer's wrap
  CHECK(h.app.received_text() == "0123456789abcdefXYZ");
  SentSegment e = h.expect_data(19);
  CHECK(e.hdr.ack == h.rseq);
  CHECK(h.rseq < 0x10u);
  h.send_ack();
  h.send_data("more");
  CHECK(h.app.received_text() == "0123456789abcdefXYZmore");
}

TEST_CASE("on_data may call resume_read itself without double delivery") {
  Harness h;
  int calls = 0;
  h.app.consume_limit = 2;
  h.app.on_data_hook = [&](ConnId id, std::span<const uint8_t>) {
    if (++calls < 10) {
      h.app.consume_limit = 2;
      h.stack.resume_read(id);
    }
  };
  h.handshake();
  h.send_data("abcdef");
  CHECK(h.app.received_text() == "abcdef");
}
