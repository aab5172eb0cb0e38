// The map window's model (gui/model/map_view.h) without a window: box, fraction and lasso
// selections on hand-placed points, rarest-first order, the frame-list filter and its order,
// nearest-point picking; each expectation worked out by hand from the points below.
#include <catch2/catch.hpp>

#include "gui/model/map_view.h"
#include "model_fixture.h"

using namespace needle;
using namespace needle::view;

namespace {

// Five points on frames 0..3 of a 4-frame session:
//   i  ref              x   y   rare
//   0  000000/label/0   0   0   1.0
//   1  000000/label/1   1   0   2.0
//   2  000001/label/0   0   1   0.5
//   3  000002/label/0   3   3   4.0
//   4  000003/label/0   2   0.5 3.0
void place_points(AppState& s) {
  MapView& v = s.map;
  v.root = s.session->root;
  v.show = true;
  auto m = std::make_unique<DatasetMap>();
  const int frames[] = {0, 0, 1, 2, 3};
  const int index[] = {0, 1, 0, 0, 0};
  m->map.xy = {0, 0, 1, 0, 0, 1, 3, 3, 2, 0.5f};
  m->map.rare = {1.0f, 2.0f, 0.5f, 4.0f, 3.0f};
  m->map.n = 5;
  for (int i = 0; i < 5; ++i) {
    m->objects.items.push_back(
        {ObjectRef{test::frame_id(std::size_t(frames[i])), "label", index[i]}, "Car"});
    v.frame_of.push_back(std::size_t(frames[i]));
    v.class_of.push_back(0);
    v.finding_of.push_back("");
    v.dataset_of.push_back(0);
  }
  v.built = std::move(m);
  v.bounds = {0, 0, 3, 3};
  v.frame_in_selection.assign(4, 0);
}

}  // namespace

TEST_CASE("map view: selections, rarest-first order and the frame-list filter", "[map][model]") {
  test::FakeHost h;
  test::open_fake_session(h.s, 4, {0, 1, 2, 3});
  AppState& s = h.s;
  place_points(s);

  // Box [0, 1.5] x [-0.5, 0.75]: points 0 (0,0) and 1 (1,0); rarest first: 1 (2.0), 0 (1.0).
  CHECK(map_select_box(s, {1.5f, 0.75f, 0.0f, -0.5f}) == 2);
  CHECK(s.map.selected == std::vector<std::size_t>{1, 0});
  CHECK(map_filter_passes(s, 0));
  CHECK_FALSE(map_filter_passes(s, 1));
  CHECK(map_filtered_frames(s) == std::vector<std::size_t>{0});

  // Fractions of the bounds [0,3]^2: 0.5..1 -> [1.5, 3] x [0, 3]: points 3 (3,3) and 4 (2,0.5).
  CHECK(map_select_fraction(s, 0.5f, 0.0f, 1.0f, 1.0f) == 2);
  CHECK(s.map.selected == std::vector<std::size_t>{3, 4});
  CHECK(map_filtered_frames(s) == std::vector<std::size_t>{2, 3});

  // Lasso: the triangle (-0.5,-0.5) (2.5,-0.5) (-0.5,2.5) holds points with x + y < 2 (and
  // x, y > -0.5): 0 (0), 1 (1), 2 (1); not 4 (2.5) nor 3 (6).
  CHECK(map_select_lasso(s, {-0.5f, -0.5f, 2.5f, -0.5f, -0.5f, 2.5f}) == 3);
  CHECK(s.map.selected == std::vector<std::size_t>{1, 0, 2});
  // Frames by their rarest selected object: frame 0 (point 1, rare 2), frame 1 (point 2).
  CHECK(map_filtered_frames(s) == std::vector<std::size_t>{0, 1});

  // The 2 rarest: 3 (4.0), 4 (3.0).
  CHECK(map_select_rarest(s, 2) == 2);
  CHECK(s.map.selected == std::vector<std::size_t>{3, 4});
  // The filter off: every frame passes and the list keeps its own order.
  s.map.filter = false;
  CHECK(map_filter_passes(s, 1));
  CHECK(map_filtered_frames(s).empty());
  s.map.filter = true;
  map_clear_selection(s);
  CHECK(map_filter_passes(s, 1));
  CHECK(s.map.selected.empty());

  // Picking: (0.9, 0.1) is 0.14 from point 1 and 0.91 from point 0.
  CHECK(map_nearest(s, 0.9f, 0.1f, 0.5f) == 1);
  CHECK(map_nearest(s, 5.0f, 5.0f, 0.5f) == -1);
  CHECK(map_point_text(s, 3).rfind("000002/label/0  Car  rare 4.00", 0) == 0);
  // Opening selected object N past the end is an error naming the count.
  map_select_rarest(s, 1);
  CHECK_THAT(map_open_selected(s, 3), Catch::Contains("1 selected"));
}

TEST_CASE("map view: script verbs parse and wait for the map", "[map][model][commands]") {
  const Command* box = find_command("map.select_box");
  REQUIRE(box);
  CHECK(box->ready != nullptr);
  test::FakeHost h;
  test::open_fake_session(h.s, 4, {0, 1, 2, 3});
  CHECK_FALSE(box->ready(h.s));  // no map yet: a script waits
  place_points(h.s);
  CHECK(box->ready(h.s));
  CHECK(run_command(*box, h, {"0", "0", "0.5", "0.5"}).error.empty());
  CHECK(h.s.map.selected.size() == 3);  // (0,0) (1,0) (0,1) in [0,1.5]^2; rarest first
  CHECK(h.s.map.selected.front() == 1);
  CHECK_FALSE(run_command(*box, h, {"0", "0", "x", "1"}).error.empty());
  CHECK(run_command(*find_command("map.colour"), h, {"rarity"}).error.empty());
  CHECK(h.s.map.colour == MapColour::Rarity);
}
