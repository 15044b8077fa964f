#include "daemon/model/calibration.hpp"

#include "daemon/model/metrics.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace cg::model {
namespace json = boost::json;
namespace {

constexpr double kFloor = 1e-3;  // calibrated probabilities stay in [0.001, 0.999]

double logit(double p) {
  p = std::clamp(p, 1e-7, 1 - 1e-7);
  return std::log(p / (1 - p));
}

double sigmoid(double z) { return 1 / (1 + std::exp(-z)); }

std::vector<float> pick(const std::vector<float>& v, const std::vector<std::size_t>& ids) {
  std::vector<float> out;
  out.reserve(ids.size());
  for (auto i : ids) out.push_back(v[i]);
  return out;
}

}  // namespace

Calibrator Calibrator::fit_platt(const std::vector<float>& raw, const std::vector<float>& y) {
  // Newton's method on the log loss, with Platt's smoothed targets against overfitting.
  double pos = 0;
  for (float v : y) pos += v > 0.5f;
  const double neg = static_cast<double>(y.size()) - pos;
  const double t_hi = (pos + 1) / (pos + 2), t_lo = 1 / (neg + 2);
  std::vector<double> z(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) z[i] = logit(raw[i]);
  double a = 1, b = 0;
  for (int it = 0; it < 100; ++it) {
    double g_a = 0, g_b = 0, h_aa = 1e-9, h_ab = 0, h_bb = 1e-9;
    for (std::size_t i = 0; i < z.size(); ++i) {
      double p = sigmoid(a * z[i] + b), t = y[i] > 0.5f ? t_hi : t_lo, d = p - t, w = p * (1 - p);
      g_a += d * z[i], g_b += d;
      h_aa += w * z[i] * z[i], h_ab += w * z[i], h_bb += w;
    }
    double det = h_aa * h_bb - h_ab * h_ab;
    if (std::abs(det) < 1e-12) break;
    double da = (h_bb * g_a - h_ab * g_b) / det, db = (h_aa * g_b - h_ab * g_a) / det;
    a -= da, b -= db;
    if (std::abs(da) + std::abs(db) < 1e-9) break;
  }
  Calibrator c;
  c.method_ = Method::platt;
  c.a_ = a, c.b_ = b;
  return c;
}

Calibrator Calibrator::fit_isotonic(const std::vector<float>& raw, const std::vector<float>& y) {
  std::vector<std::size_t> idx(raw.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](auto l, auto r) { return raw[l] < raw[r]; });
  struct Pool {
    double sum_y, weight, x_lo, x_hi;
  };
  std::vector<Pool> pools;
  for (auto i : idx) {
    pools.push_back({y[i] > 0.5f ? 1.0 : 0.0, 1, raw[i], raw[i]});
    // Pool adjacent violators: merge while a pool's mean is not above the one before it.
    while (pools.size() > 1) {
      auto& last = pools.back();
      auto& prev = pools[pools.size() - 2];
      bool same_x = prev.x_hi == last.x_lo;  // equal scores must share one value
      if (!same_x && prev.sum_y / prev.weight < last.sum_y / last.weight) break;
      prev.sum_y += last.sum_y, prev.weight += last.weight, prev.x_hi = last.x_hi;
      pools.pop_back();
    }
  }
  Calibrator c;
  c.method_ = Method::isotonic;
  for (const auto& p : pools) {
    double v = p.sum_y / p.weight;
    c.xs_.push_back(p.x_lo), c.ys_.push_back(v);
    if (p.x_hi > p.x_lo) c.xs_.push_back(p.x_hi), c.ys_.push_back(v);
  }
  return c;
}

Result<Calibrator> Calibrator::fit(const std::vector<float>& raw, const std::vector<float>& y, const std::string& method,
                                   int seed) {
  if (raw.size() != y.size()) return make_error(ErrorKind::model, "calibration: probabilities and labels differ in number");
  if (method == "none") return Calibrator{};
  double pos = 0;
  for (float v : y) pos += v > 0.5f;
  if (pos == 0 || pos == static_cast<double>(y.size()))
    return make_error(ErrorKind::model, "calibration needs both churned and retained customers in its " +
                                            std::to_string(y.size()) + " held-out rows");
  if (method == "platt") return fit_platt(raw, y);
  if (method == "isotonic") return fit_isotonic(raw, y);
  if (method != "auto") return make_error(ErrorKind::model, "unknown calibration method '" + method + "'");
  // Isotonic needs enough rows per step; below that it overfits and Platt is the safe choice.
  if (raw.size() < 400 || pos < 40) return fit_platt(raw, y);
  std::vector<std::size_t> idx(raw.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::mt19937 rng(static_cast<std::uint32_t>(seed));
  std::shuffle(idx.begin(), idx.end(), rng);
  std::vector<std::size_t> half[2];
  for (std::size_t i = 0; i < idx.size(); ++i) half[i % 2].push_back(idx[i]);
  double loss_platt = 0, loss_iso = 0;
  for (int h = 0; h < 2; ++h) {
    auto fit_x = pick(raw, half[h]), fit_y = pick(y, half[h]);
    auto test_x = pick(raw, half[1 - h]), test_y = pick(y, half[1 - h]);
    loss_platt += log_loss(fit_platt(fit_x, fit_y).apply(test_x), test_y);
    loss_iso += log_loss(fit_isotonic(fit_x, fit_y).apply(test_x), test_y);
  }
  return loss_iso < loss_platt ? fit_isotonic(raw, y) : fit_platt(raw, y);
}

float Calibrator::apply(float raw) const {
  double p = raw;
  switch (method_) {
    case Method::none:
      return raw;
    case Method::platt:
      p = sigmoid(a_ * logit(raw) + b_);
      break;
    case Method::isotonic: {
      if (xs_.empty()) return raw;
      if (raw <= xs_.front()) {
        p = ys_.front();
      } else if (raw >= xs_.back()) {
        p = ys_.back();
      } else {
        auto hi = static_cast<std::size_t>(std::upper_bound(xs_.begin(), xs_.end(), double(raw)) - xs_.begin());
        auto lo = hi - 1;
        double span = xs_[hi] - xs_[lo];
        p = span > 0 ? ys_[lo] + (ys_[hi] - ys_[lo]) * (raw - xs_[lo]) / span : ys_[hi];
      }
      break;
    }
  }
  return static_cast<float>(std::clamp(p, kFloor, 1 - kFloor));
}

std::vector<float> Calibrator::apply(const std::vector<float>& raw) const {
  std::vector<float> out(raw.size());
  std::transform(raw.begin(), raw.end(), out.begin(), [&](float r) { return apply(r); });
  return out;
}

std::string Calibrator::method_name() const {
  switch (method_) {
    case Method::platt: return "platt";
    case Method::isotonic: return "isotonic";
    default: return "none";
  }
}

std::string Calibrator::to_json() const {
  json::object o{{"method", method_name()}};
  if (method_ == Method::platt) o["a"] = a_, o["b"] = b_;
  if (method_ == Method::isotonic) {
    o["x"] = json::value_from(xs_);
    o["y"] = json::value_from(ys_);
  }
  return json::serialize(o);
}

Result<Calibrator> Calibrator::from_json(const std::string& text) {
  auto bad = [](const std::string& why) { return make_error(ErrorKind::model, "stored calibration: " + why); };
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return bad("not a JSON object");
  const auto& o = v.as_object();
  auto* m = o.if_contains("method");
  if (!m || !m->is_string()) return bad("no method");
  Calibrator c;
  try {
    if (*m == "platt") {
      c.method_ = Method::platt;
      c.a_ = json::value_to<double>(o.at("a"));
      c.b_ = json::value_to<double>(o.at("b"));
    } else if (*m == "isotonic") {
      c.method_ = Method::isotonic;
      c.xs_ = json::value_to<std::vector<double>>(o.at("x"));
      c.ys_ = json::value_to<std::vector<double>>(o.at("y"));
      if (c.xs_.size() != c.ys_.size()) return bad("x and y differ in length");
    } else if (*m != "none") {
      return bad("unknown method " + json::serialize(*m));
    }
  } catch (const std::exception& e) {
    return bad(e.what());
  }
  return c;
}

}  // namespace cg::model
