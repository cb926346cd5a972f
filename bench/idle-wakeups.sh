#!/usr/bin/env bash
# Target 4 of issue 18: an idle app makes no wake-ups beyond one flush timer. Starts the sample (Release, spool on as
# shipped, Piwik__Url at a stand-in Matomo), sends a few tracked requests so every lane and the spool have worked once,
# lets it settle, then counts the wake-ups of every thread of the app over SECONDS: its voluntary context switches
# (/proc/PID/task/*/status: each is a sleep, so a wake-up follows). Involuntary switches are printed apart: they are
# mostly the thread pool's spin-wait yielding (sched_yield) to other processes for a few milliseconds after each real
# wake-up, so they grow with the machine's load, not with the app's wake-ups. The same with tracking off, as the
# baseline. Prints wake-ups per second on, off, the difference, and the threads that woke most with tracking on.
#
# SETTLE is 150 s: after its last request the HTTP connection to Matomo stays open for a minute
# (SocketsHttpHandler's PooledConnectionIdleTimeout) and its pool checks it every 15 s meanwhile; an idle app is one
# past that. With SETTLE=75 the tracked app still woke 0.30 a second more than the untracked one (6 Dec.; timer and
# thread-pool gate threads), with 150, 0.06 (7 Dec.). SETTLE=10 shows the first minute after the last batch.
#
#   bench/idle-wakeups.sh                 # IDLE_SECONDS=30 SETTLE=150
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${PIWIK_BENCH_LOCKED:-}" != 1 ]; then
  exec env PIWIK_BENCH_LOCKED=1 flock -o /tmp/piwik-bench.lock "$0" "$@" # -o: servers started here must not hold the lock
fi
SECONDS_IDLE=${IDLE_SECONDS:-30}
SETTLE=${SETTLE:-150}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

echo "Building the sample and the stand-in host (Release)..."
dotnet build samples/MinimalApi -c Release -v q -nologo >"$work/build-sample.log" 2>&1 || { cat "$work/build-sample.log"; exit 1; }
dotnet build bench/Piwik.Benchmarks -c Release -v q -nologo >"$work/build-bench.log" 2>&1 || { cat "$work/build-bench.log"; exit 1; }

dotnet bench/Piwik.Benchmarks/bin/Release/net10.0/Piwik.Benchmarks.dll standin --url-file "$work/matomo-url" --ids-file "$work/delivered.txt" >"$work/standin.log" 2>&1 &
pids+=("$!")
for _ in $(seq 1 150); do [ -s "$work/matomo-url" ] && break; sleep 0.2; done
matomo_url=$(cat "$work/matomo-url")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

switches() { # switches PID -> one "tid voluntary involuntary name" line per thread, on stdout
  local pid=$1 t n v c
  for t in /proc/"$pid"/task/*; do
    v=$(awk '/^voluntary_ctxt_switches/ {print $2}' "$t/status" 2>/dev/null) || continue
    c=$(awk '/^nonvoluntary_ctxt_switches/ {print $2}' "$t/status" 2>/dev/null) || continue
    n=$(cat "$t/comm" 2>/dev/null) || continue
    echo "${t##*/} $v $c $n"
  done
}

measure() { # measure on|off -> wake-ups per second of the idle app, and its busiest threads in $work/threads-MODE.txt
  local mode=$1 enabled=true
  [ "$mode" = off ] && enabled=false
  ASPNETCORE_URLS="http://127.0.0.1:$port" Piwik__Url="$matomo_url" Piwik__Enabled=$enabled Piwik__SpoolDirectory="$work/spool-$mode" \
    Logging__LogLevel__Default=Warning dotnet samples/MinimalApi/bin/Release/net10.0/MinimalApi.dll >"$work/app-$mode.log" 2>&1 &
  local app=$!
  pids+=("$app")
  for _ in $(seq 1 150); do (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.2; done
  for i in $(seq 1 20); do
    curl -s -o /dev/null -X POST "http://127.0.0.1:$port/signup" -H 'Content-Type: application/json' \
      -d "{\"email\":\"u$i@example.com\",\"password\":\"pw\",\"plan\":\"pro\"}"
  done
  sleep "$SETTLE" # the batches go out (FlushInterval), tiered compilation and the GC settle
  switches "$app" >"$work/before-$mode.txt"
  sleep "$SECONDS_IDLE"
  switches "$app" >"$work/after-$mode.txt"
  kill -TERM "$app"; wait "$app" || true
  # Per thread: voluntary and involuntary switches during the window (threads born in it count from 0).
  awk 'NR==FNR {v[$1]=$2; c[$1]=$3; next} {dv=$2-($1 in v ? v[$1] : 0); dc=$3-($1 in c ? c[$1] : 0); $2=""; $3=""; print dv, dc, $0}' \
    "$work/before-$mode.txt" "$work/after-$mode.txt" | sort -rn >"$work/threads-$mode.txt"
  awk -v s="$SECONDS_IDLE" '{t+=$1; i+=$2} END {printf "%.2f %.2f", t/s, i/s}' "$work/threads-$mode.txt"
}

echo "Idle app, ${SETTLE}s to settle then ${SECONDS_IDLE}s counted; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
read -r on on_inv <<<"$(measure on)"
read -r off off_inv <<<"$(measure off)"
echo "wake-ups per second (voluntary context switches of every thread of the app): tracking on $on, off $off, difference $(awk -v a="$on" -v b="$off" 'BEGIN {printf "%.2f", a-b}')"
echo "  (target: the difference at most one flush timer, 1 / FlushInterval = 0.2 per second with the default 5 s)"
echo "  involuntary switches per second (spin-wait yields and preemption; grow with the machine's load): on $on_inv, off $off_inv"
echo "threads that woke most with tracking on (voluntary, involuntary switches in ${SECONDS_IDLE}s, thread name):"
head -8 "$work/threads-on.txt" | awk '{printf "  %6d %6d  %s\n", $1, $2, substr($0, index($0,$4))}'
echo "threads that woke most with tracking off:"
head -5 "$work/threads-off.txt" | awk '{printf "  %6d %6d  %s\n", $1, $2, substr($0, index($0,$4))}'
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
