#!/usr/bin/env bash
# Side by side: the same small API (GET /items/{id}, bench/Piwik.Benchmarks/SideBySideApp.cs) with no tracking, with
# Piwik ([TrackAs], batched bulk requests), and with the original Django design ported plainly (a middleware copies
# the request's headers into a dictionary, a background task sends one HTTP request per request). All three send to the
# same Matomo model (counts calls and entries, answers at once). wrk drives each in turn; prints requests/s, CPU per
# request of the app process (and of the Matomo model), and HTTP calls to Matomo per 1,000 events. Loopback only.
#
#   bench/side-by-side.sh            # 20 s warm-up + 15 s measured per variant, wrk -t1 -c64
#   bench/side-by-side.sh --spool    # adds a variant piwik+spool: Piwik with the durable spool on (a fresh directory)
#   VARIANTS="piwik piwik+spool" bench/side-by-side.sh
#
# The warm-up is long because tiered compilation is: with 5 s the Piwik variant was still compiling ~3,000 methods
# (HttpClient, JSON, the sender, and Kestrel's own at tier 1) inside the measured window, against ~500 without
# tracking, which counted a one-off start-up cost as CPU per request. Each app also answers GET /_stats (allocated
# bytes, GC counts, methods compiled); the table shows their deltas over the measured window.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-15}
WARMUP=${WARMUP:-20}
CONNECTIONS=${CONNECTIONS:-64}
APP_PORT=${APP_PORT:-5198}
MATOMO_PORT=${MATOMO_PORT:-5199}
VARIANTS=${VARIANTS:-"none piwik django"}
if [ "${1:-}" = "--spool" ]; then
  case " $VARIANTS " in *" piwik+spool "*) ;; *) VARIANTS="$VARIANTS piwik+spool" ;; esac
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

if ! command -v wrk >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi

work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

dotnet build bench/Piwik.Benchmarks -c Release -v q -nologo >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
bench=bench/Piwik.Benchmarks/bin/Release/net10.0/Piwik.Benchmarks.dll

wait_for_port() {
  for _ in $(seq 1 150); do (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.2; done
  echo "Nothing listens on port $1" >&2; return 1
}
counts() { # prints "calls entries" of the Matomo model
  exec 3<>"/dev/tcp/127.0.0.1/$MATOMO_PORT"
  printf 'GET /counts HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
  local response; response=$(cat <&3 | tr -d '\r\n')
  exec 3<&-
  echo "$response" | sed -E 's/.*"calls":([0-9]+).*"entries":([0-9]+).*/\1 \2/'
}
# CPU ticks (user + system) of the process under a `timeout` wrapper (its only child).
cpu_ticks() { local child; child=$(cat "/proc/$1/task/$1/children"); awk '{print $14+$15}' "/proc/${child%% *}/stat"; }

timeout 900 dotnet "$bench" matomo --port "$MATOMO_PORT" >"$work/matomo.log" 2>&1 &
matomo=$!
pids+=("$matomo")
wait_for_port "$MATOMO_PORT"

headers=(-H "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
  -H "Accept-Language: en-GB,en;q=0.9" -H "Referer: https://app.example.com/items" -H "Accept: application/json")
ticks=$(getconf CLK_TCK)
echo "wrk -t1 -c$CONNECTIONS, ${WARMUP}s warm-up + ${DURATION}s measured per variant; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
stats() { curl -s "http://127.0.0.1:$APP_PORT/_stats" 2>/dev/null || echo "allocated=0 gen0=0 gen1=0 gen2=0 jitted=0 locks=0 threads=0"; }
field() { echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1==k {print $2}'; }
echo "| variant | requests/s | app CPU µs/request | Matomo model CPU µs/request | requests (warm-up + measured) | events stored by Matomo | HTTP calls to Matomo | calls per 1,000 events | app allocated B/request | gen0/gen1/gen2 GCs | methods compiled while measured | lock contentions while measured | thread-pool threads |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for variant in $VARIANTS; do
  read -r calls0 entries0 < <(counts)
  app_args=(--variant "$variant")
  if [ "$variant" = "piwik+spool" ]; then app_args=(--variant piwik --spool "$work/spool"); fi
  timeout 300 dotnet "$bench" app "${app_args[@]}" --port "$APP_PORT" --matomo "http://127.0.0.1:$MATOMO_PORT/" >"$work/app-$variant.log" 2>&1 &
  app=$!
  pids+=("$app")
  wait_for_port "$APP_PORT"
  wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" "${headers[@]}" "http://127.0.0.1:$APP_PORT/items/42" >"$work/wrk-warm-$variant.txt"
  s0=$(stats)
  a0=$(cpu_ticks "$app"); m0=$(cpu_ticks "$matomo")
  wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" "${headers[@]}" "http://127.0.0.1:$APP_PORT/items/42" >"$work/wrk-$variant.txt"
  a1=$(cpu_ticks "$app"); m1=$(cpu_ticks "$matomo")
  s1=$(stats)
  kill -TERM "$app"; wait "$app" || true
  sleep 2 # background sends of the Django port finish
  read -r calls1 entries1 < <(counts)
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk-$variant.txt")
  n=$(awk '/requests in/ {print $1}' "$work/wrk-$variant.txt")
  nw=$(awk '/requests in/ {print $1}' "$work/wrk-warm-$variant.txt")
  calls=$((calls1 - calls0)); entries=$((entries1 - entries0))
  alloc=$(( $(field "$s1" allocated) - $(field "$s0" allocated) ))
  gcs="$(( $(field "$s1" gen0) - $(field "$s0" gen0) ))/$(( $(field "$s1" gen1) - $(field "$s0" gen1) ))/$(( $(field "$s1" gen2) - $(field "$s0" gen2) ))"
  jitted=$(( $(field "$s1" jitted) - $(field "$s0" jitted) ))
  locks=$(( $(field "$s1" locks) - $(field "$s0" locks) )); threads=$(field "$s1" threads)
  awk -v v="$variant" -v al="$alloc" -v gcs="$gcs" -v jit="$jitted" -v locks="$locks" -v threads="$threads" -v rps="$rps" -v n="$n" -v nw="$nw" -v a="$((a1 - a0))" -v m="$((m1 - m0))" -v t="$ticks" -v c="$calls" -v e="$entries" 'BEGIN {
    per = e > 0 ? sprintf("%.1f", c * 1000 / e) : "-";
    printf "| %s | %s | %.1f | %.1f | %d | %d | %d | %s | %d | %s | %d | %d | %d |\n", v, rps, a / t * 1e6 / n, m / t * 1e6 / n, n + nw, e, c, per, al / n, gcs, jit, locks, threads }'
done
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg); logs in $work"
