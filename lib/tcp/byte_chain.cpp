#include "tcp/byte_chain.hpp"

#include <algorithm>
#include <cstring>

namespace wsgate::tcp {

using core::kNil;

size_t ByteChain::append(core::ChunkPool& pool, std::span<const uint8_t> data, uint32_t keep_free) {
  const uint32_t size = pool.chunk_size();
  size_t done = 0;
  while (done < data.size()) {
    if (tail == kNil || tail_len == size) {
      if (free_chunks(pool) <= keep_free) break;
      const uint32_t chunk = pool.alloc();
      if (chunk == kNil) break;
      pool.next(chunk) = kNil;
      if (tail == kNil) {
        head = chunk;
        head_off = 0;
      } else {
        pool.next(tail) = chunk;
      }
      tail = chunk;
      tail_len = 0;
    }
    const size_t n = std::min<size_t>(size - tail_len, data.size() - done);
    std::memcpy(pool.data(tail) + tail_len, data.data() + done, n);
    tail_len = static_cast<uint16_t>(tail_len + n);
    done += n;
  }
  bytes += static_cast<uint32_t>(done);
  return done;
}

void ByteChain::drop_front(core::ChunkPool& pool, uint32_t n) {
  const uint32_t size = pool.chunk_size();
  n = std::min(n, bytes);
  bytes -= n;
  if (bytes == 0) {
    clear(pool);
    return;
  }
  while (n > 0) {
    const uint32_t used = head == tail ? tail_len : size;
    const uint32_t take = std::min<uint32_t>(n, used - head_off);
    head_off = static_cast<uint16_t>(head_off + take);
    n -= take;
    if (head_off == used && head != tail) {
      const uint32_t next = pool.next(head);
      pool.free(head);
      head = next;
      head_off = 0;
    }
  }
}

void ByteChain::clear(core::ChunkPool& pool) {
  uint32_t c = head;
  while (c != kNil) {
    const uint32_t next = c == tail ? kNil : pool.next(c);
    pool.free(c);
    c = next;
  }
  *this = ByteChain{};
}

std::span<const uint8_t> ByteChain::front(const core::ChunkPool& pool) const {
  if (bytes == 0) return {};
  const uint32_t used = head == tail ? tail_len : pool.chunk_size();
  return {pool.data(head) + head_off, used - head_off};
}

size_t ByteChain::gather(const core::ChunkPool& pool, uint32_t offset, uint32_t len,
                         std::span<std::span<const uint8_t>> out) const {
  const uint32_t size = pool.chunk_size();
  size_t count = 0;
  uint32_t c = head;
  uint32_t pos = offset + head_off;  // offset within the chain's first chunk's frame
  while (c != kNil && len > 0 && count < out.size()) {
    const uint32_t used = c == tail ? tail_len : size;
    if (pos >= used) {
      pos -= used;
      c = c == tail ? kNil : pool.next(c);
      continue;
    }
    const uint32_t n = std::min(len, used - pos);
    out[count++] = {pool.data(c) + pos, n};
    len -= n;
    pos = 0;
    c = c == tail ? kNil : pool.next(c);
  }
  return count;
}

}  // namespace wsgate::tcp
