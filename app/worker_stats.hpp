#pragma once
#include <cstdint>

namespace wsgate::app {

// Packet-path counters of one lcore. Written only by that lcore; the stats
// line and /metrics read them with relaxed loads (no shared writes).
#define WSGATE_WORKER_STATS(X)                                                   \
  X(rx_packets, "frames received")                                             \
  X(tx_packets, "frames sent")                                                 \
  X(drop_eth_truncated, "frame shorter than an Ethernet header")               \
  X(drop_eth_not_for_us, "frame for another MAC address")                      \
  X(drop_eth_unsupported, "ethertype other than IPv4 and ARP")                 \
  X(drop_arp_malformed, "malformed ARP packet")                                \
  X(drop_arp_not_for_us, "ARP request for another address")                    \
  X(drop_ip_malformed, "IPv4 header fails validation")                         \
  X(drop_ip_bad_checksum, "IPv4 header checksum wrong")                        \
  X(drop_ip_fragment, "IPv4 fragment (not reassembled)")                       \
  X(drop_ip_not_for_us, "IPv4 packet for another address")                     \
  X(drop_ip_unsupported_proto, "IPv4 protocol other than ICMP and TCP")        \
  X(drop_icmp_malformed, "malformed ICMP or bad checksum")                     \
  X(drop_icmp_unsupported, "ICMP type other than echo request")               \
  X(drop_tcp_malformed, "TCP header fails validation")                         \
  X(drop_tcp_bad_options, "TCP option list malformed")                     \
  X(drop_tcp_bad_checksum, "TCP checksum wrong")                               \
  X(drop_tx_no_mbuf, "segment not sent: mbuf pool empty")                      \
  X(drop_tx_no_route, "segment not sent: destination off-link and no gateway") \
  X(drop_tx_arp_pending, "segment dropped while waiting for ARP")              \
  X(drop_tx_full, "frame not sent: TX queue full")                             \
  X(arp_requests_sent, "ARP requests sent")                                    \
  X(arp_replies_sent, "ARP replies sent")                                      \
  X(icmp_echo_replies, "ICMP echo replies sent")                              \
  X(poll_us, "microseconds in the poll loop")                                  \
  X(busy_us, "microseconds of loop passes that received or sent a frame")

struct WorkerStats {
#define WSGATE_X(name, help) uint64_t name = 0;
  WSGATE_WORKER_STATS(WSGATE_X)
#undef WSGATE_X

  template <typename F>
  void for_each(F&& f) const {
#define WSGATE_X(name, help) f(#name, help, __atomic_load_n(&name, __ATOMIC_RELAXED));
    WSGATE_WORKER_STATS(WSGATE_X)
#undef WSGATE_X
  }
};

}  // namespace wsgate::app
