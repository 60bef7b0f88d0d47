// The per-lcore connection lookup: hash -> index of a record in a Slab.
//
// Open addressing with linear probing, at most 50 % full. Each slot is 8
// bytes {tag, index}; keys stay in the caller's records and are compared by a
// callback, so a connection costs 16 bytes of table and one probe usually
// touches one cache line. Deletion shifts the following run back instead of
// leaving tombstones, so connection churn never lengthens probe sequences.
//
// The tag is the upper 32 bits of the hash (0 remapped to 1, since 0 marks an
// empty slot) and the home slot is the tag scaled to the slot count
// (tag * slots / 2^32), so the table has exactly 2 * max_entries slots rather
// than the next power of two: sized for 1.1M connections it costs 17.6 MB,
// not 33.5. Deriving the home from the tag is what lets backward-shift deletion
// recompute any entry's home without its key; the cost is that entries sharing
// a home also share the tag's top bits, so is_match() is called spuriously
// with probability about slots/2^32 per same-home entry -- negligible, and
// never wrong, because is_match() compares the real key.
//
// The table does not check for duplicates: callers find() before insert().
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>

#include "core/big_alloc.hpp"
#include "core/index.hpp"

namespace wsgate::core {

class IndexTable {
public:
    // Upper bound on init()'s max_entries: 2^30 entries need 2^31 slots.
    static constexpr uint32_t kMaxEntries = uint32_t{1} << 30;

    IndexTable() = default;
    IndexTable(const IndexTable&) = delete;
    IndexTable& operator=(const IndexTable&) = delete;
    ~IndexTable() { big_free(slots_, slot_count() * sizeof(Slot)); }

    // Slots = 2 * max_entries. False on bad size, when memory cannot be had,
    // or when called twice.
    bool init(uint32_t max_entries) {
        if (slots_ != nullptr || max_entries == 0 || max_entries > kMaxEntries) return false;
        const size_t count = size_t{2} * max_entries;
        slots_ = static_cast<Slot*>(big_alloc(count * sizeof(Slot), nullptr));  // zeroed: all empty
        if (slots_ == nullptr) return false;
        count_ = static_cast<uint32_t>(count);
        max_entries_ = max_entries;
        size_ = 0;
        return true;
    }

    // The index whose record is_match(index) accepts among entries inserted
    // with this hash, or kNil.
    template <class Match>
    uint32_t find(uint64_t hash, Match&& is_match) const {
        const uint32_t tag = tag_of(hash);
        for (uint32_t i = home_of(tag);; i = next(i)) {
            const Slot& s = slots_[i];
            if (s.tag == 0) return kNil;
            if (s.tag == tag && is_match(s.index)) return s.index;
        }
    }

    // False when the table already holds max_entries.
    bool insert(uint64_t hash, uint32_t index) {
        if (size_ == max_entries_) return false;
        const uint32_t tag = tag_of(hash);
        uint32_t i = home_of(tag);
        while (slots_[i].tag != 0) i = next(i);
        slots_[i] = Slot{tag, index};
        ++size_;
        return true;
    }

    // Removes the entry (hash, index); false if there is none.
    bool erase(uint64_t hash, uint32_t index) {
        const uint32_t tag = tag_of(hash);
        uint32_t hole = home_of(tag);
        for (;; hole = next(hole)) {
            const Slot& s = slots_[hole];
            if (s.tag == 0) return false;
            if (s.tag == tag && s.index == index) break;
        }
        // Backward shift: walk the run after the hole and move back every
        // entry whose home is not between the hole and its current slot, so
        // each entry stays reachable from its home without gaps.
        for (uint32_t j = next(hole); slots_[j].tag != 0; j = next(j)) {
            const uint32_t home = home_of(slots_[j].tag);
            if (distance(home, j) >= distance(hole, j)) {
                slots_[hole] = slots_[j];
                hole = j;
            }
        }
        slots_[hole] = Slot{};
        --size_;
        return true;
    }

    uint32_t size() const { return size_; }
    uint32_t max_entries() const { return max_entries_; }
    size_t bytes() const { return slots_ ? big_alloc_length(slot_count() * sizeof(Slot)) : 0; }

private:
    struct Slot {
        uint32_t tag;  // 0: empty
        uint32_t index;
    };
    static_assert(sizeof(Slot) == 8);

    static uint32_t tag_of(uint64_t hash) {
        const uint32_t tag = static_cast<uint32_t>(hash >> 32);
        return tag != 0 ? tag : 1;
    }
    uint32_t home_of(uint32_t tag) const {
        return static_cast<uint32_t>((uint64_t{tag} * count_) >> 32);
    }
    uint32_t next(uint32_t i) const { return i + 1 == count_ ? 0 : i + 1; }
    // Slots from a to b going forward, wrapping at the end.
    uint32_t distance(uint32_t a, uint32_t b) const { return b >= a ? b - a : b + count_ - a; }
    size_t slot_count() const { return slots_ ? count_ : 0; }

    Slot* slots_ = nullptr;
    uint32_t count_ = 0;
    uint32_t max_entries_ = 0;
    uint32_t size_ = 0;
};

}  // namespace wsgate::core
