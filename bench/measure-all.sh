#!/usr/bin/env bash
# Runs every load scenario against ours, the Kestrel baseline and the Node ws baseline, as docs/performance.md reports them:
# server pinned to CPU 0, load tool to CPU 1, interleaved repetitions. Results (JSON, PNG) go to
# results/ (or $1). Usage: bench/measure-all.sh [results-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-results}"
mkdir -p "$out"

dotnet build PriceFeed.sln -c Release -nologo -clp:ErrorsOnly
# The Node baseline's ws and protobufjs, exactly as locked.
if [ ! -d bench/node-baseline/node_modules ]; then
  (cd bench/node-baseline && npm ci --no-audit --no-fund)
fi
tool=(dotnet bench/PriceFeed.LoadTest/bin/Release/net10.0/PriceFeed.LoadTest.dll --target ours,baseline,node --server-cpus 0 --client-cpus 1 --out "$out")

for scenario in fanout latency slow all; do
  "${tool[@]}" --scenario "$scenario" --duration 10 --warmup 3 --repetitions 3 | tee "$out/$scenario.txt"
done
# 10,000 connections take most of a minute per run to open and settle: two repetitions.
"${tool[@]}" --scenario connections --duration 10 --warmup 3 --repetitions 2 | tee "$out/connections.txt"
# A ladder of rates per target: one repetition of short steps.
"${tool[@]}" --scenario max --duration 5 --warmup 2 --repetitions 1 | tee "$out/max.txt"
