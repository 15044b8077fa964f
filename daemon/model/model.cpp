#include "daemon/model/model.hpp"

#include <boost/json.hpp>

#include <cmath>

namespace cg::model {
namespace json = boost::json;

Standardiser Standardiser::fit(const Matrix& m) {
  Standardiser s;
  s.mean.assign(m.cols, 0);
  s.scale.assign(m.cols, 1);
  for (std::size_t c = 0; c < m.cols; ++c) {
    double sum = 0, sq = 0, n = 0;
    for (std::size_t r = 0; r < m.rows; ++r) {
      float v = m.x[r * m.cols + c];
      if (std::isnan(v)) continue;
      sum += v, sq += double(v) * v, ++n;
    }
    if (n == 0) continue;
    double mu = sum / n, var = std::max(0.0, sq / n - mu * mu);
    s.mean[c] = mu;
    s.scale[c] = var > 1e-12 ? std::sqrt(var) : 1;
  }
  return s;
}

Matrix Standardiser::apply(const Matrix& m) const {
  Matrix out = m;
  for (std::size_t r = 0; r < m.rows; ++r)
    for (std::size_t c = 0; c < m.cols && c < mean.size(); ++c) {
      float& v = out.x[r * m.cols + c];
      if (!std::isnan(v)) v = static_cast<float>((v - mean[c]) / scale[c]);
    }
  return out;
}

Model::Model(std::string algorithm, Booster booster, std::optional<Standardiser> standardiser, Calibrator calibrator,
             std::optional<ShapTables> tables)
    : algorithm_(std::move(algorithm)),
      booster_(std::move(booster)),
      standardiser_(std::move(standardiser)),
      calibrator_(std::move(calibrator)),
      tables_(std::move(tables)) {}

namespace {

// Only the two shapes that compile are tried; the others would be parsed for nothing.
Result<std::optional<ShapTables>> compile_tables(const std::string& algorithm, const Booster& b,
                                                 const std::optional<Standardiser>& st) {
  if (algorithm != "logistic_regression" && algorithm != "explainable_boosting") return std::optional<ShapTables>{};
  auto text = b.json();
  if (!text) return text.error();
  return ShapTables::compile(*text, st ? &st->mean : nullptr, st ? &st->scale : nullptr);
}

float sigmoid(double m) { return static_cast<float>(1.0 / (1.0 + std::exp(-m))); }

}  // namespace

Result<Model> Model::train(const Matrix& m, const std::vector<float>& y, const TrainParams& p, const Matrix* valid,
                           const std::vector<float>* valid_y) {
  if (!known_algorithm(p.algorithm))
    return make_error(ErrorKind::model, "unknown algorithm '" + p.algorithm + "' (" + algorithm_names() + ")");
  std::optional<Standardiser> st;
  if (p.algorithm == "logistic_regression") st = Standardiser::fit(m);
  Matrix tm = st ? st->apply(m) : Matrix{};
  Matrix tv = st && valid ? st->apply(*valid) : Matrix{};
  auto b = Booster::train(st ? tm : m, y, p, st && valid ? &tv : valid, valid_y);
  if (!b) return b.error();
  auto tables = compile_tables(p.algorithm, *b, st);
  if (!tables) return tables.error();
  return Model(p.algorithm, std::move(*b), std::move(st), Calibrator{}, std::move(*tables));
}

Matrix Model::prepared(const Matrix& m) const { return standardiser_ ? standardiser_->apply(m) : m; }

Result<std::vector<float>> Model::raw(const Matrix& m) const {
  if (tables_ && m.cols == tables_->cols()) {
    std::vector<float> out(m.rows);
    for_row_chunks(m.rows, [&](std::size_t b, std::size_t e) {
      for (std::size_t r = b; r < e; ++r) out[r] = sigmoid(tables_->margin(m.x.data() + r * m.cols));
    });
    return out;
  }
  if (!standardiser_) return booster_.predict(m);
  return booster_.predict(prepared(m));
}

Result<std::vector<float>> Model::predict(const Matrix& m) const {
  auto r = raw(m);
  if (!r) return r;
  return calibrator_.apply(*r);
}

Result<std::vector<float>> Model::contributions(const Matrix& m) const {
  if (tables_ && m.cols == tables_->cols()) {
    std::vector<float> out(m.rows * (m.cols + 1));
    for_row_chunks(m.rows, [&](std::size_t b, std::size_t e) {
      for (std::size_t r = b; r < e; ++r) tables_->contributions(m.x.data() + r * m.cols, out.data() + r * (m.cols + 1));
    });
    return out;
  }
  if (!standardiser_) return booster_.contributions(m);
  return booster_.contributions(prepared(m));
}

Result<void> Model::score_rows(const Matrix& m, const RowSink& sink) const {
  const std::size_t width = m.cols + 1;
  if (tables_ && m.cols == tables_->cols()) {
    for_row_chunks(m.rows, [&](std::size_t b, std::size_t e) {
      std::vector<float> contrib(width);
      for (std::size_t r = b; r < e; ++r) {
        const double margin = tables_->contributions(m.x.data() + r * m.cols, contrib.data());
        sink(r, calibrator_.apply(sigmoid(margin)), contrib.data());
      }
    });
    return {};
  }
  // XGBoost threads its own TreeSHAP; blocks of rows bound the contributions held at once.
  constexpr std::size_t kBlock = 8192;
  for (std::size_t b = 0; b < m.rows; b += kBlock) {
    const std::size_t e = std::min(m.rows, b + kBlock);
    Matrix part;
    part.rows = e - b;
    part.cols = m.cols;
    part.x.assign(m.x.begin() + static_cast<std::ptrdiff_t>(b * m.cols), m.x.begin() + static_cast<std::ptrdiff_t>(e * m.cols));
    auto c = contributions(part);
    if (!c) return c.error();
    for_row_chunks(part.rows, [&](std::size_t cb, std::size_t ce) {
      for (std::size_t r = cb; r < ce; ++r) {
        const float* row = c->data() + r * width;
        double margin = 0;
        for (std::size_t k = 0; k < width; ++k) margin += row[k];
        sink(b + r, calibrator_.apply(sigmoid(margin)), row);
      }
    });
  }
  return {};
}

std::string Model::transform_json() const {
  json::object o{{"algorithm", algorithm_}, {"rounds", booster_.rounds_used()},
                 {"calibration", json::parse(calibrator_.to_json())}};
  if (standardiser_)
    o["standardise"] = json::object{{"mean", json::value_from(standardiser_->mean)},
                                    {"scale", json::value_from(standardiser_->scale)}};
  return json::serialize(o);
}

Result<Model> Model::load(const std::string& blob, const std::string& transform) {
  auto b = Booster::load(blob);
  if (!b) return b.error();
  boost::system::error_code ec;
  auto v = json::parse(transform.empty() ? "{}" : transform, ec);
  if (ec || !v.is_object()) return make_error(ErrorKind::model, "stored model transform is not a JSON object");
  const auto& o = v.as_object();
  std::string algorithm = "gradient_boosting";
  if (auto* a = o.if_contains("algorithm"); a && a->is_string()) algorithm = std::string(a->as_string());
  Calibrator cal;
  if (auto* c = o.if_contains("calibration")) {
    auto parsed = Calibrator::from_json(json::serialize(*c));
    if (!parsed) return parsed.error();
    cal = std::move(*parsed);
  }
  std::optional<Standardiser> st;
  if (auto* s = o.if_contains("standardise")) {
    try {
      st = Standardiser{json::value_to<std::vector<double>>(s->at("mean")),
                        json::value_to<std::vector<double>>(s->at("scale"))};
    } catch (const std::exception& e) {
      return make_error(ErrorKind::model, std::string("stored standardisation: ") + e.what());
    }
  }
  auto tables = compile_tables(algorithm, *b, st);
  if (!tables) return tables.error();
  return Model(algorithm, std::move(*b), std::move(st), std::move(cal), std::move(*tables));
}

}  // namespace cg::model
