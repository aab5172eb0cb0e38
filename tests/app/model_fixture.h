// Test doubles for the viewer model (app/gui/model/): a CommandHost without a window and a
// dataset session built by hand (frame ids, prediction sets and a finished ranking), no files.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gui/model/app_state.h"
#include "gui/model/commands.h"

namespace needle::test {

struct FakeHost : view::CommandHost {
  view::AppState s;
  bool ready = true;  // frame_ready()
  bool shot_pending = false;
  std::vector<std::string> shots;
  std::vector<std::pair<int, int>> keys_pressed;
  std::string typed;
  std::vector<std::string> dropped;
  bool quit_called = false;
  int layout_resets = 0;

  view::AppState& state() override { return s; }
  bool frame_ready() const override { return ready; }
  void request_screenshot(const std::string& path) override {
    shots.push_back(path);
    shot_pending = true;
  }
  bool screenshot_pending() const override { return shot_pending; }
  void press_key(int key, int mods) override { keys_pressed.emplace_back(key, mods); }
  void type_text(const std::string& text) override { typed += text; }
  void drop_path(const std::string& path) override { dropped.push_back(path); }
  void quit() override { quit_called = true; }
  void reset_layout() override { ++layout_resets; }
};

// Frame ids "000000", "000001", ...
inline std::string frame_id(std::size_t i) {
  std::string id = std::to_string(i);
  return std::string(6 - id.size(), '0') + id;
}

// A session of `n` frames with the given prediction set names, ranked in `rank_order` (frame
// indices, most suspicious first); no loader thread and no files. Display settings are sized for
// the sets as open_dataset would.
inline void open_fake_session(view::AppState& s, std::size_t n,
                              const std::vector<std::size_t>& rank_order,
                              const std::vector<std::string>& sets = {"a", "b"}) {
  auto index = std::make_shared<DatasetIndex>();
  index->root = "/fake";
  for (std::size_t i = 0; i < n; ++i) {
    FrameFiles f;
    f.id = frame_id(i);
    index->frames.push_back(std::move(f));
  }
  view::RankingData r;
  r.position_of_frame.assign(n, -1);
  for (std::size_t k = 0; k < rank_order.size(); ++k) {
    FrameRank fr;
    fr.frame_index = rank_order[k];
    fr.frame = frame_id(rank_order[k]);
    fr.rank = static_cast<int>(k) + 1;
    r.rank.frames.push_back(fr);
    r.position_of_frame[rank_order[k]] = static_cast<int>(k);
  }
  auto session = std::make_unique<view::Session>();
  session->root = index->root;
  session->index = index;
  session->set_names = sets;
  session->ranking = std::make_unique<view::RankingJob>(std::move(r));
  s.session = std::move(session);
  s.display.show_pred.assign(sets.size(), 1);
  s.display.min_score.assign(sets.size(), 0.0f);
  s.frame = 0;
  s.rank_cursor = -1;
}

}  // namespace needle::test
