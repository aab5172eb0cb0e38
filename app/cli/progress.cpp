#include "cli/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace needle::cli {

ProgressBar::ProgressBar(std::string prefix)
    : prefix_(std::move(prefix)),
      tty_(isatty(STDERR_FILENO) == 1),
      start_(Clock::now()),
      last_(start_) {}

ProgressBar::~ProgressBar() {
  finish();
}

void ProgressBar::update(std::size_t done, std::size_t total, const char* stage) {
  if (!tty_ || total == 0) return;
  std::lock_guard lock(mutex_);
  const auto now = Clock::now();
  if (now - start_ < std::chrono::seconds(1)) return;
  if (shown_ && done < total && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(static_cast<double>(kWidth) * static_cast<double>(done) /
                                      static_cast<double>(total));
  std::string bar(static_cast<std::size_t>(std::clamp(filled, 0, kWidth)), '#');
  bar.resize(kWidth, '.');
  std::fprintf(stderr, "\r%s%s%s [%s] %zu/%zu", prefix_.c_str(), *stage ? ": " : "", stage,
               bar.c_str(), done, total);
  std::fflush(stderr);
  shown_ = true;
}

void ProgressBar::finish() {
  std::lock_guard lock(mutex_);
  if (shown_) std::fprintf(stderr, "\r\033[K");
  shown_ = false;
}

}  // namespace needle::cli
