// The accelerator's sources, in dependency order, relative to this directory. Lint, simulation
// and synthesis all read this list; the generated ISA package (build tree,
// generated/rtl/qsa_isa_pkg.sv) comes before it.
top/qsa_pkg.sv
mem/qsa_fifo.sv
mem/qsa_sram.sv
mem/qsa_load.sv
mem/qsa_store.sv
core/qsa_requant.sv
core/qsa_pe.sv
core/qsa_array.sv
core/qsa_gemm.sv
core/qsa_post.sv
core/qsa_vadd.sv
core/qsa_pool.sv
core/qsa_compute.sv
ctrl/qsa_check.sv
ctrl/qsa_ctrl.sv
ctrl/qsa_counters.sv
top/qsa_top.sv
