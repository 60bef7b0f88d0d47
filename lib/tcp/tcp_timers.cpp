// One timer per connection in the wheel, at the earliest of its deadlines:
// SYN-ACK retransmit, retransmission / persist, delayed ACK, keepalive,
// FIN_WAIT_2, deferred FIN. On expiry the handler works out which are due.
#include <algorithm>

#include "tcp/seq.hpp"
#include "tcp/tcp_engine.hpp"

namespace wsgate::tcp {

using namespace conn_flag;

void TcpStack::Impl::poll_timers(uint64_t now) {
  set_time(now);
  wheel.advance(now_ms, [this](uint32_t id) { on_timer(id); });
  tw_expire();
  if (pool_wait_count > 0) wake_pool_waiters();
  if (closing_all && now_us >= close_all_deadline_us) {
    close_all_deadline_us = UINT64_MAX;  // once
    for (uint32_t w = 0; w < live.size(); ++w)
      while (live[w] != 0) {
        const ConnId id = w * 64 + static_cast<uint32_t>(__builtin_ctzll(live[w]));
        abort(id, CloseReason::Shutdown);
      }
  }
}

// Puts the connection's single timer at its earliest pending deadline.
void TcpStack::Impl::rearm(ConnId id) {
  TcpConn& c = conns[id];
  if (c.state == State::SynReceived) return;  // the SYN-ACK timer is managed where it is set
  if (c.flight != kNil) {
    TcpFlight& f = flights[c.flight];
    uint64_t next = UINT64_MAX;
    if (f.rto_at_ms != 0) next = f.rto_at_ms;
    if (c.has(kAckPending)) {
      if (f.delack_at_ms == 0) f.delack_at_ms = ms_after(cfg.delayed_ack_us);
      next = std::min(next, f.delack_at_ms);
    }
    if (next == UINT64_MAX) wheel.cancel(id);
    else wheel.schedule(id, next);
    return;
  }
  // Quiet connection: the deadlines are not stored, they count from now.
  uint64_t next;
  if (c.has(kAckPending)) {
    next = ms_after(cfg.delayed_ack_us);
    // Keep an earlier delayed-ACK deadline: re-arming must not postpone it.
    if (wheel.scheduled(id) && seq::lt(c.timer.expires, static_cast<uint32_t>(next))) return;
  } else if (c.has(kFinQueued) && !c.has(kFinSent)) {
    next = ms_after(cfg.rto_min_us);  // FIN waits for a flight record
  } else if (c.state == State::FinWait2) {
    next = ms_after(cfg.fin_wait2_timeout_us);
  } else if (cfg.keepalive_idle_us != 0 && (c.state == State::Established || c.state == State::CloseWait)) {
    next = ms_after(c.has(kKeepaliveProbing) ? cfg.keepalive_interval_us : cfg.keepalive_idle_us);
  } else {
    wheel.cancel(id);
    return;
  }
  wheel.schedule(id, next);
}

void TcpStack::Impl::on_timer(ConnId id) {
  if (!alive(id)) return;
  TcpConn& c = conns[id];
  if (c.state == State::SynReceived) {
    if (c.retries >= cfg.synack_retries) {  // the app never saw it: drop silently
      close_conn(id, CloseReason::Timeout);
      return;
    }
    ++c.retries;
    c.flags |= kSynAckRetried;
    ++stats.synack_retransmits;
    ++stats.retransmits;
    send_synack(id);
    const uint64_t rto = std::min<uint64_t>(uint64_t{cfg.rto_initial_us} << c.retries, cfg.rto_max_us);
    wheel.schedule(id, ms_after(rto));
    return;
  }
  const ConnId outer = busy;
  busy = id;
  if (TcpFlight* f = flight_of(c)) {
    if (f->rto_at_ms != 0 && now_ms >= f->rto_at_ms) {
      if (f->persist) {
        if (f->retries >= cfg.max_retransmits) {  // nobody answers the probes
          ++stats.timeouts;
          busy = outer;
          send_rst(c);
          close_conn(id, CloseReason::Timeout);
          return;
        }
        ++f->retries;
        ++stats.persist_probes;
        send_probe(id);
        if (f->backoff < 30) ++f->backoff;
        f->rto_at_ms = ms_after(std::min<uint64_t>(uint64_t{f->rto_us} << f->backoff, cfg.rto_max_us));
      } else {
        on_rto(id);
        if (!alive(id)) {
          busy = outer;
          return;
        }
      }
    }
    f = flight_of(conns[id]);
    if (f && conns[id].has(kAckPending) && f->delack_at_ms != 0 && now_ms >= f->delack_at_ms) send_ack(id);
  } else if (c.has(kAckPending)) {
    send_ack(id);
  } else if (c.has(kFinQueued) && !c.has(kFinSent)) {
    output(id);
  } else if (c.state == State::FinWait2) {
    busy = outer;
    close_conn(id, CloseReason::Timeout);
    return;
  } else if (cfg.keepalive_idle_us != 0 && (c.state == State::Established || c.state == State::CloseWait)) {
    if (c.has(kKeepaliveProbing) && c.retries >= cfg.keepalive_probes) {
      ++stats.timeouts;
      busy = outer;
      send_rst(c);
      close_conn(id, CloseReason::Timeout);
      return;
    }
    c.flags |= kKeepaliveProbing;
    ++c.retries;
    ++stats.keepalive_probes;
    send_probe(id);
  }
  busy = outer;
  if (!alive(id)) return;
  rearm(id);
  maybe_release_flight(id);
}

// RFC 6298 5.4-5.7 and RFC 5681 3.1 on timeout: back off, collapse cwnd,
// go back to SND.UNA and resend as the (one-segment) window allows.
void TcpStack::Impl::on_rto(ConnId id) {
  TcpConn& c = conns[id];
  TcpFlight& f = flights[c.flight];
  if (c.snd_una == f.snd_max) {
    f.rto_at_ms = 0;
    return;
  }
  if (f.retries >= cfg.max_retransmits) {
    ++stats.timeouts;
    send_rst(c);
    close_conn(id, CloseReason::Timeout);
    return;
  }
  ++f.retries;
  const uint32_t mss = eff_mss(c);
  f.ssthresh = std::max((f.snd_max - c.snd_una) / 2, 2 * mss);
  f.cwnd = mss;
  f.in_recovery = false;
  f.dupacks = 0;
  f.recover = f.snd_max;
  f.rtt_timing = false;
  f.rto_us = static_cast<uint32_t>(std::min<uint64_t>(uint64_t{f.rto_us} * 2, cfg.rto_max_us));
  if (f.rto_shift < 16) ++f.rto_shift;
  c.snd_nxt = c.snd_una;
  c.flags &= static_cast<uint16_t>(~kFinSent);
  f.rto_at_ms = ms_after(f.rto_us);
  output(id);
}

void TcpStack::Impl::close_all(uint64_t now) {
  set_time(now);
  closing_all = true;
  close_all_deadline_us = now_us + cfg.close_all_grace_us;
  for (uint32_t w = 0; w < live.size(); ++w) {
    uint64_t bits = live[w];
    while (bits != 0) {
      const ConnId id = w * 64 + static_cast<uint32_t>(__builtin_ctzll(bits));
      bits &= bits - 1;
      if (alive(id)) shutdown_write(id);
    }
  }
}

}  // namespace wsgate::tcp
