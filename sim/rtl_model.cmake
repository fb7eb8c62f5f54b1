# qsa_add_rtl_model(<target> ROWS r COLS c SP_ROWS s ACC_ROWS a PARAM_ROWS p SP_BANKS b
#                   ACC_BANKS b INSN_DEPTH q TOKEN_DEPTH t SOURCE_DIR dir GENERATED_DIR dir
#                   OUTPUT_DIR dir)
# Verilates qsa_top (rtl/qsa.f after the generated ISA package) with these parameters and builds
# it with sim/rtl_shim.cc into OUTPUT_DIR/libqsa_rtl_model.so, a module the harness dlopens
# (sim/rtl_model_api.h). Needs find_package(verilator) first; runs Verilator at configure time,
# so the generated package must exist then.

# The directory name of a configuration's library; sim/rtl_model_cache.cc computes the same.
function(qsa_rtl_model_key out rows cols sp_rows acc_rows param_rows sp_banks acc_banks insn_depth
         token_depth)
  set(${out} "r${rows}c${cols}s${sp_rows}a${acc_rows}p${param_rows}b${sp_banks}x${acc_banks}q${insn_depth}t${token_depth}"
      PARENT_SCOPE)
endfunction()

# The RTL sources of rtl/qsa.f (absolute), in order (the ISA package first).
function(qsa_rtl_sources out source_dir generated_dir)
  file(STRINGS ${source_dir}/rtl/qsa.f lines)
  set(sources)
  foreach(line IN LISTS lines)
    string(STRIP "${line}" line)
    if(line STREQUAL "" OR line MATCHES "^//" OR line MATCHES "^#")
      continue()
    endif()
    list(APPEND sources ${source_dir}/rtl/${line})
  endforeach()
  set(${out} ${sources} PARENT_SCOPE)
endfunction()

function(qsa_add_rtl_model target)
  set(params ROWS COLS SP_ROWS ACC_ROWS PARAM_ROWS SP_BANKS ACC_BANKS INSN_DEPTH TOKEN_DEPTH)
  cmake_parse_arguments(M "" "${params};SOURCE_DIR;GENERATED_DIR;OUTPUT_DIR" "" ${ARGN})
  foreach(p IN LISTS params ITEMS SOURCE_DIR GENERATED_DIR OUTPUT_DIR)
    if(NOT DEFINED M_${p})
      message(FATAL_ERROR "qsa_add_rtl_model(${target}): ${p} is missing")
    endif()
  endforeach()
  qsa_rtl_sources(sources ${M_SOURCE_DIR} ${M_GENERATED_DIR})
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${M_SOURCE_DIR}/rtl/qsa.f)

  add_library(${target} MODULE ${M_SOURCE_DIR}/sim/rtl_shim.cc)
  set_target_properties(${target} PROPERTIES OUTPUT_NAME qsa_rtl_model PREFIX lib
                        LIBRARY_OUTPUT_DIRECTORY ${M_OUTPUT_DIR} POSITION_INDEPENDENT_CODE ON
                        CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  target_include_directories(${target} PRIVATE ${M_SOURCE_DIR})
  target_compile_definitions(
    ${target} PRIVATE QSA_RTL_ROWS=${M_ROWS} QSA_RTL_COLS=${M_COLS} QSA_RTL_SP_ROWS=${M_SP_ROWS}
    QSA_RTL_ACC_ROWS=${M_ACC_ROWS} QSA_RTL_PARAM_ROWS=${M_PARAM_ROWS}
    QSA_RTL_SP_BANKS=${M_SP_BANKS} QSA_RTL_ACC_BANKS=${M_ACC_BANKS}
    QSA_RTL_INSN_DEPTH=${M_INSN_DEPTH} QSA_RTL_TOKEN_DEPTH=${M_TOKEN_DEPTH}
    # rtl_shim.cc replaces Verilator's handlers that would end the process.
    VL_USER_FINISH VL_USER_STOP VL_USER_FATAL)
  target_compile_features(${target} PRIVATE cxx_std_17)
  set(waivers)
  if(EXISTS ${M_SOURCE_DIR}/rtl/lint/qsa.vlt)
    set(waivers ${M_SOURCE_DIR}/rtl/lint/qsa.vlt)
  endif()
  verilate(${target}
    SOURCES ${waivers} ${sources}
    TOP_MODULE qsa_top
    PREFIX Vqsa_top
    TRACE_FST
    VERILATOR_ARGS --assert --x-assign fast --x-initial fast -O3
      -GArrayRows=${M_ROWS} -GArrayCols=${M_COLS} -GSpRows=${M_SP_ROWS} -GAccRows=${M_ACC_ROWS}
      -GParamRows=${M_PARAM_ROWS} -GSpBanks=${M_SP_BANKS} -GAccBanks=${M_ACC_BANKS}
      -GInsnDepth=${M_INSN_DEPTH} -GTokenDepth=${M_TOKEN_DEPTH}
    OPT_FAST -O3
    OPT_SLOW -O1
    OPT_GLOBAL -O2)
  target_link_libraries(${target} PRIVATE ${CMAKE_DL_LIBS})
endfunction()
