//! Text helpers shared by every stage: cutting strings without splitting a character, making
//! attacker-written text safe for a terminal, number formatting and `*` patterns.
//!
//! A leaf module: it uses nothing else of trailhound. Strings from records (user agents,
//! object keys, principal names) are written by whoever sent the request; slicing them by a
//! byte count panics when the cut lands inside a character, so nothing here does.

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary (an
/// RFC 3339 time cut to the minute: `prefix(t, 16)`).
pub fn prefix(s: &str, max: usize) -> &str {
    if max >= s.len() {
        return s;
    }
    let mut end = max;
    // Index 0 is always a boundary, so this ends.
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}

/// `s[start..end]` when both ends are in range and on character boundaries, else `""`.
pub fn slice(s: &str, start: usize, end: usize) -> &str {
    s.get(start..end).unwrap_or_default()
}

/// `s[start..]` when `start` is in range and on a character boundary, else `""`.
pub fn from(s: &str, start: usize) -> &str {
    s.get(start..).unwrap_or_default()
}

/// Thousands separators: 1234567 → "1,234,567".
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Replaces control characters (C0, DEL, C1, and the bidi overrides that reorder text) with
/// `\u{fffd}`-free visible escapes, and cuts the result to `max` characters with an ellipsis.
pub fn terminal(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max + 8));
    for (n, c) in s.chars().enumerate() {
        if n >= max {
            out.push('…');
            return out;
        }
        if is_dangerous(c) {
            // Visible and unambiguous: an analyst sees that something was there.
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn is_dangerous(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// Cuts `s` to at most `max` characters (with an ellipsis); for JSON sinks, which escape
/// control characters themselves.
pub fn bounded(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((at, _)) => {
            let mut out = crate::text::prefix(s, at).to_string();
            out.push('…');
            out
        }
    }
}

/// `*` matches any run of characters (case-sensitive, as ids are).
pub fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(p) => rest = from(rest, p + part.len()),
                None => return false,
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(u64::MAX), "18,446,744,073,709,551,615");
    }

    #[test]
    fn never_splits_a_character() {
        let s = "xéé€😀/1.0";
        for max in 0..=s.len() + 2 {
            let p = prefix(s, max);
            assert!(p.len() <= max);
            assert!(s.starts_with(p));
            // The longest such prefix: one more character would not fit.
            if let Some(c) = from(s, p.len()).chars().next() {
                assert!(p.len() + c.len_utf8() > max, "{max}");
            }
        }
        assert_eq!(prefix("abc", 2), "ab");
        assert_eq!(prefix("é", 1), "");
        assert_eq!(slice("aéb", 1, 2), "");
        assert_eq!(slice("aéb", 1, 3), "é");
        assert_eq!(from("aéb", 2), "");
        assert_eq!(prefix("2024-01-02T03:04:05.000Z", 16), "2024-01-02T03:04");
        assert_eq!(prefix("short", 16), "short");
    }

    #[test]
    fn strips_escape_sequences() {
        let evil = "curl/8\u{1b}[2J\u{1b}]0;pwned\u{7}\r\u{202e}gpj.exe";
        let t = terminal(evil, 200);
        assert!(!t.chars().any(|c| c.is_control()));
        assert!(!t.contains('\u{202e}'));
        assert!(t.starts_with("curl/8\\u{1b}[2J"));
    }

    #[test]
    fn bounds_length() {
        assert_eq!(bounded("abcdef", 3), "abc…");
        assert_eq!(bounded("abc", 3), "abc");
        assert_eq!(terminal("ééééé", 2), "éé…");
    }

    #[test]
    fn globs() {
        assert!(glob(
            "arn:aws:iam::*:role/backup-*",
            "arn:aws:iam::123:role/backup-nightly"
        ));
        assert!(!glob(
            "arn:aws:iam::*:role/backup-*",
            "arn:aws:iam::123:role/etl"
        ));
        assert!(glob("*@acme.co.jp", "ken@acme.co.jp"));
        assert!(glob("exact", "exact") && !glob("exact", "exactly"));
    }
}
