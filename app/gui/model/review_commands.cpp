// The review commands of the command table (commands.h): tags, issues and their triage, verdicts
// on findings and the QA session. They run the actions of review_actions.h; a failure is both the
// command's error (scripts stop on it) and the status bar's message (keys show it).
#include <algorithm>
#include <exception>
#include <string>
#include <vector>

#include "gui/model/actions.h"
#include "gui/model/commands.h"
#include "gui/model/keys.h"
#include "gui/model/review_actions.h"
#include "gui/model/similar_view.h"

namespace needle::view {

namespace {

using P = CommandParams;
using R = CommandResult;

R result(std::string err) {
  R r;
  r.error = std::move(err);
  return r;
}

bool has_review(const AppState& s) {
  return review_of(s) != nullptr;
}
bool has_issue(const AppState& s) {
  const ReviewSession* r = review_of(s);
  return r && r->snapshot().issue(r->current_issue) != nullptr;
}
// The gallery keys act on what the panel shows: only while it is open.
bool gallery_shown(const AppState& s) {
  return has_issue(s) && review_of(s)->show_issues;
}
// The Similar window's key acts on what it shows: only while it is open.
bool similar_shown(const AppState& s) {
  return has_issue(s) && s.similar.show;
}
bool finding_selected(const AppState& s) {
  return has_review(s) && s.selection.finding >= 0;
}

std::vector<std::string> issue_names(const AppState& s) {
  std::vector<std::string> names;
  if (const ReviewSession* r = review_of(s))
    for (const IssueDetail& d : r->snapshot().issues) names.push_back(d.info.name);
  return names;
}

// "any" clears a filter (a tag or an issue could be called "any": the menu never offers it).
std::string filter_value(const std::string& word) {
  return word == "any" ? std::string() : word;
}

// Typed text and popups are handled by the next UI frame.
constexpr int kFramesAfterPopup = 1;

Command verdict_command(const char* id, const char* script, const char* help, char digit,
                        VerdictKind v, const char* label) {
  Command c;
  c.id = id;
  c.script = script;
  c.help = help;
  c.chords = {{keys::k0 + (digit - '0')}};
  c.menu = "Review";
  c.menu_label = label;
  c.applies = finding_selected;
  // A captureless lambda per verdict: the table stores plain function pointers.
  switch (v) {
    case VerdictKind::LabelError:
      c.run = [](CommandHost& h, const P&) {
        return result(review_verdict(h.state(), VerdictKind::LabelError));
      };
      break;
    case VerdictKind::ModelError:
      c.run = [](CommandHost& h, const P&) {
        return result(review_verdict(h.state(), VerdictKind::ModelError));
      };
      break;
    case VerdictKind::Ambiguous:
      c.run = [](CommandHost& h, const P&) {
        return result(review_verdict(h.state(), VerdictKind::Ambiguous));
      };
      break;
    case VerdictKind::NotAnError:
      c.run = [](CommandHost& h, const P&) {
        return result(review_verdict(h.state(), VerdictKind::NotAnError));
      };
      break;
  }
  return c;
}

}  // namespace

void add_review_commands(std::vector<Command>& t) {
  using keys::kModShift;
  using keys::letter;

  // Tags.
  t.push_back({.id = "review.tag_dialog",
               .script = "tag-dialog",
               .params = {},
               .help = "tag the selected object, or the frame (asks for the tag, completes it)",
               .chords = {{letter('T')}},
               .menu = "Review",
               .menu_label = "Tag...",
               .applies = has_review,
               .run = [](CommandHost& h, const P&) {
                 review_of(h.state())->show_tag_popup = true;
                 R r;
                 r.wait_frames = kFramesAfterPopup;
                 return r;
               }});
  t.push_back(
      {.id = "review.tag_add",
       .script = "tag add",
       .params = {{"TAG"}},
       .help = "tag the selected object, or the frame when nothing is selected",
       .applies = has_review,
       .wait = ScriptWait::FrameDrawn,
       .run = [](CommandHost& h, const P& p) { return result(review_tag(h.state(), p[0])); }});
  t.push_back(
      {.id = "review.tag_rm",
       .script = "tag rm",
       .params = {{"TAG"}},
       .help = "remove a tag from the selected object, or from the frame",
       .applies = has_review,
       .wait = ScriptWait::FrameDrawn,
       .run = [](CommandHost& h, const P& p) { return result(review_untag(h.state(), p[0])); }});

  // Issues.
  t.push_back(
      {.id = "review.issues_panel",
       .script = "toggle issues",
       .params = {},
       .help = "issues panel: the current issue's elements as a gallery, triage keys",
       .chords = {{keys::kF1 + 1}},
       .menu = "Review",
       .menu_label = "Issues panel",
       .menu_separator_before = true,
       .applies = has_review,
       .checked = [](const AppState& s) { return has_review(s) && review_of(s)->show_issues; },
       .run =
           [](CommandHost& h, const P&) {
             ReviewSession* r = review_of(h.state());
             if (!r) return result("no dataset open");
             r->show_issues = !r->show_issues;
             return R{};
           }});
  t.push_back({.id = "review.issue_dialog",
               .script = "issue-dialog",
               .params = {},
               .help = "create an issue (asks for its name); it becomes the current issue",
               .chords = {{letter('I'), kModShift}},
               .menu = "Review",
               .menu_label = "New issue...",
               .applies = has_review,
               .run = [](CommandHost& h, const P&) {
                 review_of(h.state())->show_issue_popup = true;
                 R r;
                 r.wait_frames = kFramesAfterPopup;
                 return r;
               }});
  t.push_back({.id = "review.issue_new",
               .script = "issue new",
               .params = {{"NAME"}},
               .help = "create issue NAME and make it the current issue",
               .applies = has_review,
               .run = [](CommandHost& h, const P& p) {
                 return result(review_new_issue(h.state(), p[0]));
               }});
  t.push_back({.id = "review.issue_open",
               .script = "issue open",
               .params = {{"NAME"}},
               .help = "make NAME the current issue (shown in the issues panel)",
               .menu = "Review",
               .menu_label = "Current issue",
               .applies = has_review,
               .menu_choices = issue_names,
               .run = [](CommandHost& h, const P& p) {
                 return result(review_open_issue(h.state(), p[0]));
               }});
  t.push_back(
      {.id = "review.issue_add",
       .script = "issue add",
       .params = {},
       .help = "add the selected object, or the frame, to the current issue",
       .chords = {{letter('I')}},
       .menu = "Review",
       .menu_label = "Add to current issue",
       .applies = has_issue,
       .wait = ScriptWait::FrameDrawn,
       .run = [](CommandHost& h, const P&) { return result(review_add_to_issue(h.state())); }});
  t.push_back(
      {.id = "review.element_next",
       .script = "element next",
       .params = {},
       .help = "issues panel: next element",
       .chords = {{letter('K'), 0, true}},
       .applies = gallery_shown,
       .run = [](CommandHost& h, const P&) { return result(review_move_cursor(h.state(), 1)); }});
  t.push_back(
      {.id = "review.element_prev",
       .script = "element prev",
       .params = {},
       .help = "issues panel: previous element",
       .chords = {{letter('J'), 0, true}},
       .applies = gallery_shown,
       .run = [](CommandHost& h, const P&) { return result(review_move_cursor(h.state(), -1)); }});
  t.push_back({.id = "review.element_added",
               .script = "element added",
               .params = {},
               .help = "issues panel: the element is added (then on to the next unsorted one)",
               .chords = {{letter('A')}},
               .applies = gallery_shown,
               .run = [](CommandHost& h, const P&) {
                 return result(review_triage(h.state(), ElementState::Added));
               }});
  t.push_back({.id = "review.element_discarded",
               .script = "element discarded",
               .params = {},
               .help = "issues panel: the element is discarded (then on to the next unsorted one)",
               .chords = {{letter('X')}},
               .applies = gallery_shown,
               .run = [](CommandHost& h, const P&) {
                 return result(review_triage(h.state(), ElementState::Discarded));
               }});
  t.push_back({.id = "review.element_unsorted",
               .script = "element unsorted",
               .params = {},
               .help = "issues panel: the element goes back to unsorted",
               .applies = gallery_shown,
               .run = [](CommandHost& h, const P&) {
                 return result(review_triage(h.state(), ElementState::Unsorted));
               }});
  t.push_back(
      {.id = "review.element_open",
       .script = "element open",
       .params = {},
       .help = "issues panel: open the element's frame, its object selected",
       .chords = {{letter('O')}},
       .applies = gallery_shown,
       .run = [](CommandHost& h, const P&) { return result(review_open_element(h.state())); }});

  // Find similar (similar_view.h).
  t.push_back({.id = "review.similar",
               .script = "similar",
               .params = {},
               .help = "find similar: the objects most like the selected one, as a gallery",
               .chords = {{keys::kF1 + 2}},
               .menu = "Review",
               .menu_label = "Find similar",
               .applies = has_review,
               .run = [](CommandHost& h, const P&) { return result(similar_find(h.state())); }});
  t.push_back({.id = "review.similar_add",
               .script = "similar add",
               .params = {{"N", ParamKind::Count}},
               .help = "add similar result N (1 = the most similar) to the current issue",
               .applies = has_issue,
               .wait = ScriptWait::SimilarReady,
               .run = [](CommandHost& h, const P& p) {
                 const long n = std::stol(p[0]);
                 if (n < 1) return result("results are numbered from 1");
                 return result(similar_add(h.state(), static_cast<std::size_t>(n - 1)));
               }});
  t.push_back(
      {.id = "review.similar_add_cursor",
       .script = "similar add-cursor",
       .params = {},
       .help = "similar window: add the cursor's result to the current issue, then the next",
       .chords = {{letter('A'), kModShift}},
       .applies = similar_shown,
       .wait = ScriptWait::SimilarReady,
       .run = [](CommandHost& h, const P&) {
         AppState& s = h.state();
         const std::size_t n = static_cast<std::size_t>(std::max(s.similar.cursor, 0));
         R r = result(similar_add(s, n));
         if (r.error.empty() && n + 1 < s.similar.rows.size())
           s.similar.cursor = static_cast<int>(n + 1);
         return r;
       }});
  t.push_back({.id = "review.similar_open",
               .script = "similar open",
               .params = {{"N", ParamKind::Count}},
               .help = "open similar result N's frame, its object selected",
               .applies = has_review,
               .wait = ScriptWait::SimilarReady,
               .run = [](CommandHost& h, const P& p) {
                 const long n = std::stol(p[0]);
                 if (n < 1) return result("results are numbered from 1");
                 return result(similar_open(h.state(), static_cast<std::size_t>(n - 1)));
               }});

  // Verdicts on the selected finding.
  t.push_back(verdict_command("review.verdict_label_error", "verdict label_error",
                              "verdict on the selected finding: a label error", '1',
                              VerdictKind::LabelError, "Verdict: label error"));
  t.back().menu_separator_before = true;
  t.push_back(verdict_command("review.verdict_model_error", "verdict model_error",
                              "verdict on the selected finding: a model error", '2',
                              VerdictKind::ModelError, "Verdict: model error"));
  t.push_back(verdict_command("review.verdict_ambiguous", "verdict ambiguous",
                              "verdict on the selected finding: ambiguous", '3',
                              VerdictKind::Ambiguous, "Verdict: ambiguous"));
  t.push_back(verdict_command(
      "review.verdict_not_an_error", "verdict not_an_error",
      "verdict on the selected finding: not an error (hidden unless 'suppressed' is on)", '4',
      VerdictKind::NotAnError, "Verdict: not an error"));

  // The QA session.
  t.push_back(
      {.id = "review.mark",
       .script = "mark-reviewed",
       .params = {},
       .help = "mark the frame reviewed (a frame shown for 2 s is marked by itself)",
       .chords = {{letter('V')}},
       .menu = "Review",
       .menu_label = "Mark reviewed",
       .menu_separator_before = true,
       .applies = has_review,
       .wait = ScriptWait::FrameDrawn,
       .run = [](CommandHost& h, const P&) { return result(review_mark_reviewed(h.state())); }});
  t.push_back(
      {.id = "review.next_unreviewed",
       .script = "next-unreviewed",
       .params = {},
       .help = "next suspicious frame not yet reviewed (rank order)",
       .chords = {{letter('N'), kModShift, true}},
       .menu = "Review",
       .menu_label = "Next unreviewed",
       .applies = has_review,
       .run = [](CommandHost& h, const P&) { return result(review_next_unreviewed(h.state())); }});
  t.push_back({.id = "review.resume",
               .script = "review resume",
               .params = {},
               .help = "resume the QA session: the top unreviewed suspicious frame",
               .applies = has_review,
               .run = [](CommandHost& h, const P&) {
                 ReviewSession* r = review_of(h.state());
                 if (!r) return result("no dataset open");
                 r->resumed = false;
                 return review_resume(h.state()) ? R{} : result("nothing to resume");
               }});
  t.push_back({.id = "review.dwell",
               .script = "review dwell",
               .params = {{"SECONDS", ParamKind::Number}},
               .help = "seconds a frame must be shown to count as reviewed (0: only by key)",
               .run = [](CommandHost& h, const P& p) {
                 try {
                   h.state().review_options.dwell_s = std::stod(p[0]);
                 } catch (const std::exception&) {
                   return result("expected a number");
                 }
                 return R{};
               }});
  t.push_back({.id = "review.refresh",
               .script = "review refresh",
               .params = {},
               .help = "read the review store again now (it is polled every second)",
               .run = [](CommandHost& h, const P&) {
                 ReviewSession* r = review_of(h.state());
                 if (!r) return result("no dataset open");
                 r->refresh(true);
                 return result(r->error());
               }});

  t.push_back({.id = "script.wait_seconds",
               .script = "wait-seconds",
               .params = {{"S", ParamKind::PositiveNumber}},
               .help = "let S seconds pass (e.g. for another process's change to show)",
               .wait = ScriptWait::Nothing,
               .run = [](CommandHost&, const P& p) {
                 R r;
                 try {
                   r.wait_seconds = std::stod(p[0]);
                 } catch (const std::exception&) {
                   r.error = "expected a number";
                 }
                 return r;
               }});

  // Frame list filters of the review.
  t.push_back({.id = "review.filter_tag",
               .script = "filter tag",
               .params = {{"TAG"}},
               .help = "frame list: only frames with tag TAG ('any': no tag filter)",
               .run = [](CommandHost& h, const P& p) {
                 ReviewSession* r = review_of(h.state());
                 if (!r) return result("no dataset open");
                 r->filter.tag = filter_value(p[0]);
                 h.state().scroll_list_to_current = true;
                 return R{};
               }});
  t.push_back({.id = "review.filter_issue",
               .script = "filter issue",
               .params = {{"NAME"}},
               .help = "frame list: only frames with an element in issue NAME ('any': all)",
               .run = [](CommandHost& h, const P& p) {
                 ReviewSession* r = review_of(h.state());
                 if (!r) return result("no dataset open");
                 r->filter.issue = filter_value(p[0]);
                 h.state().scroll_list_to_current = true;
                 return R{};
               }});
  t.push_back({.id = "review.filter_verdict",
               .script = "filter verdict",
               .params = {{"VERDICT", ParamKind::Choice,
                           "any|label_error|model_error|ambiguous|not_an_error"}},
               .help = "frame list: only frames with a verdict of this kind",
               .run = [](CommandHost& h, const P& p) {
                 ReviewSession* r = review_of(h.state());
                 if (!r) return result("no dataset open");
                 r->filter.verdict = filter_value(p[0]);
                 h.state().scroll_list_to_current = true;
                 return R{};
               }});
  t.push_back({.id = "review.filter_suppressed",
               .script = "filter suppressed",
               .params = {{"ON", ParamKind::Choice, "on|off"}},
               .help = "frame list: show findings with the verdict not_an_error (suppressed)",
               .run = [](CommandHost& h, const P& p) {
                 ReviewSession* r = review_of(h.state());
                 if (!r) return result("no dataset open");
                 r->filter.suppressed = p[0] == "on";
                 return R{};
               }});
  t.push_back({.id = "review.filter_unreviewed",
               .script = "filter unreviewed",
               .params = {{"ON", ParamKind::Choice, "on|off"}},
               .help = "frame list: only frames not yet reviewed",
               .run = [](CommandHost& h, const P& p) {
                 ReviewSession* r = review_of(h.state());
                 if (!r) return result("no dataset open");
                 r->filter.unreviewed = p[0] == "on";
                 return R{};
               }});
}

}  // namespace needle::view
