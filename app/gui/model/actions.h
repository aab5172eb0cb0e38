// State changes shared by keyboard shortcuts, mouse clicks and scripts, so that all three do
// exactly the same thing. None of these touch GL or wait on disk.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "gui/model/app_state.h"

namespace needle::view {

// Opens a dataset (scan only; frames load in the background, ranking starts). With no prediction
// specs, every sub-folder of ROOT/pred/ becomes a prediction set. On failure the previous dataset
// stays open and the error is returned (also left in status_message).
bool open_dataset(AppState& s, const std::filesystem::path& root,
                  std::vector<PredictionSetSpec> preds, std::string* error = nullptr);

void go_to_frame(AppState& s, std::size_t index);
// By id: exact match, else the id that equals `id` left-padded with zeros. False when absent.
bool go_to_frame_id(AppState& s, const std::string& id);
void next_frame(AppState& s);
void prev_frame(AppState& s);
void first_frame(AppState& s);
void last_frame(AppState& s);
// Rank-order navigation; no-ops until the ranking is done. From the start, next opens rank 1.
void next_suspicious(AppState& s);
void prev_suspicious(AppState& s);

// The top-ranked label error: the first frame in rank order whose top finding is not
// invalid_data (broken files rank first, but the first thing worth showing is a label the engine
// doubts). Opens it and selects that finding as soon as the frame's data arrive. False (nothing
// changes) when unranked or no ranked frame qualifies.
bool go_to_first_label_error(AppState& s);
// Applies s.pending_finding once the current frame is loaded (call after refreshing s.current).
void apply_pending_selection(AppState& s);

// Replaces the ranking options and re-ranks the open dataset with them (the running job is
// cancelled; the rank cursor, filter and selection are reset since findings change).
void set_rank_options(AppState& s, const PipelineOptions& opt);

// The engine's findings of the current frame (empty when unranked or still ranking).
const std::vector<Finding>& current_findings(const AppState& s);
// Rank (1-based) of a frame, 0 when not ranked.
int rank_of_frame(const AppState& s, std::size_t index);

// Selections; return false when the index does not exist in the current (loaded) frame.
bool select_label(AppState& s, int index);
bool select_prediction(AppState& s, int set, int index);
bool select_finding(AppState& s, int index);
void clear_selection(AppState& s);

int find_prediction_set(const AppState& s, const std::string& name);  // -1 when absent

// Called when the current frame changes: asks the loader for neighbours by id and by rank.
void update_prefetch(AppState& s);
// Frames the user is most likely to open next, most likely first: next by id, next suspicious,
// previous by id, previous suspicious, then two steps away. Never the current frame; no repeats.
std::vector<std::size_t> likely_next_frames(const AppState& s);
// The same from its inputs: the current frame, the number of frames, the position in the rank
// list (-1 = before the first) and the ranking (null while ranking).
std::vector<std::size_t> likely_next_frames(std::size_t frame, std::size_t frame_count,
                                            int rank_cursor, const RankingData* ranking);

}  // namespace needle::view
