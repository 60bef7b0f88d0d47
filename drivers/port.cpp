#include "drivers/port.hpp"

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <fmt/format.h>

#include "core/log.hpp"

namespace wsgate::drivers {

namespace {

constexpr uint16_t kRxDesc = 1024;
constexpr uint16_t kTxDesc = 1024;

// Symmetric Toeplitz key (0x6d5a repeated): both directions of a flow hash to
// the same queue, so one lcore owns each connection.
uint8_t g_symmetric_rss_key[40] = {
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a};

bool create_vdev(const std::string& devargs, std::string* error) {
  int rc = rte_dev_probe(devargs.c_str());
  if (rc != 0) {
    *error = fmt::format("could not create '{}': {} ({})", devargs, rte_strerror(-rc), rc);
    return false;
  }
  return true;
}

PortCaps probe_caps(uint16_t port_id, const rte_eth_dev_info& info) {
  PortCaps c;
  c.max_rx_queues = info.max_rx_queues;
  c.max_tx_queues = info.max_tx_queues;
  c.rss_flow_types = info.flow_type_rss_offloads;
  c.rx_ip_cksum = info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
  c.rx_tcp_cksum = info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
  c.tx_ip_cksum = info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
  c.tx_tcp_cksum = info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
  c.tx_multi_seg = info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
  c.rx_timestamp = info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP;
  c.max_rx_pktlen = info.max_rx_pktlen;
  uint16_t mtu = 0;
  if (rte_eth_dev_get_mtu(port_id, &mtu) == 0 && mtu != 0) c.mtu = mtu;
  return c;
}

}  // namespace

const char* port_kind_name(PortKind k) {
  switch (k) {
    case PortKind::Existing: return "ethdev";
    case PortKind::AfXdp: return "af_xdp";
    case PortKind::Tap: return "tap";
  }
  return "?";
}

bool port_open(const PortRequest& req, Port* port, std::string* error) {
  uint16_t available = rte_eth_dev_count_avail();
  if (!req.iface.empty() && available > 0) {
    *error = "--iface cannot be combined with a DPDK port (--vdev or a PCI device); give one or the other";
    return false;
  }
  if (available > 1) log::warn("{} ports found; wsgate serves the first one", available);

  if (!req.iface.empty()) {
    port->kind = PortKind::AfXdp;
    port->kernel_iface = req.iface;
    if (!create_vdev(fmt::format("net_af_xdp0,iface={},start_queue=0,queue_count={}", req.iface, req.queues),
                     error)) {
      *error += fmt::format(
          "\n  AF_XDP needs a kernel with CONFIG_XDP_SOCKETS, an interface named '{}' that is up, and root",
          req.iface);
      return false;
    }
  } else if (available == 0) {
    port->kind = PortKind::Tap;
    port->kernel_iface = req.tap_name;
    if (!create_vdev(fmt::format("net_tap0,iface={}", req.tap_name), error)) {
      *error += "\n  net_tap needs /dev/net/tun and root (CAP_NET_ADMIN)";
      return false;
    }
  }

  uint16_t id = RTE_MAX_ETHPORTS;
  uint16_t pid;
  RTE_ETH_FOREACH_DEV(pid) {
    id = pid;
    break;
  }
  if (id == RTE_MAX_ETHPORTS) {
    *error = "no usable port";
    return false;
  }
  port->id = id;

  rte_eth_dev_info info{};
  int rc = rte_eth_dev_info_get(id, &info);
  if (rc != 0) {
    *error = fmt::format("rte_eth_dev_info_get: {}", rte_strerror(-rc));
    return false;
  }
  port->driver = info.driver_name ? info.driver_name : "?";
  char name[RTE_ETH_NAME_MAX_LEN] = {};
  rte_eth_dev_get_name_by_port(id, name);
  port->name = name;
  port->caps = probe_caps(id, info);
  const PortCaps& c = port->caps;

  log::info("port {} ({}, driver {}): rx queues {}, tx queues {}, RSS {}, rx cksum ip/tcp {}/{}, tx cksum ip/tcp {}/{}, "
            "multi-seg tx {}, mtu {}",
            id, port->name, port->driver, c.max_rx_queues, c.max_tx_queues,
            c.rss_flow_types ? "yes" : "no", c.rx_ip_cksum ? "hw" : "sw", c.rx_tcp_cksum ? "hw" : "sw",
            c.tx_ip_cksum ? "hw" : "sw", c.tx_tcp_cksum ? "hw" : "sw", c.tx_multi_seg ? "yes" : "no", c.mtu);

  uint16_t queues = req.queues;
  if (queues > c.max_rx_queues || queues > c.max_tx_queues) {
    *error = fmt::format("port {} supports {} rx / {} tx queues but {} worker lcores were given; use fewer lcores (-l)",
                         id, c.max_rx_queues, c.max_tx_queues, queues);
    return false;
  }
  if (queues > 1 && c.rss_flow_types == 0) {
    *error = fmt::format("port {} has no RSS, so flows cannot be spread over {} lcores; run one lcore", id, queues);
    return false;
  }
  if (queues > 16) {
    *error = "at most 16 worker lcores";
    return false;
  }
  port->queues = queues;

  rte_eth_conf conf{};
  // net_pcap (DPDK 22.11) stamps every frame with its capture time without
  // advertising the offload; others need it asked for.
  if (req.rx_timestamps && c.rx_timestamp) conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;
  if (c.rx_ip_cksum) conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
  if (c.rx_tcp_cksum) conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
  if (c.tx_ip_cksum) conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
  if (c.tx_tcp_cksum) conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
  if (queues > 1) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_key = g_symmetric_rss_key;
    conf.rx_adv_conf.rss_conf.rss_key_len = sizeof(g_symmetric_rss_key);
    conf.rx_adv_conf.rss_conf.rss_hf = (RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_TCP) & c.rss_flow_types;
  }
  rc = rte_eth_dev_configure(id, queues, queues, &conf);
  if (rc != 0) {
    *error = fmt::format("rte_eth_dev_configure(port {}, {} queues): {}", id, queues, rte_strerror(-rc));
    return false;
  }
  uint16_t nb_rxd = kRxDesc, nb_txd = kTxDesc;
  rte_eth_dev_adjust_nb_rx_tx_desc(id, &nb_rxd, &nb_txd);

  int socket = rte_eth_dev_socket_id(id);
  if (socket < 0) socket = static_cast<int>(rte_socket_id());
  for (uint16_t q = 0; q < queues; ++q) {
    std::string pool_name = fmt::format("mbuf_p{}_q{}", id, q);
    // Enough for the RX ring, TX ring, parked packets and in-flight bursts.
    uint32_t n = std::max<uint32_t>(req.mbufs_per_queue, nb_rxd + nb_txd + 512);
    port->pools[q] = rte_pktmbuf_pool_create(pool_name.c_str(), n, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, socket);
    if (!port->pools[q]) {
      *error = fmt::format("cannot create mbuf pool of {} mbufs: {} (more memory: -m or hugepages)", n,
                           rte_strerror(rte_errno));
      return false;
    }
    rte_eth_rxconf rxconf = info.default_rxconf;
    rxconf.offloads = conf.rxmode.offloads;
    rc = rte_eth_rx_queue_setup(id, q, nb_rxd, socket, &rxconf, port->pools[q]);
    if (rc != 0) {
      *error = fmt::format("rx queue {} setup: {}", q, rte_strerror(-rc));
      return false;
    }
    rte_eth_txconf txconf = info.default_txconf;
    txconf.offloads = conf.txmode.offloads;
    rc = rte_eth_tx_queue_setup(id, q, nb_txd, socket, &txconf);
    if (rc != 0) {
      *error = fmt::format("tx queue {} setup: {}", q, rte_strerror(-rc));
      return false;
    }
  }
  rte_ether_addr mac{};
  rte_eth_macaddr_get(id, &mac);
  std::copy(mac.addr_bytes, mac.addr_bytes + 6, port->mac);

  rc = rte_eth_dev_start(id);
  if (rc != 0) {
    *error = fmt::format("port {} start: {}", id, rte_strerror(-rc));
    return false;
  }
  // Our address is not the port's hardware filter's business; see every frame
  // so ARP broadcasts and unicast to our MAC both arrive on any driver.
  rte_eth_promiscuous_enable(id);
  log::info("port {} up: {} queue(s), mac {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", id, queues, mac.addr_bytes[0],
            mac.addr_bytes[1], mac.addr_bytes[2], mac.addr_bytes[3], mac.addr_bytes[4], mac.addr_bytes[5]);
  return true;
}

void port_close(Port* port) {
  rte_eth_dev_stop(port->id);
  rte_eth_dev_close(port->id);
  if (port->kind != PortKind::Existing) {
    // Closing a vdev port does not always detach the device; do it so the TAP
    // interface disappears from the kernel.
    rte_eal_hotplug_remove("vdev", port->name.c_str());
  }
  for (auto*& p : port->pools) {
    if (p) rte_mempool_free(p);
    p = nullptr;
  }
}

}  // namespace wsgate::drivers
