#!/usr/bin/env bash
# Checks that every tracked request a load run sent (load/signup.lua's ids-PREFIX-*.txt, each id once, in order per
# wrk thread) reached the receiver exactly once (DELIVERED: one stored event name per line). A request wrk had not
# had an answer for when it stopped may not have been served at all: it may be missing only if it is among the last
# CONNECTIONS its wrk thread sent (each connection has one request in flight), and only as many as were unanswered; a
# request answered other than 2xx records nothing. Nothing may be stored twice. Prints one line; fails otherwise.
#
#   load/exactly-once.sh WORK PREFIX DELIVERED CONNECTIONS
set -euo pipefail
work=$1; prefix=$2; delivered_file=$3; connections=$4
source "$(dirname "$0")/common.sh" # answered

sent=$(cat "$work"/ids-"$prefix"-*.txt | wc -l)
answered=$(answered "$prefix")
other=$(cat "$work"/ans-"$prefix"-*.txt | grep -vc '^2$' || true)
unanswered=$((sent - answered - other))
sort "$work"/ids-"$prefix"-*.txt >"$work/sent-$prefix.txt"
sort "$delivered_file" >"$work/delivered-$prefix-sorted.txt"
delivered=$(wc -l <"$work/delivered-$prefix-sorted.txt")
unique=$(sort -u "$work/delivered-$prefix-sorted.txt" | tee "$work/delivered-$prefix-unique.txt" | wc -l)
# wrk calls its first thread's request() once to check the script before any request is sent: that id never goes out.
comm -23 "$work/sent-$prefix.txt" "$work/delivered-$prefix-unique.txt" | { grep -vx -- "$prefix-1-1" || true; } >"$work/missing-$prefix.txt"
sent=$((sent - 1)); unanswered=$((unanswered - 1))
missing=$(wc -l <"$work/missing-$prefix.txt")

# Missing ids among the last CONNECTIONS each wrk thread sent (ids are PREFIX-THREAD-COUNTER).
in_tail=$(awk -F- -v c="$connections" '
  FNR == NR { if ($NF + 0 > last[$(NF - 1)]) last[$(NF - 1)] = $NF + 0; next }
  { if ($NF + 0 > last[$(NF - 1)] - c) n++ }
  END { print n + 0 }' "$work/sent-$prefix.txt" "$work/missing-$prefix.txt")
elsewhere=$((missing - in_tail))

echo "tracked requests sent: $sent, answered 2xx: $answered (other: $other, unanswered when the load stopped: $unanswered); stored by the receiver: $delivered; missing: $missing ($in_tail of them among the last requests in flight), duplicates: $((delivered - unique))"
[ "$delivered" -eq "$unique" ] && [ "$in_tail" -le "$unanswered" ] && [ "$elsewhere" -le "$other" ]
