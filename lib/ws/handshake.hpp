// The server's decision on one HTTP request (RFC 6455 section 4.2.1/4.2.2):
// a WebSocket upgrade, /healthz, /metrics, or an HTTP error. Pure: it sees
// one complete request head and the policy, nothing else.
//
// Paths: /healthz and /metrics are plain HTTP. When ws_paths is empty every
// other path accepts upgrades; otherwise only the listed paths do and the
// rest get 404. The query string is ignored for matching.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "ws/accept_key.hpp"

namespace wsgate::ws {

struct HandshakePolicy {
  std::span<const std::string> subprotocols;     // in server preference order (client order wins)
  std::span<const std::string> allowed_origins;  // empty: any; a request without Origin is allowed
  std::span<const std::string> ws_paths;         // empty: every path but /healthz and /metrics
  bool metrics_enabled = true;                   // false: /metrics is 404
};

enum class RequestKind : uint8_t { Upgrade, Healthz, Metrics, Reject };

struct HandshakeDecision {
  RequestKind kind = RequestKind::Reject;
  int status = 400;
  std::string_view extra_headers;  // for Reject: e.g. "Sec-WebSocket-Version: 13\r\n"
  std::string_view subprotocol;    // for Upgrade: the selected one, empty if none
  char accept[kAcceptKeyChars] = {};
};

HandshakeDecision evaluate_request(std::string_view head, const HandshakePolicy& policy);

// The 101 reply. Extensions are declined by omission. 0 if cap is too small.
size_t write_switching_protocols(char* out, size_t cap, const HandshakeDecision& decision);

}  // namespace wsgate::ws
