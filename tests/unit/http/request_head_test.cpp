#define DOCTEST_CONFIG_NO_EXCEPTIONS_BUT_WITH_ALL_ASSERTS
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "http/request_head.hpp"
#include "http/response.hpp"
#include "http/token_list.hpp"

using namespace wsgate::http;

namespace {

std::span<const uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

class Collect final : public HeaderVisitor {
 public:
  void on_header(std::string_view name, std::string_view value) override {
    fields.emplace_back(std::string(name), std::string(value));
  }
  std::vector<std::pair<std::string, std::string>> fields;
};

}  // namespace

TEST_CASE("find_head_end incrementally at every split point") {
  const std::string head = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  const std::string all = head + "\x81\x80rest";
  CHECK(find_head_end(as_bytes(all)) == head.size());
  for (size_t split = 0; split <= all.size(); ++split) {
    CAPTURE(split);
    const size_t first = find_head_end(as_bytes(all.substr(0, split)));
    if (split < head.size()) {
      CHECK(first == 0);
      CHECK(find_head_end(as_bytes(all), rescan_from(split)) == head.size());
    } else {
      CHECK(first == head.size());
    }
  }
  CHECK(find_head_end(as_bytes("GET / HTTP/1.1\n\n")) == 0);
  CHECK(find_head_end(as_bytes("\r\n\r")) == 0);
}

TEST_CASE("request line and trimmed headers") {
  const std::string head = "GET /a?b HTTP/1.1\r\nHost:  example.com \t\r\nX-Empty:\r\nA: b, c\r\n\r\n";
  RequestLine line;
  Collect c;
  REQUIRE(parse_request_head(head, &line, &c) == HeadError::None);
  CHECK(line.method == "GET");
  CHECK(line.target == "/a?b");
  CHECK(line.version_major == 1);
  CHECK(line.version_minor == 1);
  REQUIRE(c.fields.size() == 3);
  CHECK(c.fields[0] == std::pair<std::string, std::string>{"Host", "example.com"});
  CHECK(c.fields[1].second.empty());
  CHECK(c.fields[2].second == "b, c");
  CHECK(request_line_length(as_bytes(head)) == 19);
}

TEST_CASE("malformed heads") {
  RequestLine line;
  CHECK(parse_request_head("GET /\r\n\r\n", &line, nullptr) == HeadError::BadRequestLine);
  CHECK(parse_request_head("G(T / HTTP/1.1\r\n\r\n", &line, nullptr) == HeadError::BadRequestLine);
  CHECK(parse_request_head("GET / XTTP/1.1\r\n\r\n", &line, nullptr) == HeadError::BadVersion);
  CHECK(parse_request_head("GET / HTTP/1.1\r\n: x\r\n\r\n", &line, nullptr) == HeadError::BadHeader);
  CHECK(parse_request_head("GET / HTTP/1.1\r\nA\tB: x\r\n\r\n", &line, nullptr) == HeadError::BadHeader);
  CHECK(parse_request_head("GET / HTTP/1.1\r\nA: x\ry\r\n\r\n", &line, nullptr) == HeadError::BadHeader);
  CHECK(parse_request_head("GET / HTTP/1.1\r\nA: \x7f\r\n\r\n", &line, nullptr) == HeadError::BadHeader);
  CHECK(parse_request_head("GET / HTTP/1.1\r\nA: caf\xc3\xa9\r\n\r\n", &line, nullptr) == HeadError::None);
}

TEST_CASE("token lists") {
  CHECK(list_contains_token("keep-alive, Upgrade", "upgrade"));
  CHECK(list_contains_token(" ,, upgrade ,", "Upgrade"));
  CHECK_FALSE(list_contains_token("upgrades", "upgrade"));
  CHECK_FALSE(list_contains_token("", "upgrade"));
  std::vector<std::string> seen;
  for_each_list_element(" a ,b,\tc\t,", [&](std::string_view e) {
    seen.emplace_back(e);
    return true;
  });
  CHECK(seen == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("error responses") {
  char out[256];
  const size_t n = write_error_response(out, sizeof out, 426, "Sec-WebSocket-Version: 13\r\n");
  CHECK(std::string(out, n) ==
        "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nContent-Type: text/plain\r\n"
        "Content-Length: 21\r\nConnection: close\r\n\r\n426 Upgrade Required\n");
  CHECK(write_error_response(out, 10, 404) == 0);
  CHECK(reason_phrase(431) == "Request Header Fields Too Large");
}
