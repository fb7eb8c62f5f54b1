// Program containers (docs/file-formats.md): what the compiler or the assembler produces and the
// ISA simulator and the RTL harness run. A program directory holds
//   program.bin    header (magic, version, architecture hash, sizes, checksum), the instruction
//                  words and the initial DRAM image (weights, biases, requantization parameters);
//   manifest.json  the input and output tensors (DRAM address, shape, dtype, layout in DRAM,
//                  quantization) and the instruction ranges of the layers.
// A bare program.bin (no manifest) is also a valid program: it has no declared inputs or outputs.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/golden/dtype.h"
#include "model/golden/quant.h"
#include "model/golden/tensor.h"
#include "model/isa/arch.h"
#include "model/isa/isa.h"

namespace qsa::isa {

inline constexpr std::uint32_t kProgramFormatVersion = 1;
// The largest dram_size a program may have. DRAM addresses in instructions are 32-bit, but the
// simulators (ISA and RTL) allocate the whole DRAM, so qsa bounds it well below 4 GiB; every
// reader, the assembler and the compiler check it before allocating (docs/robustness.md).
inline constexpr std::uint64_t kMaxDramSize = std::uint64_t{256} << 20;
// "the DRAM limit of 268435456 bytes (256 MiB)", for messages.
inline std::string DramLimitText() {
  return "the DRAM limit of " + std::to_string(kMaxDramSize) + " bytes (" +
         std::to_string(kMaxDramSize >> 20) + " MiB)";
}

// A tensor the host writes into DRAM before a run (input) or reads after it (output).
struct ManifestTensor {
  std::string name;
  std::uint64_t dram_addr = 0;
  golden::Shape shape;  // as the host sees it (the .npy shape)
  golden::DType dtype = golden::DType::kUInt8;
  // DRAM holds the tensor transposed by this permutation of the host axes (dram_shape[i] =
  // shape[perm[i]], C-ordered); empty means the identity (e.g. [0, 2, 3, 1] stores NCHW as NHWC).
  std::vector<int> dram_perm;
  golden::QuantParams quant;

  std::int64_t Bytes() const;  // size in DRAM
  bool operator==(const ManifestTensor& other) const = default;
};

// The instructions [first, first + count) that implement one layer of the source model.
struct LayerRange {
  std::string name;
  std::int64_t first = 0;
  std::int64_t count = 0;
  bool operator==(const LayerRange& other) const = default;
};

struct Manifest {
  std::vector<ManifestTensor> inputs;
  std::vector<ManifestTensor> outputs;
  std::vector<LayerRange> layers;
  bool operator==(const Manifest& other) const = default;
};

struct Program {
  std::string arch_name;        // informative
  std::uint64_t arch_hash = 0;  // ArchConfig::Hash() of the configuration it was built for
  std::vector<isa::Word> instructions;
  std::vector<std::uint8_t> dram_image;  // initial DRAM contents from address 0
  std::uint64_t dram_size = 0;           // DRAM bytes the program may touch, >= dram_image.size()
  Manifest manifest;
  bool operator==(const Program& other) const = default;
};

// program.bin: serialization and parsing. Parsing refuses, with one line naming `source`, a
// truncated file, a wrong magic, an unsupported version, a checksum mismatch or inconsistent
// sizes. The manifest is not part of program.bin.
std::vector<std::uint8_t> EncodeProgramBinary(const Program& program);
Program DecodeProgramBinary(std::span<const std::uint8_t> bytes, const std::string& source);

// manifest.json (it also records the architecture hash and instruction count of its program.bin,
// checked when both are read).
nlohmann::json ManifestToJson(const Program& program);
void ReadManifestJson(const nlohmann::json& j, const std::string& source, Program& program);
// The same from the text of manifest.json.
void ReadManifestText(std::string_view text, const std::string& source, Program& program);

// Checks one manifest tensor: a non-empty name, dtype uint8, int8 or int32, dimensions >= 1,
// dram_perm empty or a permutation of the axes, quantization counts and zero-point ranges, and
// that it lies inside [0, dram_size). Throws qsa::Error "tensor 'x': ...".
void CheckManifestTensor(const ManifestTensor& tensor, std::uint64_t dram_size);
// Checks the manifest against the program: every tensor (above), tensor names unique across
// inputs and outputs, layer ranges named, in order, not overlapping and within the instructions.
// Throws qsa::Error naming `source`.
void CheckManifest(const Program& program, const std::string& source);

// Writes DIR/program.bin and DIR/manifest.json (and DIR/program.s when `listing` is not empty),
// creating DIR, all or nothing (temporary files renamed into place once all are written; a DIR
// this call created is removed again on an error), or only FILE when `path` ends in ".bin".
void WriteProgram(const Program& program, const std::string& path, const std::string& listing = "");
// Reads a program directory or a bare .bin file; throws qsa::Error naming the file and problem.
Program ReadProgram(const std::string& path);

// Throws qsa::Error unless the program was built for `arch` ("program P was built for
// architecture 'default' (hash 1a2b...), not for '4x4' (hash 3c4d...)").
void CheckProgramArch(const Program& program, const ArchConfig& arch, const std::string& source);

// Host ↔ DRAM: a tensor of the manifest tensor's dtype and shape, laid out by its dram_perm at
// its dram_addr. Throws qsa::Error on a dtype or shape mismatch (naming the tensor) or when the
// tensor does not lie inside `dram`.
void WriteTensorToDram(const ManifestTensor& where, const golden::Tensor& value,
                       std::span<std::uint8_t> dram);
golden::Tensor ReadTensorFromDram(const ManifestTensor& where, std::span<const std::uint8_t> dram);

// Writes every manifest input of `program` from `inputs` (by name) into `dram`. Throws
// qsa::Error naming a manifest input without a value, or a given input the program does not
// declare (listing the ones it does).
void WriteProgramInputs(const Program& program, const std::map<std::string, golden::Tensor>& inputs,
                        std::span<std::uint8_t> dram);

}  // namespace qsa::isa
