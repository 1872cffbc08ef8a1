#!/usr/bin/env python3
"""Writes the cardinality benchmark input: N CloudTrail S3 data events from N distinct
principals (or --principals P), each event with its own source address and user agent (the shape of GCS usage logs, Azure
SAS tokens and role sessions, and what an attacker can mint at will).

    bench/mkdistinct.py --out DIR [--events 1000000] [--files 200] [--seed 1]

DIR/AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/DD/*.json.gz in CloudTrail's delivery
layout and file format, spread over 24 hours in time order, plus DIR/COUNT. Deterministic.
"""
import argparse
import gzip
import json
import os
import random

ap = argparse.ArgumentParser()
ap.add_argument("--out", required=True)
ap.add_argument("--events", type=int, default=1_000_000)
ap.add_argument("--files", type=int, default=200)
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--principals", type=int, default=0,
                help="cycle through this many principals (default: one per event); addresses "
                     "and agents stay distinct per event")
args = ap.parse_args()

rng = random.Random(args.seed)
start = 1_793_318_400  # 2026-10-30T00:00:00Z
span = 24 * 3600
per_file = (args.events + args.files - 1) // args.files
acct = "111122223333"
buckets = ["public-assets", "customer-exports", "shared-datasets"]
n = 0
for f in range(args.files):
    count = min(per_file, args.events - n)
    if count <= 0:
        break
    t0 = start + span * f // args.files
    t1 = start + span * (f + 1) // args.files
    records = []
    for k in range(count):
        i = n + k
        t = t0 + (t1 - t0) * k // count
        ts = "%04d-%02d-%02dT%02d:%02d:%02dZ" % (2026, 10, 30 + t // 86400 - start // 86400,
                                                 (t % 86400) // 3600, (t % 3600) // 60, t % 60)
        ip = "%d.%d.%d.%d" % (11 + (i >> 24) % 200, (i >> 16) & 255, (i >> 8) & 255, i & 255)
        ua = "client-%d/%d.%d (%s)" % (i, rng.randrange(10), rng.randrange(100), rng.choice(["Linux", "Windows", "Mac OS X"]))
        user = "svc-%07d" % (i % args.principals if args.principals else i)
        bucket = buckets[i % 3]
        key = "data/%02d/%08x.bin" % (i % 97, rng.getrandbits(32))
        records.append({
            "eventVersion": "1.09",
            "userIdentity": {"type": "IAMUser", "principalId": "AIDA%016X" % i,
                             "arn": "arn:aws:iam::%s:user/%s" % (acct, user), "accountId": acct,
                             "accessKeyId": "AKIA%016X" % i, "userName": user},
            "eventTime": ts, "eventSource": "s3.amazonaws.com", "eventName": "GetObject",
            "awsRegion": "us-east-1", "sourceIPAddress": ip, "userAgent": ua,
            "requestParameters": {"bucketName": bucket, "Host": "%s.s3.us-east-1.amazonaws.com" % bucket, "key": key},
            "responseElements": None,
            "additionalEventData": {"SignatureVersion": "SigV4", "bytesTransferredIn": 0,
                                    "bytesTransferredOut": 1000 + i % 5000},
            "requestID": "%016X" % (i * 2654435761 % (1 << 64)), "eventID": "%08x-0000-4000-8000-%012x" % (f, i),
            "readOnly": True, "resources": [
                {"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::%s/%s" % (bucket, key)},
                {"accountId": acct, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::%s" % bucket}],
            "eventType": "AwsApiCall", "managementEvent": False, "recipientAccountId": acct,
            "eventCategory": "Data",
        })
    n += count
    day = 30 + (t0 - start) // 86400
    hh = (t0 % 86400) // 3600
    mm = (t0 % 3600) // 60
    d = os.path.join(args.out, "AWSLogs", acct, "CloudTrail", "us-east-1", "2026", "10", "%02d" % day)
    os.makedirs(d, exist_ok=True)
    name = "%s_CloudTrail_us-east-1_202610%02dT%02d%02dZ_%06d.json.gz" % (acct, day, hh, mm, f)
    with gzip.open(os.path.join(d, name), "wt", compresslevel=6) as out:
        json.dump({"Records": records}, out, separators=(",", ":"))
with open(os.path.join(args.out, "COUNT"), "w") as c:
    c.write("%d\n" % n)
