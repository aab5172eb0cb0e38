// The demo dataset for a bare `needle`: generated once into the user's cache folder
// (cache_dir()/demo-v1) on a background thread with progress, reused afterwards.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>

namespace needle::view {

// Where the demo lives; complete once it holds the ".complete" marker.
std::filesystem::path demo_dataset_dir();
bool demo_dataset_ready();

class DemoJob {
 public:
  DemoJob();   // starts generating into a temporary sibling folder, renamed when complete
  ~DemoJob();  // joins
  DemoJob(const DemoJob&) = delete;
  DemoJob& operator=(const DemoJob&) = delete;
  bool done() const { return done_.load(std::memory_order_acquire); }
  std::pair<std::size_t, std::size_t> progress() const {
    return {done_count_.load(), total_.load()};
  }
  const std::string& error() const { return error_; }  // valid once done(); empty on success

 private:
  std::atomic<bool> done_{false};
  std::atomic<std::size_t> done_count_{0}, total_{0};
  std::string error_;
  std::thread thread_;
};

}  // namespace needle::view
