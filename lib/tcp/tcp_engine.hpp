// TcpStack::Impl: the engine's state and the functions shared by its
// translation units (tcp_input.cpp, tcp_output.cpp, tcp_timers.cpp,
// tcp_time_wait.cpp, tcp_stack.cpp). Private to lib/tcp.
//
// Memory (DESIGN.md budget): a live connection is a 64-byte TcpConn in a
// slab plus 16 bytes of IndexTable; it borrows a TcpFlight (~120 B, own slab)
// and 2 KiB chunks only while bytes are unacknowledged, held for the app, or
// out of order, and gives them back as soon as it is quiet. TIME_WAIT is a
// 32-byte entry in its own slab and table. Timers are the TimerNode inside
// the record: one per connection, at the earliest deadline.
//
// What a released flight forgets: cwnd/ssthresh (a new flight restarts at
// the initial window: RFC 5681 4.1 restart after idle, applied to any quiet
// period), the exact srtt/rttvar (a coarse srtt stays in the record), WL1.
//
// Deliberate simplifications: no SACK (SACK-permitted is never offered), no
// Nagle (WebSocket frames want latency; the tail goes as soon as the window
// allows), zero-window and keepalive probes carry no data (SEG.SEQ = SND.UNA
// - 1, answered by an ACK as RFC 9293 3.10.7.4 requires of any peer), a FIN
// beyond a hole is not kept (the peer retransmits it), SYN payload is not
// queued, ISN clock per RFC 6528 but the TS clock has no per-connection offset.
#pragma once
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "core/chunk_pool.hpp"
#include "core/index_table.hpp"
#include "core/slab.hpp"
#include "core/timer_wheel.hpp"
#include "tcp/tcp_conn.hpp"
#include "tcp/tcp_stack.hpp"

namespace wsgate::tcp {

using core::kNil;

struct TimerNodeOf {
  core::Slab<TcpConn>* conns;
  core::TimerNode& operator()(uint32_t id) const { return (*conns)[id].timer; }
};

struct TcpStack::Impl {
  static constexpr uint32_t kOooHeader = 8;  // seq u32, len u16, pad
  static constexpr uint32_t kMaxListeners = 16;
  static constexpr uint16_t kDefaultMss = 536;  // RFC 9293 3.7.1 when the SYN has none

  TcpConfig cfg;
  TcpOutput* out = nullptr;
  uint64_t now_us = 0;
  uint64_t now_ms = 0;

  core::Slab<TcpConn> conns;
  core::Slab<TcpFlight> flights;
  core::Slab<TimeWaitEntry> tws;
  core::IndexTable conn_index;
  core::IndexTable tw_index;
  core::TimerWheel<TimerNodeOf> wheel;
  core::ChunkPool chunks;
  std::vector<uint64_t> live;  // one bit per TcpConn index: allocated
  uint64_t hash_key[2] = {0, 0};
  uint64_t cookie_key[2] = {0, 0};        // SYN cookie MAC (syn_cookie.hpp)
  uint64_t cookies_valid_until_us = 0;    // an ACK may carry a cookie we sent until then

  struct Listener {
    uint16_t port;
    TcpApp* app;
  };
  std::array<Listener, kMaxListeners> listeners{};
  uint32_t listener_count = 0;

  // TIME_WAIT FIFO (every entry has the same lifetime, so oldest = first).
  uint32_t tw_head = kTwEnd;
  uint32_t tw_tail = kTwEnd;
  uint32_t tw_live = 0;

  TcpStats stats;
  std::array<uint32_t, kStateCount> state_counts{};

  uint32_t reserved_chunks = 0;   // promised to an in-progress on_data (see deliver())
  // Sends never take the last recv_reserve chunks, so a connection whose echo
  // must wait can still have its input held (or the peer's retransmission
  // brings it back) instead of being reset.
  uint32_t recv_reserve = 0;
  // Connections whose send was short because the shared pool (not their own
  // cap) was exhausted: FIFO ring, woken from poll_timers as chunks free up.
  std::vector<ConnId> pool_waiters;
  uint32_t pool_wait_head = 0, pool_wait_count = 0;
  ConnId busy = kNoConn;          // an input/timer event is being processed for it: it
                                  // re-arms and releases at the end, not the app calls
  ConnId delivering = kNoConn;    // on_data in progress for this connection
  bool resume_requested = false;  // resume_read() called during that on_data
  bool output_corked = false;     // send()/shutdown_write() during that on_data: output() when it returns

  // The last ACK emitted (to know whether a reply from on_data carried it).
  const TcpConn* last_ack_rec = nullptr;
  uint32_t last_ack_val = 0;

  uint64_t challenge_window_ms = 0;
  uint32_t challenge_count = 0;

  bool closing_all = false;
  uint64_t close_all_deadline_us = 0;

  // --- tcp_stack.cpp: records, lookup, lifecycle
  bool init(const TcpConfig& c, TcpOutput* o, uint64_t now, const char** error);
  void set_time(uint64_t now);
  bool alive(ConnId id) const { return id < conns.capacity() && ((live[id / 64] >> (id % 64)) & 1) != 0; }
  uint64_t tuple_hash(uint32_t remote_ip, uint32_t local_ip, uint16_t remote_port, uint16_t local_port) const;
  uint64_t tuple_hash(const FourTuple& t) const { return tuple_hash(t.remote_ip, t.local_ip, t.remote_port, t.local_port); }
  ConnId find_conn(const FourTuple& t, uint64_t hash) const;
  int find_listener(uint16_t port) const;
  TcpApp* app_of(const TcpConn& c) const { return listeners[c.listener].app; }
  void set_state(TcpConn& c, State s);
  TcpFlight* flight_of(const TcpConn& c) { return c.flight == kNil ? nullptr : &flights[c.flight]; }
  TcpFlight* ensure_flight(ConnId id);
  void maybe_release_flight(ConnId id);
  // Frees the record; on_closed(reason) if the app knew the connection.
  void close_conn(ConnId id, CloseReason reason);
  uint32_t isn_for(const FourTuple& t) const;
  uint32_t ts_now() const { return static_cast<uint32_t>(now_us / 1000); }
  uint64_t ms_after(uint64_t delay_us) const { return (now_us + delay_us + 999) / 1000; }

  // --- tcp_input.cpp: RFC 9293 3.10.7 "SEGMENT ARRIVES"
  void input(const Segment& seg);
  void conn_input(ConnId id, const Segment& seg);
  void listen_input(const Segment& seg, int listener);
  ConnId new_conn(const Segment& seg, int listener, uint32_t iss);
  void send_cookie_synack(const Segment& seg);
  bool cookie_ack_input(const Segment& seg, int listener);
  void segment_arrives(ConnId id, const Segment& seg, bool* writable);
  // Returns false when the connection was closed while processing the ACK.
  bool process_ack(ConnId id, const TcpRepr& h, size_t payload_len, bool* writable);
  void process_data(ConnId id, uint32_t seq, std::span<const uint8_t> data, bool* ack_now, bool* fin_ok);
  size_t deliver(ConnId id, std::span<const uint8_t> data);
  size_t app_on_data(ConnId id, std::span<const uint8_t> bytes, bool* resume);
  void ooo_insert(ConnId id, uint32_t seq, std::span<const uint8_t> data);
  void ooo_merge(ConnId id);
  void ooo_clear(TcpFlight& f);
  void offer_held(ConnId id);
  void rtt_sample(TcpConn& c, TcpFlight& f, uint32_t r_us);

  // --- tcp_output.cpp: what goes out
  uint32_t eff_mss(const TcpConn& c) const { return c.mss - (c.has(conn_flag::kTsOk) ? 12u : 0u); }
  uint32_t rcv_wnd(const TcpConn& c);
  uint16_t window_field(TcpConn& c);
  bool window_update_due(TcpConn& c);
  void emit(TcpConn& c, uint8_t flags, uint32_t seq, std::span<const std::span<const uint8_t>> payload);
  void send_ack(ConnId id);
  bool challenge_allowed();  // counts it: sent or limited
  void send_challenge_ack(ConnId id);
  void send_synack(ConnId id);
  void send_rst_reply(const Segment& seg);
  void send_rst(TcpConn& c);
  void send_probe(ConnId id);
  void output(ConnId id);
  void output_or_cork(ConnId id);
  void transmit_data(ConnId id, uint32_t seq, uint32_t len, bool fin);
  void retransmit_first(ConnId id);
  size_t send(ConnId id, std::span<const uint8_t> bytes);
  size_t send_space(const TcpConn& c) const;
  size_t pool_send_room() const;
  void wait_for_pool(ConnId id);
  void wake_pool_waiters();
  void want_writable(ConnId id);
  void shutdown_write(ConnId id);
  void abort(ConnId id, CloseReason reason);
  void resume_read(ConnId id);
  uint32_t initial_cwnd(const TcpConn& c) const;

  // --- tcp_timers.cpp
  void poll_timers(uint64_t now);
  void rearm(ConnId id);
  void on_timer(ConnId id);
  void on_rto(ConnId id);
  void close_all(uint64_t now);

  // --- tcp_time_wait.cpp
  void enter_time_wait(ConnId id);
  // True when the segment was handled; false when it reopened the tuple
  // (the entry is gone and the caller treats the segment as a new SYN).
  bool time_wait_input(uint32_t tw, const Segment& seg);
  void tw_kill(uint32_t tw);
  uint32_t tw_find(const FourTuple& t, uint64_t hash) const;
  uint32_t tw_push(const TimeWaitEntry& e);
  void tw_expire();
};

}  // namespace wsgate::tcp
