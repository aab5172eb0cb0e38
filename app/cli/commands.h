// Subcommands of the `needle` executable. Each takes the arguments after the subcommand name
// (argv[0] is the subcommand) and returns the process exit code:
//   0 success, 1 data error that stops the whole run, 2 usage error.
#pragma once

namespace needle::cli {
int cmd_demo(int argc, char** argv);
int cmd_rank(int argc, char** argv);
int cmd_report(int argc, char** argv);
int cmd_eval(int argc, char** argv);
int cmd_help(int argc, char** argv);  // help --keys | --script (the viewer's command table)
int cmd_lidar(int argc, char** argv);
int cmd_view(int argc, char** argv);  // also the bare `needle`
int cmd_review(int argc, char** argv);  // tags, issues, verdicts (the review store)
int cmd_similar(int argc, char** argv);  // the most similar objects or frames
int cmd_slices(int argc, char** argv);   // AP and errors per slice of the data
int cmd_shift(int argc, char** argv);    // training vs production: attributes and novelty
int cmd_map(int argc, char** argv);      // the embedding map and rarity of the objects
}  // namespace needle::cli
