#!/usr/bin/env bash
# Builds the mfa-mock packages of this machine's platform from the checkout into OUT_DIR:
#
#   packaging/build.sh OUT_DIR
#
#   OUT_DIR/mfa_mock-<version>-py3-none-<platform>.whl   the binary + Python API + pytest plugin
#   OUT_DIR/mfa-mock-<version>.tgz                        the npm package (JS API, npx mfa-mock)
#   OUT_DIR/mfa-mock-<os>-<cpu>-<version>.tgz             the npm package with this platform's binary
#
# Needs Rust, Python 3 and Node/npm; maturin (and, for manylinux2014, ziglang) come from PyPI
# into a venv under the cargo target dir. The release binary is built with the same target dir
# as every other cargo command here, so a second run rebuilds nothing.
#
# MFA_MOCK_MANYLINUX2014=1 builds the wheel with zig for glibc 2.17 (manylinux2014), as the
# release workflow does; without it the wheel is tagged for this machine's glibc.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: packaging/build.sh OUT_DIR" >&2
  exit 2
fi
mkdir -p "$1"
out="$(cd "$1" && pwd)"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
[[ "$target_dir" == /* ]] || target_dir="$repo/$target_dir"
export CARGO_TARGET_DIR="$target_dir"
export PIP_DISABLE_PIP_VERSION_CHECK=1
export npm_config_update_notifier=false

# The npm packages carry the crate's version; a mismatch would publish a wrong pairing.
crate_version="$(cargo metadata --format-version 1 --no-deps --manifest-path "$repo/Cargo.toml" |
  python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "mfa-mock"))')"
npm_version="$(node -p 'require(process.argv[1]).version' "$repo/packaging/npm/mfa-mock/package.json")"
if [[ "$crate_version" != "$npm_version" ]]; then
  echo "packaging/npm/mfa-mock/package.json says $npm_version, the crate $crate_version: make them equal" >&2
  exit 1
fi

tools="$target_dir/packaging-tools"
want="maturin==1.16.0"
if [[ "${MFA_MOCK_MANYLINUX2014:-}" == 1 ]]; then want="$want ziglang==0.17.0"; fi
if [[ "$(cat "$tools/installed" 2>/dev/null)" != "$want" ]]; then
  echo "== installing $want into $tools"
  rm -rf "$tools"
  python3 -m venv "$tools"
  # shellcheck disable=SC2086
  "$tools/bin/pip" install --quiet $want
  echo "$want" >"$tools/installed"
fi

echo "== the Python wheel (maturin, release build)"
rm -f "$out"/mfa_mock-*.whl
maturin_args=(build --release --locked --out "$out")
if [[ "${MFA_MOCK_MANYLINUX2014:-}" == 1 ]]; then
  maturin_args+=(--zig --compatibility manylinux2014)
fi
(cd "$repo/packaging/python" && PATH="$tools/bin:$PATH" maturin "${maturin_args[@]}")
wheel="$(ls "$out"/mfa_mock-*.whl)"

echo "== the npm packages"
platform="$(node -p 'process.platform + "-" + process.arch')"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
# The binary the wheel carries, so both ecosystems ship the very same file.
python3 - "$wheel" "$stage/mfa-mock" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    name = next(n for n in wheel.namelist() if n.split("/")[-1] in ("mfa-mock", "mfa-mock.exe"))
    with wheel.open(name) as src, open(sys.argv[2], "wb") as dst:
        shutil.copyfileobj(src, dst)
PY
node "$repo/packaging/npm/platform/make-package.mjs" "$platform" "$stage/mfa-mock" "$stage/platform"
rm -f "$out"/mfa-mock-*.tgz
(cd "$stage/platform" && npm pack --silent --pack-destination "$out" >/dev/null)
(cd "$repo/packaging/npm/mfa-mock" && npm pack --silent --pack-destination "$out" >/dev/null)

echo "== built in $out:"
ls -l "$out"
