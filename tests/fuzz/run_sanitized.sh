#!/usr/bin/env bash
# Runs the test suite against an ASan+UBSan build of the core.
#
#   tests/fuzz/run_sanitized.sh [pytest args...]
#
# Configures and builds -DMETARUN_SANITIZE=ON in $METARUN_SANITIZE_BUILD (default
# build-sanitize/ in the repository), copies python/metarun to a temporary directory
# with the sanitized _core*.so and _protos.desc, and runs pytest (over tests/, the
# configured testpaths, unless arguments say otherwise) with the sanitizer runtimes
# preloaded into the interpreter.
# METARUN_SANITIZE_NO_BUILD=1 skips the configure and build steps.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${METARUN_SANITIZE_BUILD:-$repo/build-sanitize}"
python="${PYTHON:-python}"

if [[ "${METARUN_SANITIZE_NO_BUILD:-0}" != 1 ]]; then
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMETARUN_SANITIZE=ON \
        -Dpybind11_DIR="$("$python" -c 'import pybind11; print(pybind11.get_cmake_dir())')" >/dev/null
  ninja -C "$build" -j"${JOBS:-2}"
fi

pkg="$(mktemp -d "${TMPDIR:-/tmp}/metarun-sanitized.XXXXXX")"
trap 'rm -rf "$pkg"' EXIT
cp -r "$repo/python/metarun" "$pkg/metarun"
rm -f "$pkg"/metarun/_core*.so
cp "$build"/_core*.so "$build/_protos.desc" "$pkg/metarun/"

# The interpreter is not instrumented, so the runtimes must be loaded before anything
# else. Leak checking is off: CPython and numpy keep allocations alive until exit.
# PYTHONMALLOC=malloc routes Python objects through ASan's allocator too.
asan="$(gcc -print-file-name=libasan.so)"
ubsan="$(gcc -print-file-name=libubsan.so)"
cd "$repo"
env LD_PRELOAD="$asan $ubsan" \
    ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:allocator_may_return_null=1:${ASAN_OPTIONS_EXTRA:-}" \
    UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
    PYTHONMALLOC=malloc \
    PYTHONPATH="$pkg${PYTHONPATH:+:$PYTHONPATH}" \
    "$python" -m pytest -q -p no:cacheprovider "$@"
