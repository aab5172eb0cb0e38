// needle review — tags, issues, verdicts and history kept in the dataset's review store
// (needle/store.h). Exit codes: 0 ok, 1 data error (store not a needle store, corrupt or newer;
// dataset unreadable), 2 usage error (unknown command or issue, bad reference, index past the end
// of a file) with a message saying what is wrong.
//
// Index
//   [SECTION] Arguments
//   [SECTION] Output helpers (JSON, CSV with formula neutralising, text)
//   [SECTION] Findings for export (the one place that ranks)
//   [SECTION] Commands
#include <cstdio>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "needle/dataset.h"
#include "needle/pipeline.h"
#include "needle/error.h"
#include "needle/ranking.h"
#include "needle/store.h"

namespace needle::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const char* const kUsage =
    "usage: needle review DATASET [--store PATH] [--pred [NAME=]DIR ...] [--format json|csv|text]"
    " COMMAND ...\n"
    "\n"
    "References: FRAME | FRAME/label/N | FRAME/pred/SET/N (N: 0-based object line)\n"
    "Commands:\n"
    "  tag add REF TAG | tag rm REF TAG\n"
    "  tags [--ref REF] [--tag TAG]\n"
    "  issue new NAME [--description TEXT]\n"
    "  issue add NAME REF... [--state unsorted|added|discarded]\n"
    "  issue set NAME REF STATE\n"
    "  issue list | issue show NAME\n"
    "  verdict REF KIND label_error|model_error|ambiguous|not_an_error [--note TEXT]\n"
    "  export NAME [--format csv|json]   the issue's added elements, for a labelling vendor\n"
    "  history [--ref REF]\n"
    "\n"
    "The store is DATASET/.needle/review.sqlite, or under $XDG_DATA_HOME/needle/stores/ when\n"
    "DATASET is not writable (see README). Exit codes: 0 ok, 1 data error, 2 usage error.\n";

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// ============================================================================================
// [SECTION] Arguments
// ============================================================================================
struct Args {
  std::vector<std::string> pos;  // DATASET COMMAND ...
  std::map<std::string, std::string> opt;
  std::vector<std::string> preds;
  bool help = false;
};

Args parse_args(int argc, char** argv) {
  static const std::set<std::string> kValued = {"--store", "--format", "--description", "--state",
                                                "--note",  "--ref",    "--tag",         "--pred"};
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    if (s == "-h" || s == "--help") {
      a.help = true;
      continue;
    }
    if (s == "--") {
      for (++i; i < argc; ++i) a.pos.push_back(argv[i]);
      break;
    }
    if (s.rfind("--", 0) == 0) {
      std::string value;
      bool has_value = false;
      if (const auto eq = s.find('='); eq != std::string::npos) {
        value = s.substr(eq + 1);
        s = s.substr(0, eq);
        has_value = true;
      }
      if (!kValued.count(s)) throw UsageError("unknown option '" + s + "'");
      if (!has_value) {
        if (i + 1 >= argc) throw UsageError("option " + s + " needs a value");
        value = argv[++i];
      }
      if (s == "--pred") {
        a.preds.push_back(value);
      } else {
        if (a.opt.count(s)) throw UsageError("option " + s + " given twice");
        a.opt[s] = value;
      }
      continue;
    }
    a.pos.push_back(s);
  }
  return a;
}

// ============================================================================================
// [SECTION] Output helpers
// ============================================================================================
// A CSV text cell: always quoted; a cell a spreadsheet would run as a formula (leading = + - @,
// or tab/CR which some spreadsheets strip before looking) gets a leading single quote (OWASP's
// advice for CSV injection). Class names and notes come from files and users.
std::string csv_text(const std::string& s) {
  std::string v = s;
  if (!v.empty() &&
      (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' || v[0] == '\r'))
    v = "'" + v;
  std::string o = "\"";
  for (char c : v) {
    if (c == '"') o += '"';
    o += c;
  }
  return o + "\"";
}

std::string num(double v) {
  char b[40];
  std::snprintf(b, sizeof b, "%.4g", v);
  return b;
}
std::string fixed(double v) {
  char b[40];
  std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}

json state_counts(const IssueInfo& i) {
  json c = json::object();
  for (const auto& [st, n] : i.counts) c[element_state_name(st)] = n;
  return c;
}

// Orphaned records carry "orphaned": true in JSON and are announced on stderr: their object is
// gone from its file (they are never attached to another object).
void note_orphans(long n, const std::string& problem = "") {
  if (!problem.empty())
    std::fprintf(stderr, "needle review: some references cannot be resolved: %s\n",
                 problem.c_str());
  if (n > 0)
    std::fprintf(stderr,
                 "needle review: %ld record(s) refer to objects no longer in their files "
                 "(orphaned; shown at their last known reference)\n",
                 n);
}

// ============================================================================================
// [SECTION] Findings for export
// ============================================================================================
// The findings of the dataset as `needle rank` computes them by default. One small function so
// that the shared ranking pipeline can replace it.
// The export's findings come from the one pipeline with its defaults (labels, predictions and
// the lidar witness, cached), as `needle rank DATASET` gives them.
RankResult rank_for_export(const DatasetIndex& ds) {
  PipelineResult run = run_pipeline(ds, PipelineOptions{}, {});
  if (run.status != PipelineStatus::Ok) throw std::runtime_error("ranking failed: " + run.error);
  return std::move(run.rank);
}

// ============================================================================================
// [SECTION] Commands
// ============================================================================================
struct Context {
  DatasetIndex ds;
  std::string format;
  std::ostream& out = std::cout;
};

ObjectRef checked_ref(const Context& c, const std::string& text) {
  ObjectRef r;
  try {
    r = parse_object_ref(text);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  if (!c.ds.find(r.frame))
    throw UsageError("bad reference '" + text + "': unknown frame '" + r.frame + "'");
  if (!r.is_frame() && !r.is_label()) {
    bool known = false;
    std::string names;
    for (const auto& s : c.ds.pred_sets) {
      known = known || s.name == r.source;
      names += (names.empty() ? "" : ", ") + s.name;
    }
    if (!known)
      throw UsageError("bad reference '" + text + "': unknown prediction set '" + r.source +
                       "' (known: " + (names.empty() ? "none" : names) + ")");
  }
  return r;
}

void need(const std::vector<std::string>& p, std::size_t n, const std::string& form) {
  if (p.size() != n) throw UsageError("expected: " + form);
}

int cmd_tag(Context& c, ReviewStore& st, const std::vector<std::string>& p) {
  if (p.size() < 2 || (p[1] != "add" && p[1] != "rm"))
    throw UsageError("expected: tag add REF TAG | tag rm REF TAG");
  need(p, 4, "tag " + p[1] + " REF TAG");
  const ObjectRef r = checked_ref(c, p[2]);
  const bool add = p[1] == "add";
  const bool changed = add ? st.add_tag(r, p[3]) : st.remove_tag(r, p[3]);
  if (c.format == "json") {
    c.out << json{{"ref", r.to_string()}, {"tag", p[3]}, {"changed", changed}}.dump() << "\n";
  } else if (c.format == "csv") {
    c.out << "ref,tag,changed\n"
          << csv_text(r.to_string()) << ',' << csv_text(p[3]) << ',' << (changed ? 1 : 0) << "\n";
  } else {
    c.out << (add ? (changed ? "tagged " : "already tagged ")
                  : (changed ? "untagged " : "was not tagged "))
          << r.to_string() << " " << p[3] << "\n";
  }
  return 0;
}

int cmd_tags(Context& c, ReviewStore& st, const Args& a) {
  std::optional<ObjectRef> ref;
  std::optional<std::string> tag;
  if (a.opt.count("--ref")) ref = checked_ref(c, a.opt.at("--ref"));
  if (a.opt.count("--tag")) tag = a.opt.at("--tag");
  const std::vector<TagRecord> tags = st.tags(ref, tag);
  long orphans = 0;
  std::string problem;
  json j = json::array();
  if (c.format == "csv") c.out << "ref,tag,user,time,orphaned\n";
  for (const TagRecord& t : tags) {
    orphans += t.object.orphaned;
    if (problem.empty()) problem = t.object.problem;
    const std::string r = t.object.ref.to_string();
    if (c.format == "json") {
      json e = {{"ref", r}, {"tag", t.tag}, {"user", t.user}, {"time", t.time}};
      if (t.object.orphaned) e["orphaned"] = true;
      j.push_back(std::move(e));
    } else if (c.format == "csv") {
      c.out << csv_text(r) << ',' << csv_text(t.tag) << ',' << csv_text(t.user) << ','
            << csv_text(t.time) << ',' << (t.object.orphaned ? 1 : 0) << "\n";
    } else {
      c.out << r << (t.object.orphaned ? " (orphaned)" : "") << "  " << t.tag << "  " << t.user
            << "  " << t.time << "\n";
    }
  }
  if (c.format == "json") c.out << j.dump(1) << "\n";
  note_orphans(orphans, problem);
  return 0;
}

int cmd_issue(Context& c, ReviewStore& st, const std::vector<std::string>& p, const Args& a) {
  if (p.size() < 2) throw UsageError("expected: issue new|add|set|list|show ...");
  const std::string& sub = p[1];
  if (sub == "new") {
    need(p, 3, "issue new NAME [--description TEXT]");
    const std::string desc = a.opt.count("--description") ? a.opt.at("--description") : "";
    st.create_issue(p[2], desc);
    if (c.format == "json") {
      c.out << json{{"name", p[2]}, {"description", desc}}.dump() << "\n";
    } else if (c.format == "text") {
      c.out << "created issue " << p[2] << "\n";
    }
    return 0;
  }
  if (sub == "add") {
    if (p.size() < 4) throw UsageError("expected: issue add NAME REF... [--state STATE]");
    ElementState state = ElementState::Unsorted;
    if (a.opt.count("--state")) {
      try {
        state = parse_element_state(a.opt.at("--state"));
      } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
      }
    }
    std::vector<ObjectRef> refs;
    for (std::size_t i = 3; i < p.size(); ++i) refs.push_back(checked_ref(c, p[i]));
    const int added = st.add_to_issue(p[2], refs, state);
    if (c.format == "json") {
      c.out << json{{"issue", p[2]}, {"added", added}, {"given", refs.size()}}.dump() << "\n";
    } else if (c.format == "text") {
      c.out << "issue " << p[2] << ": " << added << " new element(s), " << refs.size() - added
            << " already there (now " << element_state_name(state) << ")\n";
    }
    return 0;
  }
  if (sub == "set") {
    need(p, 5, "issue set NAME REF STATE");
    ElementState state;
    try {
      state = parse_element_state(p[4]);
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
    const ObjectRef r = checked_ref(c, p[3]);
    st.set_element_state(p[2], r, state);
    if (c.format == "json") {
      c.out << json{{"issue", p[2]}, {"ref", r.to_string()}, {"state", p[4]}}.dump() << "\n";
    } else if (c.format == "text") {
      c.out << "issue " << p[2] << ": " << r.to_string() << " " << p[4] << "\n";
    }
    return 0;
  }
  if (sub == "list") {
    need(p, 2, "issue list");
    const std::vector<IssueInfo> list = st.issues();
    json j = json::array();
    if (c.format == "csv") c.out << "name,description,created,updated,unsorted,added,discarded\n";
    for (const IssueInfo& i : list) {
      if (c.format == "json") {
        j.push_back({{"name", i.name},
                     {"description", i.description},
                     {"created", i.created},
                     {"updated", i.updated},
                     {"counts", state_counts(i)}});
      } else if (c.format == "csv") {
        c.out << csv_text(i.name) << ',' << csv_text(i.description) << ',' << csv_text(i.created)
              << ',' << csv_text(i.updated) << ',' << i.counts.at(ElementState::Unsorted) << ','
              << i.counts.at(ElementState::Added) << ',' << i.counts.at(ElementState::Discarded)
              << "\n";
      } else {
        c.out << i.name << "  unsorted " << i.counts.at(ElementState::Unsorted) << ", added "
              << i.counts.at(ElementState::Added) << ", discarded "
              << i.counts.at(ElementState::Discarded) << "  updated " << i.updated
              << (i.description.empty() ? "" : "  " + i.description) << "\n";
      }
    }
    if (c.format == "json") c.out << j.dump(1) << "\n";
    return 0;
  }
  if (sub == "show") {
    need(p, 3, "issue show NAME");
    const IssueDetail d = st.issue(p[2]);
    long orphans = 0;
    std::string problem;
    if (c.format == "json") {
      json el = json::array();
      for (const ElementRecord& e : d.elements) {
        json x = {{"ref", e.object.ref.to_string()}, {"state", element_state_name(e.state)}};
        if (e.object.orphaned) x["orphaned"] = true;
        orphans += e.object.orphaned;
        if (problem.empty()) problem = e.object.problem;
        el.push_back(std::move(x));
      }
      c.out << json{{"name", d.info.name},
                    {"elements", std::move(el)},
                    {"counts", state_counts(d.info)}}
                   .dump(1)
            << "\n";
    } else if (c.format == "csv") {
      c.out << "ref,state,user,time,orphaned\n";
      for (const ElementRecord& e : d.elements) {
        orphans += e.object.orphaned;
        if (problem.empty()) problem = e.object.problem;
        c.out << csv_text(e.object.ref.to_string()) << ',' << csv_text(element_state_name(e.state))
              << ',' << csv_text(e.user) << ',' << csv_text(e.time) << ','
              << (e.object.orphaned ? 1 : 0) << "\n";
      }
    } else {
      c.out << "issue " << d.info.name << (d.info.description.empty() ? "" : ": ")
            << d.info.description << "\n  unsorted " << d.info.counts.at(ElementState::Unsorted)
            << ", added " << d.info.counts.at(ElementState::Added) << ", discarded "
            << d.info.counts.at(ElementState::Discarded) << "\n";
      for (const ElementRecord& e : d.elements) {
        orphans += e.object.orphaned;
        if (problem.empty()) problem = e.object.problem;
        c.out << "  " << element_state_name(e.state) << "  " << e.object.ref.to_string()
              << (e.object.orphaned ? " (orphaned)" : "") << "\n";
      }
    }
    note_orphans(orphans, problem);
    return 0;
  }
  throw UsageError("unknown issue command '" + sub + "' (expected new, add, set, list or show)");
}

int cmd_verdict(Context& c, ReviewStore& st, const std::vector<std::string>& p, const Args& a) {
  need(p, 4, "verdict REF KIND VERDICT [--note TEXT]");
  const ObjectRef r = checked_ref(c, p[1]);
  VerdictKind v;
  try {
    v = parse_verdict(p[3]);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  const std::string note = a.opt.count("--note") ? a.opt.at("--note") : "";
  st.set_verdict(r, p[2], v, note);
  if (c.format == "json") {
    c.out << json{{"ref", r.to_string()},
                  {"kind", p[2]},
                  {"verdict", verdict_name(v)},
                  {"note", note}}
                 .dump()
          << "\n";
  } else if (c.format == "text") {
    c.out << r.to_string() << " " << p[2] << ": " << verdict_name(v) << "\n";
  }
  return 0;
}

int cmd_history(Context& c, ReviewStore& st, const Args& a) {
  std::optional<ObjectRef> ref;
  if (a.opt.count("--ref")) ref = checked_ref(c, a.opt.at("--ref"));
  const std::vector<HistoryRecord> h = st.history(ref);
  json j = json::array();
  if (c.format == "csv") c.out << "id,time,user,action,ref,detail\n";
  for (const HistoryRecord& r : h) {
    if (c.format == "json") {
      j.push_back({{"id", r.id},
                   {"time", r.time},
                   {"user", r.user},
                   {"action", r.action},
                   {"ref", r.ref},
                   {"detail", r.detail}});
    } else if (c.format == "csv") {
      c.out << r.id << ',' << csv_text(r.time) << ',' << csv_text(r.user) << ','
            << csv_text(r.action) << ',' << csv_text(r.ref) << ',' << csv_text(r.detail) << "\n";
    } else {
      c.out << r.time << "  " << r.user << "  " << r.action << "  " << r.ref
            << (r.detail.empty() ? "" : "  " + r.detail) << "\n";
    }
  }
  if (c.format == "json") c.out << j.dump(1) << "\n";
  return 0;
}

int cmd_export(Context& c, ReviewStore& st, const std::vector<std::string>& p) {
  need(p, 2, "export NAME --format csv|json");
  if (c.format == "text") c.format = "csv";  // export is for machines: CSV unless JSON is asked
  const IssueDetail d = st.issue(p[1]);
  const std::vector<VerdictRecord> verdicts = st.verdicts();
  const RankResult ranking = rank_for_export(c.ds);
  std::map<std::string, const FrameRank*> by_frame;
  for (const FrameRank& fr : ranking.frames) by_frame[fr.frame] = &fr;
  const ObjectSource source = dataset_object_source(c.ds);

  json rows = json::array();
  if (c.format == "csv")
    c.out
        << "frame,ref,orphaned,class,h,w,l,x,y,z,rotation_y,x1,y1,x2,y2,findings,verdicts,notes\n";
  long orphans = 0;
  std::string problem;
  for (const ElementRecord& e : d.elements) {
    if (e.state != ElementState::Added) continue;
    const ObjectRef& r = e.object.ref;
    orphans += e.object.orphaned;
    if (problem.empty()) problem = e.object.problem;
    std::optional<Object> obj;
    if (!r.is_frame()) {
      if (!e.object.orphaned) {
        if (auto objs = source(r.frame, r.source); objs && r.index < static_cast<int>(objs->size()))
          obj = (*objs)[static_cast<std::size_t>(r.index)];
      }
      if (!obj && e.object.fingerprint) obj = object_of(*e.object.fingerprint);
    }
    // The element's findings: for a frame all of its findings, for an object those naming it.
    json findings = json::array();
    std::string findings_csv;
    if (!e.object.orphaned) {
      if (auto it = by_frame.find(r.frame); it != by_frame.end()) {
        for (const Finding& f : it->second->findings) {
          const bool mine = r.is_frame() || (r.is_label() && f.label == r.index) ||
                            (!r.is_label() && f.label < 0 && f.prediction_set == r.source &&
                             f.prediction == r.index);
          if (!mine) continue;
          findings.push_back(
              {{"kind", f.kind}, {"score", std::stod(num(f.score))}, {"reason", f.reason}});
          findings_csv += (findings_csv.empty() ? "" : "; ") + f.kind + " " + num(f.score);
        }
      }
    }
    json vj = json::array();
    std::string verdicts_csv, notes_csv;
    for (const VerdictRecord& v : verdicts) {
      const bool mine =
          r.is_frame() ? v.object.ref.frame == r.frame : (!v.object.orphaned && v.object.ref == r);
      if (!mine || e.object.orphaned) continue;
      vj.push_back({{"ref", v.object.ref.to_string()},
                    {"kind", v.kind},
                    {"verdict", verdict_name(v.verdict)},
                    {"note", v.note},
                    {"user", v.user},
                    {"time", v.time}});
      verdicts_csv += (verdicts_csv.empty() ? "" : "; ") + v.kind + "=" + verdict_name(v.verdict);
      if (!v.note.empty()) notes_csv += (notes_csv.empty() ? "" : "; ") + v.note;
    }
    if (c.format == "json") {
      json row = {{"frame", r.frame}, {"ref", r.to_string()}, {"orphaned", e.object.orphaned}};
      if (obj) {
        row["class"] = obj->type;
        row["box3d"] = obj->has_3d() ? json{{"h", obj->h},
                                            {"w", obj->w},
                                            {"l", obj->l},
                                            {"x", obj->loc_cam.x},
                                            {"y", obj->loc_cam.y},
                                            {"z", obj->loc_cam.z},
                                            {"rotation_y", obj->rotation_y}}
                                     : json(nullptr);
        row["box2d"] = {{"x1", obj->box2d.x1},
                        {"y1", obj->box2d.y1},
                        {"x2", obj->box2d.x2},
                        {"y2", obj->box2d.y2}};
      } else {
        row["class"] = nullptr;
        row["box3d"] = nullptr;
        row["box2d"] = nullptr;
      }
      row["findings"] = std::move(findings);
      row["verdicts"] = std::move(vj);
      rows.push_back(std::move(row));
    } else {
      c.out << csv_text(r.frame) << ',' << csv_text(r.to_string()) << ','
            << (e.object.orphaned ? 1 : 0) << ',';
      if (obj) {
        c.out << csv_text(obj->type) << ',';
        if (obj->has_3d()) {
          c.out << fixed(obj->h) << ',' << fixed(obj->w) << ',' << fixed(obj->l) << ','
                << fixed(obj->loc_cam.x) << ',' << fixed(obj->loc_cam.y) << ','
                << fixed(obj->loc_cam.z) << ',' << fixed(obj->rotation_y) << ',';
        } else {
          c.out << ",,,,,,,";
        }
        c.out << fixed(obj->box2d.x1) << ',' << fixed(obj->box2d.y1) << ',' << fixed(obj->box2d.x2)
              << ',' << fixed(obj->box2d.y2) << ',';
      } else {
        c.out << ",,,,,,,,,,,,";
      }
      c.out << csv_text(findings_csv) << ',' << csv_text(verdicts_csv) << ',' << csv_text(notes_csv)
            << "\n";
    }
  }
  if (c.format == "json")
    c.out << json{{"issue", d.info.name},
                  {"description", d.info.description},
                  {"elements", std::move(rows)}}
                 .dump(1)
          << "\n";
  note_orphans(orphans, problem);
  return 0;
}

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "needle review: %s\nRun 'needle review --help' for usage.\n", msg.c_str());
  return 2;
}

}  // namespace

int cmd_review(int argc, char** argv) {
  Args a;
  try {
    a = parse_args(argc, argv);
  } catch (const UsageError& e) {
    return usage_error(e.what());
  }
  if (a.help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (a.pos.size() < 2) return usage_error("expected DATASET and a COMMAND");
  const std::string format = a.opt.count("--format") ? a.opt.at("--format") : "text";
  if (format != "json" && format != "csv" && format != "text")
    return usage_error("unknown --format '" + format + "' (expected json, csv or text)");
  const std::string dataset = a.pos[0];
  const std::string command = a.pos[1];
  static const std::set<std::string> kCommands = {"tag",     "tags",   "issue",
                                                  "verdict", "export", "history"};
  if (!kCommands.count(command))
    return usage_error("unknown command '" + command +
                       "' (expected tag, tags, issue, verdict, export or history)");
  if (command == "export" && format == "text" && a.opt.count("--format"))
    return usage_error("export writes csv or json (--format csv|json)");

  std::vector<PredictionSetSpec> specs;
  try {
    for (const std::string& p : a.preds) specs.push_back(parse_prediction_spec(p));
  } catch (const std::invalid_argument& e) {
    return usage_error(e.what());
  }
  Context c;
  c.format = format;
  try {
    if (specs.empty()) specs = default_prediction_sets(dataset);
    c.ds = scan_dataset(dataset, specs);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "needle review: %s\n", e.what());
    return 1;
  }
  const fs::path store_path =
      a.opt.count("--store") ? fs::path(a.opt.at("--store")) : default_store_path(dataset);
  const std::vector<std::string> p(a.pos.begin() + 1, a.pos.end());
  try {
    ReviewStore st = ReviewStore::open(store_path, dataset_object_source(c.ds));
    if (command == "tag") return cmd_tag(c, st, p);
    if (command == "tags") {
      need(p, 1, "tags [--ref REF] [--tag TAG]");
      return cmd_tags(c, st, a);
    }
    if (command == "issue") return cmd_issue(c, st, p, a);
    if (command == "verdict") return cmd_verdict(c, st, p, a);
    if (command == "history") {
      need(p, 1, "history [--ref REF]");
      return cmd_history(c, st, a);
    }
    return cmd_export(c, st, p);
  } catch (const UsageError& e) {
    return usage_error(e.what());
  } catch (const StoreError& e) {
    if (e.kind() == StoreError::Kind::Usage) return usage_error(e.what());
    std::fprintf(stderr, "needle review: %s\n", e.what());
    return 1;
  } catch (const ParseError& e) {
    std::fprintf(stderr, "needle review: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "needle review: %s\n", e.what());
    return 1;
  }
}

}  // namespace needle::cli
