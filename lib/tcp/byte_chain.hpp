// A byte queue stored in a chain of shared ChunkPool chunks: a connection's
// unacknowledged + unsent bytes, or received bytes the app has not consumed.
// 16 bytes; empty (no chunk held) is the value-initialised state.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/chunk_pool.hpp"
#include "core/index.hpp"

namespace wsgate::tcp {

struct ByteChain {
  uint32_t head = core::kNil;
  uint32_t tail = core::kNil;
  uint32_t bytes = 0;
  uint16_t head_off = 0;  // first live byte in the head chunk
  uint16_t tail_len = 0;  // bytes used in the tail chunk

  bool empty() const { return bytes == 0; }

  // Copies as much of `data` as fits in chunks the pool can spare (keeping
  // `keep_free` chunks for others). Returns bytes appended.
  size_t append(core::ChunkPool& pool, std::span<const uint8_t> data, uint32_t keep_free);
  // Drops n <= bytes from the front, returning emptied chunks to the pool.
  void drop_front(core::ChunkPool& pool, uint32_t n);
  // Returns every chunk to the pool.
  void clear(core::ChunkPool& pool);
  // The contiguous bytes at the front (empty when the chain is).
  std::span<const uint8_t> front(const core::ChunkPool& pool) const;
  // Pieces covering [offset, offset + len) of the chain, at most out.size()
  // of them; returns how many were filled (they may cover less than len when
  // out is too small).
  size_t gather(const core::ChunkPool& pool, uint32_t offset, uint32_t len,
                std::span<std::span<const uint8_t>> out) const;
};
static_assert(sizeof(ByteChain) == 16);

inline uint32_t free_chunks(const core::ChunkPool& pool) { return pool.capacity() - pool.in_use(); }

}  // namespace wsgate::tcp
