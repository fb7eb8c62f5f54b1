#!/usr/bin/env bash
# Sets up a Debian 12 machine for qsa and then runs the demo or the test suite.
#
#   scripts/bootstrap.sh demo   install what is missing, build, run `qsa demo`
#   scripts/bootstrap.sh test   install what is missing, build, run every test suite
#                               (then the unit tests again under ASan + UBSan)
#
# Installs Debian packages with apt-get (through sudo when not root) and creates a Python venv
# for the scripts in build/venv. Nothing else is downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-demo}
case "$mode" in
  demo | test) ;;
  *)
    echo "usage: scripts/bootstrap.sh demo|test" >&2
    exit 2
    ;;
esac

packages=(
  build-essential cmake ninja-build pkg-config git
  python3 python3-venv python3-pip
  libeigen3-dev libgtest-dev libcli11-dev nlohmann-json3-dev
  libonnx-dev libprotobuf-dev protobuf-compiler
  libgemmlowp-dev libonnx-testdata libbenchmark-dev zlib1g-dev
  verilator yosys
)

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
venv=build/venv
if [ ! -f "$venv/.requirements" ] || ! cmp -s scripts/requirements.txt "$venv/.requirements"; then
  echo "== creating the Python venv in $venv"
  rm -rf "$venv"
  mkdir -p build
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r scripts/requirements.txt
  cp scripts/requirements.txt "$venv/.requirements"
fi

jobs=$(nproc)
echo "== building (build/)"
cmake --preset default >/dev/null
cmake --build --preset default -j "$jobs"

if [ "$mode" = demo ]; then
  echo "== qsa demo"
  exec build/tools/qsa demo
fi

echo "== tests (build/)"
ctest --preset default -j "$jobs"

echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/)"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$jobs"
ctest --preset asan-unit -j "$jobs"
