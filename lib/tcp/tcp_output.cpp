// What the engine sends: windows, ACKs, RSTs, data from the send queue, FIN,
// and the application calls that cause sending. Nothing here calls the app,
// so the record is never changed under a caller's feet.
#include <algorithm>
#include <array>

#include "tcp/seq.hpp"
#include "tcp/tcp_engine.hpp"

namespace wsgate::tcp {

using namespace conn_flag;

// The receive window currently offered to the peer (RCV.WND).
uint32_t TcpStack::Impl::rcv_wnd(const TcpConn& c) {
  if (c.state == State::SynReceived) return std::min<uint32_t>(cfg.recv_buffer_bytes, 0xffff);
  if (c.flight != kNil) {
    const TcpFlight& f = flights[c.flight];
    return seq::gt(f.rcv_adv, c.rcv_nxt) ? f.rcv_adv - c.rcv_nxt : 0;
  }
  const uint8_t shift = c.rcv_shift();
  const uint32_t max = uint32_t{0xffff} << shift;
  return (std::min(cfg.recv_buffer_bytes, max) >> shift) << shift;
}

// The window field for the next segment. Receiver SWS avoidance (RFC 9293
// 3.8.6.2.2): the right edge moves only by at least min(buffer/2, MSS), and
// never moves left (rounding up to the scale unit when keeping it).
uint16_t TcpStack::Impl::window_field(TcpConn& c) {
  if (c.state == State::SynReceived) return static_cast<uint16_t>(rcv_wnd(c));  // never scaled (RFC 7323 2.2)
  const uint8_t shift = c.rcv_shift();
  const uint32_t max = uint32_t{0xffff} << shift;
  if (c.flight == kNil) return static_cast<uint16_t>(rcv_wnd(c) >> shift);
  TcpFlight& f = flights[c.flight];
  const uint32_t used = f.held.bytes + f.ooo_bytes;
  const uint32_t avail = std::min(cfg.recv_buffer_bytes > used ? cfg.recv_buffer_bytes - used : 0, max);
  const uint32_t cur = rcv_wnd(c);
  uint32_t wnd = cur;
  if (avail >= cur + std::min(cfg.recv_buffer_bytes / 2, uint32_t{c.mss})) wnd = (avail >> shift) << shift;
  const uint32_t raw = std::min<uint32_t>((wnd + (1u << shift) - 1) >> shift, 0xffff);
  const uint32_t edge = c.rcv_nxt + (raw << shift);
  if (seq::gt(edge, f.rcv_adv)) f.rcv_adv = edge;
  return static_cast<uint16_t>(raw);
}

// After the app consumed held bytes: is the window opening worth an ACK?
bool TcpStack::Impl::window_update_due(TcpConn& c) {
  if (c.flight == kNil) return false;
  const TcpFlight& f = flights[c.flight];
  const uint32_t used = f.held.bytes + f.ooo_bytes;
  const uint32_t avail = cfg.recv_buffer_bytes > used ? cfg.recv_buffer_bytes - used : 0;
  return avail >= rcv_wnd(c) + std::min(cfg.recv_buffer_bytes / 2, uint32_t{c.mss});
}

void TcpStack::Impl::emit(TcpConn& c, uint8_t flags, uint32_t seq_no,
                          std::span<const std::span<const uint8_t>> payload) {
  TcpRepr h;
  h.src_port = c.tuple.local_port;
  h.dst_port = c.tuple.remote_port;
  h.seq = seq_no;
  h.flags = flags;
  if (flags & flag::ACK) {
    h.ack = c.rcv_nxt;
    c.flags &= static_cast<uint16_t>(~kAckPending);
    if (c.flight != kNil) flights[c.flight].delack_at_ms = 0;
    last_ack_rec = &c;
    last_ack_val = c.rcv_nxt;
  }
  if (!(flags & flag::RST)) h.window = window_field(c);
  if (c.has(kTsOk) && !(flags & flag::RST)) {
    h.has_timestamp = true;
    h.ts_val = ts_now();
    h.ts_ecr = c.ts_recent;
  }
  if (flags & flag::SYN) {
    h.mss = cfg.mss;
    if (c.has(kWsOk)) h.wscale = static_cast<int8_t>(c.rcv_shift());
  }
  ++stats.segments_out;
  out->transmit(c.tuple, h, payload);
}

void TcpStack::Impl::send_ack(ConnId id) {
  TcpConn& c = conns[id];
  emit(c, flag::ACK, c.snd_nxt, {});
}

// RFC 5961 section 7: challenge ACKs share a per-second budget.
bool TcpStack::Impl::challenge_allowed() {
  if (now_ms - challenge_window_ms >= 1000) {
    challenge_window_ms = now_ms;
    challenge_count = 0;
  }
  if (challenge_count >= cfg.challenge_ack_per_s) {
    ++stats.challenge_acks_limited;
    return false;
  }
  ++challenge_count;
  ++stats.challenge_acks;
  return true;
}

void TcpStack::Impl::send_challenge_ack(ConnId id) {
  if (challenge_allowed()) send_ack(id);
}

void TcpStack::Impl::send_synack(ConnId id) {
  TcpConn& c = conns[id];
  emit(c, flag::SYN | flag::ACK, c.snd_una, {});
}

// RFC 9293 3.10.7.1: the reply to a segment no connection wants. Never to an RST.
void TcpStack::Impl::send_rst_reply(const Segment& seg) {
  const TcpRepr& in = seg.hdr;
  if (in.has(flag::RST)) return;
  TcpRepr h;
  h.src_port = seg.tuple.local_port;
  h.dst_port = seg.tuple.remote_port;
  if (in.has(flag::ACK)) {
    h.seq = in.ack;
    h.flags = flag::RST;
  } else {
    h.seq = 0;
    h.ack = in.seq + static_cast<uint32_t>(seg.payload.size()) + (in.has(flag::SYN) ? 1 : 0) +
            (in.has(flag::FIN) ? 1 : 0);
    h.flags = flag::RST | flag::ACK;
  }
  ++stats.rst_out;
  ++stats.segments_out;
  out->transmit(seg.tuple, h, {});
}

void TcpStack::Impl::send_rst(TcpConn& c) {
  ++stats.rst_out;
  emit(c, flag::RST | flag::ACK, c.snd_nxt, {});
}

// Keepalive and zero-window probes without data: SEG.SEQ = SND.UNA - 1 is
// outside the peer's window, so it answers with an ACK carrying its window.
void TcpStack::Impl::send_probe(ConnId id) {
  TcpConn& c = conns[id];
  emit(c, flag::ACK, c.snd_una - 1, {});
}

void TcpStack::Impl::transmit_data(ConnId id, uint32_t seq_no, uint32_t len, bool fin) {
  TcpConn& c = conns[id];
  TcpFlight& f = flights[c.flight];
  std::array<std::span<const uint8_t>, 8> pieces;
  const size_t n = f.sendq.gather(chunks, seq_no - c.snd_una, len, pieces);
  uint8_t flags = flag::ACK;
  if (fin) flags |= flag::FIN;
  if (seq_no + len == c.snd_una + f.sendq.bytes) flags |= flag::PSH;
  if (seq::lt(seq_no, f.snd_max)) ++stats.retransmits;
  emit(c, flags, seq_no, std::span(pieces.data(), n));
}

// Sends what the windows allow: full segments, and the tail as soon as the
// window has room for it (no Nagle: WebSocket messages want latency). Then
// the FIN once every queued byte is out. Arms persist on a zero window.
void TcpStack::Impl::output(ConnId id) {
  TcpConn& c = conns[id];
  switch (c.state) {
    case State::Established: case State::CloseWait: case State::FinWait1:
    case State::Closing: case State::LastAck: break;
    default: return;
  }
  TcpFlight* f = flight_of(c);
  const uint32_t data_end = c.snd_una + (f ? f->sendq.bytes : 0);
  if (f) {
    const uint32_t mss = eff_mss(c);
    while (seq::lt(c.snd_nxt, data_end)) {
      const uint32_t nxt = c.snd_nxt;
      const uint32_t unsent = data_end - nxt;
      const uint32_t in_flight = nxt - c.snd_una;
      const uint32_t wnd = std::min(c.snd_wnd(), f->cwnd);
      if (in_flight >= wnd) break;
      const uint32_t len = std::min({unsent, wnd - in_flight, mss});
      const bool fin = len == unsent && c.has(kFinQueued);
      const bool new_data = !seq::lt(nxt, f->snd_max);
      transmit_data(id, nxt, len, fin);
      c.snd_nxt = nxt + len + (fin ? 1 : 0);
      if (fin) c.flags |= kFinSent;
      if (new_data && !f->rtt_timing) {
        f->rtt_timing = true;
        f->rtt_seq = nxt + len;
        f->rtt_start_us = now_us;
      }
      if (seq::gt(c.snd_nxt, f->snd_max)) f->snd_max = c.snd_nxt;
      if (f->rto_at_ms == 0 || f->persist) {
        f->persist = false;
        f->rto_at_ms = ms_after(f->rto_us);
      }
    }
  }
  if (c.has(kFinQueued) && !c.has(kFinSent) && c.snd_nxt == data_end) {
    f = ensure_flight(id);
    if (f == nullptr) return;  // no flight record: the timer retries
    const bool first = !seq::lt(c.snd_nxt, f->snd_max);
    emit(c, flag::FIN | flag::ACK, c.snd_nxt, {});
    if (!first) ++stats.retransmits;
    c.snd_nxt += 1;
    c.flags |= kFinSent;
    if (seq::gt(c.snd_nxt, f->snd_max)) f->snd_max = c.snd_nxt;
    if (f->rto_at_ms == 0 || f->persist) {
      f->persist = false;
      f->rto_at_ms = ms_after(f->rto_us);
    }
  }
  if (c.has(kFinSent)) {
    if (c.state == State::Established) set_state(c, State::FinWait1);
    else if (c.state == State::CloseWait) set_state(c, State::LastAck);
  }
  // Zero window with data waiting and nothing in flight to carry an ACK back:
  // only a persist probe can learn of the window opening (RFC 9293 3.8.6.1).
  if (f && seq::lt(c.snd_nxt, data_end) && c.snd_wnd() == 0 && c.snd_una == f->snd_max && !f->persist) {
    f->persist = true;
    f->backoff = 0;
    f->retries = 0;
    f->rto_at_ms = ms_after(f->rto_us);
  }
}

// Fast retransmit / NewReno partial ACK: resend the first unacked segment.
void TcpStack::Impl::retransmit_first(ConnId id) {
  TcpConn& c = conns[id];
  TcpFlight& f = flights[c.flight];
  const uint32_t len = std::min(f.sendq.bytes, eff_mss(c));
  f.rtt_timing = false;  // Karn
  if (len > 0) {
    const bool fin = len == f.sendq.bytes && c.has(kFinSent);
    transmit_data(id, c.snd_una, len, fin);
  } else if (c.has(kFinSent)) {
    ++stats.retransmits;
    emit(c, flag::FIN | flag::ACK, c.snd_una, {});
  }
}

// Inside the app's on_data for this connection, output waits until it
// returns (app_on_data); anywhere else it goes now.
void TcpStack::Impl::output_or_cork(ConnId id) {
  if (delivering == id) output_corked = true;
  else output(id);
}

size_t TcpStack::Impl::send_space(const TcpConn& c) const {
  if (c.state != State::Established && c.state != State::CloseWait) return 0;
  if (c.has(kFinQueued)) return 0;
  const uint32_t queued = c.flight == kNil ? 0 : flights[c.flight].sendq.bytes;
  const size_t own = cfg.send_buffer_bytes > queued ? cfg.send_buffer_bytes - queued : 0;
  return std::min(own, pool_send_room());
}

// Bytes the shared pool can still take for sending: whole free chunks beyond
// the receive reserve and the chunks promised to an on_data in progress.
size_t TcpStack::Impl::pool_send_room() const {
  const uint32_t free = free_chunks(chunks);
  const uint32_t keep = reserved_chunks + recv_reserve;
  return free > keep ? size_t{free - keep} * chunks.chunk_size() : 0;
}

// The pool, not the connection's own cap, held a send back: on_writable
// once chunks come back (wake_pool_waiters), since no ACK of this connection
// may ever come to do it.
void TcpStack::Impl::wait_for_pool(ConnId id) {
  TcpConn& c = conns[id];
  if (c.has(kPoolWait)) return;
  if (pool_wait_count == pool_waiters.size()) {
    ++stats.pool_wait_overflow;
    return;
  }
  pool_waiters[(pool_wait_head + pool_wait_count) % pool_waiters.size()] = id;
  ++pool_wait_count;
  c.flags |= kPoolWait;
  ++stats.pool_waits;
}

// From poll_timers: oldest waiter first, while the pool has room for it. A
// waiter that closed meanwhile (or whose record was reused: the flag is gone)
// is skipped.
void TcpStack::Impl::wake_pool_waiters() {
  for (uint32_t woken = 0; pool_wait_count > 0 && woken < 256 && pool_send_room() > 0; ++woken) {
    const ConnId id = pool_waiters[pool_wait_head];
    pool_wait_head = (pool_wait_head + 1) % static_cast<uint32_t>(pool_waiters.size());
    --pool_wait_count;
    if (!alive(id) || !conns[id].has(kPoolWait)) continue;
    TcpConn& c = conns[id];
    c.flags &= static_cast<uint16_t>(~kPoolWait);
    if (!c.has(kWantWritable)) continue;
    c.flags &= static_cast<uint16_t>(~kWantWritable);
    app_of(c)->on_writable(id);
  }
}

void TcpStack::Impl::want_writable(ConnId id) {
  TcpConn& c = conns[id];
  if (c.state != State::Established && c.state != State::CloseWait) return;
  c.flags |= kWantWritable;
  const uint32_t queued = c.flight == kNil ? 0 : flights[c.flight].sendq.bytes;
  // Its own queue is full: the ACK that drains it wakes it (process_ack).
  if (queued < cfg.send_buffer_bytes) wait_for_pool(id);
}

size_t TcpStack::Impl::send(ConnId id, std::span<const uint8_t> bytes) {
  TcpConn& c = conns[id];
  const size_t space = send_space(c);
  if (bytes.empty()) return 0;
  size_t n = 0;
  if (space > 0) {
    TcpFlight* f = ensure_flight(id);
    if (f) n = f->sendq.append(chunks, bytes.first(std::min(space, bytes.size())), reserved_chunks);
  }
  if (n < bytes.size()) want_writable(id);  // a short send arms on_writable
  if (n > 0) output_or_cork(id);
  if (busy != id) {
    rearm(id);
    maybe_release_flight(id);
  }
  return n;
}

void TcpStack::Impl::shutdown_write(ConnId id) {
  TcpConn& c = conns[id];
  if (c.state == State::SynReceived) {  // never told the app; nothing to flush
    close_conn(id, CloseReason::Normal);
    return;
  }
  if (c.state != State::Established && c.state != State::CloseWait) return;
  if (c.has(kFinQueued)) return;
  c.flags |= kFinQueued;
  output_or_cork(id);
  if (busy != id) rearm(id);
}

void TcpStack::Impl::abort(ConnId id, CloseReason reason) {
  TcpConn& c = conns[id];
  if (c.state != State::SynReceived) send_rst(c);
  close_conn(id, reason);
}

void TcpStack::Impl::resume_read(ConnId id) {
  if (delivering == id) {  // called from inside on_data: the delivery loop re-offers
    resume_requested = true;
    return;
  }
  offer_held(id);
  if (!alive(id)) return;
  if (window_update_due(conns[id])) send_ack(id);
  if (busy != id) {
    rearm(id);
    maybe_release_flight(id);
  }
}

}  // namespace wsgate::tcp
