// partial_eval.cpp — `needle eval --shard` and `--merge` (needle/partial.h): a shard's frames are
// written as the devkit's prepared chunks (eval_internal.h), so the merge runs only the matching
// passes, streaming over the parts twice.
#include <algorithm>
#include <optional>

#include "eval_internal.h"
#include "needle/partial.h"
#include "partial_internal.h"

namespace needle {

namespace fs = std::filesystem;
using cache_file::Reader;
using cache_file::Writer;
using namespace partial_detail;

namespace {

void put_counts(Writer& w, const EvalRunCounts& c) {
  for (std::size_t v : {c.evaluated, c.empty, c.missing, c.skipped})
    w.pod(static_cast<std::uint64_t>(v));
  w.pod(static_cast<std::uint32_t>(c.skipped_messages.size()));
  for (const std::string& m : c.skipped_messages) w.str(m);
}

bool get_counts(Reader& r, EvalRunCounts& c) {
  std::uint64_t v[4] = {};
  std::uint32_t n = 0;
  for (std::uint64_t& x : v)
    if (!r.pod(x)) return false;
  if (!r.pod(n) || n > kEvalSkippedKept) return false;
  c.evaluated = static_cast<std::size_t>(v[0]);
  c.empty = static_cast<std::size_t>(v[1]);
  c.missing = static_cast<std::size_t>(v[2]);
  c.skipped = static_cast<std::size_t>(v[3]);
  c.skipped_messages.resize(n);
  for (std::string& m : c.skipped_messages)
    if (!r.str(m)) return false;
  return r.done();
}

eval_detail::PreparedChunk decode_chunk(const PartFile& f, const RecordRef& rec) {
  const std::string bytes = read_payload(f, rec);
  Reader r(bytes);
  eval_detail::PreparedChunk c;
  if (!eval_detail::read_chunk(r, c) || !r.done())
    fail(f.path, "corrupt: an EVCH record cannot be decoded");
  return c;
}

}  // namespace

EvalRunCounts write_eval_partial(const DatasetIndex& ds, const std::string& dataset_arg,
                                 const ShardSpec& shard, const fs::path& out, unsigned threads,
                                 const PipelineProgress& progress) {
  if (ds.pred_sets.size() != 1)
    throw PartialError("needle eval evaluates one prediction set (" +
                       std::to_string(ds.pred_sets.size()) + " given)");
  PartialHeader h;
  h.kind = PartialKind::Eval;
  h.identity = dataset_identity(ds, dataset_arg);
  h.options = {"pred_set=" + ds.pred_sets[0].name};
  h.shard = shard;
  const auto [b, e] = shard_range(shard, ds.frames.size());
  h.begin = b;
  h.end = e;

  PartialWriter w(out, PartialKind::Eval);
  w.record(kHead, header_payload(h));
  EvalRunCounts counts;
  for (std::size_t c0 = b; c0 < e; c0 += kEvalStreamFrames) {
    const std::size_t c1 = std::min(e, c0 + kEvalStreamFrames);
    const EvalDataset data = load_eval_range(ds, 0, c0, c1, threads);
    EvalRunCounts c;
    c.evaluated = data.inputs.size();
    c.empty = data.empty;
    c.missing = data.missing;
    c.skipped = data.skipped.size();
    for (std::size_t i = 0; i < data.skipped.size() && i < kEvalSkippedKept; ++i)
      c.skipped_messages.push_back(data.skipped[i]);
    counts.add(c);
    Writer rec;
    eval_detail::write_chunk(rec, eval_detail::prepare_chunk(data.inputs, threads));
    w.record(kEvalChunk, rec.take());
    if (progress) progress("loading", c1 - b, e - b);
  }
  Writer extra;
  put_counts(extra, counts);
  w.record(kTail, tail_payload(w.records(), e - b, extra.take()));
  w.commit();
  return counts;
}

EvalRunCounts PartialSet::eval_counts() const {
  EvalRunCounts sum;
  for (const PartFile& f : impl_->parts) {
    EvalRunCounts c;
    Reader r(f.tail);
    if (!get_counts(r, c)) fail(f.path, "corrupt: the TAIL's counts cannot be read");
    sum.add(c);
  }
  return sum;
}

EvalReport merge_eval_partials(const PartialSet& parts, EvalRunCounts& counts,
                               const EvalOptions& opt, const PipelineProgress& progress) {
  if (parts.impl().kind != PartialKind::Eval)
    throw PartialError("merge_eval_partials: not an eval partial set");
  counts = parts.eval_counts();
  std::vector<std::pair<const PartFile*, const RecordRef*>> records;
  for (const PartFile& f : parts.impl().parts)
    for (const RecordRef& r : f.body) records.emplace_back(&f, &r);
  // The same two passes as evaluate_kitti_dataset, over the parts' records in shard order; the
  // decoded chunks are kept for pass 2 while they fit kEvalRetainBytes.
  eval_detail::Accumulator acc(opt.threads);
  std::vector<std::optional<eval_detail::PreparedChunk>> kept(records.size());
  std::size_t kept_bytes = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    eval_detail::PreparedChunk c = decode_chunk(*records[i].first, *records[i].second);
    acc.pass1(c);
    const std::size_t bytes = c.bytes();
    if (kept_bytes + bytes <= opt.retain_bytes) {
      kept_bytes += bytes;
      kept[i] = std::move(c);
    }
    if (progress) progress("pass 1", i + 1, records.size());
  }
  acc.start_pass2();
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (kept[i]) {
      acc.pass2(*kept[i]);
      kept[i].reset();
    } else {
      acc.pass2(decode_chunk(*records[i].first, *records[i].second));
    }
    if (progress) progress("pass 2", i + 1, records.size());
  }
  return acc.report();
}

}  // namespace needle
