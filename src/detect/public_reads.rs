//! Reads of a Cloud Storage bucket after it was made public, from its usage logs.
//!
//! Google writes no Data Access audit log for requests by `allUsers`: once a bucket is public,
//! the reads that use the exposure appear only in its usage logs, which name no identity (the
//! client address stands in). So after an exposure in the data (a rule with `exposes` on a
//! GCS bucket), a usage-log read of that bucket from an address that had not read it before
//! is the exposure being used: a finding per address, which correlation joins to the grant's
//! incident (`public_read`). Per bucket, the addresses seen reading it are kept (bounded).

use hashbrown::{HashMap, HashSet};
use std::net::IpAddr;

use crate::catalogue::{rule, Catalogue};
use crate::detect::access::{Access, Sym, Symbols};
use crate::detect::emit::{Ctx, Emitter};
use crate::event::{ActionClass, Format};
use crate::time::NANOS_PER_HOUR;

type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
type FastSet<K> = HashSet<K, foldhash::fast::RandomState>;

pub const RULE_IDS: &[&str] = &[rule::GCP_GCS_PUBLIC_READ];

/// How long after an exposure a read from a new address is its use.
const AFTER_EXPOSURE: i64 = 72 * NANOS_PER_HOUR;
/// Buckets followed, and addresses remembered per bucket (an attacker can mint both): at most
/// about a million addresses, some 40 MB.
const MAX_BUCKETS: usize = 4_096;
const MAX_ADDRESSES: usize = 256;

#[derive(Default)]
struct Bucket {
    /// When it was made public in the data (the latest exposure).
    exposed: Option<i64>,
    /// Addresses seen reading it in its usage logs.
    readers: FastSet<IpAddr>,
}

/// Usage-log readers per bucket, and the buckets' exposures.
#[derive(Default)]
pub(crate) struct PublicReads {
    buckets: FastMap<Sym, Bucket>,
}

/// The state for the next run, with bucket names written out.
#[derive(serde::Serialize, serde::Deserialize)]
struct BucketState {
    bucket: String,
    exposed: Option<i64>,
    readers: Vec<IpAddr>,
}

impl crate::detect::detector::Detector for PublicReads {
    fn name(&self) -> &'static str {
        "public_reads"
    }

    fn rule_ids(&self) -> &'static [&'static str] {
        RULE_IDS
    }

    fn stages(&self) -> crate::detect::detector::Stages {
        crate::detect::detector::Stages::REQUEST
    }

    fn request(&mut self, a: &Access, ctx: &Ctx, out: &mut Emitter) {
        if a.bucket == 0 || a.error() {
            return;
        }
        if let Some(hit) = &a.hit {
            if a.format == Format::GcsAudit && Catalogue::get().is(hit.rule, |r| r.exposes) {
                if let Some(b) = self.bucket(a.bucket) {
                    b.exposed = Some(a.time);
                }
            }
            return;
        }
        let read = matches!(a.class, ActionClass::Read | ActionClass::List);
        let (true, Format::GcsUsage, Some(ip)) = (read, a.format, a.source_ip) else {
            return;
        };
        let Some(b) = self.bucket(a.bucket) else {
            return;
        };
        let new_reader = !b.readers.contains(&ip);
        if new_reader && b.readers.len() < MAX_ADDRESSES {
            b.readers.insert(ip);
        }
        let Some(exposed) = b
            .exposed
            .filter(|&t| a.time >= t && a.time - t <= AFTER_EXPOSURE)
        else {
            return;
        };
        // An address that read the bucket before it was made public is its usual reader; the
        // new ones are the public. Their later reads extend the finding.
        if new_reader {
            let bucket = ctx.syms.text(a.bucket);
            out.emit(
                ctx,
                rule::GCP_GCS_PUBLIC_READ,
                a,
                || {
                    format!(
                        "{} of bucket {bucket}, made public at {}, from an address that had not read it",
                        ctx.syms.text(a.action),
                        crate::time::rfc3339(exposed)
                    )
                },
                |f| {
                    f.set("exposed_at", crate::time::rfc3339(exposed));
                    f.set("bucket", bucket.clone());
                },
            );
        } else {
            out.extend(ctx, rule::GCP_GCS_PUBLIC_READ, a, |_| {});
        }
    }

    fn snapshot(&self, _end: Option<i64>, syms: &Symbols) -> Option<serde_json::Value> {
        let mut v: Vec<BucketState> = self
            .buckets
            .iter()
            .map(|(b, s)| {
                let mut readers: Vec<IpAddr> = s.readers.iter().copied().collect();
                readers.sort_unstable();
                BucketState {
                    bucket: syms.text(*b),
                    exposed: s.exposed,
                    readers,
                }
            })
            .collect();
        v.sort_by(|a, b| a.bucket.cmp(&b.bucket));
        serde_json::to_value(v).ok()
    }

    fn restore(&mut self, state: serde_json::Value, syms: &Symbols) -> anyhow::Result<()> {
        let v: Vec<BucketState> = serde_json::from_value(state)?;
        for s in v.into_iter().take(MAX_BUCKETS) {
            let b = self.buckets.entry(syms.intern(&s.bucket)).or_default();
            b.exposed = s.exposed;
            b.readers.extend(s.readers.into_iter().take(MAX_ADDRESSES));
        }
        Ok(())
    }
}

impl PublicReads {
    /// The bucket's entry, if it has one or there is room for one.
    fn bucket(&mut self, bucket: Sym) -> Option<&mut Bucket> {
        if !self.buckets.contains_key(&bucket) && self.buckets.len() >= MAX_BUCKETS {
            return None;
        }
        Some(self.buckets.entry(bucket).or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::detector::Detector;

    /// The buckets' readers and exposures carry into the next run by name.
    #[test]
    fn state_round_trip() {
        let syms = Symbols::default();
        let mut one = PublicReads::default();
        let b = one.bucket(syms.intern("ml-models")).unwrap();
        b.exposed = Some(7);
        b.readers.insert("10.0.0.5".parse().unwrap());
        let state = one.snapshot(None, &syms).unwrap();
        let other = Symbols::default();
        other.intern("something else first");
        let mut two = PublicReads::default();
        two.restore(state.clone(), &other).unwrap();
        let back = &two.buckets[&other.intern("ml-models")];
        assert_eq!(back.exposed, Some(7));
        assert!(back
            .readers
            .contains(&"10.0.0.5".parse::<IpAddr>().unwrap()));
        assert_eq!(two.snapshot(None, &other).unwrap(), state);
    }
}
