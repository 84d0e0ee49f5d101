#!/usr/bin/env bash
# Fuzz every MemcgCore parser for a bounded time (see scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/fuzz.sh "${FUZZ_SECONDS:-30}"
