# `cmake --install BUILD --prefix DIR` and `cpack -G DEB`: the qsa tool (tools/CMakeLists.txt)
# and what it reads at run time, in the layout of model/base/install_layout.h:
#   bin/qsa
#   share/qsa/arch/*.json            the bundled architectures (`--arch NAME`, `.arch NAME`)
#   share/qsa/energy/default.json    the built-in energy table, a template for `--energy FILE`
#   share/qsa/rtl/                   the RTL sources, rtl/qsa.f and the lint waivers
#   share/qsa/generated/rtl/         the generated ISA package
#   share/qsa/sim/                   the project that verilates a new architecture on first use
#   share/qsa/examples/              what `qsa demo` runs
#   lib/qsa/rtl_models/<key>/        the verilated models of the bundled architectures
#   share/doc/qsa/                   README and docs/
# Nothing in the installed files names the source or build tree.

install(DIRECTORY ${QSA_ARCH_DIR}/ DESTINATION ${QSA_INSTALL_DATADIR}/arch
        FILES_MATCHING PATTERN "*.json")
install(FILES ${PROJECT_SOURCE_DIR}/compiler/estimate/energy/default.json
        DESTINATION ${QSA_INSTALL_DATADIR}/energy)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/rtl/ DESTINATION ${QSA_INSTALL_DATADIR}/rtl
        FILES_MATCHING PATTERN "*.sv" PATTERN "*.f" PATTERN "*.vlt" PATTERN "README.md")
install(FILES ${QSA_GENERATED_DIR}/rtl/qsa_isa_pkg.sv
        DESTINATION ${QSA_INSTALL_DATADIR}/generated/rtl)
install(FILES ${PROJECT_SOURCE_DIR}/sim/rtl_model.cmake ${PROJECT_SOURCE_DIR}/sim/rtl_shim.cc
              ${PROJECT_SOURCE_DIR}/sim/rtl_model_api.h
        DESTINATION ${QSA_INSTALL_DATADIR}/sim)
install(FILES ${PROJECT_SOURCE_DIR}/sim/rtl_model/CMakeLists.txt
        DESTINATION ${QSA_INSTALL_DATADIR}/sim/rtl_model)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/ DESTINATION ${QSA_INSTALL_DATADIR}/examples
        PATTERN "__pycache__" EXCLUDE)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/LICENSE
        DESTINATION ${CMAKE_INSTALL_DOCDIR} OPTIONAL)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The model libraries the build verilated (sim/CMakeLists.txt), found when installing: their
# folder names (the model keys) are known only after qsa_archgen ran.
if(QSA_BUILD_RTL)
  install(CODE "
    file(GLOB qsa_models \"${QSA_RTL_MODEL_DIR}/*/libqsa_rtl_model.so\")
    foreach(model IN LISTS qsa_models)
      get_filename_component(dir \${model} DIRECTORY)
      get_filename_component(key \${dir} NAME)
      file(INSTALL \${model} DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${QSA_INSTALL_MODELDIR}/\${key}\"
           USE_SOURCE_PERMISSIONS)
    endforeach()")
endif()

# Debian package: `cpack -G DEB` in the build tree (after building qsa and the models).
set(CPACK_PACKAGE_NAME qsa)
set(CPACK_PACKAGE_VENDOR "qsa")
set(CPACK_PACKAGE_CONTACT "qsa maintainers <qsa@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "quantized neural-network accelerator toolkit: compiler, golden model, ISA and RTL simulation")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)
# A new architecture is verilated on first use: that needs Verilator, CMake, Ninja and a compiler.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "verilator, cmake, ninja-build, g++")
include(CPack)
