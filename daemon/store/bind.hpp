#pragma once
// Private to the store: a statement's parameters bound in one call, in order (?1, ?2, ...), so a
// row is one line and no index is written by hand. Like SQLiteCpp's own SQLite::bind
// (VariadicBind.h), which this extends with what the store's rows hold: an empty std::optional
// binds NULL, a bool binds 0 or 1, any 64-bit integer binds as int64, and Blob binds bytes.
#include <SQLiteCpp/Statement.h>

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>

namespace cg::store::detail {

struct Blob {
  const std::string& bytes;
};

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

template <class T>
void bind_one(SQLite::Statement& q, int i, const T& v) {
  if constexpr (is_optional<T>::value) {
    if (v) {
      bind_one(q, i, *v);
    } else {
      q.bind(i);
    }
  } else if constexpr (std::is_same_v<T, bool>) {
    q.bind(i, v ? 1 : 0);
  } else if constexpr (std::is_integral_v<T> && sizeof(T) == 8) {
    q.bind(i, static_cast<int64_t>(v));
  } else if constexpr (std::is_same_v<T, Blob>) {
    q.bind(i, v.bytes.data(), static_cast<int>(v.bytes.size()));
  } else {
    q.bind(i, v);
  }
}

// Binds `values` to the statement's parameters 1..N.
template <class... V>
void bind_all(SQLite::Statement& q, const V&... values) {
  int i = 0;
  (bind_one(q, ++i, values), ...);
}

// Binds, runs and resets a statement that returns no rows (an insert, update or delete, run once
// per row of a batch); the rows it changed.
template <class... V>
int exec_row(SQLite::Statement& q, const V&... values) {
  bind_all(q, values...);
  const int changed = q.exec();
  q.reset();
  return changed;
}

}  // namespace cg::store::detail
