#include "gui/model/frame_loader.h"

#include <algorithm>

namespace needle::view {

FrameLoader::FrameLoader(std::shared_ptr<const DatasetIndex> ds, std::size_t capacity,
                         unsigned threads, std::function<void()> on_loaded)
    : FrameLoader(
          ds->frames.size(), [ds](std::size_t i) { return load_viewer_frame(*ds, i); }, capacity,
          threads, std::move(on_loaded)) {}

FrameLoader::FrameLoader(std::size_t frame_count, LoadFn load, std::size_t capacity,
                         unsigned threads, std::function<void()> on_loaded)
    : frame_count_(frame_count),
      load_(std::move(load)),
      capacity_(std::max<std::size_t>(capacity, 2)),
      on_loaded_(std::move(on_loaded)) {
  for (unsigned i = 0; i < std::max(threads, 1u); ++i) workers_.emplace_back([this] { worker(); });
}

FrameLoader::~FrameLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

std::shared_ptr<const LoadedFrame> FrameLoader::get(std::size_t index) {
  std::lock_guard<std::mutex> lock(mutex_);
  pinned_ = index;
  auto it = cache_.find(index);
  if (it != cache_.end()) {
    it->second.last_use = ++clock_;
    return it->second.frame;
  }
  if (index < frame_count_ && !in_flight_.count(index) && urgent_ != index) {
    urgent_ = index;
    cv_.notify_one();
  }
  return nullptr;
}

void FrameLoader::prefetch(const std::vector<std::size_t>& order) {
  std::lock_guard<std::mutex> lock(mutex_);
  prefetch_.clear();
  for (std::size_t i : order) {
    if (prefetch_.size() >= capacity_ / 2) break;
    if (i < frame_count_ && std::find(prefetch_.begin(), prefetch_.end(), i) == prefetch_.end())
      prefetch_.push_back(i);
  }
  cv_.notify_all();
}

void FrameLoader::set_prefetch_paused(bool paused) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (prefetch_paused_ == paused) return;
  prefetch_paused_ = paused;
  if (!paused) cv_.notify_all();
}

std::shared_ptr<const LoadedFrame> FrameLoader::peek(std::size_t index) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = cache_.find(index);
  return it == cache_.end() ? nullptr : it->second.frame;
}

bool FrameLoader::cached(std::size_t index) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return cache_.count(index) != 0;
}

bool FrameLoader::busy() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (urgent_ || !in_flight_.empty()) return true;
  for (std::size_t i : prefetch_)
    if (!cache_.count(i)) return true;
  return false;
}

void FrameLoader::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  cache_.clear();
  prefetch_.clear();
}

std::size_t FrameLoader::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return cache_.size();
}

std::optional<std::size_t> FrameLoader::next_job_locked() {
  if (urgent_) {
    const std::size_t i = *urgent_;
    urgent_.reset();
    if (!cache_.count(i) && !in_flight_.count(i)) {
      urgent_in_flight_ = i;
      return i;
    }
  }
  // While the frame on screen is loading, prefetches wait: it gets the cores to itself.
  if (urgent_in_flight_ || prefetch_paused_) return std::nullopt;
  for (std::size_t i : prefetch_)
    if (!cache_.count(i) && !in_flight_.count(i)) return i;
  return std::nullopt;
}

void FrameLoader::insert_locked(std::size_t index, std::shared_ptr<const LoadedFrame> f) {
  cache_[index] = Slot{std::move(f), ++clock_};
  while (cache_.size() > capacity_) {
    // Evict the least recently used frame, sparing the pinned one and wanted prefetches if
    // possible.
    auto victim = cache_.end();
    for (int pass = 0; pass < 2 && victim == cache_.end(); ++pass) {
      for (auto it = cache_.begin(); it != cache_.end(); ++it) {
        if (pinned_ == it->first) continue;
        if (pass == 0 &&
            std::find(prefetch_.begin(), prefetch_.end(), it->first) != prefetch_.end())
          continue;
        if (victim == cache_.end() || it->second.last_use < victim->second.last_use) victim = it;
      }
    }
    if (victim == cache_.end()) break;
    cache_.erase(victim);
  }
}

void FrameLoader::worker() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    std::optional<std::size_t> job;
    cv_.wait(lock, [&] { return stop_ || (job = next_job_locked()).has_value(); });
    if (stop_) return;
    const std::size_t index = *job;
    in_flight_.insert(index);
    lock.unlock();
    auto frame = std::make_shared<const LoadedFrame>(load_(index));
    lock.lock();
    in_flight_.erase(index);
    if (urgent_in_flight_ == index) {
      urgent_in_flight_.reset();
      cv_.notify_all();  // prefetches may start now
    }
    insert_locked(index, std::move(frame));
    if (on_loaded_) {
      lock.unlock();
      on_loaded_();
      lock.lock();
    }
  }
}

}  // namespace needle::view
