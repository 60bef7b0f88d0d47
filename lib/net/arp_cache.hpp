// The neighbour table: IPv4 address -> MAC, for one lcore (no locks).
// Fixed capacity, all memory taken in init(); lookup/update are O(1) (hash
// buckets plus an age list), so it can sit on the transmit path.
//
// An entry is either incomplete (we asked, no answer yet) or reachable
// (learned at `updated`, valid for reachable_us). Each entry can hold one
// parked packet (opaque pointer, usually an rte_mbuf*) waiting for the answer.
//
// Ownership of parked packets: the cache never frees anything itself. A
// displaced packet comes back from park(); one whose entry is evicted (the
// table is full and a new address arrives) goes to the release callback given
// to init(); one whose entry expires goes to expire()'s callback; the
// destructor and clear() use the release callback too. Without a release
// callback park() refuses every packet (returns it), so nothing can leak.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "net/mac_addr.hpp"

namespace wsgate::net {

class ArpCache {
 public:
  using ReleaseFn = void (*)(void* pkt, void* ctx);

  // An incomplete entry is given up (and its parked packet handed to
  // expire()'s callback) this many retry periods after it was created.
  static constexpr uint32_t kIncompleteRetries = 3;

  ArpCache() = default;
  ~ArpCache();
  ArpCache(const ArpCache&) = delete;
  ArpCache& operator=(const ArpCache&) = delete;

  // Allocates everything. False if capacity is 0 or too large (> 2^30).
  bool init(uint32_t capacity, uint64_t reachable_us = 60'000'000, uint64_t retry_us = 1'000'000,
            ReleaseFn release = nullptr, void* release_ctx = nullptr);

  // The MAC for ip, or nullptr when unknown, incomplete or older than
  // reachable_us. If refresh_due is given it is set true at most once per
  // retry_us while the entry is in the last quarter of its life: the caller
  // should then send a request so the entry is renewed before it lapses
  // (traffic keeps flowing meanwhile).
  const MacAddr* lookup(uint32_t ip, uint64_t now_us, bool* refresh_due = nullptr);

  // Learns or refreshes ip -> mac (reachable as of now). Creates the entry if
  // absent, evicting the oldest one when full. Any parked packet stays parked:
  // call take_parked() afterwards to send it.
  void update(uint32_t ip, const MacAddr& mac, uint64_t now_us);
  // Like update() but only if ip already has an entry (RFC 826's merge step,
  // for ARP traffic that was not addressed to us). True if it was present.
  bool refresh(uint32_t ip, const MacAddr& mac, uint64_t now_us);

  // True when the caller should send a request for ip now: at most once per
  // retry_us per address, and never while a fresh MAC is known. Creates an
  // incomplete entry (evicting the oldest when full).
  bool should_request(uint32_t ip, uint64_t now_us);

  // Parks pkt on ip's entry, creating an incomplete one if there is none (so
  // park() before or after should_request() both work; a new entry takes the
  // latest now_us the cache was given and may evict the oldest). Returns what
  // the caller must free: the previously parked packet (nullptr if none), or
  // pkt itself when it could not be parked (no release callback).
  [[nodiscard]] void* park(uint32_t ip, void* pkt);
  // Removes and returns ip's parked packet, nullptr if none.
  [[nodiscard]] void* take_parked(uint32_t ip);

  // Drops reachable entries older than reachable_us and incomplete entries
  // older than kIncompleteRetries * retry_us, handing each parked packet to
  // free_parked(void*). O(capacity): call from a slow timer, not every packet.
  template <class F>
  void expire(uint64_t now_us, F&& free_parked) {
    latest_now_us_ = now_us;
    for (uint32_t i = 0; i < entries_.size(); ++i) {
      Entry& e = entries_[i];
      if (e.state == State::Free || !is_expired(e, now_us)) continue;
      if (void* pkt = e.parked) {
        e.parked = nullptr;
        free_parked(pkt);
      }
      remove(i);
    }
  }

  // Removes every entry; parked packets go to the release callback.
  void clear();

  uint32_t size() const { return size_; }
  uint32_t capacity() const { return static_cast<uint32_t>(entries_.size()); }
  uint64_t evictions() const { return evictions_; }

 private:
  static constexpr uint32_t kNil = UINT32_MAX;
  static constexpr uint64_t kNever = UINT64_MAX;
  enum class State : uint8_t { Free, Incomplete, Reachable };

  struct Entry {
    uint32_t ip = 0;
    MacAddr mac;
    State state = State::Free;
    uint32_t hash_next = kNil;  // bucket chain; free list when Free
    uint32_t age_prev = kNil;   // age list, oldest at head
    uint32_t age_next = kNil;
    uint64_t created_us = 0;    // incomplete: when it was created
    uint64_t updated_us = 0;    // reachable: when the MAC was last confirmed
    uint64_t requested_us = kNever;  // last time should_request() said yes
    void* parked = nullptr;
  };

  uint32_t bucket_of(uint32_t ip) const;
  uint32_t find(uint32_t ip) const;
  uint32_t insert(uint32_t ip, uint64_t now_us);  // new Incomplete entry; may evict
  void remove(uint32_t index);
  void age_unlink(uint32_t index);
  void age_push_back(uint32_t index);
  bool is_expired(const Entry& e, uint64_t now_us) const;
  bool is_fresh(const Entry& e, uint64_t now_us) const;
  void release(void* pkt);

  std::vector<Entry> entries_;
  std::vector<uint32_t> buckets_;
  uint32_t bucket_shift_ = 32;
  uint32_t free_head_ = kNil;
  uint32_t age_head_ = kNil;
  uint32_t age_tail_ = kNil;
  uint32_t size_ = 0;
  uint64_t reachable_us_ = 0;
  uint64_t retry_us_ = 0;
  uint64_t evictions_ = 0;
  uint64_t latest_now_us_ = 0;  // for park(), which is not given a time
  ReleaseFn release_ = nullptr;
  void* release_ctx_ = nullptr;
};

}  // namespace wsgate::net
