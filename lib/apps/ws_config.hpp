// Configuration of HttpWsApp (read at init only).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace wsgate::apps {

struct WsConfig {
  uint32_t max_message_bytes = 1 << 20;   // bigger messages: close 1009
  uint32_t max_header_bytes = 8192;       // request head limit: 431 (400 if the request line alone exceeds it)
  uint32_t max_request_line_bytes = 4096; // longer request line: 400
  uint32_t handshake_timeout_ms = 10000;  // from accept to a complete request head: then 408 and close
  // 0 = off. Otherwise a WebSocket that received nothing for one period gets
  // an empty Ping; if nothing at all arrives within the next period it is
  // closed with 1001 (see HttpWsApp::poll). Needs conn_id_limit.
  uint32_t idle_ping_ms = 0;
  // ConnIds are below this (the TCP stack's max_connections): the idle-ping
  // sweep visits [0, conn_id_limit) once per period. 0 = no sweep.
  uint32_t conn_id_limit = 0;
  // Subprotocols we speak, matched case-sensitively; the first one the
  // client offers that is listed here is selected.
  std::vector<std::string> subprotocols;
  // Origin allow-list (case-insensitive); empty = any. A request without an
  // Origin header (not a browser) is allowed.
  std::vector<std::string> allowed_origins;
  // Paths that accept an upgrade; empty = every path except /healthz and
  // /metrics (those two are always plain HTTP). Others get 404.
  std::vector<std::string> ws_paths;

  // Pools, allocated at init. Exhaustion refuses new work (503 / close 1013).
  uint32_t handshake_slots = 4096;    // connections between accept and the 101 (or error) reply
  uint32_t header_buffers = 512;      // of those, the ones whose head spans segments (max_header_bytes each)
  uint32_t frame_states = 16384;      // connections with a partial frame or an open fragmented message
  // Buffers that assemble messages spanning on_data calls (fragmented, or a
  // frame cut across segments) until they are complete and valid; returned
  // as soon as the echo is handed to TCP. Empty pool: close 1013.
  uint32_t message_buffers = 8192;
  uint32_t message_buffer_bytes = 4096;
  uint32_t metrics_buffer_bytes = 65536;
};

}  // namespace wsgate::apps
