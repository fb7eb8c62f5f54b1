#!/usr/bin/env bash
# Checks that an installed qsa works on its own:
#   scripts/install_check.sh SOURCE_DIR BUILD_DIR [--deb]
# installs BUILD_DIR into a temporary prefix, moves the prefix elsewhere (qsa must be
# relocatable), and from another directory, with SOURCE_DIR and BUILD_DIR hidden behind empty
# mounts in a private mount namespace (unshare), runs the installed qsa: an example on the golden,
# ISA and RTL engines, a hand-written program on the bundled 8x8 array, and the RTL engine on an
# architecture that is not bundled (verilated on first use from the installed sources into a
# fresh user cache). With --deb it also makes the Debian package with cpack and runs the same
# checks on its extracted contents. Needs unprivileged user namespaces (Debian's default); where
# `unshare -rm` is refused, the trees stay visible and the script says so.
set -euo pipefail

if (($# < 2)); then
  echo "usage: scripts/install_check.sh SOURCE_DIR BUILD_DIR [--deb]" >&2
  exit 2
fi
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
deb=${3:-}

tmp=$(mktemp -d /tmp/qsa-install-check.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

hide=(unshare -rm sh -c 'for d in "$1" "$2"; do
                           if [ -d "$d" ]; then mount -t tmpfs none "$d" || exit 97; fi
                         done
                         shift 2; exec "$@"' hide "$src" "$build")
if ! "${hide[@]}" true 2>/dev/null; then
  echo "install_check: unshare -rm is not permitted here; the source and build trees stay visible"
  hide=()
fi

# Runs the qsa below PREFIX from a scratch directory with the trees hidden.
check_prefix() {
  local prefix=$1 name=$2
  local qsa=$prefix/bin/qsa ex=$prefix/share/qsa/examples
  local work=$tmp/work-$name
  mkdir -p "$work" "$tmp/cache-$name"
  cd "$work"
  run() { env QSA_RTL_CACHE="$tmp/cache-$name" "${hide[@]}" "$@"; }

  echo "== [$name] qsa --version: $(run "$qsa" --version)"
  echo "== [$name] compare an ONNX example on golden, ISA and RTL (default array)"
  run "$qsa" compare "$ex/digits/digits_qdq.onnx" --input "$ex/digits/input.npy" \
    --engines golden,isa,rtl | tail -1
  echo "== [$name] a hand-written program on the bundled 8x8 array (.arch 8x8)"
  run "$qsa" compare "$ex/isa/conv3x3_s2" --engines golden,isa,rtl | tail -1
  echo "== [$name] the RTL engine on an architecture that is not bundled (verilated on first use)"
  cat > custom.json << 'EOF'
{
  "name": "custom-4x8",
  "array": {"rows": 4, "cols": 8},
  "memory": {"scratchpad_kib": 16, "accumulator_kib": 8, "param_rows": 64}
}
EOF
  run "$qsa" compare "$ex/digits/digits_qdq.onnx" --input "$ex/digits/input.npy" \
    --arch custom.json --engines golden,isa,rtl | tail -1
  if ! ls "$tmp/cache-$name"/*/libqsa_rtl_model.so > /dev/null 2>&1; then
    echo "install_check: the custom architecture was not verilated into the user cache" >&2
    exit 1
  fi
  echo "== [$name] qsa demo"
  run "$qsa" demo > demo.log 2>&1 || { tail -20 demo.log; exit 1; }
  tail -1 demo.log
  cd "$tmp"
}

echo "== installing $build into a temporary prefix"
cmake --install "$build" --prefix "$tmp/prefix" --strip > "$tmp/install.log"
mv "$tmp/prefix" "$tmp/moved"
check_prefix "$tmp/moved" prefix

if [ "$deb" = --deb ]; then
  echo "== cpack -G DEB"
  (cd "$build" && cpack -G DEB -B "$tmp/deb" > "$tmp/cpack.log") || {
    cat "$tmp/cpack.log"
    exit 1
  }
  package=$(ls "$tmp"/deb/*.deb)
  echo "   $(basename "$package"): $(dpkg-deb -f "$package" Depends)"
  dpkg-deb -x "$package" "$tmp/debroot"
  check_prefix "$tmp/debroot/usr" deb
fi
echo "install_check: the installed qsa works on its own"
