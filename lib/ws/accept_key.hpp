// Sec-WebSocket-Key / Sec-WebSocket-Accept (RFC 6455 section 4.2.2): the
// accept value is base64(SHA-1(key + GUID)), computed with wolfCrypt.
#pragma once
#include <cstddef>
#include <string_view>

namespace wsgate::ws {

inline constexpr size_t kAcceptKeyChars = 28;  // base64 of a 20-byte SHA-1

// The key must be base64 that decodes to exactly 16 bytes (24 characters).
bool websocket_key_valid(std::string_view key);

// Writes the 28-character accept value; false only if wolfCrypt fails.
bool compute_accept_key(std::string_view key, char out[kAcceptKeyChars]);

}  // namespace wsgate::ws
