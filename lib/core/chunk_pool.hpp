// Fixed-size buffers shared by all connections of one lcore for bytes in
// flight (a partial inbound frame, out-of-order segments). An idle connection
// holds none; a busy one chains chunks through next().
//
// The links live in a side array rather than in the chunks so a chunk's bytes
// are all payload and a chain can be walked without touching payload lines.
// While a chunk is free its link holds the free list, encoded with the top bit
// set (capacity is capped at 2^31) so a double free is caught in debug builds
// at no cost.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>

#include "core/big_alloc.hpp"
#include "core/index.hpp"

namespace wsgate::core {

class ChunkPool {
public:
    // Below 2^31 so a free link (index | top bit) never equals kNil or kFreeEnd.
    static constexpr uint32_t kMaxCount = (uint32_t{1} << 31) - 2;

    ChunkPool() = default;
    ChunkPool(const ChunkPool&) = delete;
    ChunkPool& operator=(const ChunkPool&) = delete;
    ~ChunkPool() {
        big_free(data_, data_bytes());
        big_free(next_, next_bytes());
    }

    // False on a zero count or size, count > kMaxCount, no memory, or a
    // second call.
    bool init(uint32_t count, uint32_t chunk_size = 2048) {
        if (data_ != nullptr || count == 0 || count > kMaxCount || chunk_size == 0) return false;
        count_ = count;
        chunk_size_ = chunk_size;
        data_ = static_cast<uint8_t*>(big_alloc(data_bytes(), nullptr));
        next_ = static_cast<uint32_t*>(big_alloc(next_bytes(), nullptr));
        if (data_ == nullptr || next_ == nullptr) {
            big_free(data_, data_bytes());
            big_free(next_, next_bytes());
            data_ = nullptr;
            next_ = nullptr;
            count_ = chunk_size_ = 0;
            return false;
        }
        high_water_ = 0;
        free_head_ = kNil;
        in_use_ = 0;
        return true;
    }

    // A chunk with next() == kNil and undefined contents, or kNil if none.
    uint32_t alloc() {
        uint32_t chunk;
        if (free_head_ != kNil) {
            chunk = free_head_;
            free_head_ = decode_free_link(next_[chunk]);
        } else if (high_water_ < count_) {
            chunk = high_water_++;
        } else {
            return kNil;
        }
        next_[chunk] = kNil;
        ++in_use_;
        return chunk;
    }

    // Returns one chunk (not its chain: the caller walks next() first).
    void free(uint32_t chunk) {
        assert(chunk < high_water_ && "free of a chunk never allocated");
        assert(!is_free_link(next_[chunk]) && "double free");
        next_[chunk] = encode_free_link(free_head_);
        free_head_ = chunk;
        --in_use_;
    }

    uint8_t* data(uint32_t chunk) {
        assert(chunk < high_water_);
        return data_ + size_t{chunk} * chunk_size_;
    }
    const uint8_t* data(uint32_t chunk) const {
        assert(chunk < high_water_);
        return data_ + size_t{chunk} * chunk_size_;
    }

    // The chain link of an allocated chunk: the caller's to set.
    uint32_t& next(uint32_t chunk) {
        assert(chunk < high_water_);
        return next_[chunk];
    }
    uint32_t next(uint32_t chunk) const {
        assert(chunk < high_water_);
        return next_[chunk];
    }

    uint32_t chunk_size() const { return chunk_size_; }
    uint32_t in_use() const { return in_use_; }
    uint32_t capacity() const { return count_; }
    size_t bytes() const {
        return data_ ? big_alloc_length(data_bytes()) + big_alloc_length(next_bytes()) : 0;
    }

private:
    // Free links: top bit set, low bits the next free chunk (kFreeEnd ends the
    // list). Caller links are chunk indices (< 2^31) or kNil, never these.
    static constexpr uint32_t kFreeBit = uint32_t{1} << 31;
    static constexpr uint32_t kFreeEnd = kNil - 1;
    static uint32_t encode_free_link(uint32_t next_free) { return next_free == kNil ? kFreeEnd : next_free | kFreeBit; }
    static uint32_t decode_free_link(uint32_t link) { return link == kFreeEnd ? kNil : link & ~kFreeBit; }
    static bool is_free_link(uint32_t link) { return link != kNil && (link & kFreeBit) != 0; }

    size_t data_bytes() const { return size_t{count_} * chunk_size_; }
    size_t next_bytes() const { return size_t{count_} * sizeof(uint32_t); }

    uint8_t* data_ = nullptr;
    uint32_t* next_ = nullptr;
    uint32_t count_ = 0;
    uint32_t chunk_size_ = 0;
    uint32_t high_water_ = 0;
    uint32_t free_head_ = kNil;
    uint32_t in_use_ = 0;
};

}  // namespace wsgate::core
