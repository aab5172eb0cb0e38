// needle eval --shard (app/cli/shard.h): the map step of a sharded evaluation. The reduce step
// (--merge) is in eval.cpp, where it shares the report's output with the single run.
#include <cstdio>
#include <exception>

#include "cli/progress.h"
#include "cli/shard.h"

namespace needle::cli {

int eval_map_step(const DatasetIndex& ds, const std::string& dataset_arg, unsigned threads,
                  const ShardOptions& o) {
  try {
    const ShardSpec shard = parse_shard_spec(o.shard);
    ProgressBar bar("needle eval");
    const EvalRunCounts c = write_eval_partial(
        ds, dataset_arg, shard, o.partial_out, threads,
        [&](const char* phase, std::size_t d, std::size_t t) { bar.update(d, t, phase); });
    bar.finish();
    const auto [b, e] = shard_range(shard, ds.frames.size());
    std::fprintf(stderr,
                 "needle eval: shard %zu/%zu: frames %zu-%zu (%zu evaluated, %zu skipped) written "
                 "to %s\n",
                 shard.index, shard.count, b, e, c.evaluated, c.skipped, o.partial_out.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "needle eval: %s\n", e.what());
    return 1;
  }
}

}  // namespace needle::cli
