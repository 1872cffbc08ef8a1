//! `generate`: a deterministic multi-cloud world of object-storage audit logs with known attacks.
//!
//! Sits outside the scan pipeline: it writes the files `scan` reads. [`world`] builds the
//! benign traffic of dozens of principals as abstract events, [`scenarios`] weaves attacks
//! into the last days and returns their ground truth ([`Label`]), and one writer per format
//! turns the events into the files each cloud writes, in its own layout. Every random choice
//! comes from [`rng::Rng`] streams forked from the seed, and every collection that is written
//! is ordered, so one seed gives byte-identical output.

// The generator slices only text it wrote itself (hex digits, ISO times, fixed ids), never a
// record's value, so a byte-indexed slice cannot land inside a character.
#![allow(clippy::string_slice)]

pub mod aws_cloudtrail;
pub mod azure_activity;
pub mod azure_blob_logs;
pub mod azure_storage_analytics;
pub mod gcs_audit;
pub mod rng;
pub mod s3_access;
pub mod scenarios;
pub mod text;
pub mod world;

use std::collections::BTreeMap;
use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::generate::rng::Rng;
use crate::generate::text::DAY;

/// First day of every generated world (a Monday), fixed so that output never depends on the
/// clock of the machine that runs `generate`.
pub const START_DAY: (i64, u32, u32) = (2026, 1, 5);

/// What to generate.
#[derive(Clone, Debug)]
pub struct Options {
    pub out: PathBuf,
    pub days: u32,
    pub seed: u64,
    /// Multiplies the benign volume (1.0 ≈ 150k–300k events over 35 days).
    pub scale: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            out: PathBuf::from("trailhound-data"),
            days: 35,
            seed: 1,
            scale: 1.0,
        }
    }
}

/// The largest `--scale`.
pub const MAX_SCALE: f64 = 20.0;

/// The fewest days a world can have: attacks need a week of history before them.
pub const MIN_DAYS: u32 = 14;

/// What was written.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub files: u64,
    pub bytes: u64,
    /// Records written per format id.
    pub records: BTreeMap<&'static str, u64>,
    pub labels: Vec<Label>,
    pub start: String,
    pub end: String,
}

/// One attack's ground truth, as DESIGN.md defines `labels.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Label {
    pub id: String,
    pub description: String,
    pub provider: String,
    pub principal: String,
    pub principal_aliases: Vec<String>,
    pub start: String,
    pub end: String,
    pub mitre: Vec<String>,
    pub expected_severity_min: String,
    pub expected_rules: Vec<String>,
}

/// Where a request came from: an address, or a service host as CloudTrail writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Addr {
    Ip(IpAddr),
    Host(&'static str),
}

/// Who made an AWS request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AwsKind {
    User,
    Role,
    Root,
    Service,
}

#[derive(Clone, Debug)]
pub struct AwsId {
    pub kind: AwsKind,
    pub account: &'static str,
    /// User name, role name, or the service host for `AWSService`.
    pub name: String,
    /// Role session name.
    pub session: String,
    pub key_id: String,
    /// `AIDA…` / `AROA…` unique id.
    pub unique_id: String,
}

impl AwsId {
    pub fn arn(&self) -> String {
        match self.kind {
            AwsKind::User => format!("arn:aws:iam::{}:user/{}", self.account, self.name),
            AwsKind::Role => format!(
                "arn:aws:sts::{}:assumed-role/{}/{}",
                self.account, self.name, self.session
            ),
            AwsKind::Root => format!("arn:aws:iam::{}:root", self.account),
            AwsKind::Service => self.name.clone(),
        }
    }

    pub fn role_arn(&self) -> String {
        format!("arn:aws:iam::{}:role/{}", self.account, self.name)
    }

    /// The principal id trailhound's parsers give this identity (DESIGN.md).
    pub fn principal(&self) -> String {
        match self.kind {
            AwsKind::Role => self.role_arn(),
            _ => self.arn(),
        }
    }
}

/// An AWS S3 bucket and how its access is logged.
#[derive(Clone, Debug)]
pub struct Bucket {
    pub name: &'static str,
    pub account: &'static str,
    pub region: &'static str,
    /// CloudTrail S3 data events are selected for this bucket.
    pub ct_data: bool,
    /// Server access logging delivers to the log bucket until this time (ns).
    pub access_log_until: i64,
}

/// `who` of an AWS event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AwsWho {
    Id(u16),
    Anonymous,
}

/// One AWS API call, before it is written as CloudTrail and/or an S3 access-log line.
#[derive(Clone, Debug)]
pub struct AwsEv {
    pub t: i64,
    pub who: AwsWho,
    pub src: Addr,
    pub ua: &'static str,
    pub name: &'static str,
    pub account: &'static str,
    pub region: &'static str,
    pub bucket: Option<u16>,
    pub key: String,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// Error code (`AccessDenied`, `NoSuchKey`).
    pub err: Option<&'static str>,
    /// `requestParameters` as JSON text, for calls whose parameters are not bucket + key.
    pub req: Option<String>,
    pub resp: Option<String>,
}

impl AwsEv {
    /// The S3 request id, the same in CloudTrail and in the server access log (as S3 writes
    /// them): 16 hex digits from the request itself (time, caller, operation, object, size).
    pub fn s3_request_id(&self) -> String {
        use std::hash::{Hash, Hasher};
        // FNV-1a via `Hasher`: stable across runs and platforms (std's SipHash keys are not).
        struct Fnv(u64);
        impl Hasher for Fnv {
            fn finish(&self) -> u64 {
                self.0
            }
            fn write(&mut self, bytes: &[u8]) {
                for &b in bytes {
                    self.0 = (self.0 ^ b as u64).wrapping_mul(0x100_0000_01b3);
                }
            }
        }
        let mut h = Fnv(0xcbf2_9ce4_8422_2325);
        self.t.hash(&mut h);
        self.who.hash(&mut h);
        self.name.hash(&mut h);
        self.bucket.hash(&mut h);
        self.key.hash(&mut h);
        self.bytes_in.hash(&mut h);
        self.bytes_out.hash(&mut h);
        format!("{:016X}", h.finish())
    }
}

/// One GCS request.
#[derive(Clone, Debug)]
pub struct GcsEv {
    pub t: i64,
    /// Index into [`World::gcs_ids`]; `None` is an unauthenticated (allUsers) caller.
    pub who: Option<u16>,
    pub ip: IpAddr,
    pub ua: &'static str,
    pub method: &'static str,
    pub bucket: &'static str,
    pub object: String,
    pub denied: bool,
    /// `serviceData.policyDelta.bindingDeltas`: (action, role, member).
    pub deltas: Vec<(&'static str, &'static str, String)>,
}

/// An Azure caller.
#[derive(Clone, Debug)]
pub enum AzWho {
    OAuth {
        oid: String,
        upn: Option<String>,
        app: Option<String>,
    },
    Sas(String),
    Key(String),
    Anonymous,
}

#[derive(Clone, Debug)]
pub struct AzAccount {
    pub name: &'static str,
    pub group: &'static str,
    pub location: &'static str,
    /// Logged by classic Storage Analytics (`$logs`) instead of Azure Monitor resource logs.
    pub classic: bool,
}

/// One Azure Blob request.
#[derive(Clone, Debug)]
pub struct AzEv {
    pub t: i64,
    pub acct: u8,
    pub who: u16,
    pub ip: IpAddr,
    pub port: u16,
    pub ua: &'static str,
    pub op: &'static str,
    pub container: &'static str,
    pub blob: String,
    pub status: u16,
    pub status_text: &'static str,
    pub resp_bytes: u64,
    pub req_bytes: u64,
}

/// One Azure Activity log (control plane) record of a storage account.
#[derive(Clone, Debug)]
pub struct AzActEv {
    pub t: i64,
    pub acct: u8,
    pub who: u16,
    pub ip: IpAddr,
    /// Resource-provider operation, e.g. `MICROSOFT.STORAGE/STORAGEACCOUNTS/LISTKEYS/ACTION`.
    pub op: &'static str,
    /// Sub-resource below the account (`/blobServices/default/containers/x`), or empty.
    pub sub: String,
    /// `properties.requestbody`, a JSON document written as a string.
    pub body: Option<String>,
}

/// Every actor, resource and event of one generated world.
#[derive(Debug, Default)]
pub struct World {
    pub start: i64,
    pub days: u32,
    pub scale: f64,
    pub aws_ids: Vec<AwsId>,
    pub buckets: Vec<Bucket>,
    pub gcs_project: &'static str,
    pub gcs_ids: Vec<String>,
    pub subscription: &'static str,
    pub tenant: &'static str,
    pub az_ids: Vec<AzWho>,
    pub az_accounts: Vec<AzAccount>,
    pub aws: Vec<AwsEv>,
    pub gcs: Vec<GcsEv>,
    pub az: Vec<AzEv>,
    pub az_act: Vec<AzActEv>,
}

impl World {
    pub fn end(&self) -> i64 {
        self.start + i64::from(self.days) * DAY
    }

    pub fn aws_id(&self, name: &str) -> u16 {
        self.aws_ids
            .iter()
            .position(|i| i.name == name || format!("{}/{}", i.name, i.session) == name)
            .unwrap_or_else(|| panic!("no AWS identity {name}")) as u16
    }

    pub fn bucket(&self, name: &str) -> u16 {
        self.buckets
            .iter()
            .position(|b| b.name == name)
            .unwrap_or_else(|| panic!("no bucket {name}")) as u16
    }

    pub fn gcs_id(&self, email: &str) -> u16 {
        self.gcs_ids
            .iter()
            .position(|e| e == email)
            .unwrap_or_else(|| panic!("no GCS identity {email}")) as u16
    }

    pub fn az_account(&self, name: &str) -> u8 {
        self.az_accounts
            .iter()
            .position(|a| a.name == name)
            .unwrap_or_else(|| panic!("no storage account {name}")) as u8
    }
}

/// Collects written files and counts.
pub struct Sink {
    root: PathBuf,
    /// Directories already created (thousands of files share a few hundred directories).
    dirs: std::collections::BTreeSet<PathBuf>,
    pub report: Report,
}

impl Sink {
    pub fn new(root: &Path) -> Self {
        Sink {
            root: root.to_path_buf(),
            dirs: Default::default(),
            report: Report::default(),
        }
    }

    /// Writes `bytes` to `rel` under the output directory; `records` are counted for `format`.
    pub fn write(
        &mut self,
        rel: &str,
        bytes: &[u8],
        format: &'static str,
        records: u64,
    ) -> Result<()> {
        let path = self.root.join(rel);
        if let Some(dir) = path.parent() {
            if !self.dirs.contains(dir) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
                self.dirs.insert(dir.to_path_buf());
            }
        }
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
        self.report.files += 1;
        self.report.bytes += bytes.len() as u64;
        *self.report.records.entry(format).or_default() += records;
        Ok(())
    }

    /// gzip with a fixed header (mtime 0, no name), as deterministic as the input.
    pub fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = flate2::GzBuilder::new().write(
            Vec::with_capacity(bytes.len() / 6 + 64),
            flate2::Compression::fast(),
        );
        // Writing to a Vec cannot fail.
        let _ = enc.write_all(bytes);
        enc.finish().unwrap_or_default()
    }
}

/// Generates a world into `opts.out` and returns what was written.
pub fn generate(opts: &Options) -> Result<Report> {
    if opts.days < MIN_DAYS {
        bail!("--days must be at least {MIN_DAYS}: the attacks need a week of history before them");
    }
    // The world is built in memory before it is written: scale 20 is ~3.7M events (~1 GB).
    if !(opts.scale > 0.0 && opts.scale <= MAX_SCALE) {
        bail!("--scale must be above 0 and at most {MAX_SCALE}");
    }
    if opts.out.exists()
        && std::fs::read_dir(&opts.out)
            .with_context(|| format!("cannot read {}", opts.out.display()))?
            .next()
            .is_some()
    {
        bail!(
            "{} is not empty; generate writes into a new or empty directory",
            opts.out.display()
        );
    }
    let rng = Rng::new(opts.seed);
    let mut w = world::build(opts, &rng);
    let labels = scenarios::weave(&mut w, &rng);
    let mut sink = Sink::new(&opts.out);
    aws_cloudtrail::write(&w, &rng, &mut sink)?;
    s3_access::write(&w, &rng, &mut sink)?;
    gcs_audit::write(&w, &rng, &mut sink)?;
    azure_blob_logs::write(&w, &rng, &mut sink)?;
    azure_activity::write(&w, &rng, &mut sink)?;
    azure_storage_analytics::write(&w, &rng, &mut sink)?;
    let mut json = serde_json::to_string_pretty(&labels)?;
    json.push('\n');
    sink.write("labels.json", json.as_bytes(), "labels", 0)?;
    // labels.json is ground truth, not a log file.
    sink.report.records.remove("labels");
    sink.report.labels = labels;
    sink.report.start = text::iso(w.start, 0);
    sink.report.end = text::iso(w.end(), 0);
    Ok(sink.report)
}
