#!/usr/bin/env python3
"""Where the time under one frame goes, from a dotnet-trace speedscope file (evented profiles, one per thread).

Sums thread time under the outermost frame whose name contains ANCHOR, by callee at each depth below it (1 = direct
callees). Thread time, not CPU time: a blocked thread counts too (the sampled-thread-time profile samples every thread).

  /tmp/tools/dotnet-trace collect --profile dotnet-sampled-thread-time --format speedscope -o /tmp/csc.nettrace \
      -- dotnet exec .../Roslyn/bincore/csc.dll @with.rsp        # the response file of bench/csc-cost.sh
  bench/trace-callees.py /tmp/csc.speedscope.json TrackingAnalyzer 9 60
"""
import collections
import json
import sys

path, anchor = sys.argv[1], sys.argv[2]
depth = int(sys.argv[3]) if len(sys.argv) > 3 else 1
top = int(sys.argv[4]) if len(sys.argv) > 4 else 40
trace = json.load(open(path))
frames = [f["name"] for f in trace["shared"]["frames"]]
callees = collections.Counter()
total = 0.0
for profile in trace["profiles"]:
    stack, last = [], None
    for event in profile["events"]:
        at = event["at"]
        if last is not None and stack and at > last:
            start = next((i for i, f in enumerate(stack) if anchor in frames[f]), None)
            if start is not None:
                total += at - last
                for k in range(1, depth + 1):
                    if start + k < len(stack):
                        callees[(k, frames[stack[start + k]].split("(")[0][-140:])] += at - last
        last = at
        if event["type"] == "O":
            stack.append(event["frame"])
        else:
            while stack and stack.pop() != event["frame"]:
                pass
print(f"under {anchor}: {total:.0f} {trace['profiles'][0]['unit']}")
for (k, name), time in sorted(callees.items(), key=lambda c: -c[1])[:top]:
    print(f"{k} {time:8.0f} {name}")
