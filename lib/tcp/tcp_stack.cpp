// TcpStack's public API and the engine's record lifecycle: init, lookup,
// flight allocation and release, closing.
#include <algorithm>
#include <cstring>

#include "core/siphash.hpp"
#include "tcp/tcp_engine.hpp"
#include "tcp/tcp_wire.hpp"

namespace wsgate::tcp {

const char* state_name(State s) {
  switch (s) {
    case State::Closed: return "CLOSED";
    case State::Listen: return "LISTEN";
    case State::SynReceived: return "SYN-RECEIVED";
    case State::Established: return "ESTABLISHED";
    case State::FinWait1: return "FIN-WAIT-1";
    case State::FinWait2: return "FIN-WAIT-2";
    case State::CloseWait: return "CLOSE-WAIT";
    case State::Closing: return "CLOSING";
    case State::LastAck: return "LAST-ACK";
    case State::TimeWait: return "TIME-WAIT";
  }
  return "?";
}

bool TcpStack::Impl::init(const TcpConfig& c, TcpOutput* o, uint64_t now, const char** error) {
  auto fail = [error](const char* why) {
    if (error) *error = why;
    return false;
  };
  cfg = c;
  out = o;
  if (out == nullptr) return fail("tcp: no output");
  if (cfg.max_connections == 0 || cfg.max_connections >= core::TimerWheel<TimerNodeOf>::kFirstReservedId)
    return fail("tcp: max_connections out of range");
  if (cfg.max_time_wait == 0 || cfg.max_time_wait >= kTwEnd) return fail("tcp: max_time_wait out of range");
  if (cfg.mss < 64) return fail("tcp: mss too small");
  cfg.window_scale = std::min<uint8_t>(cfg.window_scale, 14);
  // A shift so large that the buffer is a handful of units would advertise
  // zero (the window is rounded down to whole units).
  while (cfg.window_scale > 0 && (cfg.recv_buffer_bytes >> cfg.window_scale) < 64) --cfg.window_scale;
  if (cfg.max_flights == 0) cfg.max_flights = std::min(cfg.max_connections, std::max<uint32_t>(cfg.buffer_count, 1));
  if (!conns.init(cfg.max_connections) || !conn_index.init(cfg.max_connections))
    return fail("tcp: cannot allocate the connection table");
  if (!flights.init(cfg.max_flights)) return fail("tcp: cannot allocate flight records");
  if (!tws.init(cfg.max_time_wait) || !tw_index.init(cfg.max_time_wait))
    return fail("tcp: cannot allocate the TIME_WAIT table");
  if (cfg.buffer_count == 0 || !chunks.init(cfg.buffer_count, 2048)) return fail("tcp: cannot allocate buffers");
  live.assign((cfg.max_connections + 63) / 64, 0);
  // Every connection that can wait on the pool holds a flight, plus slack.
  pool_waiters.assign(cfg.max_flights + 64, kNil);
  recv_reserve = std::max<uint32_t>(2, cfg.buffer_count / 16);
  // The table key is derived from the ISN secret so one secret configures both.
  const char k0[] = "wsgate-table-0";
  const char k1[] = "wsgate-table-1";
  hash_key[0] = core::siphash24(cfg.isn_secret, k0, sizeof k0);
  hash_key[1] = core::siphash24(cfg.isn_secret, k1, sizeof k1);
  const char c0[] = "wsgate-cookie-0";
  const char c1[] = "wsgate-cookie-1";
  cookie_key[0] = core::siphash24(cfg.isn_secret, c0, sizeof c0);
  cookie_key[1] = core::siphash24(cfg.isn_secret, c1, sizeof c1);
  set_time(now);
  wheel.init(now_ms, TimerNodeOf{&conns});
  state_counts.fill(0);
  return true;
}

void TcpStack::Impl::set_time(uint64_t now) {
  if (now > now_us) now_us = now;  // the clock never runs backwards for us
  now_ms = now_us / 1000;
}

uint64_t TcpStack::Impl::tuple_hash(uint32_t remote_ip, uint32_t local_ip, uint16_t remote_port,
                                    uint16_t local_port) const {
  uint8_t b[12];
  std::memcpy(b, &remote_ip, 4);
  std::memcpy(b + 4, &local_ip, 4);
  std::memcpy(b + 8, &remote_port, 2);
  std::memcpy(b + 10, &local_port, 2);
  return core::siphash24(hash_key, b, sizeof b);
}

ConnId TcpStack::Impl::find_conn(const FourTuple& t, uint64_t hash) const {
  return conn_index.find(hash, [&](uint32_t i) {
    const TcpConn& c = conns[i];
    return c.tuple == t;
  });
}

int TcpStack::Impl::find_listener(uint16_t port) const {
  for (uint32_t i = 0; i < listener_count; ++i)
    if (listeners[i].port == port) return static_cast<int>(i);
  return -1;
}

void TcpStack::Impl::set_state(TcpConn& c, State s) {
  if (c.state != State::Closed) --state_counts[static_cast<int>(c.state)];
  c.state = s;
  if (s != State::Closed) ++state_counts[static_cast<int>(s)];
}

uint32_t TcpStack::Impl::isn_for(const FourTuple& t) const {
  // RFC 6528: ISN = M + F(4-tuple, secret), M a 4 us clock.
  uint8_t b[12];
  std::memcpy(b, &t.remote_ip, 4);
  std::memcpy(b + 4, &t.local_ip, 4);
  std::memcpy(b + 8, &t.remote_port, 2);
  std::memcpy(b + 10, &t.local_port, 2);
  return static_cast<uint32_t>(now_us / 4) + static_cast<uint32_t>(core::siphash24(cfg.isn_secret, b, sizeof b));
}

uint32_t TcpStack::Impl::initial_cwnd(const TcpConn& c) const {
  const uint32_t mss = eff_mss(c);
  // RFC 6928 (experimental, Linux's default) when configured:
  // IW = min(N*MSS, max(2*MSS, 14600)) with N = 10 in that RFC.
  if (cfg.initial_window_segments != 0)
    return std::min(cfg.initial_window_segments * mss, std::max(2 * mss, 14600u));
  // RFC 5681 3.1, the standard: 2 to 4 segments by SMSS.
  if (mss > 2190) return 2 * mss;
  if (mss > 1095) return 3 * mss;
  return 4 * mss;
}

TcpFlight* TcpStack::Impl::ensure_flight(ConnId id) {
  TcpConn& c = conns[id];
  if (c.flight != kNil) return &flights[c.flight];
  const uint32_t fi = flights.alloc();
  if (fi == kNil) {
    ++stats.flights_exhausted;
    return nullptr;
  }
  const uint32_t quiet_wnd = rcv_wnd(c);  // before c.flight is set
  c.flight = fi;
  TcpFlight& f = flights[fi];
  f.snd_max = c.snd_nxt;
  f.snd_wl1 = c.rcv_nxt;
  // What survives a release: the coarse srtt. Without it, restart from the
  // initial RTO (RFC 6298 2.1).
  if (c.srtt_8ms != 0) {
    f.srtt_us = uint32_t{c.srtt_8ms} * 8000;
    f.rttvar_us = f.srtt_us / 2;
    f.rto_us = std::clamp(f.srtt_us + 4 * f.rttvar_us, cfg.rto_min_us, cfg.rto_max_us);
  } else if (c.has(conn_flag::kSynAckRetried)) {
    f.rto_us = std::max(cfg.rto_initial_us, 3'000'000u);  // RFC 6298 5.7
  } else {
    f.rto_us = cfg.rto_initial_us;
  }
  // Karn: a backed-off RTO stays backed off until a valid RTT sample.
  f.rto_shift = c.rto_shift;
  f.rto_us = static_cast<uint32_t>(std::min<uint64_t>(uint64_t{f.rto_us} << std::min<uint8_t>(c.rto_shift, 16), cfg.rto_max_us));
  // A new flight is a restart after idle (RFC 5681 4.1): cwnd starts at IW.
  f.cwnd = initial_cwnd(c);
  f.ssthresh = 0x3fffffff;
  f.recover = c.snd_una - 1;  // RFC 6582: "recover" starts below anything we send
  // The window we last advertised while quiet was the full buffer.
  f.rcv_adv = c.rcv_nxt + quiet_wnd;
  if (c.has(conn_flag::kAckPending)) f.delack_at_ms = ms_after(cfg.delayed_ack_us);
  return &f;
}

void TcpStack::Impl::maybe_release_flight(ConnId id) {
  if (!alive(id)) return;
  TcpConn& c = conns[id];
  if (c.flight == kNil) return;
  TcpFlight& f = flights[c.flight];
  if (!f.sendq.empty() || !f.held.empty() || f.ooo_count != 0 || c.snd_una != f.snd_max ||
      c.snd_una != c.snd_nxt || f.persist)
    return;
  if (f.srtt_us != 0) c.srtt_8ms = static_cast<uint8_t>(std::min<uint32_t>(255, (f.srtt_us + 7999) / 8000));
  c.rto_shift = f.rto_shift;
  flights.free(c.flight);
  c.flight = kNil;
  rearm(id);
}

void TcpStack::Impl::close_conn(ConnId id, CloseReason reason) {
  TcpConn& c = conns[id];
  const bool notify = c.has(conn_flag::kAppKnows);
  TcpApp* app = app_of(c);
  conn_index.erase(tuple_hash(c.tuple), id);
  wheel.cancel(id);
  if (c.flight != kNil) {
    TcpFlight& f = flights[c.flight];
    f.sendq.clear(chunks);
    f.held.clear(chunks);
    ooo_clear(f);
    flights.free(c.flight);
    c.flight = kNil;
  }
  set_state(c, State::Closed);
  // Not alive from here: API calls made from on_closed are no-ops. The record
  // is freed only after on_closed, because the app still reads its
  // app_word/app_index there to release what it borrowed.
  live[id / 64] &= ~(uint64_t{1} << (id % 64));
  if (notify) app->on_closed(id, closing_all && reason == CloseReason::Normal ? CloseReason::Shutdown : reason);
  conns.free(id);
}

// ---------------------------------------------------------------- public API

TcpStack::TcpStack() : impl_(new Impl) {}
TcpStack::~TcpStack() { delete impl_; }

bool TcpStack::init(const TcpConfig& cfg, TcpOutput* out, uint64_t now_us, const char** error) {
  return impl_->init(cfg, out, now_us, error);
}

bool TcpStack::listen(uint16_t port, TcpApp* app) {
  Impl& m = *impl_;
  if (app == nullptr || m.find_listener(port) >= 0 || m.listener_count == Impl::kMaxListeners) return false;
  m.listeners[m.listener_count++] = {port, app};
  return true;
}

void TcpStack::input(const Segment& seg, uint64_t now_us) {
  impl_->set_time(now_us);
  impl_->input(seg);
}

void TcpStack::input_bytes(const FourTuple& tuple, std::span<const uint8_t> tcp_segment, uint64_t now_us) {
  WireError why = WireError::None;
  const auto pkt = TcpPacket::check(tcp_segment, &why);
  if (!pkt) {
    ++impl_->stats.drop_malformed;
    return;
  }
  Segment seg;
  seg.tuple = tuple;
  if (parse(*pkt, &seg.hdr) != WireError::None) {
    ++impl_->stats.drop_bad_options;
    return;
  }
  seg.payload = pkt->payload();
  input(seg, now_us);
}

void TcpStack::count_bad_options() { ++impl_->stats.drop_bad_options; }

void TcpStack::poll_timers(uint64_t now_us) { impl_->poll_timers(now_us); }

size_t TcpStack::send(ConnId id, std::span<const uint8_t> bytes) {
  return impl_->alive(id) ? impl_->send(id, bytes) : 0;
}

size_t TcpStack::send_space(ConnId id) const {
  return impl_->alive(id) ? impl_->send_space(impl_->conns[id]) : 0;
}

void TcpStack::shutdown_write(ConnId id) {
  if (impl_->alive(id)) impl_->shutdown_write(id);
}

void TcpStack::abort(ConnId id) {
  if (impl_->alive(id)) impl_->abort(id, CloseReason::Aborted);
}

void TcpStack::resume_read(ConnId id) {
  if (impl_->alive(id)) impl_->resume_read(id);
}

void TcpStack::want_writable(ConnId id) {
  if (impl_->alive(id)) impl_->want_writable(id);
}

const FourTuple& TcpStack::tuple(ConnId id) const {
  static const FourTuple none{};
  return impl_->alive(id) ? impl_->conns[id].tuple : none;
}

State TcpStack::state(ConnId id) const { return impl_->alive(id) ? impl_->conns[id].state : State::Closed; }

uint32_t& TcpStack::app_word(ConnId id) {
  static thread_local uint32_t dummy;
  return id < impl_->conns.capacity() ? impl_->conns[id].app_word : dummy;
}

uint32_t& TcpStack::app_index(ConnId id) {
  static thread_local uint32_t dummy;
  return id < impl_->conns.capacity() ? impl_->conns[id].app_index : dummy;
}

void TcpStack::close_all(uint64_t now_us) { impl_->close_all(now_us); }

const TcpStats& TcpStack::stats() const { return impl_->stats; }

uint32_t TcpStack::connections(State s) const {
  if (s == State::TimeWait) return impl_->tw_live;
  if (s == State::Listen) return impl_->listener_count;
  if (s == State::Closed) return 0;
  return impl_->state_counts[static_cast<int>(s)];
}

uint32_t TcpStack::connections_total() const { return impl_->conns.in_use() + impl_->tw_live; }

uint32_t TcpStack::buffers_in_use() const { return impl_->chunks.in_use(); }
uint32_t TcpStack::buffers_total() const { return impl_->chunks.capacity(); }
uint32_t TcpStack::flights_in_use() const { return impl_->flights.in_use(); }

}  // namespace wsgate::tcp
