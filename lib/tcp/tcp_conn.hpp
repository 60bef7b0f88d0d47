// The per-connection records of the TCP engine (private to lib/tcp).
//
// TcpConn is what an idle established connection costs: one 64-byte cache
// line. Everything needed only while bytes are in flight, held or out of
// order lives in a TcpFlight hanging off it by index and is released as soon
// as the connection is quiet again. TIME_WAIT keeps neither: it is a 32-byte
// TimeWaitEntry in its own slab.
#pragma once
#include <cstdint>

#include "core/index.hpp"
#include "core/timer_wheel.hpp"
#include "tcp/byte_chain.hpp"
#include "tcp/tcp_stack.hpp"

namespace wsgate::tcp {

namespace conn_flag {
inline constexpr uint16_t kTsOk = 1 << 0;          // RFC 7323 timestamps negotiated
inline constexpr uint16_t kWsOk = 1 << 1;          // RFC 7323 window scaling negotiated
inline constexpr uint16_t kFinQueued = 1 << 2;     // app called shutdown_write: FIN after the queued data
inline constexpr uint16_t kFinSent = 1 << 3;       // our FIN is at snd_nxt - 1 (cleared by an RTO rewind)
inline constexpr uint16_t kPeerFin = 1 << 4;       // the peer's FIN is in rcv_nxt
inline constexpr uint16_t kPeerFinTold = 1 << 5;   // on_peer_closed delivered
inline constexpr uint16_t kAckPending = 1 << 6;    // a delayed ACK is owed
inline constexpr uint16_t kWantWritable = 1 << 7;  // send() returned short: on_writable when space frees
inline constexpr uint16_t kKeepaliveProbing = 1 << 8;
inline constexpr uint16_t kAppKnows = 1 << 9;      // on_established fired: on_closed is owed
inline constexpr uint16_t kSynAckRetried = 1 << 10;  // RFC 6298 5.7: RTO starts at 3 s
inline constexpr uint16_t kPoolWait = 1 << 11;     // queued in pool_waiters: on_writable when buffers free up
}  // namespace conn_flag

// Layout chosen to fit 64 bytes (see the static_assert). What was squeezed:
// SND.WL1 lives in the flight; a quiet connection takes a window update from
// any segment that is not an old duplicate (SEG.SEQ >= RCV.NXT, which is >=
// any WL1 it could have, or it acks new data); SND.WL2 is implied by the ACK
// check (SEG.ACK >= SND.UNA); the peer window is
// kept as its raw 16-bit field plus the shift; MAX.SND.WND for RFC 5961 is
// taken as 65535 << shift; the keepalive / FIN_WAIT_2 deadlines are not
// stored (re-armed from "now" on activity, so they count from the last
// segment); srtt survives a flight release only coarsely (8 ms units),
// with the RTO backoff still owed under Karn's rule (rto_shift).
struct TcpConn {
  FourTuple tuple;  // first 4 bytes: the slab's free link when free
  uint32_t snd_una = 0;
  uint32_t snd_nxt = 0;
  uint32_t rcv_nxt = 0;
  uint32_t ts_recent = 0;
  core::TimerNode timer;
  uint32_t app_word = 0;
  uint32_t app_index = core::kNil;
  uint32_t flight = core::kNil;  // TcpFlight index, kNil when quiet
  uint16_t snd_wnd_raw = 0;      // peer's last window field (scaled by snd_shift)
  uint16_t mss = 536;            // send MSS without options: min(ours, peer's)
  uint16_t flags = 0;
  State state = State::Closed;
  uint8_t shifts = 0;            // low nibble: snd_shift (peer's), high: rcv_shift (ours)
  uint8_t retries = 0;           // SYN-ACK retransmits, or keepalive probes when quiet
  uint8_t srtt_8ms = 0;          // coarse srtt kept across flight releases, 0 = none
  uint8_t listener = 0;          // index in the listener table
  uint8_t rto_shift = 0;         // RTO doublings since the last valid RTT sample (Karn)

  bool has(uint16_t f) const { return (flags & f) != 0; }
  uint8_t snd_shift() const { return shifts & 0x0f; }
  uint8_t rcv_shift() const { return static_cast<uint8_t>(shifts >> 4); }
  uint32_t snd_wnd() const { return uint32_t{snd_wnd_raw} << snd_shift(); }
};
static_assert(sizeof(TcpConn) == 64, "an idle connection is one cache line");

// State that exists only while something is in flight, held or out of order,
// or while a delayed ACK is owed on a busy connection.
struct TcpFlight {
  ByteChain sendq;  // from snd_una: sent-unacked bytes, then unsent ones
  ByteChain held;   // received in order, not yet consumed by the app
  uint32_t ooo_head = core::kNil;  // sorted chunk list; each chunk: seq u32, len u16, pad, bytes
  uint32_t ooo_bytes = 0;
  uint32_t snd_max = 0;   // highest sequence sent (snd_nxt rewinds on RTO)
  uint32_t rcv_adv = 0;   // right edge of the window we advertised (never moves left)
  uint32_t snd_wl1 = 0;   // SEG.SEQ of the segment that last set the send window
  // RFC 6298
  uint32_t srtt_us = 0;   // 0 = no sample yet
  uint32_t rttvar_us = 0;
  uint32_t rto_us = 0;
  uint32_t rtt_seq = 0;   // Karn: the ACK that completes the timed segment
  uint64_t rtt_start_us = 0;
  // RFC 5681 / 6582
  uint32_t cwnd = 0;
  uint32_t ssthresh = 0;
  uint32_t recover = 0;
  uint64_t rto_at_ms = 0;     // retransmit or persist deadline, 0 = none
  uint64_t delack_at_ms = 0;  // delayed ACK deadline while kAckPending
  uint8_t ooo_count = 0;
  uint8_t dupacks = 0;
  uint8_t retries = 0;        // consecutive RTOs / unanswered persist probes
  uint8_t backoff = 0;        // persist backoff exponent
  uint8_t rto_shift = 0;      // RTO doublings since the last valid RTT sample
  bool rtt_timing = false;
  bool in_recovery = false;
  bool persist = false;       // rto_at_ms is the persist timer
};

// A connection in TIME_WAIT: enough to re-ACK a retransmitted FIN and to
// recognise (and answer) late segments of the old incarnation.
struct TimeWaitEntry {
  uint32_t remote_ip = 0;
  uint32_t local_ip = 0;
  uint16_t remote_port = 0;  // 0 = dead entry waiting in the FIFO (moved or killed)
  uint16_t local_port = 0;
  uint32_t snd_nxt = 0;
  uint32_t rcv_nxt = 0;
  uint32_t ts_recent = 0;
  uint32_t expires_ms = 0;   // low 32 bits of the expiry tick
  uint32_t next : 31 = 0x7fffffff;  // FIFO link, kTwEnd = none
  uint32_t ts_ok : 1 = 0;
};
static_assert(sizeof(TimeWaitEntry) == 32, "DESIGN.md budget for TIME_WAIT");
inline constexpr uint32_t kTwEnd = 0x7fffffff;

}  // namespace wsgate::tcp
