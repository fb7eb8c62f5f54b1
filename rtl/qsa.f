// The accelerator's sources, in dependency order, relative to this directory. Lint, simulation
// and synthesis all read this list: `verilator --lint-only -Wall -F rtl/qsa.f --top-module
// qsa_top`. top/qsa_isa_pkg.sv is qsa_isagen's output, checked in (a test compares it with the
// build's).
top/qsa_isa_pkg.sv
top/qsa_pkg.sv
mem/qsa_fifo.sv
mem/qsa_sram_macro.sv
mem/qsa_sram.sv
mem/qsa_dma_walk.sv
mem/qsa_load.sv
mem/qsa_store.sv
core/qsa_requant.sv
core/qsa_delay.sv
core/qsa_pe.sv
core/qsa_array.sv
core/qsa_gemm.sv
core/qsa_array_check.sv
core/qsa_binds.sv
core/qsa_post.sv
core/qsa_vadd.sv
core/qsa_pool.sv
core/qsa_compute.sv
ctrl/qsa_check.sv
ctrl/qsa_ctrl.sv
ctrl/qsa_fetch.sv
ctrl/qsa_regs.sv
ctrl/qsa_counters.sv
top/qsa_top.sv
