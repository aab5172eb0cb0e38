#include "needle/calib.h"

namespace needle {

namespace {
// out = a(3x4) * [b(3x4); 0 0 0 1]
Mat34 compose(const Mat34& a, const Mat34& b) {
  Mat34 out{};
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) {
      double s = c == 3 ? a[static_cast<std::size_t>(r * 4 + 3)] : 0.0;
      for (int k = 0; k < 3; ++k)
        s += a[static_cast<std::size_t>(r * 4 + k)] * b[static_cast<std::size_t>(k * 4 + c)];
      out[static_cast<std::size_t>(r * 4 + c)] = s;
    }
  return out;
}

Mat34 rot33_as_34(const Mat33& m) {
  return {m[0], m[1], m[2], 0, m[3], m[4], m[5], 0, m[6], m[7], m[8], 0};
}

Vec3 apply(const Mat34& m, const Vec3& p) {
  return {m[0] * p.x + m[1] * p.y + m[2] * p.z + m[3], m[4] * p.x + m[5] * p.y + m[6] * p.z + m[7],
          m[8] * p.x + m[9] * p.y + m[10] * p.z + m[11]};
}

// Inverse of the affine map [A|t]: [A^-1 | -A^-1 t]. A is a (near-)rotation but we invert it
// exactly so that rect_to_velo(velo_to_rect(p)) == p up to rounding.
Mat34 invert_affine(const Mat34& m) {
  const double a = m[0], b = m[1], c = m[2], d = m[4], e = m[5], f = m[6], g = m[8], h = m[9],
               i = m[10];
  const double det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  const double inv_det = det != 0 ? 1.0 / det : 0.0;
  const Mat33 inv = {
      (e * i - f * h) * inv_det, (c * h - b * i) * inv_det, (b * f - c * e) * inv_det,
      (f * g - d * i) * inv_det, (a * i - c * g) * inv_det, (c * d - a * f) * inv_det,
      (d * h - e * g) * inv_det, (b * g - a * h) * inv_det, (a * e - b * d) * inv_det};
  Mat34 out = rot33_as_34(inv);
  const double tx = m[3], ty = m[7], tz = m[11];
  out[3] = -(inv[0] * tx + inv[1] * ty + inv[2] * tz);
  out[7] = -(inv[3] * tx + inv[4] * ty + inv[5] * tz);
  out[11] = -(inv[6] * tx + inv[7] * ty + inv[8] * tz);
  return out;
}
}  // namespace

Mat34 Calib::velo_to_rect_matrix() const {
  return compose(rot33_as_34(R0_rect), Tr_velo_to_cam);
}

Vec3 Calib::velo_to_rect(const Vec3& p_velo) const {
  return apply(velo_to_rect_matrix(), p_velo);
}

Vec3 Calib::rect_to_velo(const Vec3& p_rect) const {
  return apply(invert_affine(velo_to_rect_matrix()), p_rect);
}

std::optional<std::array<double, 2>> Calib::rect_to_image(const Vec3& p_rect,
                                                          double min_depth) const {
  if (!(p_rect.z > min_depth)) return std::nullopt;
  const Vec3 h = apply(P[2], p_rect);
  if (!(h.z > 0)) return std::nullopt;
  return std::array<double, 2>{h.x / h.z, h.y / h.z};
}

Mat34 Calib::velo_to_image() const {
  return compose(P[2], velo_to_rect_matrix());
}

}  // namespace needle
