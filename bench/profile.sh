#!/usr/bin/env bash
# Profiles our server under one load scenario, as docs/performance.md reports it: the server pinned to
# CPU 0 (perf maps on, so perf names JIT-compiled frames), the load tool on CPU 1. Mid-run it takes
# the per-thread CPU and wake-ups (bench/thread-profile.sh) and a perf sample of CPU 0's time
# (cpu-clock: this VM has no hardware counters). With --clients 0 no load tool runs: the server at rest.
# Usage: bench/profile.sh [--scenario latency] [--clients N] [--seconds 10] [--out results/profile] [-- server options]
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=latency seconds=10 out=results/profile clients=""
while [ $# -gt 0 ]; do
  case "$1" in
    --scenario) scenario="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --clients) clients="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
case "$scenario" in
  latency) symbols=1000 rate=10000 ;;
  fanout|slow) symbols=1000 rate=50000 ;;
  *) echo "scenario $scenario: use latency, fanout or slow" >&2; exit 2 ;;
esac

dotnet build PriceFeed.sln -c Release -nologo -clp:ErrorsOnly >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
# W^X off: with it on, JIT code runs from a double mapping that perf cannot match to the perf map.
DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 taskset -c 0 dotnet feed-server/bin/Release/net10.0/PriceFeed.Server.dll \
  --port "$port" --symbols "$symbols" --rate "$rate" --seed 42 "$@" >"$out/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

tool=""
if [ "$clients" != "0" ]; then
  extra=()
  [ -n "$clients" ] && extra=(--clients "$clients")
  taskset -c 1 dotnet bench/PriceFeed.LoadTest/bin/Release/net10.0/PriceFeed.LoadTest.dll --url "ws://127.0.0.1:$port/ws" \
    --scenario "$scenario" "${extra[@]}" --duration $((seconds + 6)) --warmup 3 --repetitions 1 --out "$out" >"$out/load.txt" 2>&1 &
  tool=$!
fi
sleep 5
bench/thread-profile.sh "$server" "$seconds" >"$out/threads.txt" &
profile=$!
perf record -F 999 -e cpu-clock -g -p "$server" -o "$out/perf.data" -- sleep "$seconds" >/dev/null 2>&1 || true
wait "$profile"
[ -n "$tool" ] && wait "$tool"
perf report -i "$out/perf.data" --no-children -g none --percent-limit 0.4 --sort comm,dso,symbol --stdio 2>/dev/null | grep -E "^ +[0-9]" | head -60 >"$out/perf-top.txt" || true
echo "== threads ($seconds s)"; cat "$out/threads.txt"
[ -n "$tool" ] && { echo "== load"; grep -E '^\s+ours|target|^\[' "$out/load.txt" | tail -4; }
echo "== perf (self time, top)"; head -30 "$out/perf-top.txt"
