// lidar/similar_index.cpp — SimilarIndex (needle/similar.h): exact k nearest neighbours through
// FLANN's single k-d tree (the library under PCL's KdTreeFLANN; its flags come with PCL's, so the
// file lives here with the other PCL users).
#include <flann/flann.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "needle/similar.h"

namespace needle {

namespace {
// Points per k-d tree leaf: FLANN's default for the single-tree index (10), not tuned here.
constexpr int kLeafMaxSize = 10;
}  // namespace

struct SimilarIndex::Impl {
  std::vector<float> data;  // owned copy: FLANN's matrix only points at it
  std::size_t rows = 0, dim = 0;
  std::unique_ptr<flann::Index<flann::L2<float>>> index;
};

SimilarIndex::SimilarIndex() = default;
SimilarIndex::~SimilarIndex() = default;
SimilarIndex::SimilarIndex(SimilarIndex&&) noexcept = default;
SimilarIndex& SimilarIndex::operator=(SimilarIndex&&) noexcept = default;

SimilarIndex::SimilarIndex(const SimilarSpace& space) : impl_(std::make_unique<Impl>()) {
  impl_->rows = space.items.size();
  impl_->dim = space.dim;
  if (impl_->rows == 0 || impl_->dim == 0) return;
  impl_->data = space.vectors;
  flann::Matrix<float> m(impl_->data.data(), impl_->rows, impl_->dim);
  impl_->index = std::make_unique<flann::Index<flann::L2<float>>>(
      m, flann::KDTreeSingleIndexParams(kLeafMaxSize));
  impl_->index->buildIndex();
}

std::size_t SimilarIndex::size() const {
  return impl_ ? impl_->rows : 0;
}

std::vector<Neighbour> SimilarIndex::query(const float* v, std::size_t k,
                                           std::optional<std::size_t> exclude) const {
  std::vector<Neighbour> out;
  if (!impl_ || !impl_->index || k == 0) return out;
  // One more than asked when the query item itself is excluded, plus a few so that ties at the
  // k-th distance can be ordered by item index.
  constexpr std::size_t kTieSlack = 8;
  const std::size_t want = std::min(impl_->rows, k + (exclude ? 1 : 0) + kTieSlack);
  std::vector<float> q(v, v + impl_->dim);
  flann::Matrix<float> qm(q.data(), 1, impl_->dim);
  std::vector<std::size_t> idx(want);
  std::vector<float> dist(want);
  flann::Matrix<std::size_t> im(idx.data(), 1, want);
  flann::Matrix<float> dm(dist.data(), 1, want);
  // eps 0 and unlimited checks: exact search.
  flann::SearchParams params(flann::FLANN_CHECKS_UNLIMITED, 0.0f, true);
  const int found = impl_->index->knnSearch(qm, im, dm, want, params);
  std::vector<std::pair<float, std::size_t>> hits;
  for (int i = 0; i < found; ++i) {
    const std::size_t j = idx[static_cast<std::size_t>(i)];
    if (exclude && j == *exclude) continue;
    hits.emplace_back(dist[static_cast<std::size_t>(i)], j);  // squared L2
  }
  std::sort(hits.begin(), hits.end());
  for (const auto& [d2, j] : hits) {
    if (out.size() == k) break;
    out.push_back({j, 1.0 - static_cast<double>(d2) / 2.0});
  }
  return out;
}

}  // namespace needle
