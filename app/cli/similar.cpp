// needle similar — the objects (or frames) of a dataset most similar to one of them, through the
// built-in descriptors or the user's own embeddings (needle/similar.h). With --evaluate it
// measures instead how well the vectors group the dataset (the figures in bench/RESULTS.md).
// Exit codes: 0 ok, 1 data error (dataset unreadable, embeddings file broken or not matching the
// dataset), 2 usage error (bad option, bad reference, index past the end of a file).
//
// Index
//   [SECTION] Output
//   [SECTION] Evaluation (--evaluate)
//   [SECTION] Command
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/open_dataset.h"
#include "cli/progress.h"
#include "needle/demo.h"
#include "needle/error.h"
#include "needle/similar.h"

namespace needle::cli {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "needle similar: %s\n", msg.c_str());
  return 2;
}
int data_error(const std::string& msg) {
  std::fprintf(stderr, "needle similar: %s\n", msg.c_str());
  return 1;
}

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}
double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

// ============================================================================================
// [SECTION] Output
// ============================================================================================
// CSV text cell, quoted; a leading = + - @ (a spreadsheet formula) gets a single quote first
// (class names come from files, never trusted). Same rule as `needle review`.
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

void print_results(const std::string& format, const std::string& query,
                   const std::vector<SimilarResult>& hits) {
  if (format == "json") {
    json j;
    j["query"] = query;
    j["results"] = json::array();
    for (const SimilarResult& r : hits)
      j["results"].push_back({{"ref", r.ref.to_string()},
                              {"frame", r.ref.frame},
                              {"class", r.cls},
                              {"similarity", std::round(r.similarity * 1e6) / 1e6}});
    std::printf("%s\n", j.dump(2).c_str());
  } else if (format == "csv") {
    std::printf("ref,frame,class,similarity\n");
    for (const SimilarResult& r : hits)
      std::printf("%s,%s,%s,%.6f\n", csv_text(r.ref.to_string()).c_str(),
                  csv_text(r.ref.frame).c_str(), csv_text(r.cls).c_str(), r.similarity);
  } else {
    std::printf("most similar to %s:\n", query.c_str());
    int rank = 0;
    for (const SimilarResult& r : hits)
      std::printf("%3d  %-28s %-14s %.4f\n", ++rank, r.ref.to_string().c_str(),
                  r.cls.empty() ? "-" : r.cls.c_str(), r.similarity);
  }
}

// ============================================================================================
// [SECTION] Evaluation
// ============================================================================================
// The label objects of a space (the neighbours the figures count among).
SimilarSpace label_subspace(const SimilarSpace& sp) {
  SimilarSpace out;
  out.dim = sp.dim;
  for (std::size_t i = 0; i < sp.items.size(); ++i) {
    if (!sp.items[i].ref.is_label()) continue;
    out.items.push_back(sp.items[i]);
    out.vectors.insert(out.vectors.end(), sp.row(i), sp.row(i) + sp.dim);
  }
  return out;
}

// The space with the dimensions [offset, offset + count) zeroed and each vector made unit length
// again: what the other parts alone find (built-in vectors only).
SimilarSpace without_part(const SimilarSpace& sp, std::size_t offset, std::size_t count) {
  SimilarSpace out = sp;
  for (std::size_t i = 0; i < out.items.size(); ++i) {
    float* v = out.vectors.data() + i * out.dim;
    for (std::size_t d = offset; d < offset + count && d < out.dim; ++d) v[d] = 0;
    double n2 = 0;
    for (std::size_t d = 0; d < out.dim; ++d) n2 += double(v[d]) * v[d];
    if (n2 > 0)
      for (std::size_t d = 0; d < out.dim; ++d) v[d] = static_cast<float>(v[d] / std::sqrt(n2));
  }
  return out;
}

// The share of each query's top `k` that has its class, against the class frequency (the share
// a random pick of k other labels would have). Queries: every item, or an even sample of
// kMaxClassQueries on large sets.
json class_agreement(const SimilarSpace& sp, const SimilarIndex& index, std::size_t k) {
  std::map<std::string, long> freq;
  for (const SimilarItem& it : sp.items) ++freq[it.cls];
  double same = 0, expected = 0, ceiling = 0;
  long queries = 0;
  const double n = double(sp.items.size());
  // At most kMaxClassQueries queries, evenly spread over the items (every item on small sets).
  constexpr std::size_t kMaxClassQueries = 2000;
  const std::size_t step = std::max<std::size_t>(1, sp.items.size() / kMaxClassQueries);
  for (std::size_t i = 0; i < sp.items.size(); i += step) {
    const auto hits = index.query(sp.row(i), k, i);
    if (hits.empty()) continue;
    long s = 0;
    for (const Neighbour& h : hits) s += sp.items[h.item].cls == sp.items[i].cls;
    same += double(s) / double(hits.size());
    expected += double(freq[sp.items[i].cls] - 1) / (n - 1);
    // The best any vectors could do: a class with fewer than k other members cannot fill k.
    ceiling +=
        std::min(double(hits.size()), double(freq[sp.items[i].cls] - 1)) / double(hits.size());
    ++queries;
  }
  json j;
  j["queries"] = queries;
  j["k"] = k;
  j["same_class_share"] = queries ? same / double(queries) : 0.0;
  j["class_frequency_share"] = queries ? expected / double(queries) : 0.0;
  j["ceiling"] = queries ? ceiling / double(queries) : 0.0;
  return j;
}

// For each injected label error: how many errors of the same kind are among its top k labels,
// against what a random pick of k other labels would hold.
json injected_neighbours(const SimilarSpace& sp, const SimilarIndex& index,
                         const std::vector<InjectedError>& truth, std::size_t k) {
  std::map<std::string, std::string> kind_of;  // ref -> kind
  for (const InjectedError& e : truth)
    if (e.label >= 0 && !e.unit.empty())
      kind_of[ObjectRef{e.frame, "label", e.label}.to_string()] = e.kind;
  std::map<std::string, long> kind_count;
  for (const SimilarItem& it : sp.items)
    if (auto f = kind_of.find(it.ref.to_string()); f != kind_of.end()) ++kind_count[f->second];
  struct Acc {
    long queries = 0;
    double same = 0, random = 0;
  };
  std::map<std::string, Acc> acc;
  const double n = double(sp.items.size());
  for (std::size_t i = 0; i < sp.items.size(); ++i) {
    const auto f = kind_of.find(sp.items[i].ref.to_string());
    if (f == kind_of.end()) continue;
    Acc& a = acc[f->second];
    long s = 0;
    for (const Neighbour& h : index.query(sp.row(i), k, i)) {
      const auto g = kind_of.find(sp.items[h.item].ref.to_string());
      s += g != kind_of.end() && g->second == f->second;
    }
    ++a.queries;
    a.same += double(s);
    a.random += double(kind_count[f->second] - 1) * double(k) / (n - 1);
  }
  json j = json::object();
  for (const auto& [kind, a] : acc)
    j[kind] = {{"errors", a.queries},
               {"same_kind_in_top", a.same / double(a.queries)},
               {"random", a.random / double(a.queries)}};
  return j;
}

int evaluate(const SimilarSpaces& spaces, const SimilarBuildStats& build, double build_ms,
             const std::optional<fs::path>& truth_file, const std::string& format) {
  json out;
  out["source"] = spaces.source;
  out["objects"] = spaces.objects.items.size();
  out["frames"] = spaces.frames.items.size();
  out["dim"] = spaces.objects.dim;
  out["descriptors_seconds"] = build_ms / 1000.0;
  out["descriptors_computed"] = build.computed;
  out["descriptors_from_cache"] = build.from_cache;

  // Index build over every object (three builds, median) and query time (median over up to
  // kTimedQueries queries spread over the items).
  constexpr std::size_t kTimedQueries = 1000;
  constexpr std::size_t kTimedTop = 10;
  std::vector<double> builds;
  SimilarIndex all;
  for (int r = 0; r < 3; ++r) {
    const auto t0 = Clock::now();
    all = SimilarIndex(spaces.objects);
    builds.push_back(ms_since(t0));
  }
  std::vector<double> queries;
  const std::size_t n = spaces.objects.items.size();
  for (std::size_t q = 0; n > 0 && q < std::min(n, kTimedQueries); ++q) {
    const std::size_t i = q * n / std::min(n, kTimedQueries);
    const auto t0 = Clock::now();
    (void)all.query(spaces.objects.row(i), kTimedTop, i);
    queries.push_back(ms_since(t0));
  }
  out["index_build_ms_median"] = median(builds);
  out["query_ms_median"] = median(queries);
  {
    const auto t0 = Clock::now();
    SimilarIndex frames(spaces.frames);
    out["frame_index_build_ms"] = ms_since(t0);
  }

  const SimilarSpace labels = label_subspace(spaces.objects);
  const SimilarIndex label_index(labels);
  out["labels"] = labels.items.size();
  out["class_top10"] = class_agreement(labels, label_index, 10);
  const bool builtin = spaces.objects.dim == kObjectVectorDims && spaces.source == "built-in";
  if (builtin) {
    const SimilarSpace no_class = without_part(labels, kOffsetClass, kClassDims);
    out["class_top10_without_class_part"] = class_agreement(no_class, SimilarIndex(no_class), 10);
  }
  if (truth_file) {
    std::vector<InjectedError> truth;
    try {
      truth = read_injected(*truth_file);
    } catch (const std::exception& e) {
      return data_error(e.what());
    }
    out["injected_top20"] = injected_neighbours(labels, label_index, truth, 20);
    if (builtin) {
      const SimilarSpace no_findings = without_part(labels, kOffsetFindings, kFindingDims);
      out["injected_top20_without_findings_part"] =
          injected_neighbours(no_findings, SimilarIndex(no_findings), truth, 20);
    }
  }
  if (format == "json") {
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("source %s: %zu objects (%zu labels), %zu frames, %zu dimensions\n",
              spaces.source.c_str(), n, labels.items.size(), spaces.frames.items.size(),
              spaces.objects.dim);
  std::printf("descriptors: %.2f s (%zu frames computed, %zu from the cache)\n", build_ms / 1000,
              build.computed, build.from_cache);
  std::printf(
      "index build (objects): %.2f ms median of 3; query (top %zu): %.3f ms median of %zu\n",
      median(builds), kTimedTop, median(queries), queries.size());
  const json& c = out["class_top10"];
  std::printf(
      "top-10 same class: %.3f (class frequency %.3f, best possible %.3f) over %ld labels\n",
      c["same_class_share"].get<double>(), c["class_frequency_share"].get<double>(),
      c["ceiling"].get<double>(), c["queries"].get<long>());
  if (out.contains("class_top10_without_class_part")) {
    const json& d = out["class_top10_without_class_part"];
    std::printf("top-10 same class without the class part: %.3f (class frequency %.3f)\n",
                d["same_class_share"].get<double>(), d["class_frequency_share"].get<double>());
  }
  for (const char* key : {"injected_top20", "injected_top20_without_findings_part"}) {
    if (!out.contains(key)) continue;
    std::printf("%s:\n", key);
    for (const auto& [kind, v] : out[key].items())
      std::printf("  %-15s errors %2ld: same kind in top 20 %.2f (random %.2f)\n", kind.c_str(),
                  v["errors"].get<long>(), v["same_kind_in_top"].get<double>(),
                  v["random"].get<double>());
  }
  return 0;
}

}  // namespace

// ============================================================================================
// [SECTION] Command
// ============================================================================================
int cmd_similar(int argc, char** argv) {
  CLI::App app{
      "The objects (or frames) most similar to REF: built-in descriptors (shape, size, "
      "reflectance, appearance, class, range, occlusion, findings) or your own embeddings.",
      "needle similar"};
  std::string dataset, ref_text, format = "json", embeddings, keys, truth;
  std::vector<std::string> preds;
  std::size_t top = 10;
  bool no_cache = false, no_predictions = false, eval = false;
  unsigned threads = 0;
  app.add_option("DATASET", dataset, "Dataset folder")->required();
  app.add_option("REF", ref_text, "FRAME | FRAME/label/N | FRAME/pred/SET/N");
  app.add_option("--top", top, "How many results")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--embeddings", embeddings,
                 "Your own vectors: CSV (ref,v0,v1,...) or .npy with --keys");
  app.add_option("--keys", keys, "Key file of a .npy: one ref per line");
  app.add_option("--format", format, "json | csv | text")->capture_default_str();
  app.add_option("--pred", preds, "[NAME=]DIR prediction set (default: DATASET/pred/*)");
  app.add_flag("--no-cache", no_cache, "Neither read nor write the descriptor cache");
  app.add_flag("--no-predictions", no_predictions,
               "Built-in: only label objects are items (faster)");
  app.add_option("--threads", threads, "Worker threads (0 = all cores)");
  app.add_flag("--evaluate", eval,
               "Instead of a query: how well the vectors group the dataset (class agreement, "
               "index timings)");
  app.add_option("--truth", truth, "With --evaluate: injected.json of a demo set");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  if (format != "json" && format != "csv" && format != "text")
    return usage_error("unknown --format '" + format + "' (expected json, csv or text)");
  if (!keys.empty() && embeddings.empty()) return usage_error("--keys needs --embeddings");
  if (!truth.empty() && !eval) return usage_error("--truth needs --evaluate");
  if (eval == !ref_text.empty())
    return usage_error(eval ? "--evaluate takes no REF" : "expected DATASET and REF");
  if (eval && format == "csv") return usage_error("--evaluate prints json or text");
  ObjectRef ref;
  if (!eval) {
    try {
      ref = parse_object_ref(ref_text);
    } catch (const std::exception& e) {
      return usage_error("bad reference '" + ref_text + "': " + e.what());
    }
  }
  std::vector<PredictionSetSpec> specs;
  try {
    for (const std::string& p : preds) specs.push_back(parse_prediction_spec(p));
    if (specs.empty()) specs = default_prediction_sets(dataset);
  } catch (const std::exception& e) {
    return usage_error(e.what());
  }
  DatasetIndex ds;
  if (!open_dataset("needle similar", dataset, specs, ds)) return 1;

  ProgressBar progress("needle similar");
  // With calibration: the built-in point parts need it (one load for the check and the build).
  const std::vector<FrameAnnotations> ann = load_all_annotations(
      ds, true, threads, [&](std::size_t d, std::size_t t) { progress.update(d, t, "loading"); });
  if (!eval) {
    if (const std::string why = check_ref(ref, ds, ann); !why.empty()) {
      progress.finish();
      return usage_error(why);
    }
  }

  SimilarSpaces spaces;
  SimilarBuildStats stats;
  const auto t0 = Clock::now();
  if (!embeddings.empty()) {
    try {
      spaces = load_embeddings(
          embeddings, keys.empty() ? std::nullopt : std::optional<fs::path>(keys), ds, ann);
    } catch (const std::exception& e) {
      progress.finish();
      return data_error(e.what());
    }
  } else {
    SimilarBuildOptions opt;
    opt.threads = threads;
    opt.use_cache = !no_cache;
    opt.predictions = !no_predictions;
    opt.progress = [&](const char* phase, std::size_t d, std::size_t t) {
      progress.update(d, t, phase);
    };
    spaces = build_builtin_spaces(ds, ann, opt, &stats);
  }
  const double build_ms = ms_since(t0);
  progress.finish();
  if (eval)
    return evaluate(spaces, stats, build_ms,
                    truth.empty() ? std::nullopt : std::optional<fs::path>(truth), format);

  // Only the index the query needs is built.
  static const SimilarSpace kNone;
  const SimilarIndex objects_index(ref.is_frame() ? kNone : spaces.objects);
  const SimilarIndex frames_index(ref.is_frame() ? spaces.frames : kNone);
  const auto hits = find_similar(spaces, objects_index, frames_index, ref, top);
  if (!hits) {
    if (!embeddings.empty())
      return usage_error(ref.to_string() + " has no vector in " + embeddings);
    if (!ref.is_frame() && !ref.is_label() && no_predictions)
      return usage_error(ref.to_string() + " is a prediction and --no-predictions is set");
    return usage_error(ref.to_string() + " is a DontCare region, not an object");
  }
  print_results(format, ref.to_string(), *hits);
  return 0;
}

}  // namespace needle::cli
