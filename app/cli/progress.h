// A one-line progress bar on stderr for the subcommands: drawn only when stderr is a terminal and
// only once the work has taken more than a second; at most ten redraws a second. Thread-safe
// (worker threads report progress). finish() (or the destructor) clears the line.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>

namespace needle::cli {

class ProgressBar {
 public:
  explicit ProgressBar(std::string prefix);  // e.g. "needle rank"
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // `stage` (may be empty) names the step, e.g. "loading".
  void update(std::size_t done, std::size_t total, const char* stage = "");
  void finish();

 private:
  using Clock = std::chrono::steady_clock;
  std::string prefix_;
  bool tty_;
  bool shown_ = false;
  Clock::time_point start_, last_;
  std::mutex mutex_;
};

}  // namespace needle::cli
