// bench_sentiment: the shipped sentiment model against the fastText CLI, on the airline tweets
// (evaluation only: CC BY-NC-SA, read from ../shared/data, never shipped or trained into a shipped model).
//   quality:    3-class accuracy and macro-F1 of our model vs the fastText CLI trained on the same file
//   in-domain:  a model trained on 80% of the tweets, on the other 20% (what the shipped model gives up)
//   throughput: sentences/s of SentimentModel::predict vs `fasttext predict` on the same model
#include "bench/csv.hpp"
#include "daemon/sentiment/sentiment.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

using namespace cg;
namespace fs = std::filesystem;

namespace {

int run(const std::string& cmd) {
  int rc = std::system(cmd.c_str());
  if (rc != 0) std::cerr << "command failed (" << rc << "): " << cmd << "\n";
  return rc;
}

std::vector<std::string> read_labels(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  for (std::string l; std::getline(in, l);) out.push_back(l.substr(l.rfind('_') + 1));
  return out;
}

void row(const char* name, const sentiment::Evaluation& e, double binary) {
  std::printf("  %-44s %6zu  %8.3f  %8.3f  %9.3f  %6.3f %6.3f %6.3f\n", name, e.n, e.accuracy, e.macro_f1, binary,
              e.recall.count("negative") ? e.recall.at("negative") : 0, e.recall.count("neutral") ? e.recall.at("neutral") : 0,
              e.recall.count("positive") ? e.recall.at("positive") : 0);
}

double binary_accuracy(const std::vector<std::string>& gold, const std::vector<std::string>& pred,
                       const std::vector<double>& score) {
  std::size_t n = 0, right = 0;
  for (std::size_t i = 0; i < gold.size(); ++i) {
    if (gold[i] == "neutral") continue;
    ++n;
    right += (score.empty() ? pred[i] : (score[i] >= 0 ? "positive" : "negative")) == gold[i];
  }
  return n ? double(right) / n : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: bench_sentiment SHARED_DATA_DIR REPO_DATA_DIR SHIPPED_MODEL\n";
    return 2;
  }
  const std::string shared = argv[1], data = argv[2], shipped = argv[3];
  const auto tweets_csv = shared + "/sentiment/airline_tweets/Tweets.csv";
  if (!fs::exists(tweets_csv)) {
    std::cerr << tweets_csv << " not found: the airline tweets are evaluation-only data in ../shared/data\n";
    return 2;
  }
  auto tmp = fs::temp_directory_path() / ("cg-bench-sentiment-" + std::to_string(::getpid()));
  fs::create_directories(tmp);

  std::vector<sentiment::LabelledText> tweets;
  auto rows = bench::read_csv(tweets_csv);
  for (std::size_t i = 1; i < rows.size(); ++i)
    if (rows[i].size() >= 11) tweets.push_back({rows[i][1], rows[i][10]});
  std::vector<std::string> gold;
  for (auto& t : tweets) gold.push_back(t.label);

  auto model = sentiment::SentimentModel::load(shipped);
  if (!model) {
    std::cerr << model.error().what() << "\n";
    return 1;
  }
  // 1. Quality of the shipped model, and of the CLI trained on the same file.
  std::vector<std::string> ours;
  std::vector<double> our_scores;
  for (auto& t : tweets) {
    auto p = (*model)->predict(t.text);
    ours.push_back(p.label);
    our_scores.push_back(p.score);
  }
  std::vector<sentiment::LabelledText> corpus;
  for (auto [fmt, file] : {std::pair{"uci", "/sentiment/uci/yelp_labelled.txt"}, {"uci", "/sentiment/uci/imdb_labelled.txt"},
                           {"xed", "/sentiment/xed/en-annotated.tsv"}, {"xed-neutral", "/sentiment/xed/neu_en.txt"}}) {
    auto part = sentiment::read_corpus(data + file, fmt);
    if (!part) {
      std::cerr << part.error().what() << "\n";
      return 1;
    }
    corpus.insert(corpus.end(), part->begin(), part->end());
  }
  const auto train_file = (tmp / "train.txt").string(), cli_model = (tmp / "cli").string();
  if (!sentiment::write_training_file(corpus, train_file)) return 1;
  if (run("fasttext supervised -input " + train_file + " -output " + cli_model +
          " -epoch 10 -lr 0.5 -wordNgrams 2 -dim 50 -thread 1 -minCount 1 -bucket 200000 -loss softmax -verbose 0 >/dev/null") ||
      run("fasttext quantize -input " + train_file + " -output " + cli_model + " -qnorm -dsub 2 -verbose 0 >/dev/null"))
    return 1;
  const auto tweets_file = (tmp / "tweets.txt").string();
  {
    std::ofstream f(tweets_file);
    for (auto& t : tweets) f << sentiment::normalise(t.text) << "\n";
  }
  run("fasttext predict " + cli_model + ".ftz " + tweets_file + " > " + (tmp / "cli.labels").string());
  auto cli = read_labels((tmp / "cli.labels").string());

  // 2. In-domain reference: train on 80% of the tweets, test on the other 20%.
  std::vector<sentiment::LabelledText> in_train;
  std::vector<std::size_t> test_ids;
  for (std::size_t i = 0; i < tweets.size(); ++i) (i % 5 == 0 ? test_ids.push_back(i) : in_train.push_back(tweets[i]));
  const auto in_model_path = (tmp / "in-domain.ftz").string();
  if (!sentiment::train(in_train, in_model_path, {})) return 1;
  auto in_model = sentiment::SentimentModel::load(in_model_path);
  std::vector<std::string> g20, ship20, in20;
  std::vector<double> ship20s;
  for (auto i : test_ids) {
    g20.push_back(gold[i]);
    ship20.push_back(ours[i]);
    ship20s.push_back(our_scores[i]);
    in20.push_back((*in_model)->predict(tweets[i].text).label);
  }

  std::printf("Sentiment quality on %zu airline tweets (evaluation only; 3 classes)\n", tweets.size());
  std::printf("  %-44s %6s  %8s  %8s  %9s  %6s %6s %6s\n", "model", "texts", "accuracy", "macro-F1", "binary acc",
              "negR", "neuR", "posR");
  row("churnguard, shipped model (UCI+XED)", sentiment::evaluate(gold, ours), binary_accuracy(gold, ours, our_scores));
  row("fastText CLI, same training file and params", sentiment::evaluate(gold, cli), binary_accuracy(gold, cli, {}));
  row("churnguard shipped model, 20% test split", sentiment::evaluate(g20, ship20), binary_accuracy(g20, ship20, ship20s));
  row("in-domain: trained on the other 80% of tweets", sentiment::evaluate(g20, in20), binary_accuracy(g20, in20, {}));
  std::printf("  (binary acc: negative vs positive tweets only, by the sign of our score or the CLI's label)\n\n");

  // 3. Throughput on the same model: our predict (normalisation included) vs the CLI's predict.
  const std::size_t repeat = 8;
  const auto big_file = (tmp / "big.txt").string();
  {
    std::ofstream f(big_file);
    for (std::size_t r = 0; r < repeat; ++r)
      for (auto& t : tweets) f << sentiment::normalise(t.text) << "\n";
  }
  const double n = double(tweets.size() * repeat);
  double best_ours = 1e9, best_cli = 1e9;
  for (int trial = 0; trial < 3; ++trial) {
    auto t0 = std::chrono::steady_clock::now();
    std::size_t sink = 0;
    for (std::size_t r = 0; r < repeat; ++r)
      for (auto& t : tweets) sink += (*model)->predict(t.text).label.size();
    auto t1 = std::chrono::steady_clock::now();
    run("fasttext predict " + shipped + " " + big_file + " > /dev/null");
    auto t2 = std::chrono::steady_clock::now();
    best_ours = std::min(best_ours, std::chrono::duration<double>(t1 - t0).count());
    best_cli = std::min(best_cli, std::chrono::duration<double>(t2 - t1).count());
    if (sink == 0) std::cerr << "";
  }
  std::printf("Throughput on the shipped model, %.0f sentences, best of 3\n", n);
  std::printf("  %-44s %12.0f sentences/s\n", "churnguard SentimentModel::predict", n / best_ours);
  std::printf("  %-44s %12.0f sentences/s (process incl. model load)\n", "fasttext predict (CLI)", n / best_cli);
  std::printf("  ratio churnguard / CLI: %.2fx (target >= 0.9x)\n", best_cli / best_ours);
  fs::remove_all(tmp);
  return 0;
}
