// The review store's queries: read the latest committed state and resolve every object
// reference against the current files (see store.h).
#include "needle/store.h"
#include "store_impl.h"

namespace needle {

using store_detail::Stmt;

// ============================================================================================
// [SECTION] Queries
// ============================================================================================
namespace {
// A filter REF matches the object it names; a frame REF matches the frame and its objects.
bool ref_matches(const ResolvedRef& r, const std::optional<ObjectRef>& filter) {
  if (!filter) return true;
  if (filter->is_frame()) return r.ref.frame == filter->frame;
  return !r.orphaned && r.ref == *filter;
}
}  // namespace

std::vector<TagRecord> ReviewStore::tags(const std::optional<ObjectRef>& ref,
                                         const std::optional<std::string>& tag) {
  Impl& m = *impl_;
  m.clear_cache();
  std::vector<TagRecord> out;
  Stmt s(m.db, "SELECT object_id, tag, user, time FROM tags ORDER BY time, rowid");
  while (s.step()) {
    if (tag && s.col_text(1) != *tag) continue;
    TagRecord r{m.resolve(s.col_int(0)), s.col_text(1), s.col_text(2), s.col_text(3)};
    if (ref_matches(r.object, ref)) out.push_back(std::move(r));
  }
  return out;
}

namespace {
IssueInfo read_issue(const Stmt& s) {  // name description created updated
  IssueInfo i;
  i.name = s.col_text(0);
  i.description = s.col_text(1);
  i.created = s.col_text(2);
  i.updated = s.col_text(3);
  for (ElementState st : {ElementState::Unsorted, ElementState::Added, ElementState::Discarded})
    i.counts[st] = 0;
  return i;
}
}  // namespace

std::vector<IssueInfo> ReviewStore::issues() {
  Impl& m = *impl_;
  std::vector<IssueInfo> out;
  Stmt s(m.db, "SELECT name, description, created, updated, id FROM issues ORDER BY name");
  while (s.step()) {
    IssueInfo i = read_issue(s);
    Stmt c(m.db, "SELECT state, count(*) FROM elements WHERE issue_id = ?1 GROUP BY state");
    c.bind(1, s.col_int(4));
    while (c.step()) i.counts[parse_element_state(c.col_text(0))] = c.col_int(1);
    out.push_back(std::move(i));
  }
  return out;
}

IssueDetail ReviewStore::issue(const std::string& name) {
  Impl& m = *impl_;
  m.clear_cache();
  IssueDetail d;
  std::int64_t id = 0;
  {
    Stmt s(m.db, "SELECT name, description, created, updated, id FROM issues WHERE name = ?1");
    s.bind(1, name);
    if (!s.step()) throw StoreError(StoreError::Kind::Usage, "unknown issue '" + name + "'");
    d.info = read_issue(s);
    id = s.col_int(4);
  }
  Stmt e(m.db,
         "SELECT object_id, state, user, time FROM elements WHERE issue_id = ?1 ORDER BY rowid");
  e.bind(1, id);
  while (e.step()) {
    ElementRecord r{m.resolve(e.col_int(0)), parse_element_state(e.col_text(1)), e.col_text(2),
                    e.col_text(3)};
    ++d.info.counts[r.state];
    d.elements.push_back(std::move(r));
  }
  return d;
}

std::vector<VerdictRecord> ReviewStore::verdicts(const std::optional<ObjectRef>& ref) {
  Impl& m = *impl_;
  m.clear_cache();
  std::vector<VerdictRecord> out;
  Stmt s(m.db, "SELECT object_id, kind, verdict, note, user, time FROM verdicts ORDER BY rowid");
  while (s.step()) {
    VerdictRecord r{m.resolve(s.col_int(0)), s.col_text(1), parse_verdict(s.col_text(2)),
                    s.col_text(3),           s.col_text(4), s.col_text(5)};
    if (ref_matches(r.object, ref)) out.push_back(std::move(r));
  }
  return out;
}

std::vector<ReviewedRecord> ReviewStore::reviewed() {
  std::vector<ReviewedRecord> out;
  Stmt s(impl_->db, "SELECT frame, user, time FROM reviewed ORDER BY time, frame");
  while (s.step()) out.push_back({s.col_text(0), s.col_text(1), s.col_text(2)});
  return out;
}

std::vector<HistoryRecord> ReviewStore::history(const std::optional<ObjectRef>& ref) {
  Impl& m = *impl_;
  m.clear_cache();
  std::vector<HistoryRecord> out;
  Stmt s(m.db, "SELECT id, time, user, action, ref, object_id, detail FROM history ORDER BY id");
  while (s.step()) {
    if (ref) {
      if (s.col_null(5)) continue;
      if (!ref_matches(m.resolve(s.col_int(5)), ref)) continue;
    }
    out.push_back(
        {s.col_int(0), s.col_text(1), s.col_text(2), s.col_text(3), s.col_text(4), s.col_text(6)});
  }
  return out;
}

std::int64_t ReviewStore::change_counter() {
  Stmt s(impl_->db, "SELECT coalesce(max(id), 0) FROM history");
  return s.step() ? s.col_int(0) : 0;
}

}  // namespace needle
