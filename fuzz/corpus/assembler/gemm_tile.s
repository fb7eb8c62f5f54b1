# One GEMM tile on the default 16x16 array: a 1x1 convolution of a uint8 [1,16,4,4] input
# (scale 0.02, zero point 128) with 16 int8 filters (per-channel scales), an int32 bias and
# per-channel requantization to a uint8 output (scale 0.05, zero point 128).
#
# DRAM: 0x000 input, NHWC (16 pixels x 16 channels); 0x100 weight tile (row c = filter c's 16
# weights); 0x200 four parameter rows (bias, multiplier, shifts, output format); 0x300 output.
# Scratchpad: rows 0-15 input pixels, 16-31 weight tile, 32-47 output pixels.
# Accumulator: rows 0-15, one per output pixel.
# The input zero point is folded into the bias: bias'[c] = bias[c] - 128 * sum(w[c]).
#
# gemm_tile_input.npy is an input and gemm_tile_expected.npy the output the golden model gives for
# the same convolution (a Conv with these weights, the unfolded bias and these scales).
# Syntax: docs/assembly.md; semantics: docs/isa.md.

.dram_size 0x400
.input x 0x0 uint8 1,16,4,4 perm=0,2,3,1 scale=0.02 zero_point=128
.output y 0x300 uint8 1,16,4,4 perm=0,2,3,1 scale=0.05 zero_point=128

.layer conv1x1
load.sp sram=0 dram=0x0 ny=1 nx=16 stride_x=16 lanes=16 fill=128          # input pixels
load.sp sram=16 dram=0x100 ny=1 nx=16 stride_x=16 lanes=16                # weight tile
load.param sram=0 dram=0x200 ny=1 nx=4 stride_x=64 lanes=16 push_next     # parameters
gemm act=0 act_outer=4 act_inner=1 acc=0 acc_outer=4 n_outer=4 n_inner=4 w=16 k_lanes=16 n_lanes=16 preload pop_prev
post acc=0 n=16 dst=32 dst_stride=1 n_lanes=16 param=0 push_next
store.sp sram=32 dram=0x300 ny=1 nx=16 stride_x=16 lanes=16 pop_prev
.endlayer
finish

# Weight tile: filter c (output channel c) at 0x100 + 16*c, int8.
.data 0x100 i8    2   47   99   82   86  -98   21   76  -82  -35  -47  -62   -3   15  -87   94
.data 0x110 i8  -27   38   24   -2   50   76  -33  -30  -74   81   13   44    0   86  -27  -51
.data 0x120 i8  -63  -64   91  -18  -55  -99   -2   66   79   81   32   84   52    8  -70  -78
.data 0x130 i8  -48    6  -34  -23    1  -47   84  -98   93   39  -11   76  -76   80  -64    6
.data 0x140 i8   30    1   18   15   88   33   74   69  -87  -14  -55  -83    1   53   27   99
.data 0x150 i8   56  -93  -19   40   48   57  -67  -57    5  -16   85   17  -52   56    6    8
.data 0x160 i8   41   44  -90   -3  -28   98    1   83   22   86  -82  -88   67  -83   24   37
.data 0x170 i8  -71   60   -4  -28  -63   34   28  -40   18  -74   56   41   20  -78  -67  -89
.data 0x180 i8  -82  -96   32  -54  -23  -61  -66   11   39  -36  -66  -43   53  -56  -41  -10
.data 0x190 i8  -71  -29  -17   37   39    6   63   36   62  -24  -73  -77   -8  -41   15   33
.data 0x1a0 i8  -57   12   96   48  -93  -17  -22   39   18  -77  -65  -13   -8   93   20   44
.data 0x1b0 i8   96  -81  -11  -12   27  -47  -67    9   68  -67   35  -89    8   86   91  -68
.data 0x1c0 i8  -92   20  -71   68   56   12  -24   44  -13  -88   18   29  -29  -34  -88  -35
.data 0x1d0 i8  -53  -70  -25   78  -93  -20  -43  -63   -1   65   -6   51  -82    1   20  -20
.data 0x1e0 i8  -48   93   33  -26   15   90  -66    1  -93   58   -4   89 -100   60   94   34
.data 0x1f0 i8    8   41   30  -98  -35  -41  -54  -51   -1  -87    2    2   -9   54   41   81

# Parameter row 0: folded bias (int32).
.data 0x200 i32 -12970 -23352 -3754 3553 -34162 -9601 -15466 33087 63781 5560 -2517 3822 27276 31508 -28558 14465
# Parameter row 1: fixed-point multipliers.
.data 0x240 i32 1112705699 1183074465 1271035345 1235851013 1882363834 1134695996 1218258796 1255642270 1851577480 1196268602 1218258796 2009907125 1882363834 1543714246 1600888875 1301821699
# Parameter row 2: shifts, lsh | rsh << 8 (a right shift of [8, 9]).
.data 0x280 i32 2304 2048 2048 2048 2304 2304 2304 2048 2304 2304 2048 2304 2304 2304 2304 2304
# Parameter row 3: output format, zp | qmin << 8 | qmax << 16 | signed << 24 (128, 0, 255, uint8).
.data 0x2c0 i32 0x00ff0080 0x00ff0080 0x00ff0080 0x00ff0080 0x00ff0080 0x00ff0080 0x00ff0080 0x00ff0080 0x00ff0080 0x00ff0080 0x00ff0080 0x00ff0080 0x00ff0080 0x00ff0080 0x00ff0080 0x00ff0080
