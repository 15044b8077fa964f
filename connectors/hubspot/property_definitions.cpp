#include "connectors/hubspot/property_definitions.hpp"

#include <boost/json/parse.hpp>

#include "churnguard/hubspot_properties_json.hpp"

namespace cg::hubspot {

std::string_view churnguard_properties_json() { return embedded::hubspot_properties_json; }

const PropertyDefinitions& churnguard_property_definitions() {
  static const PropertyDefinitions defs = [] {
    auto v = boost::json::parse(churnguard_properties_json()).as_object();
    PropertyDefinitions d;
    d.group = v.at("group").as_object();
    d.properties = v.at("properties").as_array();
    d.group_name = "churnguard";
    return d;
  }();
  return defs;
}

}  // namespace cg::hubspot
