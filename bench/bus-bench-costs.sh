#!/usr/bin/env bash
# The costs under bench/bus-bench.sh's CPU figures, measured more directly (docs/scale-out.md, "Lossless bus"):
# Redis's own time per command (INFO commandstats) at 10,000 quotes/s for each publishing path, and a node's CPU
# while idle (no publisher, no client), to subtract from the CPU per message. Same builds and $MAIN as bus-bench.sh.
# Usage: MAIN=/tmp/bus-main bench/bus-bench-costs.sh [out-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/results/issue15/bus}"
main="${MAIN:?set MAIN to the older build (see bench/bus-bench.sh)}"
mkdir -p "$out"
tick=$(getconf CLK_TCK)
port=16412
node_port=18612
redis-server --port $port --bind 127.0.0.1 --save '' --appendonly no >/dev/null 2>&1 &
redis_pid=$!
node_pid=
trap 'kill $redis_pid ${node_pid:-} 2>/dev/null || true' EXIT
until redis-cli -p $port ping >/dev/null 2>&1; do sleep 0.1; done
: >"$out/node-idle.txt"
for variant in pubsub stream; do
  build=$([ "$variant" = pubsub ] && echo "$main" || echo .)
  dotnet "$build/feed-server/bin/Release/net10.0/PriceFeed.Server.dll" --source redis --redis 127.0.0.1:$port \
    --port $node_port --wait-strategy blocking >"$out/node-idle-$variant.log" 2>&1 &
  node_pid=$!
  until curl -sf "http://127.0.0.1:$node_port/healthz" >/dev/null; do sleep 0.2; done
  sleep 2
  n0=$(awk '{print $14 + $15}' "/proc/$node_pid/stat"); sleep 8; n1=$(awk '{print $14 + $15}' "/proc/$node_pid/stat")
  echo "node idle ($variant build, no publisher, no client): $(echo "scale=3; ($n1 - $n0) / $tick" | bc) s CPU in 8 s" >>"$out/node-idle.txt"
  redis-cli -p $port config resetstat >/dev/null
  dotnet "$build/feed-simulator/bin/Release/net10.0/PriceFeed.Simulator.dll" --redis 127.0.0.1:$port --symbols 500 \
    --seed 1 --rate 10000 --duration 10 2>&1 | tail -1 >"$out/commandstats-$variant-10000.txt"
  redis-cli -p $port info commandstats | tr -d '\r' | grep -E '^cmdstat_' >>"$out/commandstats-$variant-10000.txt"
  kill "$node_pid"; wait "$node_pid" 2>/dev/null || true; node_pid=
done
