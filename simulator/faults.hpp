#pragma once
// Scripted faults, as both simulators keep them: a list of faults, each for the next `count`
// requests whose path contains its `path_contains`.
#include <optional>
#include <string>
#include <vector>

namespace cg::sim {

// The first fault for `path` that `which` accepts, counted down (and dropped at zero).
template <class F, class Pred>
std::optional<F> take_fault(std::vector<F>& faults, const std::string& path, Pred&& which) {
  for (auto it = faults.begin(); it != faults.end(); ++it) {
    if (path.find(it->path_contains) == std::string::npos || !which(*it)) continue;
    F f = *it;
    if (--it->count <= 0) faults.erase(it);
    return f;
  }
  return std::nullopt;
}

}  // namespace cg::sim
