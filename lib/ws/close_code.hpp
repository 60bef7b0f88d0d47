// WebSocket close status codes (RFC 6455 section 7.4) and which of them may
// appear in a Close frame on the wire.
#pragma once
#include <cstdint>

namespace wsgate::ws {

enum CloseCode : uint16_t {
  kCloseNormal = 1000,
  kCloseGoingAway = 1001,
  kCloseProtocolError = 1002,
  kCloseUnsupportedData = 1003,
  kCloseInvalidPayload = 1007,  // e.g. text that is not UTF-8
  kClosePolicyViolation = 1008,
  kCloseMessageTooBig = 1009,
  kCloseInternalError = 1011,
  kCloseTryAgainLater = 1013,   // we are out of buffers
};

// 1004/1005/1006/1015 are reserved or "must not be sent"; 1016..2999 are for
// future standards; 3000..4999 belong to libraries and applications.
constexpr bool close_code_valid_on_wire(uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;
  switch (code) {
    case 1000: case 1001: case 1002: case 1003: case 1007: case 1008:
    case 1009: case 1010: case 1011: case 1012: case 1013: case 1014:
      return true;
    default:
      return false;
  }
}

}  // namespace wsgate::ws
