// The HTML page of `needle report` and the escaping every data string goes through
// (see needle/report.h).
//
// Index
//   [SECTION] Escaping
//   [SECTION] Page parts: head, AP tables, curves, findings, frames
//   [SECTION] Page
#include <cstdio>
#include <set>
#include <string>

#include "needle/report.h"

namespace needle {

// ============================================================================================
// [SECTION] Escaping
// ============================================================================================
namespace {

// Length of the valid UTF-8 sequence starting at s[i], 0 when it is not one (stray continuation
// byte, truncated or overlong sequence, surrogate, > U+10FFFF).
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  std::size_t n = 0;
  unsigned cp = 0;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF)
    n = 2, cp = c & 0x1Fu;
  else if (c >= 0xE0 && c <= 0xEF)
    n = 3, cp = c & 0x0Fu;
  else if (c >= 0xF0 && c <= 0xF4)
    n = 4, cp = c & 0x07u;
  else
    return 0;
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3Fu);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

}  // namespace

std::string html_escape(std::string_view s) {
  std::string o;
  o.reserve(s.size() + s.size() / 8);
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    switch (c) {
      case '&':
        o += "&amp;";
        ++i;
        continue;
      case '<':
        o += "&lt;";
        ++i;
        continue;
      case '>':
        o += "&gt;";
        ++i;
        continue;
      case '"':
        o += "&quot;";
        ++i;
        continue;
      case '\'':
        o += "&#39;";
        ++i;
        continue;
      default:
        break;
    }
    const std::size_t n = utf8_length(s, i);
    if (n == 0) {
      o += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      ++i;
    } else if (n == 1 && static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
      o += "\xEF\xBF\xBD";  // control characters are not valid in HTML text
      ++i;
    } else {
      o.append(s.substr(i, n));
      i += n;
    }
  }
  return o;
}

std::string css_colour(Rgb c) {
  char b[8];
  std::snprintf(b, sizeof b, "#%02x%02x%02x", c.r, c.g, c.b);
  return b;
}

// ============================================================================================
// [SECTION] Page parts
// ============================================================================================
namespace {

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

constexpr EvalClass kClasses[] = {EvalClass::Car, EvalClass::Pedestrian, EvalClass::Cyclist};
constexpr Difficulty kDifficulties[] = {Difficulty::Easy, Difficulty::Moderate, Difficulty::Hard};

struct MetricRow {
  const char* name;
  const MetricEval ClassEval::*member;
};
constexpr MetricRow kMetricRows[] = {{"2D", &ClassEval::box2d},
                                     {"BEV", &ClassEval::bev},
                                     {"3D", &ClassEval::box3d},
                                     {"AOS", &ClassEval::aos}};

const char* kStyle = R"(
body{font:14px/1.4 system-ui,sans-serif;margin:16px;color:#222;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:24px 0 8px;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:4px 0 12px}td,th{border:1px solid #ccc;padding:2px 6px;
text-align:right}th{background:#f3f3f3}td.l,th.l{text-align:left}
.na{color:#999}.pos{color:#070}.neg{color:#b00;font-weight:bold}
.sw{display:inline-block;width:24px;height:0;border-top:3px solid;vertical-align:middle;margin:0 4px}
.sw.d{border-top-style:dashed}
svg.pr{border:1px solid #ddd;margin:2px;background:#fff}svg .g{stroke:#eee}
svg .t{font-size:12px;font-weight:bold}svg .k{font-size:10px;fill:#444}
.frame{border:1px solid #ccc;border-radius:4px;padding:8px;margin:0 0 12px}
.frame h3{margin:0 0 6px;font-size:15px}.frame img{display:block;max-width:100%;height:auto}
.ph{display:flex;align-items:center;justify-content:center;width:480px;max-width:100%;
height:120px;background:#eee;color:#900;border:1px dashed #b00;text-align:center;padding:4px}
.reason{text-align:left;font-size:13px}
)";

const char* kScript = R"(
window.addEventListener('load', function () {
  var broken = 0, imgs = document.images;
  for (var i = 0; i < imgs.length; ++i)
    if (!(imgs[i].complete && imgs[i].naturalWidth > 0)) ++broken;
  document.body.setAttribute('data-image-count', String(imgs.length));
  document.body.setAttribute('data-images', broken ? 'broken:' + broken : 'ok');
});
)";

std::string ap_cell(const ClassEval* c, const MetricRow& m, Difficulty d, bool r11) {
  if (!c || !(c->*m.member).evaluated) return "<td class=\"na\">n/a</td>";
  const ApFigures& a = (c->*m.member).ap[static_cast<std::size_t>(d)];
  return "<td>" + fmt("%.2f", r11 ? a.r11 : a.r40) + "</td>";
}

bool metric_shown(const EvalReport& r, const MetricRow& m) {
  return m.member != &ClassEval::aos || r.aos_computed;
}

std::string ap_table(const std::string& set_name, const EvalReport& r) {
  std::string s = "<table class=\"ap\" data-set=\"" + html_escape(set_name) + "\">";
  s += "<tr><th class=\"l\" rowspan=\"2\">class</th><th class=\"l\" rowspan=\"2\">metric</th>"
       "<th colspan=\"3\">AP R40 (%)</th><th colspan=\"3\">AP R11 (%)</th></tr><tr>";
  for (int k = 0; k < 2; ++k)
    for (Difficulty d : kDifficulties) s += std::string("<th>") + difficulty_key(d) + "</th>";
  s += "</tr>";
  for (const ClassEval& c : r.classes)
    for (const MetricRow& m : kMetricRows) {
      if (!metric_shown(r, m)) continue;
      s += std::string("<tr><td class=\"l\">") + eval_class_name(c.cls) + "</td><td class=\"l\">" +
           m.name + "</td>";
      for (int k = 0; k < 2; ++k)
        for (Difficulty d : kDifficulties) s += ap_cell(&c, m, d, k == 1);
      s += "</tr>";
    }
  return s + "</table>";
}

std::string compare_table(const std::string& old_name, const EvalReport& o,
                          const std::string& new_name, const EvalReport& n) {
  std::string s =
      "<table class=\"ap compare\"><tr><th class=\"l\" rowspan=\"2\">class</th>"
      "<th class=\"l\" rowspan=\"2\">metric</th>";
  for (Difficulty d : kDifficulties)
    s += std::string("<th colspan=\"3\">") + difficulty_key(d) + " (AP R40 %)</th>";
  s += "</tr><tr>";
  for (std::size_t k = 0; k < 3; ++k)
    s += "<th>OLD " + html_escape(old_name) + "</th><th>NEW " + html_escape(new_name) +
         "</th><th>&Delta;</th>";
  s += "</tr>";
  for (EvalClass cls : kClasses) {
    const ClassEval* co = o.find(cls);
    const ClassEval* cn = n.find(cls);
    if (!co && !cn) continue;
    for (const MetricRow& m : kMetricRows) {
      if (!metric_shown(o, m) && !metric_shown(n, m)) continue;
      s += std::string("<tr><td class=\"l\">") + eval_class_name(cls) + "</td><td class=\"l\">" +
           m.name + "</td>";
      for (Difficulty d : kDifficulties) {
        const bool eo = co && (co->*m.member).evaluated && metric_shown(o, m);
        const bool en = cn && (cn->*m.member).evaluated && metric_shown(n, m);
        s += eo ? ap_cell(co, m, d, false) : "<td class=\"na\">n/a</td>";
        s += en ? ap_cell(cn, m, d, false) : "<td class=\"na\">n/a</td>";
        if (eo && en) {
          const std::size_t i = static_cast<std::size_t>(d);
          const double delta = (cn->*m.member).ap[i].r40 - (co->*m.member).ap[i].r40;
          // A change under 0.005 points prints as 0.00: neither a gain nor a loss.
          constexpr double kPrinted = 0.005;
          const char* cls_name = delta <= -kPrinted ? "neg" : delta >= kPrinted ? "pos" : "";
          s += std::string("<td class=\"") + cls_name + "\">" + fmt("%+.2f", delta) + "</td>";
        } else {
          s += "<td class=\"na\">n/a</td>";
        }
      }
      s += "</tr>";
    }
  }
  return s + "</table>";
}

std::vector<std::size_t> shown_sets(const ReportInput& in) {
  std::vector<std::size_t> out;
  if (in.compare_old >= 0 && in.compare_new >= 0) {
    out = {static_cast<std::size_t>(in.compare_old), static_cast<std::size_t>(in.compare_new)};
  } else {
    for (std::size_t i = 0; i < in.set_names.size(); ++i) out.push_back(i);
  }
  std::vector<std::size_t> valid;
  for (std::size_t i : out)
    if (i < in.set_names.size()) valid.push_back(i);
  return valid;
}

std::string set_colour(const ReportInput& in, std::size_t i) {
  return i < in.set_colours.size() ? css_colour(in.set_colours[i]) : "#888888";
}

std::string curves(const ReportInput& in) {
  // Metric by stroke style: 2D solid, BEV dashed, 3D dotted (colours are the sets').
  struct Style {
    const char* name;
    const MetricEval ClassEval::*member;
    const char* dash;
  };
  constexpr Style kStyles[] = {{"2D", &ClassEval::box2d, ""},
                               {"BEV", &ClassEval::bev, "6 3"},
                               {"3D", &ClassEval::box3d, "2 2"}};
  PlotLayout layout;
  layout.legend = false;  // one legend above all plots: sets by colour, metrics by line
  std::string s = "<p class=\"legend\">";
  for (std::size_t i : shown_sets(in))
    s += "<span class=\"sw\" style=\"border-color:" + set_colour(in, i) + "\"></span>" +
         html_escape(in.set_names[i]) + " ";
  s += "&middot; 2D <svg width=\"28\" height=\"8\"><line x1=\"0\" y1=\"4\" x2=\"28\" y2=\"4\" "
       "stroke=\"#444\" stroke-width=\"1.5\"/></svg> BEV <svg width=\"28\" height=\"8\"><line "
       "x1=\"0\" y1=\"4\" x2=\"28\" y2=\"4\" stroke=\"#444\" stroke-width=\"1.5\" "
       "stroke-dasharray=\"6 3\"/></svg> 3D <svg width=\"28\" height=\"8\"><line x1=\"0\" y1=\"4\" "
       "x2=\"28\" y2=\"4\" stroke=\"#444\" stroke-width=\"1.5\" stroke-dasharray=\"2 "
       "2\"/></svg></p>";
  bool any = false;
  for (EvalClass cls : kClasses) {
    std::string row;
    for (Difficulty d : kDifficulties) {
      std::vector<PrSeries> series;
      for (std::size_t i : shown_sets(in)) {
        if (i >= in.ap.size() || !in.ap[i]) continue;
        const ClassEval* c = in.ap[i]->find(cls);
        if (!c) continue;
        for (const Style& st : kStyles) {
          const MetricEval& m = c->*st.member;
          if (!m.evaluated) continue;
          series.push_back({in.set_names[i] + " " + st.name, set_colour(in, i), st.dash,
                            m.curve[static_cast<std::size_t>(d)]});
        }
      }
      if (series.empty()) continue;
      row +=
          pr_curve_svg(std::string(eval_class_name(cls)) + " " + difficulty_key(d), series, layout);
    }
    if (!row.empty()) s += "<div class=\"curves\">" + row + "</div>";
    any = any || !row.empty();
  }
  return any ? s : "<p class=\"na\">No class was evaluated.</p>";
}

std::string findings_summary(const ReportInput& in) {
  std::string kinds, totals;
  for (const auto& [k, v] : in.summary) {
    const bool is_kind = k.rfind("kind:", 0) == 0;
    const std::string name = is_kind ? k.substr(5) : k;
    (is_kind ? kinds : totals) +=
        "<tr><td class=\"l\">" + html_escape(name) + "</td><td>" + std::to_string(v) + "</td></tr>";
  }
  std::string s;
  s += "<table class=\"kinds\"><tr><th class=\"l\">finding kind</th><th>findings</th></tr>" +
       (kinds.empty() ? "<tr><td class=\"l na\" colspan=\"2\">no finding</td></tr>" : kinds) +
       "</table>";
  s += "<table class=\"totals\"><tr><th class=\"l\">count</th><th></th></tr>" + totals + "</table>";
  return s;
}

std::string opt_num(const std::optional<double>& v) {
  return v ? fmt("%.2f", *v) : "";
}

std::string frame_card(const ReportFrame& f) {
  std::string s = "<div class=\"frame\" id=\"rank-" + std::to_string(f.rank) + "\">";
  s += "<h3>#" + std::to_string(f.rank) + " frame <span class=\"id\">" + html_escape(f.id) +
       "</span> &middot; score " + fmt("%.3f", f.score) + "</h3>";
  if (!f.thumbnail.empty()) {
    s += "<img src=\"" + html_escape(f.thumbnail) + "\" alt=\"frame " + html_escape(f.id) + "\">";
  } else {
    s += "<div class=\"ph\">" + html_escape(f.problem.empty() ? "invalid data" : f.problem) +
         "</div>";
  }
  s += "<table class=\"findings\"><tr><th>score</th><th class=\"l\">kind</th><th class=\"l\">set"
       "</th><th class=\"l\">class</th><th>label</th><th>pred</th><th>IoU 2D</th><th>IoU 3D"
       "</th><th class=\"l\">reason</th></tr>";
  for (const Finding& x : f.findings) {
    s += "<tr><td>" + fmt("%.3f", x.score) + "</td><td class=\"l\">" + html_escape(x.kind) +
         "</td><td class=\"l\">" + html_escape(x.prediction_set) + "</td><td class=\"l\">" +
         html_escape(x.cls) +
         (x.predicted_class.empty() || x.predicted_class == x.cls
              ? ""
              : " &rarr; " + html_escape(x.predicted_class)) +
         "</td><td>" + (x.label >= 0 ? std::to_string(x.label) : "") + "</td><td>" +
         (x.prediction >= 0 ? std::to_string(x.prediction) : "") + "</td><td>" + opt_num(x.iou_2d) +
         "</td><td>" + opt_num(x.iou_3d) + "</td><td class=\"reason\">" + html_escape(x.reason) +
         "</td></tr>";
  }
  return s + "</table></div>";
}

}  // namespace

// ============================================================================================
// [SECTION] Page
// ============================================================================================
std::string render_report_html(const ReportInput& in) {
  const bool compare = in.compare_old >= 0 && in.compare_new >= 0 &&
                       static_cast<std::size_t>(in.compare_old) < in.set_names.size() &&
                       static_cast<std::size_t>(in.compare_new) < in.set_names.size();
  std::string s = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
  // Nothing from outside the report: no network, fonts, frames or plugins; images only from the
  // report's own folder (file: or same origin when served) or data: URIs.
  s += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
       "img-src 'self' file: data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">";
  s += "<title>" + html_escape(in.title) + "</title><style>" + kStyle + "</style></head><body>";
  s += "<h1>" + html_escape(in.title) + "</h1>";
  s += "<p>dataset <code class=\"dataset\">" + html_escape(in.dataset) + "</code> &middot; " +
       std::to_string(in.frames_total) + " frames, " + std::to_string(in.frames_listed) +
       " with findings" + (in.generated.empty() ? "" : " &middot; " + html_escape(in.generated)) +
       "</p>";
  s += "<p class=\"legend\">boxes: <span class=\"sw\" style=\"border-color:" +
       css_colour(in.label_colour) + "\"></span>labels (solid; DontCare grey)";
  for (std::size_t i : shown_sets(in))
    s += " <span class=\"sw d\" style=\"border-color:" + set_colour(in, i) + "\"></span>" +
         html_escape(in.set_names[i]) + " (dashed)";
  if (compare)
    s += " &middot; compare mode: OLD <b>" +
         html_escape(in.set_names[static_cast<std::size_t>(in.compare_old)]) + "</b>, NEW <b>" +
         html_escape(in.set_names[static_cast<std::size_t>(in.compare_new)]) + "</b>";
  s += "</p>";

  s += "<h2 id=\"ap\">Average precision</h2>";
  if (compare) {
    const auto o = static_cast<std::size_t>(in.compare_old);
    const auto n = static_cast<std::size_t>(in.compare_new);
    if (o < in.ap.size() && n < in.ap.size() && in.ap[o] && in.ap[n])
      s += compare_table(in.set_names[o], *in.ap[o], in.set_names[n], *in.ap[n]);
    else
      s += "<p class=\"na\">One of the two sets could not be evaluated.</p>";
  }
  bool any_ap = false;
  for (std::size_t i : shown_sets(in)) {
    if (i >= in.ap.size() || !in.ap[i]) continue;
    any_ap = true;
    s += "<h3>" + html_escape(in.set_names[i]) + " &middot; " + std::to_string(in.ap[i]->frames) +
         " frames evaluated</h3>" + ap_table(in.set_names[i], *in.ap[i]);
  }
  if (!any_ap) s += "<p class=\"na\">No prediction set with labelled frames to evaluate.</p>";

  s += "<h2 id=\"curves\">Precision / recall</h2><p>Interpolated precision at the devkit's 41 "
       "recall points; colour = prediction set, line = metric (2D solid, BEV dashed, 3D dotted)."
       "</p>" +
       curves(in);
  s += "<h2 id=\"findings\">Findings by kind</h2>" + findings_summary(in);
  s += std::string("<h2 id=\"frames\">") + (compare ? "Top regressions" : "Top suspicious frames") +
       " (" + std::to_string(in.frames.size()) + ")</h2>";
  if (in.frames.empty()) s += "<p class=\"na\">No frame has a finding.</p>";
  for (const ReportFrame& f : in.frames) s += frame_card(f);
  s += std::string("<script>") + kScript + "</script></body></html>\n";
  return s;
}

}  // namespace needle
