#!/usr/bin/env bash
# Target 1 of issue 18, measured side by side: the sample with tracking on and the same sample with tracking off run
# AT THE SAME TIME, both pinned to core 0, each loaded by its own wrk (POST /signup) on core 1 with the counting
# receiver. Each window reads both apps' CPU per request over the same seconds, so whatever slows the machine down in
# that window (this VM's host: between sequential rounds the untracked app alone moved between 32 and 40 us per
# request, and wrk's own CPU per request with it) slows both. Prints, per window and over all windows, off / on
# (target >= 0.97) and the CPU per tracked request, and checks that every tracked request wrk got a 2xx for reached
# the receiver exactly once. Spool on unless SPOOL=off. Loopback only; stops by itself.
#
#   load/paired.sh                           # WARMUP=150 WINDOW=20 WINDOWS=6 CONNECTIONS=32 SPOOL=on PROFILE=0 ALTERNATE=0
#
# ALTERNATE=1 is issue 18's own method: after the same warm-up (both apps loaded at once), the two wrk take turns
# (SIGSTOP/SIGCONT): in each round one app is loaded, alone on core 0 as a production app is on its cores, while the
# other idles. Rounds go in pairs, on then off, then off then on (a linear drift cancels); each app's CPU is read over
# the whole pair, so the tracked app's sending after its round ends counts against it. Side by side (the default), the
# two processes share the core all the time and each one's wake-ups preempt the other (bench/NOTES.md).
#
# PROFILE=1 samples both apps with `perf record` during the first window (same seconds, same core, same load) and
# prints, per symbol, each app's CPU per request in it and the difference: what tracking costs, in the regime it is
# measured in (profiles of the apps run one after the other differ in load, hence in cost per request).
#
# Warm-up: pinned to one core, .NET sees one CPU and its tiered compilation needs 60-90 s under load untracked, and the
# tracked app (more code that first runs minutes in) was still compiling at 100 s and done by 160 s (bench/NOTES.md).
# Both apps share core 0, so each gets about half of it: absolute requests/s are about half of one app alone; CPU per
# request is what compares.
# Timed work on a shared machine: the run holds /tmp/piwik-bench.lock.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${PIWIK_BENCH_LOCKED:-}" != 1 ]; then
  exec env PIWIK_BENCH_LOCKED=1 flock -o /tmp/piwik-bench.lock "$0" "$@" # -o: servers started here must not hold the lock
fi
WARMUP=${WARMUP:-150}; WINDOW=${WINDOW:-20}; WINDOWS=${WINDOWS:-6}; CONNECTIONS=${CONNECTIONS:-32}; SPOOL=${SPOOL:-on}; PROFILE=${PROFILE:-0}
ALTERNATE=${ALTERNATE:-0}
[ "$ALTERNATE" = 1 ] && [ "$PROFILE" = 1 ] && { echo "PROFILE=1 samples both apps in the same window: not with ALTERNATE=1" >&2; exit 2; }
profile_env=()
if [ "$PROFILE" = 1 ]; then
  command -v perf >/dev/null || { echo "PROFILE=1 needs perf (Debian: linux-perf)" >&2; exit 1; }
  profile_env=(DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0) # JIT'd code named in the profile
fi
PORT_ON=${PORT_ON:-5201}; PORT_OFF=${PORT_OFF:-5202}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
command -v wrk >/dev/null || { echo "wrk is needed (load/run.sh installs it)" >&2; exit 1; }

work=$(mktemp -d); pids=()
cleanup() { for pid in "${pids[@]}"; do kill -CONT "$pid" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
source load/common.sh
echo "Building the sample and the receiver (Release)..."
build_release
start_receiver
spool_settings
start_app() { # port enabled
  env ASPNETCORE_URLS="http://127.0.0.1:$1" Piwik__Url="$(cat "$work/matomo-url")" Piwik__Enabled="$2" "${spool_env[@]}" \
    Logging__LogLevel__Default=Warning "${profile_env[@]}" taskset -c 0 dotnet samples/MinimalApi/bin/Release/net10.0/MinimalApi.dll >"$work/app-$2.log" 2>&1 &
  echo $!
}
app_on=$(start_app "$PORT_ON" true); pids+=("$app_on")
app_off=$(start_app "$PORT_OFF" false); pids+=("$app_off")
for port in "$PORT_ON" "$PORT_OFF"; do
  for _ in $(seq 1 150); do (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.2; done
done

rounds=$WINDOWS; [ "$ALTERNATE" = 1 ] && rounds=$((2 * WINDOWS)) # alternating: a pair of rounds per window
total=$((WARMUP + WINDOW * rounds + WINDOWS + 10))
taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"${total}s" -s load/signup.lua "http://127.0.0.1:$PORT_ON" -- Ton "$work" >"$work/wrk-on.txt" &
wrk_on=$!; pids+=($wrk_on)
taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"${total}s" -s load/signup.lua "http://127.0.0.1:$PORT_OFF" -- Toff "$work" >"$work/wrk-off.txt" &
wrk_off=$!; pids+=($wrk_off)
plan="$WINDOWS windows of ${WINDOW}s"
[ "$ALTERNATE" = 1 ] && plan="$WINDOWS pairs of ${WINDOW}s rounds, one app loaded at a time"
echo "Both apps on core 0, each with its own wrk -c$CONNECTIONS on core 1; spool $SPOOL; ${WARMUP}s warm-up, then $plan; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
sleep "$WARMUP"

cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }
# Requests per window: the 2xx answers each wrk script records (answered in common.sh; written in blocks of 256, which
# moves a 20 s window's count by well under 1 %).
ticks=$(getconf CLK_TCK)
printf '| window | on: us per request | off: us per request | off / on | us per tracked request | requests on / off | load |\n|---:|---:|---:|---:|---:|---:|---|\n'
for w in $(seq 1 "$WINDOWS"); do
  c_on0=$(cpu "$app_on"); c_off0=$(cpu "$app_off"); n_on0=$(answered Ton); n_off0=$(answered Toff)
  if [ "$ALTERNATE" = 1 ]; then
    # One round each, alone on the core; odd pairs tracked first, even pairs untracked first.
    first=$wrk_on; second=$wrk_off
    [ $((w % 2)) = 0 ] && { first=$wrk_off; second=$wrk_on; }
    kill -STOP "$second"; kill -CONT "$first"; sleep "$WINDOW"
    kill -STOP "$first"; kill -CONT "$second"; sleep "$WINDOW"
    kill -STOP "$second"
    sleep 1 # the last round's app finishes what its round left: its batches sent, its answers written
  elif [ "$PROFILE" = 1 ] && [ "$w" = 1 ]; then
    perf record -F 999 -p "$app_on,$app_off" -o "$work/perf.data" -- sleep "$WINDOW" >/dev/null 2>"$work/perf.log"
  else
    sleep "$WINDOW"
  fi
  c_on1=$(cpu "$app_on"); c_off1=$(cpu "$app_off"); n_on1=$(answered Ton); n_off1=$(answered Toff)
  echo "$w $((c_on1 - c_on0)) $((n_on1 - n_on0)) $((c_off1 - c_off0)) $((n_off1 - n_off0))" >>"$work/windows.txt"
  awk -v t="$ticks" -v l="$(cut -d' ' -f1 /proc/loadavg)" '{on=$2/t*1e6/$3; off=$4/t*1e6/$5; printf "| %s | %.1f | %.1f | %.3f | %.1f | %d / %d | %s |\n", $1, on, off, off/on, on-off, $3, $5, l}' <<<"$(tail -1 "$work/windows.txt")"
done
[ "$ALTERNATE" = 1 ] && kill -CONT "$wrk_on" "$wrk_off" # both run out their time
awk -v t="$ticks" '{con+=$2; non+=$3; coff+=$4; noff+=$5} END {on=con/t*1e6/non; off=coff/t*1e6/noff; printf "all windows: %.1f us per request on, %.1f off: off / on = %.3f (target 1: >= 0.97), %.1f us per tracked request\n", on, off, off/on, on-off}' "$work/windows.txt"

if [ "$PROFILE" = 1 ]; then
  # Per app, over the profiled window: each symbol's share of that app's samples (self time), as us per request, and
  # what the tracked app spends more. Read from `perf script` by process (perf report's --pid filter missed samples of
  # one of the two processes here). Unnamed native code (libcoreclr: the GC, write barriers, stubs) is "[unknown]".
  read -r _ c_on n_on c_off n_off < <(head -1 "$work/windows.txt")
  us_on=$(awk -v c="$c_on" -v n="$n_on" -v t="$ticks" 'BEGIN {printf "%.3f", c/t*1e6/n}')
  us_off=$(awk -v c="$c_off" -v n="$n_off" -v t="$ticks" 'BEGIN {printf "%.3f", c/t*1e6/n}')
  echo "profile of window 1 (perf's own cost included): $us_on us per request on, $us_off off; symbols by what tracking adds, us per request (added, on, off):"
  perf script -i "$work/perf.data" -G -F pid,ip,sym 2>/dev/null | awk -v on="$app_on" -v off="$app_off" -v uson="$us_on" -v usoff="$us_off" '
    { pid = $1; $1 = ""; $2 = ""; s = $0; sub(/^ +/, "", s); sub(/\(.*/, "", s); sub(/\[(Optimized|Tier|Instrumented|QuickJitted).*/, "", s)
      c[pid "\t" s]++; t[pid]++ }
    END { for (k in c) { split(k, a, "\t"); if (a[1] == on) von[a[2]] = c[k] / t[on] * uson; else if (a[1] == off) voff[a[2]] = c[k] / t[off] * usoff; keys[a[2]] = 1 }
          for (s in keys) printf "  %6.2f %6.2f %6.2f  %s\n", von[s] - voff[s], von[s], voff[s], substr(s, 1, 140) }' | sort -rn | head -30 || true
  echo "perf data: $work/perf.data (perf script -i ... -F pid,ip,sym)"
fi

wait "$wrk_on" "$wrk_off" || true
kill -TERM "$app_on" "$app_off" # graceful: the sender flushes what is queued before the process exits
for _ in $(seq 1 300); do kill -0 "$app_on" 2>/dev/null || kill -0 "$app_off" 2>/dev/null || break; sleep 0.1; done # not children of this shell: no wait
kill -TERM "$receiver"; wait "$receiver" 2>/dev/null || true
load/exactly-once.sh "$work" Ton "$work/delivered.txt" "$CONNECTIONS" || { echo "delivery: NOT exactly once (logs in $work)" >&2; exit 1; }
echo "delivery: every tracked request delivered exactly once; load average after: $(cut -d' ' -f1-3 /proc/loadavg); logs in $work"
