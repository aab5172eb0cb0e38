// The frame loader's contract (app/gui/model/frame_loader.h) with a fake load function that
// records and gates every load, so no disk and no timing guesswork decide the outcome: the cache
// is bounded (LRU, never the frame asked for), prefetches load in wish-list order after the frame
// asked for, a frame asked for twice loads once, and a new wish list or a newer request replaces
// the old one.
#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "gui/model/frame_loader.h"

using needle::view::FrameLoader;
using needle::view::LoadedFrame;

namespace {

using namespace std::chrono_literals;
// Long enough for a worker to pick up a job that it should not; a bound, never a wait that
// passes only when the machine is fast.
constexpr auto kSettle = 50ms;
constexpr auto kTimeout = 10s;

// Loads that block until the test opens the gate; records the order in which they started.
class GatedLoads {
 public:
  FrameLoader::LoadFn fn() {
    return [this](std::size_t i) {
      std::unique_lock<std::mutex> lock(m_);
      started_.push_back(i);
      cv_.notify_all();
      cv_.wait(lock, [&] { return open_; });
      LoadedFrame f;
      f.index = i;
      f.id = std::to_string(i);
      return f;
    };
  }
  void open() {
    std::lock_guard<std::mutex> lock(m_);
    open_ = true;
    cv_.notify_all();
  }
  // Waits until `n` loads have started (false on timeout).
  bool wait_started(std::size_t n) {
    std::unique_lock<std::mutex> lock(m_);
    return cv_.wait_for(lock, kTimeout, [&] { return started_.size() >= n; });
  }
  std::vector<std::size_t> started() {
    std::lock_guard<std::mutex> lock(m_);
    return started_;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<std::size_t> started_;
  bool open_ = false;
};

// Loads that return at once, counting calls per frame.
struct CountedLoads {
  std::mutex m;
  std::vector<int> calls = std::vector<int>(100, 0);
  FrameLoader::LoadFn fn() {
    return [this](std::size_t i) {
      {
        std::lock_guard<std::mutex> lock(m);
        ++calls[i];
      }
      LoadedFrame f;
      f.index = i;
      return f;
    };
  }
  int count(std::size_t i) {
    std::lock_guard<std::mutex> lock(m);
    return calls[i];
  }
};

// Asks for frame i until it is cached (the UI asks once per frame the same way).
std::shared_ptr<const LoadedFrame> get_loaded(FrameLoader& l, std::size_t i) {
  const auto until = std::chrono::steady_clock::now() + kTimeout;
  while (std::chrono::steady_clock::now() < until) {
    if (auto f = l.get(i)) return f;
    std::this_thread::sleep_for(1ms);
  }
  return nullptr;
}

bool wait_idle(FrameLoader& l) {
  const auto until = std::chrono::steady_clock::now() + kTimeout;
  while (l.busy()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

}  // namespace

TEST_CASE("loader: the cache holds at most its capacity, evicting the least recently used",
          "[loader]") {
  CountedLoads loads;
  FrameLoader l(20, loads.fn(), 4, 1);
  for (std::size_t i = 0; i < 6; ++i) REQUIRE(get_loaded(l, i));
  CHECK(l.size() == 4);
  // 0 and 1 were used least recently.
  CHECK_FALSE(l.cached(0));
  CHECK_FALSE(l.cached(1));
  for (std::size_t i = 2; i < 6; ++i) CHECK(l.cached(i));
  // Using 2 again makes 3 the oldest: loading 6 evicts 3, not 2.
  REQUIRE(l.get(2));
  REQUIRE(get_loaded(l, 6));
  CHECK(l.cached(2));
  CHECK_FALSE(l.cached(3));
  // peek() neither asks for a frame nor counts as a use.
  CHECK(l.peek(4));
  CHECK_FALSE(l.peek(0));
  CHECK(l.size() == 4);
  // A frame still held by the UI survives its eviction (shared ownership).
  auto held = l.get(4);
  REQUIRE(held);
  for (std::size_t i = 10; i < 14; ++i) REQUIRE(get_loaded(l, i));
  CHECK_FALSE(l.cached(4));
  CHECK(held->index == 4);
}

TEST_CASE("loader: a frame asked for twice, or prefetched and asked for, loads once", "[loader]") {
  GatedLoads gate;
  FrameLoader l(10, gate.fn(), 8, 2);
  CHECK(l.get(3) == nullptr);
  REQUIRE(gate.wait_started(1));
  CHECK(l.get(3) == nullptr);  // in flight: not queued again
  l.prefetch({3});             // in flight: skipped
  std::this_thread::sleep_for(kSettle);
  CHECK(gate.started() == std::vector<std::size_t>{3});
  gate.open();
  REQUIRE(get_loaded(l, 3));
  l.prefetch({3, 4});
  REQUIRE(wait_idle(l));
  REQUIRE(get_loaded(l, 4));
  CHECK(gate.started() == std::vector<std::size_t>{3, 4});
}

TEST_CASE("loader: prefetches load in wish-list order, after the frame asked for", "[loader]") {
  GatedLoads gate;
  FrameLoader l(20, gate.fn(), 16, 1);
  l.set_prefetch_paused(true);  // as the UI does until the frame on screen is drawn
  l.prefetch({5, 3, 7});
  CHECK(l.get(9) == nullptr);
  REQUIRE(gate.wait_started(1));
  std::this_thread::sleep_for(kSettle);
  CHECK(gate.started() == std::vector<std::size_t>{9});  // paused: no prefetch started
  l.set_prefetch_paused(false);
  gate.open();
  REQUIRE(wait_idle(l));
  CHECK(gate.started() == std::vector<std::size_t>{9, 5, 3, 7});
}

TEST_CASE("loader: no prefetch starts while the frame asked for loads, even with idle workers",
          "[loader]") {
  GatedLoads gate;
  FrameLoader l(20, gate.fn(), 16, 2);
  CHECK(l.get(1) == nullptr);
  REQUIRE(gate.wait_started(1));
  l.prefetch({2, 3});
  std::this_thread::sleep_for(kSettle);
  CHECK(gate.started() == std::vector<std::size_t>{1});
  gate.open();
  REQUIRE(wait_idle(l));
  const auto s = gate.started();
  REQUIRE(s.size() == 3);
  CHECK(s[0] == 1);
}

TEST_CASE("loader: a new wish list replaces the old one, a newer request an older one",
          "[loader]") {
  GatedLoads gate;
  FrameLoader l(20, gate.fn(), 16, 1);
  CHECK(l.get(0) == nullptr);  // occupies the one worker
  REQUIRE(gate.wait_started(1));
  l.prefetch({1, 2, 3, 4});
  l.prefetch({7, 8});          // replaces 1..4 before any of them started
  CHECK(l.get(5) == nullptr);  // asked for while the worker is busy ...
  CHECK(l.get(6) == nullptr);  // ... and replaced by a newer request: 5 is never loaded
  gate.open();
  REQUIRE(wait_idle(l));
  CHECK(gate.started() == std::vector<std::size_t>{0, 6, 7, 8});
}

TEST_CASE("loader: prefetch honours at most half the capacity and ignores frames out of range",
          "[loader]") {
  CountedLoads loads;
  FrameLoader l(10, loads.fn(), 4, 1);
  l.prefetch({1, 99, 1, 2, 3, 4});  // 99 does not exist; duplicates count once
  REQUIRE(wait_idle(l));
  CHECK(loads.count(1) == 1);
  CHECK(loads.count(2) == 1);
  CHECK(loads.count(3) == 0);  // capacity 4: two prefetches at most
  CHECK(l.get(99) == nullptr);
  CHECK_FALSE(l.busy());
}

TEST_CASE("loader: clear() drops the cache and the wish list", "[loader]") {
  CountedLoads loads;
  FrameLoader l(10, loads.fn(), 8, 1);
  REQUIRE(get_loaded(l, 2));
  l.clear();
  CHECK(l.size() == 0);
  REQUIRE(get_loaded(l, 2));
  CHECK(loads.count(2) == 2);
}

TEST_CASE("loader: destruction waits for a load in progress and loads nothing more", "[loader]") {
  GatedLoads gate;
  std::thread opener;
  {
    FrameLoader l(10, gate.fn(), 8, 1);
    CHECK(l.get(1) == nullptr);
    l.prefetch({2, 3});
    REQUIRE(gate.wait_started(1));
    opener = std::thread([&] {
      std::this_thread::sleep_for(kSettle);
      gate.open();
    });
  }  // joins the worker, which finishes frame 1 and stops
  opener.join();
  CHECK(gate.started() == std::vector<std::size_t>{1});
}
