//! The normalised access event — the one currency between formats and detectors.
//!
//! Parsers never allocate a `String` per event: every text field of an [`AccessEvent`] is a
//! [`Span`] into its [`Batch`], pointing either at the decoded input bytes (zero copy) or at the
//! batch's arena (for JSON strings with escapes and for strings trailhound builds, such as the
//! role ARN of an S3 access-log requester). A batch owns both, so events travel between threads
//! as one allocation per few thousand events.

use std::fmt;
use std::net::IpAddr;

use serde::Serialize;

/// The cloud an event comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Aws,
    Gcp,
    Azure,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Aws => "aws",
            Provider::Gcp => "gcp",
            Provider::Azure => "azure",
        }
    }
}

/// Format ids as DESIGN.md gives them: the `by_format` keys and the module names.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, serde::Deserialize,
)]
pub enum Format {
    #[default]
    AwsCloudtrail,
    S3Access,
    GcsAudit,
    GcsUsage,
    AzureBlobLogs,
    AzureActivity,
    AzureStorageAnalytics,
}

impl Format {
    pub const ALL: [Format; 7] = [
        Format::AwsCloudtrail,
        Format::S3Access,
        Format::GcsAudit,
        Format::GcsUsage,
        Format::AzureBlobLogs,
        Format::AzureActivity,
        Format::AzureStorageAnalytics,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Format::AwsCloudtrail => "aws_cloudtrail",
            Format::S3Access => "s3_access",
            Format::GcsAudit => "gcs_audit",
            Format::GcsUsage => "gcs_usage",
            Format::AzureBlobLogs => "azure_blob_logs",
            Format::AzureActivity => "azure_activity",
            Format::AzureStorageAnalytics => "azure_storage_analytics",
        }
    }

    pub fn provider(self) -> Provider {
        match self {
            Format::AwsCloudtrail | Format::S3Access => Provider::Aws,
            Format::GcsAudit | Format::GcsUsage => Provider::Gcp,
            Format::AzureBlobLogs | Format::AzureActivity | Format::AzureStorageAnalytics => {
                Provider::Azure
            }
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// What an API call does to storage, independent of the cloud.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Default, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum ActionClass {
    Read,
    Write,
    Delete,
    List,
    Permission,
    Config,
    Logging,
    Auth,
    #[default]
    Other,
}

impl ActionClass {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionClass::Read => "read",
            ActionClass::Write => "write",
            ActionClass::Delete => "delete",
            ActionClass::List => "list",
            ActionClass::Permission => "permission",
            ActionClass::Config => "config",
            ActionClass::Logging => "logging",
            ActionClass::Auth => "auth",
            ActionClass::Other => "other",
        }
    }
}

/// The kind of identity behind [`AccessEvent::principal`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalType {
    /// IAM user, GCP user account, Azure AD user.
    User,
    /// AWS IAM role (assumed), reported by its role ARN.
    Role,
    /// AWS account root user.
    Root,
    /// Federated / SAML / web-identity users.
    Federated,
    /// A GCP service account or Azure service principal / managed identity.
    ServiceAccount,
    /// A cloud service acting on its own (AWS service principals, Google service agents).
    Service,
    /// A whole account (cross-account calls without an ARN, CloudTrail Insights).
    Account,
    /// Azure SAS token or account key, identified by its token hash.
    Token,
    /// No credentials: public / anonymous access.
    Anonymous,
    #[default]
    Unknown,
}

impl PrincipalType {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::User => "user",
            PrincipalType::Role => "role",
            PrincipalType::Root => "root",
            PrincipalType::Federated => "federated",
            PrincipalType::ServiceAccount => "service_account",
            PrincipalType::Service => "service",
            PrincipalType::Account => "account",
            PrincipalType::Token => "token",
            PrincipalType::Anonymous => "anonymous",
            PrincipalType::Unknown => "unknown",
        }
    }
}

/// How a request travelled: over TLS, or in the clear (which the storage services still
/// accept unless told otherwise).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Transport {
    /// The log does not say (older log lines, formats without the field).
    #[default]
    Unknown,
    Tls,
    /// Plain HTTP: the request, its credentials' signature and the data crossed the network
    /// unencrypted.
    Plain,
}

/// How the caller authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// AWS SigV4/SigV2 header or query signature, GCP OAuth / HMAC, Azure OAuth bearer.
    Signed,
    /// Presigned URL / query-string authentication.
    QueryString,
    /// Azure SAS token (service, account or user-delegation).
    Sas,
    /// Azure shared account key.
    AccountKey,
    /// OAuth / Azure AD bearer token.
    OAuth,
    /// Console / web sign-in session.
    Console,
    /// Unsigned request.
    Anonymous,
    /// The service itself.
    Service,
    #[default]
    Unknown,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::Signed => "signed",
            AuthMethod::QueryString => "query_string",
            AuthMethod::Sas => "sas",
            AuthMethod::AccountKey => "account_key",
            AuthMethod::OAuth => "oauth",
            AuthMethod::Console => "console",
            AuthMethod::Anonymous => "anonymous",
            AuthMethod::Service => "service",
            AuthMethod::Unknown => "unknown",
        }
    }
}

/// A reference to text held by a [`Batch`]: input bytes or arena bytes.
///
/// Always valid UTF-8: spans are only made by [`Batch`] methods that check.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    start: u32,
    len: u32,
}

const ARENA_BIT: u32 = 1 << 31;

impl Span {
    pub const EMPTY: Span = Span { start: 0, len: 0 };

    pub fn is_empty(self) -> bool {
        self.len == 0
    }

    pub fn len(self) -> usize {
        self.len as usize
    }
}

/// Where the raw record an event came from sits, for evidence.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RawRef {
    /// Byte offset of the record in the decoded (decompressed) stream.
    pub offset: u64,
    /// 1-based line of the record start in the decoded stream.
    pub line: u64,
}

/// One normalised access to cloud storage (or to the control plane around it).
#[derive(Clone, Debug, Default)]
pub struct AccessEvent {
    /// Event time, nanoseconds since the Unix epoch, UTC.
    pub time: i64,
    pub format_index: u8,
    pub action_class: ActionClass,
    pub principal_type: PrincipalType,
    pub auth: AuthMethod,
    /// `Some(true)` when the session was MFA-authenticated.
    pub mfa: Option<bool>,
    pub read_only: Option<bool>,
    /// HTTP status where the log gives one.
    pub http_status: u16,
    /// True when the call failed (error code, non-2xx/3xx status, denied).
    pub error: bool,
    /// A CloudTrail Insights record (CloudTrail's own anomaly notice), not an API call.
    pub insight: bool,
    /// A CloudTrail network activity event (`eventType` AwsVpceEvent): a call as a VPC
    /// endpoint saw it, logged beside the management or data event of the same call (so never
    /// counted as storage access a second time).
    pub network_activity: bool,
    /// How the request travelled, where the log says.
    pub transport: Transport,
    pub source_ip: Option<IpAddr>,
    pub bytes_out: Option<u64>,
    pub bytes_in: Option<u64>,
    /// AWS account / GCP project / Azure subscription and storage account.
    pub account: Span,
    pub region: Span,
    /// Stable principal id (see DESIGN.md "Who the principal is").
    pub principal: Span,
    /// Kept aside: assumed-role session name, delegation chain, Azure UPN / display name.
    pub principal_detail: Span,
    /// Access key id, SAS / key token hash, HMAC key id.
    pub credential: Span,
    /// Signature version (SigV4...), TLS or auth detail.
    pub signature: Span,
    /// The VPC endpoint the call came through (`vpcEndpointId`), where the log names one.
    pub vpc_endpoint: Span,
    /// The raw source address text when it is not an IP (`s3.amazonaws.com`, `AWS Internal`).
    pub source_host: Span,
    pub user_agent: Span,
    /// The raw API name: GetObject, storage.objects.get, GetBlob.
    pub action: Span,
    /// The service that logged it: s3.amazonaws.com, storage.googleapis.com, blob.
    pub event_source: Span,
    pub bucket: Span,
    pub object: Span,
    /// Error code (AccessDenied, NoSuchKey, PERMISSION_DENIED, 403...) or empty when ok.
    pub status: Span,
    pub request_id: Span,
    /// Raw JSON (or raw text) of the request parameters, for rules that need the detail.
    pub request: Span,
    /// Raw JSON of the response / additional data where the log has it.
    pub response: Span,
    /// Raw JSON of the resources the record names (CloudTrail `resources`: ARNs with their
    /// owning accounts), where the log has it.
    pub resources: Span,
    pub raw: RawRef,
}

/// An event with its text resolved: for evidence, reports and tests (not the hot path).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OwnedEvent {
    pub time: String,
    pub provider: &'static str,
    pub source_format: &'static str,
    pub account: String,
    pub region: String,
    pub principal: String,
    pub principal_type: &'static str,
    pub principal_detail: String,
    pub auth: &'static str,
    pub credential: String,
    pub mfa: Option<bool>,
    pub source_ip: Option<String>,
    pub source_host: String,
    pub user_agent: String,
    pub action: String,
    pub action_class: &'static str,
    pub event_source: String,
    pub bucket: String,
    pub object: String,
    pub bytes_out: Option<u64>,
    pub bytes_in: Option<u64>,
    pub status: String,
    pub error: bool,
    pub http_status: u16,
    pub read_only: Option<bool>,
    pub request_id: String,
    pub offset: u64,
    pub line: u64,
}

impl AccessEvent {
    /// Resolves every field to owned text.
    pub fn to_owned_event(&self, b: &Batch) -> OwnedEvent {
        OwnedEvent {
            time: crate::time::rfc3339(self.time),
            provider: self.provider().as_str(),
            source_format: self.format().id(),
            account: b.str(self.account).to_string(),
            region: b.str(self.region).to_string(),
            principal: b.str(self.principal).to_string(),
            principal_type: self.principal_type.as_str(),
            principal_detail: b.str(self.principal_detail).to_string(),
            auth: self.auth.as_str(),
            credential: b.str(self.credential).to_string(),
            mfa: self.mfa,
            source_ip: self.source_ip.map(|ip| ip.to_string()),
            source_host: b.str(self.source_host).to_string(),
            user_agent: b.str(self.user_agent).to_string(),
            action: b.str(self.action).to_string(),
            action_class: self.action_class.as_str(),
            event_source: b.str(self.event_source).to_string(),
            bucket: b.str(self.bucket).to_string(),
            object: b.str(self.object).to_string(),
            bytes_out: self.bytes_out,
            bytes_in: self.bytes_in,
            status: b.str(self.status).to_string(),
            error: self.error,
            http_status: self.http_status,
            read_only: self.read_only,
            request_id: b.str(self.request_id).to_string(),
            offset: self.raw.offset,
            line: self.raw.line,
        }
    }

    pub fn format(&self) -> Format {
        Format::ALL[self.format_index as usize]
    }

    pub fn provider(&self) -> Provider {
        self.format().provider()
    }
}

/// Events of one stretch of one input, with the text their spans point into.
///
/// Both texts are `String`s, so resolving a span is a bounds-checked slice, not a UTF-8 check:
/// the input is validated once when the batch is sealed (invalid bytes are replaced by `?` in
/// place, which keeps every offset), and the arena only ever receives valid UTF-8.
#[derive(Debug, Default)]
pub struct Batch {
    /// Index of the input file in the run's file table.
    pub file: u32,
    /// Decoded input; spans without the arena bit point here. Shared by the batches cut from
    /// one whole input.
    pub(crate) input: std::sync::Arc<String>,
    /// Unescaped and constructed strings.
    pub(crate) arena: String,
    /// Scratch for JSON unescaping.
    scratch: Vec<u8>,
    /// Arena strings by content, so a string built or decoded many times in a batch (the
    /// `anonymous` principal, a role ARN derived from session ARNs, an escaped user agent) is
    /// stored once. Seeded: the contents come from logs attackers write.
    interned: hashbrown::HashTable<Span>,
    hasher: foldhash::fast::RandomState,
    pub events: Vec<AccessEvent>,
}

/// Replaces invalid UTF-8 sequences with `?` (same length) and returns the text.
pub fn repair_utf8(mut bytes: Vec<u8>) -> String {
    // The common case, valid input, costs one SIMD validation pass (simdutf8 is several times
    // faster than the standard library's check on these mostly-ASCII logs).
    if simdutf8::basic::from_utf8(&bytes).is_ok() {
        // Safety: simdutf8 has just validated every byte as UTF-8.
        return unsafe { String::from_utf8_unchecked(bytes) };
    }
    let mut from = 0;
    loop {
        match std::str::from_utf8(&bytes[from..]) {
            Ok(_) => break,
            Err(e) => {
                let bad = from + e.valid_up_to();
                let n = e.error_len().unwrap_or(bytes.len() - bad);
                bytes[bad..bad + n].fill(b'?');
                from = bad + n;
            }
        }
    }
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

impl Batch {
    pub fn new(file: u32) -> Self {
        Batch {
            file,
            ..Default::default()
        }
    }

    /// Attaches the decoded bytes the events' input spans point into.
    pub(crate) fn set_input(&mut self, bytes: Vec<u8>) {
        self.input = std::sync::Arc::new(repair_utf8(bytes));
    }

    /// Attaches a whole input that other batches share (already repaired as UTF-8).
    pub(crate) fn set_shared_input(&mut self, text: std::sync::Arc<String>) {
        self.input = text;
    }

    /// The text of a span.
    pub fn str(&self, s: Span) -> &str {
        let (text, start) = if s.start & ARENA_BIT != 0 {
            (&self.arena, (s.start & !ARENA_BIT) as usize)
        } else {
            (&*self.input, s.start as usize)
        };
        text.get(start..start + s.len as usize).unwrap_or_default()
    }

    /// The bytes of a span while the batch is still being filled from `src` (the input is
    /// attached only when the batch is sealed).
    pub(crate) fn bytes_in<'s>(&'s self, s: Span, src: &'s [u8]) -> &'s [u8] {
        if s.start & ARENA_BIT != 0 {
            self.str(s).as_bytes()
        } else {
            let start = s.start as usize;
            src.get(start..start + s.len as usize).unwrap_or_default()
        }
    }

    /// A span over `src[start..end]`: zero-copy when `src` is the batch input (`copy` false),
    /// otherwise an arena copy. Input spans must start and end at ASCII delimiters (quotes,
    /// separators), so they stay on character boundaries after UTF-8 repair.
    pub(crate) fn span_of(&mut self, src: &[u8], copy: bool, start: usize, end: usize) -> Span {
        let Some(bytes) = src.get(start..end) else {
            return Span::EMPTY;
        };
        if start == end {
            return Span::EMPTY;
        }
        if !copy && end < ARENA_BIT as usize {
            return Span {
                start: start as u32,
                len: (end - start) as u32,
            };
        }
        let at = self.arena_start();
        self.arena_push_bytes(bytes);
        self.arena_finish(at)
    }

    /// A span for a JSON string: zero-copy when unescaped, decoded into the arena otherwise.
    pub(crate) fn json_str(&mut self, src: &[u8], copy: bool, r: crate::json::RawStr) -> Span {
        if !r.escaped {
            return self.span_of(src, copy, r.start as usize, r.end as usize);
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        crate::json::unescape_into(r.raw(src), &mut scratch);
        let at = self.arena_start();
        self.arena_push_bytes(&scratch);
        self.scratch = scratch;
        self.arena_finish(at)
    }

    /// A span for percent-encoded text (`%20` → space): zero-copy without a `%`, decoded into
    /// the arena otherwise. A `%` not followed by two hex digits stays as it is.
    pub(crate) fn percent_decoded(&mut self, src: &[u8], start: usize, end: usize) -> Span {
        let Some(bytes) = src.get(start..end) else {
            return Span::EMPTY;
        };
        if !bytes.contains(&b'%') {
            return self.span_of(src, false, start, end);
        }
        let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            if c == b'%' {
                if let (Some(h), Some(l)) = (
                    bytes.get(i + 1).copied().and_then(hex),
                    bytes.get(i + 2).copied().and_then(hex),
                ) {
                    scratch.push(h << 4 | l);
                    i += 3;
                    continue;
                }
            }
            scratch.push(c);
            i += 1;
        }
        let at = self.arena_start();
        self.arena_push_bytes(&scratch);
        self.scratch = scratch;
        self.arena_finish(at)
    }

    /// Copies text into the arena.
    pub(crate) fn push_arena(&mut self, s: &str) -> Span {
        let at = self.arena_start();
        self.arena.push_str(s);
        self.arena_finish(at)
    }

    /// Starts an arena string built from several pieces; finish with [`Batch::arena_finish`].
    pub(crate) fn arena_start(&self) -> usize {
        self.arena.len()
    }

    /// Appends bytes to the arena; invalid UTF-8 becomes U+FFFD. Pieces must not split a
    /// character between two calls.
    pub(crate) fn arena_push_bytes(&mut self, b: &[u8]) {
        match std::str::from_utf8(b) {
            Ok(s) => self.arena.push_str(s),
            Err(_) => self.arena.push_str(&String::from_utf8_lossy(b)),
        }
    }

    /// Lower-cases (ASCII) the arena text written since `start`.
    pub(crate) fn arena_lowercase_from(&mut self, start: usize) {
        if let Some(tail) = self.arena.get_mut(start..) {
            tail.make_ascii_lowercase();
        }
    }

    /// Ends an arena string begun at `start`; an identical earlier one is reused instead.
    pub(crate) fn arena_finish(&mut self, start: usize) -> Span {
        use std::hash::BuildHasher;
        let end = self.arena.len();
        if end >= ARENA_BIT as usize || start > end {
            self.arena.truncate(start.min(end));
            return Span::EMPTY;
        }
        if start == end || !self.arena.is_char_boundary(start) {
            return Span::EMPTY;
        }
        let text = crate::text::slice(&self.arena, start, end);
        let hash = self.hasher.hash_one(text);
        let arena = &self.arena;
        let same = |s: &Span| {
            let a = (s.start & !ARENA_BIT) as usize;
            arena.get(a..a + s.len as usize) == Some(text)
        };
        if let Some(&found) = self.interned.find(hash, same) {
            self.arena.truncate(start);
            return found;
        }
        let span = Span {
            start: start as u32 | ARENA_BIT,
            len: (end - start) as u32,
        };
        let (arena, hasher) = (&self.arena, &self.hasher);
        self.interned.insert_unique(hash, span, |s| {
            let a = (s.start & !ARENA_BIT) as usize;
            hasher.hash_one(crate::text::slice(arena, a, a + s.len as usize))
        });
        span
    }

    /// Length of the input text this batch owns.
    pub fn input_len(&self) -> usize {
        self.input.len()
    }
}

/// Interns repeated strings (principals, buckets, agents) behind small ids.
///
/// The hasher is seeded per process: keys come from logs that attackers write, so a fixed hash
/// would let them force collisions. Memory is bounded: past `max_bytes` of distinct text,
/// [`Interner::intern`] returns `None` and the caller counts the overflow instead of growing.
pub struct Interner {
    table: hashbrown::HashTable<u32>,
    strings: Vec<Box<str>>,
    hasher: foldhash::fast::RandomState,
    bytes: usize,
    max_bytes: usize,
}

impl Interner {
    pub fn new(max_bytes: usize) -> Self {
        Interner {
            table: hashbrown::HashTable::new(),
            strings: Vec::new(),
            hasher: foldhash::fast::RandomState::default(),
            bytes: 0,
            max_bytes,
        }
    }

    fn hash(&self, s: &str) -> u64 {
        use std::hash::BuildHasher;
        self.hasher.hash_one(s)
    }

    /// The id of `s`, adding it if there is room.
    pub fn intern(&mut self, s: &str) -> Option<u32> {
        let h = self.hash(s);
        if let Some(&id) = self.table.find(h, |&id| &*self.strings[id as usize] == s) {
            return Some(id);
        }
        if self.bytes + s.len() > self.max_bytes || self.strings.len() >= u32::MAX as usize {
            return None;
        }
        let id = self.strings.len() as u32;
        self.strings.push(s.into());
        self.bytes += s.len();
        let strings = &self.strings;
        let hasher = &self.hasher;
        self.table.insert_unique(h, id, |&id| {
            use std::hash::BuildHasher;
            hasher.hash_one(&*strings[id as usize])
        });
        Some(id)
    }

    pub fn get(&self, s: &str) -> Option<u32> {
        let h = self.hash(s);
        self.table
            .find(h, |&id| &*self.strings[id as usize] == s)
            .copied()
    }

    pub fn resolve(&self, id: u32) -> &str {
        self.strings.get(id as usize).map(|s| &**s).unwrap_or("")
    }

    pub fn len(&self) -> usize {
        self.strings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

impl Default for Interner {
    fn default() -> Self {
        Interner::new(256 << 20)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_resolve_to_input_and_arena() {
        let mut b = Batch::new(0);
        let input = b"hello world".to_vec();
        let s = b.span_of(&input, false, 6, 11);
        b.set_input(input);
        let a = b.push_arena("arn:aws:iam::1:role/x");
        assert_eq!(b.str(s), "world");
        assert_eq!(b.str(a), "arn:aws:iam::1:role/x");
        let st = b.arena_start();
        b.arena_push_bytes(b"a");
        b.arena_push_bytes(&[0xff]);
        let lossy = b.arena_finish(st);
        assert_eq!(b.str(lossy), "a\u{fffd}");
        // Built twice, stored once.
        let len = b.arena.len();
        assert_eq!(b.push_arena("arn:aws:iam::1:role/x"), a);
        assert_eq!(b.arena.len(), len);
    }

    #[test]
    fn invalid_utf8_input_is_copied_lossily() {
        let mut b = Batch::new(0);
        let input = vec![b'a', 0xC3, b'b'];
        let s = b.span_of(&input, false, 0, 3);
        b.set_input(input);
        assert_eq!(b.str(s), "a?b", "repaired in place, offsets kept");
    }

    #[test]
    fn interner_is_bounded() {
        let mut i = Interner::new(10);
        let a = i.intern("abcde").unwrap();
        assert_eq!(i.intern("abcde"), Some(a));
        assert!(i.intern("fghij").is_some());
        assert_eq!(i.intern("k"), None, "over the byte budget");
        assert_eq!(i.resolve(a), "abcde");
        assert_eq!(i.len(), 2);
    }
}
