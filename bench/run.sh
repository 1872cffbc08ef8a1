#!/usr/bin/env bash
# bench/run.sh [CORPUS_DIR] — speed of `trailhound scan` over the 2 M-event CloudTrail
# benchmark corpus, side by side with the decompression floor (2 parallel igzip processes).
#
# Prints the shared ratio.sh rounds, then events/s, MB/s (decompressed JSON and gzip read) and
# peak RSS, and then the findings of medium or above on that benign world (false alarms). The
# corpus is made once by the shared mkcorpus.py (about a minute on 2 cores).
# SHARED points at the shared workspace (default: ../shared next to this checkout).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${SHARED:-$(cd "$here/../shared" 2>/dev/null && pwd || true)}
CORPUS=${1:-/tmp/ct-2m}
if [ -z "$SHARED" ] || [ ! -x "$SHARED/bench/ratio.sh" ]; then
  echo "bench/run.sh: set SHARED to the directory holding bench/ratio.sh and bench/mkcorpus.py" >&2
  exit 2
fi
if ! command -v igzip >/dev/null 2>&1; then
  echo "installing igzip (Debian package isal), the decompression floor" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq isal >/dev/null
fi
if [ ! -f "$CORPUS/COUNT" ]; then
  python3 "$SHARED/bench/mkcorpus.py" --out "$CORPUS" --events 2000000
fi
cd "$here"
cargo build --release --quiet
out=$(mktemp)
trap 'rm -f "$out"' EXIT
report() {
python3 - "$CORPUS" "$out" "$1" <<'PY'
import json, re, sys
corpus, out = sys.argv[1], open(sys.argv[2]).read()
meta = json.load(open(f"{corpus}/CORPUS.json"))
events = int(open(f"{corpus}/COUNT").read().split()[0])
last = out.strip().splitlines()[-1]
m = re.search(r"ratio ([\d.]+) \(cmd ([\d.]+)s, floor \S+ ([\d.]+)s", last)
if not m:
    sys.exit("bench/run.sh: no ratio line: " + last)
ratio, cmd, floor = (float(x) for x in m.groups())
rss = max(int(x) for x in re.findall(r"max RSS (\d+) MiB", out))
def find(d, *names):
    for n in names:
        if n in d:
            return d[n]
    return None
raw = find(meta, "uncompressed_bytes", "json_bytes")
gz = find(meta, "compressed_bytes", "gzip_bytes")
print(f"== {sys.argv[3]}")
print(f"events        {events:,}")
print(f"time          {cmd:.2f} s (floor {floor:.2f} s, ratio {ratio:.2f})")
print(f"events/s      {events / cmd:,.0f}")
if raw:
    print(f"MB/s (JSON)   {raw / 1e6 / cmd:,.0f}")
if gz:
    print(f"MB/s (gzip)   {gz / 1e6 / cmd:,.0f}")
print(f"peak RSS      {rss} MiB")
PY
}
echo "## ingest only (scan --no-detect): the ingest core against the decompression floor"
"$SHARED/bench/ratio.sh" "$CORPUS" target/release/trailhound scan "$CORPUS/AWSLogs" --no-detect --format jsonl -o /dev/null | tee "$out"
report "scan --no-detect"
echo "## the whole job (scan): ingest, baselines, detectors, correlation"
"$SHARED/bench/ratio.sh" "$CORPUS" target/release/trailhound scan "$CORPUS/AWSLogs" --format jsonl -o /dev/null | tee "$out"
report "scan"
echo "## false alarms: the benchmark world is benign, so every finding of medium or above is one"
target/release/trailhound scan "$CORPUS/AWSLogs" --format jsonl -o "$out" 2>/dev/null || true
python3 - "$out" <<'PY'
import collections, json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
alarms = collections.Counter(
    (r["rule"], r["severity"]) for r in rows
    if r.get("type") == "finding" and r.get("severity") in ("medium", "high", "critical"))
incidents = sum(1 for r in rows
                if r.get("type") == "incident" and r.get("severity") in ("medium", "high", "critical"))
print(f"findings >= medium   {sum(alarms.values())}")
for (rule, sev), n in alarms.most_common():
    print(f"  {n:6}  {sev:8}  {rule}")
print(f"incidents >= medium  {incidents}")
PY
