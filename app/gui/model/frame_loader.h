// Background frame loading with prefetch and a bounded LRU cache.
//
// Contracts:
//  * The UI thread never waits on disk: get() returns the cached frame or nullptr (and queues the
//    frame at top priority); finished frames appear in the cache from worker threads.
//  * Workers produce CPU data only (LoadedFrame); GL uploads happen on the UI (GL) thread.
//  * The frame asked for with get() loads before any prefetch, and no prefetch starts while it
//    loads (a cold frame gets every core; the image decode runs beside the point cloud).
//  * At most `capacity` frames are cached; the least recently used one is evicted first, never
//    the frame most recently asked for with get(). Frames still shown keep living through their
//    shared_ptr even when evicted.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "gui/model/loaded_frame.h"
#include "needle/dataset.h"

namespace needle::view {

class FrameLoader {
 public:
  // Reads frame `i` of the dataset (load_viewer_frame); called on a worker thread, never throws.
  using LoadFn = std::function<LoadedFrame(std::size_t index)>;
  // on_loaded (optional) is called from a worker thread after each frame enters the cache, e.g.
  // to wake a UI loop that sleeps while the frame on screen loads.
  FrameLoader(std::shared_ptr<const DatasetIndex> ds, std::size_t capacity = 16,
              unsigned threads = 2, std::function<void()> on_loaded = {});
  // Frames 0..frame_count-1 produced by `load` (tests count and gate the loads with it).
  FrameLoader(std::size_t frame_count, LoadFn load, std::size_t capacity = 16, unsigned threads = 2,
              std::function<void()> on_loaded = {});
  ~FrameLoader();  // stops and joins the workers (a load in progress finishes first)
  FrameLoader(const FrameLoader&) = delete;
  FrameLoader& operator=(const FrameLoader&) = delete;

  // The frame if cached (marks it used); otherwise nullptr and it becomes the next to load.
  std::shared_ptr<const LoadedFrame> get(std::size_t index);
  // Replaces the prefetch wish list (most wanted first). Cached or loading frames are skipped;
  // at most capacity/2 entries are honoured so prefetch never evicts what is being looked at.
  void prefetch(const std::vector<std::size_t>& order);
  // While paused no prefetch starts (the UI pauses them until the frame on screen is drawn, so
  // that drawing it has the cores to itself). Loads asked for with get() are never paused.
  void set_prefetch_paused(bool paused);
  bool cached(std::size_t index) const;
  // The frame if cached, without marking it used or asking for it (nullptr otherwise).
  std::shared_ptr<const LoadedFrame> peek(std::size_t index) const;
  bool busy() const;  // a load is queued or in progress
  void clear();       // drops the cache (bench: measure cold loads)
  std::size_t size() const;
  std::size_t capacity() const { return capacity_; }

 private:
  struct Slot {
    std::shared_ptr<const LoadedFrame> frame;
    std::uint64_t last_use = 0;
  };
  void worker();
  std::optional<std::size_t> next_job_locked();
  void insert_locked(std::size_t index, std::shared_ptr<const LoadedFrame> f);

  const std::size_t frame_count_;
  const LoadFn load_;
  const std::size_t capacity_;
  const std::function<void()> on_loaded_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::size_t, Slot> cache_;
  std::optional<std::size_t> urgent_;            // the latest frame asked for and not cached
  std::optional<std::size_t> pinned_;            // the latest frame asked for (never evicted)
  std::optional<std::size_t> urgent_in_flight_;  // an asked-for frame being loaded now
  bool prefetch_paused_ = false;
  std::vector<std::size_t> prefetch_;
  std::set<std::size_t> in_flight_;
  std::uint64_t clock_ = 0;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace needle::view
