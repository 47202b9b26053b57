#!/usr/bin/env bash
# Builds the release mfa-mock at REF (default HEAD) and once more per patch in
# variants/ (each patch alone on top of REF), then counts instructions per
# request for all of them with measure.sh. Each patch swaps one hand-made
# optimisation for the plain crate call, so the difference to REF is what that
# optimisation pays.
#
#   crates/mfa-load/callgrind/variants.sh [REF] [PATCH...]
#
# Builds go to $CARGO_TARGET_DIR (default target/) from a scratch worktree.
# The patches apply to 50bfde5, where all four optimisations were still in:
#   crates/mfa-load/callgrind/variants.sh 50bfde5
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(git -C "$here" rev-parse --show-toplevel)
ref=${1:-HEAD}
shift || true
patches=("$@")
if [[ ${#patches[@]} -eq 0 ]]; then patches=("$here"/variants/*.patch); fi
target=${CARGO_TARGET_DIR:-$repo/target}
bins="$target/callgrind-variants"
scratch=$(mktemp -d)
cleanup() { git -C "$repo" worktree remove --force "$scratch/tree" >/dev/null 2>&1 || true; rm -rf "$scratch"; }
trap cleanup EXIT

git -C "$repo" worktree add --detach "$scratch/tree" "$ref" >/dev/null 2>&1
mkdir -p "$bins"
build() {
    (cd "$scratch/tree" && CARGO_TARGET_DIR="$target" cargo build --release -q -p mfa-mock)
    cp "$target/release/mfa-mock" "$bins/$1"
}
build base
specs=("base=$bins/base")
for patch in "${patches[@]}"; do
    name=$(basename "$patch" .patch)
    git -C "$scratch/tree" checkout -q -- .
    git -C "$scratch/tree" apply "$patch"
    build "$name"
    specs+=("$name=$bins/$name")
done
git -C "$scratch/tree" checkout -q -- .

"$here/measure.sh" "${specs[@]}" | tee "$scratch/table"
# Each variant against the base: positive means the plain call costs more.
awk 'NR == 2 { g = $2; f = $4 }
     NR > 2 { printf "%-28s get %+6.1f%%   flow %+6.1f%%\n", $1, 100 * ($2 - g) / g, 100 * ($4 - f) / f }' "$scratch/table"
