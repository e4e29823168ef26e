#!/usr/bin/env bash
# Mutation testing (cargo-mutants) of the code that decides verdicts: the
# strict codec, the wire structures, validation, the labeled operations,
# last resort and extension handling, the shared key policies, and each
# backend's signature and HPKE code. docs/TESTING.md has the results.
#
#   scripts/mutants.sh              every file below (hours on 2 cores)
#   scripts/mutants.sh FILE...      only these files (each must be listed)
#   scripts/mutants.sh --check      each listed file exists (CI runs this)
#
# Results go to mutants.out/<file>/ (caught.txt, missed.txt, ...).
# CARGO_TARGET_DIR is honoured; keep one for mutation runs, so that each
# file's run starts from a warm build.
set -euo pipefail
cd "$(dirname "$0")/.."

# file | the packages whose tests judge it [| features of the mutated
# package to turn on: backend-rustcrypto's X448 and Ed448 exist only with
# its x448 feature. cargo-mutants builds the unmutated tree with the
# mutated package alone, so only that package's features can be named.]
FILES=(
  "keypackage-traits/src/codec.rs|keypackage-traits,keypackage-core"
  "keypackage-traits/src/codepoints.rs|keypackage-traits,keypackage-core,interop-tests"
  "keypackage-core/src/key_package.rs|keypackage-core,interop-tests"
  "keypackage-core/src/leaf_node.rs|keypackage-core,interop-tests"
  "keypackage-core/src/credential.rs|keypackage-core,interop-tests"
  "keypackage-core/src/extensions.rs|keypackage-core,interop-tests"
  "keypackage-core/src/message.rs|keypackage-core,interop-tests"
  "keypackage-core/src/lifetime.rs|keypackage-core,interop-tests"
  "keypackage-core/src/last_resort.rs|keypackage-core,interop-tests"
  "keypackage-core/src/labeled.rs|keypackage-core,interop-tests"
  "keypackage-core/src/rules.rs|keypackage-core,interop-tests"
  "keypackage-core/src/validate/checks.rs|keypackage-core,interop-tests"
  "keypackage-core/src/validate/mod.rs|keypackage-core,interop-tests"
  "keypackage-core/src/validate/context.rs|keypackage-core,interop-tests"
  "keypackage-core/src/validate/error.rs|keypackage-core,interop-tests"
  "backend-common/src/ed25519.rs|backend-common,backend-rustcrypto,backend-ring,interop-tests"
  "backend-common/src/ed448.rs|backend-common,backend-rustcrypto"
  "backend-common/src/montgomery.rs|backend-common,backend-rustcrypto,backend-ring"
  "backend-common/src/kem.rs|backend-common,backend-rustcrypto,backend-ring"
  "backend-common/src/hpke.rs|backend-common,backend-rustcrypto,backend-ring"
  "backend-rustcrypto/src/signature.rs|backend-rustcrypto,interop-tests|backend-rustcrypto/x448"
  "backend-rustcrypto/src/dh.rs|backend-rustcrypto|backend-rustcrypto/x448"
  "backend-ring/src/signature.rs|backend-ring,interop-tests"
  "backend-ring/src/dh.rs|backend-ring"
)

listed() {
  local entry
  for entry in "${FILES[@]}"; do [ "${entry%%|*}" = "$1" ] && { echo "${entry#*|}"; return 0; }; done
  return 1
}

if [ "${1:-}" = "--check" ]; then
  missing=0
  for entry in "${FILES[@]}"; do
    file="${entry%%|*}"
    [ -f "$file" ] || { echo "scripts/mutants.sh lists $file, which does not exist"; missing=1; }
  done
  [ "$missing" = 0 ] && echo "scripts/mutants.sh: all ${#FILES[@]} listed files exist"
  exit "$missing"
fi

command -v cargo-mutants >/dev/null 2>&1 || cargo install cargo-mutants --locked

if [ "$#" -gt 0 ]; then
  selected=("$@")
else
  selected=()
  for entry in "${FILES[@]}"; do selected+=("${entry%%|*}"); done
fi

for file in "${selected[@]}"; do
  spec="$(listed "$file")" || { echo "not in the list: $file"; exit 2; }
  packages="${spec%%|*}"
  features=""
  [ "$spec" != "$packages" ] && features="${spec#*|}"
  out="mutants.out/$(echo "$file" | tr / _)"
  mkdir -p "$out"
  echo "== $file (tests: $packages${features:+; features: $features})"
  # One --test-package per package of the list.
  test_args=()
  IFS=, read -r -a names <<<"$packages"
  for name in "${names[@]}"; do test_args+=(--test-package "$name"); done
  [ -n "$features" ] && test_args+=(--features "$features")
  # Debug info off: linking test binaries is most of each mutant's cost.
  # A test run counts as hung only after 3x the unmutated run, and never
  # before 60 s, so that a loaded machine does not turn a slow pass into a
  # "timeout".
  CARGO_PROFILE_DEV_DEBUG=0 cargo mutants --no-shuffle -j 1 --file "$file" \
    "${test_args[@]}" --timeout-multiplier 3 --minimum-test-timeout 60 \
    -o "$out" || true
  for kind in caught missed unviable timeout; do
    printf '   %-9s %s\n' "$kind" "$(wc -l <"$out/mutants.out/$kind.txt" 2>/dev/null || echo 0)"
  done
done
