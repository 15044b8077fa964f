// churnguard-seedgen: builds the simulator's sample portal from public data, reproducibly.
// Companies are the rows of IBM's Telco churn table (Apache-2.0); each gets support tickets
// whose text is drawn from the UCI "Sentiment Labelled Sentences" Amazon reviews (CC BY 4.0).
// The ticket counts and their tone are SYNTHETIC: churned customers are given more and more
// negative tickets, so that behaviour carries signal in the demo. Say so wherever it is shown.
#include <boost/json.hpp>

#include <cstdint>
#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace json = boost::json;

namespace {

struct Rng {  // splitmix64: the same stream on every platform and compiler
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return (next() >> 11) * (1.0 / 9007199254740992.0); }
  int poisson(double lambda) {
    double l = std::exp(-lambda), p = 1;
    int k = 0;
    do {
      ++k;
      p *= uniform();
    } while (p > l);
    return k - 1;
  }
};

std::vector<std::string> split_csv(const std::string& line) {  // the Telco file has no quoted fields
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string f;
  while (std::getline(ss, f, ',')) out.push_back(f);
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

json::object enum_prop(const std::string& name, const std::string& label, const std::vector<std::string>& values) {
  json::array opts;
  int i = 0;
  for (const auto& v : values) opts.push_back(json::object{{"label", v}, {"value", v}, {"displayOrder", i++}});
  return json::object{{"name", name}, {"label", label}, {"type", "enumeration"}, {"fieldType", "select"},
                      {"groupName", "customerprofile"}, {"options", opts}};
}

json::object num_prop(const std::string& name, const std::string& label) {
  return json::object{{"name", name}, {"label", label}, {"type", "number"}, {"fieldType", "number"},
                      {"groupName", "customerprofile"}};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: churnguard-seedgen TELCO_CSV AMAZON_SENTENCES OUT_JSON\n";
    return 2;
  }
  std::ifstream telco(argv[1]), sent(argv[2]);
  if (!telco || !sent) {
    std::cerr << "cannot open " << (!telco ? argv[1] : argv[2]) << "\n";
    return 1;
  }
  std::vector<std::string> pos, neg;
  for (std::string line; std::getline(sent, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto tab = line.rfind('\t');
    if (tab == std::string::npos) continue;
    (line.substr(tab + 1) == "1" ? pos : neg).push_back(line.substr(0, tab));
  }
  std::string header;
  std::getline(telco, header);
  auto cols = split_csv(header);
  auto col = [&](const std::string& name) {
    for (std::size_t i = 0; i < cols.size(); ++i)
      if (cols[i] == name) return i;
    std::cerr << "Telco file lacks column " << name << "\n";
    std::exit(1);
  };
  const std::vector<std::pair<std::string, std::string>> mapped{
      {"tenure", "tenure_months"}, {"MonthlyCharges", "monthly_charges"}, {"TotalCharges", "total_charges"},
      {"Contract", "contract_type"}, {"InternetService", "internet_service"}, {"PaymentMethod", "payment_method"},
      {"PaperlessBilling", "paperless_billing"}, {"TechSupport", "tech_support"}, {"OnlineSecurity", "online_security"},
      {"SeniorCitizen", "senior_citizen"}, {"Partner", "partner"}, {"Dependents", "dependents"}};
  json::array companies, tickets;
  Rng rng{20261124};
  std::int64_t company_id = 10001, ticket_id = 50001;
  for (std::string line; std::getline(telco, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto f = split_csv(line);
    if (f.size() != cols.size()) continue;
    json::object props{{"name", "Telco customer " + f[col("customerID")]},
                       {"domain", f[col("customerID")] + ".example.com"}};
    for (const auto& [src, dst] : mapped) {
      std::string v = f[col(src)];
      if (src == "SeniorCitizen") v = v == "1" ? "Yes" : "No";
      if (src == "TotalCharges" && v == " ") v = "";
      props[dst] = v;
    }
    const bool churned = f[col("Churn")] == "Yes";
    props["churned"] = churned ? "true" : "false";
    std::string id = std::to_string(company_id++);
    companies.push_back(json::object{{"id", id}, {"properties", props},
                                     {"created_days_ago", 30.0 * std::atof(f[col("tenure")].c_str()) + 1},
                                     {"modified_days_ago", 30 * rng.uniform()}});
    int n = rng.poisson(churned ? 1.6 : 0.7);
    for (int t = 0; t < n; ++t) {
      bool negative = rng.uniform() < (churned ? 0.75 : 0.35);
      const auto& pool = negative ? neg : pos;
      const auto& text = pool[rng.next() % pool.size()];
      double created = 1 + 119 * rng.uniform();
      bool closed = rng.uniform() < 0.7;
      const char* prio[] = {"LOW", "MEDIUM", "HIGH", "URGENT"};
      int p = static_cast<int>(rng.next() % 2) + (negative ? 2 : 0);
      json::object tp{{"subject", negative ? "Problem reported by customer" : "Customer feedback"},
                      {"content", text}, {"hs_pipeline", "0"},
                      {"hs_pipeline_stage", closed ? "4" : std::to_string(1 + rng.next() % 3)},
                      {"hs_ticket_priority", prio[p]}};
      json::object ticket{{"id", std::to_string(ticket_id++)}, {"company", id}, {"properties", tp},
                          {"created_days_ago", created}};
      ticket["closed_days_ago"] = closed ? json::value(std::max(0.0, created - 5 * rng.uniform())) : json::value(nullptr);
      tickets.push_back(std::move(ticket));
    }
  }
  json::array company_props{
      num_prop("tenure_months", "Tenure (months)"), num_prop("monthly_charges", "Monthly charges"),
      num_prop("total_charges", "Total charges"),
      enum_prop("contract_type", "Contract", {"Month-to-month", "One year", "Two year"}),
      enum_prop("internet_service", "Internet service", {"DSL", "Fiber optic", "No"}),
      enum_prop("payment_method", "Payment method",
                {"Bank transfer (automatic)", "Credit card (automatic)", "Electronic check", "Mailed check"}),
      enum_prop("paperless_billing", "Paperless billing", {"Yes", "No"}),
      enum_prop("tech_support", "Tech support", {"Yes", "No", "No internet service"}),
      enum_prop("online_security", "Online security", {"Yes", "No", "No internet service"}),
      enum_prop("senior_citizen", "Senior citizen", {"Yes", "No"}), enum_prop("partner", "Partner", {"Yes", "No"}),
      enum_prop("dependents", "Dependents", {"Yes", "No"}), enum_prop("churned", "Churned", {"true", "false"})};
  json::object seed{{"about", "Synthetic sample portal: companies from IBM Telco churn (Apache-2.0); ticket texts from "
                              "UCI Sentiment Labelled Sentences, Amazon subset (CC BY 4.0, Kotzias et al. KDD 2015); "
                              "ticket counts and tone are generated. See data/NOTICE."},
                    {"properties", json::object{{"companies", company_props}}},
                    {"companies", companies},
                    {"tickets", tickets}};
  std::ofstream out(argv[3]);
  out << json::serialize(seed) << "\n";
  std::cerr << "seed: " << companies.size() << " companies, " << tickets.size() << " tickets -> " << argv[3] << "\n";
  return out ? 0 : 1;
}
