// Whole-stream checks over a lossy, reordering link: whatever the engine's
// retransmission, fast recovery and reassembly do, every byte arrives once,
// in order. Fixed seeds keep it deterministic.
#include <doctest/doctest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "tcp/seq.hpp"
#include "tcp_harness.hpp"

using namespace wsgate::tcp;
using namespace wsgate::tcp::test;

namespace {

std::string pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('A' + (i * 7 + i / 251) % 61);
  return s;
}

// A segment in flight on the simulated link.
struct InFlight {
  uint64_t at_us;
  bool to_stack;
  TcpRepr hdr;
  std::vector<uint8_t> payload;
};

struct Link {
  std::mt19937 rng;
  double loss;
  std::vector<InFlight> q;
  Link(uint32_t seed, double l) : rng(seed), loss(l) {}
  void put(uint64_t now, bool to_stack, const TcpRepr& h, std::vector<uint8_t> p) {
    if (std::uniform_real_distribution<double>(0, 1)(rng) < loss) return;
    const uint64_t delay = 5'000 + std::uniform_int_distribution<uint64_t>(0, 15'000)(rng);  // reorders
    q.push_back({now + delay, to_stack, h, std::move(p)});
  }
  // Removes and returns segments due by now, earliest first.
  std::vector<InFlight> due(uint64_t now) {
    std::vector<InFlight> d;
    for (size_t i = 0; i < q.size();) {
      if (q[i].at_us <= now) {
        d.push_back(std::move(q[i]));
        q.erase(q.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        ++i;
      }
    }
    std::stable_sort(d.begin(), d.end(), [](const InFlight& a, const InFlight& b) { return a.at_us < b.at_us; });
    return d;
  }
};

TcpConfig lossy_config() {
  TcpConfig c = test_config();
  c.buffer_count = 1024;
  c.send_buffer_bytes = 256 * 1024;
  c.max_retransmits = 30;
  return c;
}

}  // namespace

TEST_CASE("lossy link: a stream from the stack arrives intact") {
  for (uint32_t seed : {1u, 2u, 3u}) {
    CAPTURE(seed);
    Harness h(lossy_config());
    h.peer_mss = 1000;
    h.handshake();
    Link link(seed, 0.1);
    const std::string msg = pattern(150'000);
    size_t queued = 0;
    uint32_t peer_ack = h.lseq;
    std::map<uint32_t, std::vector<uint8_t>> held;
    std::string got;
    for (int step = 0; step < 600'000 && got.size() < msg.size(); ++step) {
      if (queued < msg.size()) queued += h.stack.send(h.id, bytes_of(msg).subspan(queued));
      while (!h.out.sent.empty()) {
        SentSegment s = std::move(h.out.sent.front());
        h.out.sent.pop_front();
        link.put(h.now_us, false, s.hdr, std::move(s.payload));
      }
      for (InFlight& f : link.due(h.now_us)) {
        if (f.to_stack) {
          h.send(f.hdr, f.payload);
          continue;
        }
        if (!f.payload.empty()) {  // the peer: cumulative ACKs, holds what is out of order
          held[f.hdr.seq] = f.payload;
          for (auto it = held.begin(); it != held.end();) {
            const uint32_t s = it->first;
            const uint32_t len = static_cast<uint32_t>(it->second.size());
            if (seq::le(s, peer_ack) && seq::gt(s + len, peer_ack)) {
              const uint32_t skip = peer_ack - s;
              got.append(it->second.begin() + skip, it->second.end());
              peer_ack = s + len;
              it = held.erase(it);
              it = held.begin();
            } else if (seq::le(s + len, peer_ack)) {
              it = held.erase(it);
            } else {
              ++it;
            }
          }
          link.put(h.now_us, true, h.seg(flag::ACK, h.rseq, peer_ack), {});
        }
      }
      h.advance(1000);
    }
    CHECK(got.size() == msg.size());
    CHECK((got == msg));
    CHECK(h.app.closed.empty());
    CHECK(h.stack.stats().retransmits > 0);
  }
}

TEST_CASE("lossy link: a stream to the stack arrives intact") {
  for (uint32_t seed : {4u, 5u, 6u}) {
    CAPTURE(seed);
    Harness h(lossy_config());
    h.handshake();
    Link link(seed, 0.1);
    const std::string msg = pattern(150'000);
    const uint32_t base = h.rseq;
    uint32_t acked = 0;     // peer's SND.UNA offset
    uint32_t next = 0;      // peer's SND.NXT offset
    uint64_t last_progress = h.now_us;
    const uint32_t mss = 1000;
    for (int step = 0; step < 600'000 && h.app.received.size() < msg.size(); ++step) {
      // The peer: go-back-N, 16 segments in flight, 300 ms retransmit timer.
      if (h.now_us - last_progress > 300'000) {
        next = acked;
        last_progress = h.now_us;
      }
      while (next < msg.size() && next - acked < 16 * mss) {
        const uint32_t len = std::min<uint32_t>(mss, static_cast<uint32_t>(msg.size()) - next);
        const auto p = bytes_of(msg).subspan(next, len);
        link.put(h.now_us, true, h.seg(flag::ACK | flag::PSH, base + next, h.lseq),
                 std::vector<uint8_t>(p.begin(), p.end()));
        next += len;
      }
      while (!h.out.sent.empty()) {
        SentSegment s = std::move(h.out.sent.front());
        h.out.sent.pop_front();
        link.put(h.now_us, false, s.hdr, std::move(s.payload));
      }
      for (InFlight& f : link.due(h.now_us)) {
        if (f.to_stack) {
          h.send(f.hdr, f.payload);
        } else if (f.hdr.has(flag::ACK) && seq::gt(f.hdr.ack - base, acked) && f.hdr.ack - base <= msg.size()) {
          acked = f.hdr.ack - base;
          if (next < acked) next = acked;
          last_progress = h.now_us;
        }
      }
      h.advance(1000);
    }
    CHECK(h.app.received.size() == msg.size());
    CHECK((h.app.received_text() == msg));
    CHECK(h.stack.stats().ooo_segments > 0);
    CHECK(h.stack.buffers_in_use() == 0);
  }
}
