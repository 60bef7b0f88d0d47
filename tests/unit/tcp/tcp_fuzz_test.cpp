// Random segments and random app calls: the engine must never crash, never
// leak a record, a flight or a buffer, and must drain to nothing once
// everything is closed. Deterministic seeds.
#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "tcp_harness.hpp"

using namespace wsgate::tcp;
using namespace wsgate::tcp::test;

TEST_CASE("fuzz: random segments and app calls leave no leak behind") {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    CAPTURE(seed);
    TcpConfig c = test_config();
    c.buffer_count = 32;
    c.max_connections = 8;
    c.max_time_wait = 4;
    c.keepalive_idle_us = (seed % 2) ? 2'000'000 : 0;
    c.keepalive_interval_us = 500'000;
    Harness h(c);
    std::mt19937 rng(seed);
    auto pick = [&](uint32_t n) { return std::uniform_int_distribution<uint32_t>(0, n - 1)(rng); };
    std::vector<uint8_t> payload(3000);
    for (auto& b : payload) b = static_cast<uint8_t>(pick(256));
    h.app.on_data_hook = [&](ConnId id, std::span<const uint8_t>) {
      switch (pick(12)) {
        case 0: h.stack.abort(id); break;
        case 1: h.stack.shutdown_write(id); break;
        case 2: h.stack.send(id, std::span(payload).first(pick(3000))); break;
        case 3: h.stack.resume_read(id); break;
        default: break;
      }
    };
    // Per-tuple view of what the stack sent last, to aim near its window.
    for (int step = 0; step < 3000; ++step) {
      h.tuple.remote_port = static_cast<uint16_t>(1 + pick(6));
      uint32_t ack = 0;
      uint32_t seq = 1000 + pick(4000);
      for (auto it = h.out.sent.rbegin(); it != h.out.sent.rend(); ++it)
        if (it->tuple == h.tuple) {
          ack = it->hdr.seq + it->seg_len() - pick(3) * 500;
          seq = it->hdr.ack + pick(3) * 700 - 700;
          break;
        }
      if (h.out.sent.size() > 64) h.out.sent.erase(h.out.sent.begin(), h.out.sent.begin() + 32);
      TcpRepr r = h.seg(0, seq, ack);
      r.flags = static_cast<uint8_t>(pick(4) == 0 ? pick(256) : (flag::ACK | (pick(3) == 0 ? flag::FIN : 0)));
      if (r.flags & flag::SYN) {
        r.mss = static_cast<uint16_t>(pick(2000));
        r.wscale = static_cast<int8_t>(static_cast<int>(pick(17)) - 1);
        r.has_timestamp = pick(2) == 0;
        r.ts_val = pick(100);
      }
      r.ack = ack;
      r.window = static_cast<uint16_t>(pick(4) == 0 ? 0 : pick(65536));
      const size_t len = pick(3) == 0 ? pick(1500) : 0;
      h.app.consume_limit = pick(3) == 0 ? pick(100) : SIZE_MAX;
      h.send(r, std::span(payload).first(len));
      if (pick(5) == 0 && !h.app.established.empty()) {
        const ConnId id = h.app.established[pick(static_cast<uint32_t>(h.app.established.size()))];
        switch (pick(5)) {
          case 0: h.stack.send(id, std::span(payload).first(pick(3000))); break;
          case 1: h.stack.shutdown_write(id); break;
          case 2: h.stack.abort(id); break;
          default: h.stack.resume_read(id); break;
        }
      }
      h.advance(pick(4) == 0 ? pick(2'000'000) : pick(5000));
    }
    h.app.consume_limit = SIZE_MAX;
    h.stack.close_all(h.now_us);
    for (int i = 0; i < 200; ++i) h.advance(1'000'000);
    CHECK(h.stack.connections_total() == 0);
    CHECK(h.stack.flights_in_use() == 0);
    CHECK(h.stack.buffers_in_use() == 0);
    // Every connection the app heard of was closed exactly once.
    CHECK(h.app.closed.size() == h.app.established.size());
  }
}
