//! Text helpers shared by every stage: cutting strings without splitting a character.
//!
//! A leaf module: it uses nothing else of trailhound. Strings from records (user agents,
//! object keys, principal names) are written by whoever sent the request; slicing them by a
//! byte count panics when the cut lands inside a character, so nothing here does.

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
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

/// The first `n` bytes of a formatted time or other ASCII text, or all of it when shorter
/// (an RFC 3339 time cut to the minute: `head(t, 16)`).
pub fn head(s: &str, n: usize) -> &str {
    prefix(s, n)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
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
        assert_eq!(head("2024-01-02T03:04:05.000Z", 16), "2024-01-02T03:04");
        assert_eq!(head("short", 16), "short");
    }
}
