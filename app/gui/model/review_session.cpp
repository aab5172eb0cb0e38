// Index: [snapshot lookups] [opening and reading] [actions]
#include "gui/model/review_session.h"

#include <algorithm>
#include <exception>
#include <system_error>
#include <utility>

namespace needle::view {

namespace fs = std::filesystem;

// [SECTION] snapshot lookups

const IssueDetail* ReviewSnapshot::issue(const std::string& name) const {
  for (const IssueDetail& d : issues)
    if (d.info.name == name) return &d;
  return nullptr;
}

bool ReviewSnapshot::frame_in_issue(const std::string& frame, const std::string& name) const {
  const IssueDetail* d = issue(name);
  if (!d) return false;
  return std::any_of(d->elements.begin(), d->elements.end(),
                     [&](const ElementRecord& e) { return e.object.ref.frame == frame; });
}

std::optional<VerdictKind> ReviewSnapshot::verdict_of(const ObjectRef& o,
                                                      const std::string& kind) const {
  const auto it = verdict_by_key.find({o.frame, o.source, o.index, kind});
  if (it == verdict_by_key.end()) return std::nullopt;
  return it->second;
}

// [SECTION] opening and reading

namespace {
// "review store: MESSAGE", naming the file when the message does not (core's messages do).
std::string store_message(const fs::path& path, const std::string& what) {
  if (what.find(path.string()) != std::string::npos) return "review store: " + what;
  return "review store " + path.string() + ": " + what;
}
}  // namespace

ReviewSession::ReviewSession(fs::path store_path, ObjectSource source, std::string user)
    : path_(std::move(store_path)), source_(std::move(source)), user_(std::move(user)) {
  refresh(true);
}

bool ReviewSession::try_open(ReviewStore::Mode mode) {
  try {
    store_.emplace(ReviewStore::open(path_, source_, mode));
    if (!user_.empty()) store_->set_user(user_);
    error_.clear();
    return true;
  } catch (const std::exception& e) {
    store_.reset();
    error_ = store_message(path_, e.what());
    return false;
  }
}

void ReviewSession::read_snapshot() {
  ReviewSnapshot s;
  ReviewStore& st = *store_;
  s.change = st.change_counter();
  std::set<std::string> names;
  for (TagRecord& t : st.tags()) {
    names.insert(t.tag);
    const std::string frame = t.object.ref.frame;
    s.tags_by_frame[frame].push_back(std::move(t));
  }
  s.tags_in_use.assign(names.begin(), names.end());
  for (VerdictRecord& v : st.verdicts()) {
    if (v.object.orphaned) continue;  // its object is gone: nothing in the list to mark
    const ObjectRef& o = v.object.ref;
    s.verdict_by_key[{o.frame, o.source, o.index, v.kind}] = v.verdict;
    const std::string frame = o.frame;
    s.verdicts_by_frame[frame].push_back(std::move(v));
  }
  for (ReviewedRecord& r : st.reviewed()) {
    const std::string frame = r.frame;
    s.reviewed[frame] = std::move(r);
  }
  for (const IssueInfo& i : st.issues()) s.issues.push_back(st.issue(i.name));
  snap_ = std::move(s);
}

bool ReviewSession::refresh(bool force) {
  if (!store_) {
    std::error_code ec;
    if (!fs::exists(path_, ec)) {
      // No store yet (nothing reviewed): an empty snapshot, no file created.
      const bool changed = snap_.change != 0;
      snap_ = ReviewSnapshot{};
      snap_.change = 0;
      return changed;
    }
    if (!try_open(ReviewStore::Mode::Existing)) {
      // A store another process is creating looks foreign until its first transaction commits
      // (a few ms): a file that appears while the viewer runs is reported only when it stays
      // unreadable for kOpenAttempts polls. One there from the start is reported at once.
      if (snap_.change >= 0 && ++open_failures_ < kOpenAttempts) error_.clear();
      return false;
    }
    open_failures_ = 0;
    force = true;
  }
  try {
    if (!force && store_->change_counter() == snap_.change) return false;
    read_snapshot();
    error_.clear();
    return true;
  } catch (const std::exception& e) {
    error_ = store_message(path_, e.what());
    return false;
  }
}

bool ReviewSession::poll(double now_s) {
  if (now_s - last_poll_ < kReviewPollSeconds) return false;
  last_poll_ = now_s;
  return refresh();
}

// [SECTION] actions

template <class Action>
std::string ReviewSession::write(Action action) {
  if (!store_ && !try_open(ReviewStore::Mode::Create)) return error_;
  try {
    action(*store_);
  } catch (const StoreError& e) {
    // A usage error (a bad reference, an unknown issue) is the user's, not the store's: it is
    // returned but does not mark the store as failing.
    if (e.kind() == StoreError::Kind::Usage) return e.what();
    error_ = store_message(path_, e.what());
    return error_;
  } catch (const std::exception& e) {
    error_ = store_message(path_, e.what());
    return error_;
  }
  error_.clear();
  refresh(true);
  return error_;
}

std::string ReviewSession::add_tag(const ObjectRef& ref, const std::string& tag) {
  if (tag.empty()) return "empty tag";
  return write([&](ReviewStore& st) { st.add_tag(ref, tag); });
}

std::string ReviewSession::remove_tag(const ObjectRef& ref, const std::string& tag) {
  return write([&](ReviewStore& st) {
    if (!st.remove_tag(ref, tag))
      throw StoreError(StoreError::Kind::Usage, ref.to_string() + " has no tag '" + tag + "'");
  });
}

std::string ReviewSession::create_issue(const std::string& name) {
  if (name.empty()) return "empty issue name";
  if (snap_.issue(name)) return "an issue '" + name + "' exists already";
  std::string err = write([&](ReviewStore& st) { st.create_issue(name, ""); });
  if (err.empty()) {
    current_issue = name;
    element_cursor = 0;
  }
  return err;
}

std::string ReviewSession::add_to_issue(const std::string& issue, const ObjectRef& ref) {
  if (issue.empty()) return "no current issue: create one first (Shift+I)";
  return write([&](ReviewStore& st) { st.add_to_issue(issue, {ref}); });
}

std::string ReviewSession::set_element_state(const std::string& issue, const ObjectRef& ref,
                                             ElementState state) {
  return write([&](ReviewStore& st) { st.set_element_state(issue, ref, state); });
}

std::string ReviewSession::set_verdict(const ObjectRef& ref, const std::string& kind,
                                       VerdictKind verdict) {
  return write([&](ReviewStore& st) { st.set_verdict(ref, kind, verdict, ""); });
}

std::string ReviewSession::mark_reviewed(const std::string& frame) {
  return write([&](ReviewStore& st) { st.mark_reviewed(frame); });
}

}  // namespace needle::view
