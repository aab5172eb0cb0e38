// needle/report.h — the pieces of `needle report`, a self-contained HTML report (AP tables,
// precision/recall curves, findings, thumbnails) that needs no display and loads nothing from
// outside its own folder.
//
// Three concepts, one source file each under core/src/report/:
//  * raster.cpp — drawing on a needle::Image without OpenGL: filled rectangles, solid or dashed
//    box outlines, area-average downscaling, the thumbnail of a frame with its boxes.
//  * svg.cpp    — precision/recall curves as inline SVG.
//  * html.cpp   — escaping and the page itself.
//
// Pixel convention (raster): pixel (x, y) covers [x, x+1) x [y, y+1); a Box2D's corners are rounded
// to the nearest pixel index (x1, y1 inclusive, x2, y2 inclusive) and clipped to the image, which
// is how KITTI's integer-valued 2D boxes read (x2 is the last pixel column of the object).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "needle/eval.h"
#include "needle/findings.h"
#include "needle/types.h"

namespace needle {

// ============================================================================================
// Raster (core/src/report/raster.cpp)
// ============================================================================================
struct Rgb {
  std::uint8_t r = 0, g = 0, b = 0;
};

// Fills the pixels x0..x1, y0..y1 (inclusive, any order), clipped to the image.
void fill_rect(Image& img, int x0, int y0, int x1, int y1, Rgb c);

// The outline of `uv_image` (rounded, see the pixel convention), `thickness` pixels wide growing
// inwards. dash > 0: each edge is drawn as runs of `dash` pixels on, `dash` off, counted from the
// edge's first pixel (top and bottom edges from the left, side edges from the top).
void draw_box(Image& img, const Box2D& uv_image, Rgb c, int thickness = 1, int dash = 0);

// Area-average downscale to `width` pixels (height keeps the aspect ratio, at least 1). Each output
// pixel averages the source pixels whose centres fall in its footprint. width >= img.width returns
// a copy.
Image downscale(const Image& img, int width);

struct ThumbnailBox {
  Box2D uv_image;  // in the full-size image's pixels
  Rgb colour;
  bool dashed = false;
};
// The frame's image downscaled to `width` with its boxes drawn at that scale (2 px wide, dashes of
// 6 px for dashed ones).
Image render_thumbnail(const Image& img, const std::vector<ThumbnailBox>& boxes, int width);

// ============================================================================================
// SVG plots (core/src/report/svg.cpp)
// ============================================================================================
struct PlotLayout {
  double width = 300, height = 220;                     // SVG user units (= CSS px)
  double left = 40, right = 10, top = 24, bottom = 34;  // margins holding the axes' labels
  bool legend = true;  // false: the page shows one legend for all plots
};
// Position of (recall, precision), both in [0,1], in the plot's SVG coordinates: recall 0..1 maps
// to x = left .. width - right, precision 1..0 to y = top .. height - bottom.
std::array<double, 2> pr_to_svg(double recall, double precision, const PlotLayout& layout);

struct PrSeries {
  std::string name;         // legend text (escaped when written)
  std::string colour;       // CSS colour, e.g. "#ff8c00" (must be a plain #rrggbb)
  std::string dash;         // SVG stroke-dasharray, empty = solid
  RecallCurve precision{};  // precision at recall i/40, i = 0..40 (MetricEval::curve)
};
// One plot: axes, a polyline of the 41 points per series (its name as a tooltip), a legend unless
// layout.legend is false. All text escaped.
std::string pr_curve_svg(const std::string& title, const std::vector<PrSeries>& series,
                         const PlotLayout& layout = {});

// ============================================================================================
// HTML (core/src/report/html.cpp)
// ============================================================================================
// Escapes & < > " ' for HTML text and attribute values (double- or single-quoted). Bytes that are
// not valid UTF-8 are written as U+FFFD so that a broken name cannot change how the page parses.
std::string html_escape(std::string_view s);

// "#rrggbb" of a colour.
std::string css_colour(Rgb c);

struct ReportFrame {
  int rank = 0;
  std::string id;
  double score = 0;
  std::string thumbnail;  // path relative to index.html; empty: a placeholder is shown
  std::string problem;    // why there is no thumbnail ("invalid data: <problem>")
  std::vector<Finding> findings;
};

struct ReportInput {
  std::string title = "needle report";
  std::string dataset;                        // shown as given
  std::vector<std::string> set_names;         // prediction sets, dataset order
  std::vector<Rgb> set_colours;               // parallel to set_names (thumbnail boxes, curves)
  Rgb label_colour{};                         // label boxes (solid)
  std::vector<std::optional<EvalReport>> ap;  // parallel to set_names; nullopt: not evaluated
  int compare_old = -1, compare_new = -1;     // compare mode when both >= 0
  std::map<std::string, long> summary;        // RankResult::summary
  std::size_t frames_total = 0;               // frames in the dataset
  std::size_t frames_listed = 0;              // frames the ranking listed (score > 0)
  std::vector<ReportFrame> frames;            // the top K, rank order
  std::string generated;                      // e.g. "2026-12-03 10:00 UTC, 1.2 s"
};

// The whole page: a Content-Security-Policy that allows only inline styles and scripts and images
// from the report's folder or data: URIs, no external resource; every string from the data
// escaped. A small inline script marks <body data-images="ok"> once every <img> has loaded
// (data-images="broken:N" otherwise), for tests and CI checks.
std::string render_report_html(const ReportInput& in);

}  // namespace needle
