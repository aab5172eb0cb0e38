// needle map — the embedding map of a dataset's objects (needle/embedding_map.h): a 2D position
// and a rarity score per object, from the built-in descriptors (the find-similar ones, cached) or
// the user's own embeddings; rows rarest first. With --evaluate it measures the map instead
// (timings, neighbourhood preservation, and with --truth how early the demo's injected label
// errors come in the rarest-first order): the figures in bench/RESULTS.md.
// Exit codes: 0 ok, 1 data error (dataset unreadable, embeddings file broken or not matching the
// dataset, output not writable), 2 usage error.
//
// Index
//   [SECTION] Output
//   [SECTION] Evaluation (--evaluate)
//   [SECTION] Command
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/open_dataset.h"
#include "cli/progress.h"
#include "needle/demo.h"
#include "needle/embedding_map.h"

namespace needle::cli {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "needle map: %s\n", msg.c_str());
  return 2;
}
int data_error(const std::string& msg) {
  std::fprintf(stderr, "needle map: %s\n", msg.c_str());
  return 1;
}

// ============================================================================================
// [SECTION] Output
// ============================================================================================
// CSV text cell, quoted; a leading = + - @ gets a single quote first (class names come from
// files: never a spreadsheet formula). The rule of `needle similar` and `needle review`.
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

double round6(double v) {
  return std::round(v * 1e6) / 1e6;
}

std::string render(const DatasetMap& m, const std::vector<std::size_t>& rows, bool as_json) {
  const SimilarSpace& sp = m.objects;
  std::string out;
  if (as_json) {
    json arr = json::array();
    for (std::size_t i : rows) {
      const SimilarItem& it = sp.items[i];
      arr.push_back({{"ref", it.ref.to_string()},
                     {"frame", it.ref.frame},
                     {"source", it.ref.source},
                     {"index", it.ref.index},
                     {"class", it.cls},
                     {"x", round6(m.map.xy[i * 2])},
                     {"y", round6(m.map.xy[i * 2 + 1])},
                     {"rare", round6(m.map.rare[i])}});
    }
    json j;
    j["source"] = m.source;
    j["count"] = sp.items.size();
    j["objects"] = std::move(arr);
    return j.dump(1) + "\n";
  }
  out = "frame,source,index,class,x,y,rare\n";
  char buf[128];
  for (std::size_t i : rows) {
    const SimilarItem& it = sp.items[i];
    out += csv_text(it.ref.frame) + "," + csv_text(it.ref.source) + "," +
           std::to_string(it.ref.index) + "," + csv_text(it.cls);
    std::snprintf(buf, sizeof buf, ",%.6f,%.6f,%.6f\n", m.map.xy[i * 2], m.map.xy[i * 2 + 1],
                  m.map.rare[i]);
    out += buf;
  }
  return out;
}

// ============================================================================================
// [SECTION] Evaluation
// ============================================================================================
// Average precision of `order` (rarest first) at putting the `positive` items first.
double average_precision(const std::vector<std::size_t>& order, const std::vector<char>& positive) {
  std::size_t hits = 0, total = 0;
  for (char p : positive) total += p != 0;
  if (!total) return 0;
  double sum = 0;
  for (std::size_t r = 0; r < order.size(); ++r)
    if (positive[order[r]]) sum += double(++hits) / double(r + 1);
  return sum / double(total);
}

json rarity_against_truth(const DatasetMap& m, const std::vector<InjectedError>& truth) {
  const SimilarSpace& sp = m.objects;
  std::map<std::string, std::string> kind_of;  // label ref -> kind
  for (const InjectedError& e : truth)
    if (e.label >= 0 && !e.unit.empty())
      kind_of[ObjectRef{e.frame, "label", e.label}.to_string()] = e.kind;
  const std::vector<std::size_t> order = rarest_first(m.map.rare);
  std::vector<std::size_t> rank_of(order.size());
  for (std::size_t r = 0; r < order.size(); ++r) rank_of[order[r]] = r;
  std::vector<std::string> item_kind(sp.items.size());
  std::set<std::string> kinds;
  for (std::size_t i = 0; i < sp.items.size(); ++i)
    if (auto f = kind_of.find(sp.items[i].ref.to_string()); f != kind_of.end())
      item_kind[i] = f->second, kinds.insert(f->second);
  const double n = double(sp.items.size());
  auto summary = [&](const std::string& kind) {
    std::vector<char> pos(sp.items.size(), 0);
    std::vector<double> pct;
    std::size_t top100 = 0, top1pc = 0;
    const std::size_t one_pc = std::max<std::size_t>(1, sp.items.size() / 100);
    for (std::size_t i = 0; i < sp.items.size(); ++i) {
      if (item_kind[i].empty() || (!kind.empty() && item_kind[i] != kind)) continue;
      pos[i] = 1;
      pct.push_back(1.0 - double(rank_of[i]) / n);  // 1 = the rarest
      top100 += rank_of[i] < 100;
      top1pc += rank_of[i] < one_pc;
    }
    std::sort(pct.begin(), pct.end());
    const double med = pct.empty() ? 0 : pct[pct.size() / 2];
    const double base = double(pct.size()) / n;
    return json{{"errors", pct.size()}, {"ap", average_precision(order, pos)},
                {"random_ap", base},    {"median_rarity_percentile", med},
                {"in_top_100", top100}, {"in_top_1_percent", top1pc}};
  };
  json j;
  j["all_label_errors"] = summary("");
  for (const std::string& k : kinds) j["by_kind"][k] = summary(k);
  return j;
}

json evaluate(const DatasetMap& m, const std::optional<fs::path>& truth_file, unsigned threads,
              std::size_t queries) {
  json out;
  out["source"] = m.source;
  out["objects"] = m.objects.items.size();
  out["dim"] = m.objects.dim;
  out["descriptors_seconds"] = m.descriptors_s;
  out["map_seconds"] = m.map_s;
  out["map_cpu_seconds"] = m.map_cpu_s;
  const EmbeddingMapStats& st = m.map.stats;
  out["phases"] = {
      {"pca", st.pca_s}, {"neighbours", st.knn_s}, {"graph", st.graph_s}, {"layout", st.layout_s}};
  out["pca_variance_kept"] = st.pca_variance_kept;
  out["search_dims"] = st.search_dims;
  out["knn_rounds"] = st.knn_rounds;
  out["edges"] = st.edges;
  out["epochs"] = st.epochs;
  const MapQuality q =
      map_quality(m.objects.vectors.data(), m.objects.dim, m.map, kMapNeighbours, queries, threads);
  out["quality"] = {{"queries", q.queries},
                    {"k", q.k},
                    {"graph_recall", q.graph_recall},
                    {"map_recall", q.map_recall},
                    {"random_recall", q.random_recall}};
  if (truth_file) out["rarity"] = rarity_against_truth(m, read_injected(*truth_file));
  return out;
}

}  // namespace

// ============================================================================================
// [SECTION] Command
// ============================================================================================
int cmd_map(int argc, char** argv) {
  CLI::App app{
      "The embedding map of the dataset's objects: a 2D position (neighbours stay neighbours) and "
      "a rarity score per object, from the built-in descriptors or your own embeddings; rows "
      "rarest first.",
      "needle map"};
  std::string dataset, out_file, embeddings, keys, truth;
  std::vector<std::string> preds;
  std::size_t rarest = 0, queries = 300;
  bool no_cache = false, with_predictions = false, eval = false;
  unsigned threads = 0;
  std::uint64_t seed = 1;
  app.add_option("DATASET", dataset, "Dataset folder")->required();
  app.add_option("--out", out_file, "Write to FILE: .csv or .json (default: CSV on stdout)");
  app.add_option("--rarest", rarest, "Only the K rarest objects (0 = all; always rarest first)");
  app.add_option("--embeddings", embeddings,
                 "Your own vectors: CSV (ref,v0,v1,...) or .npy with --keys");
  app.add_option("--keys", keys, "Key file of a .npy: one ref per line");
  app.add_option("--pred", preds, "[NAME=]DIR prediction set (default: DATASET/pred/*)");
  app.add_flag("--predictions", with_predictions,
               "Prediction objects are points too (default: label objects only)");
  app.add_flag("--no-cache", no_cache, "Neither read nor write the descriptor cache");
  app.add_option("--seed", seed, "Seed of the layout")->capture_default_str();
  app.add_option("--threads", threads, "Worker threads (0 = all cores; same map for any)");
  app.add_flag("--evaluate", eval,
               "Instead of the rows: timings, neighbourhood preservation and (--truth) rarity of "
               "injected errors, as JSON");
  app.add_option("--truth", truth, "With --evaluate: injected.json of a demo set");
  app.add_option("--queries", queries, "With --evaluate: points whose neighbourhoods are checked")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  bool as_json = false;
  if (!out_file.empty()) {
    const std::string ext = fs::path(out_file).extension().string();
    if (ext != ".csv" && ext != ".json")
      return usage_error("--out must end in .csv or .json, not '" + out_file + "'");
    as_json = ext == ".json";
  }
  if (!keys.empty() && embeddings.empty()) return usage_error("--keys needs --embeddings");
  if (!truth.empty() && !eval) return usage_error("--truth needs --evaluate");
  std::vector<PredictionSetSpec> specs;
  try {
    for (const std::string& p : preds) specs.push_back(parse_prediction_spec(p));
    if (specs.empty()) specs = default_prediction_sets(dataset);
  } catch (const std::exception& e) {
    return usage_error(e.what());
  }
  DatasetIndex ds;
  if (!open_dataset("needle map", dataset, specs, ds)) return 1;

  ProgressBar progress("needle map");
  MapBuildOptions opt;
  opt.predictions = with_predictions;
  if (!embeddings.empty()) opt.embeddings = embeddings;
  if (!keys.empty()) opt.keys = fs::path(keys);
  opt.similar.threads = threads;
  opt.similar.use_cache = !no_cache;
  opt.similar.progress = [&](const char* phase, std::size_t d, std::size_t t) {
    progress.update(d, t, phase);
  };
  opt.map.seed = seed;
  opt.map.threads = threads;
  opt.map.progress = [&](const char* phase, std::size_t d, std::size_t t) {
    progress.update(d, t, phase);
  };
  const DatasetMap m = build_dataset_map(ds, opt);
  progress.finish();
  if (!m.error.empty()) return data_error(m.error);
  std::fprintf(stderr,
               "needle map: %zu objects (%s, %zu dimensions): descriptors %.2f s, map %.2f s "
               "(%.2f s CPU; pca %.2f, neighbours %.2f, graph %.2f, layout %.2f)\n",
               m.objects.items.size(), m.source.c_str(), m.objects.dim, m.descriptors_s, m.map_s,
               m.map_cpu_s, m.map.stats.pca_s, m.map.stats.knn_s, m.map.stats.graph_s,
               m.map.stats.layout_s);
  if (eval) {
    json j;
    try {
      j = evaluate(m, truth.empty() ? std::nullopt : std::optional<fs::path>(truth), threads,
                   queries);
    } catch (const std::exception& e) {
      return data_error(e.what());
    }
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::vector<std::size_t> rows = rarest_first(m.map.rare);
  if (rarest > 0 && rows.size() > rarest) rows.resize(rarest);
  const std::string text = render(m, rows, as_json);
  if (out_file.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  std::ofstream f(out_file, std::ios::binary);
  f << text;
  if (!f.good()) return data_error("cannot write " + out_file);
  return 0;
}

}  // namespace needle::cli
