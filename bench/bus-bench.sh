#!/usr/bin/env bash
# The Redis bus's two publishing paths side by side (docs/scale-out.md, "Lossless bus: measurements and choice"):
#   pubsub: HSET + PUBLISH of a QuoteBatch (the build of the commit before the stream, in $MAIN)
#   stream: HSET + XADD MINID ~ + PUBLISH of a BusEntry (this repository's build)
# For each: the publisher's maximum rate into Redis (one node subscribed); then at 10,000 and 20,000 quotes/s,
# redis-server's and the node's CPU from /proc/PID/stat (node without clients), the stream's memory, and the
# end-to-end latency (publisher source_time -> client arrival) measured by the load tool on one client of '*'.
# Usage: MAIN=/tmp/bus-main [MAX_RATE=200000] bench/bus-bench.sh [out-dir]
#   where $MAIN holds the older build: git archive b209cdd | tar -x -C /tmp/bus-main, then
#   dotnet build feed-simulator/PriceFeed.Simulator.csproj -c Release; dotnet build feed-server/PriceFeed.Server.csproj -c Release
# Every process it starts is stopped by its PID; everything listens on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
here=$(pwd)
out="${1:-docs/results/issue15/bus}"
main="${MAIN:?set MAIN to the older build (see the header)}"
max_rate="${MAX_RATE:-200000}"
mkdir -p "$out"
tick=$(getconf CLK_TCK)
redis_port=16411
node_port=18611
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
start_redis() {
  redis-server --port $redis_port --bind 127.0.0.1 --save '' --appendonly no >/dev/null 2>&1 &
  redis_pid=$!; pids+=("$redis_pid")
  until redis-cli -p $redis_port ping >/dev/null 2>&1; do sleep 0.1; done
}
start_node() {
  dotnet "$1/feed-server/bin/Release/net10.0/PriceFeed.Server.dll" --source redis --redis 127.0.0.1:$redis_port \
    --port $node_port --wait-strategy blocking >"$out/node-$2.log" 2>&1 &
  node_pid=$!; pids+=("$node_pid")
  until curl -sf "http://127.0.0.1:$node_port/healthz" >/dev/null; do sleep 0.2; done
}
stop() { kill "$@" 2>/dev/null || true; for p in "$@"; do while kill -0 "$p" 2>/dev/null; do sleep 0.1; done; done; }
simulator() { dotnet "$1/feed-simulator/bin/Release/net10.0/PriceFeed.Simulator.dll" --redis 127.0.0.1:$redis_port --symbols 500 --seed 1 "${@:2}"; }

for variant in pubsub stream; do
  build=$([ "$variant" = pubsub ] && echo "$main" || echo "$here")
  # 1. Maximum rate into Redis: asked $max_rate quotes/s for 5 s.
  start_redis; start_node "$build" "$variant-max"
  simulator "$build" --rate "$max_rate" --duration 5 >"$out/max-$variant.txt" 2>&1
  stop "$node_pid" "$redis_pid"

  for rate in 10000 20000; do
    start_redis; start_node "$build" "$variant-$rate"
    simulator "$build" --rate $rate --duration 24 --pacing-slack-ms 1 >"$out/run-$variant-$rate.txt" 2>&1 &
    sim_pid=$!; pids+=("$sim_pid")
    sleep 3
    r0=$(cpu_ticks "$redis_pid"); n0=$(cpu_ticks "$node_pid"); t0=$(date +%s.%N)
    sleep 8
    r1=$(cpu_ticks "$redis_pid"); n1=$(cpu_ticks "$node_pid"); t1=$(date +%s.%N)
    {
      echo "window_s $(echo "$t1 - $t0" | bc)"
      echo "redis_cpu_s $(echo "scale=3; ($r1 - $r0) / $tick" | bc)"
      echo "node_cpu_s $(echo "scale=3; ($n1 - $n0) / $tick" | bc)"
      echo "stream_memory_bytes $(redis-cli -p $redis_port memory usage pricefeed:v1:stream samples 0 2>/dev/null || echo none)"
      echo "stream_length $(redis-cli -p $redis_port xlen pricefeed:v1:stream)"
      redis-cli -p $redis_port info memory | grep -E '^used_memory:'
    } >"$out/cpu-$variant-$rate.txt"
    dotnet bench/PriceFeed.LoadTest/bin/Release/net10.0/PriceFeed.LoadTest.dll --url "ws://127.0.0.1:$node_port/ws" \
      --scenario latency --clients 1 --symbols-per-client 0 --duration 6 --warmup 2 --repetitions 1 \
      --out "$out/latency-$variant-$rate" >"$out/latency-$variant-$rate.txt" 2>&1 || true
    wait "$sim_pid" || true
    stop "$node_pid" "$redis_pid"
  done
done
# 3. What --bus-history costs at its default (30 s) and the default rate: the stream once it is full and trimmed.
start_redis
simulator "$here" --rate 10000 --duration 40 --bus-history 30 >"$out/history-10000.txt" 2>&1
{
  # SAMPLES 0: every node of the stream counted, not an estimate from 5 of them.
  echo "MEMORY USAGE pricefeed:v1:stream SAMPLES 0: $(redis-cli -p $redis_port memory usage pricefeed:v1:stream samples 0)"
  redis-cli -p $redis_port xinfo stream pricefeed:v1:stream | tr -d '\r' | paste - - | head -6
  redis-cli -p $redis_port info memory | tr -d '\r' | grep -E '^used_memory:'
} >>"$out/history-10000.txt"
stop "$redis_pid"
echo "results in $out"
