#include "core/timer_wheel.hpp"

#include <doctest/doctest.h>
#include "require_or_return.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <vector>

using namespace wsgate::core;

namespace {

struct NodesOf {
    std::vector<TimerNode>* nodes;
    TimerNode& operator()(uint32_t id) const { return (*nodes)[id]; }
};

using Wheel = TimerWheel<NodesOf>;

// A wheel over `count` records, and a log of what fired.
struct Timers {
    explicit Timers(uint64_t now, uint32_t count = 64) : nodes(count) { wheel.init(now, NodesOf{&nodes}); }

    // Advances to `tick`; returns the ids fired, in order.
    std::vector<uint32_t> advance(uint64_t tick) {
        std::vector<uint32_t> fired;
        wheel.advance(tick, [&](uint32_t id) {
            CHECK_FALSE(wheel.scheduled(id));  // unscheduled before its callback
            fired.push_back(id);
        });
        return fired;
    }

    // Expects `id` to fire exactly at `tick`: not one tick before.
    void expect_fires_at(uint32_t id, uint64_t tick) {
        CAPTURE(id);
        CAPTURE(tick);
        CHECK(advance(tick - 1).empty());
        CHECK(wheel.scheduled(id));
        CHECK(advance(tick) == std::vector<uint32_t>{id});
        CHECK_FALSE(wheel.scheduled(id));
    }

    std::vector<TimerNode> nodes;
    Wheel wheel;
};

using Ids = std::vector<uint32_t>;

}  // namespace

TEST_CASE("timer_wheel: a value-initialised node is unscheduled") {
    TimerNode n{};
    CHECK_FALSE(n.linked());
    n.next = 3;
    n.prev = 4;
    n.expires = 5;
    n.reset();
    CHECK(n.next == kNil);
    CHECK(n.prev == kNil);
    CHECK(n.expires == 0);
    Timers t(0);
    CHECK_FALSE(t.wheel.scheduled(0));
    CHECK(t.wheel.size() == 0);
}

TEST_CASE("timer_wheel: timers fire in deadline order, ties in scheduling order") {
    Timers t(1000);
    t.wheel.schedule(1, 1005);
    t.wheel.schedule(2, 1002);
    t.wheel.schedule(3, 1300);  // level 1
    t.wheel.schedule(4, 1005);
    t.wheel.schedule(5, 1001);
    CHECK(t.wheel.size() == 5);
    CHECK(t.advance(1000).empty());
    CHECK(t.advance(1004) == Ids{5, 2});
    CHECK(t.advance(1299) == Ids{1, 4});
    CHECK(t.advance(5000) == Ids{3});
    CHECK(t.wheel.size() == 0);
    CHECK(t.wheel.now() == 5000);
}

TEST_CASE("timer_wheel: each timer fires exactly at its tick, stepping one tick at a time") {
    Timers t(250, 40);
    const uint64_t deadlines[] = {251, 255, 256, 257, 300, 511, 512, 513, 767, 768, 1000, 65535, 65536, 65537, 70000};
    std::map<uint64_t, Ids> expected;
    for (uint32_t id = 0; id < std::size(deadlines); ++id) {
        t.wheel.schedule(id, deadlines[id]);
        expected[deadlines[id]].push_back(id);
    }
    for (uint64_t tick = 251; tick <= 70000; ++tick) {
        const Ids fired = t.advance(tick);
        const auto it = expected.find(tick);
        CAPTURE(tick);
        REQUIRE_OR_RETURN(fired == (it == expected.end() ? Ids{} : it->second));
    }
    CHECK(t.wheel.size() == 0);
}

TEST_CASE("timer_wheel: cancel removes a timer; cancelling twice is a no-op") {
    Timers t(0);
    t.wheel.schedule(1, 10);
    t.wheel.schedule(2, 10);
    t.wheel.schedule(3, 100000);
    t.wheel.cancel(1);
    t.wheel.cancel(1);
    t.wheel.cancel(7);  // never scheduled
    t.wheel.cancel(3);
    CHECK_FALSE(t.wheel.scheduled(1));
    CHECK(t.nodes[1].next == kNil);
    CHECK(t.wheel.size() == 1);
    CHECK(t.advance(1000000) == Ids{2});
    CHECK(t.wheel.size() == 0);
}

TEST_CASE("timer_wheel: rescheduling moves a timer, earlier or later") {
    Timers t(0);
    t.wheel.schedule(1, 50);
    t.wheel.schedule(1, 5000);  // later: a different level
    CHECK(t.wheel.size() == 1);
    CHECK(t.advance(4999).empty());
    t.wheel.schedule(1, 6000);
    t.wheel.schedule(1, 5001);  // earlier again
    t.expect_fires_at(1, 5001);
    CHECK(t.advance(10000).empty());
}

TEST_CASE("timer_wheel: a deadline already past fires at the next advance, even with no time passing") {
    Timers t(500);
    t.wheel.schedule(1, 500);
    t.wheel.schedule(2, 3);
    t.wheel.schedule(3, 501);
    CHECK(t.advance(500) == Ids{1, 2});
    CHECK(t.advance(501) == Ids{3});
}

TEST_CASE("timer_wheel: callbacks may reschedule the firing timer and cancel or add others") {
    Timers t(0);
    t.wheel.schedule(1, 10);
    t.wheel.schedule(2, 10);  // same tick as 1: cancelled by 1's callback before it fires
    t.wheel.schedule(3, 20);
    Ids fired;
    int repeats = 0;
    t.wheel.advance(100, [&](uint32_t id) {
        fired.push_back(id);
        if (id == 1 && repeats++ < 3) {
            t.wheel.schedule(1, t.wheel.now() + 25);  // a periodic timer
            t.wheel.cancel(2);
            t.wheel.schedule(4, t.wheel.now());  // already due: next advance, not now
            t.wheel.schedule(5, t.wheel.now() + 1);
        }
    });
    // 1 @10 -> (5 @11) 3 @20 -> 1 @35 -> 5 @36 -> 1 @60 -> 5 @61 -> 1 @85
    CHECK(fired == Ids{1, 5, 3, 1, 5, 1, 5, 1});
    CHECK(t.wheel.size() == 1);
    CHECK(t.wheel.scheduled(4));
    CHECK(t.advance(100) == Ids{4});
}

TEST_CASE("timer_wheel: a callback may reschedule a timer waiting on the same tick") {
    Timers t(0);
    t.wheel.schedule(1, 7);
    t.wheel.schedule(2, 7);
    t.wheel.advance(7, [&](uint32_t id) {
        CHECK(id == 1);
        t.wheel.schedule(2, 9);
    });
    t.expect_fires_at(2, 9);
}

TEST_CASE("timer_wheel: far deadlines wait in upper levels and cascade to the exact tick") {
    Timers t(12345);
    const uint64_t delays[] = {255, 256, 65535, 65536, 65537, 1u << 24, (1u << 24) + 1, 123456789, 0xffffffffu};
    for (const uint64_t delay : delays) {
        t.wheel.schedule(0, 12345 + delay);
        t.expect_fires_at(0, 12345 + delay);
        t.wheel.advance(12345 + delay, [](uint32_t) {});
        // Move back to a fresh wheel at the same start for the next delay.
        t.wheel.~Wheel();
        new (&t.wheel) Wheel();
        t.wheel.init(12345, NodesOf{&t.nodes});
    }
}

TEST_CASE("timer_wheel: deadlines beyond the range are clamped to kMaxDelay") {
    Timers t(100);
    t.wheel.schedule(1, 100 + (uint64_t{1} << 40));
    t.expect_fires_at(1, 100 + Wheel::kMaxDelay);
}

TEST_CASE("timer_wheel: the 32-bit wrap of stored deadlines") {
    const uint64_t start = 0xffffff00u;  // 256 ticks before 2^32
    Timers t(start);
    t.wheel.schedule(1, 0xffffffffu);
    t.wheel.schedule(2, uint64_t{1} << 32);
    t.wheel.schedule(3, (uint64_t{1} << 32) + 5);
    t.wheel.schedule(4, (uint64_t{1} << 32) + 70000);
    t.wheel.schedule(5, start + Wheel::kMaxDelay);  // crosses into the next epoch, nearly a full epoch ahead
    CHECK(t.nodes[3].expires == 5u);                // low 32 bits only
    t.expect_fires_at(1, 0xffffffffu);
    t.expect_fires_at(2, uint64_t{1} << 32);
    t.expect_fires_at(3, (uint64_t{1} << 32) + 5);
    t.expect_fires_at(4, (uint64_t{1} << 32) + 70000);
    t.expect_fires_at(5, start + Wheel::kMaxDelay);
    // And again a whole epoch later, far from zero.
    const uint64_t later = (uint64_t{7} << 32) - 3;
    t.advance(later);
    t.wheel.schedule(6, later + 10);
    t.expect_fires_at(6, later + 10);
}

TEST_CASE("timer_wheel: long idle gaps jump instead of walking every tick") {
    // Stepping per tick, these gaps (days to ~2000 years of 1 ms ticks) would
    // not finish inside the test timeout.
    Timers t(1);
    const uint64_t ten_minutes = 10 * 60 * 1000;
    t.wheel.schedule(1, 1 + ten_minutes);
    t.wheel.schedule(2, 1 + 3 * ten_minutes);
    CHECK(t.advance(1 + ten_minutes) == Ids{1});
    CHECK(t.advance(uint64_t{1} << 40) == Ids{2});
    CHECK(t.advance(uint64_t{1} << 46).empty());
    const uint64_t now = uint64_t{1} << 46;
    t.wheel.schedule(3, now + 3'000'000'000ull);  // ~35 days ahead
    t.expect_fires_at(3, now + 3'000'000'000ull);
}

TEST_CASE("timer_wheel: random schedules, cancels and jumps match a model") {
    constexpr uint32_t kIds = 300;
    const uint64_t starts[] = {0, 0xfff00000u, (uint64_t{5} << 32) - 100000};
    for (const uint64_t start : starts) {
        CAPTURE(start);
        Timers t(start, kIds);
        std::map<uint32_t, uint64_t> model;  // id -> deadline
        uint64_t rng = start ^ 0x9e3779b97f4a7c15ULL;
        auto next = [&rng] {
            rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
            return rng >> 11;
        };
        auto random_delay = [&]() -> uint64_t {
            switch (next() % 5) {
                case 0: return next() % 300;
                case 1: return next() % 70000;
                case 2: return next() % (uint64_t{1} << 26);
                case 3: return next() % (uint64_t{1} << 32);
                default: return 0;
            }
        };
        uint64_t now = start;
        for (int op = 0; op < 20000; ++op) {
            const uint32_t id = static_cast<uint32_t>(next() % kIds);
            const uint64_t r = next() % 10;
            if (r < 5) {
                const uint64_t deadline = now + random_delay() - (next() % 4 == 0 ? std::min<uint64_t>(now, 3) : 0);
                t.wheel.schedule(id, deadline);
                model[id] = deadline;
            } else if (r < 7) {
                t.wheel.cancel(id);
                model.erase(id);
            } else {
                const uint64_t target = now + random_delay() + (next() % 50 == 0 ? (uint64_t{1} << 33) : 0);
                const uint64_t before = now;
                const Ids fired = t.advance(target);
                now = std::max(now, target);
                // Everything due fired, exactly once, nothing else did.
                Ids expected;
                for (const auto& [mid, deadline] : model)
                    if (deadline <= now) expected.push_back(mid);
                Ids sorted_fired = fired;
                std::sort(sorted_fired.begin(), sorted_fired.end());
                REQUIRE_OR_RETURN(sorted_fired == expected);
                // Overdue ones first, then by deadline.
                uint64_t last = 0;
                bool past_overdue = false;
                for (const uint32_t f : fired) {
                    const uint64_t d = model[f];
                    if (d <= before) {
                        REQUIRE_OR_RETURN(!(past_overdue));
                    } else {
                        past_overdue = true;
                        REQUIRE_OR_RETURN(d >= last);
                        last = d;
                    }
                }
                for (const uint32_t f : fired) model.erase(f);
            }
            REQUIRE_OR_RETURN(t.wheel.size() == model.size());
            REQUIRE_OR_RETURN(t.wheel.scheduled(id) == (model.count(id) != 0));
        }
    }
}

TEST_CASE("timer_wheel: NodeOf may be a capturing lambda") {
    std::vector<TimerNode> nodes(4);
    auto node_of = [&nodes](uint32_t id) -> TimerNode& { return nodes[id]; };
    TimerWheel<decltype(node_of)> wheel;
    wheel.init(10, node_of);
    wheel.schedule(3, 12);
    CHECK(nodes[3].linked());
    Ids fired;
    wheel.advance(12, [&](uint32_t id) { fired.push_back(id); });
    CHECK(fired == Ids{3});
    CHECK_FALSE(nodes[3].linked());
}
