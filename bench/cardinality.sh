#!/usr/bin/env bash
# bench/cardinality.sh — memory and time under cardinality (issue 12): one million CloudTrail
# events from one million distinct principals (each with its own address and agent) against
# one million ordinary events (the shared benchmark corpus' world), both through `scan`.
#
# Prints, for each input, wall time and peak RSS (best of 3), then the ratio of the times and
# the findings of medium or above; then the ordinary input again with a 100,000-network IP
# list loaded (FireHOL-sized), which must cost a table lookup per event, not 100,000 compares.
# Inputs are made once under /tmp (about two minutes).
# SHARED points at the shared workspace (default: ../shared next to this checkout).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${SHARED:-$(cd "$here/../shared" 2>/dev/null && pwd || true)}
EVENTS=${EVENTS:-1000000}
DISTINCT=${DISTINCT:-/tmp/distinct-$EVENTS}
ORDINARY=${ORDINARY:-/tmp/ordinary-$EVENTS}
if [ ! -f "$DISTINCT/COUNT" ]; then
  python3 "$here/bench/mkdistinct.py" --out "$DISTINCT" --events "$EVENTS"
fi
if [ ! -f "$ORDINARY/COUNT" ]; then
  if [ -z "$SHARED" ] || [ ! -f "$SHARED/bench/mkcorpus.py" ]; then
    echo "bench/cardinality.sh: set SHARED to the directory holding bench/mkcorpus.py" >&2
    exit 2
  fi
  python3 "$SHARED/bench/mkcorpus.py" --out "$ORDINARY" --events "$EVENTS"
fi
cd "$here"
cargo build --release --quiet
LIST=$(mktemp -d)
trap 'rm -rf "$LIST"' EXIT
python3 - "$LIST" "$ORDINARY" <<'PY'
import glob, gzip, json, random, sys
rng = random.Random(7)
d, corpus = sys.argv[1], sys.argv[2]
# Networks that miss the corpus' addresses (their first octets are sampled from its files), so
# the figure is the cost of the lookups, not of a quarter of a million findings.
used = set()
for path in sorted(glob.glob(f"{corpus}/AWSLogs/**/*.json.gz", recursive=True))[::10]:
    for r in json.load(gzip.open(path))["Records"]:
        ip = r.get("sourceIPAddress", "")
        if ip[:1].isdigit() and "." in ip:
            used.add(int(ip.split(".")[0]))
free = [a for a in range(1, 224) if a not in used]
with open(f"{d}/firehol.netset", "w") as f:
    f.write("# 100,000 networks: /32 hosts and /16-/24 networks, as FireHOL level 1-3 lists hold\n")
    for i in range(100_000):
        a, b, c, e = rng.choice(free), rng.randrange(256), rng.randrange(256), rng.randrange(256)
        if i % 4 == 0:
            f.write(f"{a}.{b}.{c}.0/{rng.randrange(16, 25)}\n")
        else:
            f.write(f"{a}.{b}.{c}.{e}\n")
with open(f"{d}/trailhound.toml", "w") as f:
    f.write('[[ip_list]]\nname = "firehol"\nfile = "firehol.netset"\n')
PY
measure() {
  local best_t="" best_m="" out
  out=$(mktemp)
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %M" -o "$out.time" target/release/trailhound scan "$1/AWSLogs" \
      --format jsonl -o "$out" ${2:+--config "$2"} || true
    read -r t m < "$out.time"
    if [ -z "$best_t" ] || awk "BEGIN{exit !($t < $best_t)}"; then best_t=$t; fi
    if [ -z "$best_m" ] || [ "$m" -lt "$best_m" ]; then best_m=$m; fi
  done
  local alarms
  alarms=$(grep -c '"severity":"\(medium\|high\|critical\)"' "$out" || true)
  local summary
  summary=$(tail -1 "$out")
  rm -f "$out" "$out.time"
  echo "$best_t $best_m $alarms $summary"
}
read -r dt dm da dsum <<<"$(measure "$DISTINCT")"
read -r ot om oa osum <<<"$(measure "$ORDINARY")"
read -r lt lm la lsum <<<"$(measure "$ORDINARY" "$LIST/trailhound.toml")"
python3 - "$dt" "$dm" "$da" "$ot" "$om" "$oa" "$EVENTS" "$dsum" "$lt" "$lm" <<'PY'
import json, sys
dt, dm, da, ot, om, oa, n = sys.argv[1:8]
lt, lm = float(sys.argv[9]), int(sys.argv[10]) / 1024
dt, ot, n = float(dt), float(ot), int(n)
dm, om = int(dm) / 1024, int(om) / 1024
s = json.loads(sys.argv[8])
print(f"== {n:,} events from {n:,} distinct principals")
print(f"time          {dt:.2f} s ({n / dt:,.0f} events/s)")
print(f"peak RSS      {dm:.0f} MiB")
print(f"findings      {s['findings_by_severity']} ({da} of medium or above)")
print(f"memory        {s.get('memory')}")
print(f"== {n:,} ordinary events (shared benchmark world)")
print(f"time          {ot:.2f} s ({n / ot:,.0f} events/s)")
print(f"peak RSS      {om:.0f} MiB")
print(f"findings      {oa} of medium or above")
print(f"== distinct / ordinary: time x{dt / ot:.2f} (target <= 3), peak RSS {dm:.0f} MiB (target <= 1024)")
print(f"== ordinary with a 100,000-network IP list: {lt:.2f} s ({n / lt:,.0f} events/s), peak RSS {lm:.0f} MiB, x{lt / ot:.2f} the time without it")
PY
