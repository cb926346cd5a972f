#!/usr/bin/env bash
# Target 3 of issue 18: a burst of events into a real Matomo 5.1.2 (../shared/matomo), the library's real sender
# against the best raw bulk client (same bodies, batch size and requests in flight, a visitor's events on one lane),
# with PHP's built-in server at 2 and at 8 workers. Prints events/s STORED by Matomo (rows of the run's own site),
# the ratio sender / raw, the ratio "default settings (adaptive in flight)" / best fixed setting, and checks that no
# event is missing or stored twice and no visit split. See MatomoBurst.cs for how each figure is taken.
#
#   bench/matomo-burst.sh                                  # a new Matomo in a temporary folder, stopped at the end
#   MATOMO_DIR=/tmp/m bench/matomo-burst.sh                # an instance started earlier with ../shared/matomo/start --dir
#   WORKERS="2 8" EVENTS=5000 VISITORS=500 BATCH_SIZE=100 IN_FLIGHT=1,2,4,8 ROUNDS=2 bench/matomo-burst.sh
#
# Timed work on a shared machine: the whole run holds /tmp/piwik-bench.lock. It restarts the instance's PHP server
# (same command line as ../shared/matomo/start's start_php, another PHP_CLI_SERVER_WORKERS) and leaves it at 4 workers.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${PIWIK_BENCH_LOCKED:-}" != 1 ]; then
  exec env PIWIK_BENCH_LOCKED=1 flock -o /tmp/piwik-bench.lock "$0" "$@" # -o: servers started here must not hold the lock
fi

WORKERS=${WORKERS:-"2 8"}
EVENTS=${EVENTS:-5000}
VISITORS=${VISITORS:-500}
BATCH_SIZE=${BATCH_SIZE:-100}
IN_FLIGHT=${IN_FLIGHT:-1,2,4,8}
ROUNDS=${ROUNDS:-2}
SHARED=${SHARED_MATOMO:-../shared/matomo}
[ -d "$SHARED" ] || SHARED=/work/shared/matomo
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

own=""
if [ -z "${MATOMO_DIR:-}" ]; then
  MATOMO_DIR=$(mktemp -d)
  own=1
  echo "Starting a Matomo in $MATOMO_DIR..."
  "$SHARED/start" --dir "$MATOMO_DIR" >/dev/null
fi
. "$MATOMO_DIR/env"
cleanup() {
  [ -n "$own" ] && "$SHARED/stop" "$MATOMO_DIR" 2>/dev/null && rm -rf "$MATOMO_DIR"
  true
}
trap cleanup EXIT

echo "Building the benchmarks (Release)..."
dotnet build bench/Piwik.Benchmarks -c Release -v q -nologo >"$MATOMO_DIR/log/bench-build.log" 2>&1 || { cat "$MATOMO_DIR/log/bench-build.log"; exit 1; }

port=${MATOMO_URL#http://127.0.0.1:}; port=${port%/}
docroot="$MATOMO_DIR/matomo"; run="$MATOMO_DIR/run"; logs="$MATOMO_DIR/log"

restart_php() { # restart_php WORKERS: stop the PHP server's process group, start it again as start_php does
  local workers=$1 pid i
  pid=$(cat "$run/php.pid")
  kill -TERM -- "-$pid" 2>/dev/null || true
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  for i in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break; sleep 0.1; done
  rm -f "$run/php.pid"
  ( cd "$docroot" && exec env -u http_proxy -u https_proxy -u HTTP_PROXY -u HTTPS_PROXY -u ALL_PROXY -u all_proxy \
      PHP_CLI_SERVER_WORKERS="$workers" setsid bash -c 'echo $$ > "$0"; exec "$@"' "$run/php.pid" \
      php -d opcache.enable_cli=1 -d opcache.memory_consumption=128 -d opcache.interned_strings_buffer=16 \
          -d opcache.max_accelerated_files=20000 -d memory_limit=1G -d max_execution_time=0 \
          -d display_errors=0 -d log_errors=1 -d error_log="$logs/php-errors.log" \
          -S "127.0.0.1:$port" -t "$docroot" >>"$logs/php.log" 2>&1 </dev/null ) &
  for i in $(seq 1 100); do
    [ "$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' --max-time 5 "${MATOMO_URL}matomo.php" || true)" != 000 ] && return 0
    sleep 0.1
  done
  echo "PHP server did not come back on port $port" >&2; exit 1
}

status=0
for w in $WORKERS; do
  restart_php "$w"
  echo
  echo "== Matomo with $w PHP workers ($(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)) =="
  dotnet bench/Piwik.Benchmarks/bin/Release/net10.0/Piwik.Benchmarks.dll matomo-burst \
    --url "$MATOMO_URL" --token "$MATOMO_TOKEN_AUTH" --db "$MATOMO_DB" --events "$EVENTS" --visitors "$VISITORS" \
    --batch-size "$BATCH_SIZE" --in-flight "$IN_FLIGHT" --rounds "$ROUNDS" --label "$w PHP workers" || status=1
done
[ -n "$own" ] || restart_php 4
exit $status
