#pragma once
#include <cstdint>

namespace wsgate::tcp {

// Every drop has a counter. X-macro so /metrics and the stats line list them
// without repeating names. Add fields here; nothing else needs editing.
#define WSGATE_TCP_STATS(X)                                                      \
  X(segments_in, "segments received")                                          \
  X(segments_out, "segments sent")                                             \
  X(retransmits, "segments retransmitted")                                     \
  X(conns_accepted, "connections established (passive open)")                 \
  X(conns_refused_full, "connection refused with RST: table full")            \
  X(drop_no_listener, "segment for no connection and no listener (RST sent)")  \
  X(drop_bad_options, "segment with malformed options")                        \
  X(drop_malformed, "segment shorter than its header / bad data offset")      \
  X(drop_out_of_window, "segment outside the receive window")                  \
  X(drop_ooo_full, "out-of-order segment dropped: per-connection limit")       \
  X(drop_no_buffer, "data dropped: buffer pool empty")                         \
  X(drop_bad_ack, "unacceptable ACK")                                           \
  X(drop_paws, "segment failed PAWS (RFC 7323)")                               \
  X(drop_no_timestamp, "segment without TSopt after TS was negotiated")       \
  X(challenge_acks, "challenge ACKs sent (RFC 5961)")                          \
  X(challenge_acks_limited, "challenge ACKs suppressed by the rate limit")     \
  X(rst_in, "valid RSTs received")                                              \
  X(rst_out, "RSTs sent")                                                       \
  X(timeouts, "connections given up after retransmissions")                   \
  X(fast_retransmits, "fast retransmits (RFC 5681)")                           \
  X(ooo_segments, "out-of-order segments held")                                \
  X(drop_no_conn, "segment for no connection on a listening port")            \
  X(drop_no_ack, "segment without ACK in a synchronized state")               \
  X(drop_after_fin, "data after the peer's FIN ignored")                      \
  X(drop_time_wait, "segment dropped in TIME_WAIT")                           \
  X(drop_bad_rst, "RST outside the window, or with a bad ACK")                \
  X(flights_exhausted, "flight record pool empty: send or hold refused")      \
  X(time_wait_recycled, "TIME_WAIT entries reused early: table full")         \
  X(time_wait_reopened, "TIME_WAIT reopened by a newer SYN (RFC 6191)")       \
  X(keepalive_probes, "keepalive probes sent")                                 \
  X(persist_probes, "zero-window probes sent")                                 \
  X(synack_retransmits, "SYN-ACKs retransmitted")                             \
  X(syn_cookies_sent, "SYN-ACKs with a cookie: half-open backlog full")       \
  X(syn_cookies_accepted, "connections made from a valid cookie ACK")          \
  X(syn_cookies_rejected, "ACKs whose cookie failed (RST sent)")              \
  X(pool_waits, "sends held back by an empty buffer pool (resumed later)")      \
  X(pool_wait_overflow, "pool waits not queued (queue full; peer retransmits)")

struct TcpStats {
#define WSGATE_X(name, help) uint64_t name = 0;
  WSGATE_TCP_STATS(WSGATE_X)
#undef WSGATE_X

  template <typename F>
  void for_each(F&& f) const {
#define WSGATE_X(name, help) f(#name, help, name);
    WSGATE_TCP_STATS(WSGATE_X)
#undef WSGATE_X
  }
};

}  // namespace wsgate::tcp
