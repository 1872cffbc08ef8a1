//! The compact event detectors work on, and the shared symbol table behind it.
//!
//! A [`Batch`] is turned into [`Access`] records on the worker thread that parsed it: every
//! string becomes a [`Sym`] (a `u32` from one run-wide interner), so the batch's text can be
//! dropped at once and the detection thread handles small fixed-size records. Workers keep a
//! local cache in front of the shared, sharded interner, so the common case takes no lock.

use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::Mutex;

use crate::event::{AccessEvent, ActionClass, AuthMethod, Batch, Format, PrincipalType};

/// An interned string id; 0 is the empty string.
pub type Sym = u32;

const SHARDS: usize = 16;

struct Shard {
    table: hashbrown::HashTable<u32>,
    strings: Vec<Box<str>>,
}

/// The run-wide interner: sharded by hash, bounded in bytes, seeded.
pub struct Symbols {
    shards: Vec<Mutex<Shard>>,
    hasher: foldhash::fast::RandomState,
    bytes: std::sync::atomic::AtomicUsize,
    max_bytes: usize,
    /// Strings refused because the budget was spent (they became the empty symbol).
    refused: std::sync::atomic::AtomicU64,
}

impl Default for Symbols {
    fn default() -> Self {
        Symbols::new(384 << 20)
    }
}

impl Symbols {
    pub fn new(max_bytes: usize) -> Self {
        Symbols {
            shards: (0..SHARDS)
                .map(|_| {
                    Mutex::new(Shard {
                        table: hashbrown::HashTable::new(),
                        strings: Vec::new(),
                    })
                })
                .collect(),
            hasher: foldhash::fast::RandomState::default(),
            bytes: Default::default(),
            max_bytes,
            refused: Default::default(),
        }
    }

    /// The id of `s` (0 for the empty string, or when the byte budget is spent).
    pub fn intern(&self, s: &str) -> Sym {
        self.intern_within(s, self.max_bytes)
    }

    /// [`Symbols::intern`] for text an attacker can vary at will without changing who they
    /// are (user agents, object keys, error codes): new strings only while half the budget
    /// is free, so that principal, account and bucket names always find room.
    pub fn intern_soft(&self, s: &str) -> Sym {
        self.intern_within(s, self.max_bytes / 2)
    }

    /// Strings refused for want of budget so far.
    pub fn refused(&self) -> u64 {
        self.refused.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn intern_within(&self, s: &str, max_bytes: usize) -> Sym {
        if s.is_empty() {
            return 0;
        }
        let h = self.hasher.hash_one(s);
        let shard_no = (h as usize) % SHARDS;
        let mut shard = self.shards[shard_no]
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let shard = &mut *shard;
        if let Some(&local) = shard.table.find(h, |&i| &*shard.strings[i as usize] == s) {
            return Self::id(shard_no, local);
        }
        let used = self
            .bytes
            .fetch_add(s.len(), std::sync::atomic::Ordering::Relaxed);
        if used + s.len() > max_bytes || shard.strings.len() >= (u32::MAX as usize >> 5) {
            self.bytes
                .fetch_sub(s.len(), std::sync::atomic::Ordering::Relaxed);
            self.refused
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return 0;
        }
        let local = shard.strings.len() as u32;
        shard.strings.push(s.into());
        let (strings, hasher) = (&shard.strings, &self.hasher);
        shard
            .table
            .insert_unique(h, local, |&i| hasher.hash_one(&*strings[i as usize]));
        Self::id(shard_no, local)
    }

    fn id(shard: usize, local: u32) -> Sym {
        // +1 keeps 0 free for "empty".
        ((local << 4) | shard as u32) + 1
    }

    /// The text of a symbol (copied out: used for reports, not per event).
    pub fn text(&self, sym: Sym) -> String {
        if sym == 0 {
            return String::new();
        }
        let raw = sym - 1;
        let (shard, local) = ((raw & 15) as usize, (raw >> 4) as usize);
        let shard = self.shards[shard].lock().unwrap_or_else(|e| e.into_inner());
        shard
            .strings
            .get(local)
            .map(|s| s.to_string())
            .unwrap_or_default()
    }

    /// Looks a string up without adding it.
    pub fn get(&self, s: &str) -> Option<Sym> {
        if s.is_empty() {
            return Some(0);
        }
        let h = self.hasher.hash_one(s);
        let shard_no = (h as usize) % SHARDS;
        let shard = self.shards[shard_no]
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        shard
            .table
            .find(h, |&i| &*shard.strings[i as usize] == s)
            .map(|&l| Self::id(shard_no, l))
    }
}

/// A worker's lock-free front to [`Symbols`] for repeated strings.
pub struct SymbolCache<'a> {
    shared: &'a Symbols,
    local: hashbrown::HashMap<Box<str>, Sym, foldhash::fast::RandomState>,
    /// Agent family per agent symbol (computed once per distinct agent).
    families: hashbrown::HashMap<Sym, u64, foldhash::fast::RandomState>,
    /// The last text and symbol of each field (log files repeat their account, event source
    /// and often principal and agent from record to record: a compare beats a hash lookup).
    recent: [(String, Sym); Field::COUNT],
    /// The last agent symbol and its family.
    last_family: (Sym, u64),
}

/// Fields interned per event, for [`SymbolCache::field`].
#[derive(Clone, Copy)]
pub enum Field {
    Principal,
    Account,
    Action,
    Source,
    Bucket,
    Agent,
    Region,
}

impl Field {
    const COUNT: usize = 7;
}

/// Local cache entries before it is cleared (bounds a worker's memory on high-cardinality keys).
const LOCAL_CACHE_MAX: usize = 200_000;

impl<'a> SymbolCache<'a> {
    pub fn new(shared: &'a Symbols) -> Self {
        SymbolCache {
            shared,
            local: Default::default(),
            families: Default::default(),
            recent: Default::default(),
            last_family: (0, 0),
        }
    }

    /// [`SymbolCache::sym`] for a per-event field, checking that field's last value first.
    pub fn field(&mut self, field: Field, s: &str) -> Sym {
        let slot = &self.recent[field as usize];
        if slot.1 != 0 && slot.0 == s {
            return slot.1;
        }
        let id = if matches!(field, Field::Agent) {
            self.sym_soft(s)
        } else {
            self.sym(s)
        };
        let slot = &mut self.recent[field as usize];
        slot.0.clear();
        slot.0.push_str(s);
        slot.1 = id;
        id
    }

    pub fn sym(&mut self, s: &str) -> Sym {
        self.cached(s, Symbols::intern)
    }

    /// [`SymbolCache::sym`] within the soft budget ([`Symbols::intern_soft`]).
    pub fn sym_soft(&mut self, s: &str) -> Sym {
        self.cached(s, Symbols::intern_soft)
    }

    /// The symbol of `s` from the local cache, else from `intern`. A refusal (0) is cached
    /// too: the budget never frees, so asking the shared table again would only cost a lock.
    fn cached(&mut self, s: &str, intern: fn(&Symbols, &str) -> Sym) -> Sym {
        if s.is_empty() {
            return 0;
        }
        if let Some(&id) = self.local.get(s) {
            return id;
        }
        let id = intern(self.shared, s);
        if self.local.len() >= LOCAL_CACHE_MAX {
            self.local.clear();
        }
        self.local.insert(s.into(), id);
        id
    }

    /// Interns without caching locally (for keys that rarely repeat, such as object keys),
    /// within the soft budget.
    pub fn sym_uncached(&mut self, s: &str) -> Sym {
        self.shared.intern_soft(s)
    }

    /// [`crate::detect::access::agent_family`] of an interned agent, cached.
    pub fn agent_family(&mut self, sym: Sym, text: &str) -> u64 {
        if sym == 0 {
            // No agent, or one refused for want of budget: its family is still worked out.
            return if text.is_empty() {
                0
            } else {
                agent_family(text)
            };
        }
        // The same agent as the last event (the usual case in a log file): no lookup.
        if self.last_family.0 == sym {
            return self.last_family.1;
        }
        if self.families.len() >= LOCAL_CACHE_MAX {
            self.families.clear();
        }
        let family = *self
            .families
            .entry(sym)
            .or_insert_with(|| agent_family(text));
        self.last_family = (sym, family);
        family
    }

    /// A run-wide hash of a key that is counted, not named (an object key, a request id; the
    /// same seed in every worker; never 0).
    pub fn key_hash(&self, s: &str) -> u64 {
        use std::hash::BuildHasher;
        self.shared.hasher.hash_one(s) | 1
    }
}

/// Flags packed into [`Access::flags`].
pub mod flag {
    pub const ERROR: u8 = 1;
    pub const READ_ONLY: u8 = 2;
    pub const MFA: u8 = 4;
    /// A call to an object store (S3, Cloud Storage, Blob Storage), not to another service of
    /// the same cloud (KMS, SSM, EC2…): only these count in the storage volume rules.
    pub const STORAGE: u8 = 8;
    /// A CloudTrail network activity event ([`crate::event::AccessEvent::network_activity`]).
    pub const NETWORK_ACTIVITY: u8 = 16;
}

/// Whether a request was made to an object store: its format (the storage services' own
/// logs), or its event source in the audit logs that carry every service.
fn storage_service(format: Format, source: &str) -> bool {
    match format {
        Format::S3Access | Format::GcsUsage | Format::AzureBlobLogs => true,
        Format::AwsCloudtrail => matches!(
            source,
            "s3.amazonaws.com" | "s3-outposts.amazonaws.com" | "s3express.amazonaws.com"
        ),
        Format::GcsAudit => source == "storage.googleapis.com",
        // Storage Analytics logs also cover queues and tables.
        Format::AzureStorageAnalytics => source.eq_ignore_ascii_case("blob"),
        // The management plane: containers and accounts are storage resources, their
        // provider is `Microsoft.Storage`.
        Format::AzureActivity => source.eq_ignore_ascii_case("Microsoft.Storage"),
    }
}

/// One event in compact form.
#[derive(Clone, Debug, Default)]
pub struct Access {
    pub time: i64,
    pub bytes_out: u64,
    pub bytes_in: u64,
    /// Raw record reference: file index and byte offset in the decoded stream.
    pub file: u32,
    pub offset: u64,
    pub source_ip: Option<IpAddr>,
    pub principal: Sym,
    pub account: Sym,
    /// AWS region, GCP / Azure location.
    pub region: Sym,
    pub action: Sym,
    pub event_source: Sym,
    pub bucket: Sym,
    /// The object key, interned only where findings name single objects (writes, deletes,
    /// configuration, rule hits); object reads carry just [`Access::object_hash`], so bulk
    /// reads of millions of distinct keys cost no string table.
    pub object: Sym,
    /// A hash of the object key (0 when none), for counting distinct objects.
    pub object_hash: u64,
    /// A hash of the S3 request id (0 for other requests): CloudTrail and the server access
    /// log report the same S3 request under the same id.
    pub request: u64,
    pub user_agent: Sym,
    /// Error code (interned only for failed calls).
    pub status: Sym,
    /// [`crate::detect::access::agent_family`] of the user agent (0 when none).
    pub agent_family: u64,
    pub class: ActionClass,
    pub format: Format,
    pub principal_type: PrincipalType,
    pub auth: AuthMethod,
    pub http_status: u16,
    pub flags: u8,
    /// A single-event rule that matched this event (rare, so boxed).
    pub hit: Option<Box<crate::detect::rules::RuleHit>>,
}

impl Access {
    pub fn error(&self) -> bool {
        self.flags & flag::ERROR != 0
    }

    /// A call to an object store ([`flag::STORAGE`]).
    pub fn storage(&self) -> bool {
        self.flags & flag::STORAGE != 0
    }

    /// A call as a VPC endpoint saw it ([`flag::NETWORK_ACTIVITY`]), logged beside its own.
    pub fn network_activity(&self) -> bool {
        self.flags & flag::NETWORK_ACTIVITY != 0
    }

    /// Who, from where, in which account, and the raw record, without what was done: the
    /// stand-in event of findings about closed hours, days and accounts (a few fields, not a
    /// copy: it is made often).
    pub fn identity(&self) -> Access {
        Access {
            time: self.time,
            principal: self.principal,
            principal_type: self.principal_type,
            format: self.format,
            account: self.account,
            region: self.region,
            source_ip: self.source_ip,
            bucket: self.bucket,
            file: self.file,
            offset: self.offset,
            ..Default::default()
        }
    }

    pub fn provider(&self) -> crate::event::Provider {
        self.format.provider()
    }
}

/// Converts a batch's events, running the single-event rules on the way (they need the
/// request detail, which only the batch text holds). An event whose conversion panics is
/// dropped and handed to `fault` ([`crate::contain`]); the others go on.
pub fn compact_batch(
    batch: &Batch,
    syms: &mut SymbolCache,
    rules: &crate::detect::rules::RuleSet,
    out: &mut Vec<Access>,
    fault: &mut dyn FnMut(crate::contain::Fault),
) {
    out.reserve(batch.events.len());
    let inject = crate::contain::injected(crate::contain::Stage::Compact);
    for ev in &batch.events {
        let one = crate::contain::guard(|| {
            if inject.is_some_and(|ua| batch.str(ev.user_agent) == ua) {
                panic!("injected compact fault (TRAILHOUND_INJECT_PANIC)");
            }
            compact(ev, batch, syms, rules)
        });
        match one {
            Ok(a) => out.push(a),
            Err(message) => fault(crate::contain::Fault {
                stage: crate::contain::Stage::Compact,
                file: batch.file,
                offset: ev.raw.offset,
                message,
            }),
        }
    }
}

fn compact(
    ev: &AccessEvent,
    b: &Batch,
    syms: &mut SymbolCache,
    rules: &crate::detect::rules::RuleSet,
) -> Access {
    let mut flags = 0;
    if ev.error {
        flags |= flag::ERROR;
    }
    if ev.read_only == Some(true) {
        flags |= flag::READ_ONLY;
    }
    if ev.mfa == Some(true) {
        flags |= flag::MFA;
    }
    if ev.network_activity {
        flags |= flag::NETWORK_ACTIVITY;
    }
    let ua = b.str(ev.user_agent);
    let ua_sym = syms.field(Field::Agent, ua);
    let agent_family = syms.agent_family(ua_sym, ua);
    let hit = rules.check(ev, b).map(Box::new);
    let object_text = b.str(ev.object);
    // Only reads count distinct objects (volume): other events skip the hash.
    let object_hash = if object_text.is_empty() || ev.action_class != ActionClass::Read {
        0
    } else {
        syms.key_hash(object_text)
    };
    // Single objects are named in findings about deletions and rule hits; reads, lists and
    // writes are counted, not named, so millions of distinct keys cost no string table.
    let object =
        if !object_text.is_empty() && (ev.action_class == ActionClass::Delete || hit.is_some()) {
            syms.sym_uncached(object_text)
        } else {
            0
        };
    let source = b.str(ev.event_source);
    let storage = storage_service(ev.format(), source) && !ev.network_activity;
    if storage {
        flags |= flag::STORAGE;
    }
    // An S3 request, which CloudTrail and the server access log may both report.
    let s3_request = storage && matches!(ev.format(), Format::S3Access | Format::AwsCloudtrail);
    let request_id = b.str(ev.request_id);
    let request = if s3_request && !request_id.is_empty() {
        syms.key_hash(request_id)
    } else {
        0
    };
    Access {
        time: ev.time,
        bytes_out: ev.bytes_out.unwrap_or(0),
        bytes_in: ev.bytes_in.unwrap_or(0),
        file: b.file,
        offset: ev.raw.offset,
        source_ip: ev.source_ip,
        principal: syms.field(Field::Principal, b.str(ev.principal)),
        account: syms.field(Field::Account, b.str(ev.account)),
        region: syms.field(Field::Region, b.str(ev.region)),
        action: syms.field(Field::Action, b.str(ev.action)),
        event_source: syms.field(Field::Source, source),
        bucket: syms.field(Field::Bucket, b.str(ev.bucket)),
        object,
        object_hash,
        request,
        user_agent: ua_sym,
        agent_family,
        status: if ev.error {
            syms.sym_soft(b.str(ev.status))
        } else {
            0
        },
        class: ev.action_class,
        format: ev.format(),
        principal_type: ev.principal_type,
        auth: ev.auth,
        http_status: ev.http_status,
        flags,
        hit,
    }
}

/// The family of a user agent: its first product token without version
/// (`aws-cli/2.15.0 Python/3.11` → `aws-cli`, `[Boto3/1.34 …]` → `boto3`), hashed with a
/// fixed seed so upgrades do not look new.
pub fn agent_family(ua: &str) -> u64 {
    use std::hash::BuildHasher;
    let t = ua.trim_start_matches(['[', '"', ' ']);
    let end = t.find(['/', ' ', ';', '(', ']']).unwrap_or(t.len());
    let fam = crate::text::prefix(crate::text::prefix(t, end), 64);
    let mut buf = [0u8; 64];
    let n = fam.len().min(64);
    buf[..n].copy_from_slice(&fam.as_bytes()[..n]);
    buf[..n].make_ascii_lowercase();
    foldhash::quality::FixedState::with_seed(7).hash_one(&buf[..n])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_round_trip_and_share() {
        let s = Symbols::default();
        let mut a = SymbolCache::new(&s);
        let mut b = SymbolCache::new(&s);
        let x = a.sym("arn:aws:iam::1:user/alice");
        assert_eq!(b.sym("arn:aws:iam::1:user/alice"), x);
        assert_ne!(a.sym("bob"), x);
        assert_eq!(a.sym(""), 0);
        assert_eq!(s.text(x), "arn:aws:iam::1:user/alice");
        assert_eq!(s.get("bob"), Some(a.sym("bob")));
        assert_eq!(s.get("carol"), None);
    }

    #[test]
    fn symbols_are_bounded() {
        let s = Symbols::new(8);
        assert_ne!(s.intern("abcd"), 0);
        assert_ne!(s.intern("efgh"), 0);
        assert_eq!(s.intern("ijkl"), 0, "over budget");
        assert_eq!(s.refused(), 1);
    }

    #[test]
    fn attacker_varied_text_leaves_room_for_names() {
        let s = Symbols::new(100);
        let mut agents = 0;
        for i in 0..100 {
            if s.intern_soft(&format!("agent-{i:03}")) != 0 {
                agents += 1;
            }
        }
        assert!(agents <= 5, "agents take at most half: {agents}");
        // Principal names still find room after a flood of agents.
        for i in 0..5 {
            assert_ne!(s.intern(&format!("user-{i:03}")), 0);
        }
        let mut c = SymbolCache::new(&s);
        let refused = c.field(Field::Agent, "agent-999");
        assert_eq!(refused, 0);
        assert_ne!(
            c.agent_family(refused, "agent-999"),
            0,
            "its family is still known"
        );
    }
}
