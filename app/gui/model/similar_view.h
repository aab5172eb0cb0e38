// "Find similar" in the viewer (issue #11 §4): for the selected label or prediction (or the
// frame), the most similar objects of the whole dataset (needle/similar.h), shown by the
// Similar window as a gallery of crops sorted by similarity; each result is one click or key
// from the current issue (review_actions.h, one store transaction). GL-free: the window only
// draws what SimilarView holds.
//
// The descriptor build runs once per dataset on a background thread (SimilarBuildJob, cached on
// disk like the lidar cache); similar_tick takes its result when done and answers the pending
// query with find_similar, the same query path as `needle similar`.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "needle/similar.h"
#include "needle/store.h"

namespace needle::view {

struct AppState;

// Results shown per query: the gallery's length (issue #11 asks for the top 20 in the bench).
inline constexpr std::size_t kSimilarTop = 20;

struct SimilarView {
  std::filesystem::path root;                      // the dataset the job / result belong to
  std::unique_ptr<SimilarBuildJob> job;            // running build; null before and after
  std::unique_ptr<SimilarBuildJob::Result> built;  // the spaces and indexes once built
  std::optional<ObjectRef> query;                  // the ref asked about
  bool answered = false;                           // `rows` answer `query`
  std::vector<SimilarResult> rows;                 // most similar first
  std::string problem;                             // why there are no rows ("" when answered)
  bool show = false;                               // the Similar window is open
  int cursor = 0;                                  // the gallery's cursor tile (row index)
};

// Asks for the objects most similar to review_target(s): starts the build for this dataset when
// none ran yet and opens the window. "" or the error (also in status_message).
std::string similar_find(AppState& s);
// Once per UI frame: takes a finished build, answers the pending query.
void similar_tick(AppState& s);
// The pending query is answered (or failed); scripts wait for this.
bool similar_ready(const AppState& s);
// Build progress in [0, 1] and its phase; 1 when built.
double similar_progress(const AppState& s, std::string* phase = nullptr);
// Row n (0-based) into the current issue / its frame opened with the object selected.
std::string similar_add(AppState& s, std::size_t n);
std::string similar_open(AppState& s, std::size_t n);

}  // namespace needle::view
