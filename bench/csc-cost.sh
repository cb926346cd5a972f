#!/usr/bin/env bash
# The compiler alone on the app of bench/build-cost.sh (1,000 [TrackAs] endpoints, RDG on): runs csc, a cold process as
# in every build here, with the response file MSBuild gives it, and prints CPU (user + sys) and wall time of
#   without    - no Piwik.Generator (RDG and the SDK's analyzers still run);
#   with       - Piwik.Generator (generator and analyzer), as built from this tree;
#   gencode    - no Piwik.Generator, but its two generated files added as plain sources: what compiling them costs;
#   old        - with OLD_GENERATOR=path/to/Piwik.Generator.dll, that build instead (a before/after).
# Interleaved rounds, each run under the bench lock, so a change in the machine's load hits every variant alike.
#
#   bench/csc-cost.sh                # ENDPOINTS=1000 ROUNDS=4
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
ENDPOINTS=${ENDPOINTS:-1000}
ROUNDS=${ROUNDS:-4}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet build "$repo/src/Piwik.Runtime" -c Release -v q -nologo >/dev/null
dotnet build "$repo/src/Piwik.Generator" -c Release -v q -nologo >/dev/null
# The app generator of build-cost.sh, so that both scripts measure the same app.
source <(sed -n '/^generate()/,/^}/p' "$repo/bench/build-cost.sh")
generate "$work/app" true
app=$work/app
generator=$repo/src/Piwik.Generator/bin/Release/netstandard2.0/Piwik.Generator.dll

# The csc command line of a full rebuild: the compiler, then its arguments (paths relative to the project directory).
dotnet build "$app" -c Release --no-restore --no-incremental -v d -nologo >"$work/build.log" 2>&1
line=$(grep -m1 -E '^ +/.*/Roslyn/bincore/csc ' "$work/build.log" | sed -E 's/^ +//')
csc=(dotnet exec "${line%% *}.dll") # the apphost needs DOTNET_ROOT; the dll does not
echo "${line#* }" >"$work/with.rsp"
sed "s# /analyzer:$generator##" "$work/with.rsp" >"$work/without.rsp"
mkdir -p "$work/gen"
(cd "$app" && "${csc[@]}" @"$work/with.rsp" "/generatedfilesout:$work/gen" >"$work/csc.log") || { tail -5 "$work/csc.log"; exit 1; }
{ cat "$work/without.rsp"; find "$work/gen/Piwik.Generator" -name '*.cs' | sort; } | tr '\n' ' ' >"$work/gencode.rsp"
echo "generated: $(find "$work/gen/Piwik.Generator" -name '*.cs' -printf '%f %s bytes  ')"
variants=(without with gencode)
if [ -n "${OLD_GENERATOR:-}" ]; then
  sed "s#/analyzer:$generator#/analyzer:$OLD_GENERATOR#" "$work/with.rsp" >"$work/old.rsp"
  variants+=(old)
fi

declare -A cpu wall
echo "csc on $ENDPOINTS endpoints; $ROUNDS interleaved rounds; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq 1 "$ROUNDS"); do
  for v in "${variants[@]}"; do
    (cd "$app" && flock /tmp/piwik-bench.lock /usr/bin/time -f "%e %U %S" -o "$work/time" "${csc[@]}" @"$work/$v.rsp" >/dev/null)
    cpu[$v]="${cpu[$v]:-} $(awk '{printf "%.2f", $2 + $3}' "$work/time")"
    wall[$v]="${wall[$v]:-} $(awk '{printf "%.2f", $1}' "$work/time")"
  done
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for v in "${variants[@]}"; do
  # shellcheck disable=SC2086
  printf '%-8s CPU median %6.2f s [%s ]   wall median %6.2f s [%s ]\n' "$v" "$(median ${cpu[$v]})" "${cpu[$v]}" "$(median ${wall[$v]})" "${wall[$v]}"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
