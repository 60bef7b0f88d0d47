// wsgate's own command line (after EAL's arguments and "--").
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace wsgate::app {

struct Options {
  uint32_t addr = 0xC6120002;  // 198.18.0.2: RFC 2544 benchmarking range
  uint8_t prefix = 24;
  uint32_t gateway = 0;        // 0: no gateway, on-link peers only
  std::vector<uint16_t> http_ports{8080};
  uint16_t echo_port = 7777;   // 0: off
  std::string tap_name = "wsgate0";
  bool host_addr_set = false;
  uint32_t host_addr = 0;
  uint8_t host_prefix = 24;
  std::string iface;
  uint32_t max_conns = 65536;  // per lcore
  uint32_t syn_backlog = 4096; // half-open per lcore before SYN cookies; 0: always cookies
  uint32_t buffers = 16384;    // 2 KiB buffers per lcore
  uint32_t mbufs = 8191;       // per queue
  uint32_t stats_interval_s = 10;
  std::string log_level = "info";
  uint32_t keepalive_s = 0;
  uint32_t initial_window_segments = 0;  // 0: RFC 5681 3.1; N: RFC 6928 style
  uint32_t max_message_bytes = 1u << 20;
  uint32_t max_header_bytes = 8192;
  uint32_t handshake_timeout_ms = 10000;
  std::vector<std::string> ws_subprotocols;  // in preference order; empty: none offered back
  std::vector<std::string> ws_origins;       // Origin allow-list; empty: any
  std::vector<std::string> ws_paths;         // upgrade paths; empty: any but /healthz and /metrics
  uint32_t ws_idle_ping_ms = 0;              // 0: off
  std::string capture_path;               // --capture: pcap of what the port sees
  uint64_t capture_max_bytes = 64ull << 20;
  bool replay = false;                    // time from the input capture, not the clock
  bool seed_set = false;                  // RFC 6528 secret from --seed instead of getrandom
  uint64_t seed = 0;
  uint32_t replay_tail_ms = 5000;         // virtual time run after the input ends
};

enum class ParseResult { Ok, Help, Error };

// argv here is what follows "--". On Error, *error names the option at fault.
ParseResult parse_options(int argc, char** argv, Options* out, std::string* error);
void print_usage(std::FILE* f);

}  // namespace wsgate::app
