#!/usr/bin/env bash
# Sets up a Debian 12 machine for qsa and then runs the demo or the test suite.
#
#   scripts/bootstrap.sh demo   install what is missing, build what the demo uses (the qsa tool,
#                               the verilated default and 8x8 arrays), run `qsa demo`
#   scripts/bootstrap.sh test   install what is missing, make the Python venv, build everything,
#                               run every test suite (then the unit tests again in a Release
#                               build and under ASan + UBSan)
#   scripts/bootstrap.sh venv   install what is missing, make the Python venv
#
# Installs Debian packages with apt-get (through sudo when not root); the test and venv commands
# also create a Python venv for the scripts in build/venv from scripts/requirements.txt. Nothing
# else is downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-demo}
case "$mode" in
  demo | test | venv) ;;
  *)
    echo "usage: scripts/bootstrap.sh demo|test|venv" >&2
    exit 2
    ;;
esac

# What the build needs (all the demo installs) ...
packages=(
  build-essential cmake ninja-build pkg-config git python3
  libeigen3-dev libgtest-dev libcli11-dev nlohmann-json3-dev
  libonnx-dev libprotobuf-dev protobuf-compiler
  libgemmlowp-dev zlib1g-dev libflatbuffers-dev flatbuffers-compiler
  verilator libsystemc-dev
)
# ... and what the test suite (ONNX's test vectors, benchmarks, synthesis, fuzzing) and the venv
# add.
if [ "$mode" != demo ]; then
  packages+=(python3-venv python3-pip libonnx-testdata libbenchmark-dev yosys)
  # clang with libFuzzer and the sanitizer runtimes: the fuzz preset (docs/robustness.md).
  packages+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "== installing: ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Python venv for scripts/ (example generation, plots); reinstalled when requirements change.
# The demo does not use it.
venv=build/venv
if [ "$mode" != demo ]; then
  if [ ! -f "$venv/.requirements" ] || ! cmp -s scripts/requirements.txt "$venv/.requirements"; then
    echo "== creating the Python venv in $venv"
    rm -rf "$venv"
    mkdir -p build
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r scripts/requirements.txt
    cp scripts/requirements.txt "$venv/.requirements"
  fi
fi

if [ "$mode" = venv ]; then
  exit 0
fi

jobs=$(nproc)
cmake --preset default >/dev/null
if [ "$mode" = demo ]; then
  # The demo runs on the default array and on the 8x8 one (examples/isa/conv3x3_s2); any other
  # configuration is verilated on first use (sim/README.md).
  echo "== building the qsa tool and the RTL models of the demo (build/)"
  cmake --build --preset default -j "$jobs" --target qsa qsa_rtl_model_default qsa_rtl_model_8x8
  echo "== qsa demo"
  exec build/tools/qsa demo
fi

echo "== building (build/)"
cmake --build --preset default -j "$jobs"

echo "== tests (build/)"
ctest --preset default -j "$jobs"

echo "== Release build (build-release/: -O3, without the RTL models) and its unit tests"
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs"
ctest --preset release-unit -j "$jobs"

echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/)"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$jobs"
ctest --preset asan-unit -j "$jobs"
