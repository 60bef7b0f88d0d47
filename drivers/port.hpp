// Port bring-up for every driver kind wsgate runs on: any DPDK ethdev the user
// gave (PCI NIC bound to vfio-pci, --vdev of any kind), AF_XDP on a kernel
// interface with no DPDK driver, or a TAP interface when nothing is given.
#pragma once
#include <cstdint>
#include <string>

struct rte_mempool;

namespace wsgate::drivers {

enum class PortKind { Existing, AfXdp, Tap };

struct PortRequest {
  uint16_t queues = 1;            // one RX/TX queue pair per worker lcore
  uint32_t mbufs_per_queue = 8191;
  std::string iface;              // --iface: AF_XDP on this kernel interface
  std::string tap_name = "wsgate0";
  bool rx_timestamps = false;     // --replay: the capture's time on every mbuf
};

// What the device can do; each flag picks hardware or the software fallback.
struct PortCaps {
  uint16_t max_rx_queues = 0, max_tx_queues = 0;
  uint64_t rss_flow_types = 0;    // 0: no RSS, so only one queue is usable
  bool rx_ip_cksum = false, rx_tcp_cksum = false;
  bool tx_ip_cksum = false, tx_tcp_cksum = false;
  bool tx_multi_seg = false;
  bool rx_timestamp = false;
  uint32_t max_rx_pktlen = 0;
  uint16_t mtu = 1500;
};

struct Port {
  uint16_t id = 0;
  PortKind kind = PortKind::Existing;
  std::string driver;             // e.g. net_tap
  std::string name;               // ethdev name
  std::string kernel_iface;       // TAP or AF_XDP interface, when there is one
  uint8_t mac[6] = {};
  PortCaps caps;
  uint16_t queues = 1;
  rte_mempool* pools[16] = {};    // one mbuf pool per queue: nothing shared between lcores
};

// Picks, creates (vdev) and starts the port. On failure returns false and a
// message that says what to do about it.
bool port_open(const PortRequest& req, Port* port, std::string* error);
// Stops and closes the port; a vdev created here (TAP, AF_XDP) is removed,
// which deletes the TAP interface from the kernel.
void port_close(Port* port);
const char* port_kind_name(PortKind);

}  // namespace wsgate::drivers
