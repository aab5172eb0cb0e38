// needle/frame_source.h — the frames of a dataset, read a range at a time, for a ranking that does
// not hold them all (rank_frames_streaming in needle/ranking.h). The pipeline reads them from a
// dataset's files (dataset_frame_source in needle/pipeline.h); other producers (the frames of a
// partial result, a test's frames in memory) feed the same ranking.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "needle/dataset.h"

namespace needle {

// `size` frames in dataset order. load(begin, end) returns frames begin .. end-1 (end - begin of
// them, in order), each as the ranking in memory would see it (for a dataset: load_annotations
// with calibration, then quick_check_media's problems appended). The streaming ranking calls it
// once per range and pass (two or three passes), one range at a time, from its own thread (load
// may use threads itself): it must return the same frames every time. It throws only for errors
// that stop the ranking (a resource error); bad data are problems of their frame.
struct FrameSource {
  std::size_t size = 0;
  std::function<std::vector<FrameAnnotations>(std::size_t begin, std::size_t end)> load;
};

// A source over frames held in memory (each range is copied): for tests and small tools.
inline FrameSource frame_source_of(const std::vector<FrameAnnotations>& frames) {
  FrameSource s;
  s.size = frames.size();
  s.load = [&frames](std::size_t begin, std::size_t end) {
    return std::vector<FrameAnnotations>(frames.begin() + static_cast<std::ptrdiff_t>(begin),
                                         frames.begin() + static_cast<std::ptrdiff_t>(end));
  };
  return s;
}

}  // namespace needle
