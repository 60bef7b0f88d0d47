// Large, page-backed allocations for per-lcore tables made once at init.
//
// Why not new/malloc: a million connection records are 64 MiB; on 4 KiB pages
// every random lookup costs a TLB miss. We ask for 2 MiB pages explicitly
// (MAP_HUGETLB, reserved up front so a later fault cannot SIGBUS) and, when the
// box has none reserved, fall back to ordinary pages aligned to 2 MiB with
// madvise(MADV_HUGEPAGE) so transparent huge pages can back them. Pages are
// committed lazily by the kernel, so untouched capacity costs no RAM (except
// with MAP_HUGETLB, which reserves whole huge pages). No MAP_NORESERVE: under
// strict overcommit a table too big for the box should fail at init, not get
// the process OOM-killed when the millionth connection touches its page.
// Pages come from the NUMA node of the thread that first touches them, so
// init per-lcore containers on their lcore.
//
// Requests below kBigAllocHugeThreshold use plain 4 KiB pages: burning a whole
// 2 MiB huge page (usually reserved for DPDK mempools) on a small table is a
// worse trade than its TLB misses.
#pragma once

#include <cstddef>

namespace wsgate::core {

inline constexpr size_t kBigAllocHugePage = size_t{2} << 20;
inline constexpr size_t kBigAllocHugeThreshold = size_t{1} << 20;

// The length actually mapped for a request of `bytes` (what big_free unmaps,
// and what containers report as their footprint).
size_t big_alloc_length(size_t bytes);

// Zeroed memory of at least `bytes` bytes, 4 KiB aligned (2 MiB aligned when
// bytes >= kBigAllocHugeThreshold); nullptr on failure or bytes == 0.
// *used_hugepages (if not null) tells whether MAP_HUGETLB succeeded.
void* big_alloc(size_t bytes, bool* used_hugepages);

// Releases memory from big_alloc; `bytes` must be the value passed to it.
// big_free(nullptr, n) is a no-op.
void big_free(void* p, size_t bytes);

}  // namespace wsgate::core
