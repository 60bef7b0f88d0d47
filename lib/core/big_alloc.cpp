#include "core/big_alloc.hpp"

#include <sys/mman.h>

#include <cstdint>

namespace wsgate::core {

namespace {

constexpr size_t kSmallPage = 4096;

size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

void* map_anonymous(size_t length, int extra_flags) {
    void* p = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | extra_flags, -1, 0);
    return p == MAP_FAILED ? nullptr : p;
}

// Ordinary pages, but placed on a 2 MiB boundary: transparent huge pages can
// only back aligned 2 MiB ranges. Over-map by one huge page and trim.
void* map_aligned_for_thp(size_t length) {
    const size_t padded = length + kBigAllocHugePage;
    auto* raw = static_cast<uint8_t*>(map_anonymous(padded, 0));
    if (raw == nullptr) return nullptr;
    const auto addr = reinterpret_cast<uintptr_t>(raw);
    const uintptr_t aligned = round_up(addr, kBigAllocHugePage);
    const size_t head = aligned - addr;
    const size_t tail = padded - head - length;
    if (head != 0) munmap(raw, head);
    if (tail != 0) munmap(reinterpret_cast<void*>(aligned + length), tail);
    void* p = reinterpret_cast<void*>(aligned);
    // Advisory: fails harmlessly where THP is compiled out.
    madvise(p, length, MADV_HUGEPAGE);
    return p;
}

}  // namespace

size_t big_alloc_length(size_t bytes) {
    if (bytes == 0) return 0;
    return bytes < kBigAllocHugeThreshold ? round_up(bytes, kSmallPage) : round_up(bytes, kBigAllocHugePage);
}

void* big_alloc(size_t bytes, bool* used_hugepages) {
    if (used_hugepages != nullptr) *used_hugepages = false;
    const size_t length = big_alloc_length(bytes);
    if (length == 0) return nullptr;
    if (bytes < kBigAllocHugeThreshold) return map_anonymous(length, 0);
    if (void* p = map_anonymous(length, MAP_HUGETLB); p != nullptr) {
        if (used_hugepages != nullptr) *used_hugepages = true;
        return p;
    }
    return map_aligned_for_thp(length);
}

void big_free(void* p, size_t bytes) {
    if (p == nullptr) return;
    munmap(p, big_alloc_length(bytes));
}

}  // namespace wsgate::core
