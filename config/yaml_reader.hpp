#pragma once
// A strict reader over one YAML mapping: every key must be known, every value of the right
// type, and every error names the file, line, column and key path. Not thread-safe.
#include "daemon/core/error.hpp"

#include <yaml-cpp/yaml.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace cg::config {

class YamlReader {
 public:
  YamlReader(std::string file, YAML::Node node, std::string path);

  // Each reads `key` into `out` if present; `required` makes absence an error.
  void read(const std::string& key, std::string& out, bool required = false);
  void read(const std::string& key, int& out, bool required = false);
  void read(const std::string& key, double& out, bool required = false);
  void read(const std::string& key, bool& out, bool required = false);
  void read(const std::string& key, std::vector<std::string>& out, bool required = false);
  void read(const std::string& key, std::map<std::string, std::string>& out);
  // A nested mapping, or nullopt if absent (marks the key as known).
  std::optional<YamlReader> child(const std::string& key, bool required = false);
  // The nested mapping at a key whose value may be a scalar or a mapping: nullopt, and no error,
  // when it is not a mapping (read it as a scalar then).
  std::optional<YamlReader> child_if_map(const std::string& key);
  // This mapping's keys, in the file's order.
  [[nodiscard]] std::vector<std::string> keys() const;
  // A sequence of mappings (e.g. plays), each reader's path "key[i]".
  std::vector<YamlReader> children(const std::string& key);

  // Reports every key not consumed by a read; call once all reads are done.
  void finish();

  [[nodiscard]] bool ok() const { return errors_->empty(); }
  [[nodiscard]] const std::vector<std::string>& errors() const { return *errors_; }
  void fail(const YAML::Node& at, const std::string& key, const std::string& message);
  [[nodiscard]] std::string key_path(const std::string& key) const;

 private:
  YAML::Node lookup(const std::string& key, bool required);
  std::string where(const YAML::Mark& m) const;

  std::string file_;
  YAML::Node node_;
  std::string path_;
  std::set<std::string> seen_;
  std::shared_ptr<std::vector<std::string>> errors_;
};

}  // namespace cg::config
