#!/usr/bin/env bash
# Opens the /_mock/ui inspector in headless Chromium against a freshly built mfa-mock.
#
#   ui-tests/run.sh                       every test
#   ui-tests/run.sh --test-name-pattern=SMS   only some (arguments go to `node --test`)
#
# Installs what it needs: Debian's chromium (apt-get, when /usr/bin/chromium is missing and
# we are root) and the pinned npm packages (npm ci into ui-tests/node_modules, again only when
# package-lock.json changes; npm's cache is kept in ui-tests/.cache/). The tests start the
# server themselves on port 0 and leave a screenshot of each view in ui-tests/artifacts/.
set -euo pipefail

ui_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(dirname "$ui_dir")"
export npm_config_cache="$ui_dir/.cache/npm"
export npm_config_update_notifier=false
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

if [[ ! -x "$CHROMIUM" ]]; then
  if [[ "$(id -u)" -ne 0 ]]; then
    echo "$CHROMIUM is missing; install Debian's chromium (apt-get install chromium) or set CHROMIUM" >&2
    exit 1
  fi
  echo "== installing chromium (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

if ! cmp -s "$ui_dir/package-lock.json" "$ui_dir/node_modules/installed-package-lock.json"; then
  # The lockfile must name no registry: npm fetches from the one it is configured with.
  if grep -nE '"resolved"|registry|https?://[^"]*\.tgz' "$ui_dir/package-lock.json"; then
    echo "ui-tests/package-lock.json names a registry or a download URL (see ui-tests/.npmrc)" >&2
    exit 1
  fi
  echo "== npm ci into ui-tests/node_modules"
  (cd "$ui_dir" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$ui_dir/package-lock.json" "$ui_dir/node_modules/installed-package-lock.json"
fi

echo "== building mfa-mock"
(cd "$repo_dir" && cargo build --quiet -p mfa-mock)
target_dir="${CARGO_TARGET_DIR:-target}"
[[ "$target_dir" == /* ]] || target_dir="$repo_dir/$target_dir"
export MFA_MOCK_BIN="$target_dir/debug/mfa-mock"

echo "== the inspector in $("$CHROMIUM" --version 2>/dev/null || echo chromium)"
cd "$ui_dir"
node --test --test-reporter=spec "$@" ./*.test.mjs
echo "== screenshots of each view: ui-tests/artifacts/"
