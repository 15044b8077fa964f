#include "daemon/sentiment/sentiment.hpp"

#include <fasttext/fasttext.h>

#include <unistd.h>

#include <algorithm>
#include <random>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace cg::sentiment {

std::string normalise(std::string_view in) {
  // One pass, one buffer: a space is emitted only between tokens, never twice.
  std::string out;
  out.reserve(in.size() + in.size() / 4 + 8);
  auto space = [&] {
    if (!out.empty() && out.back() != ' ') out += ' ';
  };
  auto word_end = [&](std::size_t p) {
    while (p < in.size() && !std::isspace(static_cast<unsigned char>(in[p]))) ++p;
    return p;
  };
  std::size_t i = 0;
  while (i < in.size()) {
    const unsigned char c = static_cast<unsigned char>(in[i]);
    if (std::isspace(c)) {
      space();
      ++i;
    } else if ((c == 'h' || c == 'H' || c == 'w' || c == 'W') &&
               (in.substr(i, 7) == "http://" || in.substr(i, 8) == "https://" || in.substr(i, 4) == "www.")) {
      space();
      out += "url ";
      i = word_end(i);
    } else if (c == '@' && i + 1 < in.size() &&
               (std::isalnum(static_cast<unsigned char>(in[i + 1])) || in[i + 1] == '_')) {
      space();
      out += "@user ";
      i = word_end(i);
    } else if (std::ispunct(c) && c != '\'') {
      space();
      out += static_cast<char>(c);
      out += ' ';
      ++i;
    } else {
      out += static_cast<char>(std::tolower(c));
      ++i;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

SentimentModel::~SentimentModel() = default;

Result<std::unique_ptr<SentimentModel>> SentimentModel::load(const std::string& path) {
  std::unique_ptr<SentimentModel> m(new SentimentModel());
  m->ft_ = std::make_unique<fasttext::FastText>();
  if (!std::filesystem::exists(path))
    return make_error(ErrorKind::model, "sentiment model " + path + " does not exist (build it with `churnguard sentiment train`)");
  try {
    m->ft_->loadModel(path);
  } catch (const std::exception& e) {
    return make_error(ErrorKind::model, "sentiment model " + path + " is not a fastText model: " + e.what());
  }
  auto dict = m->ft_->getDictionary();
  std::vector<std::string> labels;
  for (int32_t i = 0; i < dict->nlabels(); ++i) labels.push_back(dict->getLabel(i));
  for (const char* need : {"__label__negative", "__label__positive"})
    if (std::find(labels.begin(), labels.end(), need) == labels.end())
      return make_error(ErrorKind::model, "sentiment model " + path + " lacks the label " + need);
  m->version_ = std::filesystem::path(path).filename().string() + "@" +
                std::to_string(std::filesystem::file_size(path));
  return m;
}

Prediction SentimentModel::predict(std::string_view text) const {
  // One stream per thread, refilled each call: predictLine reads words from a stream.
  thread_local std::istringstream in;
  thread_local std::vector<std::pair<fasttext::real, std::string>> preds;
  std::string line = normalise(text);
  line += '\n';
  in.clear();
  in.str(std::move(line));
  preds.clear();
  ft_->predictLine(in, preds, -1, 0.0);
  double pos = 0, neg = 0, best = -1;
  Prediction p{"neutral", 0};
  static const std::string pos_label = "__label__positive", neg_label = "__label__negative", neu_label = "__label__neutral";
  for (const auto& [prob, label] : preds) {
    if (label == pos_label) pos = prob;
    else if (label == neg_label) neg = prob;
    if (prob > best) {
      best = prob;
      p.label = label == pos_label ? "positive" : label == neg_label ? "negative" : label == neu_label ? "neutral"
                                                                                                       : label.substr(9);
    }
  }
  p.score = 100.0 * (pos - neg);
  return p;
}

Result<void> write_training_file(const std::vector<LabelledText>& data, const std::string& path) {
  // fastText on one thread learns in file order with a decaying rate: corpora one after another
  // would leave the model leaning to whichever came last. A seeded shuffle keeps it reproducible.
  std::vector<const LabelledText*> order;
  for (const auto& d : data) order.push_back(&d);
  std::mt19937 rng(20261124);
  std::shuffle(order.begin(), order.end(), rng);
  std::ofstream f(path);
  for (const auto* dp : order) {
    const auto& d = *dp;
    auto t = normalise(d.text);
    if (!t.empty()) f << "__label__" << d.label << ' ' << t << '\n';
  }
  if (!f) return make_error(ErrorKind::io, "cannot write training file " + path);
  return {};
}

Evaluation evaluate(const std::vector<std::string>& gold, const std::vector<std::string>& pred) {
  Evaluation e;
  e.n = gold.size();
  std::size_t right = 0;
  for (std::size_t i = 0; i < gold.size(); ++i) {
    ++e.confusion[gold[i]][pred[i]];
    right += gold[i] == pred[i];
  }
  e.accuracy = e.n ? double(right) / e.n : 0;
  double f1_sum = 0;
  for (const auto& [label, row] : e.confusion) {
    double tp = row.count(label) ? row.at(label) : 0, gold_n = 0, pred_n = 0;
    for (auto& [p, c] : row) gold_n += c;
    for (auto& [g, r] : e.confusion)
      if (r.count(label)) pred_n += r.at(label);
    double precision = pred_n ? tp / pred_n : 0, recall = gold_n ? tp / gold_n : 0;
    e.recall[label] = recall;
    e.f1[label] = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
    f1_sum += e.f1[label];
  }
  e.macro_f1 = e.confusion.empty() ? 0 : f1_sum / e.confusion.size();
  return e;
}

Result<void> train(const std::vector<LabelledText>& data, const std::string& out_path, const TrainOptions& opts) {
  if (data.empty()) return make_error(ErrorKind::invalid_input, "no labelled texts to train the sentiment model on");
  auto tmp = std::filesystem::temp_directory_path() / ("cg-sentiment-" + std::to_string(::getpid()) + ".txt");
  if (auto w = write_training_file(data, tmp.string()); !w) return w.error();
  fasttext::Args a;
  a.input = tmp.string();
  a.model = fasttext::model_name::sup;
  a.loss = fasttext::loss_name::softmax;
  a.minCount = 1;
  a.epoch = opts.epoch;
  a.lr = opts.lr;
  a.wordNgrams = opts.word_ngrams;
  a.dim = opts.dim;
  a.thread = opts.threads;
  a.verbose = 0;
  a.seed = 7;
  a.bucket = 200000;
  fasttext::FastText ft;
  try {
    ft.train(a);
    if (opts.quantize) {
      fasttext::Args q = a;
      q.qnorm = true;
      q.retrain = false;
      q.cutoff = 0;
      q.dsub = 2;
      ft.quantize(q);
    }
    ft.saveModel(out_path);
  } catch (const std::exception& e) {
    std::filesystem::remove(tmp);
    return make_error(ErrorKind::model, std::string("fastText training failed: ") + e.what());
  }
  std::filesystem::remove(tmp);
  return {};
}

Result<std::vector<LabelledText>> read_corpus(const std::string& path, const std::string& format) {
  std::ifstream in(path);
  if (!in) return make_error(ErrorKind::io, "cannot open corpus " + path);
  std::vector<LabelledText> out;
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto tab = line.rfind('\t');
    if (format == "uci") {  // sentence<TAB>0|1
      if (tab == std::string::npos) continue;
      auto l = line.substr(tab + 1);
      if (l != "0" && l != "1") return make_error(ErrorKind::invalid_input, path + ":" + std::to_string(n) + ": label must be 0 or 1");
      out.push_back({l == "1" ? "positive" : "negative", line.substr(0, tab)});
    } else if (format == "xed") {  // sentence<TAB>labels (Plutchik 1..8)
      if (tab == std::string::npos) continue;
      bool neg = false, pos = false;
      std::stringstream ls(line.substr(tab + 1));
      std::string tok;
      while (std::getline(ls, tok, ',')) {
        int v = std::atoi(tok.c_str());
        if (v == 1 || v == 3 || v == 4 || v == 6) neg = true;
        if (v == 2 || v == 5 || v == 8) pos = true;
      }
      if (neg != pos) out.push_back({neg ? "negative" : "positive", line.substr(0, tab)});
    } else if (format == "xed-neutral") {  // 9<TAB>sentence
      auto first = line.find('\t');
      if (first == std::string::npos) continue;
      auto text = line.substr(first + 1);
      if (text.find_first_not_of("\t ") == std::string::npos) continue;
      out.push_back({"neutral", text});
    } else if (format == "fasttext") {  // __label__x text
      if (line.rfind("__label__", 0) != 0) continue;
      auto sp = line.find(' ');
      out.push_back({line.substr(9, sp - 9), sp == std::string::npos ? "" : line.substr(sp + 1)});
    } else {
      return make_error(ErrorKind::invalid_input, "unknown corpus format '" + format + "' (uci, xed, xed-neutral, fasttext)");
    }
  }
  return out;
}

}  // namespace cg::sentiment
