// The quantization report (quantize_report.h).
#include "compiler/quantizer/report.h"

#include <charconv>
#include <cmath>
#include <iomanip>
#include <sstream>
#include <string>
#include <system_error>

namespace qsa::quantizer {

namespace {

using Json = nlohmann::ordered_json;

// SQNR in JSON: a number, or the string "inf" (no noise at all) / null (not measured).
Json Db(double v) {
  if (std::isnan(v)) return nullptr;
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return std::round(v * 100.0) / 100.0;
}

// A float32 value as the shortest decimal that reads back as it (not its double expansion).
Json F(float v) {
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
  if (ec != std::errc()) return v;
  return std::stod(std::string(buffer, end));
}

std::string DbText(double v) {
  if (std::isnan(v)) return "-";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::ostringstream s;
  s << std::fixed << std::setprecision(1) << v;
  return s.str();
}

std::string Short(double v) {
  std::ostringstream s;
  s << std::setprecision(4) << v;
  return s.str();
}

std::string Bytes(std::int64_t n) {
  std::ostringstream s;
  if (n >= 10 * 1024) {
    s << std::fixed << std::setprecision(1) << static_cast<double>(n) / 1024.0 << " KiB";
  } else {
    s << n << " B";
  }
  return s.str();
}

}  // namespace

Json ReportToJson(const QuantizeReport& r) {
  Json j;
  j["model"] = r.model;
  j["calibration"] = {{"data", r.calibration}, {"samples", r.samples}, {"method", r.method}};
  if (r.method == "percentile") j["calibration"]["percentile"] = r.percentile;
  j["scheme"] = {{"weights", r.weight_scheme}, {"activations", r.activation_scheme}};
  j["folded_batch_norms"] = Json::array();
  for (const auto& f : r.folded_batch_norms) {
    j["folded_batch_norms"].push_back({{"batch_norm", f.batch_norm}, {"into", f.into}});
  }
  j["outliers"] = Json::array();
  for (const auto& o : r.outliers) {
    Json channels = Json::array();
    for (const auto& [c, v] : o.outliers) channels.push_back({{"channel", c}, {"absmax", F(v)}});
    j["outliers"].push_back({{"layer", o.layer},
                             {"tensor", o.tensor},
                             {"channels", o.channels},
                             {"threshold", F(o.threshold)},
                             {"max_absmax", F(o.max_absmax)},
                             {"median_absmax", F(o.median_absmax)},
                             {"outlier_channels", channels}});
  }
  j["smoothquant"] = Json::array();
  for (const auto& s : r.smoothquant) {
    j["smoothquant"].push_back({{"layer", s.layer},
                                {"tensor", s.tensor},
                                {"alpha", s.alpha},
                                {"min_factor", F(s.min_factor)},
                                {"max_factor", F(s.max_factor)},
                                {"migrated_into", s.migrated_into},
                                {"inserted_mul", s.inserted_mul}});
  }
  if (r.mixed_precision) {
    const auto& m = *r.mixed_precision;
    j["mixed_precision"] = {{"cost_model", m.cost_model},
                            {"budget", m.budget},
                            {"cost", m.cost},
                            {"cost_all_8bit", m.cost_all8},
                            {"cost_all_4bit", m.cost_all4},
                            {"exhaustive", m.exhaustive}};
  }
  j["layers"] = Json::array();
  for (const LayerReport& l : r.layers) {
    Json layer = {{"name", l.name},
                  {"op", l.op},
                  {"kind", l.kind},
                  {"inputs", l.inputs},
                  {"output", l.output}};
    if (!l.activation.empty()) layer["fused_activation"] = l.activation;
    if (l.weight_bits > 0) {
      layer["weight_bits"] = l.weight_bits;
      layer["weight_scheme"] = l.weight_scheme;
      layer["weight_count"] = l.weight_count;
      layer["weight_scale_min"] = F(l.weight_scale_min);
      layer["weight_scale_max"] = F(l.weight_scale_max);
      layer["weight_bytes"] = l.weight_bytes;
      layer["bias_bytes"] = l.bias_bytes;
      layer["float_bytes"] = l.float_bytes;
    }
    layer["sqnr_db"] = Db(l.sqnr_db);
    if (l.sensitivity8_db) layer["sensitivity_8bit_db"] = Db(*l.sensitivity8_db);
    if (l.sensitivity4_db) layer["sensitivity_4bit_db"] = Db(*l.sensitivity4_db);
    j["layers"].push_back(layer);
  }
  j["activations"] = Json::array();
  for (const TensorReport& t : r.activations) {
    Json a = {{"tensor", t.tensor},
              {"observed", {F(t.observed_min), F(t.observed_max)}},
              {"range", {F(t.range_lo), F(t.range_hi)}},
              {"scale", F(t.scale)},
              {"zero_point", t.zero_point}};
    if (!t.shared_with.empty()) a["shared_with"] = t.shared_with;
    if (!t.note.empty()) a["note"] = t.note;
    j["activations"].push_back(a);
  }
  j["float_nodes"] = Json::array();
  for (const auto& h : r.float_nodes) {
    j["float_nodes"].push_back({{"name", h.name}, {"op", h.op}, {"reason", h.reason}});
  }
  j["outputs"] = Json::array();
  for (const auto& o : r.outputs) {
    j["outputs"].push_back(
        {{"name", o.name}, {"sqnr_db", Db(o.sqnr_db)}, {"argmax_agreement", o.argmax_agreement}});
  }
  j["notes"] = r.notes;
  const double ratio = r.float_parameter_bytes > 0
                           ? static_cast<double>(r.quantized_parameter_bytes) /
                                 static_cast<double>(r.float_parameter_bytes)
                           : 0.0;
  j["size"] = {{"float_parameter_bytes", r.float_parameter_bytes},
               {"quantized_parameter_bytes", r.quantized_parameter_bytes},
               {"ratio", ratio}};
  return j;
}

std::string ReportSummary(const QuantizeReport& r) {
  std::ostringstream s;
  s << "calibration: " << r.samples << " samples, method " << r.method;
  if (r.method == "percentile") s << " " << r.percentile;
  s << "; weights " << r.weight_scheme << ", activations " << r.activation_scheme << "\n";
  for (const auto& f : r.folded_batch_norms) {
    s << "folded BatchNormalization '" << f.batch_norm << "' into '" << f.into << "'\n";
  }
  for (const auto& o : r.outliers) {
    if (o.outliers.empty()) continue;
    s << "outliers: input '" << o.tensor << "' of '" << o.layer << "': " << o.outliers.size()
      << " of " << o.channels << " channels above " << Short(o.threshold) << " (max "
      << Short(o.max_absmax) << ", median " << Short(o.median_absmax) << ")\n";
  }
  for (const std::string& n : r.notes) s << "note: " << n << "\n";
  for (const auto& m : r.smoothquant) {
    s << "smoothquant: '" << m.layer << "' alpha " << m.alpha << ", factors " << Short(m.min_factor)
      << ".." << Short(m.max_factor) << ", migrated into '" << m.migrated_into << "'\n";
  }
  if (r.mixed_precision) {
    const auto& m = *r.mixed_precision;
    s << "mixed precision: " << m.cost_model << " " << Short(m.cost) << " within budget "
      << Short(m.budget) << " (all 8-bit " << Short(m.cost_all8) << ", all 4-bit "
      << Short(m.cost_all4) << ")\n";
  }
  for (const LayerReport& l : r.layers) {
    s << "  " << std::left << std::setw(18)
      << (l.op + (l.activation.empty() ? "" : "+" + l.activation)) << std::setw(20)
      << ("'" + l.name + "'");
    if (l.weight_bits > 0) {
      s << " w" << l.weight_bits << " " << std::setw(9) << Bytes(l.weight_bytes + l.bias_bytes);
    } else {
      s << "              ";
    }
    s << " SQNR " << DbText(l.sqnr_db) << " dB";
    if (l.sensitivity8_db) {
      s << "  (alone: " << DbText(*l.sensitivity8_db) << " dB 8-bit, " << DbText(*l.sensitivity4_db)
        << " dB 4-bit)";
    }
    s << "\n";
  }
  for (const auto& h : r.float_nodes) {
    s << "float (host): " << h.op << " '" << h.name << "': " << h.reason << "\n";
  }
  for (const auto& o : r.outputs) {
    s << "output '" << o.name << "': SQNR " << DbText(o.sqnr_db) << " dB, argmax agrees on "
      << Short(100.0 * o.argmax_agreement) << "% of samples\n";
  }
  if (r.float_parameter_bytes > 0) {
    s << "parameters: " << Bytes(r.quantized_parameter_bytes) << " vs "
      << Bytes(r.float_parameter_bytes) << " float32 ("
      << Short(100.0 * static_cast<double>(r.quantized_parameter_bytes) /
               static_cast<double>(r.float_parameter_bytes))
      << "%)\n";
  }
  return s.str();
}

}  // namespace qsa::quantizer
