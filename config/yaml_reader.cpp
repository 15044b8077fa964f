#include "config/yaml_reader.hpp"

namespace cg::config {

YamlReader::YamlReader(std::string file, YAML::Node node, std::string path)
    : file_(std::move(file)), node_(std::move(node)), path_(std::move(path)),
      errors_(std::make_shared<std::vector<std::string>>()) {}

std::string YamlReader::where(const YAML::Mark& m) const {
  if (m.is_null()) return file_;
  return file_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

std::string YamlReader::key_path(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

void YamlReader::fail(const YAML::Node& at, const std::string& key, const std::string& message) {
  auto mark = at.IsDefined() ? at.Mark() : node_.Mark();
  errors_->push_back(where(mark) + ": " + key_path(key) + ": " + message);
}

YAML::Node YamlReader::lookup(const std::string& key, bool required) {
  seen_.insert(key);
  YAML::Node n = node_[key];
  if (!n.IsDefined() || n.IsNull()) {
    if (required) fail(node_, key, "is required but missing");
    return YAML::Node(YAML::NodeType::Undefined);
  }
  return n;
}

void YamlReader::read(const std::string& key, std::string& out, bool required) {
  auto n = lookup(key, required);
  if (!n.IsDefined()) return;
  if (!n.IsScalar()) return fail(n, key, "expected a string");
  out = n.Scalar();
  if (required && out.empty()) fail(n, key, "must not be empty");
}

void YamlReader::read(const std::string& key, int& out, bool required) {
  auto n = lookup(key, required);
  if (!n.IsDefined()) return;
  try {
    if (!n.IsScalar()) throw YAML::Exception(n.Mark(), "");
    out = n.as<int>();
  } catch (const YAML::Exception&) {
    fail(n, key, "expected a whole number, got '" + (n.IsScalar() ? n.Scalar() : "a non-scalar") + "'");
  }
}

void YamlReader::read(const std::string& key, double& out, bool required) {
  auto n = lookup(key, required);
  if (!n.IsDefined()) return;
  try {
    if (!n.IsScalar()) throw YAML::Exception(n.Mark(), "");
    out = n.as<double>();
  } catch (const YAML::Exception&) {
    fail(n, key, "expected a number, got '" + (n.IsScalar() ? n.Scalar() : "a non-scalar") + "'");
  }
}

void YamlReader::read(const std::string& key, bool& out, bool required) {
  auto n = lookup(key, required);
  if (!n.IsDefined()) return;
  try {
    if (!n.IsScalar()) throw YAML::Exception(n.Mark(), "");
    out = n.as<bool>();
  } catch (const YAML::Exception&) {
    fail(n, key, "expected true or false, got '" + (n.IsScalar() ? n.Scalar() : "a non-scalar") + "'");
  }
}

void YamlReader::read(const std::string& key, std::vector<std::string>& out, bool required) {
  auto n = lookup(key, required);
  if (!n.IsDefined()) return;
  if (!n.IsSequence()) return fail(n, key, "expected a list of strings");
  out.clear();
  for (std::size_t i = 0; i < n.size(); ++i) {
    if (!n[i].IsScalar()) return fail(n[i], key + "[" + std::to_string(i) + "]", "expected a string");
    out.push_back(n[i].Scalar());
  }
}

void YamlReader::read(const std::string& key, std::map<std::string, std::string>& out) {
  auto n = lookup(key, false);
  if (!n.IsDefined()) return;
  if (!n.IsMap()) return fail(n, key, "expected a mapping of strings");
  for (const auto& kv : n) {
    auto k = kv.first.Scalar();
    if (!kv.second.IsScalar()) {
      fail(kv.second, key + "." + k, "expected a string");
      continue;
    }
    out[k] = kv.second.Scalar();
  }
}

std::optional<YamlReader> YamlReader::child(const std::string& key, bool required) {
  auto n = lookup(key, required);
  if (!n.IsDefined()) return std::nullopt;
  if (!n.IsMap()) {
    fail(n, key, "expected a mapping");
    return std::nullopt;
  }
  YamlReader r(file_, n, key_path(key));
  r.errors_ = errors_;
  return r;
}

std::optional<YamlReader> YamlReader::child_if_map(const std::string& key) {
  if (!node_[key].IsMap()) return std::nullopt;
  return child(key);
}

std::vector<std::string> YamlReader::keys() const {
  std::vector<std::string> out;
  if (node_.IsMap())
    for (const auto& kv : node_) out.push_back(kv.first.Scalar());
  return out;
}

std::vector<YamlReader> YamlReader::children(const std::string& key) {
  std::vector<YamlReader> out;
  auto n = lookup(key, false);
  if (!n.IsDefined() || n.IsNull()) return out;
  if (!n.IsSequence()) {
    fail(n, key, "expected a list");
    return out;
  }
  for (std::size_t i = 0; i < n.size(); ++i) {
    if (!n[i].IsMap()) {
      fail(n[i], key + "[" + std::to_string(i) + "]", "expected a mapping");
      continue;
    }
    YamlReader r(file_, n[i], key_path(key) + "[" + std::to_string(i) + "]");
    r.errors_ = errors_;
    out.push_back(std::move(r));
  }
  return out;
}

void YamlReader::finish() {
  if (!node_.IsMap()) return;
  std::set<std::string> keys;
  for (const auto& kv : node_) {
    auto k = kv.first.Scalar();
    // YAML parsers keep one of two equal keys silently; a config must not.
    if (!keys.insert(k).second) {
      errors_->push_back(where(kv.first.Mark()) + ": " + key_path(k) + ": duplicate key (the earlier one would be ignored)");
      continue;
    }
    if (!seen_.count(k)) {
      auto mark = kv.first.Mark();
      errors_->push_back(where(mark) + ": " + key_path(k) + ": unknown key");
    }
  }
}

}  // namespace cg::config
