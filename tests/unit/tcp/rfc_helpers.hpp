// Black-box helpers for the RFC conformance tests (tests/unit/tcp/rfc_*_test.cpp).
// They drive TcpStack through its public API only and play the remote peer by
// hand, one segment at a time, with time supplied explicitly as now_us.
// Written from the RFCs, not from lib/tcp's implementation.
#pragma once
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "tcp/tcp_stack.hpp"

// doctest's REQUIRE needs exceptions, which the project compiles out. This is
// CHECK (same decomposed message, expression evaluated once) followed by
// leaving the (void) test body when it failed.
#define RFC_REQUIRE(...)                                                                     \
  do {                                                                                       \
    doctest::detail::ResultBuilder rfc_rb_(doctest::assertType::DT_CHECK, __FILE__, __LINE__, \
                                           #__VA_ARGS__);                                    \
    rfc_rb_.setResult(doctest::detail::ExpressionDecomposer(doctest::assertType::DT_CHECK)   \
                      << __VA_ARGS__);                                                       \
    if (rfc_rb_.log()) DOCTEST_BREAK_INTO_DEBUGGER();                                        \
    rfc_rb_.react();                                                                         \
    if (rfc_rb_.m_failed) return;                                                            \
  } while (0)

namespace rfc {

using namespace wsgate::tcp;

// Modular sequence-number arithmetic (RFC 9293 section 3.4).
inline bool seq_lt(uint32_t a, uint32_t b) { return int32_t(a - b) < 0; }
inline bool seq_le(uint32_t a, uint32_t b) { return int32_t(a - b) <= 0; }

// A segment the stack transmitted, copied out of the TcpOutput call.
struct Sent {
  FourTuple tuple;
  TcpRepr hdr;
  std::vector<uint8_t> payload;
  uint64_t at_us = 0;

  uint32_t len() const { return uint32_t(payload.size()); }
  // Sequence space consumed (RFC 9293 SEG.LEN counts SYN and FIN).
  uint32_t seg_len() const {
    return len() + (hdr.has(flag::SYN) ? 1 : 0) + (hdr.has(flag::FIN) ? 1 : 0);
  }
  uint32_t end() const { return hdr.seq + seg_len(); }
  bool is(uint8_t exact_flags) const {
    // PSH is advisory (RFC 9293 3.9.1); compare the rest exactly.
    return uint8_t(hdr.flags & ~flag::PSH) == exact_flags;
  }
  std::string str() const {
    char b[160];
    std::snprintf(b, sizeof b, "flags=%02x seq=%u ack=%u win=%u len=%u ws=%d ts=%d/%u/%u @%llu",
                  hdr.flags, hdr.seq, hdr.ack, hdr.window, len(), hdr.wscale,
                  int(hdr.has_timestamp), hdr.ts_val, hdr.ts_ecr,
                  static_cast<unsigned long long>(at_us));
    return b;
  }
};

class RecordingOutput final : public TcpOutput {
 public:
  explicit RecordingOutput(const uint64_t* clock) : clock_(clock) {}
  void transmit(const FourTuple& tuple, const TcpRepr& hdr,
                std::span<const std::span<const uint8_t>> payload) override {
    Sent s{tuple, hdr, {}, *clock_};
    for (auto piece : payload) s.payload.insert(s.payload.end(), piece.begin(), piece.end());
    if (hdr.has_timestamp) last_ts_val = hdr.ts_val;
    segs.push_back(std::move(s));
  }
  std::vector<Sent> segs;
  uint32_t last_ts_val = 0;

 private:
  const uint64_t* clock_;
};

class RecordingApp final : public TcpApp {
 public:
  void on_established(ConnId id) override {
    established.push_back(id);
    if (on_est_hook) on_est_hook(id);
  }
  size_t on_data(ConnId id, std::span<const uint8_t> bytes) override {
    ++data_calls;
    size_t take = bytes.size() < consume_limit ? bytes.size() : consume_limit;
    auto& v = data[id];
    v.insert(v.end(), bytes.begin(), bytes.begin() + std::ptrdiff_t(take));
    if (consume_limit != SIZE_MAX) consume_limit -= take;
    return take;
  }
  void on_peer_closed(ConnId id) override { peer_closed.push_back(id); }
  void on_writable(ConnId id) override { writable.push_back(id); }
  void on_closed(ConnId id, CloseReason r) override { closed.emplace_back(id, r); }

  std::vector<ConnId> established;
  std::map<ConnId, std::vector<uint8_t>> data;
  std::vector<ConnId> peer_closed;
  std::vector<ConnId> writable;
  std::vector<std::pair<ConnId, CloseReason>> closed;
  size_t consume_limit = SIZE_MAX;  // total bytes the app will still accept
  size_t data_calls = 0;
  std::function<void(ConnId)> on_est_hook;
};

// Deterministic stream content: byte at stream offset o.
inline uint8_t pattern_byte(uint64_t o) { return uint8_t((o * 7 + (o >> 8)) % 251); }
inline std::vector<uint8_t> pattern(uint64_t offset, size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = pattern_byte(offset + i);
  return v;
}

// What the simulated peer offers in its SYN.
struct PeerOpts {
  uint16_t mss = 1460;     // 0 = no MSS option
  int8_t wscale = -1;      // -1 = no WS option
  bool timestamps = false;
  bool sack_permitted = false;
  uint16_t window = 65535; // raw window field the peer puts in every segment
  uint32_t isn = 100000;
  uint32_t ts_start = 5000;
};

// Timer slack: the engine may run a timer wheel with coarse ticks. RFC timers
// are asserted to fire no earlier than (deadline - kSlackUs) and no later than
// (deadline + kSlackUs).
inline constexpr uint64_t kSlackUs = 20'000;

inline TcpConfig base_config() {
  TcpConfig c;
  c.max_connections = 64;
  c.max_time_wait = 64;
  c.buffer_count = 1024;
  return c;
}

struct Rig {
  uint64_t now = 1'000'000'000;  // 1000 s: keeps "now - x" positive everywhere
  TcpConfig cfg;
  RecordingOutput out{&now};
  RecordingApp app;
  TcpStack stack;
  bool init_ok = false;
  FourTuple tup{0x0a000002, 0x0a000001, 40000, 80};
  uint16_t port = 80;

  // Peer view of the connection.
  PeerOpts peer;
  ConnId id = kNoConn;
  uint32_t iss = 0;      // server ISN, from the SYN-ACK
  uint32_t cli_nxt = 0;  // next sequence number the peer sends
  uint32_t srv_nxt = 0;  // next sequence number the peer expects (its ACK)
  uint32_t peer_tsval = 0;
  TcpRepr synack;        // the SYN-ACK as received

  explicit Rig(const TcpConfig& c = base_config()) : cfg(c) {
    const char* err = nullptr;
    init_ok = stack.init(cfg, &out, now, &err);
    if (init_ok) init_ok = stack.listen(port, &app);
  }

  void poll() { stack.poll_timers(now); }
  void advance(uint64_t us) {
    now += us;
    stack.poll_timers(now);
  }

  // Walk time forward in `step` increments up to `limit`, stopping as soon
  // as the stack transmits something. Returns the time it transmitted, or 0.
  uint64_t run_until_tx(uint64_t limit_us, uint64_t step_us = 1'000) {
    uint64_t end = now + limit_us;
    while (now < end) {
      now += step_us;
      if (now > end) now = end;
      stack.poll_timers(now);
      if (!out.segs.empty()) return now;
    }
    return 0;
  }

  std::vector<Sent> take() {
    std::vector<Sent> v;
    v.swap(out.segs);
    return v;
  }

  // Header for a segment from the peer with its current options applied.
  TcpRepr mk(uint8_t flags, uint32_t seq, uint32_t ack) {
    TcpRepr h;
    h.src_port = tup.remote_port;
    h.dst_port = tup.local_port;
    h.seq = seq;
    h.ack = (flags & flag::ACK) ? ack : 0;
    h.flags = flags;
    h.window = peer.window;
    if (peer.timestamps) {
      h.has_timestamp = true;
      h.ts_val = ++peer_tsval;
      h.ts_ecr = out.last_ts_val;
    }
    return h;
  }
  TcpRepr mk(uint8_t flags) { return mk(flags, cli_nxt, srv_nxt); }

  void input(const TcpRepr& h, std::span<const uint8_t> payload = {}) {
    stack.input(Segment{tup, h, payload}, now);
  }
  void input_from(const FourTuple& t, const TcpRepr& h, std::span<const uint8_t> payload = {}) {
    stack.input(Segment{t, h, payload}, now);
  }

  TcpRepr syn_hdr() {
    TcpRepr h;
    h.src_port = tup.remote_port;
    h.dst_port = tup.local_port;
    h.seq = peer.isn;
    h.flags = flag::SYN;
    h.window = peer.window;
    h.mss = peer.mss;
    h.wscale = peer.wscale;
    h.sack_permitted = peer.sack_permitted;
    if (peer.timestamps) {
      h.has_timestamp = true;
      peer_tsval = peer.ts_start;
      h.ts_val = peer_tsval;
      h.ts_ecr = 0;
    }
    return h;
  }

  // Sends the SYN; returns true and fills iss/synack when exactly one SYN-ACK came back.
  bool send_syn() {
    input(syn_hdr());
    auto v = take();
    if (v.size() != 1 || !v[0].is(flag::SYN | flag::ACK)) return false;
    synack = v[0].hdr;
    iss = synack.seq;
    cli_nxt = peer.isn + 1;
    srv_nxt = iss + 1;
    return true;
  }

  // Completes the three-way handshake; true when on_established fired.
  bool handshake(const PeerOpts& p = PeerOpts{}, uint64_t rtt_us = 0) {
    peer = p;
    if (!send_syn()) return false;
    now += rtt_us;
    input(mk(flag::ACK));
    if (app.established.empty()) return false;
    id = app.established.back();
    return true;
  }

  // Stream content the peer sends at sequence number seq (offset from IRS+1).
  std::vector<uint8_t> bytes_at(uint32_t seq, size_t n) const {
    return pattern(uint32_t(seq - (peer.isn + 1)), n);
  }
  // Peer sends n bytes at seq (ACKing srv_nxt) without moving cli_nxt.
  void send_at(uint32_t seq, size_t n, uint8_t extra_flags = 0) {
    auto bytes = bytes_at(seq, n);
    input(mk(flag::ACK | extra_flags, seq, srv_nxt), bytes);
  }
  // Peer sends n bytes of in-order data; returns them.
  std::vector<uint8_t> send_data(size_t n, uint8_t extra_flags = 0) {
    auto bytes = bytes_at(cli_nxt, n);
    input(mk(flag::ACK | flag::PSH | extra_flags), bytes);
    cli_nxt += uint32_t(n) + ((extra_flags & flag::FIN) ? 1 : 0);
    return bytes;
  }
  // Peer sends FIN (with ACK) at cli_nxt; returns the FIN's sequence number.
  uint32_t send_fin() {
    uint32_t s = cli_nxt;
    input(mk(flag::FIN | flag::ACK));
    cli_nxt += 1;
    return s;
  }

  // Peer acknowledges up to `ack` (also stored as srv_nxt).
  void ack_to(uint32_t ack) {
    srv_nxt = ack;
    input(mk(flag::ACK));
  }

  // Collects whatever the stack sends now plus what it sends once the delayed
  // ACK timer has run (RFC 9293 3.8.6.3 / RFC 5681 4.2 allow delaying an ACK),
  // so v.back() is the latest ACK state. Moves time by delayed_ack_us + slack.
  std::vector<Sent> take_allowing_delack() {
    auto v = take();
    advance(cfg.delayed_ack_us + kSlackUs);
    auto w = take();
    v.insert(v.end(), w.begin(), w.end());
    return v;
  }

  // Collects what the stack sends now, or after a timer pass at the same now_us
  // (an engine may defer output produced by an API call to poll_timers).
  std::vector<Sent> take_now() {
    auto v = take();
    if (!v.empty()) return v;
    poll();
    return take();
  }

  // Received bytes so far on the rig's connection.
  const std::vector<uint8_t>& received() { return app.data[id]; }

  // App writes; returns bytes the stack accepted.
  size_t app_send(size_t n, uint64_t offset = 0) {
    auto bytes = pattern(offset, n);
    return stack.send(id, bytes);
  }
};

// Concatenates the payload of every segment in order of sequence number
// (for checking what the stack sent).
inline uint32_t bytes_in(const std::vector<Sent>& v) {
  uint32_t n = 0;
  for (auto& s : v) n += s.len();
  return n;
}

// One line per segment, for INFO() when an expectation on a burst fails.
inline std::string dump(const std::vector<Sent>& v) {
  std::string s;
  for (auto& x : v) s += "\n  " + x.str();
  return s;
}

}  // namespace rfc
