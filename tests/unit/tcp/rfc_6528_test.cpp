// RFC 6528 initial sequence numbers: ISN = M + F(localip, localport, remoteip,
// remoteport, secretkey), M a 4-microsecond timer, F keyed by cfg.isn_secret.
#include "rfc_helpers.hpp"

#include <set>

using namespace rfc;

namespace {

// ISN a fresh stack (init at the Rig's fixed start time) picks for `tuple`
// when the SYN arrives at t_syn.
bool isn_for(const TcpConfig& cfg, const FourTuple& tuple, uint64_t t_syn, uint32_t* isn) {
  Rig r(cfg);
  if (!r.init_ok) return false;
  r.now = t_syn;
  r.tup = tuple;
  if (!r.send_syn()) return false;
  *isn = r.iss;
  return true;
}

}  // namespace

TEST_SUITE("rfc6528") {

// 3: F is a function of the connection-id: different 4-tuples at the same
// instant get unrelated ISNs.
TEST_CASE("ISNs differ per 4-tuple") {
  Rig r;
  std::set<uint32_t> isns;
  for (uint16_t i = 0; i < 16; ++i) {
    r.tup.remote_port = uint16_t(40000 + i);
    if (i >= 8) r.tup.remote_ip = 0x0a000100u + i;
    RFC_REQUIRE(r.send_syn());
    isns.insert(r.iss);
  }
  CHECK(isns.size() == 16);
  CHECK(r.stack.connections(State::SynReceived) == 16);
}

// 3: ISN = M + F(...): with the same key, tuple and time, the same ISN (and the
// engine reads no clock, so replays are deterministic); with another key, another ISN.
TEST_CASE("ISN depends on the secret key, not on hidden state") {
  TcpConfig a = base_config();
  uint32_t i1 = 0, i2 = 0, i3 = 0;
  FourTuple t{0x0a000002, 0x0a000001, 40000, 80};
  uint64_t when = 1'000'000'000;
  RFC_REQUIRE(isn_for(a, t, when, &i1));
  RFC_REQUIRE(isn_for(a, t, when, &i2));
  CHECK(i1 == i2);
  TcpConfig b = a;
  b.isn_secret[0] ^= 0x1;
  RFC_REQUIRE(isn_for(b, t, when, &i3));
  CHECK(i3 != i1);
}

// 3: "M is the 4 microsecond timer": for the same tuple and key, the ISN moves
// forward by elapsed_us / 4 (modulo 2^32).
TEST_CASE("ISN moves with time at one per 4 microseconds") {
  TcpConfig a = base_config();
  FourTuple t{0x0a000002, 0x0a000001, 40000, 80};
  uint64_t when = 1'000'000'000;
  uint32_t i0 = 0, i1 = 0, i2 = 0;
  RFC_REQUIRE(isn_for(a, t, when, &i0));
  RFC_REQUIRE(isn_for(a, t, when + 1'000'000, &i1));
  RFC_REQUIRE(isn_for(a, t, when + 4'000'000'000ull, &i2));
  CHECK(i1 != i0);
  uint32_t d1 = i1 - i0;
  CHECK(d1 >= 250'000 - 1);
  CHECK(d1 <= 250'000 + 1);
  // 4000 s = 10^9 ticks of 4 us: 1'000'000'000 mod 2^32
  uint32_t d2 = i2 - i0;
  CHECK(d2 >= 1'000'000'000u - 1);
  CHECK(d2 <= 1'000'000'000u + 1);
}

// The same tuple reconnecting later (after the first attempt was reset) is
// offered a later ISN from the same stack.
TEST_CASE("ISN for a reused tuple advances on the same stack") {
  Rig r;
  RFC_REQUIRE(r.send_syn());
  uint32_t first = r.iss;
  r.input(r.mk(flag::RST, r.cli_nxt, 0));
  RFC_REQUIRE(r.stack.connections_total() == 0);
  r.advance(2'000'000);
  r.take();
  r.peer.isn += 100000;
  RFC_REQUIRE(r.send_syn());
  uint32_t d = r.iss - first;
  CHECK(d >= 500'000 - 1);
  CHECK(d <= 500'000 + 1);
}

}  // TEST_SUITE
