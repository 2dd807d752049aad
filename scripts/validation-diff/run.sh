#!/usr/bin/env bash
# Differential check of src/api/validation against Cinder's own validator semantics: random request
# bodies are validated by our engine (test/tools/validation-diff/gen.ts) and by a re-statement of Cinder's _SchemaValidator on
# Debian's python3-jsonschema 4.10 (check.py); every message must be identical.
# Usage: scripts/validation-diff/run.sh [SEED]     needs: apt-get install -y python3-jsonschema
set -euo pipefail
cd "$(dirname "$0")/../.."
seed="${1:-7}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
npx tsc --outDir "$out/js" --rootDir . --module commonjs --target ES2022 --esModuleInterop --skipLibCheck \
  --experimentalDecorators --emitDecoratorMetadata --types node test/tools/validation-diff/gen.ts
NODE_PATH="$PWD/node_modules" SEED="$seed" node "$out/js/test/tools/validation-diff/gen.js" "$out/cases.json"
python3 scripts/validation-diff/check.py "$out/cases.json"
