#!/usr/bin/env python3
"""Splits a tracked app's perf samples by whose work they are, in microseconds per request.

Reads `perf script -F comm,tid,ip,sym,dso` (call graphs recorded with -g) on stdin; REQUESTS and CPU_SECONDS are the
window's (load/profile.sh prints both). A sample's stack decides its part:
  - spool appenders: a thread named "Piwik spool N" (the lanes' appenders: record copy and CRC, write, fsync);
  - sender: a frame of Piwik.Sending, Piwik.Spool or Piwik.Encoding (the read loop, encoding, delivery, spool reads);
  - request path: another Piwik frame (capture, the queue's write, the endpoint filter: with RDG the handler is
    inlined into the filter's frame, so that row holds the app's handler too);
  - the rest: ASP.NET Core, the app, the kernel, the runtime, without a Piwik frame.
Then, for the sender, its leaf functions, and for the request path, the innermost Piwik, ASP.NET or app frame.

  perf script -i perf.data -F comm,tid,ip,sym,dso | load/split-samples.py REQUESTS CPU_SECONDS [TOP]
"""
import collections
import re
import sys

requests, cpu = float(sys.argv[1]), float(sys.argv[2])
top = int(sys.argv[3]) if len(sys.argv) > 3 else 12
SENDER = ("Piwik.Sending", "Piwik.Spool", "Piwik.Encoding")


def short(frame):
    frame = re.sub(r"^[0-9a-f]+\s+", "", frame)
    frame = re.sub(r"\((/[^)]*|\[[^]]*\])\)$", "", frame).strip()
    match = re.search(r"\] ([\w.`<>+\[\],]+::[\w.<>`|]+)", frame)
    return (match.group(1) if match else frame)[:100]


parts, sender_leaf, request_inner = collections.Counter(), collections.Counter(), collections.Counter()
total = 0


def add(comm, frames):
    global total
    if comm is None:
        return
    total += 1
    text = "\n".join(frames)
    if comm.startswith("Piwik spool"):
        parts["spool appenders"] += 1
    elif any(s in text for s in SENDER):
        parts["sender"] += 1
        sender_leaf[short(frames[0]) if frames else "?"] += 1
    elif "Piwik." in text:
        parts["request path"] += 1
        owner = next((short(f) for f in frames if re.search(r"\] (Piwik|Microsoft|MinimalApi|System\.Text\.Json)", f)), "?")
        request_inner[owner] += 1
    else:
        parts["the rest (no Piwik frame)"] += 1


comm, frames = None, []
for line in sys.stdin:
    line = line.rstrip("\n")
    if not line.strip():
        add(comm, frames)
        comm, frames = None, []
    elif not line[0].isspace():
        match = re.match(r"(.+?)\s+\d+\s", line)
        comm, frames = (match.group(1).strip() if match else line.split()[0]), []
    else:
        frames.append(line.strip())
add(comm, frames)

if total == 0:
    sys.exit("no samples")
per = cpu * 1e6 / requests / total
print(f"{total} samples, {cpu * 1e6 / requests:.2f} us per request in all")
for name, n in parts.most_common():
    print(f"  {n * per:6.2f} us  {name}")
print("sender, by leaf function:")
for name, n in sender_leaf.most_common(top):
    print(f"  {n * per:6.3f} us  {name}")
print("request path, by innermost Piwik, ASP.NET Core or app frame:")
for name, n in request_inner.most_common(top):
    print(f"  {n * per:6.3f} us  {name}")
