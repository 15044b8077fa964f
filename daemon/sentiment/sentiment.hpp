#pragma once
// Sentiment of support texts with a fastText supervised model whose labels are
// __label__negative / __label__neutral / __label__positive. The same normalise() is used at
// training and prediction. Prediction is const and safe to call from several threads.
#include "daemon/core/error.hpp"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace fasttext { class FastText; }

namespace cg::sentiment {

// Lower-cases, maps URLs to "url" and @mentions to "@user", splits punctuation off words.
std::string normalise(std::string_view text);

struct Prediction {
  std::string label;   // negative | neutral | positive
  double score = 0;    // 100 * (P(positive) - P(negative)), in [-100, 100]
};

class SentimentModel {
 public:
  // Loads and checks a model: fastText's own magic/version check, then our label set.
  static Result<std::unique_ptr<SentimentModel>> load(const std::string& path);
  ~SentimentModel();

  [[nodiscard]] Prediction predict(std::string_view text) const;
  [[nodiscard]] const std::string& version() const { return version_; }

 private:
  SentimentModel() = default;
  std::unique_ptr<fasttext::FastText> ft_;
  std::string version_;
};

struct LabelledText {
  std::string label;  // negative | neutral | positive
  std::string text;
};

struct TrainOptions {
  int epoch = 10;
  double lr = 0.5;
  int word_ngrams = 2;
  int dim = 50;
  int threads = 1;     // 1 keeps the shipped model reproducible
  bool quantize = true;
};

// Writes `data` as fastText training lines ("__label__x normalised text") in a seeded shuffled
// order; the fastText CLI trained on this file learns exactly what train() learns.
Result<void> write_training_file(const std::vector<LabelledText>& data, const std::string& path);

struct Evaluation {
  std::size_t n = 0;
  double accuracy = 0, macro_f1 = 0;
  std::map<std::string, double> recall, f1;                   // per label
  std::map<std::string, std::map<std::string, int>> confusion;  // gold -> predicted -> count
};
// Scores predicted labels against gold ones over the labels present in gold.
Evaluation evaluate(const std::vector<std::string>& gold, const std::vector<std::string>& predicted);

// Trains on `data` and writes the model to `out_path` (.ftz when quantized).
Result<void> train(const std::vector<LabelledText>& data, const std::string& out_path, const TrainOptions& opts);

// Readers for the shipped corpora: "text<TAB>0|1" (UCI) and XED's "text<TAB>labels" / "9<TAB>text".
Result<std::vector<LabelledText>> read_corpus(const std::string& path, const std::string& format);

}  // namespace cg::sentiment
