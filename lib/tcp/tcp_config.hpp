#pragma once
#include <cstdint>

namespace wsgate::tcp {

struct TcpConfig {
  uint32_t max_connections = 65536;   // live records (SYN_RCVD .. LAST_ACK)
  uint32_t max_time_wait = 65536;     // compact TIME_WAIT entries
  // SYN-RECEIVED records before SYN cookies (RFC 4987) answer new SYNs;
  // 0 = cookies for every SYN.
  uint32_t max_half_open = 4096;
  uint32_t buffer_count = 16384;      // shared 2 KiB chunks: send queues, held rx, out-of-order
  uint32_t send_buffer_bytes = 65536; // per connection cap on unacknowledged + unsent bytes
  uint32_t recv_buffer_bytes = 65536; // per connection: advertised window ceiling
  uint16_t mss = 1460;                // what we announce; effective = min(ours, peer's)
  uint8_t window_scale = 7;           // shift we announce when the peer offers WS
  bool timestamps = true;             // RFC 7323 TS when the peer offers it
  uint8_t ooo_max_segments = 8;       // out-of-order segments held per connection
  // 0: RFC 5681 3.1's initial window (2-4 segments by MSS, the standard);
  // N: RFC 6928's rule with N segments (Linux uses 10). --initial-window N.
  uint32_t initial_window_segments = 0;
  uint32_t delayed_ack_us = 40'000;
  uint32_t rto_initial_us = 1'000'000; // RFC 6298 (2.1)
  uint32_t rto_min_us = 200'000;       // RFC 6298 says 1 s; 200 ms like Linux, documented
  uint32_t rto_max_us = 60'000'000;
  uint8_t max_retransmits = 8;         // then RST and CloseReason::Timeout
  uint8_t synack_retries = 5;
  uint32_t time_wait_us = 60'000'000;  // 2*MSL
  uint32_t fin_wait2_timeout_us = 60'000'000;
  uint64_t keepalive_idle_us = 0;      // 0 = keepalive off (64-bit: --keepalive goes to a day)
  uint32_t keepalive_interval_us = 75'000'000;
  uint8_t keepalive_probes = 9;
  uint32_t challenge_ack_per_s = 1000; // RFC 5961 section 7
  uint64_t isn_secret[2] = {0x0123456789abcdefull, 0xfedcba9876543210ull};  // RFC 6528 key
  // Records for connections with bytes in flight, held or out of order
  // (~150 B each); 0 = min(max_connections, buffer_count). When none is
  // free, send() returns 0 and incoming data that must be held is dropped.
  uint32_t max_flights = 0;
  uint32_t close_all_grace_us = 5'000'000;  // close_all(): then RST what is left
};

}  // namespace wsgate::tcp
