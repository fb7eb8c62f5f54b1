// Calibration data for the post-training quantizer: an .npz archive or a folder of .npy batches,
// checked against the model's inputs and cut into the batches the model runs on.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "model/golden/dtype.h"
#include "model/golden/tensor.h"

namespace qsa::quantizer {

// One array of calibration values: its key (an .npz entry's or a file's name without ".npy"),
// where it came from ("calib.npz:input.npy", "dir/b0.npy") and its value.
struct CalibrationArray {
  std::string key;
  std::string origin;
  golden::Tensor value;
};

struct CalibrationData {
  std::string source;
  std::vector<CalibrationArray> arrays;  // in archive / name order
};

// Reads calibration data: an .npz archive (numpy.savez or savez_compressed; stored or deflated
// entries) or a folder, of which every *.npy file is read, in name order. The arrays must be .npy
// data qsa reads (model/golden/npy.h). Throws qsa::Error naming the path and entry.
CalibrationData ReadCalibrationData(const std::string& path);
// The arrays of an .npz archive given as bytes; `source` names it in messages.
CalibrationData ParseNpz(std::string_view bytes, const std::string& source);

// A model input as the model declares it; dimension −1 is dynamic.
struct ModelInput {
  std::string name;
  golden::DType dtype = golden::DType::kFloat32;
  golden::Shape shape;
};

// Which input an array feeds: the input named by its key, or by its key up to a '.' ("x.0",
// "x.1" feed input x); for a model with one input, when no key names it, every array.
//
// Cuts the data into runs of `batch` samples (the size of dimension 0 the model runs with), one
// map input name → value per run: each array [n, d1, …] must have the input's dtype and
// dimensions d1… (and n a multiple of `batch`), or the input's own shape. Every input gets the
// same number of samples. `max_samples` > 0 keeps only the first ones. Throws qsa::Error naming
// the array and the input when a dtype or shape does not match, an input has no data, or an
// array feeds no input.
std::vector<std::map<std::string, golden::Tensor>> MakeRuns(const CalibrationData& data,
                                                            const std::vector<ModelInput>& inputs,
                                                            std::int64_t batch,
                                                            std::int64_t max_samples = 0);

}  // namespace qsa::quantizer
