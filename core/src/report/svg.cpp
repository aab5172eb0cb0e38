// Precision/recall curves as inline SVG (see needle/report.h).
#include <cctype>
#include <cstdio>
#include <string>

#include "needle/report.h"

namespace needle {

namespace {

std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", v);
  return b;
}

// A colour reaches a style attribute only when it is a plain #rrggbb (it comes from our own
// palette, but the check keeps a bad caller from writing markup).
std::string safe_colour(const std::string& c) {
  if (c.size() != 7 || c[0] != '#') return "#888888";
  for (std::size_t i = 1; i < 7; ++i)
    if (!std::isxdigit(static_cast<unsigned char>(c[i]))) return "#888888";
  return c;
}

std::string safe_dash(const std::string& d) {
  for (char ch : d)
    if (!(std::isdigit(static_cast<unsigned char>(ch)) || ch == ' ' || ch == ',' || ch == '.'))
      return "";
  return d;
}

// Legend rows, each this many units apart (one line of 10 px text plus spacing).
constexpr double kLegendRow = 12;

}  // namespace

std::array<double, 2> pr_to_svg(double recall, double precision, const PlotLayout& l) {
  const double w = l.width - l.left - l.right, h = l.height - l.top - l.bottom;
  return {l.left + recall * w, l.top + (1.0 - precision) * h};
}

std::string pr_curve_svg(const std::string& title, const std::vector<PrSeries>& series,
                         const PlotLayout& l) {
  std::string s;
  s += "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"pr\" width=\"" + num(l.width) +
       "\" height=\"" + num(l.height) + "\" viewBox=\"0 0 " + num(l.width) + " " + num(l.height) +
       "\" role=\"img\" aria-label=\"" + html_escape(title) + "\">";
  s += "<title>" + html_escape(title) + "</title>";
  s += "<text x=\"" + num(l.width / 2) + "\" y=\"14\" text-anchor=\"middle\" class=\"t\">" +
       html_escape(title) + "</text>";
  // Grid and ticks every 0.2 on both axes.
  constexpr int kTicks = 5;
  for (int i = 0; i <= kTicks; ++i) {
    const double v = static_cast<double>(i) / kTicks;
    const auto a = pr_to_svg(v, 0, l), b = pr_to_svg(v, 1, l);
    s += "<line x1=\"" + num(a[0]) + "\" y1=\"" + num(a[1]) + "\" x2=\"" + num(b[0]) + "\" y2=\"" +
         num(b[1]) + "\" class=\"g\"/>";
    s += "<text x=\"" + num(a[0]) + "\" y=\"" + num(a[1] + 12) +
         "\" text-anchor=\"middle\" class=\"k\">" + num(v) + "</text>";
    const auto c = pr_to_svg(0, v, l), d = pr_to_svg(1, v, l);
    s += "<line x1=\"" + num(c[0]) + "\" y1=\"" + num(c[1]) + "\" x2=\"" + num(d[0]) + "\" y2=\"" +
         num(d[1]) + "\" class=\"g\"/>";
    s += "<text x=\"" + num(c[0] - 4) + "\" y=\"" + num(c[1] + 3) +
         "\" text-anchor=\"end\" class=\"k\">" + num(v) + "</text>";
  }
  const auto o = pr_to_svg(0, 0, l);
  s += "<text x=\"" + num((l.left + l.width - l.right) / 2) + "\" y=\"" + num(l.height - 4) +
       "\" text-anchor=\"middle\" class=\"k\">recall</text>";
  s += "<text x=\"10\" y=\"" + num((l.top + o[1]) / 2) + "\" transform=\"rotate(-90 10 " +
       num((l.top + o[1]) / 2) + ")\" text-anchor=\"middle\" class=\"k\">precision</text>";
  for (std::size_t k = 0; k < series.size(); ++k) {
    const PrSeries& ser = series[k];
    std::string pts;
    for (int i = 0; i < kEvalRecallPoints; ++i) {
      const auto p = pr_to_svg(static_cast<double>(i) / (kEvalRecallPoints - 1),
                               ser.precision[static_cast<std::size_t>(i)], l);
      if (i) pts += ' ';
      pts += num(p[0]);
      pts += ',';
      pts += num(p[1]);
    }
    const std::string colour = safe_colour(ser.colour), dash = safe_dash(ser.dash);
    s += "<polyline fill=\"none\" stroke=\"" + colour + "\" stroke-width=\"1.5\"" +
         (dash.empty() ? "" : " stroke-dasharray=\"" + dash + "\"") + " points=\"" + pts +
         "\"><title>" + html_escape(ser.name) + "</title></polyline>";
    if (!l.legend) continue;
    // Legend: bottom-left inside the plot area, where precision/recall curves rarely go.
    const double ly = o[1] - 6 - kLegendRow * static_cast<double>(series.size() - 1 - k);
    s += "<line x1=\"" + num(l.left + 6) + "\" y1=\"" + num(ly - 3) + "\" x2=\"" +
         num(l.left + 22) + "\" y2=\"" + num(ly - 3) + "\" stroke=\"" + colour +
         "\" stroke-width=\"1.5\"" + (dash.empty() ? "" : " stroke-dasharray=\"" + dash + "\"") +
         "/>";
    s += "<text x=\"" + num(l.left + 26) + "\" y=\"" + num(ly) + "\" class=\"k\">" +
         html_escape(ser.name) + "</text>";
  }
  s += "</svg>";
  return s;
}

}  // namespace needle
