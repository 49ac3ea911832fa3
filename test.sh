#!/usr/bin/env bash
# Installs what the tests need (idempotent: skips what is already there) and runs every test.
# Usage: ./test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Ring]
set -euo pipefail
cd "$(dirname "$0")"

log() { printf '==> %s\n' "$*"; }

# --- Debian packages: Python and its websockets/protobuf for the interop clients; Chromium for the
#     dashboard's browser tests; redis-server for the scale-out tests and nginx for the test of the nginx front
#     (they start their own on a free port; the packages' services are not used). ---
apt_packages=(python3 python3-websockets python3-protobuf chromium redis-server nginx)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- npm packages for the Node interop client (tests/interop/node). ---
if [ -f tests/interop/node/package.json ] && [ ! -d tests/interop/node/node_modules/ws ]; then
  log "installing npm packages for tests/interop/node"
  (cd tests/interop/node && npm ci --no-audit --no-fund --loglevel=error)
fi

# --- npm packages for the Node baseline the load-tool tests start (bench/node-baseline: ws, protobufjs). ---
if [ -f bench/node-baseline/package.json ] && [ ! -d bench/node-baseline/node_modules/ws ]; then
  log "installing npm packages for bench/node-baseline"
  (cd bench/node-baseline && npm ci --no-audit --no-fund --loglevel=error)
fi

# --- npm packages for the dashboard's browser tests (tests/browser: playwright-core drives Debian's chromium). ---
if [ -f tests/browser/package.json ] && [ ! -d tests/browser/node_modules/playwright-core ]; then
  log "installing npm packages for tests/browser"
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi

# --- Build once, warnings as errors, then run the tests. ---
log "building"
dotnet build PriceFeed.sln -c Release -nologo -clp:ErrorsOnly

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT
log "running tests"
set +e
dotnet test tests/PriceFeed.Tests/PriceFeed.Tests.csproj -c Release --no-build -nologo \
  --blame-hang-timeout 8m --blame-hang-dump-type none --logger "trx;LogFileName=tests.trx" --results-directory "$results" "$@"
status=$?
set -e

# One closing line a CI reader understands: 'N passed, N failed, N skipped'.
trx="$results/tests.trx"
if [ -f "$trx" ]; then
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  get() { printf '%s' "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  passed=$(get passed); failed=$(get failed); total=$(get total); executed=$(get executed)
  skipped=$(( total - executed ))
  echo "tests: ${passed:-0} passed, ${failed:-0} failed, ${skipped} skipped"
fi
exit "$status"
