// Drawing on a needle::Image without OpenGL (see needle/report.h for the pixel convention).
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "needle/report.h"

namespace needle {

namespace {

// Thumbnail boxes: 2 px wide so that they stay visible at ~1/3 of KITTI's 1242 px width; dashes
// of 6 px, long enough to read as dashes on a 2 px line and short enough that a 20 px box still
// shows a gap.
constexpr int kThumbLineWidth = 2;
constexpr int kThumbDash = 6;

void check_image(const Image& img) {
  if (img.width < 0 || img.height < 0 ||
      img.rgb.size() !=
          static_cast<std::size_t>(img.width) * static_cast<std::size_t>(img.height) * 3)
    throw std::invalid_argument("image size does not match its RGB buffer");
}

void put(Image& img, int x, int y, Rgb c) {
  if (x < 0 || y < 0 || x >= img.width || y >= img.height) return;
  const std::size_t i = (static_cast<std::size_t>(y) * static_cast<std::size_t>(img.width) +
                         static_cast<std::size_t>(x)) *
                        3;
  img.rgb[i] = c.r;
  img.rgb[i + 1] = c.g;
  img.rgb[i + 2] = c.b;
}

int round_px(double v) {
  // Clamp before converting: a corrupt label may hold 1e30.
  constexpr double kLimit = 1e8;
  return static_cast<int>(std::lround(std::clamp(v, -kLimit, kLimit)));
}

bool dash_on(int offset, int dash) {
  return dash <= 0 || (offset / dash) % 2 == 0;
}

}  // namespace

void fill_rect(Image& img, int x0, int y0, int x1, int y1, Rgb c) {
  check_image(img);
  if (x0 > x1) std::swap(x0, x1);
  if (y0 > y1) std::swap(y0, y1);
  x0 = std::max(x0, 0);
  y0 = std::max(y0, 0);
  x1 = std::min(x1, img.width - 1);
  y1 = std::min(y1, img.height - 1);
  for (int y = y0; y <= y1; ++y)
    for (int x = x0; x <= x1; ++x) put(img, x, y, c);
}

void draw_box(Image& img, const Box2D& uv_image, Rgb c, int thickness, int dash) {
  check_image(img);
  if (!std::isfinite(uv_image.x1) || !std::isfinite(uv_image.y1) || !std::isfinite(uv_image.x2) ||
      !std::isfinite(uv_image.y2))
    return;
  int x1 = round_px(uv_image.x1), y1 = round_px(uv_image.y1);
  int x2 = round_px(uv_image.x2), y2 = round_px(uv_image.y2);
  if (x1 > x2) std::swap(x1, x2);
  if (y1 > y2) std::swap(y1, y2);
  // Nothing of the box can be visible: skip the loops (a huge box would otherwise walk 1e8 px).
  if (x2 < 0 || y2 < 0 || x1 >= img.width || y1 >= img.height) return;
  thickness = std::max(thickness, 1);
  const int cx0 = std::max(x1, 0), cx1 = std::min(x2, img.width - 1);
  const int cy0 = std::max(y1, 0), cy1 = std::min(y2, img.height - 1);
  for (int t = 0; t < thickness; ++t) {
    for (int x = cx0; x <= cx1; ++x) {
      if (!dash_on(x - x1, dash)) continue;
      if (y1 + t <= y2) put(img, x, y1 + t, c);
      if (y2 - t >= y1) put(img, x, y2 - t, c);
    }
    for (int y = cy0; y <= cy1; ++y) {
      if (!dash_on(y - y1, dash)) continue;
      if (x1 + t <= x2) put(img, x1 + t, y, c);
      if (x2 - t >= x1) put(img, x2 - t, y, c);
    }
  }
}

Image downscale(const Image& img, int width) {
  check_image(img);
  if (width <= 0 || img.width == 0 || img.height == 0 || width >= img.width) return img;
  Image out;
  out.width = width;
  out.height = std::max(
      1, static_cast<int>(std::lround(static_cast<double>(img.height) * width / img.width)));
  out.rgb.assign(static_cast<std::size_t>(out.width) * static_cast<std::size_t>(out.height) * 3, 0);
  const double sx = static_cast<double>(img.width) / out.width;
  const double sy = static_cast<double>(img.height) / out.height;
  // Source pixel i (centre i + 0.5) belongs to output pixel o when o*s <= i + 0.5 < (o+1)*s.
  auto first = [](int o, double s) { return static_cast<int>(std::ceil(o * s - 0.5)); };
  for (int oy = 0; oy < out.height; ++oy) {
    const int y0 = std::max(first(oy, sy), 0);
    const int y1 = std::max(std::min(first(oy + 1, sy), img.height), y0 + 1);
    for (int ox = 0; ox < out.width; ++ox) {
      const int x0 = std::max(first(ox, sx), 0);
      const int x1 = std::max(std::min(first(ox + 1, sx), img.width), x0 + 1);
      unsigned sum[3] = {0, 0, 0};
      for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) {
          const std::size_t i = (static_cast<std::size_t>(y) * static_cast<std::size_t>(img.width) +
                                 static_cast<std::size_t>(x)) *
                                3;
          for (int k = 0; k < 3; ++k) sum[k] += img.rgb[i + static_cast<std::size_t>(k)];
        }
      const unsigned n = static_cast<unsigned>((y1 - y0) * (x1 - x0));
      const std::size_t o = (static_cast<std::size_t>(oy) * static_cast<std::size_t>(out.width) +
                             static_cast<std::size_t>(ox)) *
                            3;
      for (int k = 0; k < 3; ++k)
        out.rgb[o + static_cast<std::size_t>(k)] = static_cast<std::uint8_t>((sum[k] + n / 2) / n);
    }
  }
  return out;
}

Image render_thumbnail(const Image& img, const std::vector<ThumbnailBox>& boxes, int width) {
  Image out = downscale(img, width);
  if (img.width == 0 || img.height == 0) return out;
  const double sx = static_cast<double>(out.width) / img.width;
  const double sy = static_cast<double>(out.height) / img.height;
  for (const ThumbnailBox& b : boxes) {
    // x2/y2 are the last pixel of the box: its far edge is at x2 + 1 in continuous coordinates.
    const Box2D s{b.uv_image.x1 * sx, b.uv_image.y1 * sy, (b.uv_image.x2 + 1) * sx - 1,
                  (b.uv_image.y2 + 1) * sy - 1};
    draw_box(out, s, b.colour, kThumbLineWidth, b.dashed ? kThumbDash : 0);
  }
  return out;
}

}  // namespace needle
