#include "ws/accept_key.hpp"

// wolfSSL's headers must see the build's configuration first.
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/coding.h>
#include <wolfssl/wolfcrypt/sha.h>

#include <cstdint>
#include <cstring>

namespace wsgate::ws {

namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

}  // namespace

bool websocket_key_valid(std::string_view key) {
  // 16 bytes encode to 22 characters and "==". Checking the alphabet here
  // keeps wolfCrypt's lenient decoder (which skips whitespace) out of the
  // decision about what is valid.
  if (key.size() != 24 || key[22] != '=' || key[23] != '=') return false;
  for (size_t i = 0; i < 22; ++i) {
    if (!is_base64_char(key[i])) return false;
  }
  uint8_t decoded[18];
  word32 decoded_len = sizeof decoded;
  if (Base64_Decode(reinterpret_cast<const byte*>(key.data()), static_cast<word32>(key.size()), decoded,
                    &decoded_len) != 0) {
    return false;
  }
  return decoded_len == 16;
}

bool compute_accept_key(std::string_view key, char out[kAcceptKeyChars]) {
  wc_Sha sha;
  uint8_t digest[WC_SHA_DIGEST_SIZE];
  if (wc_InitSha(&sha) != 0) return false;
  bool ok = wc_ShaUpdate(&sha, reinterpret_cast<const byte*>(key.data()), static_cast<word32>(key.size())) == 0 &&
            wc_ShaUpdate(&sha, reinterpret_cast<const byte*>(kGuid.data()), static_cast<word32>(kGuid.size())) == 0 &&
            wc_ShaFinal(&sha, digest) == 0;
  wc_ShaFree(&sha);
  if (!ok) return false;
  byte encoded[kAcceptKeyChars + 4];
  word32 encoded_len = sizeof encoded;
  if (Base64_Encode_NoNl(digest, sizeof digest, encoded, &encoded_len) != 0 || encoded_len < kAcceptKeyChars) {
    return false;
  }
  std::memcpy(out, encoded, kAcceptKeyChars);
  return true;
}

}  // namespace wsgate::ws
