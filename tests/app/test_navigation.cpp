// Navigation in the viewer model (app/gui/model/actions.h) without a window: the frames most
// likely opened next (what the loader prefetches and the app renders ahead), rank-order stepping,
// frame ids with or without leading zeros. Expected orders are worked out by hand from the rule
// in actions.h: next by id, next suspicious, previous by id, previous suspicious, then two steps.
#include <catch2/catch.hpp>

#include "gui/model/actions.h"
#include "model_fixture.h"

using namespace needle::view;
using Frames = std::vector<std::size_t>;

namespace {
RankingData ranked(const Frames& order, std::size_t n) {
  RankingData r;
  r.position_of_frame.assign(n, -1);
  for (std::size_t k = 0; k < order.size(); ++k) {
    needle::FrameRank fr;
    fr.frame_index = order[k];
    fr.rank = static_cast<int>(k) + 1;
    r.rank.frames.push_back(fr);
    r.position_of_frame[order[k]] = static_cast<int>(k);
  }
  return r;
}
}  // namespace

TEST_CASE("likely next frames before the ranking: neighbours by id, nearest first",
          "[navigation]") {
  CHECK(likely_next_frames(5, 10, -1, nullptr) == Frames{6, 4, 7, 3});
  CHECK(likely_next_frames(0, 10, -1, nullptr) == Frames{1, 2});
  CHECK(likely_next_frames(9, 10, -1, nullptr) == Frames{8, 7});
  CHECK(likely_next_frames(0, 1, -1, nullptr).empty());
  CHECK(likely_next_frames(0, 0, -1, nullptr).empty());
}

TEST_CASE("likely next frames with a ranking interleave id and rank order", "[navigation]") {
  const RankingData r = ranked({7, 2, 9, 5}, 10);
  // Frame 2 is rank 2 (cursor 1): +1 id 3, next suspicious 9, -1 id 1, previous suspicious 7,
  // +2 id 4, rank+2 is 5, -2 id 0, rank-2 does not exist.
  CHECK(likely_next_frames(2, 10, 1, &r) == Frames{3, 9, 1, 7, 4, 5, 0});
  // Before the first rank (cursor -1): next suspicious is rank 1 (7), then rank 2 (2).
  CHECK(likely_next_frames(0, 10, -1, &r) == Frames{1, 7, 2});
  // Never the current frame, never twice: frame 3 with ranks [3, 1]: 4, (3 is current), 2,
  // (no previous rank), 5, 1, then 1 again is skipped.
  const RankingData r2 = ranked({3, 1}, 10);
  CHECK(likely_next_frames(3, 10, 0, &r2) == Frames{4, 1, 2, 5});
}

TEST_CASE("rank navigation steps through the ranking and stops at its ends", "[navigation]") {
  AppState s;
  needle::test::open_fake_session(s, 10, {7, 2, 9});
  prev_suspicious(s);  // from before the first: stays at rank 1
  CHECK(s.frame == 7);
  CHECK(s.rank_cursor == 0);
  next_suspicious(s);
  next_suspicious(s);
  CHECK(s.frame == 9);
  next_suspicious(s);  // past the last: stays
  CHECK(s.frame == 9);
  CHECK(rank_of_frame(s, 9) == 3);
  CHECK(rank_of_frame(s, 0) == 0);
  // Opening a ranked frame by id moves the rank cursor there; an unranked one keeps it.
  go_to_frame(s, 2);
  CHECK(s.rank_cursor == 1);
  go_to_frame(s, 4);
  CHECK(s.rank_cursor == 1);
  next_suspicious(s);
  CHECK(s.frame == 9);
  CHECK(likely_next_frames(s) == likely_next_frames(9, 10, 2, s.session->rank()));
}

TEST_CASE("frames open by id with or without leading zeros, and id steps stop at the ends",
          "[navigation]") {
  AppState s;
  needle::test::open_fake_session(s, 12, {});
  CHECK(go_to_frame_id(s, "000011"));
  CHECK(s.frame == 11);
  CHECK(go_to_frame_id(s, "7"));
  CHECK(s.frame == 7);
  CHECK(go_to_frame_id(s, "0010"));
  CHECK(s.frame == 10);
  CHECK_FALSE(go_to_frame_id(s, "12"));
  CHECK_FALSE(go_to_frame_id(s, ""));
  CHECK_FALSE(go_to_frame_id(s, "x7"));
  CHECK(s.frame == 10);
  last_frame(s);
  next_frame(s);
  CHECK(s.frame == 11);
  first_frame(s);
  prev_frame(s);
  CHECK(s.frame == 0);
  // Changing frame clears the selection and asks the list to show the new frame.
  s.selection.label = 3;
  s.scroll_list_to_current = false;
  next_frame(s);
  CHECK(s.selection.empty());
  CHECK(s.scroll_list_to_current);
}

TEST_CASE("selections need the object to exist in the loaded frame", "[navigation]") {
  AppState s;
  needle::test::open_fake_session(s, 3, {}, {"p"});
  CHECK_FALSE(select_label(s, 0));  // nothing loaded yet
  auto f = std::make_shared<LoadedFrame>();
  f->data.ann.labels.resize(2);
  f->data.ann.preds.resize(1);
  f->data.ann.preds[0].objects.resize(3);
  s.current = f;
  CHECK(select_label(s, 1));
  CHECK(s.selection.label == 1);
  CHECK(s.centre_on_selection);
  CHECK_FALSE(select_label(s, 2));
  CHECK_FALSE(select_label(s, -1));
  CHECK(select_prediction(s, 0, 2));
  CHECK(s.selection.label == -1);
  CHECK(s.selection.pred == 2);
  CHECK_FALSE(select_prediction(s, 1, 0));
  CHECK(find_prediction_set(s, "p") == 0);
  CHECK(find_prediction_set(s, "q") == -1);
  clear_selection(s);
  CHECK(s.selection.empty());
}
