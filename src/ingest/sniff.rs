//! Format detection from a file's first bytes (after decompression), never from its name.

use memchr::memmem;

use crate::event::Format;
use crate::time::parse_clf;

/// How many decoded bytes detection looks at.
pub const SNIFF_BYTES: usize = 64 << 10;

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detected {
    Json(Format),
    Lines(Format),
    /// Recognised, and deliberately not read (CloudTrail digest files).
    Ignored(&'static str),
    /// Nothing in it but whitespace.
    Empty,
    /// Not a format trailhound reads; the text says what it looked like.
    Unknown(&'static str),
}

/// Distinctive JSON keys, each pointing at a format. The earliest one in the head wins, so a
/// CloudTrail record that quotes `"logName"` deep inside its parameters stays CloudTrail.
const JSON_MARKERS: &[(&[u8], Format)] = &[
    (b"\"eventVersion\"", Format::AwsCloudtrail),
    (b"\"eventSource\"", Format::AwsCloudtrail),
    (b"\"userIdentity\"", Format::AwsCloudtrail),
    (b"\"eventName\"", Format::AwsCloudtrail),
    (b"\"CloudTrailEvent\"", Format::AwsCloudtrail),
    (b"\"detail-type\"", Format::AwsCloudtrail),
    (b"\"insightDetails\"", Format::AwsCloudtrail),
    (b"\"recipientAccountId\"", Format::AwsCloudtrail),
    (b"\"protoPayload\"", Format::GcsAudit),
    (b"\"logName\"", Format::GcsAudit),
    (b"\"operationName\"", Format::AzureBlobLogs),
    (b"\"resourceId\"", Format::AzureBlobLogs),
];

/// Detects the format of a decoded head.
pub fn detect(head: &[u8]) -> Detected {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let Some(first) = head.iter().position(|c| !c.is_ascii_whitespace()) else {
        return Detected::Empty;
    };
    let body = &head[first..];
    match body[0] {
        b'{' | b'[' => detect_json(body),
        _ => detect_text(body),
    }
}

fn detect_json(body: &[u8]) -> Detected {
    if body.starts_with(b"[") && memmem::find(body, b"\"expected_severity_min\"").is_some() {
        return Detected::Ignored("trailhound ground-truth labels (labels.json)");
    }
    if memmem::find(body, b"\"digestPublicKeyFingerprint\"").is_some()
        || memmem::find(body, b"\"digestStartTime\"").is_some()
    {
        return Detected::Ignored("CloudTrail digest file");
    }
    let best = JSON_MARKERS
        .iter()
        .filter_map(|(m, k)| memmem::find(body, m).map(|p| (p, *k)))
        .min_by_key(|(p, _)| *p);
    match best {
        Some((_, k)) => Detected::Json(k),
        None => {
            Detected::Unknown("JSON, but no CloudTrail, Cloud Audit Log or Azure log record in it")
        }
    }
}

fn first_line(body: &[u8]) -> &[u8] {
    let end = memchr::memchr(b'\n', body).unwrap_or(body.len());
    let line = &body[..end];
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn detect_text(body: &[u8]) -> Detected {
    if body.iter().take(4096).any(|&c| c == 0) {
        return Detected::Unknown("binary data");
    }
    let line = first_line(body);
    if line.starts_with(b"\"time_micros\"") || line.starts_with(b"time_micros,") {
        return Detected::Lines(Format::GcsUsage);
    }
    if (line.starts_with(b"1.0;") || line.starts_with(b"2.0;"))
        && memchr::memchr_iter(b';', line).count() >= 20
    {
        return Detected::Lines(Format::AzureStorageAnalytics);
    }
    if looks_like_s3_access(line) {
        return Detected::Lines(Format::S3Access);
    }
    if std::str::from_utf8(&body[..body.len().min(4096)]).is_err() {
        // A cut in the middle of a multi-byte character at the end is fine; look closer.
        let valid = match std::str::from_utf8(&body[..body.len().min(4096)]) {
            Err(e) => e.valid_up_to() + 4 >= body.len().min(4096),
            Ok(_) => true,
        };
        if !valid {
            return Detected::Unknown("binary data");
        }
    }
    Detected::Unknown("text, but not a known log format")
}

/// `owner bucket [06/Feb/2019:00:00:38 +0000] ...`
fn looks_like_s3_access(line: &[u8]) -> bool {
    let Some(open) = memchr::memchr(b'[', line) else {
        return false;
    };
    if open > 400 {
        return false;
    }
    let Some(close) = memchr::memchr(b']', &line[open..]) else {
        return false;
    };
    let tokens_before = line[..open]
        .split(|&c| c == b' ')
        .filter(|t| !t.is_empty())
        .count();
    tokens_before == 2 && parse_clf(&line[open + 1..open + close]).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_content() {
        assert_eq!(
            detect(b"{\"Records\":[{\"eventVersion\":\"1.08\"}]}"),
            Detected::Json(Format::AwsCloudtrail)
        );
        assert_eq!(
            detect(b"\xef\xbb\xbf [ {\"protoPayload\":{}} ]"),
            Detected::Json(Format::GcsAudit)
        );
        assert_eq!(
            detect(b"{\"time\":\"x\",\"resourceId\":\"/subscriptions/x\",\"operationName\":\"GetBlob\"}"),
            Detected::Json(Format::AzureBlobLogs)
        );
        assert_eq!(
            detect(b"{\"awsAccountId\":\"1\",\"digestStartTime\":\"x\",\"digestPublicKeyFingerprint\":\"y\"}"),
            Detected::Ignored("CloudTrail digest file")
        );
        assert_eq!(
            detect(b"abc bkt [06/Feb/2019:00:00:38 +0000] 1.2.3.4 - X REST.GET.OBJECT"),
            Detected::Lines(Format::S3Access)
        );
        assert_eq!(detect(b"  \n\t"), Detected::Empty);
        assert!(matches!(
            detect(b"\x00\x01\x02garbage"),
            Detected::Unknown(_)
        ));
        assert!(matches!(detect(b"{\"hello\":1}"), Detected::Unknown(_)));
    }
}
