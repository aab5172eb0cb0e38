// slices.cpp — AP and error counts per slice of the data (see needle/slices.h).
//
// Index
//   [SECTION] Small helpers (parsing, Wilson, frame usability)
//   [SECTION] Bootstrap of AP over frames
//   [SECTION] Slice membership
//   [SECTION] compute_slices
//   [SECTION] run_slices (from a dataset)
//   [SECTION] Output
#include "needle/slices.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "needle/lidar_pass.h"

namespace needle {

// ============================================================================================
// [SECTION] Small helpers (parsing, Wilson, frame usability)
// ============================================================================================
namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else if (c != ' ') {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

}  // namespace

std::vector<std::vector<std::string>> parse_slice_by(const std::string& by) {
  std::vector<std::vector<std::string>> out;
  if (by.empty()) return out;
  const std::vector<std::string> names = split(by, ',');
  if (names.size() > 2)
    throw std::invalid_argument("--by takes one attribute or two (a cross): '" + by + "'");
  for (const std::string& n : names)
    if (n.empty()) throw std::invalid_argument("--by: empty attribute name in '" + by + "'");
  if (names.size() == 2 && names[0] == names[1])
    throw std::invalid_argument("--by: an attribute crossed with itself: '" + by + "'");
  out.push_back(names);
  return out;
}

std::pair<double, double> wilson_interval(long k, long n, double z) {
  if (n <= 0) return {0.0, 1.0};
  const double nn = static_cast<double>(n);
  const double p = static_cast<double>(k) / nn;
  const double z2 = z * z;
  const double denom = 1 + z2 / nn;
  const double centre = (p + z2 / (2 * nn)) / denom;
  const double half = z / denom * std::sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

bool eval_frame_usable(const FrameAnnotations& a, std::size_t pred_set,
                       const std::string& pred_set_name) {
  if (pred_set >= a.preds.size()) return false;
  const PredStatus st = a.preds[pred_set].status;
  if (st != PredStatus::Empty && st != PredStatus::Present) return false;
  if (!a.has_labels) return false;
  const std::string pred_modality = "pred:" + pred_set_name;
  for (const Problem& p : a.problems) {
    if (!p.fatal) continue;
    if (p.modality.rfind("label", 0) == 0 || p.modality.rfind(pred_modality, 0) == 0)
      return false;
  }
  return true;
}

// ============================================================================================
// [SECTION] Bootstrap of AP over frames
// ============================================================================================
namespace {

// splitmix64: a small, well-mixed generator; the stream depends only on the seed.
struct SplitMix {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
};

// Poisson(1) by inversion of its CDF (e^-1 / k!), truncated at 12 (P < 1e-9 beyond).
int poisson1(SplitMix& rng) {
  static const std::array<double, 13> cdf = [] {
    std::array<double, 13> c{};
    double p = std::exp(-1.0), s = 0;
    for (std::size_t k = 0; k < c.size(); ++k) {
      s += p;
      c[k] = s;
      p /= static_cast<double>(k + 1);
    }
    return c;
  }();
  const double u = rng.uniform();
  for (std::size_t k = 0; k < cdf.size(); ++k)
    if (u < cdf[k]) return static_cast<int>(k);
  return static_cast<int>(cdf.size());
}

// R40 AP (percent) from TP/FP totals at each threshold and the counted ground truth: precision
// at recall i/40 is the best precision among thresholds reaching that recall.
double ap_r40_from_counts(const std::vector<double>& tp, const std::vector<double>& fp,
                          double n_gt) {
  if (n_gt <= 0) return 0;
  constexpr int kLast = kEvalRecallPoints - 1;  // recall points i / 40, i = 1 .. 40
  // best[i]: the best precision among thresholds whose recall reaches i / 40; a threshold
  // reaching point i reaches every point below it, hence the suffix maximum.
  std::array<double, kEvalRecallPoints> best{};
  for (std::size_t k = 0; k < tp.size(); ++k) {
    const double den = tp[k] + fp[k];
    if (den <= 0) continue;
    const int reach = std::min(kLast, static_cast<int>(std::floor(tp[k] / n_gt * kLast + 1e-9)));
    if (reach < 1) continue;
    best[static_cast<std::size_t>(reach)] =
        std::max(best[static_cast<std::size_t>(reach)], tp[k] / den);
  }
  double sum = 0, run = 0;
  for (int i = kLast; i >= 1; --i) {
    run = std::max(run, best[static_cast<std::size_t>(i)]);
    sum += run;
  }
  return sum / kLast * 100.0;
}

// Poisson(1) weights of every evaluated frame in every resample: weights[frame * runs + run].
// One draw per frame and run, shared by every slice (each slice's bootstrap stays a valid
// bootstrap of that slice; the draws are made once).
std::vector<std::uint8_t> bootstrap_weights(std::size_t frames, int runs, std::uint64_t seed) {
  SplitMix rng{seed};
  std::vector<std::uint8_t> w(frames * static_cast<std::size_t>(std::max(0, runs)));
  for (std::uint8_t& x : w) x = static_cast<std::uint8_t>(poisson1(rng));
  return w;
}

// Percentiles of (resampled AP - the sample's recomputed AP): the interval's offsets from the
// devkit AP. Recomputing from counts at fixed thresholds is not the devkit's interpolation (it
// reads a few points lower), so the offsets, not the raw percentiles, carry over.
std::pair<double, double> bootstrap_ap(const std::vector<double>& thresholds,
                                       const std::vector<EvalFrameCounts>& frames,
                                       const std::vector<std::uint8_t>& weights, int runs) {
  const std::size_t nt = thresholds.size();
  if (runs <= 0 || nt == 0 || frames.empty()) return {0, 0};
  const std::size_t nr = static_cast<std::size_t>(runs);
  // Row r (0..runs-1) is a resample; row runs is the sample itself (every weight 1).
  std::vector<std::int32_t> dtp((nr + 1) * nt, 0), dfp((nr + 1) * nt, 0), n_gt(nr + 1, 0);
  std::vector<std::array<std::int32_t, 3>> deltas;
  for (const EvalFrameCounts& fc : frames) {
    deltas.clear();
    std::int32_t ptp = 0, pfp = 0;
    for (const auto& st : fc.steps) {
      deltas.push_back({st[0], st[1] - ptp, st[2] - pfp});
      ptp = st[1];
      pfp = st[2];
    }
    const std::uint8_t* w = weights.data() + static_cast<std::size_t>(fc.input) * nr;
    for (std::size_t r = 0; r <= nr; ++r) {
      const std::int32_t wr = r == nr ? 1 : w[r];
      if (wr == 0) continue;
      n_gt[r] += wr * fc.n_gt;
      std::int32_t* tp = dtp.data() + r * nt;
      std::int32_t* fp = dfp.data() + r * nt;
      for (const auto& d : deltas) {
        tp[d[0]] += wr * d[1];
        fp[d[0]] += wr * d[2];
      }
    }
  }
  std::vector<double> tp(nt), fp(nt), aps;
  double plugin = 0;
  for (std::size_t r = nr + 1; r-- > 0;) {
    double a = 0, b = 0;
    for (std::size_t k = 0; k < nt; ++k) {
      a += dtp[r * nt + k];
      b += dfp[r * nt + k];
      tp[k] = a;
      fp[k] = b;
    }
    const double ap = ap_r40_from_counts(tp, fp, static_cast<double>(n_gt[r]));
    if (r == nr)
      plugin = ap;
    else
      aps.push_back(ap - plugin);
  }
  std::sort(aps.begin(), aps.end());
  // 95% percentile interval (2.5% in each tail).
  constexpr double kTail = 0.025;
  const auto at = [&](double q) {
    const double pos = q * static_cast<double>(aps.size() - 1);
    return aps[static_cast<std::size_t>(std::lround(pos))];
  };
  return {at(kTail), at(1 - kTail)};
}

// ============================================================================================
// [SECTION] Slice membership
// ============================================================================================

struct FlatIndex {
  std::vector<std::size_t> label0, pred0;  // per evaluated frame, size frames + 1
};

struct SliceDef {
  std::string attribute, slice;
  std::vector<SliceCondition> conds;
};

// Keep vectors and the number of evaluated frames in the slice.
struct Membership {
  EvalSubset subset;
  std::size_t frames = 0;
};

Membership membership(const SliceInputs& in, const FlatIndex& fx, const SliceDef& def) {
  const std::vector<AttributeValues>& attrs = *in.attributes;
  Membership m;
  m.subset.label_keep.assign(fx.label0.back(), 0);
  m.subset.pred_keep.assign(fx.pred0.back(), 0);
  for (std::size_t e = 0; e < in.evaluated.size(); ++e) {
    const std::size_t f = in.evaluated[e];
    bool frame_in = true;
    for (const SliceCondition& c : def.conds) {
      const AttributeValues& a = attrs[c.attribute];
      if (a.spec.scope == AttributeScope::Frame && a.frame_bin[f] != c.bin) frame_in = false;
    }
    if (!frame_in) continue;
    ++m.frames;
    const FrameAnnotations& fa = (*in.frames)[f];
    for (std::size_t i = 0; i < fa.labels.size(); ++i) {
      bool keep = true;
      for (const SliceCondition& c : def.conds) {
        const AttributeValues& a = attrs[c.attribute];
        if (a.spec.scope == AttributeScope::Object && a.label_bin[f][i] != c.bin) keep = false;
      }
      m.subset.label_keep[fx.label0[e] + i] = keep ? 1 : 0;
    }
    const std::size_t n_pred = fx.pred0[e + 1] - fx.pred0[e];
    for (std::size_t j = 0; j < n_pred; ++j) {
      bool keep = true;
      for (const SliceCondition& c : def.conds) {
        const AttributeValues& a = attrs[c.attribute];
        if (a.spec.scope == AttributeScope::Object && a.preds_have_values() &&
            a.pred_bin[f][j] != c.bin)
          keep = false;
      }
      m.subset.pred_keep[fx.pred0[e] + j] = keep ? 1 : 0;
    }
  }
  return m;
}

std::vector<SliceDef> slice_defs(const std::vector<AttributeValues>& attrs,
                                 const std::vector<std::size_t>& group) {
  std::vector<SliceDef> out;
  if (group.size() == 1) {
    const AttributeSpec& s = attrs[group[0]].spec;
    for (std::size_t b = 0; b < s.bins(); ++b)
      out.push_back({s.name, s.labels[b], {{group[0], static_cast<int>(b)}}});
  } else {
    const AttributeSpec& s0 = attrs[group[0]].spec;
    const AttributeSpec& s1 = attrs[group[1]].spec;
    for (std::size_t b0 = 0; b0 < s0.bins(); ++b0)
      for (std::size_t b1 = 0; b1 < s1.bins(); ++b1)
        out.push_back({s0.name + "," + s1.name, s0.labels[b0] + ", " + s1.labels[b1],
                       {{group[0], static_cast<int>(b0)}, {group[1], static_cast<int>(b1)}}});
  }
  return out;
}

ObjectClass object_class_of(EvalClass c) {
  switch (c) {
    case EvalClass::Car:
      return ObjectClass::Car;
    case EvalClass::Pedestrian:
      return ObjectClass::Pedestrian;
    case EvalClass::Cyclist:
      return ObjectClass::Cyclist;
  }
  return ObjectClass::Unknown;
}

// A finding located in the flat indices of the evaluation.
struct FlatFinding {
  std::string kind, cls;
  long label = -1, pred = -1;  // flat indices
};

std::vector<FlatFinding> flat_findings(const SliceInputs& in, const FlatIndex& fx) {
  std::vector<FlatFinding> out;
  if (!in.ranking) return out;
  std::vector<long> eval_pos(in.frames->size(), -1);
  for (std::size_t e = 0; e < in.evaluated.size(); ++e)
    eval_pos[in.evaluated[e]] = static_cast<long>(e);
  for (const FrameRank& fr : in.ranking->frames) {
    if (fr.frame_index >= eval_pos.size() || eval_pos[fr.frame_index] < 0) continue;
    const std::size_t e = static_cast<std::size_t>(eval_pos[fr.frame_index]);
    for (const Finding& fd : fr.findings) {
      FlatFinding ff;
      ff.kind = fd.kind;
      ff.cls = fd.cls;
      if (fd.label >= 0 &&
          static_cast<std::size_t>(fd.label) < fx.label0[e + 1] - fx.label0[e])
        ff.label = static_cast<long>(fx.label0[e]) + fd.label;
      else if (fd.prediction >= 0 && fd.prediction_set == in.pred_set_name &&
               static_cast<std::size_t>(fd.prediction) < fx.pred0[e + 1] - fx.pred0[e])
        ff.pred = static_cast<long>(fx.pred0[e]) + fd.prediction;
      else
        continue;  // a frame-level finding, or about another prediction set
      out.push_back(std::move(ff));
    }
  }
  return out;
}

}  // namespace

// ============================================================================================
// [SECTION] compute_slices
// ============================================================================================
namespace {

struct Context {
  const SliceInputs& in;
  const SliceOptions& opt;
  const FlatIndex& fx;
  const PreparedEval& prepared;
  const std::vector<FlatFinding>& findings;
  std::vector<std::uint8_t> weights;  // bootstrap_weights of the evaluated frames
  SubsetEvalOptions eval_opt;
  std::vector<std::uint8_t> label_class;  // ObjectClass of each label, flat over the inputs
  std::array<std::optional<double>, kEvalClasses> op{};
  std::array<double, kEvalClasses> overall_r40{};
};

SliceRow make_row(const Context& cx, const SliceDef& def, const Membership& m,
                  const SubsetClassEval& ce) {
  const std::size_t di = static_cast<std::size_t>(cx.opt.difficulty);
  SliceRow row;
  row.attribute = def.attribute;
  row.slice = def.slice;
  row.conditions = def.conds;
  row.cls = ce.cls;
  row.frames = m.frames;
  row.ap = ce.ap;
  for (std::size_t d = 0; d < kEvalDifficulties; ++d) row.ap_computed[d] = cx.eval_opt.difficulties[d];
  row.counted = ce.n_gt[di];
  const auto oc = static_cast<std::uint8_t>(object_class_of(ce.cls));
  const std::vector<std::uint8_t>& keep = m.subset.label_keep;
  for (std::size_t i = 0; i < cx.label_class.size(); ++i)
    row.objects += cx.label_class[i] == oc && (keep.empty() || keep[i]);
  const auto [lo, hi] = bootstrap_ap(ce.thresholds, ce.frames, cx.weights, cx.opt.bootstrap_runs);
  const double ap = ce.ap[di].r40;
  row.ap_low = std::clamp(ap + std::min(lo, 0.0), 0.0, 100.0);
  row.ap_high = std::clamp(ap + std::max(hi, 0.0), 0.0, 100.0);
  long tp_op = 0, fp_op = 0;
  if (cx.op[static_cast<std::size_t>(ce.cls)]) {
    tp_op = ce.tp_op;
    fp_op = ce.fp_op;
  }
  row.recall = row.counted > 0 ? static_cast<double>(tp_op) / row.counted : 0;
  std::tie(row.recall_low, row.recall_high) = wilson_interval(tp_op, row.counted);
  row.fp_per_frame = m.frames > 0 ? static_cast<double>(fp_op) / static_cast<double>(m.frames) : 0;
  const std::string cname = eval_class_name(ce.cls);
  for (const FlatFinding& ff : cx.findings) {
    if (ff.cls != cname) continue;
    const bool in_slice =
        ff.label >= 0 ? (m.subset.label_keep.empty() ||
                         m.subset.label_keep[static_cast<std::size_t>(ff.label)])
                      : (m.subset.pred_keep.empty() ||
                         m.subset.pred_keep[static_cast<std::size_t>(ff.pred)]);
    if (in_slice) ++row.findings[ff.kind];
  }
  row.small = row.counted < cx.opt.min_objects;
  row.gap = ce.ap[di].r40 - cx.overall_r40[static_cast<std::size_t>(ce.cls)];
  return row;
}

// Runs fn(i) for i in [0, n) on `threads` threads.
template <typename Fn>
void parallel(std::size_t n, unsigned threads, Fn fn) {
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) fn(i);
  };
  std::vector<std::thread> pool;
  const std::size_t extra = std::min<std::size_t>(threads > 0 ? threads - 1 : 0, n);
  for (std::size_t t = 0; t < extra; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
}

std::optional<double> f1_best_score(const SubsetClassEval& ce) {
  const std::size_t nt = ce.thresholds.size();
  if (nt == 0) return std::nullopt;
  std::vector<double> dtp(nt, 0), dfp(nt, 0);
  double n_gt = 0;
  for (const EvalFrameCounts& fc : ce.frames) {
    n_gt += fc.n_gt;
    std::int32_t ptp = 0, pfp = 0;
    for (const auto& st : fc.steps) {
      dtp[static_cast<std::size_t>(st[0])] += st[1] - ptp;
      dfp[static_cast<std::size_t>(st[0])] += st[2] - pfp;
      ptp = st[1];
      pfp = st[2];
    }
  }
  double tp = 0, fp = 0, best = -1;
  std::size_t best_k = 0;
  for (std::size_t k = 0; k < nt; ++k) {
    tp += dtp[k];
    fp += dfp[k];
    const double den = 2 * tp + fp + (n_gt - tp);
    const double f1 = den > 0 ? 2 * tp / den : 0;
    if (f1 > best) {
      best = f1;
      best_k = k;
    }
  }
  return ce.thresholds[best_k];
}

PrCurve make_curve(const SubsetClassEval& ce) {
  PrCurve c;
  c.cls = ce.cls;
  const std::size_t nt = ce.thresholds.size();
  std::vector<double> dtp(nt, 0), dfp(nt, 0);
  double n_gt = 0;
  for (const EvalFrameCounts& fc : ce.frames) {
    n_gt += fc.n_gt;
    std::int32_t ptp = 0, pfp = 0;
    for (const auto& st : fc.steps) {
      dtp[static_cast<std::size_t>(st[0])] += st[1] - ptp;
      dfp[static_cast<std::size_t>(st[0])] += st[2] - pfp;
      ptp = st[1];
      pfp = st[2];
    }
  }
  double tp = 0, fp = 0;
  for (std::size_t k = 0; k < nt; ++k) {
    tp += dtp[k];
    fp += dfp[k];
    c.threshold.push_back(ce.thresholds[k]);
    c.precision.push_back(tp + fp > 0 ? tp / (tp + fp) : 0);
    c.recall.push_back(n_gt > 0 ? tp / n_gt : 0);
  }
  c.frames = ce.frames;
  return c;
}

}  // namespace

SlicesResult compute_slices(const SliceInputs& in, const SliceOptions& opt) {
  SlicesResult res;
  res.metric = opt.metric;
  res.difficulty = opt.difficulty;
  res.frames = in.evaluated;
  if (!in.frames || !in.attributes) return res;
  const std::vector<AttributeValues>& attrs = *in.attributes;
  for (const AttributeValues& a : attrs) res.attributes.push_back(a.spec);
  const unsigned threads = opt.threads ? opt.threads : std::max(1u, std::thread::hardware_concurrency());

  // Which attribute groups.
  auto find_attr = [&](const std::string& name) {
    for (std::size_t i = 0; i < attrs.size(); ++i)
      if (attrs[i].spec.name == name) return i;
    std::string known;
    for (const AttributeValues& a : attrs) known += (known.empty() ? "" : ", ") + a.spec.name;
    throw std::invalid_argument("unknown attribute '" + name + "' (known: " + known + ")");
  };
  std::vector<std::vector<std::size_t>> groups;
  if (opt.by.empty()) {
    for (std::size_t i = 0; i < attrs.size(); ++i) groups.push_back({i});
  } else {
    for (const std::string& by : opt.by)
      for (const std::vector<std::string>& g : parse_slice_by(by)) {
        std::vector<std::size_t> idx;
        for (const std::string& n : g) idx.push_back(find_attr(n));
        groups.push_back(idx);
      }
  }

  // The evaluation inputs and their flat indices.
  FlatIndex fx;
  fx.label0.push_back(0);
  fx.pred0.push_back(0);
  std::vector<EvalFrameInput> inputs;
  for (std::size_t f : in.evaluated) {
    const FrameAnnotations& a = (*in.frames)[f];
    const std::vector<Object>* preds = &a.preds.at(in.pred_set).objects;
    inputs.push_back({&a.labels, preds});
    fx.label0.push_back(fx.label0.back() + a.labels.size());
    fx.pred0.push_back(fx.pred0.back() + preds->size());
  }
  const PreparedEvalPtr prepared = prepare_eval(inputs, opt.metric, threads);
  const std::vector<FlatFinding> findings = flat_findings(in, fx);

  Context cx{in, opt, fx, *prepared, findings, {}, {}, {}, {}, {}};
  cx.label_class.reserve(fx.label0.back());
  for (std::size_t f : in.evaluated)
    for (const Object& o : (*in.frames)[f].labels)
      cx.label_class.push_back(static_cast<std::uint8_t>(o.cls));
  cx.weights = bootstrap_weights(in.evaluated.size(), opt.bootstrap_runs, kSliceBootstrapSeed);
  // The whole set: thresholds, then the operating scores.
  SubsetEvalOptions eo;
  eo.threads = threads;
  eo.detail = opt.difficulty;
  std::vector<SubsetClassEval> whole = evaluate_subset(*prepared, {}, eo);
  for (std::size_t c = 0; c < kEvalClasses; ++c) {
    cx.op[c] = opt.operating_score ? opt.operating_score : f1_best_score(whole[c]);
    eo.operating_score[c] = cx.op[c];
    cx.overall_r40[c] = whole[c].ap[static_cast<std::size_t>(opt.difficulty)].r40;
  }
  res.operating_score = cx.op;
  whole = evaluate_subset(*prepared, {}, eo);
  cx.eval_opt = eo;
  Membership all;
  all.frames = in.evaluated.size();
  const SliceDef whole_def{"", "", {}};
  for (std::size_t c = 0; c < kEvalClasses; ++c) {
    if (!whole[c].has_labels && !whole[c].has_predictions) continue;
    res.overall.push_back(make_row(cx, whole_def, all, whole[c]));
    res.curves.push_back(make_curve(whole[c]));
  }

  // Every slice, in parallel (each evaluation on one thread).
  std::vector<SliceDef> defs;
  std::vector<bool> class_attr;
  for (const std::vector<std::size_t>& g : groups) {
    for (SliceDef& d : slice_defs(attrs, g)) {
      defs.push_back(std::move(d));
      class_attr.push_back(attrs[g[0]].spec.name == "class" && g.size() == 1);
    }
  }
  std::vector<std::vector<SliceRow>> rows(defs.size());
  eo.threads = 1;
  if (!opt.all_difficulties) {
    eo.difficulties = {false, false, false};
    eo.difficulties[static_cast<std::size_t>(opt.difficulty)] = true;
  }
  cx.eval_opt = eo;
  parallel(defs.size(), threads, [&](std::size_t i) {
    const Membership m = membership(in, fx, defs[i]);
    const std::vector<SubsetClassEval> ev = evaluate_subset(*prepared, m.subset, eo);
    for (std::size_t c = 0; c < kEvalClasses; ++c) {
      if (class_attr[i]) {
        if (defs[i].slice != eval_class_name(static_cast<EvalClass>(c))) continue;
      } else if (!ev[c].has_labels && !ev[c].has_predictions) {
        continue;
      }
      rows[i].push_back(make_row(cx, defs[i], m, ev[c]));
    }
  });
  for (std::vector<SliceRow>& r : rows)
    for (SliceRow& x : r) res.rows.push_back(std::move(x));
  std::stable_sort(res.rows.begin(), res.rows.end(), [](const SliceRow& a, const SliceRow& b) {
    if (a.small != b.small) return !a.small;
    return a.gap < b.gap;
  });
  return res;
}

std::vector<std::size_t> pr_point_frames(const SlicesResult& r, const PrCurve& c, std::size_t k,
                                         bool fp) {
  std::vector<std::size_t> out;
  for (const EvalFrameCounts& fc : c.frames) {
    std::int32_t tp = 0, f = 0;
    for (const auto& st : fc.steps) {
      if (static_cast<std::size_t>(st[0]) > k) break;
      tp = st[1];
      f = st[2];
    }
    const bool hit = fp ? f > 0 : fc.n_gt > tp;
    if (hit && fc.input < r.frames.size()) out.push_back(r.frames[fc.input]);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// ============================================================================================
// [SECTION] run_slices (from a dataset)
// ============================================================================================
SlicesRun run_slices(const DatasetIndex& ds, std::size_t pred_set, const SlicesJob& job,
                     const PipelineProgress& progress, const CancelToken* cancel) {
  const auto t0 = std::chrono::steady_clock::now();
  SlicesRun out;
  for (const FrameFiles& f : ds.frames) out.frame_ids.push_back(f.id);
  if (pred_set >= ds.pred_sets.size()) {
    out.error = "no prediction set to evaluate";
    return out;
  }
  PipelineResult pr = run_pipeline(ds, job.pipeline, progress, cancel);
  out.pipeline_seconds = pr.seconds;
  if (pr.status != PipelineStatus::Ok) {
    out.status = pr.status;
    out.error = pr.error;
    return out;
  }
  for (const std::string& w : pr.warnings) out.warnings.push_back(w);
  const std::string set_name = ds.pred_sets[pred_set].name;
  // The pipeline reads every set of `ds` in its order (lidar evidence reads none).
  const std::size_t ann_set = pred_set;
  if (pr.set_names.empty()) {
    out.error = "the ranking read no prediction set (evidence lidar): nothing to evaluate";
    return out;
  }

  // Images: brightness and contrast, decoded in parallel with the pipeline's thread count.
  std::vector<std::optional<ImageStats>> images;
  bool any_image = false;
  for (const FrameFiles& f : ds.frames) any_image = any_image || !f.image.empty();
  if (job.image_stats && any_image) {
    images.resize(ds.frames.size());
    const unsigned threads = job.pipeline.threads ? job.pipeline.threads
                                                  : std::max(1u, std::thread::hardware_concurrency());
    std::atomic<std::size_t> done{0};
    std::mutex pm;
    parallel(ds.frames.size(), threads, [&](std::size_t f) {
      if (cancel && cancel->cancelled()) return;
      if (ds.frames[f].image.empty()) return;
      LoadOptions lo;
      lo.calib = false;
      lo.cloud = false;
      const FrameData fd = load_frame(ds, f, lo);
      if (fd.image) images[f] = image_stats(*fd.image);
      const std::size_t d = ++done;
      if (progress) {
        std::lock_guard<std::mutex> lock(pm);
        progress("images", d, ds.frames.size());
      }
    });
    if (cancel && cancel->cancelled()) {
      out.status = PipelineStatus::Cancelled;
      return out;
    }
  }

  // Lidar: points inside boxes (from the cache the pipeline filled when it used the lidar).
  std::vector<FrameLidar> lidar;
  bool any_scan = false;
  for (const FrameFiles& f : ds.frames) any_scan = any_scan || !f.velodyne.empty();
  if (job.lidar && any_scan) {
    LidarPassOptions lo;
    lo.threads = job.pipeline.threads;
    lo.use_cache = job.pipeline.lidar_cache;
    lo.cache_dir = job.pipeline.lidar_cache_dir;
    lo.cancel = cancel ? cancel->flag() : nullptr;
    if (progress) lo.progress = [&](std::size_t d, std::size_t t) { progress("lidar", d, t); };
    lidar = run_lidar_pass(ds, pr.frames, lo);
    if (cancel && cancel->cancelled()) {
      out.status = PipelineStatus::Cancelled;
      return out;
    }
  }

  AttributeInputs ai;
  ai.frames = &pr.frames;
  ai.pred_set = static_cast<int>(ann_set);
  ai.pred_set_name = set_name;
  ai.index = &ds;
  ai.lidar = lidar.empty() ? nullptr : &lidar;
  ai.ranking = &pr.rank;
  ai.images = images.empty() ? nullptr : &images;
  out.attributes = compute_builtin_attributes(ai);
  if (job.metadata) {
    std::vector<std::string> unknown;
    try {
      std::vector<AttributeValues> meta = metadata_attributes(*job.metadata, out.frame_ids, &unknown);
      for (AttributeValues& m : meta) out.attributes.push_back(std::move(m));
    } catch (const std::exception& e) {
      out.error = e.what();
      return out;
    }
    if (!unknown.empty())
      out.warnings.push_back(std::to_string(unknown.size()) + " rows of " +
                             job.metadata->file.string() + " name frames not in the dataset (first: " +
                             unknown.front() + ")");
  }

  SliceInputs si;
  si.frames = &pr.frames;
  si.pred_set = ann_set;
  si.pred_set_name = set_name;
  si.attributes = &out.attributes;
  si.ranking = &pr.rank;
  std::size_t skipped = 0;
  for (std::size_t f = 0; f < pr.frames.size(); ++f) {
    const FrameAnnotations& a = pr.frames[f];
    if (ann_set < a.preds.size() &&
        (a.preds[ann_set].status == PredStatus::Empty ||
         a.preds[ann_set].status == PredStatus::Present || a.preds[ann_set].status == PredStatus::Invalid)) {
      if (eval_frame_usable(a, ann_set, set_name))
        si.evaluated.push_back(f);
      else
        ++skipped;
    }
  }
  if (skipped > 0)
    out.warnings.push_back(std::to_string(skipped) +
                           " frames with a prediction file skipped for bad data (as needle eval)");
  if (si.evaluated.empty()) {
    out.error = "no frame to evaluate: none has both a prediction file of '" + set_name +
                "' and a usable label file";
    return out;
  }
  if (progress) progress("slices", 0, 1);
  const auto t_slices = std::chrono::steady_clock::now();
  try {
    out.result = compute_slices(si, job.slice);
  } catch (const std::invalid_argument& e) {
    out.error = e.what();
    return out;
  }
  if (progress) progress("slices", 1, 1);
  out.slice_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_slices).count();
  out.status = PipelineStatus::Ok;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

// ============================================================================================
// [SECTION] Output
// ============================================================================================
namespace {

constexpr Difficulty kDifficulties[] = {Difficulty::Easy, Difficulty::Moderate, Difficulty::Hard};

// The double nearest to v printed with `decimals` decimals (so that JSON shows "8.4889").
double round_to(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return std::strtod(buf, nullptr);
}

nlohmann::ordered_json row_json(const SlicesResult& r, const SliceRow& row, bool with_slice) {
  nlohmann::ordered_json j;
  if (with_slice) {
    j["attribute"] = row.attribute;
    j["slice"] = row.slice;
  }
  j["class"] = eval_class_name(row.cls);
  j["objects"] = row.objects;
  j["counted"] = row.counted;
  j["frames"] = row.frames;
  nlohmann::ordered_json ap;
  for (Difficulty d : kDifficulties) {
    const std::size_t di = static_cast<std::size_t>(d);
    if (!row.ap_computed[di]) continue;
    nlohmann::ordered_json x;
    x["r40"] = round_to(row.ap[di].r40, 4);
    x["r11"] = round_to(row.ap[di].r11, 4);
    if (d == r.difficulty) {
      x["r40_low"] = round_to(row.ap_low, 4);
      x["r40_high"] = round_to(row.ap_high, 4);
    }
    ap[difficulty_key(d)] = x;
  }
  j["ap"] = ap;
  j["recall"] = round_to(row.recall, 6);
  j["recall_low"] = round_to(row.recall_low, 6);
  j["recall_high"] = round_to(row.recall_high, 6);
  j["fp_per_frame"] = round_to(row.fp_per_frame, 6);
  nlohmann::ordered_json f = nlohmann::ordered_json::object();
  for (const auto& [k, n] : row.findings) f[k] = n;
  j["findings"] = f;
  j["small"] = row.small;
  if (with_slice) j["gap"] = round_to(row.gap, 4);
  return j;
}

}  // namespace

std::string slices_json(const SlicesResult& r, int indent) {
  nlohmann::ordered_json j;
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const SliceRow& row : r.rows) rows.push_back(row_json(r, row, true));
  j["slices"] = rows;
  nlohmann::ordered_json overall = nlohmann::ordered_json::object();
  for (const SliceRow& row : r.overall) overall[eval_class_name(row.cls)] = row_json(r, row, false);
  j["overall"] = overall;
  j["metric"] = eval_metric_key(r.metric);
  j["difficulty"] = difficulty_key(r.difficulty);
  nlohmann::ordered_json op = nlohmann::ordered_json::object();
  for (std::size_t c = 0; c < kEvalClasses; ++c)
    if (r.operating_score[c]) op[eval_class_name(static_cast<EvalClass>(c))] = *r.operating_score[c];
  j["operating_score"] = op;
  j["frames"] = r.frames.size();
  nlohmann::ordered_json attrs = nlohmann::ordered_json::array();
  for (const AttributeSpec& s : r.attributes) {
    nlohmann::ordered_json a;
    a["name"] = s.name;
    a["scope"] = s.scope == AttributeScope::Object ? "object" : "frame";
    a["kind"] = s.kind == AttributeKind::Numeric ? "numeric" : "categorical";
    a["source"] = s.source;
    a["bins"] = s.labels;
    attrs.push_back(a);
  }
  j["attributes"] = attrs;
  return j.dump(indent) + "\n";
}

namespace {

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

std::string slices_csv(const SlicesResult& r) {
  const std::string d = difficulty_key(r.difficulty);
  std::string out = "attribute,slice,class,objects,counted,frames,ap_easy_r40,ap_moderate_r40,"
                    "ap_hard_r40,ap_" + d + "_r40_low,ap_" + d + "_r40_high,gap,recall,recall_low,"
                    "recall_high,fp_per_frame,findings,small\n";
  char buf[512];
  auto line = [&](const SliceRow& row, const std::string& attr, const std::string& slice) {
    std::string f;
    for (const auto& [k, n] : row.findings) f += (f.empty() ? "" : ";") + k + "=" + std::to_string(n);
    std::string aps;
    for (std::size_t di = 0; di < kEvalDifficulties; ++di) {
      char a[32] = "";
      if (row.ap_computed[di]) std::snprintf(a, sizeof a, "%.4f", row.ap[di].r40);
      aps += std::string(",") + a;
    }
    std::snprintf(buf, sizeof buf, ",%zu,%d,%zu%s,%.4f,%.4f,%.4f,%.6f,%.6f,%.6f,%.6f,", row.objects,
                  row.counted, row.frames, aps.c_str(), row.ap_low, row.ap_high, row.gap,
                  row.recall, row.recall_low, row.recall_high, row.fp_per_frame);
    out += csv_cell(attr) + "," + csv_cell(slice) + "," + eval_class_name(row.cls) + buf +
           csv_cell(f) + "," + (row.small ? "true" : "false") + "\n";
  };
  for (const SliceRow& row : r.overall) line(row, "all", "all");
  for (const SliceRow& row : r.rows) line(row, row.attribute, row.slice);
  return out;
}

std::string slices_text(const SlicesResult& r) {
  const std::string d = difficulty_key(r.difficulty);
  std::string out;
  char buf[512];
  std::snprintf(buf, sizeof buf, "%zu frames evaluated; metric %s, AP R40 at %s difficulty\n",
                r.frames.size(), eval_metric_key(r.metric), d.c_str());
  out += buf;
  for (std::size_t c = 0; c < kEvalClasses; ++c)
    if (r.operating_score[c]) {
      std::snprintf(buf, sizeof buf, "operating score %s: %.4g\n",
                    eval_class_name(static_cast<EvalClass>(c)), *r.operating_score[c]);
      out += buf;
    }
  std::snprintf(buf, sizeof buf, "\n%-24s %-22s %-10s %7s %7s %17s %7s %7s %7s  %s\n",
                "attribute", "slice", "class", "objects", "AP", "95% interval", "gap", "recall",
                "FP/fr", "findings");
  out += buf;
  auto line = [&](const SliceRow& row, const std::string& attr, const std::string& slice) {
    std::string f;
    for (const auto& [k, n] : row.findings) f += (f.empty() ? "" : " ") + k + "=" + std::to_string(n);
    const std::size_t di = static_cast<std::size_t>(r.difficulty);
    char iv[64];
    std::snprintf(iv, sizeof iv, "[%.1f, %.1f]", row.ap_low, row.ap_high);
    std::snprintf(buf, sizeof buf, "%-24s %-22s %-10s %7zu %7.2f %17s %+7.2f %7.3f %7.3f  %s%s\n",
                  attr.c_str(), slice.c_str(), eval_class_name(row.cls), row.objects,
                  row.ap[di].r40, iv, row.gap, row.recall, row.fp_per_frame,
                  row.small ? "(small) " : "", f.c_str());
    out += buf;
  };
  for (const SliceRow& row : r.overall) line(row, "(whole set)", "");
  for (const SliceRow& row : r.rows) line(row, row.attribute, row.slice);
  return out;
}

}  // namespace needle
