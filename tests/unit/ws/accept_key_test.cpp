#define DOCTEST_CONFIG_NO_EXCEPTIONS_BUT_WITH_ALL_ASSERTS
#include <doctest/doctest.h>

#include <string>

#include "ws/accept_key.hpp"

using namespace wsgate::ws;

TEST_CASE("accept key of RFC 6455's example") {
  char out[kAcceptKeyChars];
  REQUIRE(compute_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out));
  CHECK(std::string(out, kAcceptKeyChars) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  REQUIRE(compute_accept_key("x3JJHMbDL1EzLkh9GBhXDw==", out));
  CHECK(std::string(out, kAcceptKeyChars) == "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");  // RFC 6455 section 1.3
}

TEST_CASE("Sec-WebSocket-Key must decode to exactly 16 bytes") {
  CHECK(websocket_key_valid("dGhlIHNhbXBsZSBub25jZQ=="));
  CHECK(websocket_key_valid("AAAAAAAAAAAAAAAAAAAAAA=="));
  CHECK_FALSE(websocket_key_valid(""));
  CHECK_FALSE(websocket_key_valid("dGhlIHNhbXBsZSBub25jZQ"));     // no padding
  CHECK_FALSE(websocket_key_valid("dGhlIHNhbXBsZSBub25jZQ="));    // 23 chars
  CHECK_FALSE(websocket_key_valid("dGhlIHNhbXBsZSBub25jZQ==="));  // 25 chars
  CHECK_FALSE(websocket_key_valid("dGhlIHNhbXBsZSBub25jZQAA"));   // 18 bytes
  CHECK_FALSE(websocket_key_valid("dGhlIHNhbXBsZSBub25j ZQ="));   // space inside
  CHECK_FALSE(websocket_key_valid("dGhlIHNhbXBsZSBub25j*Q=="));   // not base64
  CHECK_FALSE(websocket_key_valid("c2hvcnQ="));                    // 5 bytes
}
