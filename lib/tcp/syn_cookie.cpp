#include "tcp/syn_cookie.hpp"

#include <cstring>

#include "core/siphash.hpp"

namespace wsgate::tcp::syn_cookie {

namespace {

constexpr uint32_t kMacBits = 24;
constexpr uint32_t kMacMask = (1u << kMacBits) - 1;

uint32_t mac(const uint64_t key[2], const FourTuple& t, uint32_t peer_isn, uint64_t period, uint32_t mss_index) {
  uint8_t b[28];
  std::memcpy(b, &t.remote_ip, 4);
  std::memcpy(b + 4, &t.local_ip, 4);
  std::memcpy(b + 8, &t.remote_port, 2);
  std::memcpy(b + 10, &t.local_port, 2);
  std::memcpy(b + 12, &peer_isn, 4);
  std::memcpy(b + 16, &period, 8);
  std::memcpy(b + 24, &mss_index, 4);
  return static_cast<uint32_t>(core::siphash24(key, b, sizeof b)) & kMacMask;
}

}  // namespace

uint32_t encode(const uint64_t key[2], const FourTuple& t, uint32_t peer_isn, uint16_t peer_mss, uint64_t now_us) {
  const uint16_t mss = peer_mss != 0 ? peer_mss : kMssTable[0];
  uint32_t index = 0;
  for (uint32_t i = 0; i < kMssTable.size(); ++i)
    if (kMssTable[i] <= mss) index = i;
  const uint64_t period = now_us / kPeriodUs;
  return (static_cast<uint32_t>(period & 31) << 27) | (index << kMacBits) | mac(key, t, peer_isn, period, index);
}

bool decode(const uint64_t key[2], const FourTuple& t, uint32_t peer_isn, uint32_t cookie, uint64_t now_us,
            uint16_t* mss) {
  const uint64_t now_period = now_us / kPeriodUs;
  const uint32_t age = (static_cast<uint32_t>(now_period & 31) - (cookie >> 27)) & 31;
  if (age > 1 || age > now_period) return false;
  const uint64_t period = now_period - age;
  const uint32_t index = (cookie >> kMacBits) & 7;
  if ((cookie & kMacMask) != mac(key, t, peer_isn, period, index)) return false;
  *mss = kMssTable[index];
  return true;
}

uint32_t ts_encode(uint32_t now_ts, int peer_wscale) {
  const uint32_t bits = peer_wscale < 0 ? kNoWindowScale : static_cast<uint32_t>(peer_wscale > 14 ? 14 : peer_wscale);
  uint32_t v = (now_ts & ~uint32_t{0xf}) | bits;
  if (v > now_ts) v -= 16;  // wraps harmlessly at the very start of the clock
  return v;
}

int ts_decode_wscale(uint32_t ts_ecr) {
  const uint32_t bits = ts_ecr & 0xf;
  return bits == kNoWindowScale ? -1 : static_cast<int>(bits);
}

}  // namespace wsgate::tcp::syn_cookie
