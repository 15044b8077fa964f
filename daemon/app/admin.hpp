#pragma once
// What an admin runs after installing: `setup --write-config` (interactive when flags are
// missing and stdin is a terminal, non-interactive with flags) and `doctor`.
#include "config/config.hpp"

#include <string>
#include <vector>

namespace cg::app {

// Writes `path` from its current text with the chosen CRM and credentials, validated before it
// is written (atomically, keeping PATH.bak). Returns the process exit code.
int setup_write_config(const std::string& path, const std::vector<std::string>& args);

// One line per check (config, state directory, store, models, CRM reachability and auth, clock
// skew, free disk, API budget), each with the fix when it fails. Exit code 0 when none failed.
int doctor(const std::string& config_path);

}  // namespace cg::app
