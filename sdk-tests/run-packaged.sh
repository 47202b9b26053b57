#!/usr/bin/env bash
# Runs the SDK suites as a user of the built packages would: no Rust, nothing from the
# checkout but the tests themselves.
#
#   sdk-tests/run-packaged.sh PKG_DIR      PKG_DIR as packaging/build.sh leaves it
#
# For each suite, a new folder outside the checkout gets the suite's pinned registry packages
# plus the built wheel or tarballs, and runs with a PATH that has no cargo or rustc:
#   python-10, python-5   pytest; the wheel's plugin starts the server (mfa_mock_server)
#   node-11, node-8       startMfaMock() from the npm package starts it for the suite
#   quickstart            a test that uses only the `mfa_mock` fixture / startMfaMock() and
#                         the official SDK (packaged/), with workos 10.x and @workos-inc/node 11.x
# Exits non-zero if any suite fails.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: sdk-tests/run-packaged.sh PKG_DIR" >&2
  exit 2
fi
pkg_dir="$(cd "$1" && pwd)"
sdk_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
wheel="$(ls "$pkg_dir"/mfa_mock-*.whl)"
tarballs=("$pkg_dir"/mfa-mock-*.tgz)

export PIP_CACHE_DIR="$sdk_dir/.cache/pip"
export PIP_DISABLE_PIP_VERSION_CHECK=1
export PYTHONDONTWRITEBYTECODE=1
export npm_config_cache="$sdk_dir/.cache/npm"
export npm_config_update_notifier=false
unset MFA_MOCK_URL MFA_MOCK_BINARY

# No Rust from here on: drop every PATH entry that holds cargo or rustc.
no_rust_path=""
IFS=: read -ra entries <<<"$PATH"
for entry in "${entries[@]}"; do
  [[ -x "$entry/cargo" || -x "$entry/rustc" ]] && continue
  no_rust_path="${no_rust_path:+$no_rust_path:}$entry"
done
export PATH="$no_rust_path"
if command -v cargo >/dev/null || command -v rustc >/dev/null; then
  echo "cargo or rustc is still on PATH" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python_suite() { # SUITE [TEST_DIR]
  local root="$work/$1" tests="${2:-$1}"
  mkdir -p "$root"
  cp -r "$sdk_dir/$1" "$sdk_dir/support" "$root/"
  [[ "$tests" == packaged ]] && cp -r "$sdk_dir/packaged" "$root/"
  python3 -m venv "$root/.venv" &&
    "$root/.venv/bin/pip" install --quiet --no-deps --require-virtualenv -r "$root/$1/requirements.txt" "$wheel" &&
    "$root/.venv/bin/pip" check &&
    (cd "$root" && PYTHONPATH="$root/support" "$root/.venv/bin/python" -m pytest \
      -p sdk_helpers -p no:cacheprovider --rootdir="$root" --verbose --tb=short -rfE "$root/$tests")
}

node_suite() { # SUITE [TEST_FILES...]
  local suite="$1" root="$work/$1"
  shift
  mkdir -p "$root"
  cp -r "$sdk_dir/$suite" "$sdk_dir/support" "$sdk_dir/packaged" "$root/"
  cp "$sdk_dir/$suite/package.json" "$sdk_dir/$suite/package-lock.json" "$sdk_dir/$suite/.npmrc" "$root/"
  (cd "$root" && npm ci --no-audit --no-fund --loglevel=error &&
    npm install --no-save --no-audit --no-fund --loglevel=error "${tarballs[@]}") || return 1
  if [[ $# -gt 0 ]]; then
    (cd "$root" && node --test --test-reporter=spec "$@")
  else
    (cd "$root" && node packaged/with-mfa-mock.mjs node --test --test-reporter=spec "$suite"/*.test.mjs)
  fi
}

passed=()
failed=()
run() { # NAME COMMAND...
  echo
  echo "== packaged: $1"
  local name="$1"
  shift
  if "$@"; then passed+=("$name"); else failed+=("$name"); fi
}

run python-10 python_suite python-10
run python-5 python_suite python-5
run python-quickstart python_suite python-10 packaged
run node-11 node_suite node-11
run node-8 node_suite node-8
run node-quickstart node_suite node-11 packaged/quickstart.test.mjs

echo
echo "== packaged suites passed: ${passed[*]:-none}; failed: ${failed[*]:-none}"
echo "packaged-suites: ${#passed[@]} passed, ${#failed[@]} failed"
[[ ${#failed[@]} -eq 0 ]]
