#pragma once
// The model report: one self-contained HTML page (inline SVG, no script, no CDN) with the
// model's training window and rows, the candidates compared, test metrics before and after
// calibration, ROC and precision-recall curves, a reliability plot, lift by decile, feature
// importance (mean |SHAP|) and each feature's drift since training.
#include "daemon/store/store.hpp"

#include <string>
#include <vector>

namespace cg::report {

std::string model_report_html(const store::ModelRecord& model, const std::vector<store::FeatureDrift>& drift);

}  // namespace cg::report
