#include "config/config.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace cg;

namespace {
const char* valid = R"(crm: hubspot
state_dir: /tmp/cg
hubspot:
  base_url: https://127.0.0.1:8443
  token:
    env: CG_TEST_TOKEN
model:
  label:
    property: churned
  numeric_properties: [tenure_months]
)";

std::string error_of(const std::string& yaml) {
  auto r = config::parse_config(yaml, "test.yaml");
  return r ? std::string() : r.error().message;
}
}  // namespace

TEST(Config, AcceptsAMinimalFileAndFillsDefaults) {
  auto c = config::parse_config(valid, "test.yaml");
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_EQ(c->hubspot.object, "companies");
  EXPECT_EQ(c->model.label.property, "churned");
  EXPECT_EQ(c->http.port, 8787);
  EXPECT_EQ(c->state_path(c->store.path), "/tmp/cg/churnguard.db");
}

TEST(Config, ShippedDefaultConfigIsValid) {
  auto c = config::load_config(CG_SOURCE_DIR "/config/churnguard.yaml");
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_EQ(c->hubspot.token.file, "/etc/churnguard/hubspot.token");
}

TEST(Config, MalformedYamlNamesFileLineAndColumn) {
  auto e = error_of("crm: hubspot\nhubspot: [unclosed\n");
  EXPECT_NE(e.find("test.yaml:"), std::string::npos) << e;
  EXPECT_NE(e.find("invalid YAML"), std::string::npos) << e;
}

TEST(Config, UnknownKeyNamesItsPathAndPosition) {
  std::string y = valid;
  y += "writeback:\n  enabeld: true\n";
  auto e = error_of(y);
  EXPECT_NE(e.find("test.yaml:12:3: writeback.enabeld: unknown key"), std::string::npos) << e;
}

TEST(Config, WrongTypeIsNamed) {
  std::string y = valid;
  y += "http:\n  port: eighty\n";
  auto e = error_of(y);
  EXPECT_NE(e.find("http.port: expected a whole number, got 'eighty'"), std::string::npos) << e;
}

TEST(Config, OutOfRangeTimeoutAndUnknownCandidateAreNamed) {
  std::string y = valid;
  y.replace(y.find("  token:"), 0, "  timeout_ms: 5\n");
  EXPECT_NE(error_of(y).find("hubspot.timeout_ms: must be between 100 and 600000"), std::string::npos) << error_of(y);
  std::string c = valid;
  c += "  candidates: [explainable_boosting, deep_learning]\n";
  EXPECT_NE(error_of(c).find("model.candidates: 'deep_learning' is not logistic_regression, random_forest, "
                             "gradient_boosting or explainable_boosting"),
            std::string::npos)
      << error_of(c);
  std::string ok = valid;
  ok += "  candidates: [explainable_boosting]\n";
  EXPECT_EQ(error_of(ok), "");
  std::string pairs = valid;
  pairs += "  interactions: -1\n";
  EXPECT_NE(error_of(pairs).find("model.interactions: must be between 0 and 200"), std::string::npos) << error_of(pairs);
  pairs = std::string(valid) + "  interactions: 25\n";
  EXPECT_EQ(error_of(pairs), "");
}

TEST(Config, DerivedPropertiesAreReadAndTheirMistakesNamed) {
  std::string y = valid;
  y += "  derived_properties:\n"
       "    - {name: total_charge, sum: [day_charge, eve_charge]}\n"
       "    - {name: charge_per_month, ratio: [total_charges, tenure_months]}\n"
       "    - {name: log_tenure, log: tenure_months}\n";
  auto c = config::parse_config(y, "test.yaml");
  ASSERT_TRUE(c) << c.error().what();
  ASSERT_EQ(c->model.derived_properties.size(), 3u);
  EXPECT_EQ(c->model.derived_properties[0].op, "sum");
  EXPECT_EQ(c->model.derived_properties[0].of, (std::vector<std::string>{"day_charge", "eve_charge"}));
  EXPECT_EQ(c->model.derived_properties[1].op, "ratio");
  EXPECT_EQ(c->model.derived_properties[2].op, "log");
  EXPECT_EQ(c->model.derived_properties[2].of, (std::vector<std::string>{"tenure_months"}));
  auto bad = [&](const std::string& item) { return error_of(std::string(valid) + "  derived_properties:\n    - " + item + "\n"); };
  EXPECT_NE(bad("{name: t, sum: [a]}").find("model.derived_properties[0].sum: must list at least two properties"), std::string::npos) << bad("{name: t, sum: [a]}");
  EXPECT_NE(bad("{name: r, ratio: [a, b, c]}").find("model.derived_properties[0].ratio: must list exactly two"), std::string::npos);
  EXPECT_NE(bad("{name: tenure_months, log: a}").find("model.derived_properties[0].name: 'tenure_months' is already"), std::string::npos);
  EXPECT_NE(bad("{name: x}").find("model.derived_properties[0].sum: missing"), std::string::npos) << bad("{name: x}");
  EXPECT_NE(bad("{name: x, sum: [a, b], log: c}").find("not two"), std::string::npos);
  EXPECT_NE(bad("{name: x, product: [a, b]}").find("model.derived_properties[0].product: unknown key"), std::string::npos) << bad("{name: x, product: [a, b]}");
}

TEST(Config, ReasonPhrasesAreTextsOrOneAndOtherForms) {
  std::string y = valid;
  y += "  reason_phrases:\n"
       "    contract_type: 'Contract: {value}'\n"
       "    tenure_months: {one: 'Customer for {value} month', other: 'Customer for {value} months'}\n";
  auto c = config::parse_config(y, "test.yaml");
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_EQ(c->model.reason_phrases.at("contract_type"), config::ReasonPhrase("Contract: {value}"));
  EXPECT_EQ(c->model.reason_phrases.at("tenure_months"),
            config::ReasonPhrase("Customer for {value} months", "Customer for {value} month"));
  auto bad = [&](const std::string& entry) { return error_of(std::string(valid) + "  reason_phrases:\n    " + entry + "\n"); };
  EXPECT_NE(bad("tenure_months: {one: 'a month'}").find("model.reason_phrases.tenure_months.other: is required"),
            std::string::npos) << bad("tenure_months: {one: 'a month'}");
  EXPECT_NE(bad("tenure_months: {one: a, other: b, few: c}").find("model.reason_phrases.tenure_months.few: unknown key"),
            std::string::npos) << bad("tenure_months: {one: a, other: b, few: c}");
  EXPECT_NE(bad("tenure_months: [a, b]").find("model.reason_phrases.tenure_months: expected a string"), std::string::npos)
      << bad("tenure_months: [a, b]");
  EXPECT_NE(bad("tenure_months: ''").find("model.reason_phrases.tenure_months: must not be empty"), std::string::npos)
      << bad("tenure_months: ''");
  EXPECT_NE(bad("- a").find("model.reason_phrases: expected a mapping"), std::string::npos) << bad("- a");
}

TEST(Config, MissingRequiredKeyIsNamed) {
  auto e = error_of("crm: hubspot\nhubspot:\n  token: {env: X}\nmodel:\n  label: {}\n");
  EXPECT_NE(e.find("model.label.property: is required but missing"), std::string::npos) << e;
}

// Renewal types are a churn signal of their own: no label property needed, and not with a churn date.
TEST(Config, RenewalTypesStandForTheLabelProperty) {
  const std::string head = "crm: hubspot\nhubspot:\n  token: {env: X}\nmodel:\n  label: ";
  auto c = config::parse_config(head + "{renewal_types: [existingbusiness]}\n", "c.yaml");
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_EQ(c->model.label.renewal_types, std::vector<std::string>{"existingbusiness"});
  EXPECT_TRUE(c->model.label.property.empty());
  auto both = error_of(head + "{renewal_types: [Renewal], churn_date_property: churned_on}\n");
  EXPECT_NE(both.find("model.label.renewal_types: give renewal_types or churn_date_property, not both"), std::string::npos) << both;
  auto blank = error_of(head + "{renewal_types: ['']}\n");
  EXPECT_NE(blank.find("model.label.renewal_types: has an empty type"), std::string::npos) << blank;
}

TEST(Config, LiteralTokenIsRefused) {
  auto e = error_of("crm: hubspot\nhubspot:\n  token: pat-na1-abc\nmodel:\n  label: {property: churned}\n");
  EXPECT_NE(e.find("hubspot.token: expected a mapping"), std::string::npos) << e;
}

TEST(Config, PlainHttpCrmUrlIsRefused) {
  std::string y = valid;
  y.replace(y.find("https://"), 8, "http://");
  EXPECT_NE(error_of(y).find("hubspot.base_url: must be an https:// URL"), std::string::npos);
}

TEST(Secrets, ComeFromEnvironmentOrPrivateFile) {
  ::setenv("CG_TEST_TOKEN", "pat-na1-from-env-123456", 1);
  auto s = config::resolve_secret({"CG_TEST_TOKEN", ""}, "hubspot.token");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->reveal(), "pat-na1-from-env-123456");
  ::unsetenv("CG_TEST_TOKEN");
  auto missing = config::resolve_secret({"CG_TEST_TOKEN", ""}, "hubspot.token");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("CG_TEST_TOKEN is not set"), std::string::npos);

  auto path = std::filesystem::temp_directory_path() / "cg-secret-test.token";
  std::ofstream(path) << "pat-na1-from-file-123456\n";
  ::chmod(path.c_str(), 0644);
  auto loose = config::resolve_secret({"", path.string()}, "hubspot.token");
  ASSERT_FALSE(loose);
  EXPECT_NE(loose.error().message.find("chmod 600"), std::string::npos);
  EXPECT_EQ(loose.error().message.find("pat-na1-from-file"), std::string::npos) << "secret leaked into the error";
  ::chmod(path.c_str(), 0600);
  auto ok = config::resolve_secret({"", path.string()}, "hubspot.token");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->reveal(), "pat-na1-from-file-123456");
  std::filesystem::remove(path);
}
