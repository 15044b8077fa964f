#pragma once
// Reading XGBoost's JSON model (internal to the model module: ShapTables and the pair ranking).
#include <boost/json.hpp>

#include <vector>

namespace cg::model::xgboost_json {

// An array of numbers under `key` (e.g. a tree's "left_children"), as T.
template <class T>
std::vector<T> numbers(const boost::json::object& o, const char* key) {
  std::vector<T> out;
  for (const auto& v : o.at(key).as_array()) out.push_back(static_cast<T>(v.to_number<double>()));
  return out;
}

}  // namespace cg::model::xgboost_json
