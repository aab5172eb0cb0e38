// The review store's pure parts and glue: references, names, the default location, the dataset
// object source, and the ranking hook (apply_verdicts / load_verdicts).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <tuple>

#include "../cache_file.h"
#include "needle/kitti_io.h"
#include "needle/store.h"

namespace needle {

namespace fs = std::filesystem;

// ---- References ------------------------------------------------------------------------------
std::string ObjectRef::to_string() const {
  if (is_frame()) return frame;
  if (is_label()) return frame + "/label/" + std::to_string(index);
  return frame + "/pred/" + source + "/" + std::to_string(index);
}

namespace {
std::vector<std::string> split_slash(const std::string& s) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t p = s.find('/', start);
    parts.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) return parts;
    start = p + 1;
  }
}

int parse_index(const std::string& text, const std::string& whole) {
  if (text.empty() || text.size() > 9 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    throw std::invalid_argument("bad reference '" + whole + "': object index '" + text +
                                "' is not a non-negative integer");
  return std::stoi(text);
}
}  // namespace

ObjectRef parse_object_ref(const std::string& text) {
  const std::vector<std::string> p = split_slash(text);
  const std::string expected = " (expected FRAME, FRAME/label/N or FRAME/pred/SET/N)";
  if (p.empty() || p[0].empty())
    throw std::invalid_argument("bad reference '" + text + "': empty frame id" + expected);
  if (p.size() == 1) return {p[0], "", -1};
  if (p.size() == 3 && p[1] == "label") return {p[0], "label", parse_index(p[2], text)};
  if (p.size() == 4 && p[1] == "pred") {
    if (p[2].empty() || p[2] == "label")
      throw std::invalid_argument("bad reference '" + text + "': bad prediction set name");
    return {p[0], p[2], parse_index(p[3], text)};
  }
  throw std::invalid_argument("bad reference '" + text + "'" + expected);
}

const char* element_state_name(ElementState s) {
  return enum_to_name(kElementStateTable, s, "unsorted");
}

ElementState parse_element_state(const std::string& s) {
  return parse_enum(kElementStateTable, s, "state");
}

const char* verdict_name(VerdictKind v) {
  return enum_to_name(kVerdictTable, v, "ambiguous");
}

VerdictKind parse_verdict(const std::string& s) {
  return parse_enum(kVerdictTable, s, "verdict");
}

// ---- Location --------------------------------------------------------------------------------
namespace {
// Writable for this process and meant to be: root passes access(W_OK) on any folder, so a folder
// without any write permission bit (a read-only dataset copy, chmod a-w) counts as read-only.
bool folder_writable(const fs::path& p) {
  struct stat st {};
  if (stat(p.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return false;
  if ((st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) == 0) return false;
  return access(p.c_str(), W_OK) == 0;
}
}  // namespace

fs::path default_store_path(const fs::path& dataset) {
  std::error_code ec;
  fs::path abs = fs::weakly_canonical(fs::absolute(dataset), ec);
  if (ec) abs = fs::absolute(dataset);
  const fs::path local = abs / ".needle" / "review.sqlite";
  if (fs::exists(local)) return local;
  const fs::path dot = abs / ".needle";
  const bool writable = fs::exists(dot) ? folder_writable(dot) : folder_writable(abs);
  if (writable) return local;
  fs::path data;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x && fs::path(x).is_absolute()) {
    data = x;
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    data = fs::path(home) / ".local" / "share";
  } else {
    data = fs::temp_directory_path();
  }
  const std::string key = abs.string();  // the same hash as the caches' dataset key
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(cache_file::fnv1a(key.data(), key.size())));
  return data / "needle" / "stores" / (std::string(hex) + ".sqlite");
}

// ---- Object source ---------------------------------------------------------------------------
ObjectSource dataset_object_source(const DatasetIndex& ds) {
  return [&ds](const std::string& frame,
               const std::string& source) -> std::optional<std::vector<Object>> {
    const auto fi = ds.find(frame);
    if (!fi) return std::nullopt;
    const FrameFiles& f = ds.frames[*fi];
    if (source == "label") {
      if (f.label.empty()) return std::vector<Object>{};
      return load_objects(f.label, LabelKind::GroundTruth).objects;
    }
    for (std::size_t s = 0; s < ds.pred_sets.size(); ++s) {
      if (ds.pred_sets[s].name != source) continue;
      if (s >= f.preds.size() || f.preds[s].empty()) return std::vector<Object>{};
      return load_objects(f.preds[s], LabelKind::Prediction).objects;
    }
    return std::nullopt;
  };
}

// ---- Ranking hook ----------------------------------------------------------------------------
ObjectRef finding_object(const Finding& f) {
  if (f.label >= 0) return {f.frame, "label", f.label};
  if (f.prediction >= 0 && !f.prediction_set.empty())
    return {f.frame, f.prediction_set, f.prediction};
  return {f.frame, "", -1};
}

void apply_verdicts(RankResult& result, const std::vector<Verdict>& verdicts,
                    bool keep_suppressed) {
  std::map<std::tuple<std::string, std::string, int, std::string>, VerdictKind> by_key;
  for (const Verdict& v : verdicts)
    by_key[{v.ref.frame, v.ref.source, v.ref.index, v.kind}] = v.verdict;
  long suppressed = 0, confirmed = 0;
  for (FrameRank& fr : result.frames) {
    std::vector<Finding> kept;
    bool changed = false;
    for (Finding& f : fr.findings) {
      if (f.frame.empty()) f.frame = fr.frame;
      const ObjectRef o = finding_object(f);
      const auto it = by_key.find({o.frame, o.source, o.index, f.kind});
      if (it != by_key.end() && it->second == VerdictKind::LabelError) ++confirmed;
      if (it != by_key.end() && it->second == VerdictKind::NotAnError) {
        ++suppressed;
        if (!keep_suppressed) {
          changed = true;
          const std::string k = "kind:" + f.kind;
          if (auto s = result.summary.find(k); s != result.summary.end()) --s->second;
          if (auto s = result.summary.find("findings"); s != result.summary.end()) --s->second;
          continue;
        }
      }
      kept.push_back(std::move(f));
    }
    fr.findings = std::move(kept);
    if (changed) fr.score = noisy_or(fr.findings);
  }
  if (!keep_suppressed) {
    std::erase_if(result.frames, [](const FrameRank& fr) { return fr.findings.empty(); });
    std::stable_sort(result.frames.begin(), result.frames.end(),
                     [](const FrameRank& a, const FrameRank& b) { return a.score > b.score; });
    for (std::size_t i = 0; i < result.frames.size(); ++i)
      result.frames[i].rank = static_cast<int>(i + 1);
  }
  result.summary["suppressed"] = suppressed;
  result.summary["confirmed_label_errors"] = confirmed;
}

std::vector<Verdict> load_verdicts(const DatasetIndex& ds, const fs::path& dataset,
                                   const fs::path& store_path) {
  const fs::path p = store_path.empty() ? default_store_path(dataset) : store_path;
  if (!fs::exists(p)) return {};
  ReviewStore store = ReviewStore::open(p, dataset_object_source(ds), ReviewStore::Mode::Existing);
  std::vector<Verdict> out;
  for (const VerdictRecord& r : store.verdicts())
    if (!r.object.orphaned) out.push_back({r.object.ref, r.kind, r.verdict});
  return out;
}

}  // namespace needle
