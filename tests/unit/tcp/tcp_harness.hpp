// White-box-friendly test harness for the TCP engine, smoltcp style: play
// the remote peer one segment at a time with send(), check each segment the
// stack emits with expect(), move time with advance(). Header-only so every
// tcp test (and the RFC conformance tests) can reuse it.
//
//   Harness h;                       // stack listening on port 80
//   ConnId id = h.handshake();       // SYN / SYN-ACK / ACK
//   h.send(h.seg(flag::ACK | flag::PSH), "hello");
//   h.expect(flag::ACK, h.lseq, h.rseq);   // our ACK, possibly delayed
//   h.expect_nothing();
#pragma once
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tcp/tcp_stack.hpp"

// doctest's REQUIRE needs exceptions (built with -fno-exceptions): check and
// leave the (void) test body instead.
#define TCP_REQUIRE(expr) \
  do {                    \
    CHECK(expr);          \
    if (!(expr)) return;  \
  } while (0)

namespace wsgate::tcp::test {

// One segment the stack transmitted, copied out of TcpOutput::transmit.
struct SentSegment {
  FourTuple tuple;
  TcpRepr hdr;
  std::vector<uint8_t> payload;

  uint32_t len() const { return static_cast<uint32_t>(payload.size()); }
  uint32_t seg_len() const { return len() + (hdr.has(flag::SYN) ? 1u : 0u) + (hdr.has(flag::FIN) ? 1u : 0u); }
  std::string text() const { return std::string(payload.begin(), payload.end()); }
};

class RecordingOutput final : public TcpOutput {
 public:
  void transmit(const FourTuple& tuple, const TcpRepr& hdr,
                std::span<const std::span<const uint8_t>> payload) override {
    SentSegment s{tuple, hdr, {}};
    for (auto piece : payload) s.payload.insert(s.payload.end(), piece.begin(), piece.end());
    sent.push_back(std::move(s));
  }
  std::deque<SentSegment> sent;
};

// The application side. Records every callback; behaviour is configurable.
class RecordingApp final : public TcpApp {
 public:
  TcpStack* stack = nullptr;

  // Behaviour knobs.
  bool echo = false;                    // send back what arrives
  size_t consume_limit = SIZE_MAX;      // total bytes the app still accepts
  bool shutdown_on_peer_close = false;  // shutdown_write when the peer's FIN arrives
  bool abort_on_data = false;           // abort() from inside on_data
  std::function<void(ConnId)> on_established_hook;
  std::function<void(ConnId, std::span<const uint8_t>)> on_data_hook;

  // What happened.
  std::vector<ConnId> established;
  std::vector<uint8_t> received;
  size_t data_calls = 0;
  std::vector<ConnId> peer_closed;
  std::vector<ConnId> writable;
  std::vector<std::pair<ConnId, CloseReason>> closed;

  void on_established(ConnId id) override {
    established.push_back(id);
    if (on_established_hook) on_established_hook(id);
  }
  size_t on_data(ConnId id, std::span<const uint8_t> bytes) override {
    ++data_calls;
    const size_t take = bytes.size() < consume_limit ? bytes.size() : consume_limit;
    received.insert(received.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(take));
    if (consume_limit != SIZE_MAX) consume_limit -= take;
    if (on_data_hook) on_data_hook(id, bytes.first(take));
    if (echo && take > 0) stack->send(id, bytes.first(take));
    if (abort_on_data) stack->abort(id);
    return take;
  }
  void on_peer_closed(ConnId id) override {
    peer_closed.push_back(id);
    if (shutdown_on_peer_close) stack->shutdown_write(id);
  }
  void on_writable(ConnId id) override { writable.push_back(id); }
  void on_closed(ConnId id, CloseReason r) override { closed.emplace_back(id, r); }

  std::string received_text() const { return std::string(received.begin(), received.end()); }
};

inline std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Small pools so exhaustion tests are cheap; everything else default.
inline TcpConfig test_config() {
  TcpConfig c;
  c.max_connections = 16;
  c.max_time_wait = 16;
  c.buffer_count = 256;
  return c;
}

struct Harness {
  static constexpr uint16_t kPort = 80;
  static constexpr uint32_t kPeerIsn = 1000;

  TcpConfig cfg;
  RecordingOutput out;
  RecordingApp app;
  TcpStack stack;
  uint64_t now_us = 10'000'000;
  FourTuple tuple{0x0a000002, 0x0a000001, 40000, kPort};
  ConnId id = kNoConn;

  // Peer's view: rseq = next seq the peer sends, lseq = next seq the peer
  // expects from us (what it acks). The peer's options for its SYN:
  uint32_t rseq = kPeerIsn;
  uint32_t lseq = 0;
  uint32_t iss = 0;          // our ISN, from the SYN-ACK
  uint16_t peer_window = 65535;
  uint16_t peer_mss = 1460;
  int8_t peer_wscale = -1;
  bool peer_ts = false;
  uint32_t peer_tsval = 500;
  uint32_t last_tsval_seen = 0;  // our latest TSval (the peer echoes it)

  explicit Harness(const TcpConfig& c = test_config()) : cfg(c) {
    app.stack = &stack;
    const char* err = nullptr;
    const bool ok = stack.init(cfg, &out, now_us, &err);
    CHECK_MESSAGE(ok, (err ? err : ""));
    CHECK(stack.listen(kPort, &app));
  }

  // A segment from the peer with its current seq/ack/window and timestamps.
  TcpRepr seg(uint8_t flags) { return seg(flags, rseq, lseq); }
  TcpRepr seg(uint8_t flags, uint32_t seq, uint32_t ack) {
    TcpRepr h;
    h.src_port = tuple.remote_port;
    h.dst_port = tuple.local_port;
    h.seq = seq;
    h.ack = (flags & flag::ACK) ? ack : 0;
    h.flags = flags;
    h.window = peer_window;
    if (peer_ts) {
      h.has_timestamp = true;
      h.ts_val = ++peer_tsval;
      h.ts_ecr = last_tsval_seen;
    }
    return h;
  }

  void send(const TcpRepr& h, std::span<const uint8_t> payload = {}) {
    stack.input(Segment{tuple, h, payload}, now_us);
  }
  void send(const TcpRepr& h, std::string_view payload) { send(h, bytes_of(payload)); }

  // Peer sends in-order data (ACK|PSH, plus extra flags) and advances rseq.
  void send_data(std::string_view payload, uint8_t extra = 0) {
    send(seg(flag::ACK | flag::PSH | extra), payload);
    rseq += static_cast<uint32_t>(payload.size()) + ((extra & flag::FIN) ? 1u : 0u);
  }
  // Peer acknowledges everything up to `ack` (default: lseq).
  void send_ack(uint32_t ack) { send(seg(flag::ACK, rseq, ack)); }
  void send_ack() { send(seg(flag::ACK)); }
  void send_fin() {
    send(seg(flag::FIN | flag::ACK));
    rseq += 1;
  }

  void advance(uint64_t us) {
    now_us += us;
    stack.poll_timers(now_us);
  }
  // Steps time in 1 ms increments until the stack sends something (or limit).
  bool advance_until_sent(uint64_t limit_us) {
    for (uint64_t t = 0; t < limit_us && out.sent.empty(); t += 1000) advance(1000);
    return !out.sent.empty();
  }

  // Pops the oldest emitted segment and checks it. PSH is ignored in the
  // flags comparison (advisory); len is the payload length.
  SentSegment expect(uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len = 0) {
    CHECK_MESSAGE(!out.sent.empty(), "expected a segment, none was sent");
    if (out.sent.empty()) return SentSegment{};
    SentSegment s = std::move(out.sent.front());
    out.sent.pop_front();
    CHECK(static_cast<int>(s.hdr.flags & ~flag::PSH) == static_cast<int>(flags));
    CHECK(s.hdr.seq == seq);
    if (flags & flag::ACK) CHECK(s.hdr.ack == ack);
    CHECK(s.len() == len);
    CHECK(s.tuple == tuple);
    if (s.hdr.has_timestamp) last_tsval_seen = s.hdr.ts_val;
    return s;
  }
  // Convenience: expect an ACK-only segment at the current peer view.
  SentSegment expect_ack() { return expect(flag::ACK, lseq, rseq); }
  // Expect data from us at lseq, and advance lseq past it.
  SentSegment expect_data(uint32_t len) {
    SentSegment s = expect(flag::ACK, lseq, rseq, len);
    lseq += len;
    return s;
  }
  void expect_nothing() {
    CHECK_MESSAGE(out.sent.empty(), "unexpected segment(s): ", out.sent.size());
    out.sent.clear();
  }
  size_t sent_count() const { return out.sent.size(); }

  // SYN with the peer's options; checks the SYN-ACK and records our ISN.
  SentSegment syn() {
    TcpRepr h = seg(flag::SYN, rseq, 0);
    h.mss = peer_mss;
    h.wscale = peer_wscale;
    if (peer_ts) {
      h.has_timestamp = true;
      h.ts_ecr = 0;
    }
    send(h);
    CHECK_MESSAGE(!out.sent.empty(), "no SYN-ACK");
    if (out.sent.empty()) return SentSegment{};
    iss = out.sent.front().hdr.seq;
    SentSegment s = expect(flag::SYN | flag::ACK, iss, rseq + 1);
    rseq += 1;
    lseq = iss + 1;
    return s;
  }
  // Full three-way handshake; returns the connection the app saw.
  ConnId handshake() {
    syn();
    send_ack();
    CHECK_MESSAGE(!app.established.empty(), "on_established did not fire");
    if (app.established.empty()) return kNoConn;
    id = app.established.back();
    CHECK(stack.state(id) == State::Established);
    return id;
  }
};

}  // namespace wsgate::tcp::test
