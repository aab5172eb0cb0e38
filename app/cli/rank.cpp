// needle rank — rank frames by how suspicious their labels are (or, with --compare, by how much
// a new model regressed). Exit codes: 0 ok, 2 usage error, 1 data error that stops the run
// (dataset folder missing, no frames, unreadable truth file). Bad frames are reported on stderr,
// skipped by the scoring and listed as invalid_data findings.
//
// Index
//   [SECTION] Heap set-up
//   [SECTION] Truth file (read_injected of needle/demo.h)
//   [SECTION] Output: JSON, CSV, text
//   [SECTION] Command
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/open_dataset.h"
#include "cli/progress.h"
#include "cli/shard.h"
#include "needle/dataset.h"
#include "needle/demo.h"
#include "needle/pipeline.h"
#include "needle/ranking.h"
#include "needle/ranking_quality.h"
#include "needle/store.h"

namespace needle::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// ============================================================================================
// [SECTION] Heap set-up
// ============================================================================================
// A whole-dataset run touches ~100+ MB of fresh memory; on virtual machines each 4 KiB page fault
// costs ~10-15 us, about a third of the run. glibc can back its heaps with transparent huge pages
// and keep one heap for all threads
// (GLIBC_TUNABLES=glibc.malloc.hugetlb=1:glibc.malloc.arena_max=1), which cuts the faults ~10x, but
// reads the setting only at start-up: so `needle rank` re-executes itself once with it.
// NEEDLE_RANK_TUNED (set for the child) stops the loop and opts out.
void reexec_with_heap_tunables(int argc, char** argv) {
  if (std::getenv("NEEDLE_RANK_TUNED")) return;
  setenv("NEEDLE_RANK_TUNED", "1", 1);
  std::string t = std::getenv("GLIBC_TUNABLES") ? std::getenv("GLIBC_TUNABLES") : "";
  t += std::string(t.empty() ? "" : ":") + "glibc.malloc.hugetlb=1:glibc.malloc.arena_max=1";
  setenv("GLIBC_TUNABLES", t.c_str(), 1);
  std::vector<char*> args;
  static char self[] = "/proc/self/exe", sub[] = "rank";
  args.push_back(self);
  args.push_back(sub);
  for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);
  execv(self, args.data());  // returns only on failure: then run without the tunables
}

// ============================================================================================
// [SECTION] Truth file
// ============================================================================================
// OUT_DIR/injected.json of a demo dataset: {"errors": [{"frame", "kind", "label", "magnitude",
// "unit", "size_bin", ...}, ...]} (the size fields are optional).
std::vector<TruthEntry> read_truth(const fs::path& p) {
  if (!fs::is_regular_file(p)) throw std::runtime_error("truth file not found: " + p.string());
  std::vector<TruthEntry> out;
  for (const InjectedError& e : read_injected(p))
    out.push_back({e.frame, e.kind, e.label, e.magnitude, e.unit, e.size_bin});
  return out;
}

// ============================================================================================
// [SECTION] Output: JSON, CSV, text
// ============================================================================================
double round4(double v) {
  return std::round(v * 1e4) / 1e4;
}

json opt_num(const std::optional<double>& v) {
  return v ? json(round4(*v)) : json(nullptr);
}
json opt_str(const std::string& s) {
  return s.empty() ? json(nullptr) : json(s);
}
json opt_idx(int i) {
  return i < 0 ? json(nullptr) : json(i);
}

json figures_json(const RankingFigures& f) {
  return {{"truth_frames", f.truth_frames},
          {"k", f.truth_frames},
          {"hits_at_k", f.hits_at_k},
          {"recall_at_k", round4(f.recall_at_k)},
          {"average_precision", round4(f.average_precision)}};
}

json quality_json(const RankingQuality& q) {
  json per = json::object();
  for (const auto& [k, f] : q.per_kind) per[k] = figures_json(f);
  json bins = json::object();
  for (const auto& [b, f] : q.per_bin) bins[b] = figures_json(f);
  json kind_bins = json::object();
  for (const auto& [k, m] : q.per_kind_bin)
    for (const auto& [b, f] : m) kind_bins[k][b] = figures_json(f);
  return {{"all", figures_json(q.all)},
          {"label_errors", figures_json(q.label_errors)},
          {"invalid_data", figures_json(q.invalid_data)},
          {"per_kind", per},
          {"per_bin", bins},
          {"per_kind_bin", kind_bins}};
}

json finding_json(const Finding& f) {
  return {{"kind", f.kind},
          {"score", round4(f.score)},
          {"label", opt_idx(f.label)},
          {"prediction", opt_idx(f.prediction)},
          {"prediction_set", opt_str(f.prediction_set)},
          {"class", opt_str(f.cls)},
          {"predicted_class", opt_str(f.predicted_class)},
          {"confidence", opt_num(f.confidence)},
          {"iou_2d", opt_num(f.iou_2d)},
          {"iou_bev", opt_num(f.iou_bev)},
          {"iou_3d", opt_num(f.iou_3d)},
          {"reason", f.reason}};
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) {
    if (c == '"') o += '"';
    o += c;
  }
  return o + "\"";
}

std::string num_or_empty(const std::optional<double>& v) {
  if (!v) return "";
  char b[32];
  std::snprintf(b, sizeof b, "%.4f", *v);
  return b;
}

void write_quality_text(std::ostream& o, const RankingQuality& q) {
  auto line = [&](const std::string& name, const RankingFigures& f) {
    char b[200];
    std::snprintf(b, sizeof b, "  %-21s K=%-5ld recall@K %.3f (%ld/%ld)  AP %.3f\n", name.c_str(),
                  f.truth_frames, f.recall_at_k, f.hits_at_k, f.truth_frames, f.average_precision);
    o << b;
  };
  o << "ranking quality against the truth file:\n";
  line("all", q.all);
  line("label errors", q.label_errors);
  line("invalid data", q.invalid_data);
  for (const auto& [k, f] : q.per_kind) line(k, f);
  if (q.per_bin.empty()) return;
  o << "by error size (label errors; subtle/gross as in injected.json):\n";
  for (const auto& [b, f] : q.per_bin) line(b, f);
  for (const auto& [k, m] : q.per_kind_bin)
    for (const auto& [b, f] : m) line(k + "/" + b, f);
}

void write_text(std::ostream& o, const RankResult& r, std::size_t shown, const std::string& method,
                const std::optional<RankingQuality>& q) {
  char b[256];
  std::snprintf(b, sizeof b, "needle rank (%s): %ld frames, %ld suspicious, %ld findings\n",
                method.c_str(), r.summary.count("frames") ? r.summary.at("frames") : 0L,
                static_cast<long>(r.frames.size()),
                r.summary.count("findings") ? r.summary.at("findings") : 0L);
  o << b;
  if (shown > 0) o << "\n rank  frame        score  findings\n";
  for (std::size_t i = 0; i < shown; ++i) {
    const FrameRank& fr = r.frames[i];
    std::snprintf(b, sizeof b, "%5d  %-10s  %5.3f  %zu\n", fr.rank, fr.frame.c_str(), fr.score,
                  fr.findings.size());
    o << b;
    constexpr std::size_t kPerFrame = 5;
    for (std::size_t k = 0; k < fr.findings.size() && k < kPerFrame; ++k) {
      const Finding& f = fr.findings[k];
      std::snprintf(b, sizeof b, "         %5.3f  %-21s ", f.score, f.kind.c_str());
      o << b << f.reason << "\n";
    }
    if (fr.findings.size() > kPerFrame)
      o << "         ... " << fr.findings.size() - kPerFrame << " more\n";
  }
  if (shown < r.frames.size())
    o << "(" << r.frames.size() - shown << " more frames not shown; --top K)\n";
  bool any = false;
  for (const auto& [k, v] : r.summary) {
    const bool review =
        (k == "suppressed" || k == "confirmed_label_errors") && v > 0;  // [issue 11]
    if (!review && k.rfind("kind:", 0) != 0 && k.rfind("regressions", 0) != 0 &&
        k.rfind("fixes", 0) != 0)
      continue;
    o << (any ? ", " : "\nsummary: ") << k << " " << v;
    any = true;
  }
  if (any) o << "\n";
  if (q) {
    o << "\n";
    write_quality_text(o, *q);
  }
}

// ============================================================================================
// [SECTION] Command
// ============================================================================================
int usage_error(const std::string& msg) {
  std::fprintf(stderr, "needle rank: %s\nRun 'needle rank --help' for usage.\n", msg.c_str());
  return 2;
}

}  // namespace

int cmd_rank(int argc, char** argv) {
  reexec_with_heap_tunables(argc, argv);
  CLI::App app{
      "Rank the frames of a KITTI-style dataset by how suspicious their labels are, from the "
      "disagreements between labels and one or more prediction sets. With --compare OLD,NEW "
      "rank by regressions of NEW against OLD instead.",
      "needle rank"};
  std::string dataset, method = "needle", format = "text", out_file, compare, truth_file;
  std::string evidence = "all";
  bool no_cache = false;
  std::vector<std::string> preds;
  long top = -1;
  unsigned threads = 0;
  double min_score = RankOptions{}.min_finding_score;
  app.add_option("DATASET", dataset,
                 "Dataset folder (holding image_2/ label_2/ ... or training/); not with --merge");
  app.add_option("--pred", preds,
                 "Prediction set [NAME=]DIR (repeatable; default: every DATASET/pred/<name>/)")
      ->take_all();
  app.add_option("--method", method, "needle | mistakenness | objectlab")->capture_default_str();
  app.add_option("--format", format, "json | csv | text")->capture_default_str();
  app.add_option("--top", top, "Only the first K frames")->check(CLI::NonNegativeNumber);
  app.add_option("--out", out_file, "Write the result to FILE instead of stdout");
  app.add_option("--compare", compare,
                 "OLD,NEW: rank by regressions of prediction set NEW against OLD");
  app.add_option("--truth", truth_file, "injected.json of a demo dataset: report recall@K and AP");
  app.add_option("--threads", threads, "Worker threads (0 = all cores)")->capture_default_str();
  app.add_option("--min-score", min_score, "Drop findings scoring below this")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  // [issue 11] review store: findings with the verdict not_an_error are left out (counted).
  std::string store_path;
  bool show_suppressed = false;
  app.add_option("--store", store_path,
                 "Review store with verdicts (default: the dataset's, see `needle review`)");
  app.add_flag("--show-suppressed", show_suppressed,
               "Keep findings whose verdict is not_an_error (still counted as suppressed)");
  app.add_option("--evidence", evidence,
                 "Witnesses of the needle method: lidar (the scans alone), predictions (the "
                 "prediction sets alone) or all")
      ->capture_default_str();
  app.add_flag("--no-cache", no_cache,
               "Neither read nor write the lidar results cache ($XDG_CACHE_HOME/needle/lidar)");
  ShardOptions shard;  // [issue 13] --shard/--partial-out (map step), --merge (reduce step)
  add_shard_options(app, shard);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  if (std::string e = check_shard_options(
          app, shard, dataset, {"--pred", "--method", "--evidence", "--compare", "--min-score"});
      !e.empty())
    return usage_error(e);

  PipelineOptions opt;
  try {
    opt.method = parse_rank_method(method);
    opt.evidence = parse_evidence(evidence);
  } catch (const std::invalid_argument& e) {
    return usage_error(e.what());
  }
  if (format != "json" && format != "csv" && format != "text")
    return usage_error("unknown --format '" + format + "' (expected json, csv or text)");
  if (opt.evidence == Evidence::Lidar && !preds.empty())
    return usage_error("--evidence lidar ranks without prediction sets: drop --pred");
  opt.compare = compare;
  opt.threads = threads;
  opt.min_finding_score = min_score;
  opt.lidar_cache = !no_cache;
  if (std::string e = check_pipeline_options(opt); !e.empty()) return usage_error(e);

  std::vector<PredictionSetSpec> explicit_specs;
  for (const std::string& p : preds) {
    try {
      explicit_specs.push_back(parse_prediction_spec(p));
    } catch (const std::invalid_argument& e) {
      return usage_error(e.what());
    }
  }
  const std::vector<PredictionSetSpec> specs =
      shard.merging() ? explicit_specs : pipeline_prediction_sets(dataset, explicit_specs, opt);
  if (explicit_specs.empty() && !shard.merging()) {
    // No --pred: the sets the dataset carries in DATASET/pred/<name>/ (as `needle demo` writes).
    for (const auto& s : specs)
      std::fprintf(stderr, "needle rank: using prediction set %s=%s\n", s.name.c_str(),
                   s.dir.string().c_str());
  }
  std::vector<TruthEntry> truth;
  if (!truth_file.empty()) {
    try {
      truth = read_truth(truth_file);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "needle rank: %s\n", e.what());
      return 1;
    }
  }

  DatasetIndex ds;
  std::optional<PartialSet> parts;  // --merge
  if (shard.merging()) {
    if (int rc = rank_merge_open(shard, parts, opt, ds); rc != 0) return rc;
  } else if (!open_dataset("needle rank", dataset, specs, ds)) {
    return 1;
  }
  if (shard.map()) return rank_map_step(ds, dataset, opt, shard);

  // [issue 11] review verdicts: the one place where the store meets the ranking (the pipeline's
  // post-rank step). A store that cannot be read is reported and the ranking goes on without them.
  opt.post_rank = [&](const DatasetIndex& index, const std::vector<FrameAnnotations>&,
                      RankResult& r) {
    try {
      apply_verdicts(r, load_verdicts(index, dataset, store_path), show_suppressed);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "needle rank: review verdicts not applied: %s\n", e.what());
    }
  };

  // Load, quick checks, the lidar witness (needle method; cached), rank: pipeline.h.
  ProgressBar progress("needle rank");
  std::string phase_shown;
  std::mutex phase_mutex;  // workers of one phase report concurrently
  const PipelineProgress show = [&](const char* phase, std::size_t d, std::size_t t) {
    if (std::strcmp(phase, "ranking") == 0) return;  // quick: no bar
    std::lock_guard<std::mutex> lock(phase_mutex);
    if (phase_shown != phase) {
      if (!phase_shown.empty()) progress.finish();
      phase_shown = phase;
    }
    progress.update(d, t, phase);
  };
  PipelineResult run = parts ? rank_merge_run(*parts, opt, store_path, show_suppressed, show)
                             : run_pipeline(ds, opt, show);
  if (!phase_shown.empty()) progress.finish();
  if (run.status != PipelineStatus::Ok) {
    if (run.options_error) return usage_error(run.error);
    std::fprintf(stderr, "needle rank: %s\n", run.error.c_str());
    return 1;
  }
  // Broken image/velodyne files (quick_check_media), then what the lidar pass found.
  constexpr std::size_t kListed = 20;
  for (std::size_t i = 0; i < run.load_problems.size() && i < kListed; ++i)
    std::fprintf(stderr, "needle rank: frame %s: %s\n",
                 run.frames[run.load_problems[i].frame].id.c_str(),
                 run.load_problems[i].problem.to_string().c_str());
  if (run.load_problems.size() > kListed)
    std::fprintf(stderr, "needle rank: ... %zu more problems\n",
                 run.load_problems.size() - kListed);
  for (const FrameProblem& p : run.lidar_problems)
    std::fprintf(stderr, "needle rank: frame %s: %s\n", run.frames[p.frame].id.c_str(),
                 p.problem.to_string().c_str());
  for (const std::string& w : run.warnings) std::fprintf(stderr, "needle rank: %s\n", w.c_str());

  const RankResult& result = run.rank;
  const std::vector<std::string>& names = run.set_names;
  std::optional<RankingQuality> quality;
  if (!truth_file.empty()) quality = evaluate_ranking(result, truth);

  const std::size_t shown =
      top >= 0 ? std::min<std::size_t>(static_cast<std::size_t>(top), result.frames.size())
               : result.frames.size();
  const std::string& method_name = run.method_name;

  std::ofstream file;
  if (!out_file.empty()) {
    file.open(out_file, std::ios::binary);
    if (!file) {
      std::fprintf(stderr, "needle rank: cannot write %s\n", out_file.c_str());
      return 1;
    }
  }
  std::ostream& o = out_file.empty() ? std::cout : file;

  if (format == "json") {
    json jf = json::array();
    for (std::size_t i = 0; i < shown; ++i) {
      const FrameRank& fr = result.frames[i];
      json fs = json::array();
      for (const Finding& f : fr.findings) fs.push_back(finding_json(f));
      jf.push_back({{"frame", fr.frame},
                    {"rank", fr.rank},
                    {"score", round4(fr.score)},
                    {"findings", std::move(fs)}});
    }
    json summary = json::object();
    for (const auto& [k, v] : result.summary) summary[k] = v;
    summary["method"] = method_name;
    summary["dataset"] = ds.root.string();
    summary["prediction_set_names"] = names;
    if (run.compare_old >= 0)
      summary["compare"] = {{"old", names[static_cast<std::size_t>(run.compare_old)]},
                            {"new", names[static_cast<std::size_t>(run.compare_new)]}};
    if (quality) summary["quality"] = quality_json(*quality);
    o << json{{"frames", std::move(jf)}, {"summary", std::move(summary)}}.dump(1) << "\n";
  } else if (format == "csv") {
    o << "frame,rank,frame_score,kind,score,label,prediction,prediction_set,class,predicted_class,"
         "confidence,iou_2d,"
         "iou_bev,iou_3d,reason\n";
    for (std::size_t i = 0; i < shown; ++i) {
      const FrameRank& fr = result.frames[i];
      for (const Finding& f : fr.findings) {
        o << csv_field(fr.frame) << ',' << fr.rank << ',' << num_or_empty(fr.score) << ','
          << csv_field(f.kind) << ',' << num_or_empty(f.score) << ','
          << (f.label >= 0 ? std::to_string(f.label) : "") << ','
          << (f.prediction >= 0 ? std::to_string(f.prediction) : "") << ','
          << csv_field(f.prediction_set) << ',' << csv_field(f.cls) << ','
          << csv_field(f.predicted_class) << ',' << num_or_empty(f.confidence) << ','
          << num_or_empty(f.iou_2d) << ',' << num_or_empty(f.iou_bev) << ','
          << num_or_empty(f.iou_3d) << ',' << csv_field(f.reason) << '\n';
      }
    }
    if (quality) {
      std::ostringstream q;
      write_quality_text(q, *quality);
      std::fputs(q.str().c_str(), stderr);
    }
  } else {
    write_text(o, result, shown, method_name, quality);
  }
  o.flush();
  if (!o) {
    std::fprintf(stderr, "needle rank: writing the output failed\n");
    return 1;
  }
  return 0;
}

}  // namespace needle::cli
