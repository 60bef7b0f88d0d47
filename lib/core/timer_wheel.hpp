// A hierarchical timing wheel whose links live inside the caller's records,
// so a connection's timer costs no memory beyond its 12-byte TimerNode.
//
// Layout: 4 levels x 256 slots; level L slot s holds timers whose deadline
// agrees with the current tick on every bit above 8(L+1) and has byte L equal
// to s, i.e. timers are filed by the most significant byte in which deadline
// and now differ. When now reaches a level-L slot's start, that slot is
// cascaded (re-filed) into lower levels; level-0 slots fire. A fifth list,
// "far", holds deadlines in the next 2^32-tick epoch (a deadline less than
// 2^32 ticks ahead can still differ from now in bit 32). So each timer is
// re-filed at most 4 times over its life, and schedule/cancel are O(1).
//
// advance() never walks empty slots: a 256-bit occupancy bitmap per level
// gives the next tick at which anything happens, and the wheel jumps there.
// An idle gap of days costs a few bit scans.
//
// Deadlines are 64-bit ticks, stored as their low 32 bits: a pending
// deadline is always within 2^32 ticks after now, which makes the full value
// recoverable. Deadlines further ahead than kMaxDelay are clamped to it (fire
// early, ~49.7 days at 1 ms ticks).
//
// Lists are circular and doubly linked through TimerNode::next/prev; the list
// heads are TimerNodes inside the wheel, addressed by ids at and above
// kFirstReservedId, so unlinking never needs to know which list a node is in.
#pragma once

#include <array>
#include <bit>
#include <cassert>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>

#include "core/index.hpp"

namespace wsgate::core {

// Embedded in a record. Encoding: next == kNil <=> not scheduled (prev is
// then kNil too). A value-initialised TimerNode{} is therefore unscheduled.
// expires holds the low 32 bits of the deadline while scheduled.
struct TimerNode {
    uint32_t next = kNil, prev = kNil;
    uint32_t expires = 0;

    // Marks a fresh node unscheduled. Never call it on a scheduled node (it
    // would corrupt the wheel's lists): cancel() that first.
    void reset() {
        next = kNil;
        prev = kNil;
        expires = 0;
    }
    bool linked() const { return next != kNil; }
};
static_assert(sizeof(TimerNode) == 12);

// NodeOf: a callable TimerNode&(uint32_t id), mapping a timer id (usually a
// connection index) to the node inside its record.
template <typename NodeOf>
class TimerWheel {
public:
    static constexpr uint32_t kLevels = 4;
    static constexpr uint32_t kSlotBits = 8;
    static constexpr uint32_t kSlots = uint32_t{1} << kSlotBits;
    static constexpr uint64_t kMaxDelay = (uint64_t{1} << 32) - 1;
    // Ids at and above this name the wheel's own list heads; timer ids must
    // be below it.
    static constexpr uint32_t kFirstReservedId = 0xFFFFF000u;

    TimerWheel() = default;
    TimerWheel(const TimerWheel&) = delete;
    TimerWheel& operator=(const TimerWheel&) = delete;

    // Ticks up to and including now_tick count as already processed: a timer
    // scheduled for now_tick fires at the next advance(). Call once.
    void init(uint64_t now_tick, NodeOf node_of) {
        node_of_.emplace(std::move(node_of));
        now_ = now_tick;
        size_ = 0;
        for (uint32_t h = 0; h < kHeadCount; ++h) {
            heads_[h].next = heads_[h].prev = head_id(h);
            heads_[h].expires = 0;
        }
        for (auto& level : occupied_) level = {};
    }

    // (Re)schedules id for expires_tick. A deadline at or before the last
    // processed tick fires at the next advance().
    void schedule(uint32_t id, uint64_t expires_tick) {
        assert(id < kFirstReservedId);
        TimerNode& n = node(id);
        if (n.next != kNil) {
            unlink(id);
        } else {
            ++size_;
        }
        if (expires_tick <= now_) {
            n.expires = static_cast<uint32_t>(expires_tick);
            append(kDueHead, id);
            return;
        }
        if (expires_tick - now_ > kMaxDelay) expires_tick = now_ + kMaxDelay;
        n.expires = static_cast<uint32_t>(expires_tick);
        file(id, expires_tick);
    }

    // No-op if id is not scheduled.
    void cancel(uint32_t id) {
        assert(id < kFirstReservedId);
        if (node(id).next == kNil) return;
        unlink(id);
        --size_;
    }

    bool scheduled(uint32_t id) const { return (*node_of_)(id).next != kNil; }

    // Calls on_expire(id) for every timer whose deadline <= now_tick, in
    // deadline order (timers overdue when scheduled come first; equal
    // deadlines in scheduling order). A timer is unscheduled before its
    // callback runs; the callback may schedule or cancel any id, but must not
    // call advance(). Timers it schedules for a tick <= the one being
    // processed fire at the next advance(), so a callback cannot loop.
    template <class F>
    void advance(uint64_t now_tick, F&& on_expire) {
        fire(kDueHead, on_expire);
        while (now_ < now_tick) {
            const uint64_t next = next_event_tick();
            if (next > now_tick) {
                now_ = now_tick;
                break;
            }
            now_ = next;
            // At a level-L boundary the lower levels sit at slot 0, which
            // filing never uses (a timer goes to the byte where it differs
            // from now, so always ahead of now's slot): the order of the
            // cascades cannot matter. Top-down keeps that obviously true.
            // A cascaded timer due exactly now lands in level 0's current
            // slot and fires just below.
            if (static_cast<uint32_t>(now_) == 0) cascade(kFarHead);
            for (uint32_t level = kLevels - 1; level > 0; --level) {
                const uint32_t shift = level * kSlotBits;
                if ((now_ & ((uint64_t{1} << shift) - 1)) == 0) cascade(slot_head(level, now_));
            }
            fire(slot_head(0, now_), on_expire);
        }
    }

    uint32_t size() const { return size_; }
    // The last processed tick.
    uint64_t now() const { return now_; }

private:
    static constexpr uint32_t kWheelHeads = kLevels * kSlots;
    static constexpr uint32_t kFarHead = kWheelHeads;
    static constexpr uint32_t kDueHead = kWheelHeads + 1;
    static constexpr uint32_t kFiringHead = kWheelHeads + 2;
    static constexpr uint32_t kHeadCount = kWheelHeads + 3;
    static_assert(uint64_t{kFirstReservedId} + kHeadCount < kNil);

    static constexpr uint32_t head_id(uint32_t head) { return kFirstReservedId + head; }
    static uint32_t slot_head(uint32_t level, uint64_t tick) {
        return level * kSlots + static_cast<uint32_t>((tick >> (level * kSlotBits)) & (kSlots - 1));
    }

    TimerNode& node(uint32_t id) { return id >= kFirstReservedId ? heads_[id - kFirstReservedId] : (*node_of_)(id); }

    void append(uint32_t head, uint32_t id) {
        TimerNode& h = heads_[head];
        TimerNode& n = node(id);
        n.prev = h.prev;
        n.next = head_id(head);
        node(h.prev).next = id;
        h.prev = id;
    }

    void unlink(uint32_t id) {
        TimerNode& n = node(id);
        const uint32_t prev = n.prev;
        const uint32_t next = n.next;
        node(prev).next = next;
        node(next).prev = prev;
        n.next = n.prev = kNil;
        // prev == next only when both are the list head and the list is now empty.
        if (prev == next) {
            const uint32_t head = prev - kFirstReservedId;
            if (head < kWheelHeads) clear_occupied(head);
        }
    }

    // Files a timer by the highest byte in which deadline and now differ.
    // Requires now_ <= deadline < now_ + 2^32.
    void file(uint32_t id, uint64_t deadline) {
        const uint64_t diff = deadline ^ now_;
        if ((diff >> 32) != 0) {
            append(kFarHead, id);
            return;
        }
        const uint32_t level = diff == 0 ? 0 : (static_cast<uint32_t>(std::bit_width(diff)) - 1) / kSlotBits;
        const uint32_t head = slot_head(level, deadline);
        append(head, id);
        occupied_[head / kSlots][(head % kSlots) / 64] |= uint64_t{1} << (head % 64);
    }

    void clear_occupied(uint32_t head) {
        occupied_[head / kSlots][(head % kSlots) / 64] &= ~(uint64_t{1} << (head % 64));
    }

    bool empty(uint32_t head) const { return heads_[head].next == head_id(head); }

    // Re-files every timer of one list relative to now_ (which has reached
    // the list's start, so they all move to lower levels).
    void cascade(uint32_t head) {
        if (empty(head)) return;
        uint32_t id = heads_[head].next;
        heads_[head].next = heads_[head].prev = head_id(head);
        if (head < kWheelHeads) clear_occupied(head);
        while (id != head_id(head)) {
            TimerNode& n = node(id);
            const uint32_t following = n.next;
            const uint64_t deadline = now_ + static_cast<uint32_t>(n.expires - static_cast<uint32_t>(now_));
            file(id, deadline);
            id = following;
        }
    }

    // Moves a list onto the firing list, then pops and fires one timer at a
    // time, so a callback cancelling or rescheduling a timer still waiting
    // on the firing list just unlinks it from there.
    template <class F>
    void fire(uint32_t head, F& on_expire) {
        if (empty(head)) return;
        TimerNode& from = heads_[head];
        TimerNode& firing = heads_[kFiringHead];
        assert(firing.next == head_id(kFiringHead) && "advance() called from a timer callback");
        firing.next = from.next;
        firing.prev = from.prev;
        node(from.next).prev = head_id(kFiringHead);
        node(from.prev).next = head_id(kFiringHead);
        from.next = from.prev = head_id(head);
        if (head < kWheelHeads) clear_occupied(head);
        while (firing.next != head_id(kFiringHead)) {
            const uint32_t id = firing.next;
            unlink(id);
            --size_;
            on_expire(id);
        }
    }

    // The first tick after now_ at which a slot fires or cascades, or
    // UINT64_MAX if the wheel is empty. Every level-L timer lies in a slot
    // after now_'s position within the current level-(L+1) cycle, and any
    // such slot starts before every slot of higher levels, so the lowest
    // occupied level decides.
    uint64_t next_event_tick() const {
        for (uint32_t level = 0; level < kLevels; ++level) {
            const uint32_t shift = level * kSlotBits;
            const uint32_t pos = static_cast<uint32_t>((now_ >> shift) & (kSlots - 1));
            const uint32_t slot = first_occupied_after(occupied_[level], pos);
            if (slot != kNil) {
                const uint64_t cycle_start = (now_ >> (shift + kSlotBits)) << (shift + kSlotBits);
                return cycle_start | (uint64_t{slot} << shift);
            }
        }
        if (!empty(kFarHead)) return ((now_ >> 32) + 1) << 32;
        return UINT64_MAX;
    }

    static uint32_t first_occupied_after(const std::array<uint64_t, kSlots / 64>& bits, uint32_t pos) {
        const uint32_t start = pos + 1;
        if (start >= kSlots) return kNil;
        uint32_t word = start / 64;
        uint64_t w = bits[word] & (~uint64_t{0} << (start % 64));
        while (true) {
            if (w != 0) return word * 64 + static_cast<uint32_t>(std::countr_zero(w));
            if (++word == kSlots / 64) return kNil;
            w = bits[word];
        }
    }

    mutable std::optional<std::decay_t<NodeOf>> node_of_;  // decay: a plain function type works too
    std::array<TimerNode, kHeadCount> heads_{};
    std::array<std::array<uint64_t, kSlots / 64>, kLevels> occupied_{};
    uint64_t now_ = 0;
    uint32_t size_ = 0;
};

}  // namespace wsgate::core
