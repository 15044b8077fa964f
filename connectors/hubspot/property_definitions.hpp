#pragma once
// The ChurnGuard property group and properties, read from
// plugin_manifest/hubspot/properties/churnguard-properties.json (embedded at build time), so the
// manifest, `setup` and the simulator's tests share one definition.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <string_view>

namespace cg::hubspot {

struct PropertyDefinitions {
  std::string_view group_name;
  boost::json::object group;
  boost::json::array properties;  // PropertyCreate bodies
};

const PropertyDefinitions& churnguard_property_definitions();
std::string_view churnguard_properties_json();

}  // namespace cg::hubspot
