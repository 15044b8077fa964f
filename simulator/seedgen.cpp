// churnguard-seedgen: builds the simulator's sample portal from public data, reproducibly.
// Companies are the rows of IBM's Telco churn table (Apache-2.0); each gets support tickets
// whose text is drawn from the UCI "Sentiment Labelled Sentences" Amazon reviews (CC BY 4.0).
// The ticket counts and their tone are SYNTHETIC: churned customers are given more and more
// negative tickets, so that behaviour carries signal in the demo. Say so wherever it is shown.
#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <cmath>
#include <fstream>
#include <iostream>
#include <iterator>
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
  // --copies K (first): each Telco row K times, as distinct customers, for scale runs.
  int copies = 1;
  if (argc > 2 && std::string(argv[1]) == "--copies") {
    copies = std::atoi(argv[2]);
    if (copies < 1 || copies > 1000) {
      std::cerr << "--copies must be 1..1000\n";
      return 2;
    }
    argv += 2;
    argc -= 2;
  }
  if (argc != 4 && argc != 5) {
    std::cerr << "usage: churnguard-seedgen [--copies K] TELCO_CSV AMAZON_SENTENCES OUT_JSON [USAGE_EVENTS_JSONL]\n"
                 "  USAGE_EVENTS_JSONL gets product-usage events timed relative to now, for POST /api/v1/events\n"
                 "  --copies K repeats every Telco row K times as distinct customers (scale runs)\n";
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
  json::array companies, tickets, emails, contacts;
  // The portal's users who own accounts (invented names; ids in HubSpot's owner-id form).
  json::array owners;
  const char* csm[][2] = {{"Ana", "Silva"}, {"Ben", "Okafor"}, {"Chloe", "Martin"}, {"Dev", "Patel"}, {"Eva", "Novak"}};
  for (std::size_t i = 0; i < std::size(csm); ++i)
    owners.push_back(json::object{{"id", std::to_string(71000001 + i)}, {"firstName", csm[i][0]}, {"lastName", csm[i][1]},
                                  {"email", std::string(csm[i][0]) + "@sample-portal.example"}, {"active", true}});
  std::ofstream usage;
  if (argc == 5) usage.open(argv[4]);
  const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch()).count();
  Rng usage_rng{77};
  std::int64_t email_id = 300001, contact_id = 700001, usage_id = 1;
  Rng rng{20261124};
  std::int64_t company_id = 10001, ticket_id = 50001;
  std::vector<std::string> lines;
  for (std::string line; std::getline(telco, line);) lines.push_back(line);
  for (std::size_t row = 0; row < lines.size() * static_cast<std::size_t>(copies); ++row) {
    std::string line = lines[row % lines.size()];
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto f = split_csv(line);
    if (f.size() != cols.size()) continue;
    if (const auto copy = row / lines.size(); copy > 0) f[col("customerID")] += "-" + std::to_string(copy);
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
    // Each account has a customer-success manager, in turn (no draw: the rest of the stream stays as it was).
    const auto& owner = owners[companies.size() % owners.size()].as_object().at("id");
    companies.push_back(json::object{{"id", id}, {"properties", props}, {"owner", owner},
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
    // E-mail engagement: the CSM's e-mails (opened or not) and the customer's replies.
    int sent = rng.poisson(4);
    for (int e = 0; e < sent; ++e) {
      double age = 1 + 89 * rng.uniform();
      bool opened = rng.uniform() < (churned ? 0.42 : 0.55);
      emails.push_back(json::object{{"id", std::to_string(email_id++)}, {"company", id}, {"created_days_ago", age},
                                    {"properties", json::object{{"hs_email_direction", "EMAIL"}, {"hs_email_status", "SENT"},
                                                                {"hs_email_subject", "Checking in"},
                                                                {"hs_email_open_count", opened ? "1" : "0"},
                                                                {"hs_timestamp", ""}}}});
      if (rng.uniform() < (churned ? 0.18 : 0.28)) {
        bool negative = rng.uniform() < (churned ? 0.7 : 0.3);
        const auto& pool = negative ? neg : pos;
        emails.push_back(json::object{{"id", std::to_string(email_id++)}, {"company", id}, {"created_days_ago", std::max(0.1, age - 1)},
                                      {"properties", json::object{{"hs_email_direction", "INCOMING_EMAIL"},
                                                                  {"hs_email_subject", "Re: Checking in"},
                                                                  {"hs_email_text", pool[rng.next() % pool.size()]},
                                                                  {"hs_timestamp", ""}}}});
      }
    }
    // Contacts with marketing e-mail counters.
    int people = 1 + static_cast<int>(rng.next() % 3);
    for (int c = 0; c < people; ++c) {
      int delivered = 5 + static_cast<int>(rng.next() % 30);
      int open = static_cast<int>(delivered * (churned ? 0.22 : 0.30) * (0.3 + 1.4 * rng.uniform()));
      contacts.push_back(json::object{{"id", std::to_string(contact_id)}, {"created_days_ago", 200.0},
                                      {"modified_days_ago", 60 * rng.uniform()},
                                      {"properties", json::object{{"email", "person" + std::to_string(contact_id) + "@" + f[col("customerID")] + ".example.com"},
                                                                  {"associatedcompanyid", id},
                                                                  {"hs_email_delivered", std::to_string(delivered)},
                                                                  {"hs_email_open", std::to_string(open)}}}});
      ++contact_id;
    }
    // Product usage: retained customers keep using the product; churners fade in the last month.
    if (usage) {
      // Each customer has its own habit; churners' last month drifts down more often, not always.
      const double base = 0.05 + 0.75 * usage_rng.uniform();
      const double drift = churned ? 0.35 + 0.9 * usage_rng.uniform() : 0.6 + 0.7 * usage_rng.uniform();
      for (int d = 0; d < 90; ++d) {
        double rate = d < 30 ? base * drift : base;  // sessions a day
        if (usage_rng.uniform() >= rate) continue;
        std::int64_t ts = now_ms - static_cast<std::int64_t>((d + usage_rng.uniform()) * 86'400'000.0);
        usage << json::serialize(json::object{{"id", "u" + std::to_string(usage_id++)}, {"customer_id", id},
                                              {"event", "session"}, {"timestamp", ts},
                                              {"duration_s", static_cast<int>(60 + 1800 * usage_rng.uniform())}})
              << "\n";
      }
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
                    {"owners", owners},
                    {"companies", companies},
                    {"tickets", tickets},
                    {"emails", emails},
                    {"contacts", contacts}};
  std::ofstream out(argv[3]);
  out << json::serialize(seed) << "\n";
  std::cerr << "seed: " << companies.size() << " companies, " << tickets.size() << " tickets, " << emails.size()
            << " e-mails, " << contacts.size() << " contacts -> " << argv[3] << (usage ? ", usage events: " + std::to_string(usage_id - 1) : "") << "\n";
  return out ? 0 : 1;
}
