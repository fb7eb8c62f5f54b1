// The grid walk of a DMA instruction (load.*, store.*): the elements (y, x) of an ny x nx grid
// in row-major order, and the DRAM address of each, dram + y*stride_y + x*stride_x.
//
// start_i begins a walk at (0, 0) and registers the grid's fields. Each step_i moves to the next
// element; within a row it adds stride_x to the address when x_add_i is high, and at the end of
// a row it adds stride_y to the row's address when y_add_i is high and goes back to that address.
// (qsa_load walks padding elements without moving the address; qsa_store always moves it.)
// active_o falls with the step from the last element.
module qsa_dma_walk (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        start_i,
  input  logic [31:0] dram_i,
  input  logic [7:0]  ny_i,
  input  logic [7:0]  nx_i,
  input  logic [31:0] stride_y_i,
  input  logic [31:0] stride_x_i,
  input  logic        step_i,
  input  logic        x_add_i,
  input  logic        y_add_i,
  output logic        active_o,  // elements left to walk
  output logic [7:0]  y_o,
  output logic [7:0]  x_o,
  output logic        last_o,    // (y, x) is the last element
  output logic [31:0] addr_o     // DRAM address of element (y, x)
);
  // The grid's fields (registered at start) and the position in it.
  typedef struct packed {
    logic [7:0]  ny;
    logic [7:0]  nx;
    logic [31:0] stride_y;
    logic [31:0] stride_x;
    logic        active;
    logic [7:0]  y;
    logic [7:0]  x;
    logic [31:0] y_addr;  // DRAM address of the row's first element
    logic [31:0] addr;
  } walk_t;
  walk_t walk_q, walk_d;

  assign last_o = (walk_q.y == walk_q.ny - 8'd1) && (walk_q.x == walk_q.nx - 8'd1);

  always_comb begin
    walk_d = walk_q;
    if (start_i) begin
      walk_d.ny = ny_i;
      walk_d.nx = nx_i;
      walk_d.stride_y = stride_y_i;
      walk_d.stride_x = stride_x_i;
      walk_d.active = 1'b1;
      walk_d.y = 8'd0;
      walk_d.x = 8'd0;
      walk_d.y_addr = dram_i;
      walk_d.addr = dram_i;
    end else if (step_i) begin
      if (walk_q.x == walk_q.nx - 8'd1) begin
        walk_d.x = 8'd0;
        walk_d.y = walk_q.y + 8'd1;
        if (y_add_i) walk_d.y_addr = walk_q.y_addr + walk_q.stride_y;
        walk_d.addr = walk_d.y_addr;
        if (last_o) walk_d.active = 1'b0;
      end else begin
        walk_d.x = walk_q.x + 8'd1;
        if (x_add_i) walk_d.addr = walk_q.addr + walk_q.stride_x;
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      walk_q <= '0;
    end else begin
      walk_q <= walk_d;
    end
  end

  assign active_o = walk_q.active;
  assign y_o = walk_q.y;
  assign x_o = walk_q.x;
  assign addr_o = walk_q.addr;
endmodule
