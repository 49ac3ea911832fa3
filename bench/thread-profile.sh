#!/usr/bin/env bash
# Where a running process spends its CPU and its wake-ups, per thread, over an interval:
# CPU in cores (user+system ticks / interval), voluntary context switches per second (the thread
# blocked: each is a wake-up later) and involuntary ones (it was preempted), from /proc/PID/task.
# Usage: bench/thread-profile.sh PID [SECONDS]   (default 10 s); prints one line per busy thread.
set -euo pipefail
pid="$1"
seconds="${2:-10}"
hz=$(getconf CLK_TCK)

snapshot() {
  for task in /proc/"$pid"/task/*; do
    tid=${task##*/}
    # comm can hold spaces: take the fields after the closing parenthesis.
    stat=$(cat "$task/stat" 2>/dev/null) || continue
    rest=${stat##*) }
    set -- $rest
    ticks=$(( ${12} + ${13} ))
    name=$(tr ' ' '_' < "$task/comm" 2>/dev/null || echo '?')
    vol=$(awk '/^voluntary_ctxt_switches/ {print $2}' "$task/status" 2>/dev/null || echo 0)
    invol=$(awk '/^nonvoluntary_ctxt_switches/ {print $2}' "$task/status" 2>/dev/null || echo 0)
    echo "$tid $name $ticks $vol $invol"
  done
}

before=$(snapshot)
sleep "$seconds"
after=$(snapshot)

join <(sort <<<"$before") <(sort <<<"$after") | awk -v hz="$hz" -v s="$seconds" '
  { cpu = ($7 - $3) / hz / s; vol = ($8 - $4) / s; invol = ($9 - $5) / s
    if (cpu > 0.0005 || vol > 1) printf "%-24s %7.3f cores %9.0f wake/s %7.0f preempt/s\n", $2, cpu, vol, invol
    tc += cpu; tv += vol; ti += invol }
  END { printf "%-24s %7.3f cores %9.0f wake/s %7.0f preempt/s\n", "TOTAL", tc, tv, ti }' | sort -k2 -n -r
