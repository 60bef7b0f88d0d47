#define DOCTEST_CONFIG_NO_EXCEPTIONS_BUT_WITH_ALL_ASSERTS
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "ws/handshake.hpp"

using namespace wsgate::ws;

namespace {

const std::string kKey = "dGhlIHNhbXBsZSBub25jZQ==";

// A valid upgrade request with one header replaced (or removed when value is
// empty) or added.
std::string request(const std::string& request_line = "GET /chat HTTP/1.1",
                    const std::vector<std::pair<std::string, std::string>>& overrides = {}) {
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Host", "server.example.com"},
      {"Upgrade", "websocket"},
      {"Connection", "Upgrade"},
      {"Sec-WebSocket-Key", kKey},
      {"Sec-WebSocket-Version", "13"},
  };
  for (const auto& [name, value] : overrides) {
    bool replaced = false;
    for (auto it = headers.begin(); it != headers.end(); ++it) {
      if (it->first == name) {
        if (value.empty()) headers.erase(it);
        else it->second = value;
        replaced = true;
        break;
      }
    }
    if (!replaced) headers.emplace_back(name, value);
  }
  std::string r = request_line + "\r\n";
  for (const auto& [name, value] : headers) r += name + ": " + value + "\r\n";
  return r + "\r\n";
}

struct PolicyStore {
  std::vector<std::string> subprotocols;
  std::vector<std::string> origins;
  std::vector<std::string> paths;
  HandshakePolicy policy() const {
    HandshakePolicy p;
    p.subprotocols = subprotocols;
    p.allowed_origins = origins;
    p.ws_paths = paths;
    return p;
  }
};

int status_of(const std::string& req, const HandshakePolicy& policy = {}) {
  return evaluate_request(req, policy).status;
}

}  // namespace

TEST_CASE("a valid upgrade gets 101 with the RFC's accept key") {
  const HandshakeDecision d = evaluate_request(request(), {});
  REQUIRE(d.kind == RequestKind::Upgrade);
  CHECK(d.status == 101);
  char out[512];
  const size_t n = write_switching_protocols(out, sizeof out, d);
  CHECK(std::string(out, n) ==
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
  CHECK(write_switching_protocols(out, 20, d) == 0);
}

TEST_CASE("header syntax accepted as RFC 9110 allows") {
  CHECK(status_of(request("GET /chat HTTP/1.1", {{"Connection", "keep-alive, Upgrade"}})) == 101);
  CHECK(status_of(request("GET /chat HTTP/1.1", {{"Connection", "upgrade"}, {"Upgrade", "WebSocket"}})) == 101);
  CHECK(status_of(request("GET /chat HTTP/1.1", {{"Upgrade", "h2c, websocket"}})) == 101);
  CHECK(status_of(request("GET /chat?x=1 HTTP/1.1")) == 101);
  CHECK(status_of("GET /chat HTTP/1.1\r\nhost: a\r\nUPGRADE:websocket\r\nconnection:   Upgrade \t\r\n"
                  "sec-websocket-key:" + kKey + "\r\nSEC-WEBSOCKET-VERSION: 13  \r\n\r\n") == 101);
  CHECK(status_of(request("GET /chat HTTP/1.1", {{"Sec-WebSocket-Extensions", "permessage-deflate"}})) == 101);
}

TEST_CASE("every status path") {
  struct Case {
    const char* what;
    std::string req;
    int status;
  };
  const Case cases[] = {
      {"POST", request("POST /chat HTTP/1.1"), 405},
      {"HEAD", request("HEAD /chat HTTP/1.1"), 405},
      {"HTTP/2.0", request("GET /chat HTTP/2.0"), 505},
      {"HTTP/1.0 upgrade", request("GET /chat HTTP/1.0"), 505},
      {"not HTTP", request("GET /chat FTP/1.1"), 400},
      {"HTTP-like version", request("GET /chat HTTQ/1.1"), 505},
      {"bad version syntax", request("GET /chat HTTP/1"), 400},
      {"missing target", request("GET  HTTP/1.1"), 400},
      {"extra space", request("GET /chat  HTTP/1.1"), 400},
      {"asterisk form", request("GET * HTTP/1.1"), 400},
      {"no Host", request("GET /chat HTTP/1.1", {{"Host", ""}}), 400},
      {"two Hosts", "GET /chat HTTP/1.1\r\nHost: a\r\nHost: b\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: " + kKey + "\r\nSec-WebSocket-Version: 13\r\n\r\n", 400},
      {"no Upgrade", request("GET /chat HTTP/1.1", {{"Upgrade", ""}}), 400},
      {"Upgrade: h2c", request("GET /chat HTTP/1.1", {{"Upgrade", "h2c"}}), 400},
      {"no Connection: upgrade", request("GET /chat HTTP/1.1", {{"Connection", "keep-alive"}}), 400},
      {"no version", request("GET /chat HTTP/1.1", {{"Sec-WebSocket-Version", ""}}), 400},
      {"version 8", request("GET /chat HTTP/1.1", {{"Sec-WebSocket-Version", "8"}}), 426},
      {"version 13, 8", request("GET /chat HTTP/1.1", {{"Sec-WebSocket-Version", "13, 8"}}), 426},
      {"no key", request("GET /chat HTTP/1.1", {{"Sec-WebSocket-Key", ""}}), 400},
      {"short key", request("GET /chat HTTP/1.1", {{"Sec-WebSocket-Key", "c2hvcnQ="}}), 400},
      {"header without colon", "GET /chat HTTP/1.1\r\nHost x\r\n\r\n", 400},
      {"space before colon", "GET /chat HTTP/1.1\r\nHost : x\r\n\r\n", 400},
      {"obs-fold", "GET /chat HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400},
      {"bare LF in header", "GET /chat HTTP/1.1\r\nHost: x\nY: z\r\n\r\n", 400},
      {"control byte in value", std::string("GET /chat HTTP/1.1\r\nHost: a\x01\r\n\r\n"), 400},
      {"healthz", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 200},
      {"healthz HTTP/1.0 without Host", "GET /healthz HTTP/1.0\r\n\r\n", 200},
      {"healthz with query", "GET /healthz?full=1 HTTP/1.1\r\nHost: x\r\n\r\n", 200},
      {"POST healthz", "POST /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 405},
      {"plain GET on a ws path", "GET /chat HTTP/1.1\r\nHost: x\r\n\r\n", 400},
  };
  for (const Case& c : cases) {
    const std::string what = c.what;
    CAPTURE(what);
    CHECK(status_of(c.req) == c.status);
  }
  const HandshakeDecision d = evaluate_request(request("GET /chat HTTP/1.1", {{"Sec-WebSocket-Version", "8"}}), {});
  CHECK(d.extra_headers == "Sec-WebSocket-Version: 13\r\n");
  CHECK(evaluate_request(request("POST /chat HTTP/1.1"), {}).extra_headers == "Allow: GET\r\n");
}

TEST_CASE("/metrics only with a source; ws paths restrict upgrades") {
  HandshakePolicy with_metrics;
  with_metrics.metrics_enabled = true;
  CHECK(evaluate_request("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", with_metrics).kind == RequestKind::Metrics);
  HandshakePolicy without;
  without.metrics_enabled = false;
  CHECK(status_of("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", without) == 404);

  PolicyStore store;
  store.paths = {"/ws"};
  CHECK(status_of(request("GET /ws HTTP/1.1"), store.policy()) == 101);
  CHECK(status_of(request("GET /ws?room=1 HTTP/1.1"), store.policy()) == 101);
  CHECK(status_of(request("GET /other HTTP/1.1"), store.policy()) == 404);
  CHECK(status_of("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", store.policy()) == 200);
}

TEST_CASE("Origin allow-list") {
  PolicyStore store;
  store.origins = {"https://app.example.com"};
  const HandshakePolicy p = store.policy();
  CHECK(status_of(request("GET /chat HTTP/1.1", {{"Origin", "https://app.example.com"}}), p) == 101);
  CHECK(status_of(request("GET /chat HTTP/1.1", {{"Origin", "HTTPS://APP.EXAMPLE.COM"}}), p) == 101);
  CHECK(status_of(request("GET /chat HTTP/1.1", {{"Origin", "https://evil.example"}}), p) == 403);
  CHECK(status_of(request(), p) == 101);  // no Origin: not a browser
  CHECK(status_of(request("GET /chat HTTP/1.1", {{"Origin", "https://evil.example"}})) == 101);  // empty list
}

TEST_CASE("subprotocol: the first offered one we support") {
  PolicyStore store;
  store.subprotocols = {"chat.v2", "chat.v1"};
  const HandshakePolicy p = store.policy();
  HandshakeDecision d = evaluate_request(request("GET /chat HTTP/1.1", {{"Sec-WebSocket-Protocol", "mqtt, chat.v1, chat.v2"}}), p);
  REQUIRE(d.kind == RequestKind::Upgrade);
  CHECK(d.subprotocol == "chat.v1");
  char out[512];
  const std::string reply(out, write_switching_protocols(out, sizeof out, d));
  CHECK(reply.find("Sec-WebSocket-Protocol: chat.v1\r\n") != std::string::npos);

  d = evaluate_request(request("GET /chat HTTP/1.1", {{"Sec-WebSocket-Protocol", "mqtt"}}), p);
  CHECK(d.kind == RequestKind::Upgrade);
  CHECK(d.subprotocol.empty());
  const std::string plain(out, write_switching_protocols(out, sizeof out, d));
  CHECK(plain.find("Sec-WebSocket-Protocol") == std::string::npos);

  // Repeated header: order across headers counts.
  const std::string two = request("GET /chat HTTP/1.1", {{"Sec-WebSocket-Protocol", "x"}, {"X-Dummy", "1"}});
  std::string repeated = two;
  repeated.insert(repeated.size() - 2, "Sec-WebSocket-Protocol: chat.v2\r\n");
  d = evaluate_request(repeated, p);
  CHECK(d.subprotocol == "chat.v2");
  CHECK(evaluate_request(request("GET /chat HTTP/1.1", {{"Sec-WebSocket-Protocol", "CHAT.V1"}}), p).subprotocol.empty());
}
