// RSTs in and out: closed ports, stray segments, RFC 5961 blind-attack rules,
// table full.
#include <doctest/doctest.h>

#include "tcp_harness.hpp"

using namespace wsgate::tcp;
using namespace wsgate::tcp::test;

TEST_CASE("closed port: SYN gets RST|ACK acking the SYN") {
  Harness h;
  h.tuple.local_port = 81;
  h.send(h.seg(flag::SYN, 5000, 0));
  h.expect(flag::RST | flag::ACK, 0, 5001);
  CHECK(h.stack.stats().drop_no_listener == 1);
}

TEST_CASE("closed port: an ACK gets RST with seq = SEG.ACK; an RST gets nothing") {
  Harness h;
  h.tuple.local_port = 81;
  h.send(h.seg(flag::ACK, 5000, 777), "data");
  h.expect(flag::RST, 777, 0);
  h.send(h.seg(flag::RST, 5000, 0));
  h.send(h.seg(flag::RST | flag::ACK, 5000, 1));
  h.expect_nothing();
}

TEST_CASE("listening port: a stray ACK for no connection is reset") {
  Harness h;
  h.send(h.seg(flag::ACK, 5000, 4242));
  h.expect(flag::RST, 4242, 0);
  CHECK(h.stack.stats().drop_no_conn == 1);
  h.send(h.seg(flag::RST, 5000, 0));
  h.expect_nothing();
}

TEST_CASE("SYN_RECEIVED: an ACK of the wrong sequence is reset, the handshake survives") {
  Harness h;
  h.syn();
  h.send(h.seg(flag::ACK, h.rseq, h.lseq + 5));
  h.expect(flag::RST, h.lseq + 5, 0);
  CHECK(h.stack.connections(State::SynReceived) == 1);
  h.send_ack();
  CHECK(h.app.established.size() == 1);
}

TEST_CASE("SYN_RECEIVED: a repeated SYN gets the SYN-ACK again") {
  Harness h;
  h.syn();
  h.send(h.seg(flag::SYN, h.rseq - 1, 0));
  h.expect(flag::SYN | flag::ACK, h.iss, h.rseq);
  h.expect_nothing();
}

TEST_CASE("SYN_RECEIVED: RST closes silently (the app never knew)") {
  Harness h;
  h.syn();
  h.send(h.seg(flag::RST, h.rseq, 0));
  CHECK(h.stack.connections_total() == 0);
  CHECK(h.app.closed.empty());
}

TEST_CASE("RFC 5961: RST at exactly RCV.NXT closes") {
  Harness h;
  h.handshake();
  h.send(h.seg(flag::RST, h.rseq, 0));
  TCP_REQUIRE(h.app.closed.size() == 1);
  CHECK(h.app.closed[0].second == CloseReason::ResetByPeer);
  CHECK(h.stack.stats().rst_in == 1);
  h.expect_nothing();
  CHECK(h.stack.connections_total() == 0);
}

TEST_CASE("RFC 5961: RST in the window but not exact gets a challenge ACK") {
  Harness h;
  h.handshake();
  h.send(h.seg(flag::RST, h.rseq + 100, 0));
  h.expect_ack();
  CHECK(h.app.closed.empty());
  CHECK(h.stack.stats().challenge_acks == 1);
  // Outside the window: silently dropped.
  h.send(h.seg(flag::RST, h.rseq + 1'000'000, 0));
  h.expect_nothing();
  CHECK(h.stack.state(h.id) == State::Established);
}

TEST_CASE("RFC 5961: SYN on an established connection gets a challenge ACK") {
  Harness h;
  h.handshake();
  h.send(h.seg(flag::SYN, h.rseq + 10, 0));
  h.expect_ack();
  CHECK(h.stack.state(h.id) == State::Established);
}

TEST_CASE("RFC 5961: challenge ACKs are rate-limited") {
  TcpConfig c = test_config();
  c.challenge_ack_per_s = 2;
  Harness h(c);
  h.handshake();
  for (int i = 0; i < 5; ++i) h.send(h.seg(flag::RST, h.rseq + 1 + i, 0));
  CHECK(h.sent_count() == 2);
  CHECK(h.stack.stats().challenge_acks == 2);
  CHECK(h.stack.stats().challenge_acks_limited == 3);
  h.out.sent.clear();
  h.advance(1'000'000);
  h.send(h.seg(flag::RST, h.rseq + 1, 0));
  CHECK(h.sent_count() == 1);
}

TEST_CASE("ACK of data never sent: ACKed back, dropped, counted") {
  Harness h;
  h.handshake();
  h.send(h.seg(flag::ACK, h.rseq, h.lseq + 1000), "x");
  h.expect_ack();
  CHECK(h.stack.stats().drop_bad_ack == 1);
  CHECK(h.app.received.empty());
}

TEST_CASE("out-of-window segment: ACKed and dropped") {
  Harness h;
  h.handshake();
  h.send(h.seg(flag::ACK | flag::PSH, h.rseq + 200'000, h.lseq), "far");
  h.expect_ack();
  CHECK(h.stack.stats().drop_out_of_window == 1);
  // An old duplicate, too.
  h.send(h.seg(flag::ACK | flag::PSH, h.rseq - 10, h.lseq), "old");
  h.expect_ack();
  CHECK(h.app.received.empty());
}

TEST_CASE("segment without ACK in ESTABLISHED is dropped") {
  Harness h;
  h.handshake();
  h.send(h.seg(flag::PSH, h.rseq, 0), "noack");
  CHECK(h.app.received.empty());
  CHECK(h.stack.stats().drop_no_ack == 1);
}

TEST_CASE("abort sends RST and reports Aborted") {
  Harness h;
  h.handshake();
  h.stack.abort(h.id);
  h.expect(flag::RST | flag::ACK, h.lseq, h.rseq);
  TCP_REQUIRE(h.app.closed.size() == 1);
  CHECK(h.app.closed[0].second == CloseReason::Aborted);
  CHECK(h.stack.state(h.id) == State::Closed);
  CHECK(h.stack.send(h.id, bytes_of("x")) == 0);  // a dead id is harmless
}

TEST_CASE("abort from inside on_data: nothing touches the freed record") {
  Harness h;
  h.app.abort_on_data = true;
  h.handshake();
  h.send_data("boom");
  h.expect(flag::RST | flag::ACK, h.lseq, h.rseq);
  h.expect_nothing();
  CHECK(h.app.closed.size() == 1);
  CHECK(h.stack.connections_total() == 0);
  CHECK(h.stack.buffers_in_use() == 0);
}

TEST_CASE("abort from inside on_established") {
  Harness h;
  h.app.on_established_hook = [&](ConnId id) { h.stack.abort(id); };
  h.syn();
  h.send_data("with the ACK");
  h.expect(flag::RST | flag::ACK, h.lseq, h.rseq - 12);
  CHECK(h.app.received.empty());
  CHECK(h.stack.connections_total() == 0);
}

TEST_CASE("table full: SYN refused with RST (the client fails at once) and counted") {
  TcpConfig c = test_config();
  c.max_connections = 2;
  Harness h(c);
  for (uint16_t p = 1; p <= 3; ++p) {
    h.tuple.remote_port = p;
    h.send(h.seg(flag::SYN, 100, 0));
  }
  CHECK(h.sent_count() == 3);
  CHECK(h.out.sent[0].hdr.flags == (flag::SYN | flag::ACK));
  CHECK(h.out.sent[1].hdr.flags == (flag::SYN | flag::ACK));
  CHECK(h.out.sent[2].hdr.flags == (flag::RST | flag::ACK));
  CHECK(h.out.sent[2].hdr.ack == 101);
  CHECK(h.stack.stats().conns_refused_full == 1);
  CHECK(h.stack.connections(State::SynReceived) == 2);
}

TEST_CASE("SYN-ACK retransmitted with backoff, then the embryo is dropped silently") {
  TcpConfig c = test_config();
  c.synack_retries = 2;
  Harness h(c);
  h.syn();
  h.advance(c.rto_initial_us);
  h.expect(flag::SYN | flag::ACK, h.iss, h.rseq);
  h.advance(2 * c.rto_initial_us - 1000);
  h.expect_nothing();
  h.advance(1000);
  h.expect(flag::SYN | flag::ACK, h.iss, h.rseq);
  h.advance(4 * c.rto_initial_us);
  h.expect_nothing();
  CHECK(h.stack.connections_total() == 0);
  CHECK(h.app.closed.empty());
}

TEST_CASE("input_bytes: malformed headers and option lists are counted, good ones processed") {
  Harness h;
  std::vector<uint8_t> syn = {0x9c, 0x40, 0x00, 0x50, 0, 0, 0x03, 0xe8, 0, 0, 0, 0,
                              0x60, flag::SYN, 0xff, 0xff, 0, 0, 0, 0,
                              2, 4, 0x05, 0xb4};  // MSS 1460
  std::vector<uint8_t> bad = syn;
  bad[21] = 1;  // option length 1
  h.stack.input_bytes(h.tuple, bad, h.now_us);
  CHECK(h.stack.stats().drop_bad_options == 1);
  h.stack.input_bytes(h.tuple, std::span(syn).first(10), h.now_us);
  CHECK(h.stack.stats().drop_malformed == 1);
  h.expect_nothing();
  h.stack.input_bytes(h.tuple, syn, h.now_us);
  TCP_REQUIRE(h.sent_count() == 1);
  CHECK(h.out.sent.front().hdr.flags == (flag::SYN | flag::ACK));
  CHECK(h.out.sent.front().hdr.ack == 1001);
}
