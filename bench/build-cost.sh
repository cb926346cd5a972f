#!/usr/bin/env bash
# Build cost of Piwik's generator and analyzer: generates a minimal API with 1,000 [TrackAs] endpoints (RDG on) under
# a temp directory, and times full rebuilds of it with Piwik.Generator referenced as an analyzer and without it (the
# same source: the attributes live in Piwik.Runtime). Also prints the compiler's own analyzer/generator times
# (-p:ReportAnalyzer=true) for the build with it.
#
# Wall time is the target's measure; CPU time (user + sys of the build and the compiler) is printed too, as it moves less
# with other work on the machine.
#
# LAYOUT=modules spreads the endpoints over module files, as real apps map them: each a static class whose
# Map…(this IEndpointRouteBuilder app) extension makes a group and fills it, called from Program.cs (the analyzer and
# the plan follow each builder to that call).
#
#   bench/build-cost.sh              # ENDPOINTS=1000 REPS=3 LAYOUT=program
#   LAYOUT=modules bench/build-cost.sh   # 10 endpoints per module file
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
ENDPOINTS=${ENDPOINTS:-1000}
REPS=${REPS:-3}
LAYOUT=${LAYOUT:-program}
PER_MODULE=10
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet build "$repo/src/Piwik.Runtime" -c Release -v q -nologo >/dev/null
dotnet build "$repo/src/Piwik.Generator" -c Release -v q -nologo >/dev/null

generate() { # dir, with-generator(true|false)
  local dir=$1 with=$2
  mkdir -p "$dir"
  {
    echo '<Project Sdk="Microsoft.NET.Sdk.Web">'
    echo '  <PropertyGroup><TargetFramework>net10.0</TargetFramework><Nullable>enable</Nullable><ImplicitUsings>enable</ImplicitUsings>'
    echo '    <EnableRequestDelegateGenerator>true</EnableRequestDelegateGenerator><InvariantGlobalization>true</InvariantGlobalization></PropertyGroup>'
    echo '  <ItemGroup>'
    echo "    <Reference Include=\"$repo/src/Piwik.Runtime/bin/Release/net10.0/Piwik.Runtime.dll\" />"
    if [ "$with" = true ]; then
      echo "    <Analyzer Include=\"$repo/src/Piwik.Generator/bin/Release/netstandard2.0/Piwik.Generator.dll\" />"
    fi
    echo '  </ItemGroup>'
    echo '</Project>'
  } >"$dir/App.csproj"
  endpoint() { # builder, i: one Map* call
    local b=$1 i=$2
    case $((i % 4)) in
      0) echo "$b.MapGet(\"/items$i/{id}\", [TrackAs(\"view$i\", Category = \"items\", Name = \"{id}\")] (int id) => TypedResults.Ok(id));" ;;
      1) echo "$b.MapPost(\"/orders$i\", [TrackAs(\"create$i\", Category = \"orders\", Name = \"{order.Plan}\", Value = \"{order.Total}\")] (Order order) => TypedResults.Created(\"/orders$i/1\"));" ;;
      2) echo "$b.MapDelete(\"/groups$i/{groupId}/members/{memberId}\", [TrackAs(\"leave$i\", Category = \"groups\", Name = \"{groupId}\", FailureAction = \"leave-failed$i\")] (string groupId, int memberId) => memberId > 0 ? Results.NoContent() : Results.NotFound());" ;;
      3) echo "$b.MapGet(\"/search$i\", [TrackAs(\"search$i\", Category = \"search\")] (string? q) => TypedResults.Ok(q ?? \"\"));" ;;
    esac
  }
  rm -f "$dir"/Module*.cs
  {
    echo 'using Piwik;'
    echo 'var builder = WebApplication.CreateSlimBuilder(args);'
    echo 'builder.Services.AddPiwikTracking(builder.Configuration.GetSection("Piwik"));'
    echo 'var app = builder.Build();'
    if [ "$LAYOUT" = modules ]; then
      for m in $(seq 1 $(( (ENDPOINTS + PER_MODULE - 1) / PER_MODULE ))); do
        echo "app.MapModule$m();"
        {
          echo 'using Piwik;'
          echo "internal static class Module$m"
          echo '{'
          echo "    public static IEndpointRouteBuilder MapModule$m(this IEndpointRouteBuilder app)"
          echo '    {'
          echo "        var group = app.MapGroup(\"/m$m\");"
          for i in $(seq $(( (m - 1) * PER_MODULE + 1 )) $(( m * PER_MODULE < ENDPOINTS ? m * PER_MODULE : ENDPOINTS ))); do
            echo "        $(endpoint group "$i")"
          done
          echo '        return app;'
          echo '    }'
          echo '}'
        } >"$dir/Module$m.cs"
      done
    else
      for i in $(seq 1 "$ENDPOINTS"); do endpoint app "$i"; done
    fi
    echo 'app.UsePiwikTracking();'
    echo 'app.Run();'
    echo 'internal sealed record Order(string Plan, decimal Total);'
  } >"$dir/Program.cs"
  dotnet restore "$dir" -v q >/dev/null
  dotnet build "$dir" -c Release --no-restore -v q -nologo >/dev/null # warm: first build pays for restore and servers
}

time_build() { # dir -> "wall cpu" seconds of one full rebuild (cpu: user + sys of dotnet build and its children, csc included)
  local dir=$1
  /usr/bin/time -f "%e %U %S" -o "$work/time" dotnet build "$dir" -c Release --no-restore --no-incremental -v q -nologo >/dev/null
  awk '{printf "%.2f %.2f", $1, $2 + $3}' "$work/time"
}

generate "$work/without" false
generate "$work/with" true
echo "App: $ENDPOINTS endpoints with [TrackAs] ($LAYOUT layout), RDG on; $REPS full rebuilds each (--no-incremental), alternating; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
without=(); with=(); without_cpu=(); with_cpu=()
for _ in $(seq 1 "$REPS"); do
  read -r wall cpu <<<"$(time_build "$work/without")"; without+=("$wall"); without_cpu+=("$cpu")
  read -r wall cpu <<<"$(time_build "$work/with")"; with+=("$wall"); with_cpu+=("$cpu")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
m_without=$(median "${without[@]}"); m_with=$(median "${with[@]}")
c_without=$(median "${without_cpu[@]}"); c_with=$(median "${with_cpu[@]}")
echo "without Piwik.Generator: ${without[*]} s (median $m_without s); CPU ${without_cpu[*]} s (median $c_without s)"
echo "with Piwik.Generator:    ${with[*]} s (median $m_with s); CPU ${with_cpu[*]} s (median $c_with s)"
awk -v a="$m_without" -v b="$m_with" 'BEGIN {printf "added build time: %.1f %% (target <= 10 %%)\n", (b - a) / a * 100}'
awk -v a="$c_without" -v b="$c_with" 'BEGIN {printf "added CPU time:   %.1f %% (moves less with the machine load than wall time)\n", (b - a) / a * 100}'

# The compiler's own account of the generator and analyzer time, in the build with them.
dotnet build "$work/with" -c Release --no-restore --no-incremental -v d -nologo -p:ReportAnalyzer=true >"$work/report.log" 2>&1 || true
echo
echo "Compiler's report (-p:ReportAnalyzer=true), with Piwik.Generator:"
grep -E "Total (analyzer|generator) execution time|^ *[0-9.<]+ +[0-9<]+ +(Piwik|Microsoft.AspNetCore.Http.RequestDelegateGenerator)" "$work/report.log" | sed -E 's/^ +//' | sort -u | head -20
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
