// needle rank --shard / --merge (app/cli/shard.h): the map and reduce steps of a sharded ranking.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <unordered_map>

#include "cli/progress.h"
#include "cli/shard.h"
#include "needle/store.h"

namespace needle::cli {

namespace fs = std::filesystem;

void add_shard_options(CLI::App& app, ShardOptions& o) {
  app.add_option("--shard", o.shard,
                 "I/N: the map step over shard I (0..N-1) of N, contiguous in frame order; "
                 "needs --partial-out");
  app.add_option("--partial-out", o.partial_out, "The map step's partial file (with --shard)");
  app.add_option("--merge", o.merge,
                 "FILE...: the reduce step over the partial files of every shard (any order); "
                 "the output is the single run's")
      ->take_all();
}

std::string check_shard_options(const CLI::App& app, const ShardOptions& o,
                                const std::string& dataset,
                                const std::vector<std::string>& result_options) {
  if (o.merging()) {
    if (o.map() || !o.partial_out.empty())
      return "--merge is the reduce step: drop --shard and --partial-out";
    if (!dataset.empty())
      return "--merge reads the dataset's identity from the partial files: drop DATASET";
    for (const std::string& name : result_options)
      if (app.count(name) > 0)
        return "--merge takes " + name +
               " from the partial files (the map steps' options): "
               "drop it";
    return "";
  }
  if (dataset.empty()) return "DATASET is required (or --merge FILE...)";
  if (o.map() && o.partial_out.empty()) return "--shard needs --partial-out FILE";
  if (!o.map() && !o.partial_out.empty()) return "--partial-out needs --shard I/N";
  if (o.map()) {
    try {
      parse_shard_spec(o.shard);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
  }
  return "";
}

int rank_map_step(const DatasetIndex& ds, const std::string& dataset_arg,
                  const PipelineOptions& opt, const ShardOptions& o) {
  try {
    const ShardSpec shard = parse_shard_spec(o.shard);
    ProgressBar bar("needle rank");
    const RankMapStats st = write_rank_partial(
        ds, dataset_arg, opt, shard, o.partial_out,
        [&](const char* phase, std::size_t d, std::size_t t) { bar.update(d, t, phase); });
    bar.finish();
    std::fprintf(stderr, "needle rank: shard %zu/%zu: frames %zu-%zu (%zu) written to %s\n",
                 shard.index, shard.count, st.begin, st.end, st.frames, o.partial_out.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "needle rank: %s\n", e.what());
    return 1;
  }
}

int rank_merge_open(const ShardOptions& o, std::optional<PartialSet>& parts, PipelineOptions& opt,
                    DatasetIndex& ds) {
  try {
    std::vector<fs::path> files(o.merge.begin(), o.merge.end());
    parts = PartialSet::open(files, PartialKind::Rank);
    const PipelineOptions from = rank_options_from_lines(parts->header().options);
    opt.method = from.method;
    opt.evidence = from.evidence;
    opt.compare = from.compare;
    opt.min_finding_score = from.min_finding_score;
    ds = parts->index();
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "needle rank: --merge: %s\n", e.what());
    return 1;
  }
}

PipelineResult rank_merge_run(const PartialSet& parts, PipelineOptions opt,
                              const std::string& store_path, bool show_suppressed,
                              const PipelineProgress& progress) {
  // The review verdicts, resolved against the objects of the partial files (what the single
  // run's post_rank resolves against the label and prediction files).
  const std::string dataset_arg = parts.header().identity.dataset_arg;
  opt.post_rank = [&, dataset_arg](const DatasetIndex&, const std::vector<FrameAnnotations>& frames,
                                   RankResult& r) {
    try {
      const fs::path p =
          store_path.empty() ? default_store_path(dataset_arg) : fs::path(store_path);
      if (!fs::exists(p)) {  // as load_verdicts: no store, no verdicts (the counts still shown)
        apply_verdicts(r, {}, show_suppressed);
        return;
      }
      std::unordered_map<std::string, const FrameAnnotations*> by_id;
      for (const FrameAnnotations& a : frames) by_id.emplace(a.id, &a);
      // A streaming merge keeps no frames: the verdicts' frames are read from the parts (their
      // ids in one pass, then each frame when the store asks for it).
      std::unordered_map<std::string, std::size_t> index_of;
      std::vector<FrameAnnotations> loaded;  // the frame the store asked for last
      if (frames.empty() && parts.size() > 0) {
        constexpr std::size_t kChunk = 4096;
        for (std::size_t b = 0; b < parts.size(); b += kChunk)
          for (const FrameAnnotations& a : parts.load_frames(b, std::min(parts.size(), b + kChunk)))
            index_of.emplace(a.id, index_of.size());
      }
      const std::vector<std::string> sets = [&] {
        std::vector<std::string> s;
        for (const auto& ps : parts.header().identity.pred_sets) s.push_back(ps.name);
        return s;
      }();
      ObjectSource source = [&](const std::string& frame, const std::string& src)
          -> std::optional<std::vector<Object>> {
        const FrameAnnotations* a = nullptr;
        if (const auto it = by_id.find(frame); it != by_id.end()) {
          a = it->second;
        } else if (const auto jt = index_of.find(frame); jt != index_of.end()) {
          loaded = parts.load_frames(jt->second, jt->second + 1);
          if (!loaded.empty()) a = &loaded.front();
        }
        if (!a) return std::nullopt;
        if (src == "label") return a->labels;
        for (std::size_t s = 0; s < sets.size(); ++s)
          if (sets[s] == src)
            return s < a->preds.size() ? a->preds[s].objects : std::vector<Object>{};
        return std::nullopt;
      };
      ReviewStore store = ReviewStore::open(p, source, ReviewStore::Mode::Existing);
      std::vector<Verdict> verdicts;
      for (const VerdictRecord& v : store.verdicts())
        if (!v.object.orphaned) verdicts.push_back({v.object.ref, v.kind, v.verdict});
      apply_verdicts(r, verdicts, show_suppressed);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "needle rank: review verdicts not applied: %s\n", e.what());
    }
  };
  return merge_rank_partials(parts, opt, progress);
}

}  // namespace needle::cli
