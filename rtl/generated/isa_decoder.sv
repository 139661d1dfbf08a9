// DO NOT EDIT, generated from isa_spec @ceea66c7c7f64378 by `genesys gen`.

module isa_decoder (
    input  logic [31:0]       word,
    output genesys_isa::row_t row
);
  assign row = genesys_isa::decode_row(word);
endmodule
