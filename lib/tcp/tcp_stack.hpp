// The per-lcore TCP engine (RFC 9293 server side). One instance per lcore,
// shared with nothing. It never reads a clock: time comes in as now_us, so a
// capture replay with a seed is deterministic. It never touches packets:
// checksum-verified segments come in as Segment, and segments go out through
// TcpOutput as a TcpRepr plus payload pieces that the caller copies into a frame.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

#include "tcp/tcp_repr.hpp"
#include "tcp/tcp_config.hpp"
#include "tcp/tcp_stats.hpp"

namespace wsgate::tcp {

// Addresses and ports in host byte order.
struct FourTuple {
  uint32_t remote_ip = 0;
  uint32_t local_ip = 0;
  uint16_t remote_port = 0;
  uint16_t local_port = 0;
  friend bool operator==(const FourTuple&, const FourTuple&) = default;
};

// An incoming segment whose IP and TCP checksums are already verified.
struct Segment {
  FourTuple tuple;
  TcpRepr hdr;
  std::span<const uint8_t> payload;
};

using ConnId = uint32_t;
inline constexpr ConnId kNoConn = UINT32_MAX;

enum class CloseReason : uint8_t {
  Normal,          // both FINs exchanged (we may still hold TIME_WAIT)
  ResetByPeer,     // valid RST received
  Aborted,         // the application called abort()
  Timeout,         // retransmission / keepalive / persist give-up
  Shutdown,        // close_all() at appliance shutdown
};

enum class State : uint8_t {
  Closed, Listen, SynReceived, Established, FinWait1, FinWait2,
  CloseWait, Closing, LastAck, TimeWait,
};
inline constexpr int kStateCount = 10;
const char* state_name(State);

// The application on one listening port. Calls come from inside input(),
// poll_timers() and the app API; an app may call the TcpStack API (send,
// shutdown_write, abort, resume_read) from inside any callback.
class TcpApp {
 public:
  virtual ~TcpApp() = default;
  virtual void on_established(ConnId) = 0;
  // In-order bytes. Returns how many it consumed; the rest is held by the
  // stack (shrinking the advertised window) until resume_read().
  virtual size_t on_data(ConnId, std::span<const uint8_t> bytes) = 0;
  // The peer sent FIN and every byte before it was consumed.
  virtual void on_peer_closed(ConnId) = 0;
  // Send space grew: an ACK freed queue space, or the shared buffer pool
  // recovered (only after a send() returned short, or want_writable()).
  virtual void on_writable(ConnId) {}
  // The connection is gone for the application; ConnId is invalid afterwards.
  virtual void on_closed(ConnId, CloseReason) = 0;
};

// Where segments go. payload pieces are valid only during the call.
class TcpOutput {
 public:
  virtual ~TcpOutput() = default;
  virtual void transmit(const FourTuple& tuple, const TcpRepr& hdr,
                        std::span<const std::span<const uint8_t>> payload) = 0;
};

class TcpStack {
 public:
  TcpStack();
  ~TcpStack();
  TcpStack(const TcpStack&) = delete;
  TcpStack& operator=(const TcpStack&) = delete;

  // Allocates every table and pool (init time only). False + message on failure.
  bool init(const TcpConfig& cfg, TcpOutput* out, uint64_t now_us, const char** error);
  bool listen(uint16_t port, TcpApp* app);

  // Per packet / per loop pass.
  void input(const Segment& seg, uint64_t now_us);
  // The same from the raw TCP header + payload (checksum already verified):
  // checks and parses it, counting drop_bad_options / drop_malformed.
  void input_bytes(const FourTuple& tuple, std::span<const uint8_t> tcp_segment, uint64_t now_us);
  // For a glue that parses itself: count a segment dropped for bad options.
  void count_bad_options();
  void poll_timers(uint64_t now_us);

  // Application API.
  size_t send(ConnId, std::span<const uint8_t> bytes);  // bytes accepted (copied)
  // What send() will take now: the connection's cap less its queue, and never
  // more than the shared pool can give without its receive reserve.
  size_t send_space(ConnId) const;
  void shutdown_write(ConnId);  // FIN once queued data is sent
  void abort(ConnId);           // RST now; on_closed(Aborted) follows
  void resume_read(ConnId);     // re-offer held bytes through on_data
  void want_writable(ConnId);   // on_writable once send_space() grows
  const FourTuple& tuple(ConnId) const;
  State state(ConnId) const;
  uint32_t& app_word(ConnId);   // opaque per-connection state for the app
  uint32_t& app_index(ConnId);  // app-owned index (e.g. a partial-frame buffer), UINT32_MAX when none

  // Shutdown: FIN every open connection (apps get on_closed(Shutdown) when done
  // or when the deadline passes in poll_timers).
  void close_all(uint64_t now_us);

  const TcpStats& stats() const;
  uint32_t connections(State) const;
  uint32_t connections_total() const;  // every state but Closed/Listen
  uint32_t buffers_in_use() const;
  uint32_t buffers_total() const;
  uint32_t flights_in_use() const;  // connections with bytes in flight, held or out of order

  struct Impl;
 private:
  Impl* impl_;
};

}  // namespace wsgate::tcp
