// SYN cookies (RFC 4987 section 3.6): when the half-open backlog is full, the
// SYN-ACK's initial sequence number carries what the connection needs and no
// record is kept until the peer's ACK brings it back (SEG.ACK - 1).
//
// The ISN, 32 bits:
//   [31..27] period mod 32   a period is 64 s of the stack's clock
//   [26..24] MSS index       the largest kMssTable entry <= the peer's MSS
//   [23..0]  MAC             SipHash(key; 4-tuple, peer ISN, full period, MSS index)
// A cookie is accepted during the period it was made in and the next one
// (64 to 128 s), which covers a SYN-ACK retransmitted by the peer's RTO. The
// MAC covers the full period counter, so an old cookie whose 5 bits come
// round again still fails.
//
// Window scale survives only through timestamps (RFC 7323): the low 4 bits
// of the SYN-ACK's TSval hold the peer's shift (15 = the peer offered none),
// and the peer echoes that TSval in the TSecr of its ACK. Without timestamps
// the SYN-ACK offers no window scaling, so neither side uses it. SACK is
// never offered by this stack, so nothing else needs remembering.
#pragma once
#include <array>
#include <cstdint>

#include "tcp/tcp_stack.hpp"

namespace wsgate::tcp::syn_cookie {

inline constexpr std::array<uint16_t, 8> kMssTable = {536, 1200, 1300, 1380, 1400, 1440, 1460, 8960};
inline constexpr uint64_t kPeriodUs = 64'000'000;
inline constexpr uint32_t kNoWindowScale = 0xf;

// The cookie for a SYN from `t` with sequence number `peer_isn` and MSS
// option `peer_mss` (0 = none: 536), made at `now_us`.
uint32_t encode(const uint64_t key[2], const FourTuple& t, uint32_t peer_isn, uint16_t peer_mss, uint64_t now_us);

// Checks `cookie` (the ACK's SEG.ACK - 1) for an ACK from `t` whose SEG.SEQ
// - 1 is `peer_isn`. On success stores the MSS it encodes and returns true;
// a wrong MAC, a tampered field or an expired period return false.
bool decode(const uint64_t key[2], const FourTuple& t, uint32_t peer_isn, uint32_t cookie, uint64_t now_us,
            uint16_t* mss);

// The TSval for the cookie SYN-ACK: `now_ts` with its low 4 bits replaced by
// the peer's shift (or kNoWindowScale), never later than now_ts so our clock
// as the peer sees it never runs backwards.
uint32_t ts_encode(uint32_t now_ts, int peer_wscale);

// The peer's window shift from the TSecr of its ACK: -1 when it offered none.
int ts_decode_wscale(uint32_t ts_ecr);

}  // namespace wsgate::tcp::syn_cookie
