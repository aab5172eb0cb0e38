// Every enum with a spelling round-trips through its name table: value -> name -> value, and each
// expected spelling (written here by hand from the README's CLI options, the store's columns and
// the KITTI devkit's class names, not read from the tables) names the right value. An unknown
// name is rejected with the list of the valid ones.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "needle/dataset.h"
#include "needle/enum_names.h"
#include "needle/pipeline.h"
#include "needle/ranking.h"
#include "needle/store.h"
#include "needle/types.h"

using namespace needle;

namespace {

// Both directions of one enum against hand-written (value, spelling) pairs; `count` is the number
// of the enum's values, so a value added to the enum but not to its table fails here.
template <typename E, typename ToName, typename FromName>
void check_round_trip(const std::vector<std::pair<E, std::string>>& expected, std::size_t count,
                      ToName to_name, FromName from_name) {
  REQUIRE(expected.size() == count);
  for (std::size_t i = 0; i < count; ++i) {
    const E v = static_cast<E>(i);
    INFO("enum value " << i);
    bool listed = false;
    for (const auto& [ev, name] : expected)
      if (ev == v) {
        listed = true;
        CHECK(std::string(to_name(v)) == name);
        CHECK(from_name(name) == v);
      }
    CHECK(listed);
  }
}

std::string thrown_message(void (*f)()) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("RankMethod, Evidence, ElementState, VerdictKind, PredStatus round-trip",
          "[enum_names]") {
  check_round_trip<RankMethod>({{RankMethod::Needle, "needle"},
                                {RankMethod::Mistakenness, "mistakenness"},
                                {RankMethod::ObjectLab, "objectlab"}},
                               3, rank_method_name, parse_rank_method);
  check_round_trip<Evidence>(
      {{Evidence::All, "all"}, {Evidence::Lidar, "lidar"}, {Evidence::Predictions, "predictions"}},
      3, evidence_name, parse_evidence);
  check_round_trip<ElementState>({{ElementState::Unsorted, "unsorted"},
                                  {ElementState::Added, "added"},
                                  {ElementState::Discarded, "discarded"}},
                                 3, element_state_name, parse_element_state);
  check_round_trip<VerdictKind>({{VerdictKind::LabelError, "label_error"},
                                 {VerdictKind::ModelError, "model_error"},
                                 {VerdictKind::Ambiguous, "ambiguous"},
                                 {VerdictKind::NotAnError, "not_an_error"}},
                                4, verdict_name, parse_verdict);
  // PredStatus is only ever written (reports, the UI): its table is read back here.
  check_round_trip<PredStatus>({{PredStatus::Missing, "missing"},
                                {PredStatus::Empty, "empty"},
                                {PredStatus::Present, "present"},
                                {PredStatus::Invalid, "invalid"}},
                               4, pred_status_name, [](const std::string& s) {
                                 return enum_from_name(kPredStatusTable, s).value();
                               });
}

TEST_CASE("ObjectClass round-trips with KITTI's spellings", "[enum_names]") {
  check_round_trip<ObjectClass>({{ObjectClass::Car, "Car"},
                                 {ObjectClass::Van, "Van"},
                                 {ObjectClass::Truck, "Truck"},
                                 {ObjectClass::Pedestrian, "Pedestrian"},
                                 {ObjectClass::PersonSitting, "Person_sitting"},
                                 {ObjectClass::Cyclist, "Cyclist"},
                                 {ObjectClass::Tram, "Tram"},
                                 {ObjectClass::Misc, "Misc"},
                                 {ObjectClass::DontCare, "DontCare"},
                                 {ObjectClass::Unknown, "Unknown"}},
                                10, class_name,
                                [](const std::string& s) { return parse_class(s); });
  CHECK(parse_class("car") == ObjectClass::Unknown);  // exact spelling only
  CHECK(parse_class("Bus") == ObjectClass::Unknown);
}

TEST_CASE("unknown names are rejected with the valid ones listed", "[enum_names]") {
  CHECK(thrown_message([] { parse_rank_method("best"); }) ==
        "unknown method 'best' (expected needle, mistakenness or objectlab)");
  CHECK(thrown_message([] { parse_evidence("radar"); }) ==
        "unknown --evidence 'radar' (expected lidar, predictions or all)");
  CHECK(thrown_message([] { parse_element_state("kept"); }) ==
        "unknown state 'kept' (expected unsorted, added or discarded)");
  CHECK(thrown_message([] { parse_verdict("wrong"); }) ==
        "unknown verdict 'wrong' (expected label_error, model_error, ambiguous or not_an_error)");
  CHECK(thrown_message([] { parse_verdict("Label_Error"); }) != "");  // case-sensitive
  CHECK_FALSE(enum_from_name(kPredStatusTable, "").has_value());
  // A value outside the table (a cast from a corrupt number) gets the caller's fallback.
  CHECK(std::string(rank_method_name(static_cast<RankMethod>(7))) == "?");
  CHECK(std::string(verdict_name(static_cast<VerdictKind>(9))) == "ambiguous");
}
