// The assembler and disassembler of the accelerator's programs (docs/assembly.md).
//
// Assembly is line-oriented: one instruction or directive per line, `#` or `;` starting a
// comment. An instruction is its mnemonic followed by `field=value` words in any order (omitted
// fields are 0, a 1-bit field may be written bare) and the bare token flags pop_prev, pop_next,
// push_prev, push_next. Directives set the DRAM size (.dram_size), the initial DRAM image (.data,
// .hex, .zero, .npy), the manifest's tensors (.input, .output) and layer ranges (.layer,
// .endlayer), the architecture the text is written for (.arch) and raw words (.word).
#pragma once

#include <string>
#include <string_view>

#include "model/isa/arch.h"
#include "model/isa/isa.h"
#include "model/isa/program.h"

namespace qsa::isa {

// Assembles `text` into a program for `arch` (its name and hash are recorded; an .arch directive
// in the text must name the same architecture). `source_path` names the text in error messages
// and locates .npy files (relative paths are relative to its folder). Throws qsa::Error
// "FILE:LINE:COL: message" at the first error.
Program Assemble(std::string_view text, const std::string& source_path,
                 const ArchConfig& arch = DefaultArchConfig());
// Reads and assembles the file at `path`.
Program AssembleFile(const std::string& path, const ArchConfig& arch = DefaultArchConfig());

// The text of a program: .arch, .dram_size, .input/.output, the instructions with every field in
// spec order (a word that CheckWord refuses as .word with the reason in a comment), .layer and
// .endlayer around layer ranges, and the DRAM image as .hex lines (zero runs skipped, a trailing
// zero run as .zero). Assembling it for the program's architecture gives the identical program.
std::string Disassemble(const Program& program);

// One instruction: "gemm act=0 act_outer=4 ... act_signed=0 pop_prev"; fields in spec order,
// then the token flags that are set. A word that does not decode is ".word 0x<32 hex digits>".
std::string DisassembleWord(const isa::Word& word);

}  // namespace qsa::isa
