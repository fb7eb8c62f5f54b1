// Depth register stages: q_o is d_i of Depth cycles earlier; Depth 0 is a wire. Without Reset the
// stages hold data only (no reset); with Reset they clear to 0 on rst_ni (a bundle of valid
// flags and the fields that go with them). Each stage is its own generate block, so a simulator
// sees small independent registers rather than one wide shift register.
module qsa_delay #(
  parameter int unsigned Width = 1,
  parameter int unsigned Depth = 1,
  parameter bit Reset = 1'b0
) (
  input  logic             clk_i,
  input  logic             rst_ni,  // used only with Reset
  input  logic [Width-1:0] d_i,
  output logic [Width-1:0] q_o
);
  for (genvar k = 0; k < Depth; k++) begin : gen_stage
    logic [Width-1:0] stage_q, stage_d;
    if (k == 0) begin : gen_first
      assign stage_d = d_i;
    end else begin : gen_next
      assign stage_d = gen_stage[k-1].stage_q;
    end
    if (Reset) begin : gen_reset
      always_ff @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
          stage_q <= '0;
        end else begin
          stage_q <= stage_d;
        end
      end
    end else begin : gen_data
      always_ff @(posedge clk_i) begin
        stage_q <= stage_d;
      end
    end
  end
  if (!Reset || Depth == 0) begin : gen_no_reset
    logic rst_unused;
    assign rst_unused = rst_ni;
  end
  if (Depth == 0) begin : gen_direct
    logic clk_unused;
    assign clk_unused = clk_i;
    assign q_o = d_i;
  end else begin : gen_delayed
    assign q_o = gen_stage[Depth-1].stage_q;
  end
endmodule
