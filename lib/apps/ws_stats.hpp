// Counters of HttpWsApp. X-macro (as tcp/tcp_stats.hpp) so /metrics and the
// stats line list them without repeating names.
#pragma once
#include <cstddef>
#include <cstdint>

namespace wsgate::apps {

#define WSGATE_WS_STATS(X)                                                          \
  X(handshakes_ok, "WebSocket upgrades accepted (101)")                             \
  X(healthz_served, "GET /healthz answered 200")                                    \
  X(metrics_served, "GET /metrics answered 200")                                    \
  X(http_400, "requests answered 400 (malformed, not an upgrade, bad key)")         \
  X(http_403, "upgrades refused 403 (Origin not allowed)")                          \
  X(http_404, "requests answered 404 (unknown path)")                               \
  X(http_405, "requests answered 405 (method not GET)")                             \
  X(http_408, "handshakes timed out (408)")                                         \
  X(http_426, "upgrades refused 426 (Sec-WebSocket-Version not 13)")                \
  X(http_431, "requests answered 431 (header bytes over the limit)")                \
  X(http_503, "requests answered 503 (handshake pools or send space exhausted)")    \
  X(http_505, "requests answered 505 (HTTP version)")                               \
  X(http_other, "requests answered with another error status")                      \
  X(frames_in, "WebSocket frames received")                                         \
  X(frames_out, "WebSocket frames sent")                                            \
  X(messages_in, "WebSocket messages received (and echoed)")                        \
  X(messages_direct, "messages echoed straight from the segment they arrived in")   \
  X(messages_assembled, "messages assembled in pool buffers across segments")       \
  X(pings_in, "pings received (answered with pong)")                                \
  X(pongs_in, "pongs received (ignored)")                                           \
  X(closes_in, "valid Close frames received (echoed)")                              \
  X(close_sent_1001, "closes sent with 1001 going away (idle ping unanswered)")      \
  X(close_sent_1002, "closes sent with 1002 protocol error")                        \
  X(close_sent_1007, "closes sent with 1007 invalid payload")                       \
  X(close_sent_1009, "closes sent with 1009 message too big")                       \
  X(close_sent_1013, "closes sent with 1013 try again later (pool empty)")          \
  X(close_sent_other, "closes sent with another code")                              \
  X(pool_empty_handshake, "handshake slot or header buffer pool empty")             \
  X(pool_empty_frame, "frame state pool empty")                                     \
  X(pool_empty_message, "message buffer pool empty (close 1013)")                   \
  X(idle_pings_sent, "pings sent to idle connections")                              \
  X(idle_timeouts, "idle connections closed: nothing came back after our ping")     \
  X(send_blocked, "decoding paused for send space")                                 \
  X(aborts_no_send_space, "connections reset: a Close or response did not fit")     \
  X(peer_fin_without_close, "TCP FIN from the peer without a WebSocket Close")

struct WsStats {
#define WSGATE_X(name, help) uint64_t name = 0;
  WSGATE_WS_STATS(WSGATE_X)
#undef WSGATE_X

  template <typename F>
  void for_each(F&& f) const {
#define WSGATE_X(name, help) f(#name, help, name);
    WSGATE_WS_STATS(WSGATE_X)
#undef WSGATE_X
  }
};

}  // namespace wsgate::apps
