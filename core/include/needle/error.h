// needle/error.h — the one exception type for data errors.
// A ParseError always names file, line (0 = whole file) and field (empty = whole line/file).
#pragma once

#include <stdexcept>
#include <string>

#include "needle/types.h"

namespace needle {

class ParseError : public std::runtime_error {
 public:
  explicit ParseError(Problem p) : std::runtime_error(p.to_string()), problem_(std::move(p)) {}
  const Problem& problem() const { return problem_; }

 private:
  Problem problem_;
};

}  // namespace needle
