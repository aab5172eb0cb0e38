// Index: [parameters] [parsing] [running]
#include "gui/model/script.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <sstream>
#include <stdexcept>

#include "gui/model/keys.h"
#include "gui/model/patterns_view.h"
#include "gui/model/similar_view.h"

namespace needle::view {

namespace {

std::vector<std::string> words_of(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::vector<std::string> w;
  for (std::string s; in >> s;) w.push_back(s);
  return w;
}

std::string join(const std::vector<std::string>& w, std::size_t from, std::size_t to,
                 const char* sep = " ") {
  std::string s;
  for (std::size_t i = from; i < to && i < w.size(); ++i) s += (i > from ? sep : "") + w[i];
  return s;
}

// "a|b|c" -> "a, b or c"
std::string alternatives(const std::vector<std::string>& options) {
  std::string s;
  for (std::size_t i = 0; i < options.size(); ++i)
    s += (i == 0 ? "" : i + 1 == options.size() ? " or " : ", ") + options[i];
  return s;
}

std::vector<std::string> split_choices(const char* choices) {
  std::vector<std::string> out;
  std::string cur;
  for (const char* c = choices; *c; ++c) {
    if (*c == '|') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += *c;
    }
  }
  out.push_back(cur);
  return out;
}

bool is_int(const std::string& s, long* out) {
  try {
    std::size_t pos = 0;
    const int v = std::stoi(s, &pos);
    *out = v;
    return pos == s.size();
  } catch (const std::exception&) {
    return false;
  }
}

bool is_number(const std::string& s, float* out) {
  try {
    std::size_t pos = 0;
    *out = std::stof(s, &pos);
    return pos == s.size();
  } catch (const std::exception&) {
    return false;
  }
}

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

// [SECTION] parameters

std::string check_param(const Param& p, const std::string& word) {
  long n = 0;
  float x = 0;
  int key = 0, mods = 0;
  switch (p.kind) {
    case ParamKind::Index:
      return is_int(word, &n) ? "" : "expected an index";
    case ParamKind::Count:
      return is_int(word, &n) && n >= 0 ? "" : "expected a count (an integer >= 0)";
    case ParamKind::Number:
      return is_number(word, &x) ? "" : "expected a number";
    case ParamKind::PositiveNumber:
      return is_number(word, &x) && x > 0 ? "" : "expected a positive number";
    case ParamKind::Choice: {
      const std::vector<std::string> options = split_choices(p.choices ? p.choices : "");
      for (const std::string& o : options)
        if (word == o) return "";
      return "expected " + alternatives(options);
    }
    case ParamKind::KeyName:
      return keys::parse_key_name(word, &key, &mods) ? "" : "unknown key name";
    case ParamKind::Word:
      return "";
  }
  return "";
}

// [SECTION] parsing

std::vector<ScriptAction> parse_script(std::string_view text, const std::string& file) {
  std::vector<ScriptAction> out;
  std::istringstream in{std::string(text)};
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const std::vector<std::string> w = words_of(line);
    if (w.empty() || w[0][0] == '#') continue;
    const std::string where = file + ":" + std::to_string(number) + ": ";
    const std::string said = join(w, 0, w.size());

    // Commands whose script form starts with this verb, and the usage of them all.
    std::vector<const Command*> candidates;
    std::string usage;
    for (const Command& c : commands()) {
      if (words_of(c.script)[0] != w[0]) continue;
      candidates.push_back(&c);
      usage += (usage.empty() ? "" : " | ") + command_usage(c);
    }
    if (candidates.empty()) {
      std::vector<std::string> verbs;
      for (const Command& c : commands()) {
        const std::string v = words_of(c.script)[0];
        if (std::find(verbs.begin(), verbs.end(), v) == verbs.end()) verbs.push_back(v);
      }
      throw ScriptError(where + "unknown action '" + w[0] +
                        "' (expected one of: " + join(verbs, 0, verbs.size(), ", ") + ")");
    }

    // The first command whose literal words and parameters all fit; else the error of the one
    // whose literal words matched most.
    std::string error;
    std::size_t best_literal = 0;
    std::vector<std::string> expected_words;  // what could follow the verb
    ScriptAction a;
    for (const Command* c : candidates) {
      const std::vector<std::string> lit = words_of(c->script);
      if (lit.size() > 1)
        expected_words.push_back(lit[1]);
      else if (!c->params.empty())
        expected_words.push_back(c->params[0].choices ? c->params[0].choices : c->params[0].name);
      const bool literal_match =
          w.size() >= lit.size() && std::equal(lit.begin(), lit.end(), w.begin());
      if (!literal_match) continue;
      std::string why;
      if (w.size() - lit.size() != c->params.size()) {
        why = std::string("wrong arguments for '") + c->script + "' (usage: " + usage + ")";
      } else {
        for (std::size_t i = 0; i < c->params.size() && why.empty(); ++i) {
          const std::string bad = check_param(c->params[i], w[lit.size() + i]);
          if (!bad.empty()) why = "'" + said + "': " + bad + " (usage: " + usage + ")";
        }
      }
      if (why.empty()) {
        a.command = c;
        a.params.assign(w.begin() + static_cast<long>(lit.size()), w.end());
        break;
      }
      if (error.empty() || lit.size() > best_literal) {
        error = why;
        best_literal = lit.size();
      }
    }
    if (!a.command) {
      if (error.empty())
        error =
            "'" + said + "': expected " + alternatives(expected_words) + " (usage: " + usage + ")";
      throw ScriptError(where + error);
    }
    a.line = number;
    a.text = said;
    out.push_back(std::move(a));
  }
  return out;
}

ScriptAction script_action(std::string_view command_id, CommandParams params) {
  const Command* c = find_command(command_id);
  if (!c || c->params.size() != params.size())
    throw std::logic_error("script_action: bad command " + std::string(command_id));
  ScriptAction a;
  a.command = c;
  a.text = c->script;
  for (const std::string& p : params) a.text += " " + p;
  a.params = std::move(params);
  return a;
}

// [SECTION] running

ScriptRunner::ScriptRunner(std::vector<ScriptAction> actions, std::string file, double timeout_s)
    : actions_(std::move(actions)), file_(std::move(file)), timeout_s_(timeout_s) {}

bool ScriptRunner::ready_for(const ScriptAction& a, CommandHost& host) const {
  if (a.command->wait == ScriptWait::Nothing) return true;
  const AppState& s = host.state();
  if (!s.session) return false;
  // Interim rankings do not count: scripts act on the final ranking (ranking_job.h).
  if (a.command->wait == ScriptWait::InterimDrawn) return s.session->rank() && host.frame_ready();
  if (!s.session->final_rank()) return false;
  if (a.command->wait == ScriptWait::SimilarReady) return similar_ready(s);
  if (a.command->wait == ScriptWait::PatternsReady) return patterns_ready(s);
  if (a.command->wait == ScriptWait::ShiftReady) return shift_ready(s);
  if (a.command->ready && !a.command->ready(s)) return false;
  return a.command->wait != ScriptWait::FrameDrawn || host.frame_ready();
}

ScriptRunner::Status ScriptRunner::step(CommandHost& host) {
  while (true) {
    if (waiting_shot_) {
      if (host.screenshot_pending()) return Status::Running;
      waiting_shot_ = false;
    }
    if (wait_frames_ > 0) {
      --wait_frames_;
      return Status::Running;
    }
    if (wait_until_ >= 0) {
      if (now_s() < wait_until_) return Status::Running;
      wait_until_ = -1;
    }
    if (next_ >= actions_.size()) return Status::Finished;
    const ScriptAction& a = actions_[next_];
    if (!ready_for(a, host)) {
      if (wait_started_ < 0) wait_started_ = now_s();
      if (now_s() - wait_started_ > timeout_s_) {
        error_ = file_ + ":" + std::to_string(a.line) + ": timed out waiting for the " +
                 (host.state().session && host.state().session->final_rank() ? "frame to load"
                                                                             : "dataset/ranking");
        return Status::Failed;
      }
      return Status::Running;
    }
    wait_started_ = -1;
    ++next_;
    const CommandResult r = run_command(*a.command, host, a.params);
    if (!r.error.empty()) {
      error_ = file_ + ":" + std::to_string(a.line) + ": " + a.text + ": " + r.error;
      return Status::Failed;
    }
    if (r.finish) return Status::Finished;
    wait_frames_ = r.wait_frames;
    if (r.wait_seconds > 0) wait_until_ = now_s() + r.wait_seconds;
    waiting_shot_ = r.wait_screenshot;
  }
}

}  // namespace needle::view
