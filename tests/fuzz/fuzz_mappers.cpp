// The CRM response mappers, fed what a broken or hostile CRM (or a proxy) might send back.
// Input: selector byte, then the body.
#include "connectors/hubspot/mapping.hpp"
#include "connectors/salesforce/mapping.hpp"

#include <cstdint>
#include <string>

namespace hs = cg::hubspot;
namespace sf = cg::salesforce;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::vector<cg::crm::FieldUpdate> updates{{"1", {{"churnguard_risk_score", "42"}}},
                                                  {"0015g00000AbCdEAAZ", {{"ChurnGuard_Risk_Score__c", "7"}}}};
  switch (data[0] % 8) {
    case 0:
      if (auto p = hs::parse_search_page(body))
        for (const auto& r : p->results) (void)r;
      break;
    case 1:
      if (auto v = hs::parse_json(body, "fuzz"); v && v->is_object()) {
        const auto& o = v->as_object();
        (void)hs::to_customer(o, "hs_lastmodifieddate", "name");
        (void)hs::to_ticket(o);
        (void)hs::to_email(o);
        (void)hs::to_contact(o);
      }
      break;
    case 2:
      (void)hs::parse_association_batch(body);
      break;
    case 3:
      for (unsigned status : {200u, 207u, 400u, 429u}) (void)hs::parse_batch_update(status, body, updates);
      (void)hs::describe_error(429, body);
      (void)hs::rate_limit_policy(body);
      break;
    case 4:
      (void)sf::parse_query_page(body);
      break;
    case 5:
      if (auto v = hs::parse_json(body, "fuzz"); v && v->is_object()) {
        const auto& o = v->as_object();
        (void)sf::to_customer(o, "Name");
        (void)sf::to_case(o, "AccountId");
        (void)sf::to_email_message(o);
        (void)sf::to_contact(o);
        (void)sf::to_case_comment(o, "AccountId");
        (void)sf::to_task(o, "AccountId");
      }
      break;
    case 6:
      (void)sf::parse_collection_results(body, updates);
      break;
    default:
      (void)sf::describe_error(403, body);
      (void)sf::error_code(body);
      break;
  }
  return 0;
}
