// SipHash-2-4 (Aumasson & Bernstein, 2012): a keyed PRF fast on short inputs.
// The stack keys it with per-boot random secrets for RFC 6528 initial sequence
// numbers, SYN cookies and connection-table hashing, so a remote peer cannot
// predict ISNs or aim collisions at one table bucket.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wsgate::core {

// key[0] holds key bytes 0..7 and key[1] bytes 8..15, both read little-endian
// (as the paper's k0, k1).
uint64_t siphash24(const uint64_t key[2], const void* data, size_t len);

}  // namespace wsgate::core
