//! Making attacker-written strings safe for their sink.
//!
//! User agents, object keys and principal names are chosen by whoever made the request. Before
//! they reach a terminal they lose control characters (ANSI escapes, carriage returns that
//! overwrite a line, bells); everywhere they are bounded in length.

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
