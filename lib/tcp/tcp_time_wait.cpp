// TIME_WAIT as compact 32-byte entries in their own slab and table, in a FIFO
// (every entry lives 2*MSL, so the oldest is always first). When the slab is
// full the oldest entry is reused: shortening one TIME_WAIT is better than
// refusing to close. A retransmitted FIN restarts 2*MSL by moving the entry
// to the tail (a copy; the old slot stays in the FIFO as a dead entry).
#include <algorithm>

#include "tcp/seq.hpp"
#include "tcp/tcp_engine.hpp"

namespace wsgate::tcp {

using namespace conn_flag;

namespace {

FourTuple tuple_of(const TimeWaitEntry& e) { return {e.remote_ip, e.local_ip, e.remote_port, e.local_port}; }

}  // namespace

void TcpStack::Impl::enter_time_wait(ConnId id) {
  const TcpConn& c = conns[id];
  TimeWaitEntry e;
  e.remote_ip = c.tuple.remote_ip;
  e.local_ip = c.tuple.local_ip;
  e.remote_port = c.tuple.remote_port;
  e.local_port = c.tuple.local_port;
  e.snd_nxt = c.snd_nxt;
  e.rcv_nxt = c.rcv_nxt;
  e.ts_recent = c.ts_recent;
  e.ts_ok = c.has(kTsOk) ? 1 : 0;
  tw_push(e);
  close_conn(id, CloseReason::Normal);  // the app hears of it now, not 2*MSL later
}

uint32_t TcpStack::Impl::tw_push(const TimeWaitEntry& src) {
  if (tws.in_use() == tws.capacity() && tw_head != kTwEnd) {
    const uint32_t old = tw_head;
    TimeWaitEntry& o = tws[old];
    if (o.remote_port != 0) {
      ++stats.time_wait_recycled;
      tw_kill(old);
    }
    tw_head = o.next;
    if (tw_head == kTwEnd) tw_tail = kTwEnd;
    tws.free(old);
  }
  const uint32_t idx = tws.alloc();
  if (idx == kNil) return kTwEnd;
  TimeWaitEntry& e = tws[idx];
  e = src;
  e.expires_ms = static_cast<uint32_t>(ms_after(cfg.time_wait_us));
  e.next = kTwEnd;
  if (tw_tail == kTwEnd) tw_head = idx;
  else tws[tw_tail].next = idx;
  tw_tail = idx;
  tw_index.insert(tuple_hash(tuple_of(e)), idx);
  ++tw_live;
  return idx;
}

void TcpStack::Impl::tw_kill(uint32_t tw) {
  TimeWaitEntry& e = tws[tw];
  if (e.remote_port == 0) return;
  tw_index.erase(tuple_hash(tuple_of(e)), tw);
  e.remote_port = 0;
  --tw_live;
}

uint32_t TcpStack::Impl::tw_find(const FourTuple& t, uint64_t hash) const {
  const uint32_t idx = tw_index.find(hash, [&](uint32_t i) {
    const TimeWaitEntry& e = tws[i];
    return e.remote_ip == t.remote_ip && e.remote_port == t.remote_port && e.local_port == t.local_port &&
           e.local_ip == t.local_ip;
  });
  return idx == kNil ? kTwEnd : idx;
}

void TcpStack::Impl::tw_expire() {
  const uint32_t now32 = static_cast<uint32_t>(now_ms);
  while (tw_head != kTwEnd) {
    TimeWaitEntry& e = tws[tw_head];
    if (e.remote_port != 0 && seq::lt(now32, e.expires_ms)) break;
    const uint32_t idx = tw_head;
    tw_kill(idx);
    tw_head = e.next;
    if (tw_head == kTwEnd) tw_tail = kTwEnd;
    tws.free(idx);
  }
}

// RFC 9293 3.10.7.4 for TIME-WAIT.
bool TcpStack::Impl::time_wait_input(uint32_t tw, const Segment& seg) {
  const TcpRepr& h = seg.hdr;
  TimeWaitEntry& e = tws[tw];
  auto ack = [&] {
    TcpRepr r;
    r.src_port = e.local_port;
    r.dst_port = e.remote_port;
    r.seq = e.snd_nxt;
    r.ack = e.rcv_nxt;
    r.flags = flag::ACK;
    r.window = static_cast<uint16_t>(std::min<uint32_t>(0xffff, cfg.recv_buffer_bytes >> cfg.window_scale));
    if (e.ts_ok) {
      r.has_timestamp = true;
      r.ts_val = ts_now();
      r.ts_ecr = e.ts_recent;
    }
    ++stats.segments_out;
    out->transmit(seg.tuple, r, {});
  };
  if (h.has(flag::RST)) {  // RFC 5961 3.2: only the exact sequence ends it
    if (h.seq == e.rcv_nxt) {
      ++stats.rst_in;
      tw_kill(tw);
    } else {
      ++stats.drop_bad_rst;
      if (seq::in_window(h.seq, e.rcv_nxt, cfg.recv_buffer_bytes) && challenge_allowed()) ack();
    }
    return true;
  }
  if (h.has(flag::SYN) && !h.has(flag::ACK)) {
    // RFC 6191: a SYN that is certainly newer (timestamp, or else sequence)
    // may start a new incarnation now.
    const bool newer = e.ts_ok && h.has_timestamp ? seq::gt(h.ts_val, e.ts_recent) : seq::gt(h.seq, e.rcv_nxt);
    if (newer) {
      ++stats.time_wait_reopened;
      tw_kill(tw);
      return false;
    }
    ++stats.drop_time_wait;
    ack();
    return true;
  }
  if (e.ts_ok && h.has_timestamp && seq::lt(h.ts_val, e.ts_recent)) {
    ++stats.drop_paws;
    ack();
    return true;
  }
  if (h.has(flag::FIN)) {  // our ACK of the FIN was lost: ACK again, 2*MSL from now
    ack();
    TimeWaitEntry copy = tws[tw];
    if (h.has_timestamp) copy.ts_recent = h.ts_val;
    tw_kill(tw);
    tw_push(copy);
    return true;
  }
  ++stats.drop_time_wait;
  if (!seg.payload.empty() || h.seq != e.rcv_nxt) ack();
  return true;
}

}  // namespace wsgate::tcp
