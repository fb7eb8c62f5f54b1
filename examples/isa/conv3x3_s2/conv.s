# A 3x3, stride-2, pad-1 convolution with per-channel int8 weights, bias and a fused ReLU on the
# 8x8 array (model/isa/arch/8x8.json): uint8 x [1,12,8,8] (scale 0.02, zero point 128) to uint8
# y [1,8,4,4] (scale 0.0625, zero point 2). The same layer as a golden graph is model.json; the
# data files are made by scripts/make_isa_conv_example.py. One gemm per kernel tap and input
# channel block, accumulating into one accumulator row per output pixel; the input zero point is
# folded into the bias and fills the padding (docs/isa.md, "gemm").
#
# DRAM:        0x000 x, NHWC (8x8 pixels x 12 channels)
#              0x300 18 weight tiles of 8x8 int8 (tiles.npy): tile 2*(3*kh + kw) + kb
#              0x780 four parameter rows of 8 int32 (params.npy): bias, multiplier, shifts, format
#              0x800 y, NHWC (4x4 pixels x 8 channels)
# Scratchpad:  rows 0-99 channels 0-7 of the padded 10x10 input, rows 100-199 channels 8-11
#              rows 200-343 the weight tiles (8 rows each), rows 344-359 the output pixels
# Accumulator: rows 0-15, output pixel (oy, ox) in row 4*oy + ox
#
#   qsa asm examples/isa/conv3x3_s2/conv.s -o conv --arch model/isa/arch/8x8.json
#   qsa run conv --engine isa --arch model/isa/arch/8x8.json --input examples/isa/conv3x3_s2/input.npy --out isa_out
#   qsa run examples/isa/conv3x3_s2/model.json --input examples/isa/conv3x3_s2/input.npy --out golden_out

.arch 8x8
.dram_size 0x880
.input x 0x0 uint8 1,12,8,8 perm=0,2,3,1 scale=0.02 zero_point=128
.output y 0x800 uint8 1,8,4,4 perm=0,2,3,1 scale=0.0625 zero_point=2

.layer conv1
# The padded input, one channel block at a time: grid (y, x) of 10x10, row 1..8 / column 1..8
# inside, read from 0x0 + 96*(y-1) + 12*(x-1) (+8 for the second block); the rest is 128.
load.sp sram=0 dram=0x0 ny=10 nx=10 stride_y=96 stride_x=12 pad_top=1 pad_bottom=1 pad_left=1 pad_right=1 lanes=8 fill=128
load.sp sram=100 dram=0x8 ny=10 nx=10 stride_y=96 stride_x=12 pad_top=1 pad_bottom=1 pad_left=1 pad_right=1 lanes=4 fill=128
load.sp sram=200 dram=0x300 ny=18 nx=8 stride_y=64 stride_x=8 lanes=8     # weight tiles
load.param sram=0 dram=0x780 ny=4 nx=1 stride_y=32 lanes=8 push_next     # post parameters

# Tap (kh, kw) of block kb reads padded pixel (2*oy + kh, 2*ox + kw): act = 100*kb + 10*kh + kw,
# 20 rows (two padded rows) per output row, 2 rows per output column.
gemm act=0 act_outer=20 act_inner=2 acc=0 acc_outer=4 n_outer=4 n_inner=4 w=200 k_lanes=8 n_lanes=8 preload pop_prev    # tap (0,0), channels 0-7
gemm act=100 act_outer=20 act_inner=2 acc=0 acc_outer=4 n_outer=4 n_inner=4 w=208 k_lanes=4 n_lanes=8 preload accumulate  # tap (0,0), channels 8-11
gemm act=1 act_outer=20 act_inner=2 acc=0 acc_outer=4 n_outer=4 n_inner=4 w=216 k_lanes=8 n_lanes=8 preload accumulate  # tap (0,1), channels 0-7
gemm act=101 act_outer=20 act_inner=2 acc=0 acc_outer=4 n_outer=4 n_inner=4 w=224 k_lanes=4 n_lanes=8 preload accumulate  # tap (0,1), channels 8-11
gemm act=2 act_outer=20 act_inner=2 acc=0 acc_outer=4 n_outer=4 n_inner=4 w=232 k_lanes=8 n_lanes=8 preload accumulate  # tap (0,2), channels 0-7
gemm act=102 act_outer=20 act_inner=2 acc=0 acc_outer=4 n_outer=4 n_inner=4 w=240 k_lanes=4 n_lanes=8 preload accumulate  # tap (0,2), channels 8-11
gemm act=10 act_outer=20 act_inner=2 acc=0 acc_outer=4 n_outer=4 n_inner=4 w=248 k_lanes=8 n_lanes=8 preload accumulate  # tap (1,0), channels 0-7
gemm act=110 act_outer=20 act_inner=2 acc=0 acc_outer=4 n_outer=4 n_inner=4 w=256 k_lanes=4 n_lanes=8 preload accumulate  # tap (1,0), channels 8-11
gemm act=11 act_outer=20 act_inner=2 acc=0 acc_outer=4 n_outer=4 n_inner=4 w=264 k_lanes=8 n_lanes=8 preload accumulate  # tap (1,1), channels 0-7
gemm act=111 act_outer=20 act_inner=2 acc=0 acc_outer=4 n_outer=4 n_inner=4 w=272 k_lanes=4 n_lanes=8 preload accumulate  # tap (1,1), channels 8-11
gemm act=12 act_outer=20 act_inner=2 acc=0 acc_outer=4 n_outer=4 n_inner=4 w=280 k_lanes=8 n_lanes=8 preload accumulate  # tap (1,2), channels 0-7
gemm act=112 act_outer=20 act_inner=2 acc=0 acc_outer=4 n_outer=4 n_inner=4 w=288 k_lanes=4 n_lanes=8 preload accumulate  # tap (1,2), channels 8-11
gemm act=20 act_outer=20 act_inner=2 acc=0 acc_outer=4 n_outer=4 n_inner=4 w=296 k_lanes=8 n_lanes=8 preload accumulate  # tap (2,0), channels 0-7
gemm act=120 act_outer=20 act_inner=2 acc=0 acc_outer=4 n_outer=4 n_inner=4 w=304 k_lanes=4 n_lanes=8 preload accumulate  # tap (2,0), channels 8-11
gemm act=21 act_outer=20 act_inner=2 acc=0 acc_outer=4 n_outer=4 n_inner=4 w=312 k_lanes=8 n_lanes=8 preload accumulate  # tap (2,1), channels 0-7
gemm act=121 act_outer=20 act_inner=2 acc=0 acc_outer=4 n_outer=4 n_inner=4 w=320 k_lanes=4 n_lanes=8 preload accumulate  # tap (2,1), channels 8-11
gemm act=22 act_outer=20 act_inner=2 acc=0 acc_outer=4 n_outer=4 n_inner=4 w=328 k_lanes=8 n_lanes=8 preload accumulate  # tap (2,2), channels 0-7
gemm act=122 act_outer=20 act_inner=2 acc=0 acc_outer=4 n_outer=4 n_inner=4 w=336 k_lanes=4 n_lanes=8 preload accumulate  # tap (2,2), channels 8-11

post acc=0 n=16 dst=344 dst_stride=1 n_lanes=8 param=0 push_next         # bias, requantize, ReLU
store.sp sram=344 dram=0x800 ny=4 nx=4 stride_y=32 stride_x=8 lanes=8 pop_prev
.endlayer
finish

.npy 0x300 tiles.npy
.npy 0x780 params.npy
