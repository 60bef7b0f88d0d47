// RFC 9293 section 3.10.7 "SEGMENT ARRIVES", in the RFC's order of checks,
// with RFC 5961 (blind in-window attacks) and RFC 7323 (PAWS) folded in.
//
// Re-entrancy: the app may call any TcpStack API from its callbacks,
// including abort(). Every callout is made with the record consistent, and
// every callout is followed by alive(id) and a re-fetch of the record.
#include <algorithm>
#include <cstring>

#include "core/byte_order.hpp"
#include "tcp/seq.hpp"
#include "tcp/syn_cookie.hpp"
#include "tcp/tcp_engine.hpp"
#include "tcp/tcp_wire.hpp"

namespace wsgate::tcp {

using namespace conn_flag;

namespace {

bool receives_data(State s) { return s == State::Established || s == State::FinWait1 || s == State::FinWait2; }

void set_ack_pending(TcpStack::Impl& m, TcpConn& c) {
  if (c.has(kAckPending)) return;
  c.flags |= kAckPending;
  if (c.flight != kNil) m.flights[c.flight].delack_at_ms = m.ms_after(m.cfg.delayed_ack_us);
}

}  // namespace

void TcpStack::Impl::input(const Segment& seg) {
  ++stats.segments_in;
  const uint64_t hash = tuple_hash(seg.tuple);
  const ConnId id = find_conn(seg.tuple, hash);
  if (id != kNil) {
    conn_input(id, seg);
    return;
  }
  const uint32_t tw = tw_find(seg.tuple, hash);
  if (tw != kTwEnd && time_wait_input(tw, seg)) return;
  const int listener = find_listener(seg.tuple.local_port);
  if (listener < 0) {  // CLOSED (RFC 9293 3.10.7.1)
    ++stats.drop_no_listener;
    send_rst_reply(seg);
    return;
  }
  listen_input(seg, listener);
}

// A segment for a connection that has a record.
void TcpStack::Impl::conn_input(ConnId id, const Segment& seg) {
  bool writable = false;
  const ConnId outer = busy;
  busy = id;
  segment_arrives(id, seg, &writable);
  busy = outer;
  if (!alive(id)) return;
  rearm(id);
  maybe_release_flight(id);
  if (writable && alive(id)) app_of(conns[id])->on_writable(id);
}

// RFC 9293 3.10.7.2, LISTEN.
void TcpStack::Impl::listen_input(const Segment& seg, int listener) {
  const TcpRepr& h = seg.hdr;
  if (h.has(flag::RST)) {
    ++stats.drop_bad_rst;
    return;
  }
  if (h.has(flag::ACK) && !h.has(flag::SYN) && cookie_ack_input(seg, listener)) return;
  if (h.has(flag::ACK) || !h.has(flag::SYN)) {
    ++stats.drop_no_conn;
    if (h.has(flag::ACK)) send_rst_reply(seg);
    return;
  }
  if (state_counts[static_cast<int>(State::SynReceived)] >= cfg.max_half_open) {
    send_cookie_synack(seg);
    return;
  }
  const ConnId id = new_conn(seg, listener, isn_for(seg.tuple));
  if (id == kNil) return;
  TcpConn& c = conns[id];
  c.rcv_nxt = h.seq + 1;  // SYN payload is not queued: the peer resends it
  c.mss = std::min(cfg.mss, h.mss != 0 ? h.mss : kDefaultMss);
  if (h.wscale >= 0) {
    c.flags |= kWsOk;
    c.shifts = static_cast<uint8_t>(std::min<int>(h.wscale, opt::kMaxWindowScale) | (cfg.window_scale << 4));
  }
  c.snd_wnd_raw = h.window;
  if (h.has_timestamp && cfg.timestamps) {
    c.flags |= kTsOk;
    c.ts_recent = h.ts_val;
  }
  set_state(c, State::SynReceived);
  send_synack(id);
  c.retries = 0;
  wheel.schedule(id, ms_after(cfg.rto_initial_us));
}

// A record for a connection from `seg`'s peer with our ISN `iss`, or kNil
// when the table is full: then the SYN (or cookie ACK) is refused with an
// RST, so the client learns at once instead of retrying for minutes, and the
// connections already open are not touched.
ConnId TcpStack::Impl::new_conn(const Segment& seg, int listener, uint32_t iss) {
  ConnId id = conns.alloc();
  if (id != kNil && !conn_index.insert(tuple_hash(seg.tuple), id)) {
    conns.free(id);
    id = kNil;
  }
  if (id == kNil) {
    ++stats.conns_refused_full;
    send_rst_reply(seg);
    return kNil;
  }
  live[id / 64] |= uint64_t{1} << (id % 64);
  TcpConn& c = conns[id];
  c.tuple = seg.tuple;
  c.listener = static_cast<uint8_t>(listener);
  c.snd_una = iss;
  c.snd_nxt = iss + 1;
  return id;
}

// The half-open backlog is full: answer with a cookie and keep nothing.
void TcpStack::Impl::send_cookie_synack(const Segment& seg) {
  const TcpRepr& in = seg.hdr;
  TcpRepr h;
  h.src_port = seg.tuple.local_port;
  h.dst_port = seg.tuple.remote_port;
  h.seq = syn_cookie::encode(cookie_key, seg.tuple, in.seq, in.mss, now_us);
  h.ack = in.seq + 1;
  h.flags = flag::SYN | flag::ACK;
  h.window = static_cast<uint16_t>(std::min<uint32_t>(cfg.recv_buffer_bytes, 0xffff));
  h.mss = cfg.mss;
  if (in.has_timestamp && cfg.timestamps) {  // window scaling only where TSecr can bring it back
    h.has_timestamp = true;
    h.ts_val = syn_cookie::ts_encode(ts_now(), in.wscale);
    h.ts_ecr = in.ts_val;
    if (in.wscale >= 0) h.wscale = static_cast<int8_t>(cfg.window_scale);
  }
  cookies_valid_until_us = now_us + 2 * syn_cookie::kPeriodUs;
  ++stats.syn_cookies_sent;
  ++stats.segments_out;
  out->transmit(seg.tuple, h, {});
}

// An ACK on a listening port with no record: the third segment of a cookie
// handshake? Only checked while cookies we sent can still be valid, so a
// stray ACK outside a flood gets its RST without a MAC computation. True when
// the segment was handled (connection made, or refused with an RST).
bool TcpStack::Impl::cookie_ack_input(const Segment& seg, int listener) {
  if (now_us >= cookies_valid_until_us) return false;
  const TcpRepr& h = seg.hdr;
  uint16_t mss = 0;
  if (!syn_cookie::decode(cookie_key, seg.tuple, h.seq - 1, h.ack - 1, now_us, &mss)) {
    ++stats.syn_cookies_rejected;
    return false;
  }
  const ConnId id = new_conn(seg, listener, h.ack - 1);
  if (id == kNil) return true;
  TcpConn& c = conns[id];
  c.rcv_nxt = h.seq;
  c.mss = std::min(cfg.mss, mss);
  if (h.has_timestamp && cfg.timestamps) {
    c.flags |= kTsOk;
    c.ts_recent = h.ts_val;
    const int peer_shift = syn_cookie::ts_decode_wscale(h.ts_ecr);
    if (peer_shift >= 0) {
      c.flags |= kWsOk;
      c.shifts = static_cast<uint8_t>(peer_shift | (cfg.window_scale << 4));
    }
  }
  // As if our SYN-ACK had been kept: the normal SYN-RECEIVED processing of
  // this ACK establishes the connection (and takes any data it carries).
  set_state(c, State::SynReceived);
  ++stats.syn_cookies_accepted;
  conn_input(id, seg);
  return true;
}

void TcpStack::Impl::segment_arrives(ConnId id, const Segment& seg, bool* writable) {
  TcpConn* c = &conns[id];
  const TcpRepr& h = seg.hdr;
  std::span<const uint8_t> payload = seg.payload;
  const uint32_t seg_len = static_cast<uint32_t>(payload.size()) + (h.has(flag::SYN) ? 1 : 0) + (h.has(flag::FIN) ? 1 : 0);

  // Our SYN-ACK was lost: the peer repeats its SYN. Answer it again.
  if (c->state == State::SynReceived && h.has(flag::SYN) && !h.has(flag::ACK) && !h.has(flag::RST) &&
      h.seq + 1 == c->rcv_nxt) {
    ++stats.synack_retransmits;
    ++stats.retransmits;
    send_synack(id);
    return;
  }

  // Anything from the peer proves it alive: keepalive starts over.
  if (c->flight == kNil && c->state != State::SynReceived) {
    c->retries = 0;
    c->flags &= static_cast<uint16_t>(~kKeepaliveProbing);
  }

  // RFC 7323 3.2: once negotiated, a non-RST segment without TSopt SHOULD be
  // dropped (and never aborts the connection).
  if (c->has(kTsOk) && !h.has_timestamp && !h.has(flag::RST)) {
    ++stats.drop_no_timestamp;
    return;
  }

  // PAWS (RFC 7323 5.3): an old timestamp marks an old duplicate.
  if (c->has(kTsOk) && h.has_timestamp && !h.has(flag::RST) && seq::lt(h.ts_val, c->ts_recent)) {
    ++stats.drop_paws;
    send_ack(id);
    return;
  }

  // 1. Sequence number: the four acceptability cases.
  const uint32_t wnd = rcv_wnd(*c);
  bool ok;
  if (seg_len == 0) ok = wnd == 0 ? h.seq == c->rcv_nxt : seq::in_window(h.seq, c->rcv_nxt, wnd);
  else ok = wnd != 0 && (seq::in_window(h.seq, c->rcv_nxt, wnd) || seq::in_window(h.seq + seg_len - 1, c->rcv_nxt, wnd));
  // A zero window still takes ACKs and RSTs (RFC 9293 3.10.7.4): the data is trimmed below.
  if (!ok && wnd == 0 && h.seq == c->rcv_nxt) ok = true;
  if (!ok) {
    ++stats.drop_out_of_window;
    if (!h.has(flag::RST)) send_ack(id);
    return;
  }

  // 2. RST (RFC 5961 3.2): only the exact next sequence resets.
  if (h.has(flag::RST)) {
    if (h.seq == c->rcv_nxt) {
      ++stats.rst_in;
      close_conn(id, CloseReason::ResetByPeer);
      return;
    }
    ++stats.drop_bad_rst;
    send_challenge_ack(id);
    return;
  }

  // 4. SYN in a synchronized state (RFC 5961 4.2): challenge, never reset.
  if (h.has(flag::SYN)) {
    send_challenge_ack(id);
    return;
  }

  // 5. ACK.
  if (!h.has(flag::ACK)) {
    ++stats.drop_no_ack;
    return;
  }
  // RFC 7323 4.3: remember the peer's clock from in-order segments.
  if (c->has(kTsOk) && h.has_timestamp && seq::le(h.seq, c->rcv_nxt) && seq::ge(h.ts_val, c->ts_recent))
    c->ts_recent = h.ts_val;

  if (c->state == State::SynReceived) {
    if (h.ack != c->snd_nxt) {
      ++stats.drop_bad_ack;
      send_rst_reply(seg);
      return;
    }
    wheel.cancel(id);
    c->snd_una = h.ack;
    c->snd_wnd_raw = h.window;
    c->retries = 0;
    c->app_word = 0;
    c->app_index = kNil;
    c->flags |= kAppKnows;
    set_state(*c, State::Established);
    ++stats.conns_accepted;
    app_of(*c)->on_established(id);
    if (!alive(id)) return;
    c = &conns[id];
  } else {
    if (!process_ack(id, h, payload.size(), writable)) return;
    if (!alive(id)) return;
    c = &conns[id];
  }

  // 7. Segment text.
  bool ack_now = false;
  bool fin_ok = h.has(flag::FIN);
  if (!payload.empty()) {
    if (receives_data(c->state)) {
      process_data(id, h.seq, payload, &ack_now, &fin_ok);
      if (!alive(id)) return;
      c = &conns[id];
    } else {
      ++stats.drop_after_fin;  // CLOSE_WAIT, CLOSING, LAST_ACK: the peer already sent FIN
      fin_ok = false;
    }
  }

  // 8. FIN, once every byte before it is in.
  if (fin_ok) {
    const uint32_t fin_seq = h.seq + static_cast<uint32_t>(payload.size());
    if (fin_seq == c->rcv_nxt && !c->has(kPeerFin) && receives_data(c->state)) {
      c->rcv_nxt += 1;
      c->flags |= kPeerFin;
      set_ack_pending(*this, *c);
      ack_now = true;
      if (c->state == State::FinWait2) {
        send_ack(id);
        enter_time_wait(id);
        return;
      }
      set_state(*c, c->state == State::Established ? State::CloseWait : State::Closing);
      const TcpFlight* f = flight_of(*c);
      if (f == nullptr || f->held.empty()) {  // CLOSE_WAIT, or CLOSING (simultaneous close)
        c->flags |= kPeerFinTold;
        app_of(*c)->on_peer_closed(id);  // may shutdown_write: its FIN carries the ACK
        if (!alive(id)) return;
        c = &conns[id];
      }
    } else if (!c->has(kPeerFin)) {
      set_ack_pending(*this, *c);  // FIN beyond a gap: tell the peer where we are
      ack_now = true;
    }
  }

  if (ack_now && c->has(kAckPending)) send_ack(id);
}

// RFC 9293 3.10.7.4 fifth check, for synchronized states. False: drop the
// rest of the segment (the connection may be gone).
bool TcpStack::Impl::process_ack(ConnId id, const TcpRepr& h, size_t payload_len, bool* writable) {
  TcpConn& c = conns[id];
  TcpFlight* f = flight_of(c);
  const uint32_t snd_max = f ? f->snd_max : c.snd_nxt;
  if (seq::gt(h.ack, snd_max)) {  // acks what we never sent
    ++stats.drop_bad_ack;
    send_challenge_ack(id);
    return false;
  }
  const uint32_t max_wnd = uint32_t{0xffff} << c.snd_shift();
  if (seq::lt(h.ack, c.snd_una - max_wnd)) {  // RFC 5961 5.2: too old to be real
    ++stats.drop_bad_ack;
    send_challenge_ack(id);
    return false;
  }
  // RFC 9293 SND.WL1 rule (see tcp_conn.hpp for the quiet case): a segment
  // older than the one that last set the window does not set it again.
  const uint32_t wl1 = f ? f->snd_wl1 : c.rcv_nxt;
  const bool window_update = seq::ge(h.seq, wl1) || seq::gt(h.ack, c.snd_una);
  if (f && f->persist) f->retries = 0;  // the peer answers probes: persist never gives up

  if (seq::gt(h.ack, c.snd_una)) {
    const uint32_t acked = h.ack - c.snd_una;
    const uint32_t data_acked = std::min(acked, f->sendq.bytes);
    f->sendq.drop_front(chunks, data_acked);
    const bool fin_acked = acked > data_acked;
    c.snd_una = h.ack;
    if (seq::lt(c.snd_nxt, c.snd_una)) c.snd_nxt = c.snd_una;
    // RTT: from the echoed timestamp (RFC 7323 4.1, valid even for
    // retransmissions), else from one timed segment (Karn).
    if (c.has(kTsOk) && h.has_timestamp && h.ts_ecr != 0) {
      const uint32_t ms = ts_now() - h.ts_ecr;
      if (ms < 600'000) rtt_sample(c, *f, std::max<uint32_t>(ms, 1) * 1000);
    } else if (f->rtt_timing && seq::ge(h.ack, f->rtt_seq)) {
      rtt_sample(c, *f, static_cast<uint32_t>(std::min<uint64_t>(now_us - f->rtt_start_us, 600'000'000)));
    }
    if (f->rtt_timing && seq::ge(h.ack, f->rtt_seq)) f->rtt_timing = false;
    f->retries = 0;

    const uint32_t mss = eff_mss(c);
    if (f->in_recovery) {
      if (seq::ge(h.ack, f->recover)) {  // full ACK: leave fast recovery (RFC 6582 3.2 step 3)
        f->in_recovery = false;
        f->cwnd = std::min(f->ssthresh, std::max(f->snd_max - c.snd_una, mss) + mss);
      } else {  // partial ACK: the next hole is lost too
        retransmit_first(id);
        f->cwnd = (f->cwnd > acked ? f->cwnd - acked : 0) + mss;
      }
    } else if (f->cwnd < f->ssthresh) {
      f->cwnd += std::min(acked, mss);  // slow start
    } else {
      f->cwnd += std::max(1u, mss * mss / f->cwnd);  // congestion avoidance
    }
    f->dupacks = 0;
    if (!f->persist) f->rto_at_ms = c.snd_una == f->snd_max ? 0 : ms_after(f->rto_us);
    if (c.has(kWantWritable) && send_space(c) > 0) {
      c.flags &= static_cast<uint16_t>(~kWantWritable);
      *writable = true;
    }
    if (fin_acked) {
      switch (c.state) {
        case State::FinWait1:
          set_state(c, State::FinWait2);
          break;
        case State::Closing:
          enter_time_wait(id);
          return false;
        case State::LastAck:
          close_conn(id, CloseReason::Normal);
          return false;
        default:
          break;
      }
    }
  } else if (h.ack == c.snd_una && f && !f->persist && c.snd_una != f->snd_max && payload_len == 0 &&
             !h.has(flag::FIN) && h.window == c.snd_wnd_raw) {
    // RFC 5681 duplicate ACK.
    const uint32_t mss = eff_mss(c);
    ++f->dupacks;
    if (f->dupacks == 3 && !f->in_recovery && seq::gt(h.ack, f->recover)) {
      f->ssthresh = std::max((f->snd_max - c.snd_una) / 2, 2 * mss);
      f->recover = f->snd_max;
      f->in_recovery = true;
      ++stats.fast_retransmits;
      retransmit_first(id);
      f->cwnd = f->ssthresh + 3 * mss;
      f->rto_at_ms = ms_after(f->rto_us);
    } else if (f->dupacks > 3 && f->in_recovery) {
      f->cwnd += mss;  // each dupack means a segment left the network
    }
  }
  if (window_update) {
    c.snd_wnd_raw = h.window;
    if (f) f->snd_wl1 = seq::max(f->snd_wl1, h.seq);
  }
  if (f && f->persist && c.snd_wnd() > 0) {
    f->persist = false;
    f->backoff = 0;
    f->rto_at_ms = c.snd_una == f->snd_max ? 0 : ms_after(f->rto_us);
  }
  output(id);
  return true;
}

// RFC 6298 2.2 / 2.3.
void TcpStack::Impl::rtt_sample(TcpConn&, TcpFlight& f, uint32_t r) {
  f.rto_shift = 0;
  if (f.srtt_us == 0) {
    f.srtt_us = r;
    f.rttvar_us = r / 2;
  } else {
    const uint32_t delta = f.srtt_us > r ? f.srtt_us - r : r - f.srtt_us;
    f.rttvar_us = f.rttvar_us - f.rttvar_us / 4 + delta / 4;
    f.srtt_us = f.srtt_us - f.srtt_us / 8 + r / 8;
  }
  const uint64_t rto = uint64_t{f.srtt_us} + std::max<uint64_t>(1000, uint64_t{4} * f.rttvar_us);
  f.rto_us = static_cast<uint32_t>(std::clamp<uint64_t>(rto, cfg.rto_min_us, cfg.rto_max_us));
}

// Segment text in ESTABLISHED / FIN_WAIT_1 / FIN_WAIT_2. *fin_ok is cleared
// when the FIN cannot be taken (bytes before it were dropped).
void TcpStack::Impl::process_data(ConnId id, uint32_t seq_no, std::span<const uint8_t> data, bool* ack_now,
                                  bool* fin_ok) {
  TcpConn* c = &conns[id];
  if (seq::lt(seq_no, c->rcv_nxt)) {  // starts with bytes we already have
    const uint32_t skip = c->rcv_nxt - seq_no;
    *ack_now = true;
    set_ack_pending(*this, *c);
    if (skip >= data.size()) return;
    data = data.subspan(skip);
    seq_no = c->rcv_nxt;
  }
  const uint32_t wnd = rcv_wnd(*c);
  const uint32_t offset = seq_no - c->rcv_nxt;
  const uint32_t room = offset < wnd ? wnd - offset : 0;
  if (data.size() > room) {  // beyond the right edge
    ++stats.drop_out_of_window;
    data = data.first(room);
    *fin_ok = false;
    *ack_now = true;
    set_ack_pending(*this, *c);
  }
  if (data.empty()) return;

  if (seq_no != c->rcv_nxt) {  // a gap before it: hold it aside, ACK at once (RFC 5681 4.2)
    ooo_insert(id, seq_no, data);
    *fin_ok = false;
    *ack_now = true;
    set_ack_pending(*this, conns[id]);
    return;
  }
  const TcpFlight* f = flight_of(*c);
  const bool fills_gap = f != nullptr && f->ooo_count != 0;
  const bool was_pending = c->has(kAckPending);
  const size_t taken = deliver(id, data);
  if (!alive(id)) return;
  c = &conns[id];
  if (taken < data.size()) {
    ++stats.drop_no_buffer;  // not acknowledged: the peer sends it again
    *fin_ok = false;
    *ack_now = true;
  }
  if (fills_gap) {
    ooo_merge(id);
    if (!alive(id)) return;
    c = &conns[id];
    *ack_now = true;
    *fin_ok = false;  // a FIN is only taken in order with its own segment
  }
  // Piggybacked already if the app answered from on_data with everything acked.
  if (last_ack_rec == c && last_ack_val == c->rcv_nxt && !*ack_now) return;
  if (was_pending) *ack_now = true;  // ACK at least every second segment (RFC 5681 4.2)
  set_ack_pending(*this, *c);
}

// One on_data call. What the app sends (or a FIN it queues) from inside is
// corked and goes out once it returns, so a reply written in pieces (a
// WebSocket header, then the payload, then a close's FIN) leaves as one
// segment that also carries the ACK, not a segment per piece. *resume: the app
// called resume_read() meanwhile. The caller checks alive().
size_t TcpStack::Impl::app_on_data(ConnId id, std::span<const uint8_t> bytes, bool* resume) {
  const ConnId outer = delivering;
  const bool outer_resume = resume_requested;
  const bool outer_corked = output_corked;
  delivering = id;
  resume_requested = false;
  output_corked = false;
  const size_t n = app_of(conns[id])->on_data(id, bytes);
  *resume = resume_requested;
  const bool flush = output_corked;
  delivering = outer;
  resume_requested = outer_resume;
  output_corked = outer_corked;
  if (flush && alive(id)) output(id);
  return n;
}

// Hands in-order bytes to the app; holds what it does not consume. Returns
// bytes accepted (rcv_nxt advanced by that many). The caller checks alive().
//
// If the bytes could be held in full whatever the app consumes, rcv_nxt is
// advanced before the callback, so a reply the app sends from on_data
// acknowledges them; the chunks are reserved for the duration so the app's
// own send() cannot take them.
size_t TcpStack::Impl::deliver(ConnId id, std::span<const uint8_t> data) {
  TcpConn* c = &conns[id];
  TcpFlight* f = flight_of(*c);
  if (f && !f->held.empty()) {  // earlier bytes wait for the app: keep the order
    const size_t n = f->held.append(chunks, data, reserved_chunks);
    c->rcv_nxt += static_cast<uint32_t>(n);
    return n;
  }
  const uint32_t need = static_cast<uint32_t>((data.size() + chunks.chunk_size() - 1) / chunks.chunk_size()) + 1;
  f = ensure_flight(id);
  const bool can_hold = f != nullptr && free_chunks(chunks) >= reserved_chunks + need;
  if (can_hold) {
    reserved_chunks += need;
    c->rcv_nxt += static_cast<uint32_t>(data.size());
  }
  bool resume = false;
  size_t consumed = app_on_data(id, data, &resume);
  if (can_hold) reserved_chunks -= need;
  if (!alive(id)) return 0;
  c = &conns[id];
  consumed = std::min(consumed, data.size());
  size_t held = 0;
  if (consumed < data.size()) {
    f = ensure_flight(id);
    if (f) held = f->held.append(chunks, data.subspan(consumed), reserved_chunks);
  }
  if (!can_hold) c->rcv_nxt += static_cast<uint32_t>(consumed + held);
  if (resume && held != 0) offer_held(id);
  return can_hold ? data.size() : consumed + held;
}

// Re-offers held bytes (resume_read), then tells the app about the peer's
// FIN once everything before it is consumed.
void TcpStack::Impl::offer_held(ConnId id) {
  for (;;) {
    if (!alive(id)) return;
    TcpConn* c = &conns[id];
    TcpFlight* f = flight_of(*c);
    if (f == nullptr || f->held.empty()) break;
    const std::span<const uint8_t> piece = f->held.front(chunks);
    bool resume = false;
    size_t n = app_on_data(id, piece, &resume);
    if (!alive(id)) return;
    f = flight_of(conns[id]);
    n = std::min(n, piece.size());
    f->held.drop_front(chunks, static_cast<uint32_t>(n));
    if (n == 0 || (n < piece.size() && !resume)) break;
  }
  TcpConn& c = conns[id];
  const TcpFlight* f = flight_of(c);
  if (c.has(kPeerFin) && !c.has(kPeerFinTold) && (f == nullptr || f->held.empty()) &&
      (c.state == State::CloseWait || c.state == State::LastAck || c.state == State::Closing)) {
    c.flags |= kPeerFinTold;
    app_of(c)->on_peer_closed(id);
  }
}

// ---------------------------------------------------------------- out of order
// Each held segment is one chunk: seq (u32), len (u16), 2 pad, then bytes
// (a segment longer than a chunk keeps its prefix; the rest is resent).

void TcpStack::Impl::ooo_insert(ConnId id, uint32_t seq_no, std::span<const uint8_t> data) {
  const bool fresh = conns[id].flight == kNil;
  TcpFlight* f = ensure_flight(id);
  if (f == nullptr) {
    ++stats.drop_no_buffer;
    return;
  }
  if (fresh) f->snd_wl1 = seq_no;  // this segment just set the window (process_ack)
  uint32_t prev = kNil;
  uint32_t cur = f->ooo_head;
  while (cur != kNil && seq::lt(core::load_be32(chunks.data(cur)), seq_no)) {
    prev = cur;
    cur = chunks.next(cur);
  }
  if (cur != kNil && core::load_be32(chunks.data(cur)) == seq_no && core::load_be16(chunks.data(cur) + 4) >= data.size())
    return;  // a copy of what we hold
  if (f->ooo_count >= cfg.ooo_max_segments) {
    ++stats.drop_ooo_full;
    return;
  }
  if (free_chunks(chunks) <= reserved_chunks) {
    ++stats.drop_no_buffer;
    return;
  }
  const uint32_t ch = chunks.alloc();
  if (ch == kNil) {
    ++stats.drop_no_buffer;
    return;
  }
  const uint32_t len = static_cast<uint32_t>(std::min<size_t>(data.size(), chunks.chunk_size() - kOooHeader));
  uint8_t* p = chunks.data(ch);
  core::store_be32(p, seq_no);
  core::store_be16(p + 4, static_cast<uint16_t>(len));
  std::memcpy(p + kOooHeader, data.data(), len);
  chunks.next(ch) = cur;
  if (prev == kNil) f->ooo_head = ch;
  else chunks.next(prev) = ch;
  ++f->ooo_count;
  f->ooo_bytes += len;
  ++stats.ooo_segments;
}

// The gap before the held segments may have closed: deliver them in order.
void TcpStack::Impl::ooo_merge(ConnId id) {
  for (;;) {
    if (!alive(id)) return;
    TcpFlight* f = flight_of(conns[id]);
    if (f == nullptr || f->ooo_head == kNil) return;
    const uint32_t ch = f->ooo_head;
    const uint32_t s = core::load_be32(chunks.data(ch));
    const uint32_t len = core::load_be16(chunks.data(ch) + 4);
    const uint32_t rcv_nxt = conns[id].rcv_nxt;
    if (seq::gt(s, rcv_nxt)) return;
    if (seq::gt(s + len, rcv_nxt)) {
      const uint32_t skip = rcv_nxt - s;
      const std::span<const uint8_t> d(chunks.data(ch) + kOooHeader + skip, len - skip);
      const size_t n = deliver(id, d);  // the chunk stays listed, so an abort frees it
      if (!alive(id)) return;
      if (n < d.size()) {
        ++stats.drop_no_buffer;
        return;
      }
      f = flight_of(conns[id]);
    }
    f->ooo_head = chunks.next(ch);
    --f->ooo_count;
    f->ooo_bytes -= len;
    chunks.free(ch);
  }
}

void TcpStack::Impl::ooo_clear(TcpFlight& f) {
  while (f.ooo_head != kNil) {
    const uint32_t next = chunks.next(f.ooo_head);
    chunks.free(f.ooo_head);
    f.ooo_head = next;
  }
  f.ooo_count = 0;
  f.ooo_bytes = 0;
}

}  // namespace wsgate::tcp
