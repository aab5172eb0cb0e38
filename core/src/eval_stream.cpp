// eval_stream.cpp — evaluate_kitti_dataset (needle/eval.h): `needle eval` in bounded memory, two
// passes over chunks of the dataset's frames (the passes are eval_internal.h's).
#include <algorithm>
#include <optional>

#include "eval_internal.h"
#include "needle/eval.h"

namespace needle {

namespace {

// One chunk of the index loaded, filtered and prepared; its counts in *counts when given.
eval_detail::PreparedChunk load_chunk(const DatasetIndex& ds, std::size_t pred_set,
                                      std::size_t begin, std::size_t end, unsigned threads,
                                      EvalRunCounts* counts) {
  const EvalDataset data = load_eval_range(ds, pred_set, begin, end, threads);
  if (counts) {
    EvalRunCounts c;
    c.evaluated = data.inputs.size();
    c.empty = data.empty;
    c.missing = data.missing;
    c.skipped = data.skipped.size();
    for (std::size_t i = 0; i < data.skipped.size() && i < kEvalSkippedKept; ++i)
      c.skipped_messages.push_back(data.skipped[i]);
    counts->add(c);
  }
  return eval_detail::prepare_chunk(data.inputs, threads);
}

}  // namespace

EvalReport evaluate_kitti_dataset(
    const DatasetIndex& ds, std::size_t pred_set, EvalRunCounts& counts, const EvalOptions& opt,
    const std::function<void(const char*, std::size_t, std::size_t)>& progress) {
  counts = {};
  const std::size_t total = ds.frames.size();
  const std::size_t step = std::max<std::size_t>(1, opt.stream_frames);
  const std::size_t n_chunks = (total + step - 1) / step;
  auto range = [&](std::size_t k) {
    return std::pair<std::size_t, std::size_t>{k * step, std::min(total, (k + 1) * step)};
  };
  eval_detail::Accumulator acc(opt.threads);
  // Pass 1; the prepared chunks are kept for pass 2 while they fit kEvalRetainBytes.
  std::vector<std::optional<eval_detail::PreparedChunk>> kept(n_chunks);
  std::size_t kept_bytes = 0;
  for (std::size_t k = 0; k < n_chunks; ++k) {
    const auto [b, e] = range(k);
    eval_detail::PreparedChunk c = load_chunk(ds, pred_set, b, e, opt.threads, &counts);
    acc.pass1(c);
    const std::size_t bytes = c.bytes();
    if (kept_bytes + bytes <= opt.retain_bytes) {
      kept_bytes += bytes;
      kept[k] = std::move(c);
    }
    if (progress) progress("pass 1", e, total);
  }
  acc.start_pass2();
  for (std::size_t k = 0; k < n_chunks; ++k) {
    const auto [b, e] = range(k);
    if (kept[k]) {
      acc.pass2(*kept[k]);
      kept[k].reset();
    } else {
      acc.pass2(load_chunk(ds, pred_set, b, e, opt.threads, nullptr));
    }
    if (progress) progress("pass 2", e, total);
  }
  return acc.report();
}

}  // namespace needle
