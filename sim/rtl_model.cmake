# qsa_add_rtl_model(<target> PARAMS_FILE file SOURCE_DIR dir GENERATED_DIR dir OUTPUT_DIR dir
#                   [EXTRA_ARGS verilator-arg...])
# Verilates qsa_top (rtl/qsa.f after the generated ISA package) with the parameters of PARAMS_FILE
# (`qsa_archgen cmake ARCH.json`: QSA_RTL_TOP_PARAMS, QSA_RTL_DEFINES) and builds it with
# sim/rtl_shim.cc into OUTPUT_DIR/libqsa_rtl_model.so, a module the harness dlopens
# (sim/rtl_model_api.h). Needs find_package(verilator) first; runs Verilator at configure time,
# so the generated package must exist then. EXTRA_ARGS go to Verilator after the usual ones
# (the coverage models of scripts/rtl_coverage.sh: --coverage-line --coverage-toggle
# --coverage-user). Variables start from `--x-initial unique`: zero, as with `fast`, unless the
# run asks for a random initial state (QSA_RTL_RANDOM_INIT, sim/rtl_shim.cc).

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
  cmake_parse_arguments(M "" "PARAMS_FILE;SOURCE_DIR;GENERATED_DIR;OUTPUT_DIR" "EXTRA_ARGS" ${ARGN})
  foreach(p IN ITEMS PARAMS_FILE SOURCE_DIR GENERATED_DIR OUTPUT_DIR)
    if(NOT DEFINED M_${p})
      message(FATAL_ERROR "qsa_add_rtl_model(${target}): ${p} is missing")
    endif()
  endforeach()
  include(${M_PARAMS_FILE})
  set(top_params)
  foreach(p IN LISTS QSA_RTL_TOP_PARAMS)
    list(APPEND top_params -G${p})
  endforeach()
  qsa_rtl_sources(sources ${M_SOURCE_DIR} ${M_GENERATED_DIR})
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${M_SOURCE_DIR}/rtl/qsa.f
                                                                 ${M_PARAMS_FILE})

  add_library(${target} MODULE ${M_SOURCE_DIR}/sim/rtl_shim.cc)
  set_target_properties(${target} PROPERTIES OUTPUT_NAME qsa_rtl_model PREFIX lib
                        LIBRARY_OUTPUT_DIRECTORY ${M_OUTPUT_DIR} POSITION_INDEPENDENT_CODE ON
                        CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  target_include_directories(${target} PRIVATE ${M_SOURCE_DIR})
  target_compile_definitions(
    ${target} PRIVATE ${QSA_RTL_DEFINES}
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
    VERILATOR_ARGS --assert --x-assign fast --x-initial unique -O3 ${top_params} ${M_EXTRA_ARGS}
    OPT_FAST -O3
    OPT_SLOW -O1
    OPT_GLOBAL -O2)
  target_link_libraries(${target} PRIVATE ${CMAKE_DL_LIBS})
endfunction()
