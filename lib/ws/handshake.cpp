#include "ws/handshake.hpp"

#include <cstring>

#include "http/ascii.hpp"
#include "http/request_head.hpp"
#include "http/token_list.hpp"

namespace wsgate::ws {

namespace {

using http::iequals;

// Collects what the decision needs in one pass over the header fields.
class UpgradeHeaders final : public http::HeaderVisitor {
 public:
  explicit UpgradeHeaders(const HandshakePolicy& policy) : policy_(policy) {}

  void on_header(std::string_view name, std::string_view value) override {
    if (iequals(name, "host")) {
      ++host_count;
    } else if (iequals(name, "upgrade")) {
      upgrade_present = true;
      if (http::list_contains_token(value, "websocket")) upgrade_websocket = true;
    } else if (iequals(name, "connection")) {
      if (http::list_contains_token(value, "upgrade")) connection_upgrade = true;
    } else if (iequals(name, "sec-websocket-key")) {
      ++key_count;
      key = value;
    } else if (iequals(name, "sec-websocket-version")) {
      ++version_count;
      version = value;
    } else if (iequals(name, "origin")) {
      ++origin_count;
      origin = value;
    } else if (iequals(name, "sec-websocket-protocol")) {
      // The header may repeat; the first offered protocol we support wins.
      if (!subprotocol.empty()) return;
      http::for_each_list_element(value, [&](std::string_view offered) {
        for (const std::string& ours : policy_.subprotocols) {
          if (offered == ours) {  // subprotocol tokens are case-sensitive
            subprotocol = ours;
            return false;
          }
        }
        return true;
      });
    }
  }

  int host_count = 0;
  int key_count = 0;
  int version_count = 0;
  int origin_count = 0;
  bool upgrade_present = false;
  bool upgrade_websocket = false;
  bool connection_upgrade = false;
  std::string_view key;
  std::string_view version;
  std::string_view origin;
  std::string_view subprotocol;

 private:
  const HandshakePolicy& policy_;
};

HandshakeDecision reject(int status, std::string_view extra = {}) {
  HandshakeDecision d;
  d.kind = RequestKind::Reject;
  d.status = status;
  d.extra_headers = extra;
  return d;
}

bool listed(std::span<const std::string> list, std::string_view s, bool case_insensitive) {
  for (const std::string& e : list) {
    if (case_insensitive ? iequals(e, s) : std::string_view(e) == s) return true;
  }
  return false;
}

}  // namespace

HandshakeDecision evaluate_request(std::string_view head, const HandshakePolicy& policy) {
  http::RequestLine line;
  UpgradeHeaders h(policy);
  switch (http::parse_request_head(head, &line, &h)) {
    case http::HeadError::None: break;
    case http::HeadError::BadVersion: return reject(505);
    default: return reject(400);
  }
  if (line.version_major != 1) return reject(505);
  if (line.method != "GET") return reject(405, "Allow: GET\r\n");
  const bool http11 = line.version_minor >= 1;
  if (h.host_count > 1 || (http11 && h.host_count == 0)) return reject(400);  // RFC 9112 3.2
  if (line.target.front() != '/') return reject(400);  // only origin-form is served

  const std::string_view path = line.target.substr(0, line.target.find('?'));
  if (path == "/healthz") {
    HandshakeDecision d;
    d.kind = RequestKind::Healthz;
    d.status = 200;
    return d;
  }
  if (path == "/metrics") {
    if (!policy.metrics_enabled) return reject(404);
    HandshakeDecision d;
    d.kind = RequestKind::Metrics;
    d.status = 200;
    return d;
  }
  if (!policy.ws_paths.empty() && !listed(policy.ws_paths, path, false)) return reject(404);

  // A WebSocket path from here on (RFC 6455 4.2.1).
  if (!h.upgrade_websocket || !h.connection_upgrade) return reject(400);
  if (!http11) return reject(505);  // the upgrade needs HTTP/1.1 or higher
  if (h.host_count != 1) return reject(400);
  if (h.version_count == 0) return reject(400);
  if (h.version_count > 1 || h.version != "13") return reject(426, "Sec-WebSocket-Version: 13\r\n");
  if (h.key_count != 1 || !websocket_key_valid(h.key)) return reject(400);
  if (h.origin_count > 1) return reject(403);
  if (!policy.allowed_origins.empty() && h.origin_count == 1 && !listed(policy.allowed_origins, h.origin, true)) {
    return reject(403);
  }
  HandshakeDecision d;
  if (!compute_accept_key(h.key, d.accept)) return reject(500);
  d.kind = RequestKind::Upgrade;
  d.status = 101;
  d.subprotocol = h.subprotocol;
  return d;
}

size_t write_switching_protocols(char* out, size_t cap, const HandshakeDecision& decision) {
  size_t len = 0;
  bool overflow = false;
  auto put = [&](std::string_view s) {
    if (len + s.size() > cap) {
      overflow = true;
      return;
    }
    std::memcpy(out + len, s.data(), s.size());
    len += s.size();
  };
  put("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ");
  put(std::string_view(decision.accept, kAcceptKeyChars));
  put("\r\n");
  if (!decision.subprotocol.empty()) {
    put("Sec-WebSocket-Protocol: ");
    put(decision.subprotocol);
    put("\r\n");
  }
  put("\r\n");
  return overflow ? 0 : len;
}

}  // namespace wsgate::ws
