// needle report's core pieces: HTML escaping, the rasteriser (boxes on small images whose expected
// pixels are worked out by hand), downscaling, SVG plot coordinates and the page's escaping.
#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <utility>

#include <catch2/catch.hpp>

#include "needle/report.h"

using namespace needle;

namespace {

Image blank(int w, int h) {
  Image img;
  img.width = w;
  img.height = h;
  img.rgb.assign(static_cast<std::size_t>(w * h * 3), 0);
  return img;
}

bool is(const Image& img, int x, int y, Rgb c) {
  const std::size_t i = static_cast<std::size_t>((y * img.width + x) * 3);
  return img.rgb[i] == c.r && img.rgb[i + 1] == c.g && img.rgb[i + 2] == c.b;
}

// Every pixel is `c` when (x, y) is in `on`, black otherwise.
void check_pixels(const Image& img, const std::set<std::pair<int, int>>& on, Rgb c) {
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) {
      INFO("pixel " << x << "," << y);
      CHECK(is(img, x, y, on.count({x, y}) ? c : Rgb{0, 0, 0}));
    }
}

std::size_t count(const std::string& s, const std::string& sub) {
  std::size_t n = 0;
  for (std::size_t p = s.find(sub); p != std::string::npos; p = s.find(sub, p + 1)) ++n;
  return n;
}

constexpr Rgb kRed{255, 0, 0};

}  // namespace

TEST_CASE("html_escape escapes markup, quotes and bad bytes", "[report]") {
  CHECK(html_escape("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;");
  CHECK(html_escape("a\"b'c&d") == "a&quot;b&#39;c&amp;d");
  CHECK(html_escape("000123") == "000123");
  CHECK(html_escape("caf\xC3\xA9") == "caf\xC3\xA9");  // valid UTF-8 kept
  CHECK(html_escape("a\xFF"
                    "b") ==
        "a\xEF\xBF\xBD"
        "b");                                                    // invalid byte
  CHECK(html_escape("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
  CHECK(html_escape("\xE2\x82") == "\xEF\xBF\xBD\xEF\xBF\xBD");  // truncated sequence
  CHECK(html_escape(std::string("a\x01"
                                "b")) ==
        "a\xEF\xBF\xBD"
        "b");                                // control character
  CHECK(html_escape("&lt;") == "&amp;lt;");  // no double meaning
}

TEST_CASE("draw_box: a 1 px outline on a known image", "[report]") {
  Image img = blank(10, 8);
  draw_box(img, {2, 1, 6, 5}, kRed);
  // By hand: rows 1 and 5 for x = 2..6, columns 2 and 6 for y = 1..5.
  std::set<std::pair<int, int>> on;
  for (int x = 2; x <= 6; ++x) on.insert({x, 1}), on.insert({x, 5});
  for (int y = 1; y <= 5; ++y) on.insert({2, y}), on.insert({6, y});
  REQUIRE(on.size() == 16);
  check_pixels(img, on, kRed);
}

TEST_CASE("draw_box: dashes, thickness, rounding and clipping", "[report]") {
  SECTION("dashed, 2 on 2 off from each edge's first pixel") {
    Image img = blank(10, 8);
    draw_box(img, {2, 1, 6, 5}, kRed, 1, 2);
    // Top/bottom: offsets 0,1 on, 2,3 off, 4 on -> x = 2, 3, 6. Sides: y = 1, 2, 5.
    std::set<std::pair<int, int>> on;
    for (int x : {2, 3, 6}) on.insert({x, 1}), on.insert({x, 5});
    for (int y : {1, 2, 5}) on.insert({2, y}), on.insert({6, y});
    check_pixels(img, on, kRed);
  }
  SECTION("2 px wide, growing inwards") {
    Image img = blank(8, 8);
    draw_box(img, {1, 1, 6, 6}, kRed, 2);
    // The 6x6 square minus its 2x2 centre (3..4 x 3..4).
    std::set<std::pair<int, int>> on;
    for (int y = 1; y <= 6; ++y)
      for (int x = 1; x <= 6; ++x)
        if (!(x >= 3 && x <= 4 && y >= 3 && y <= 4)) on.insert({x, y});
    REQUIRE(on.size() == 32);
    check_pixels(img, on, kRed);
  }
  SECTION("corners round to the nearest pixel") {
    Image img = blank(6, 4);
    draw_box(img, {1.4, 0.6, 3.5, 2.49}, kRed);  // -> (1,1)-(4,2)
    std::set<std::pair<int, int>> on;
    for (int x = 1; x <= 4; ++x) on.insert({x, 1}), on.insert({x, 2});
    check_pixels(img, on, kRed);
  }
  SECTION("clipped at the image border; far away or NaN draws nothing") {
    Image img = blank(10, 8);
    draw_box(img, {-5, -5, 3, 3}, kRed);
    // Only the bottom edge (y = 3, x = 0..3) and the right edge (x = 3, y = 0..3) are inside.
    std::set<std::pair<int, int>> on;
    for (int i = 0; i <= 3; ++i) on.insert({i, 3}), on.insert({3, i});
    REQUIRE(on.size() == 7);
    check_pixels(img, on, kRed);
    Image img2 = blank(10, 8);
    draw_box(img2, {100, 100, 1e30, 1e30}, kRed);
    draw_box(img2, {std::nan(""), 0, 5, 5}, kRed);
    check_pixels(img2, {}, kRed);
  }
}

TEST_CASE("downscale averages the source pixels under each output pixel", "[report]") {
  Image img = blank(4, 2);
  // Red channel: left 2x2 block 10,20 / 30,40 -> 25; right block 0,0 / 0,255 -> 63.75 -> 64.
  const int red[2][4] = {{10, 20, 0, 0}, {30, 40, 0, 255}};
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 4; ++x)
      img.rgb[static_cast<std::size_t>((y * 4 + x) * 3)] = static_cast<std::uint8_t>(red[y][x]);
  const Image out = downscale(img, 2);
  REQUIRE(out.width == 2);
  REQUIRE(out.height == 1);
  CHECK(out.rgb[0] == 25);
  CHECK(out.rgb[3] == 64);

  // 3 -> 2 columns: footprints [0,1.5) and [1.5,3) hold the centres 0.5 | 1.5, 2.5.
  Image row = blank(3, 1);
  row.rgb[0] = 30, row.rgb[3] = 60, row.rgb[6] = 90;
  const Image r2 = downscale(row, 2);
  REQUIRE(r2.width == 2);
  CHECK(r2.rgb[0] == 30);
  CHECK(r2.rgb[3] == 75);
}

TEST_CASE("render_thumbnail scales the boxes with the image", "[report]") {
  Image img = blank(20, 10);
  // Box (4,2)-(13,7) in the full image; at half size its far edge 14 -> 7, so (2,1)-(6,3).
  const Image t = render_thumbnail(img, {{{4, 2, 13, 7}, kRed, false}}, 10);
  REQUIRE(t.width == 10);
  REQUIRE(t.height == 5);
  // 2 px wide inwards: top rows 1-2 and bottom rows 3-2 cover all of y = 1..3 for x = 2..6.
  std::set<std::pair<int, int>> on;
  for (int x = 2; x <= 6; ++x)
    for (int y = 1; y <= 3; ++y) on.insert({x, y});
  check_pixels(t, on, kRed);
}

TEST_CASE("PR plot coordinates", "[report]") {
  const PlotLayout l;  // 300 x 220, margins left 40 right 10 top 24 bottom 34: plot 250 x 162
  auto p = pr_to_svg(0, 1, l);
  CHECK(p[0] == Approx(40));
  CHECK(p[1] == Approx(24));
  p = pr_to_svg(1, 0, l);
  CHECK(p[0] == Approx(290));
  CHECK(p[1] == Approx(186));
  p = pr_to_svg(0.5, 0.25, l);
  CHECK(p[0] == Approx(165));
  CHECK(p[1] == Approx(24 + 0.75 * 162));

  PrSeries s{"set <a>", "#ff8c00", "", {}};
  for (std::size_t i = 0; i <= 20; ++i) s.precision[i] = 1.0;  // precision 1 up to recall 0.5
  const std::string svg = pr_curve_svg("Car <easy>", {s}, l);
  CHECK(svg.find("points=\"40.0,24.0 ") != std::string::npos);  // recall 0, prec. 1
  CHECK(svg.find(" 165.0,24.0 ") != std::string::npos);         // i = 20: recall 0.5, precision 1
  CHECK(svg.find(" 177.5,186.0 ") != std::string::npos);        // i = 22: recall 0.55, precision 0
  CHECK(svg.find(" 290.0,186.0\"") != std::string::npos);       // recall 1, prec. 0
  CHECK(svg.find("Car &lt;easy&gt;") != std::string::npos);
  CHECK(svg.find("set &lt;a&gt;") != std::string::npos);
  CHECK(svg.find("<a>") == std::string::npos);
  // A colour that is not #rrggbb never reaches the markup.
  PrSeries bad{"x", "red\"><script>", "", {}};
  CHECK(pr_curve_svg("t", {bad}, l).find("<script>") == std::string::npos);
}

TEST_CASE("render_report_html escapes every data string", "[report]") {
  ReportInput in;
  in.dataset = "/data/<set>";
  in.set_names = {"old\"<b>", "new"};
  in.set_colours = {{255, 140, 0}, {30, 120, 255}};
  EvalReport o, n;
  ClassEval c;
  c.cls = EvalClass::Car;
  c.box2d.evaluated = true;
  c.box2d.ap[0].r40 = 50;
  o.classes = {c};
  c.box2d.ap[0].r40 = 55;
  n.classes = {c};
  in.ap = {o, n};
  in.compare_old = 0;
  in.compare_new = 1;
  in.summary = {{"kind:<img src=x onerror=alert(1)>", 3}, {"frames", 2}};
  ReportFrame f;
  f.rank = 1;
  f.id = "9\"<b>";
  f.thumbnail = "thumbs/a\"b.png";
  Finding x;
  x.kind = "unmatched_label";
  x.cls = "<img src=x onerror=alert(1)>";
  x.reason = "</td><script>alert(1)</script>";
  f.findings = {x};
  in.frames = {f};
  ReportFrame g;
  g.rank = 2;
  g.id = "000002";
  g.problem = "invalid data: image_2/000002.png: <broken>";
  in.frames.push_back(g);
  const std::string html = render_report_html(in);
  CHECK(count(html, "<script>") == 1);  // the page's own
  CHECK(html.find("<img src=x") == std::string::npos);
  CHECK(count(html, "&lt;img src=x onerror=alert(1)&gt;") == 2);  // summary kind + finding
  CHECK(html.find("&lt;/td&gt;&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  CHECK(html.find("9&quot;&lt;b&gt;") != std::string::npos);
  CHECK(html.find("src=\"thumbs/a&quot;b.png\"") != std::string::npos);
  CHECK(html.find("old&quot;&lt;b&gt;") != std::string::npos);
  CHECK(html.find("/data/&lt;set&gt;") != std::string::npos);
  CHECK(html.find("invalid data: image_2/000002.png: &lt;broken&gt;") != std::string::npos);
  // Compare table: OLD 50.00, NEW 55.00, delta +5.00 (a gain).
  CHECK(html.find("<td>50.00</td><td>55.00</td><td class=\"pos\">+5.00</td>") != std::string::npos);
  // Nothing external: no http(s) URL anywhere except the SVG namespace name.
  std::string rest = html;
  const std::string ns = "http://www.w3.org/2000/svg";
  for (std::size_t p = rest.find(ns); p != std::string::npos; p = rest.find(ns))
    rest.erase(p, ns.size());
  CHECK(rest.find("http:") == std::string::npos);
  CHECK(rest.find("https:") == std::string::npos);
}
