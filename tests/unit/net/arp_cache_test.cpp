#include "net/arp_cache.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "test_support.hpp"

using namespace wsgate::net;

namespace {

constexpr uint64_t kReachable = 60'000'000;
constexpr uint64_t kRetry = 1'000'000;
constexpr uint64_t kT0 = 1'000'000'000;

MacAddr mac(uint8_t last) { return MacAddr{{0x02, 0, 0, 0, 0, last}}; }
uint32_t ip(uint32_t host) { return 0x0a000000 | host; }

// Stands in for rte_pktmbuf_free: records which "packets" were released.
struct Released {
  std::vector<void*> pkts;
  static void release(void* pkt, void* ctx) { static_cast<Released*>(ctx)->pkts.push_back(pkt); }
  bool has(void* p) const { return std::find(pkts.begin(), pkts.end(), p) != pkts.end(); }
};

struct Fixture {
  Released released;
  ArpCache cache;
  int pkt[8] = {};  // addresses stand in for mbufs
  void* p(int i) { return &pkt[i]; }
  explicit Fixture(uint32_t capacity = 4) {
    REQUIRE_OR_RETURN(cache.init(capacity, kReachable, kRetry, &Released::release, &released));
  }
};

}  // namespace

TEST_CASE("ArpCache: init refuses capacity 0") {
  ArpCache cache;
  CHECK_FALSE(cache.init(0));
  CHECK(cache.init(1));
  CHECK(cache.capacity() == 1);
}

TEST_CASE("ArpCache: unknown address looks up as nullptr; learn then look up") {
  Fixture f;
  CHECK(f.cache.lookup(ip(1), kT0) == nullptr);
  f.cache.update(ip(1), mac(1), kT0);
  const MacAddr* m = f.cache.lookup(ip(1), kT0);
  REQUIRE_OR_RETURN(m != nullptr);
  CHECK(*m == mac(1));
  CHECK(f.cache.size() == 1);
  CHECK(f.cache.lookup(ip(2), kT0) == nullptr);
}

TEST_CASE("ArpCache: update refreshes the MAC and the lifetime") {
  Fixture f;
  f.cache.update(ip(1), mac(1), kT0);
  f.cache.update(ip(1), mac(9), kT0 + kReachable - 1);
  REQUIRE_OR_RETURN(f.cache.lookup(ip(1), kT0 + kReachable + 10) != nullptr);
  CHECK(*f.cache.lookup(ip(1), kT0 + kReachable + 10) == mac(9));
  CHECK(f.cache.size() == 1);
}

TEST_CASE("ArpCache: a reachable entry lapses after reachable_us") {
  Fixture f;
  f.cache.update(ip(1), mac(1), kT0);
  CHECK(f.cache.lookup(ip(1), kT0 + kReachable - 1) != nullptr);
  CHECK(f.cache.lookup(ip(1), kT0 + kReachable) == nullptr);
  // Still counted until expire() runs, then gone.
  CHECK(f.cache.size() == 1);
  f.cache.expire(kT0 + kReachable, [](void*) { FAIL_CHECK("nothing parked"); });
  CHECK(f.cache.size() == 0);
}

TEST_CASE("ArpCache: refresh only touches existing entries") {
  Fixture f;
  CHECK_FALSE(f.cache.refresh(ip(1), mac(1), kT0));
  CHECK(f.cache.size() == 0);
  f.cache.update(ip(1), mac(1), kT0);
  CHECK(f.cache.refresh(ip(1), mac(2), kT0 + 5));
  CHECK(*f.cache.lookup(ip(1), kT0 + 5) == mac(2));
}

TEST_CASE("ArpCache: should_request is rate-limited per address") {
  Fixture f;
  CHECK(f.cache.should_request(ip(1), kT0));
  CHECK(f.cache.size() == 1);                      // incomplete entry made
  CHECK(f.cache.lookup(ip(1), kT0) == nullptr);    // incomplete is not a MAC
  CHECK_FALSE(f.cache.should_request(ip(1), kT0 + 1));
  CHECK_FALSE(f.cache.should_request(ip(1), kT0 + kRetry - 1));
  CHECK(f.cache.should_request(ip(2), kT0 + 1));   // other addresses are independent
  CHECK(f.cache.should_request(ip(1), kT0 + kRetry));
  CHECK_FALSE(f.cache.should_request(ip(1), kT0 + kRetry + 1));
  CHECK(f.cache.should_request(ip(1), kT0 + 2 * kRetry));
}

TEST_CASE("ArpCache: no request while the MAC is fresh; one as soon as it lapses") {
  Fixture f;
  f.cache.update(ip(1), mac(1), kT0);
  CHECK_FALSE(f.cache.should_request(ip(1), kT0 + 1));
  CHECK_FALSE(f.cache.should_request(ip(1), kT0 + kReachable - 1));
  CHECK(f.cache.should_request(ip(1), kT0 + kReachable));
  CHECK(f.cache.lookup(ip(1), kT0 + kReachable) == nullptr);
  CHECK_FALSE(f.cache.should_request(ip(1), kT0 + kReachable + 1));
}

TEST_CASE("ArpCache: lookup signals refresh_due in the last quarter, once per retry") {
  Fixture f;
  bool due = true;
  f.cache.update(ip(1), mac(1), kT0);
  CHECK(f.cache.lookup(ip(1), kT0 + kReachable / 2, &due) != nullptr);
  CHECK_FALSE(due);
  const uint64_t late = kT0 + kReachable * 3 / 4;
  CHECK(f.cache.lookup(ip(1), late, &due) != nullptr);
  CHECK(due);
  CHECK(f.cache.lookup(ip(1), late + 1, &due) != nullptr);
  CHECK_FALSE(due);
  CHECK(f.cache.lookup(ip(1), late + kRetry, &due) != nullptr);
  CHECK(due);
  // The answer renews the entry and clears the schedule.
  f.cache.update(ip(1), mac(1), late + kRetry + 5);
  CHECK(f.cache.lookup(ip(1), late + kRetry + 6, &due) != nullptr);
  CHECK_FALSE(due);
}

TEST_CASE("ArpCache: incomplete entries are given up after kIncompleteRetries retries") {
  Fixture f;
  REQUIRE_OR_RETURN(f.cache.should_request(ip(1), kT0));
  REQUIRE_OR_RETURN(f.cache.park(ip(1), f.p(0)) == nullptr);
  std::vector<void*> freed;
  auto collect = [&](void* pkt) { freed.push_back(pkt); };
  f.cache.expire(kT0 + ArpCache::kIncompleteRetries * kRetry - 1, collect);
  CHECK(f.cache.size() == 1);
  CHECK(freed.empty());
  f.cache.expire(kT0 + ArpCache::kIncompleteRetries * kRetry, collect);
  CHECK(f.cache.size() == 0);
  CHECK(freed == std::vector<void*>{f.p(0)});
  CHECK(f.released.pkts.empty());  // expire's callback, not the release callback
}

TEST_CASE("ArpCache: park and take") {
  Fixture f;
  REQUIRE_OR_RETURN(f.cache.should_request(ip(1), kT0));
  CHECK(f.cache.park(ip(1), f.p(1)) == nullptr);
  CHECK(f.cache.park(ip(1), f.p(2)) == f.p(1));   // one per entry: the older is displaced
  CHECK(f.cache.take_parked(ip(2)) == nullptr);
  f.cache.update(ip(1), mac(1), kT0 + 100);       // learning keeps it parked
  CHECK(f.cache.take_parked(ip(1)) == f.p(2));
  CHECK(f.cache.take_parked(ip(1)) == nullptr);
  CHECK(f.released.pkts.empty());
}

TEST_CASE("ArpCache: park before should_request creates the entry; the request still goes out") {
  Fixture f;
  CHECK(f.cache.lookup(ip(1), kT0) == nullptr);  // gives the cache the time
  CHECK(f.cache.park(ip(1), f.p(0)) == nullptr);
  CHECK(f.cache.size() == 1);
  CHECK(f.cache.lookup(ip(1), kT0) == nullptr);  // incomplete
  CHECK(f.cache.should_request(ip(1), kT0));
  CHECK_FALSE(f.cache.should_request(ip(1), kT0 + 1));
  // Given up like any incomplete entry, counted from the time park() saw.
  std::vector<void*> freed;
  f.cache.expire(kT0 + ArpCache::kIncompleteRetries * kRetry, [&](void* pkt) { freed.push_back(pkt); });
  CHECK(freed == std::vector<void*>{f.p(0)});
  CHECK(f.cache.size() == 0);
}

TEST_CASE("ArpCache: park into a full table evicts the oldest and releases its packet") {
  Fixture f(2);
  REQUIRE_OR_RETURN(f.cache.should_request(ip(1), kT0));
  REQUIRE_OR_RETURN(f.cache.park(ip(1), f.p(1)) == nullptr);
  f.cache.update(ip(2), mac(2), kT0 + 1);
  CHECK(f.cache.park(ip(3), f.p(3)) == nullptr);
  CHECK(f.cache.size() == 2);
  CHECK(f.released.pkts == std::vector<void*>{f.p(1)});
  CHECK(f.cache.take_parked(ip(3)) == f.p(3));
}

TEST_CASE("ArpCache: without a release callback nothing can be parked") {
  ArpCache cache;
  REQUIRE_OR_RETURN(cache.init(2));
  int pkt = 0;
  REQUIRE_OR_RETURN(cache.should_request(ip(1), kT0));
  CHECK(cache.park(ip(1), &pkt) == &pkt);
  CHECK(cache.take_parked(ip(1)) == nullptr);
}

TEST_CASE("ArpCache: full table evicts the oldest entry and releases its parked packet") {
  Fixture f(3);
  f.cache.update(ip(1), mac(1), kT0);
  REQUIRE_OR_RETURN(f.cache.should_request(ip(2), kT0 + 1));
  REQUIRE_OR_RETURN(f.cache.park(ip(2), f.p(2)) == nullptr);
  f.cache.update(ip(3), mac(3), kT0 + 2);
  CHECK(f.cache.size() == 3);

  // Refreshing ip(1) makes ip(2) the oldest.
  f.cache.update(ip(1), mac(1), kT0 + 3);
  f.cache.update(ip(4), mac(4), kT0 + 4);
  CHECK(f.cache.size() == 3);
  CHECK(f.cache.evictions() == 1);
  CHECK(f.released.pkts == std::vector<void*>{f.p(2)});
  CHECK(f.cache.lookup(ip(1), kT0 + 4) != nullptr);
  CHECK(f.cache.take_parked(ip(2)) == nullptr);
  CHECK(f.cache.lookup(ip(3), kT0 + 4) != nullptr);
  CHECK(f.cache.lookup(ip(4), kT0 + 4) != nullptr);

  // should_request evicts too: now ip(3) is the oldest.
  CHECK(f.cache.should_request(ip(5), kT0 + 5));
  CHECK(f.cache.evictions() == 2);
  CHECK(f.cache.lookup(ip(3), kT0 + 5) == nullptr);
  CHECK(f.cache.size() == 3);
}

TEST_CASE("ArpCache: clear and the destructor release parked packets") {
  Released released;
  int a = 0, b = 0;
  {
    ArpCache cache;
    REQUIRE_OR_RETURN(cache.init(4, kReachable, kRetry, &Released::release, &released));
    REQUIRE_OR_RETURN(cache.should_request(ip(1), kT0));
    REQUIRE_OR_RETURN(cache.park(ip(1), &a) == nullptr);
    cache.clear();
    CHECK(cache.size() == 0);
    CHECK(released.pkts == std::vector<void*>{&a});
    REQUIRE_OR_RETURN(cache.should_request(ip(2), kT0));
    REQUIRE_OR_RETURN(cache.park(ip(2), &b) == nullptr);
  }
  CHECK(released.pkts == std::vector<void*>{&a, &b});
}

TEST_CASE("ArpCache: many addresses through a small table stay consistent") {
  // Colliding buckets, removals from chain middles, free-list reuse.
  Fixture f(16);
  for (uint32_t round = 0; round < 50; ++round) {
    for (uint32_t h = 0; h < 40; ++h) {
      const uint64_t now = kT0 + round * 100 + h;
      f.cache.update(ip(h * 7 + round), mac(static_cast<uint8_t>(h)), now);
      REQUIRE_OR_RETURN(f.cache.lookup(ip(h * 7 + round), now) != nullptr);
      REQUIRE_OR_RETURN(*f.cache.lookup(ip(h * 7 + round), now) == mac(static_cast<uint8_t>(h)));
      REQUIRE_OR_RETURN(f.cache.size() <= 16);
    }
    // The 16 most recent are present, the one before them is not.
    const uint64_t now = kT0 + round * 100 + 40;
    for (uint32_t h = 24; h < 40; ++h) CHECK(f.cache.lookup(ip(h * 7 + round), now) != nullptr);
    CHECK(f.cache.lookup(ip(23 * 7 + round), now) == nullptr);
  }
  CHECK(f.cache.size() == 16);
  f.cache.expire(kT0 + 100 * kReachable, [](void*) {});
  CHECK(f.cache.size() == 0);
  f.cache.update(ip(1), mac(1), kT0 + 100 * kReachable);
  CHECK(f.cache.size() == 1);
}
