// needle shift — how a production dataset (PROD) differs from a training dataset (TRAIN): every
// attribute's shift (PSI and a two-sample test) and PROD's frames by novelty (needle/shift.h).
// Exit codes: 0 ok, 1 data error (a dataset or metadata file unreadable), 2 usage error.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/open_dataset.h"
#include "cli/progress.h"
#include "needle/error.h"
#include "needle/shift.h"

namespace needle::cli {

namespace {

using json = nlohmann::ordered_json;

// CSV text cell, quoted; a leading formula character gets a single quote first (ids and reasons
// come from files). Same rule as `needle similar` and `needle review`.
std::string csv_text(const std::string& s) {
  std::string v = s;
  if (!v.empty() &&
      (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' || v[0] == '\r'))
    v.insert(v.begin(), '\'');
  std::string o = "\"";
  for (char c : v) {
    if (c == '"') o += '"';
    o += c;
  }
  return o + "\"";
}

// JSON numbers must be finite; a statistic that is not (it never should be) is written as null.
json num(double v) {
  return std::isfinite(v) ? json(v) : json(nullptr);
}

void print_json(const ShiftReport& r) {
  json j;
  j["attributes"] = json::array();
  for (const AttributeShift& a : r.attributes)
    j["attributes"].push_back(
        {{"attribute", a.attribute}, {"psi", num(a.psi)}, {"statistic", num(a.statistic)}, {"p", num(a.p)}});
  j["frames"] = json::array();
  for (const FrameNovelty& f : r.novelty.frames) {
    json near = json::array();
    for (std::size_t k : f.nearest) near.push_back(r.train_ids[k]);
    j["frames"].push_back({{"frame", r.prod_ids[f.frame]},
                           {"novelty", num(f.novelty)},
                           {"nearest", near},
                           {"reason", f.reason}});
  }
  std::printf("%s\n", j.dump(1).c_str());
}

void print_csv(const ShiftReport& r) {
  std::printf("kind,name,psi,statistic,p,novelty,nearest,reason\n");
  for (const AttributeShift& a : r.attributes)
    std::printf("attribute,%s,%.6g,%.6g,%.6g,,,\n", csv_text(a.attribute).c_str(), a.psi,
                a.statistic, a.p);
  for (const FrameNovelty& f : r.novelty.frames) {
    std::string near;
    for (std::size_t k : f.nearest) near += (near.empty() ? "" : " ") + r.train_ids[k];
    std::printf("frame,%s,,,,%.4f,%s,%s\n", csv_text(r.prod_ids[f.frame]).c_str(), f.novelty,
                csv_text(near).c_str(), csv_text(f.reason).c_str());
  }
}

void print_text(const ShiftReport& r, std::size_t top) {
  std::printf("Attributes, worst first (PSI: < 0.1 stable, 0.1-0.25 moderate, > 0.25 major)\n");
  std::printf("  %-20s %-8s %9s %10s %10s %8s %8s\n", "attribute", "scope", "PSI", "statistic",
              "p", "n TRAIN", "n PROD");
  for (const AttributeShift& a : r.attributes)
    std::printf("  %-20s %-8s %9.3f %10.3f %10.3g %8zu %8zu  (%s)\n", a.attribute.c_str(),
                a.scope.c_str(), a.psi, a.statistic, a.p, a.n_train, a.n_prod, a.test.c_str());
  std::printf("\nPROD frames, most novel first (novelty: robust z-score against TRAIN's own "
              "leave-one-out distances; > 3 is unlike training)\n");
  for (std::size_t i = 0; i < r.novelty.frames.size() && i < top; ++i) {
    const FrameNovelty& f = r.novelty.frames[i];
    std::string near;
    for (std::size_t k = 0; k < f.nearest.size() && k < 3; ++k)
      near += (k ? "," : "") + r.train_ids[f.nearest[k]];
    std::printf("  %-10s %8.2f  near %-22s %s\n", r.prod_ids[f.frame].c_str(), f.novelty,
                near.c_str(), f.reason.c_str());
  }
  if (r.novelty.frames.size() > top)
    std::printf("  ... %zu more (--top N, or --format json)\n", r.novelty.frames.size() - top);
}

}  // namespace

int cmd_shift(int argc, char** argv) {
  CLI::App app{
      "How a production dataset differs from a training one: per attribute (object, frame and "
      "metadata) the population stability index and a two-sample test (Kolmogorov-Smirnov or "
      "chi-square), worst first; and PROD's frames by novelty against TRAIN (distance to the "
      "nearest training frames in descriptor space, calibrated on TRAIN), most novel first. PROD "
      "needs no labels: its predictions, images and scans are enough.",
      "needle shift"};
  std::string train_dir, prod_dir, format = "text", meta, prod_meta, set_name, cache_dir;
  std::vector<std::string> preds, train_preds;
  std::size_t top = 20, neighbours = kShiftNeighbours;
  unsigned threads = 0;
  bool no_cache = false;
  app.add_option("TRAIN", train_dir, "The reference (training) dataset")->required();
  app.add_option("PROD", prod_dir, "The dataset to compare (production)")->required();
  app.add_option("--pred", preds,
                 "PROD's prediction set [NAME=]DIR (repeatable; default: PROD/pred/*)");
  app.add_option("--train-pred", train_preds,
                 "TRAIN's prediction set [NAME=]DIR (repeatable; default: TRAIN/pred/*)");
  app.add_option("--set", set_name,
                 "Prediction set whose detections stand for the objects of a dataset without "
                 "labels (default: the first)");
  app.add_option("--meta", meta, "Metadata CSV keyed by frame id (for both datasets)");
  app.add_option("--prod-meta", prod_meta, "PROD's own metadata CSV (instead of --meta for PROD)");
  app.add_option("--format", format, "Output format")
      ->check(CLI::IsMember({"json", "csv", "text"}))
      ->capture_default_str();
  app.add_option("--top", top, "Frames listed in text output")->capture_default_str();
  app.add_option("-k,--neighbours", neighbours, "Nearest TRAIN frames a novelty averages")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  app.add_option("--threads", threads, "Worker threads (0 = all cores)")->capture_default_str();
  app.add_flag("--no-cache", no_cache, "Neither read nor write the descriptor cache");
  app.add_option("--cache-dir", cache_dir, "Descriptor cache folder (default: ~/.cache/needle/shift)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  auto specs_of = [](const std::vector<std::string>& args, const std::string& root,
                     std::vector<PredictionSetSpec>& out) {
    for (const std::string& p : args) out.push_back(parse_prediction_spec(p));
    if (out.empty()) out = default_prediction_sets(root);
  };
  std::vector<PredictionSetSpec> train_specs, prod_specs;
  try {
    specs_of(train_preds, train_dir, train_specs);
    specs_of(preds, prod_dir, prod_specs);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "needle shift: %s\n", e.what());
    return 2;
  }
  DatasetIndex train, prod;
  if (!open_dataset("needle shift", train_dir, train_specs, train)) return 1;
  if (!open_dataset("needle shift", prod_dir, prod_specs, prod)) return 1;

  const auto t0 = std::chrono::steady_clock::now();
  ShiftOptions opt;
  opt.pred = set_name.empty() && !prod.pred_sets.empty() ? prod.pred_sets[0].name : set_name;
  opt.meta = meta;
  opt.prod_meta = prod_meta;
  opt.neighbours = neighbours;
  opt.build.threads = threads;
  opt.build.use_cache = !no_cache;
  opt.build.cache_dir = cache_dir;
  ProgressBar bar("needle shift");
  opt.build.progress = [&bar](std::size_t d, std::size_t t) { bar.update(d, t, "descriptors"); };
  ShiftReport r;
  try {
    r = analyse_shift(train, prod, opt);
  } catch (const ParseError& e) {
    bar.finish();
    std::fprintf(stderr, "needle shift: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    bar.finish();
    std::fprintf(stderr, "needle shift: %s\n", e.what());
    return 1;
  }
  bar.finish();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const std::string& w : r.warnings) std::fprintf(stderr, "needle shift: warning: %s\n", w.c_str());
  if (format == "json")
    print_json(r);
  else if (format == "csv")
    print_csv(r);
  else
    print_text(r, top);
  std::fprintf(stderr,
               "needle shift: TRAIN %zu frames (%zu descriptors from cache), PROD %zu frames (%zu "
               "from cache), objects from TRAIN's %s and PROD's %s, %.2f s\n",
               r.train_ids.size(), r.train_stats.from_cache, r.prod_ids.size(),
               r.prod_stats.from_cache, r.train_source.labels ? "labels" : "predictions",
               r.prod_source.labels ? "labels" : "predictions", secs);
  return 0;
}

}  // namespace needle::cli
