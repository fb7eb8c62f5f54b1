// The C interface of a verilated accelerator model. Each array configuration is its own shared
// library (libqsa_rtl_model.so, built by sim/rtl_model.cmake from rtl/qsa.f and rtl_shim.cc);
// the harness (sim/rtl_sim.h) loads one with dlopen and drives qsa_top one clock cycle at a time
// through these functions. Plain C types only, so that the library and the harness need not
// share a C++ runtime layout.
#pragma once

#include <stdint.h>  // NOLINT(modernize-deprecated-headers): a C header

#ifdef __cplusplus
extern "C" {
#endif

// Bumped whenever a struct below or a function signature changes; the harness refuses a library
// built with another version.
#define QSA_RTL_MODEL_ABI_VERSION 4
// The widest rows the structs hold: ArrayRows, ArrayCols <= 128.
#define QSA_RTL_MAX_LANES 128
#define QSA_RTL_BUS_BYTES 16
#define QSA_RTL_NUM_QUEUES 3

// The observed memory write ports of qsa_top, in the order of the obs_* port groups.
enum QsaRtlWritePortId {
  QSA_RTL_OBS_SP0 = 0,   // scratchpad, load unit
  QSA_RTL_OBS_SP1 = 1,   // scratchpad, compute unit
  QSA_RTL_OBS_ACC0 = 2,  // accumulator, load unit
  QSA_RTL_OBS_ACC1 = 3,  // accumulator, compute unit (gemm)
  QSA_RTL_OBS_PRM0 = 4,  // parameter buffer, load unit
  QSA_RTL_NUM_OBS_PORTS = 5
};

// The parameters the library's qsa_top was verilated with.
typedef struct QsaRtlParams {
  uint32_t abi_version;
  uint32_t array_rows;
  uint32_t array_cols;
  uint32_t sp_rows;
  uint32_t acc_rows;
  uint32_t param_rows;
  uint32_t sp_banks;
  uint32_t acc_banks;
  uint32_t read_latency;
  uint32_t insn_depth;
  uint32_t token_depth;
  uint32_t bus_bytes;
} QsaRtlParams;

// The values the harness drives during one cycle (held until the rising edge).
typedef struct QsaRtlInputs {
  // The AXI4-Lite master's side of the register port (docs/rtl.md "Register map").
  uint8_t s_aw_valid;
  uint32_t s_aw_addr;
  uint8_t s_w_valid;
  uint32_t s_w_data;
  uint8_t s_w_strb;
  uint8_t s_b_ready;
  uint8_t s_ar_valid;
  uint32_t s_ar_addr;
  uint8_t s_r_ready;
  // The AXI4 slave's side of qsa_top's memory port (docs/rtl.md "AXI4 memory port").
  uint8_t ar_ready;
  uint8_t r_valid;
  uint32_t r_id;
  uint8_t r_data[QSA_RTL_BUS_BYTES];  // byte k = DRAM[beat address + k]
  uint8_t r_resp;
  uint8_t r_last;
  uint8_t aw_ready;
  uint8_t w_ready;
  uint8_t b_valid;
  uint32_t b_id;
  uint8_t b_resp;
} QsaRtlInputs;

// One memory write port as seen during the cycle (the write happens at the rising edge).
typedef struct QsaRtlWritePort {
  uint8_t we;
  uint32_t addr;  // row
  uint32_t tag;   // pc of the writing instruction
  // Filled only when we is set and the cycle was asked to copy write data.
  uint8_t mask[QSA_RTL_MAX_LANES];      // 1 per lane written
  uint8_t data[QSA_RTL_MAX_LANES * 4];  // lane l: bytes [l*LaneBytes, (l+1)*LaneBytes), LE
} QsaRtlWritePort;

// The outputs of qsa_top during one cycle, before its rising edge.
typedef struct QsaRtlOutputs {
  // The register port's slave side, and the interrupt.
  uint8_t s_aw_ready;
  uint8_t s_w_ready;
  uint8_t s_b_valid;
  uint8_t s_b_resp;
  uint8_t s_ar_ready;
  uint8_t s_r_valid;
  uint32_t s_r_data;
  uint8_t s_r_resp;
  uint8_t irq;
  // The AXI4 master's side of the memory port, and the pc of the instruction of the AR burst
  // and of the W beat (for traces).
  uint8_t ar_valid;
  uint32_t ar_id;
  uint32_t ar_addr;
  uint8_t ar_len;
  uint8_t ar_size;
  uint8_t ar_burst;
  uint32_t ar_pc;
  uint8_t r_ready;
  uint8_t aw_valid;
  uint32_t aw_id;
  uint32_t aw_addr;
  uint8_t aw_len;
  uint8_t aw_size;
  uint8_t aw_burst;
  uint8_t w_valid;
  uint8_t w_data[QSA_RTL_BUS_BYTES];
  uint16_t w_strb;
  uint8_t w_last;
  uint32_t w_pc;
  uint8_t b_ready;
  uint8_t dbg_head_valid;  // bit q: queue q has a head instruction
  uint32_t dbg_head_pc[QSA_RTL_NUM_QUEUES];
  uint8_t dbg_head_wait[QSA_RTL_NUM_QUEUES];  // 6 bits per queue (docs in sim/README.md)
  uint32_t dbg_fetch_pc;
  uint8_t dbg_fetch_stall;
  uint8_t dbg_fetch_done;
  uint8_t dbg_retire;  // bit q: queue q retired an instruction
  QsaRtlWritePort obs[QSA_RTL_NUM_OBS_PORTS];
} QsaRtlOutputs;

typedef struct QsaRtlModel QsaRtlModel;

// Every function of a model library, in one table (qsa_rtl_model_api returns it).
typedef struct QsaRtlModelApi {
  uint32_t abi_version;
  QsaRtlParams params;
  // A new model with its signals at reset; fst_path NULL or empty: no waveform. Returns NULL and
  // fills error (NUL-terminated, error_size bytes) when the trace file cannot be opened.
  QsaRtlModel* (*create)(const char* fst_path, char* error, uint32_t error_size);
  // Ends the simulation (final blocks, trace flushed and closed) and frees the model.
  void (*destroy)(QsaRtlModel* model);
  // Holds rst_ni low for `cycles` clock cycles with every input at zero, then releases it.
  void (*reset)(QsaRtlModel* model, uint32_t cycles);
  // One clock cycle: applies `in`, evaluates, fills `out` with the values before the rising
  // edge (obs data and masks only when copy_write_data), then clocks the rising edge. Returns 0,
  // or 1 when the simulation stopped (a failed assertion or $fatal; message in last_error).
  int (*cycle)(QsaRtlModel* model, const QsaRtlInputs* in, QsaRtlOutputs* out, int copy_write_data);
  // The message of the stop reported by cycle ("" when none).
  const char* (*last_error)(const QsaRtlModel* model);
} QsaRtlModelApi;

// The one symbol a model library exports.
#define QSA_RTL_MODEL_API_SYMBOL "qsa_rtl_model_api"
typedef const QsaRtlModelApi* (*QsaRtlModelApiFn)(void);

#ifdef __cplusplus
}
#endif
