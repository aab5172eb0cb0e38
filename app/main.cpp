// needle — entry point: subcommand dispatch only.
#include <cstdio>
#include <cstring>
#include <string>

#include "cli/commands.h"

namespace {
void print_usage() {
  std::puts(
      "needle — find the needles in a perception dataset\n"
      "\n"
      "usage: needle [SUBCOMMAND] [ARGS...]\n"
      "  view [DATASET] [--pred [NAME=]DIR ...]   open the viewer (default: the demo dataset)\n"
      "  rank DATASET [--pred [NAME=]DIR ...]     rank frames by how suspicious they are\n"
      "  report DATASET --out DIR [--compare O,N] HTML report (AP, curves, top frames)\n"
      "  eval DATASET --pred DIR                  KITTI-style AP evaluation\n"
      "  demo OUT_DIR [--frames N] [--seed S]     generate the synthetic demo dataset\n"
      "  review DATASET COMMAND ...               tags, issues, verdicts (the review store)\n"
      "  help --keys [--markdown] | --script      the viewer's shortcuts / script actions\n"
      "  lidar DATASET [--frames A:B]             run the lidar pass (fills the cache)\n"
      "  similar DATASET REF [--top K]            the most similar objects or frames\n"
      "  slices DATASET --pred SET [--by ATTR]    AP and errors per slice, worst first\n"
      "  shift TRAIN PROD [--format json]         how PROD differs from TRAIN; novel frames\n"
      "  map DATASET [--out FILE] [--rarest K]    2D map of the objects, rarest first\n"
      "\n"
      "`needle SUBCOMMAND --help` for details. A bare `needle` opens the viewer on the demo "
      "dataset.");
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return needle::cli::cmd_view(argc - 1, argv + 1);
  const std::string sub = argv[1];
  if (sub == "help" && argc > 2) return needle::cli::cmd_help(argc - 1, argv + 1);
  if (sub == "-h" || sub == "--help" || sub == "help") {
    print_usage();
    return 0;
  }
  if (sub == "view") return needle::cli::cmd_view(argc - 1, argv + 1);
  if (sub == "rank") return needle::cli::cmd_rank(argc - 1, argv + 1);
  if (sub == "report") return needle::cli::cmd_report(argc - 1, argv + 1);
  if (sub == "eval") return needle::cli::cmd_eval(argc - 1, argv + 1);
  if (sub == "demo") return needle::cli::cmd_demo(argc - 1, argv + 1);
  if (sub == "review") return needle::cli::cmd_review(argc - 1, argv + 1);
  if (sub == "lidar") return needle::cli::cmd_lidar(argc - 1, argv + 1);
  if (sub == "similar") return needle::cli::cmd_similar(argc - 1, argv + 1);
  if (sub == "slices") return needle::cli::cmd_slices(argc - 1, argv + 1);
  if (sub == "shift") return needle::cli::cmd_shift(argc - 1, argv + 1);
  if (sub == "map") return needle::cli::cmd_map(argc - 1, argv + 1);
  // `needle DATASET ...` without a subcommand: treat as view when it is an option or a path.
  if (sub.rfind("-", 0) == 0 || sub.find('/') != std::string::npos || sub == ".")
    return needle::cli::cmd_view(argc, argv);
  std::fprintf(stderr, "needle: unknown subcommand '%s'\n\n", sub.c_str());
  print_usage();
  return 2;
}
