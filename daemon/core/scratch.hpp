#pragma once
// Per-row scratch space for hot loops: n values on the stack when n <= N (the usual case), on
// the heap otherwise. Values are left uninitialised.
#include <cstddef>
#include <vector>

namespace cg {

template <class T, std::size_t N>
class Scratch {
 public:
  explicit Scratch(std::size_t n) {
    if (n > N) heap_.resize(n);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  T* data() { return heap_.empty() ? stack_ : heap_.data(); }

 private:
  T stack_[N];
  std::vector<T> heap_;
};

}  // namespace cg
