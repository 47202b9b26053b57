#!/usr/bin/env bash
# Runs the official WorkOS SDKs against a freshly started mfa-mock.
#
#   sdk-tests/run.sh                      every suite
#   sdk-tests/run.sh python-10 node-8     only these
#   MFA_MOCK_URL=http://127.0.0.1:4100 sdk-tests/run.sh   against a server already running
#
# Suites: python-10 and python-5 (PyPI `workos`), node-11 and node-8 (npm `@workos-inc/node`).
# Each installs its pinned packages into its own folder (.venv/ or node_modules/), and again
# only when its requirements.txt or package-lock.json changes; package caches are kept in
# sdk-tests/.cache/. Nothing is installed or cached outside sdk-tests/.
# Exits non-zero if any suite fails.
set -euo pipefail

sdk_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(dirname "$sdk_dir")"
all_suites=(python-10 python-5 node-11 node-8)

export PIP_CACHE_DIR="$sdk_dir/.cache/pip"
export PIP_DISABLE_PIP_VERSION_CHECK=1
export PYTHONDONTWRITEBYTECODE=1
export npm_config_cache="$sdk_dir/.cache/npm"
export npm_config_update_notifier=false

suites=("$@")
if [[ ${#suites[@]} -eq 0 ]]; then
  suites=("${all_suites[@]}")
fi
for suite in "${suites[@]}"; do
  if [[ " ${all_suites[*]} " != *" $suite "* ]]; then
    echo "unknown suite '$suite'; the suites are: ${all_suites[*]}" >&2
    exit 2
  fi
done

# --- installs -----------------------------------------------------------------------------
# Each step is chained with && : these functions run as `if` conditions, where set -e is off.

install_python() {
  local dir="$sdk_dir/$1"
  local venv="$dir/.venv"
  cmp -s "$dir/requirements.txt" "$venv/installed-requirements.txt" && return 0
  echo "-- $1: installing requirements.txt into $1/.venv"
  rm -rf "$venv" &&
    python3 -m venv "$venv" &&
    "$venv/bin/pip" install --quiet --no-deps --require-virtualenv -r "$dir/requirements.txt" &&
    "$venv/bin/pip" check &&
    cp "$dir/requirements.txt" "$venv/installed-requirements.txt"
}

install_node() {
  local dir="$sdk_dir/$1"
  cmp -s "$dir/package-lock.json" "$dir/node_modules/installed-package-lock.json" && return 0
  echo "-- $1: npm ci into $1/node_modules"
  # The lockfile must name no registry: npm fetches from the one it is configured with.
  if grep -nE '"resolved"|registry|https?://[^"]*\.tgz' "$dir/package-lock.json"; then
    echo "$1/package-lock.json names a registry or a download URL (see $1/.npmrc)" >&2
    return 1
  fi
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) &&
    cp "$dir/package-lock.json" "$dir/node_modules/installed-package-lock.json"
}

# --- the server ---------------------------------------------------------------------------

server_pid=""
server_dir=""
stop_server() {
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [[ -n "$server_dir" ]]; then rm -rf "$server_dir"; fi
}
trap stop_server EXIT

start_server() {
  echo "== building mfa-mock"
  (cd "$repo_dir" && cargo build --quiet -p mfa-mock)
  local target_dir="${CARGO_TARGET_DIR:-target}"
  [[ "$target_dir" == /* ]] || target_dir="$repo_dir/$target_dir"

  server_dir="$(mktemp -d)"
  "$target_dir/debug/mfa-mock" --port 0 >"$server_dir/stdout" 2>"$server_dir/stderr" &
  server_pid=$!
  # The first line of stdout is `mfa-mock listening on http://127.0.0.1:PORT`.
  local line=""
  for _ in $(seq 100); do
    line="$(head -n 1 "$server_dir/stdout")"
    [[ -n "$line" ]] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  MFA_MOCK_URL="$(grep -oE 'https?://[^ ]+' <<<"$line" || true)"
  if [[ -z "$MFA_MOCK_URL" ]]; then
    echo "mfa-mock did not print its URL; its output:" >&2
    cat "$server_dir/stdout" "$server_dir/stderr" >&2
    exit 1
  fi
  echo "== mfa-mock listening on $MFA_MOCK_URL"
}

if [[ -z "${MFA_MOCK_URL:-}" ]]; then
  start_server
fi
export MFA_MOCK_URL

# --- the suites ---------------------------------------------------------------------------

run_suite() {
  local dir="$sdk_dir/$1"
  case "$1" in
    python-*)
      install_python "$1" &&
        PYTHONPATH="$sdk_dir/support" "$dir/.venv/bin/python" -m pytest \
          -p sdk_helpers -p no:cacheprovider --rootdir="$sdk_dir" --verbose --tb=short -rfE "$dir"
      ;;
    node-*)
      install_node "$1" &&
        node --test --test-reporter=spec "$dir"/*.test.mjs
      ;;
  esac
}

passed=()
failed=()
for suite in "${suites[@]}"; do
  echo
  echo "== $suite"
  if run_suite "$suite"; then
    passed+=("$suite")
  else
    failed+=("$suite")
  fi
done

if [[ -n "$server_pid" ]] && ! kill -0 "$server_pid" 2>/dev/null; then
  server_status=0
  wait "$server_pid" || server_status=$?
  server_pid=""
  echo
  echo "== mfa-mock stopped during the run (exit status $server_status); the end of its log:" >&2
  tail -n 20 "$server_dir/stderr" >&2
fi

echo
echo "== SDK suites passed: ${passed[*]:-none}; failed: ${failed[*]:-none}"
echo "sdk-suites: ${#passed[@]} passed, ${#failed[@]} failed"
[[ ${#failed[@]} -eq 0 ]]
