//! Ransom notes: an object uploaded under a name that ransomware leaves behind (the list is
//! data: `rules/ransom_notes.txt`, extended by `ransom_note_names` in trailhound.toml).

use super::{Input, RuleHit};
use crate::catalogue::{rule, Case, Catalogue};
use crate::event::{ActionClass, Provider};

pub const RULE_IDS: &[&str] = &[
    rule::AWS_S3_RANSOM_NOTE,
    rule::GCP_GCS_RANSOM_NOTE,
    rule::AZURE_BLOB_RANSOM_NOTE,
];

const BUILT_IN: &str = include_str!("../../../rules/ransom_notes.txt");

/// Longest file name looked at: notes are short; a longer name is not one.
const MAX_NAME: usize = 200;

/// The note names, ready to match (see `rules/ransom_notes.txt` for the three kinds).
#[derive(Clone, Debug, Default)]
pub struct NoteNames {
    /// (normalised text, the line as written)
    parts: Vec<(Vec<u8>, String)>,
    /// (lower-case text, the line as written)
    literal: Vec<(Vec<u8>, String)>,
    whole: Vec<(Vec<u8>, String)>,
}

/// What a name matched.
#[derive(Debug, PartialEq, Eq)]
pub struct NoteMatch<'a> {
    pub pattern: &'a str,
    /// A whole-name match of a name ordinary software writes too.
    pub common: bool,
}

fn is_separator(c: u8) -> bool {
    matches!(c, b'_' | b'-' | b'.' | b'!' | b'+' | b'~' | b' ')
}

/// Lower case without separators, into `out` (cleared first).
fn normalise(s: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend(
        s.iter()
            .filter(|c| !is_separator(**c))
            .map(u8::to_ascii_lowercase),
    );
}

impl NoteNames {
    /// The built-in list and the user's additions (same syntax).
    pub fn new(extra: &[String]) -> NoteNames {
        let mut n = NoteNames::default();
        for line in BUILT_IN.lines().chain(extra.iter().map(String::as_str)) {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let lower = |s: &str| s.as_bytes().to_ascii_lowercase();
            if let Some(rest) = line.strip_prefix('=') {
                n.whole.push((lower(rest), line.to_string()));
            } else if let Some(rest) = line.strip_prefix('~') {
                n.literal.push((lower(rest), line.to_string()));
            } else {
                let mut v = Vec::new();
                normalise(line.as_bytes(), &mut v);
                if !v.is_empty() {
                    n.parts.push((v, line.to_string()));
                }
            }
        }
        n
    }

    /// The pattern a file name matches, if any.
    pub fn find(&self, name: &str) -> Option<NoteMatch<'_>> {
        let name = name.as_bytes();
        if name.is_empty() || name.len() > MAX_NAME {
            return None;
        }
        let mut buf = Vec::with_capacity(name.len());
        buf.extend(name.iter().map(u8::to_ascii_lowercase));
        if let Some((_, p)) = self.whole.iter().find(|(w, _)| *w == buf) {
            return Some(NoteMatch {
                pattern: p,
                common: true,
            });
        }
        if let Some(p) = first_in(&self.literal, &buf) {
            return Some(NoteMatch {
                pattern: p,
                common: false,
            });
        }
        let lower = std::mem::take(&mut buf);
        normalise(&lower, &mut buf);
        first_in(&self.parts, &buf).map(|p| NoteMatch {
            pattern: p,
            common: false,
        })
    }
}

/// The first pattern found in `hay`, as its line.
fn first_in<'a>(pats: &'a [(Vec<u8>, String)], hay: &[u8]) -> Option<&'a str> {
    pats.iter()
        .find(|(p, _)| memchr::memmem::find(hay, p).is_some())
        .map(|(_, line)| line.as_str())
}

pub(super) fn check(i: &Input) -> Option<RuleHit> {
    if i.ev.action_class != ActionClass::Write || i.ev.error {
        return None;
    }
    let key = i.object();
    let name = key.rsplit('/').next().unwrap_or(key);
    let m = i.notes.find(name)?;
    let id = match i.provider() {
        Provider::Aws => rule::AWS_S3_RANSOM_NOTE,
        Provider::Gcp => rule::GCP_GCS_RANSOM_NOTE,
        Provider::Azure => rule::AZURE_BLOB_RANSOM_NOTE,
    };
    let mut h = i.hit(
        id,
        format!(
            "object {} written to {}: a ransom note's name",
            crate::text::bounded(name, 80),
            i.bucket()
        ),
    );
    if m.common {
        h.severity = Catalogue::get().level(id, Case::CommonName, h.severity);
    }
    h.evidence
        .push(("note_pattern", crate::text::bounded(m.pattern, 80)));
    Some(h)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{ct, rule_of, rule_with};
    use super::super::{RuleSet, RulesConfig};
    use super::NoteNames;

    #[test]
    fn names() {
        let n = NoteNames::new(&[]);
        for note in [
            "README_TO_DECRYPT.txt",
            "HOW-TO-RECOVER.html",
            "!!How To Decrypt Files!!.txt",
            "restore-my-files.txt",
            "contact_us_at_xyz2k3.onion.txt",
            "FILES-DELETED.txt",
            "_readme.txt",
        ] {
            assert!(n.find(note).is_some(), "{note}");
        }
        for ordinary in [
            "README.md",
            "readme.txt",
            "task-1-files-deleted.txt",
            "onion_rings.jpg",
            "how_to.md",
            "recovery-plan.pdf",
            "",
        ] {
            assert_eq!(n.find(ordinary), None, "{ordinary}");
        }
        assert!(n.find("FILES-DELETED.txt").unwrap().common);
        assert!(!n.find("README_TO_DECRYPT.txt").unwrap().common);
        assert_eq!(
            n.find(&"how_to_decrypt".repeat(20)),
            None,
            "too long to be a note"
        );
        let mine = NoteNames::new(&["pay_us_now".into(), "=locked.info".into()]);
        assert!(mine.find("PAY-US-NOW.txt").is_some());
        assert!(mine.find("LOCKED.INFO").unwrap().common);
    }

    #[test]
    fn uploads_on_every_cloud() {
        let put = |key: &str| {
            ct(
                "s3.amazonaws.com",
                "PutObject",
                &format!(r#"{{"bucketName":"finance","key":"{key}"}}"#),
            )
        };
        assert_eq!(
            rule_of(&put("2024/FILES-DELETED.txt")),
            Some("aws.s3.ransom_note")
        );
        assert_eq!(rule_of(&put("2024/report.csv")), None);
        let read = ct(
            "s3.amazonaws.com",
            "GetObject",
            r#"{"bucketName":"finance","key":"HOW_TO_DECRYPT.txt"}"#,
        );
        assert_eq!(rule_of(&read), None, "reading a note is not leaving one");
        let gcs = r#"{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","status":{},"authenticationInfo":{"principalEmail":"sa@p.iam.gserviceaccount.com"},"requestMetadata":{"callerIp":"203.0.113.7"},"serviceName":"storage.googleapis.com","methodName":"storage.objects.create","resourceName":"projects/_/buckets/b/objects/HOW_TO_RECOVER.txt"},"insertId":"1","resource":{"type":"gcs_bucket","labels":{"bucket_name":"b","project_id":"p"}},"timestamp":"2026-03-01T02:00:00Z","logName":"projects/p/logs/cloudaudit.googleapis.com%2Fdata_access"}"#;
        assert_eq!(rule_of(gcs), Some("gcp.gcs.ransom_note"));
        let blob = r#"{"time":"2024-03-01T02:00:00Z","resourceId":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct/blobServices/default","category":"StorageWrite","operationName":"PutBlob","statusCode":201,"statusText":"Success","callerIpAddress":"198.51.100.4:50123","correlationId":"c","identity":{"type":"SAS","tokenHash":"key1(AB),SasSignature(CD)"},"location":"eastus","protocol":"HTTPS","uri":"https://acct.blob.core.windows.net/data/RESTORE_YOUR_FILES.html","properties":{"accountName":"acct","userAgentHeader":"python","serviceType":"blob","objectKey":"/acct/data/RESTORE_YOUR_FILES.html","requestBodySize":900}}"#;
        assert_eq!(rule_of(blob), Some("azure.blob.ransom_note"));
        let set = RuleSet::new(RulesConfig {
            ransom_note_names: vec!["quarterly".into()],
            ..Default::default()
        });
        assert_eq!(
            rule_with(&put("quarterly.csv"), &set),
            Some("aws.s3.ransom_note"),
            "the user's names join the list"
        );
    }
}
