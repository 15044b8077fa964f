#include "daemon/sentiment/sentiment.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

using namespace cg;

TEST(Sentiment, NormalisesLikeTraining) {
  EXPECT_EQ(sentiment::normalise("Great!! See https://x.io/a @Bob_1"), "great ! ! see url @user");
  EXPECT_EQ(sentiment::normalise("  Don't   STOP. "), "don't stop .");
}

TEST(Sentiment, ShippedModelSeparatesPraiseFromComplaint) {
  auto m = sentiment::SentimentModel::load(CG_SENTIMENT_MODEL);
  ASSERT_TRUE(m) << m.error().what();
  auto bad = (*m)->predict("This product is terrible, it broke after two days and support never answered.");
  auto good = (*m)->predict("Excellent service, works perfectly and I love it.");
  EXPECT_EQ(bad.label, "negative");
  EXPECT_EQ(good.label, "positive");
  EXPECT_LT(bad.score, -30);
  EXPECT_GT(good.score, 30);
  EXPECT_GE(bad.score, -100);
  EXPECT_LE(good.score, 100);
}

TEST(Sentiment, RefusesAFileThatIsNotAModel) {
  auto p = std::filesystem::temp_directory_path() / "cg-not-a-model.ftz";
  std::ofstream(p) << "hello";
  auto m = sentiment::SentimentModel::load(p.string());
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("not a fastText model"), std::string::npos) << m.error().message;
  EXPECT_FALSE(sentiment::SentimentModel::load("/nonexistent/model.ftz"));
  std::filesystem::remove(p);
}

TEST(Sentiment, CorpusReadersMapLabels) {
  auto p = std::filesystem::temp_directory_path() / "cg-corpus.tsv";
  std::ofstream(p) << "I hate it\t1, 6\nJoy!\t5\nMixed\t1, 5\r\nSurprise\t7\n";
  auto xed = sentiment::read_corpus(p.string(), "xed");
  ASSERT_TRUE(xed);
  ASSERT_EQ(xed->size(), 2u);
  EXPECT_EQ((*xed)[0].label, "negative");
  EXPECT_EQ((*xed)[1].label, "positive");
  std::ofstream(p) << "fine\t2\n";
  EXPECT_FALSE(sentiment::read_corpus(p.string(), "uci"));
  std::filesystem::remove(p);
}
