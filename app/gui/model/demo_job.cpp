#include "gui/model/demo_job.h"

#include <unistd.h>

#include <exception>
#include <fstream>

#include "gui/model/config.h"
#include "needle/demo.h"

namespace needle::view {

std::filesystem::path demo_dataset_dir() {
  return cache_dir() / "demo-v1";
}

bool demo_dataset_ready() {
  std::error_code ec;
  return std::filesystem::exists(demo_dataset_dir() / ".complete", ec);
}

DemoJob::DemoJob() {
  thread_ = std::thread([this] {
    namespace fs = std::filesystem;
    const fs::path final_dir = demo_dataset_dir();
    const fs::path tmp = final_dir.string() + ".partial-" + std::to_string(::getpid());
    try {
      std::error_code ec;
      fs::remove_all(tmp, ec);
      fs::create_directories(tmp);
      DemoOptions opt;
      opt.threads = 2;
      opt.progress = [this](std::size_t d, std::size_t t) {
        done_count_.store(d);
        total_.store(t);
      };
      generate_demo(tmp, opt);
      std::ofstream(tmp / ".complete") << "needle demo-v1\n";
      if (!demo_dataset_ready()) {      // else another process finished first: keep its copy
        fs::remove_all(final_dir, ec);  // an incomplete earlier attempt
        fs::rename(tmp, final_dir, ec);
        if (ec && !demo_dataset_ready())
          throw std::runtime_error("cannot move the demo into " + final_dir.string() + ": " +
                                   ec.message());
      }
      fs::remove_all(tmp, ec);
    } catch (const std::exception& e) {
      error_ = std::string("generating the demo dataset failed: ") + e.what();
      std::error_code ec;
      fs::remove_all(tmp, ec);
    }
    done_.store(true, std::memory_order_release);
  });
}

DemoJob::~DemoJob() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace needle::view
