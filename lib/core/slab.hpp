// A fixed-capacity pool of T addressed by 32-bit index: the storage of
// connection records and other per-lcore objects.
//
// The free list is threaded through the first 4 bytes of free objects, so a
// slab costs nothing per object beyond sizeof(T) (a 64-byte record stays 64
// bytes). Objects are handed out from a high-water mark before free slots are
// threaded, so init() touches no object and untouched capacity stays
// uncommitted by the kernel. Freed objects are reused LIFO: the most recently
// freed record is the one most likely still in cache.
//
// Debug builds (NDEBUG unset) also keep one bit per object to assert double
// frees and frees of never-allocated indices; release builds skip it.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <type_traits>

#include "core/big_alloc.hpp"
#include "core/index.hpp"

namespace wsgate::core {

template <typename T>
class Slab {
    static_assert(std::is_trivially_copyable_v<T>, "Slab objects are copied and overwritten bytewise");
    static_assert(sizeof(T) >= sizeof(uint32_t), "a free object must hold the free-list link");

public:
    Slab() = default;
    Slab(const Slab&) = delete;
    Slab& operator=(const Slab&) = delete;
    ~Slab() { release(); }

    // Reserves room for `capacity` objects (1 .. kNil-1). False when the
    // memory cannot be had, or when called twice.
    bool init(uint32_t capacity) {
        if (objects_ != nullptr || capacity == 0 || capacity == kNil) return false;
        void* mem = big_alloc(size_t{capacity} * sizeof(T), nullptr);
        if (mem == nullptr) return false;
#ifndef NDEBUG
        live_bits_ = static_cast<uint64_t*>(big_alloc(live_bits_bytes(capacity), nullptr));
        if (live_bits_ == nullptr) {
            big_free(mem, size_t{capacity} * sizeof(T));
            return false;
        }
#endif
        objects_ = static_cast<T*>(mem);
        capacity_ = capacity;
        high_water_ = 0;
        free_head_ = kNil;
        in_use_ = 0;
        return true;
    }

    // Index of a value-initialised T, or kNil when every object is in use.
    uint32_t alloc() {
        uint32_t index;
        if (free_head_ != kNil) {
            index = free_head_;
            std::memcpy(&free_head_, static_cast<const void*>(&objects_[index]), sizeof free_head_);
        } else if (high_water_ < capacity_) {
            index = high_water_++;
        } else {
            return kNil;
        }
        ::new (static_cast<void*>(&objects_[index])) T{};
        ++in_use_;
#ifndef NDEBUG
        live_bits_[index / 64] |= uint64_t{1} << (index % 64);
#endif
        return index;
    }

    // Returns an object to the pool. Its contents are clobbered at once.
    void free(uint32_t index) {
        assert(index < high_water_ && "free of an index never allocated");
#ifndef NDEBUG
        const uint64_t bit = uint64_t{1} << (index % 64);
        assert((live_bits_[index / 64] & bit) != 0 && "double free");
        live_bits_[index / 64] &= ~bit;
#endif
        std::memcpy(static_cast<void*>(&objects_[index]), &free_head_, sizeof free_head_);
        free_head_ = index;
        --in_use_;
    }

    T& operator[](uint32_t index) {
        assert(index < high_water_);
        return objects_[index];
    }
    const T& operator[](uint32_t index) const {
        assert(index < high_water_);
        return objects_[index];
    }

    uint32_t in_use() const { return in_use_; }
    uint32_t capacity() const { return capacity_; }
    // Address space reserved for the objects (resident memory is less until
    // the high-water mark reaches capacity).
    size_t bytes() const { return objects_ ? big_alloc_length(size_t{capacity_} * sizeof(T)) : 0; }

private:
    static size_t live_bits_bytes(uint32_t capacity) { return (size_t{capacity} + 63) / 64 * sizeof(uint64_t); }

    void release() {
        if (objects_ == nullptr) return;
        big_free(objects_, size_t{capacity_} * sizeof(T));
        if (live_bits_ != nullptr) big_free(live_bits_, live_bits_bytes(capacity_));
        objects_ = nullptr;
        live_bits_ = nullptr;
    }

    T* objects_ = nullptr;
    uint64_t* live_bits_ = nullptr;  // debug builds only; kept in the layout so it never depends on NDEBUG
    uint32_t capacity_ = 0;
    uint32_t high_water_ = 0;  // objects at and above it were never handed out
    uint32_t free_head_ = kNil;
    uint32_t in_use_ = 0;
};

}  // namespace wsgate::core
