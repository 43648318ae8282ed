# Shared helpers for the README's commands. Sourced, not run.
set -euo pipefail

KVLAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KVLAB_PACKAGES=(g++ clang-14 clang-format-14 libclang-rt-14-dev cmake ninja-build ccache pkg-config
  libboost-context-dev libabsl-dev libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev
  nlohmann-json3-dev libtomlplusplus-dev libxxhash-dev libjemalloc-dev redis-server redis-tools python3-redis
  gnuplot-nox)
# Only the tests need these (scripts/test): headless Chromium opens the counterexample viewer
# (about 1 min and 80 MB to install on this machine); Slurm and munge run a sweep as an array job
# (scripts/check-slurm; about 25 s to install).
KVLAB_TEST_PACKAGES=(chromium slurm-wlm munge)

# Installs only the Debian packages that are missing; idempotent, quiet when nothing is missing.
# Usage: kvlab_install_deps [test]  (with "test": the test-only packages too).
kvlab_install_deps() {
  local missing=() wanted=("${KVLAB_PACKAGES[@]}")
  [ "${1:-}" = test ] && wanted+=("${KVLAB_TEST_PACKAGES[@]}")
  for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "kvlab: installing missing packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# ccache: paths relative to the checkout, so a fresh clone in another folder reuses the cache.
export CCACHE_BASEDIR="$KVLAB_ROOT" CCACHE_NOHASHDIR=1

# kvlab_build DIR TARGET [cmake args...]: configures DIR with the given options (cheap when
# nothing changed) and builds TARGET ("all" for everything) with Ninja.
kvlab_build() {
  local dir=$1 target=$2
  shift 2
  cmake -S "$KVLAB_ROOT" -B "$dir" -G Ninja "$@" >/dev/null
  cmake --build "$dir" --target "$target" -j "$(nproc)"
}
