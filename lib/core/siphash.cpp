#include "core/siphash.hpp"

#include <bit>
#include <cstring>

namespace wsgate::core {

namespace {

uint64_t load_le64(const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, sizeof v);
    if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
    return v;
}

struct SipState {
    uint64_t v0, v1, v2, v3;

    void round() {
        v0 += v1;
        v1 = std::rotl(v1, 13);
        v1 ^= v0;
        v0 = std::rotl(v0, 32);
        v2 += v3;
        v3 = std::rotl(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = std::rotl(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = std::rotl(v1, 17);
        v1 ^= v2;
        v2 = std::rotl(v2, 32);
    }

    void compress(uint64_t m) {  // c = 2 rounds per message word
        v3 ^= m;
        round();
        round();
        v0 ^= m;
    }
};

}  // namespace

uint64_t siphash24(const uint64_t key[2], const void* data, size_t len) {
    // Initialisation constants: "somepseudorandomlygeneratedbytes".
    SipState s{key[0] ^ 0x736f6d6570736575ULL, key[1] ^ 0x646f72616e646f6dULL, key[0] ^ 0x6c7967656e657261ULL,
               key[1] ^ 0x7465646279746573ULL};
    const auto* in = static_cast<const uint8_t*>(data);
    const size_t whole = len / 8 * 8;
    for (size_t i = 0; i < whole; i += 8) s.compress(load_le64(in + i));

    // Last word: the remaining 0..7 bytes, little-endian, with len mod 256
    // in the top byte.
    uint64_t last = static_cast<uint64_t>(len & 0xff) << 56;
    for (size_t i = 0; i < len - whole; ++i) last |= static_cast<uint64_t>(in[whole + i]) << (8 * i);
    s.compress(last);

    s.v2 ^= 0xff;  // d = 4 finalisation rounds
    s.round();
    s.round();
    s.round();
    s.round();
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

}  // namespace wsgate::core
