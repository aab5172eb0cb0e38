// map/pca.cpp — the PCA of the embedding map (map_internal.h): covariance of an even sample of
// rows, orthogonal iteration, Rayleigh-Ritz with a Jacobi eigensolver; and the projection.
#include <algorithm>
#include <numeric>

#include "map_internal.h"
#include "../ranking_internal.h"

namespace needle::map_detail {

// ============================================================================================
// [SECTION] PCA
// ============================================================================================
// Rows of the covariance sample: an even spread of at most this many rows (the covariance of
// 20,000 rows of a few hundred dimensions is as good as that of all rows for a projection).
constexpr std::size_t kPcaSampleRows = 20000;
// Orthogonal iterations: the subspace converges as (lambda_{m+1} / lambda_m)^t; 40 is ample for
// a projection that only has to keep distances (the exact ordering of close axes is irrelevant).
constexpr int kPcaIterations = 40;
// Jacobi sweeps of the small Rayleigh-Ritz matrix (converges in < 10 for m <= 64).
constexpr int kJacobiSweeps = 30;

// Eigen-decomposition of a symmetric m x m matrix a (row-major) by cyclic Jacobi rotations:
// eigenvalues in `values`, eigenvectors as the columns of v.
void jacobi_eigen(std::vector<double> a, std::size_t m, std::vector<double>& values,
                  std::vector<double>& v) {
  v.assign(m * m, 0.0);
  for (std::size_t i = 0; i < m; ++i) v[i * m + i] = 1;
  for (int sweep = 0; sweep < kJacobiSweeps; ++sweep) {
    double off = 0;
    for (std::size_t p = 0; p < m; ++p)
      for (std::size_t q = p + 1; q < m; ++q) off += a[p * m + q] * a[p * m + q];
    if (off < 1e-24) break;
    for (std::size_t p = 0; p < m; ++p)
      for (std::size_t q = p + 1; q < m; ++q) {
        const double apq = a[p * m + q];
        if (std::abs(apq) < 1e-300) continue;
        const double theta = (a[q * m + q] - a[p * m + p]) / (2 * apq);
        const double t =
            (theta >= 0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1));
        const double c = 1 / std::sqrt(t * t + 1), s = t * c;
        for (std::size_t k = 0; k < m; ++k) {  // columns p, q
          const double akp = a[k * m + p], akq = a[k * m + q];
          a[k * m + p] = c * akp - s * akq;
          a[k * m + q] = s * akp + c * akq;
        }
        for (std::size_t k = 0; k < m; ++k) {  // rows p, q
          const double apk = a[p * m + k], aqk = a[q * m + k];
          a[p * m + k] = c * apk - s * aqk;
          a[q * m + k] = s * apk + c * aqk;
        }
        for (std::size_t k = 0; k < m; ++k) {
          const double vkp = v[k * m + p], vkq = v[k * m + q];
          v[k * m + p] = c * vkp - s * vkq;
          v[k * m + q] = s * vkp + c * vkq;
        }
      }
  }
  values.resize(m);
  for (std::size_t i = 0; i < m; ++i) values[i] = a[i * m + i];
}

// Orthonormalises the m rows of q (each `dim` long) in place, modified Gram-Schmidt. A row that
// collapses (rank below m) is replaced by a unit axis not yet spanned.
void orthonormalise(std::vector<double>& q, std::size_t m, std::size_t dim) {
  for (std::size_t r = 0; r < m; ++r) {
    double* row = q.data() + r * dim;
    for (int pass = 0; pass < 2; ++pass)
      for (std::size_t p = 0; p < r; ++p) {
        const double* prev = q.data() + p * dim;
        double dot = 0;
        for (std::size_t k = 0; k < dim; ++k) dot += row[k] * prev[k];
        for (std::size_t k = 0; k < dim; ++k) row[k] -= dot * prev[k];
      }
    double norm = 0;
    for (std::size_t k = 0; k < dim; ++k) norm += row[k] * row[k];
    norm = std::sqrt(norm);
    if (norm < 1e-12) {
      for (std::size_t axis = 0; axis < dim; ++axis) {  // the first axis far from the span
        std::fill(row, row + dim, 0.0);
        row[axis] = 1;
        for (std::size_t p = 0; p < r; ++p) {
          const double* prev = q.data() + p * dim;
          const double dot = prev[axis];
          for (std::size_t k = 0; k < dim; ++k) row[k] -= dot * prev[k];
        }
        norm = 0;
        for (std::size_t k = 0; k < dim; ++k) norm += row[k] * row[k];
        norm = std::sqrt(norm);
        if (norm > 0.5) break;
      }
    }
    for (std::size_t k = 0; k < dim; ++k) row[k] /= norm;
  }
}

Pca fit_pca(const float* x, std::size_t n, std::size_t dim, std::size_t m,
            const EmbeddingMapOptions& opt) {
  Pca p;
  p.dim = dim;
  p.m = m = std::min(m, dim);
  const std::size_t s = std::min(n, kPcaSampleRows);
  std::vector<std::size_t> rows(s);
  for (std::size_t r = 0; r < s; ++r) rows[r] = r * n / s;
  p.mean.assign(dim, 0.0);
  for (std::size_t r : rows)
    for (std::size_t k = 0; k < dim; ++k) p.mean[k] += x[r * dim + k];
  for (double& v : p.mean) v /= double(std::max<std::size_t>(s, 1));
  // Covariance, blocks of kBlock rows of C per task; each entry sums the sample in row order.
  constexpr std::size_t kBlock = 8;
  std::vector<double> cov(dim * dim, 0.0);
  std::vector<float> centred(s * dim);
  for (std::size_t r = 0; r < s; ++r)
    for (std::size_t k = 0; k < dim; ++k)
      centred[r * dim + k] = static_cast<float>(x[rows[r] * dim + k] - p.mean[k]);
  const std::size_t blocks = (dim + kBlock - 1) / kBlock;
  detail::parallel_for(
      blocks, opt.threads,
      [&](std::size_t lo, std::size_t hi) {
        for (std::size_t b = lo; b < hi; ++b) {
          const std::size_t r0 = b * kBlock, r1 = std::min(dim, r0 + kBlock);
          for (std::size_t r = 0; r < s; ++r) {
            const float* row = centred.data() + r * dim;
            for (std::size_t a = r0; a < r1; ++a) {
              const double va = row[a];
              if (va == 0) continue;
              double* out = cov.data() + a * dim;
              for (std::size_t c = a; c < dim; ++c) out[c] += va * row[c];
            }
          }
        }
      },
      1);
  for (std::size_t a = 0; a < dim; ++a)
    for (std::size_t c = a; c < dim; ++c) {
      cov[a * dim + c] /= double(std::max<std::size_t>(s, 1));
      cov[c * dim + a] = cov[a * dim + c];
    }
  for (std::size_t a = 0; a < dim; ++a) p.total_variance += cov[a * dim + a];

  // Orthogonal iteration from a seeded Gaussian start: Q <- orth(Q C).
  std::vector<double> q(m * dim);
  Rng rng(opt.seed, kStepPca, 0);
  for (double& v : q) v = rng.normal();
  orthonormalise(q, m, dim);
  std::vector<double> z(m * dim);
  for (int it = 0; it < kPcaIterations; ++it) {
    std::fill(z.begin(), z.end(), 0.0);
    for (std::size_t r = 0; r < m; ++r)
      for (std::size_t a = 0; a < dim; ++a) {
        const double qa = q[r * dim + a];
        if (qa == 0) continue;
        const double* ca = cov.data() + a * dim;
        double* zr = z.data() + r * dim;
        for (std::size_t c = 0; c < dim; ++c) zr[c] += qa * ca[c];
      }
    q.swap(z);
    orthonormalise(q, m, dim);
  }
  // Rayleigh-Ritz: B = Q C Q^T, its eigenvectors rotate Q onto the principal axes.
  std::vector<double> cq(m * dim, 0.0);
  for (std::size_t r = 0; r < m; ++r)
    for (std::size_t a = 0; a < dim; ++a) {
      const double qa = q[r * dim + a];
      if (qa == 0) continue;
      const double* ca = cov.data() + a * dim;
      for (std::size_t c = 0; c < dim; ++c) cq[r * dim + c] += qa * ca[c];
    }
  std::vector<double> b(m * m);
  for (std::size_t r = 0; r < m; ++r)
    for (std::size_t c = 0; c < m; ++c) {
      double v = 0;
      for (std::size_t k = 0; k < dim; ++k) v += cq[r * dim + k] * q[c * dim + k];
      b[r * m + c] = v;
    }
  for (std::size_t r = 0; r < m; ++r)
    for (std::size_t c = r + 1; c < m; ++c)
      b[r * m + c] = b[c * m + r] = 0.5 * (b[r * m + c] + b[c * m + r]);
  std::vector<double> values, vecs;
  jacobi_eigen(b, m, values, vecs);
  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t i, std::size_t j) { return values[i] > values[j]; });
  p.basis.assign(m * dim, 0.0);
  p.variance.resize(m);
  for (std::size_t o = 0; o < m; ++o) {
    const std::size_t e = order[o];
    p.variance[o] = std::max(0.0, values[e]);
    for (std::size_t r = 0; r < m; ++r) {
      const double w = vecs[r * m + e];
      for (std::size_t k = 0; k < dim; ++k) p.basis[o * dim + k] += w * q[r * dim + k];
    }
  }
  return p;
}

// The neighbour search needs no axis beyond the first ones that keep this share of the total
// variance (the rest is below the float noise of a distance; the exact re-ranking restores the
// order): the demo without images and scans keeps 100 % in ~20 of its 195 dimensions.
constexpr double kSearchVarianceKept = 0.9999;
constexpr std::size_t kMinSearchDims = 8;
std::size_t search_dims(const Pca& p) {
  double acc = 0;
  for (std::size_t a = 0; a < p.m; ++a) {
    acc += p.variance[a];
    if (a + 1 >= kMinSearchDims && acc >= kSearchVarianceKept * p.total_variance) return a + 1;
  }
  return p.m;
}

// Rows of x projected on the first `m` axes of p (centred): n x m floats.
std::vector<float> project(const Pca& p, const float* x, std::size_t n, std::size_t m,
                           unsigned threads) {
  std::vector<float> out(n * m);
  detail::parallel_for(
      n, threads,
      [&](std::size_t lo, std::size_t hi) {
        std::vector<double> c(p.dim);
        for (std::size_t i = lo; i < hi; ++i) {
          for (std::size_t k = 0; k < p.dim; ++k) c[k] = x[i * p.dim + k] - p.mean[k];
          for (std::size_t a = 0; a < m; ++a) {
            double v = 0;
            const double* axis = p.basis.data() + a * p.dim;
            for (std::size_t k = 0; k < p.dim; ++k) v += axis[k] * c[k];
            out[i * m + a] = static_cast<float>(v);
          }
        }
      },
      256);
  return out;
}

}  // namespace needle::map_detail
