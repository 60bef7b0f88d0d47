#include "net/arp_cache.hpp"

#include <bit>

namespace wsgate::net {

namespace {
uint64_t elapsed(uint64_t since, uint64_t now) { return now >= since ? now - since : 0; }
}  // namespace

ArpCache::~ArpCache() { clear(); }

bool ArpCache::init(uint32_t capacity, uint64_t reachable_us, uint64_t retry_us, ReleaseFn release,
                    void* release_ctx) {
  if (capacity == 0 || capacity > (1u << 30)) return false;
  clear();
  entries_.assign(capacity, Entry{});
  // At least two buckets per entry keeps chains short; a power of two lets
  // Fibonacci hashing pick the bucket from the top bits.
  const uint32_t bucket_count = std::bit_ceil(capacity * 2);
  buckets_.assign(bucket_count, kNil);
  bucket_shift_ = 32 - static_cast<uint32_t>(std::countr_zero(bucket_count));
  free_head_ = kNil;
  for (uint32_t i = capacity; i-- > 0;) {
    entries_[i].hash_next = free_head_;
    free_head_ = i;
  }
  age_head_ = age_tail_ = kNil;
  size_ = 0;
  reachable_us_ = reachable_us;
  retry_us_ = retry_us;
  evictions_ = 0;
  latest_now_us_ = 0;
  release_ = release;
  release_ctx_ = release_ctx;
  return true;
}

const MacAddr* ArpCache::lookup(uint32_t ip, uint64_t now_us, bool* refresh_due) {
  latest_now_us_ = now_us;
  if (refresh_due) *refresh_due = false;
  const uint32_t i = find(ip);
  if (i == kNil) return nullptr;
  Entry& e = entries_[i];
  if (!is_fresh(e, now_us)) return nullptr;
  if (refresh_due && elapsed(e.updated_us, now_us) >= reachable_us_ - reachable_us_ / 4 &&
      (e.requested_us == kNever || elapsed(e.requested_us, now_us) >= retry_us_)) {
    e.requested_us = now_us;
    *refresh_due = true;
  }
  return &e.mac;
}

void ArpCache::update(uint32_t ip, const MacAddr& mac, uint64_t now_us) {
  latest_now_us_ = now_us;
  uint32_t i = find(ip);
  if (i == kNil) i = insert(ip, now_us);
  Entry& e = entries_[i];
  e.state = State::Reachable;
  e.mac = mac;
  e.updated_us = now_us;
  e.requested_us = kNever;
  age_unlink(i);
  age_push_back(i);
}

bool ArpCache::refresh(uint32_t ip, const MacAddr& mac, uint64_t now_us) {
  if (find(ip) == kNil) return false;
  update(ip, mac, now_us);
  return true;
}

bool ArpCache::should_request(uint32_t ip, uint64_t now_us) {
  latest_now_us_ = now_us;
  uint32_t i = find(ip);
  if (i == kNil) {
    i = insert(ip, now_us);
  } else if (entries_[i].state == State::Reachable) {
    if (is_fresh(entries_[i], now_us)) return false;
    // The MAC lapsed: start over as a new incomplete entry (keeping the
    // request rate limit, which may have been used by a refresh).
    entries_[i].state = State::Incomplete;
    entries_[i].created_us = now_us;
    age_unlink(i);
    age_push_back(i);
  }
  Entry& e = entries_[i];
  if (e.requested_us != kNever && elapsed(e.requested_us, now_us) < retry_us_) return false;
  e.requested_us = now_us;
  return true;
}

void* ArpCache::park(uint32_t ip, void* pkt) {
  if (release_ == nullptr) return pkt;
  uint32_t i = find(ip);
  if (i == kNil) i = insert(ip, latest_now_us_);
  void* displaced = entries_[i].parked;
  entries_[i].parked = pkt;
  return displaced;
}

void* ArpCache::take_parked(uint32_t ip) {
  const uint32_t i = find(ip);
  if (i == kNil) return nullptr;
  void* pkt = entries_[i].parked;
  entries_[i].parked = nullptr;
  return pkt;
}

void ArpCache::clear() {
  for (uint32_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].state == State::Free) continue;
    if (void* pkt = entries_[i].parked) {
      entries_[i].parked = nullptr;
      release(pkt);
    }
    remove(i);
  }
}

uint32_t ArpCache::bucket_of(uint32_t ip) const { return (ip * 0x9E3779B1u) >> bucket_shift_; }

uint32_t ArpCache::find(uint32_t ip) const {
  if (buckets_.empty()) return kNil;
  for (uint32_t i = buckets_[bucket_of(ip)]; i != kNil; i = entries_[i].hash_next) {
    if (entries_[i].ip == ip) return i;
  }
  return kNil;
}

uint32_t ArpCache::insert(uint32_t ip, uint64_t now_us) {
  if (free_head_ == kNil) {
    const uint32_t oldest = age_head_;
    if (void* pkt = entries_[oldest].parked) {
      entries_[oldest].parked = nullptr;
      release(pkt);
    }
    remove(oldest);
    ++evictions_;
  }
  const uint32_t i = free_head_;
  Entry& e = entries_[i];
  free_head_ = e.hash_next;
  e = Entry{};
  e.ip = ip;
  e.state = State::Incomplete;
  e.created_us = now_us;
  const uint32_t b = bucket_of(ip);
  e.hash_next = buckets_[b];
  buckets_[b] = i;
  age_push_back(i);
  ++size_;
  return i;
}

void ArpCache::remove(uint32_t index) {
  Entry& e = entries_[index];
  uint32_t* link = &buckets_[bucket_of(e.ip)];
  while (*link != index) link = &entries_[*link].hash_next;
  *link = e.hash_next;
  age_unlink(index);
  e = Entry{};
  e.hash_next = free_head_;
  free_head_ = index;
  --size_;
}

void ArpCache::age_unlink(uint32_t index) {
  Entry& e = entries_[index];
  if (e.age_prev != kNil) entries_[e.age_prev].age_next = e.age_next;
  else if (age_head_ == index) age_head_ = e.age_next;
  if (e.age_next != kNil) entries_[e.age_next].age_prev = e.age_prev;
  else if (age_tail_ == index) age_tail_ = e.age_prev;
  e.age_prev = e.age_next = kNil;
}

void ArpCache::age_push_back(uint32_t index) {
  Entry& e = entries_[index];
  e.age_prev = age_tail_;
  e.age_next = kNil;
  if (age_tail_ != kNil) entries_[age_tail_].age_next = index;
  else age_head_ = index;
  age_tail_ = index;
}

bool ArpCache::is_expired(const Entry& e, uint64_t now_us) const {
  if (e.state == State::Reachable) return elapsed(e.updated_us, now_us) >= reachable_us_;
  if (e.state == State::Incomplete) return elapsed(e.created_us, now_us) >= kIncompleteRetries * retry_us_;
  return false;
}

bool ArpCache::is_fresh(const Entry& e, uint64_t now_us) const {
  return e.state == State::Reachable && elapsed(e.updated_us, now_us) < reachable_us_;
}

void ArpCache::release(void* pkt) {
  // Parking requires a release callback (park() refuses otherwise), so a
  // parked packet always has somewhere to go.
  if (release_ != nullptr) release_(pkt, release_ctx_);
}

}  // namespace wsgate::net
