// Find similar in the viewer without a window (gui/model/similar_view.h) on a small demo set:
// the background build is started once per dataset, its answer is the core's find_similar on
// the same dataset (the CLI's query path, computed here on its own), and a result goes into the
// current issue as one element, or opens its frame with the object selected.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "gui/model/actions.h"
#include "gui/model/review_actions.h"
#include "gui/model/similar_view.h"
#include "model_fixture.h"
#include "needle/demo.h"
#include "needle/similar.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using namespace needle;
using namespace needle::view;

namespace {

struct SimilarFixture {
  fs::path dir = test::temp_dir("similar_view");
  fs::path data = dir / "demo";
  AppState s;
  SimilarFixture() {
    // The descriptor cache goes to this test's folder, not the user's.
    ::setenv("XDG_CACHE_HOME", (dir / "cache").c_str(), 1);
    DemoOptions o;
    o.frames = 12;  // a few dozen objects: enough for 20 neighbours, quick to describe
    o.threads = 2;
    generate_demo(data, o);
    auto index =
        std::make_shared<const DatasetIndex>(scan_dataset(data, default_prediction_sets(data)));
    RankingData r;
    r.position_of_frame.assign(index->frames.size(), -1);
    auto session = std::make_unique<Session>();
    session->root = data;
    session->index = index;
    for (const auto& p : index->pred_sets) session->set_names.push_back(p.name);
    session->ranking = std::make_unique<RankingJob>(std::move(r));
    ReviewOptions opt;
    opt.store = dir / "store.sqlite";
    opt.store_for = data;
    session->review = open_review_session(opt, data, index);
    s.session = std::move(session);
    s.review_options = opt;
  }
  // Frame i as if loaded, label n selected.
  void select_label(std::size_t i, int n) {
    go_to_frame(s, i);
    auto f = std::make_shared<LoadedFrame>();
    f->index = i;
    s.current = f;
    s.selection.label = n;
  }
  bool wait_ready() {
    const auto t0 = std::chrono::steady_clock::now();
    while (!similar_ready(s)) {
      if (std::chrono::steady_clock::now() - t0 > std::chrono::seconds(120)) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      similar_tick(s);
    }
    return true;
  }
};

}  // namespace

TEST_CASE("find similar builds once in the background and answers as find_similar does",
          "[similar][review]") {
  SimilarFixture f;
  f.select_label(1, 0);
  const ObjectRef query{f.s.session->index->frames[1].id, "label", 0};
  REQUIRE(similar_find(f.s).empty());
  CHECK(f.s.similar.show);
  REQUIRE(f.wait_ready());
  CHECK(similar_progress(f.s) == 1.0);
  REQUIRE(f.s.similar.query == query);

  // The same query on spaces built here, without the view.
  const SimilarSpaces spaces = build_builtin_spaces(*f.s.session->index);
  const SimilarIndex objects(spaces.objects), frames(spaces.frames);
  const auto expected = find_similar(spaces, objects, frames, query, kSimilarTop);
  REQUIRE(expected);
  REQUIRE(expected->size() == kSimilarTop);  // the demo set has more than 20 other objects
  const std::vector<SimilarResult>& rows = f.s.similar.rows;
  REQUIRE(rows.size() == expected->size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    CHECK(rows[i].ref == (*expected)[i].ref);
    CHECK(rows[i].similarity == Approx((*expected)[i].similarity).margin(1e-6));
    CHECK(!(rows[i].ref == query));
    if (i > 0) CHECK(rows[i].similarity <= rows[i - 1].similarity);
  }

  // A second query reuses the built spaces: no new job, answered at once.
  f.select_label(2, 0);
  REQUIRE(similar_find(f.s).empty());
  CHECK(f.s.similar.job == nullptr);
  CHECK(similar_ready(f.s));
  CHECK(f.s.similar.query->frame == f.s.session->index->frames[2].id);
}

TEST_CASE("a similar result goes into the current issue, or opens its frame", "[similar][review]") {
  SimilarFixture f;
  f.select_label(0, 0);
  REQUIRE(similar_find(f.s).empty());
  REQUIRE(f.wait_ready());
  const std::vector<SimilarResult> rows = f.s.similar.rows;
  REQUIRE(rows.size() >= 3);

  // No current issue yet: nothing is written, and the reason is shown.
  CHECK_FALSE(similar_add(f.s, 0).empty());
  REQUIRE(review_new_issue(f.s, "look_alike").empty());
  REQUIRE(similar_add(f.s, 2).empty());
  const ReviewSession& r = *f.s.session->review;
  const IssueDetail* d = r.snapshot().issue("look_alike");
  REQUIRE(d);
  REQUIRE(d->elements.size() == 1);
  CHECK(d->elements[0].object.ref == rows[2].ref);
  CHECK(f.s.similar.cursor == 2);
  // Past the end: an error naming the count, the issue unchanged.
  CHECK(similar_add(f.s, rows.size()).find("past the end") != std::string::npos);
  CHECK(r.snapshot().issue("look_alike")->elements.size() == 1);

  REQUIRE(similar_open(f.s, 1).empty());
  CHECK(f.s.session->index->frames[f.s.frame].id == rows[1].ref.frame);
  REQUIRE(r.pending_select);
  CHECK(*r.pending_select == rows[1].ref);
}
