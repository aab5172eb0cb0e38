// shift/analysis.cpp — attribute samples of a dataset and analyse_shift(), the one pipeline from
// two datasets to the shift report (needle/shift.h).
#include <algorithm>
#include <atomic>
#include <cmath>

#include "needle/attributes.h"
#include "needle/shift.h"

namespace needle {

namespace fs = std::filesystem;

namespace {
// The object attributes of attributes.h compared by the shift analysis (points and findings need
// the lidar pass and a ranking, which `needle shift` does not run).
const char* const kObjectAttributes[] = {"class",  "range", "occlusion", "truncation",
                                         "height", "size",  "heading"};

void add_values(const AttributeValues& v, std::size_t f, const std::vector<int>& bins,
                const std::vector<double>& values, const std::vector<bool>& keep,
                AttributeSample& out) {
  (void)f;
  for (std::size_t i = 0; i < bins.size(); ++i) {
    if (i < keep.size() && !keep[i]) continue;
    if (out.categorical) {
      if (bins[i] >= 0 && static_cast<std::size_t>(bins[i]) < v.spec.labels.size())
        out.categories.push_back(v.spec.labels[static_cast<std::size_t>(bins[i])]);
    } else if (i < values.size() && !std::isnan(values[i])) {
      out.values.push_back(values[i]);
    }
  }
}
}  // namespace

std::vector<AttributeSample> shift_attribute_samples(const DatasetIndex& ds,
                                                     const std::vector<FrameAnnotations>& ann,
                                                     const std::vector<FrameFeatures>& features,
                                                     const ShiftSource& src,
                                                     const fs::path& meta) {
  std::vector<AttributeSample> out;
  AttributeInputs in;
  in.frames = &ann;
  in.index = &ds;
  in.pred_set = src.labels ? -1 : static_cast<int>(src.pred_set);
  const std::vector<AttributeValues> builtin = compute_builtin_attributes(in);
  for (const char* name : kObjectAttributes) {
    const auto it = std::find_if(builtin.begin(), builtin.end(),
                                 [&](const AttributeValues& v) { return v.spec.name == name; });
    if (it == builtin.end() || it->spec.scope != AttributeScope::Object) continue;
    if (!src.labels && !it->preds_have_values()) continue;  // a label-only attribute
    AttributeSample s;
    s.name = name;
    s.scope = "object";
    s.categorical = it->spec.kind == AttributeKind::Categorical;
    for (std::size_t f = 0; f < ann.size(); ++f) {
      if (src.labels) {
        if (f < it->label_bin.size()) add_values(*it, f, it->label_bin[f], it->label_value[f], {}, s);
      } else if (f < it->pred_bin.size()) {
        // The same predictions as the frame features: scores under kShiftMinScore left out.
        std::vector<bool> keep;
        if (src.pred_set < ann[f].preds.size())
          for (const Object& o : ann[f].preds[src.pred_set].objects)
            keep.push_back(!o.score || *o.score >= kShiftMinScore);
        add_values(*it, f, it->pred_bin[f], it->pred_value[f], keep, s);
      }
    }
    out.push_back(std::move(s));
  }
  for (std::size_t k = 0; k < kFrameFeatures; ++k) {
    AttributeSample s;
    s.name = frame_feature_name(k);
    s.scope = "frame";
    for (const FrameFeatures& x : features)
      if (!std::isnan(x[k])) s.values.push_back(x[k]);
    out.push_back(std::move(s));
  }
  if (!meta.empty()) {
    const MetadataTable table = read_metadata_csv(meta);
    std::vector<std::string> ids;
    for (const FrameFiles& ff : ds.frames) ids.push_back(ff.id);
    for (const AttributeValues& v : metadata_attributes(table, ids)) {
      AttributeSample s;
      s.name = v.spec.name;
      s.scope = "metadata";
      s.categorical = v.spec.kind == AttributeKind::Categorical;
      add_values(v, 0, v.frame_bin, v.frame_value, {}, s);
      out.push_back(std::move(s));
    }
  }
  return out;
}

ShiftReport analyse_shift(const DatasetIndex& train, const DatasetIndex& prod,
                          const ShiftOptions& opt) {
  ShiftReport r;
  const std::size_t total = train.frames.size() + prod.frames.size();
  std::atomic<std::size_t> base{0};
  ShiftBuildOptions bo = opt.build;
  bo.progress = [&](std::size_t d, std::size_t) {
    if (opt.build.progress) opt.build.progress(base.load() + d, total);
  };
  auto one = [&](const DatasetIndex& ds, ShiftSource& src, std::vector<FrameFeatures>& feat,
                 std::vector<FrameAnnotations>& ann, ShiftBuildStats& stats) {
    ann = load_all_annotations(ds, true, opt.build.threads, {}, opt.build.cancel);
    (void)src;
    feat = build_frame_features(ds, ann, src, bo, &stats);
  };
  // Like is compared with like: when either dataset has no labels, both use the predictions of
  // the chosen set (where TRAIN has a set of that name), so a detector's misses and false
  // positives do not pass for a shift.
  r.prod_source = choose_source(prod, opt.pred);
  r.train_source = choose_source(train, opt.pred);
  if (!r.prod_source.labels && r.train_source.labels) {
    for (std::size_t i = 0; i < train.pred_sets.size(); ++i)
      if (train.pred_sets[i].name == prod.pred_sets[r.prod_source.pred_set].name)
        r.train_source = {false, i};
  } else if (!r.train_source.labels && r.prod_source.labels) {
    for (std::size_t i = 0; i < prod.pred_sets.size(); ++i)
      if (prod.pred_sets[i].name == train.pred_sets[r.train_source.pred_set].name)
        r.prod_source = {false, i};
  }
  std::vector<FrameFeatures> ft, fp;
  std::vector<FrameAnnotations> at, ap;
  one(train, r.train_source, ft, at, r.train_stats);
  base = train.frames.size();
  one(prod, r.prod_source, fp, ap, r.prod_stats);
  if (opt.build.cancel && opt.build.cancel->load()) return r;
  if (r.train_source.labels != r.prod_source.labels)
    r.warnings.push_back(std::string("objects compared across sources: TRAIN's ") +
                         (r.train_source.labels ? "labels" : "predictions") + " with PROD's " +
                         (r.prod_source.labels ? "labels" : "predictions") +
                         " (object attributes then mix a detector's errors into the shift)");
  for (const FrameFiles& ff : train.frames) r.train_ids.push_back(ff.id);
  for (const FrameFiles& ff : prod.frames) r.prod_ids.push_back(ff.id);
  r.train_samples = shift_attribute_samples(train, at, ft, r.train_source, opt.meta);
  r.prod_samples = shift_attribute_samples(
      prod, ap, fp, r.prod_source, opt.prod_meta.empty() ? opt.meta : opt.prod_meta);
  r.attributes = compare_attributes(r.train_samples, r.prod_samples);
  r.novelty = compute_novelty(ft, fp, opt.build.threads, opt.neighbours);
  return r;
}

}  // namespace needle
