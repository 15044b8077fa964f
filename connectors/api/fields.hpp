#pragma once
// The CRM field contract (DESIGN.md): logical names and their HubSpot/Salesforce spellings.
// One table, used by connectors, write-back planning and the contract test.
#include <array>
#include <string_view>

namespace cg::crm {

struct FieldSpec {
  std::string_view logical;     // e.g. "risk_score"
  std::string_view hubspot;     // e.g. "churnguard_risk_score"
  std::string_view salesforce;  // e.g. "ChurnGuard_Risk_Score__c"
};

inline constexpr std::array<FieldSpec, 11> field_contract{{
    {"risk_score", "churnguard_risk_score", "ChurnGuard_Risk_Score__c"},
    {"risk_tier", "churnguard_risk_tier", "ChurnGuard_Risk_Tier__c"},
    {"risk_reasons", "churnguard_risk_reasons", "ChurnGuard_Risk_Reasons__c"},
    {"risk_trend", "churnguard_risk_trend", "ChurnGuard_Risk_Trend__c"},
    {"sentiment", "churnguard_sentiment", "ChurnGuard_Sentiment__c"},
    {"engagement", "churnguard_engagement", "ChurnGuard_Engagement__c"},
    {"next_action", "churnguard_next_action", "ChurnGuard_Next_Action__c"},
    {"offer", "churnguard_offer", "ChurnGuard_Offer__c"},
    {"holdout", "churnguard_holdout", "ChurnGuard_Holdout__c"},
    {"scored_at", "churnguard_scored_at", "ChurnGuard_Scored_At__c"},
    {"model", "churnguard_model", "ChurnGuard_Model__c"},
}};

inline const FieldSpec* find_field_by_logical(std::string_view logical) {
  for (const auto& f : field_contract)
    if (f.logical == logical) return &f;
  return nullptr;
}

inline const FieldSpec* find_field_by_hubspot(std::string_view name) {
  for (const auto& f : field_contract)
    if (f.hubspot == name) return &f;
  return nullptr;
}

}  // namespace cg::crm
