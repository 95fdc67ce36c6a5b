#pragma once

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace phx::detail {

/// An ordered list that holds its first element inline and allocates only
/// for a second: a presence key nearly always has one meta (one tab), and a
/// topic of 10,000 keys would otherwise hold 10,000 one-element vectors.
/// Same size as a std::vector of T when T is two words.
///
/// T's default value stands for "none" and is never stored.
template <class T>
class one_or_many {
public:
  bool empty() const noexcept { return first_ == T{}; }
  std::size_t size() const noexcept { return empty() ? 0 : 1 + (rest_ ? rest_->size() : 0); }

  const T& operator[](std::size_t i) const { return i == 0 ? first_ : (*rest_)[i - 1]; }

  void push_back(T x) {
    if (empty()) {
      first_ = std::move(x);
    } else {
      if (!rest_)
        rest_ = std::make_unique<std::vector<T>>();
      rest_->push_back(std::move(x));
    }
  }

  /// Removes the first element equal to `x`, keeping the others' order;
  /// false when there is none.
  bool erase(const T& x) {
    auto n = size();
    for (std::size_t i = 0; i < n; ++i) {
      if (!((*this)[i] == x))
        continue;
      if (i > 0) {
        rest_->erase(rest_->begin() + static_cast<std::ptrdiff_t>(i - 1));
      } else if (rest_ && !rest_->empty()) {
        first_ = std::move(rest_->front());
        rest_->erase(rest_->begin());
      } else {
        first_ = T{};
      }
      if (rest_ && rest_->empty())
        rest_.reset();
      return true;
    }
    return false;
  }

  template <class F>
  void for_each(F&& f) const {
    for (std::size_t i = 0, n = size(); i < n; ++i)
      f((*this)[i]);
  }

private:
  T first_{};
  std::unique_ptr<std::vector<T>> rest_;
};

} // namespace phx::detail
