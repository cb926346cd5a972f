# Shared by load/paired.sh and load/profile.sh (sourced, after `work` and `pids` are set): the Release builds, the
# counting receiver on core 1 (bench's MatomoModel; its thread pool's spinning off, it only waits between requests),
# and the sample's spool settings (SPOOL=on: a directory of the run's own; off: a content root whose appsettings.json
# has no spool, since configuration cannot unset the sample's key).

build_release() {
  dotnet build samples/MinimalApi -c Release -v q -nologo >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
  dotnet build bench/Piwik.Benchmarks -c Release -v q -nologo >>"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
}

start_receiver() { # sets receiver (its pid); its URL is in $work/matomo-url, the e_n it stored in $work/delivered.txt
  DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 timeout 3600 taskset -c 1 dotnet bench/Piwik.Benchmarks/bin/Release/net10.0/Piwik.Benchmarks.dll matomo \
    --url-file "$work/matomo-url" --ids-file "$work/delivered.txt" >"$work/receiver.log" 2>&1 &
  receiver=$!; pids+=("$receiver")
  for _ in $(seq 1 150); do [ -s "$work/matomo-url" ] && break; sleep 0.2; done
}

answered() { # answered PREFIX: 2xx answers load/signup.lua has written so far (flushed every 256)
  cat "$work"/ans-"$1"-*.txt 2>/dev/null | grep -c '^2$' || true
}

spool_settings() { # sets spool_env for SPOOL=on|off
  spool_env=(Piwik__SpoolDirectory="$work/spool")
  if [ "${SPOOL:-on}" = off ]; then
    mkdir -p "$work/nospool"
    grep -v '"SpoolDirectory"' samples/MinimalApi/appsettings.json | sed 's/"DefaultCategory": "api",/"DefaultCategory": "api"/' >"$work/nospool/appsettings.json"
    spool_env=(ASPNETCORE_CONTENTROOT="$work/nospool")
  fi
}
