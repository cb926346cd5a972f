#!/usr/bin/env bash
# Where the tracked app's CPU goes under load: the sample (Release, spool on unless SPOOL=off) pinned to core 0, wrk
# and the counting receiver on core 1; after WARMUP seconds (tiered compilation over, see load/paired.sh) `perf record`
# samples the app for DURATION seconds and prints its hottest symbols, self time, with the app's CPU per request over
# the sampled window (perf's own cost included), then the samples split by whose work they are (load/split-samples.py:
# the sender, the spool's appenders, the request path, the rest), in microseconds per request. ENABLED=false profiles
# the untracked app. MODE=stat counts instead: the app's fsyncs, writes, sends and context switches over the window,
# per second and per request, and its CPU and switches by thread. Timed: holds /tmp/piwik-bench.lock.
#
#   load/profile.sh                    # WARMUP=90 DURATION=20 SPOOL=on ENABLED=true TOP=60 MODE=record
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${PIWIK_BENCH_LOCKED:-}" != 1 ]; then
  exec env PIWIK_BENCH_LOCKED=1 flock -o /tmp/piwik-bench.lock "$0" "$@"
fi
WARMUP=${WARMUP:-90}; DURATION=${DURATION:-20}; SPOOL=${SPOOL:-on}; ENABLED=${ENABLED:-true}; TOP=${TOP:-60}; MODE=${MODE:-record}
APP_PORT=${APP_PORT:-5198}
command -v perf >/dev/null || { echo "perf is needed (Debian: linux-perf)" >&2; exit 1; }
work=$(mktemp -d); pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
source load/common.sh
threads() { # per thread: id, name (digits dropped, so a pool is one row), CPU ticks, voluntary and involuntary switches
  for t in /proc/"$app"/task/*; do
    printf '%s\t%s\t%s\t%s\n' "${t##*/}" "$(tr -d '0-9' <"$t/comm")" "$(sed 's/.*) //' "$t/stat" 2>/dev/null | awk '{print $12+$13}')" \
      "$(awk '/^voluntary_ctxt/ {v=$2} /^nonvoluntary_ctxt/ {n=$2} END {print v"\t"n}' "$t/status" 2>/dev/null)"
  done
}
build_release
start_receiver
spool_settings
env ASPNETCORE_URLS="http://127.0.0.1:$APP_PORT" Piwik__Url="$(cat "$work/matomo-url")" Piwik__Enabled="$ENABLED" "${spool_env[@]}" \
  Logging__LogLevel__Default=Warning DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 \
  taskset -c 0 dotnet samples/MinimalApi/bin/Release/net10.0/MinimalApi.dll >"$work/app.log" 2>&1 &
app=$!; pids+=($app)
for _ in $(seq 1 150); do (echo >"/dev/tcp/127.0.0.1/$APP_PORT") 2>/dev/null && break; sleep 0.2; done
taskset -c 1 wrk -t1 -c64 -d"$((WARMUP + DURATION + 5))s" -s load/signup.lua "http://127.0.0.1:$APP_PORT" -- prof "$work" >"$work/wrk.txt" &
wrk_pid=$!; pids+=($wrk_pid)
sleep "$WARMUP"
cpu0=$(awk '{print $14+$15}' "/proc/$app/stat"); n0=$(answered prof)
[ "$MODE" = stat ] && threads >"$work/threads0.txt"
if [ "$MODE" = stat ]; then
  # Counts instead of samples: the app's fsyncs, writes and context switches over the window (no sampling cost).
  perf stat -x, -e syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync,syscalls:sys_enter_pwrite64,syscalls:sys_enter_sendto,syscalls:sys_enter_sendmsg,syscalls:sys_enter_pread64,syscalls:sys_enter_futex,context-switches \
    -p "$app" -o "$work/stat.txt" -- sleep "$DURATION" >/dev/null 2>&1
else
  perf record -F 1999 -g -p "$app" -o "$work/perf.data" -- sleep "$DURATION" 2>"$work/perf.log" >/dev/null
fi
cpu1=$(awk '{print $14+$15}' "/proc/$app/stat"); n1=$(answered prof)
[ "$MODE" = stat ] && threads >"$work/threads1.txt"
wait "$wrk_pid" || true
echo "app CPU over the sampled window: $(awk -v a="$cpu0" -v b="$cpu1" -v n="$((n1 - n0))" -v t="$(getconf CLK_TCK)" 'BEGIN{printf "%.2f s, %d requests (ids wrk recorded, written in blocks), %.1f us per request", (b-a)/t, n, (b-a)/t*1e6/n}')"
if [ "$MODE" = stat ]; then
  awk -F, -v n="$((n1 - n0))" -v d="$DURATION" '/^[0-9]/ {printf "  %-32s %10d  %8.1f/s  %8.4f per request\n", $3, $1, $1/d, $1/n}' "$work/stat.txt"
  # By thread (a pool's threads summed; a thread that started in the window counts from zero, one that ended is left out).
  echo "by thread: threads, us CPU per request, voluntary and involuntary context switches per request"
  awk -F'\t' -v n="$((n1 - n0))" -v t="$(getconf CLK_TCK)" '
    FNR == NR { c0[$1] = $3; v0[$1] = $4; i0[$1] = $5; next }
    { c[$2] += $3 - c0[$1]; v[$2] += $4 - v0[$1]; i[$2] += $5 - i0[$1]; k[$2]++ }
    END { for (x in k) printf "  %-20s %3d  %7.2f us  %7.4f  %7.4f\n", x, k[x], c[x]/t*1e6/n, v[x]/n, i[x]/n }' \
    "$work/threads0.txt" "$work/threads1.txt" | sort
  exit 0
fi
echo "perf data: $work/perf.data (perf report -i ... --no-children -g caller)"
{ perf report -i "$work/perf.data" --no-children --sort dso,symbol -g none 2>/dev/null || true; } | grep -v '^#' | grep '%' | head -"$TOP" | cut -c1-220 || true
# By whose work the samples are (the sender, the spool's appenders, the request path, the rest), from their stacks.
{ perf script -i "$work/perf.data" -F comm,tid,ip,sym,dso 2>/dev/null || true; } | python3 load/split-samples.py "$((n1 - n0))" "$(awk -v a="$cpu0" -v b="$cpu1" -v t="$(getconf CLK_TCK)" 'BEGIN{print (b-a)/t}')" || true
