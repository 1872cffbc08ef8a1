//! A small pull cursor over JSON bytes, built for speed on audit logs.
//!
//! Parsers read the few keys they need and skip everything else. Skipping a subtree only
//! matches brackets and jumps over strings with `memchr`, which is several times faster than
//! building values, and nothing is allocated: strings come back as [`RawStr`] positions into
//! the input. The cursor never recurses while skipping, so nesting depth cannot overflow the
//! stack, and every access is bounds-checked, so garbage input yields an error, never a panic.
//!
//! It is lenient where logs are: a value of the wrong type where a string is expected reads as
//! absent instead of failing the record. It is strict where it matters: the structure of the
//! parts it reads must be valid JSON, and running off the end is [`JsonError::Eof`], which the
//! framing layer turns into "read more input" or "truncated".

/// Why the cursor stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonError {
    /// The input ended inside a value.
    Eof,
    /// The bytes are not JSON at `at`.
    Syntax { at: usize, what: &'static str },
}

pub type JResult<T> = Result<T, JsonError>;

/// A JSON string's content as positions into the cursor's input (between the quotes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RawStr {
    /// Positions are 32-bit: framing never builds buffers of 4 GiB (records are kept small).
    pub start: u32,
    pub end: u32,
    /// True when the content holds backslash escapes that must be decoded.
    pub escaped: bool,
}

impl RawStr {
    pub fn new(start: usize, end: usize, escaped: bool) -> Self {
        RawStr {
            start: start as u32,
            end: end as u32,
            escaped,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    pub fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The raw (still escaped) bytes.
    pub fn raw<'a>(&self, input: &'a [u8]) -> &'a [u8] {
        input.get(self.range()).unwrap_or_default()
    }
}

#[derive(Clone)]
pub struct Cursor<'a> {
    pub b: &'a [u8],
    pub i: usize,
}

#[inline]
fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\n' | b'\r' | b'\t')
}

impl<'a> Cursor<'a> {
    pub fn new(b: &'a [u8], i: usize) -> Self {
        Cursor { b, i }
    }

    fn syntax<T>(&self, what: &'static str) -> JResult<T> {
        Err(JsonError::Syntax { at: self.i, what })
    }

    #[inline]
    pub fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if is_ws(c) {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    /// The next non-whitespace byte, not consumed.
    #[inline]
    pub fn peek(&mut self) -> JResult<u8> {
        match self.b.get(self.i) {
            Some(&c) if !is_ws(c) => Ok(c),
            _ => {
                self.ws();
                self.b.get(self.i).copied().ok_or(JsonError::Eof)
            }
        }
    }

    #[inline]
    pub fn at_end(&mut self) -> bool {
        self.ws();
        self.i >= self.b.len()
    }

    #[inline]
    pub fn expect(&mut self, c: u8, what: &'static str) -> JResult<()> {
        if self.peek()? == c {
            self.i += 1;
            Ok(())
        } else {
            self.syntax(what)
        }
    }

    /// Reads a string (the next non-whitespace byte must be its opening quote).
    #[inline]
    pub fn string(&mut self) -> JResult<RawStr> {
        self.expect(b'"', "expected a string")?;
        self.string_body()
    }

    /// Reads the rest of a string whose opening quote was just consumed.
    #[inline(always)]
    fn string_body(&mut self) -> JResult<RawStr> {
        let start = self.i;
        let mut escaped = false;
        loop {
            let Some(p) = find_quote_or_backslash(self.b, self.i) else {
                self.i = self.b.len();
                return Err(JsonError::Eof);
            };
            if self.b[p] == b'"' {
                self.i = p + 1;
                return Ok(RawStr::new(start, p, escaped));
            }
            escaped = true;
            if p + 1 >= self.b.len() {
                self.i = self.b.len();
                return Err(JsonError::Eof);
            }
            self.i = p + 2;
        }
    }

    fn literal(&mut self, word: &'static [u8]) -> JResult<()> {
        let end = self.i + word.len();
        match self.b.get(self.i..end) {
            Some(s) if s == word => {
                self.i = end;
                Ok(())
            }
            Some(_) => self.syntax("invalid literal"),
            None => {
                if word.starts_with(&self.b[self.i..]) {
                    self.i = self.b.len();
                    Err(JsonError::Eof)
                } else {
                    self.syntax("invalid literal")
                }
            }
        }
    }

    /// Reads a number token and returns its bytes.
    pub fn number(&mut self) -> JResult<&'a [u8]> {
        let start = self.i;
        while let Some(&c) = self.b.get(self.i) {
            if c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E') {
                self.i += 1;
            } else {
                break;
            }
        }
        if self.i == start {
            return self.syntax("expected a value");
        }
        if self.i == self.b.len() {
            // A number may continue in the next chunk; only the caller knows if input ended.
            return Err(JsonError::Eof);
        }
        Ok(&self.b[start..self.i])
    }

    /// Skips one value of any type, without recursion.
    pub fn skip(&mut self) -> JResult<()> {
        match self.peek()? {
            b'"' => {
                self.i += 1;
                self.string_body().map(|_| ())
            }
            b'{' | b'[' => self.skip_container(),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number().map(|_| ()),
            _ => self.syntax("expected a value"),
        }
    }

    /// Skips an object or array by matching brackets; strings are jumped over.
    fn skip_container(&mut self) -> JResult<()> {
        let mut depth: usize = 0;
        loop {
            let Some(&c) = self.b.get(self.i) else {
                return Err(JsonError::Eof);
            };
            match c {
                b'"' => {
                    self.i += 1;
                    self.string_body()?;
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        self.i += 1;
                        return Ok(());
                    }
                }
                _ => {}
            }
            self.i += 1;
        }
    }

    /// Skips one value and returns the byte range it covered.
    pub fn skip_span(&mut self) -> JResult<(usize, usize)> {
        self.ws();
        let start = self.i;
        self.skip()?;
        Ok((start, self.i))
    }

    /// Walks an object, calling `f` with each raw key; `f` must consume the value.
    #[inline]
    pub fn object(&mut self, mut f: impl FnMut(&mut Self, &'a [u8]) -> JResult<()>) -> JResult<()> {
        self.expect(b'{', "expected an object")?;
        if self.peek()? == b'}' {
            self.i += 1;
            return Ok(());
        }
        loop {
            // Compact JSON has the key's quote right here; only skip whitespace if not.
            let k = if self.b.get(self.i) == Some(&b'"') {
                self.i += 1;
                self.string_body()?
            } else {
                self.string()?
            };
            // Compact JSON has the colon right after the key; only look further if not.
            if self.b.get(self.i) == Some(&b':') {
                self.i += 1;
            } else {
                self.expect(b':', "expected ':'")?;
            }
            let key = &self.b[k.range()];
            f(self, key)?;
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return self.syntax("expected ',' or '}'"),
            }
        }
    }

    /// Walks an array, calling `f` at each element; `f` must consume it.
    pub fn array(&mut self, mut f: impl FnMut(&mut Self) -> JResult<()>) -> JResult<()> {
        self.expect(b'[', "expected an array")?;
        if self.peek()? == b']' {
            self.i += 1;
            return Ok(());
        }
        loop {
            f(self)?;
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return self.syntax("expected ',' or ']'"),
            }
        }
    }

    /// An object if the value is one, else skips it. Returns whether it was an object.
    pub fn object_or_skip(
        &mut self,
        f: impl FnMut(&mut Self, &'a [u8]) -> JResult<()>,
    ) -> JResult<bool> {
        if self.peek()? == b'{' {
            self.object(f)?;
            Ok(true)
        } else {
            self.skip()?;
            Ok(false)
        }
    }

    /// An array if the value is one, else skips it.
    pub fn array_or_skip(&mut self, f: impl FnMut(&mut Self) -> JResult<()>) -> JResult<bool> {
        if self.peek()? == b'[' {
            self.array(f)?;
            Ok(true)
        } else {
            self.skip()?;
            Ok(false)
        }
    }

    /// A string value; any other type (null, number, object) is skipped and reads as `None`.
    #[inline]
    pub fn str_or_skip(&mut self) -> JResult<Option<RawStr>> {
        if self.peek()? == b'"' {
            self.i += 1;
            self.string_body().map(Some)
        } else {
            self.skip().map(|_| None)
        }
    }

    /// A string value, or the `value` of an object that wraps one (`{"value": "…",
    /// "localizedValue": "…"}`, as Azure's REST APIs write names); else `None`.
    pub fn str_or_value(&mut self) -> JResult<Option<RawStr>> {
        if self.peek()? != b'{' {
            return self.str_or_skip();
        }
        let mut found = None;
        self.object(|c, k| {
            if k == b"value" {
                found = c.str_or_skip()?;
                Ok(())
            } else {
                c.skip()
            }
        })?;
        Ok(found)
    }

    /// A string or number value as raw text (numbers are often quoted in logs, and vice versa).
    pub fn scalar_or_skip(&mut self) -> JResult<Option<RawStr>> {
        match self.peek()? {
            b'"' => self.string().map(Some),
            b'-' | b'0'..=b'9' => {
                let start = self.i;
                self.number()?;
                Ok(Some(RawStr::new(start, self.i, false)))
            }
            _ => self.skip().map(|_| None),
        }
    }

    /// A non-negative integer from a number (`12`, `0.0`, `1e3`) or a numeric string.
    pub fn u64_or_skip(&mut self) -> JResult<Option<u64>> {
        let Some(raw) = self.scalar_or_skip()? else {
            return Ok(None);
        };
        Ok(parse_u64_lenient(raw.raw(self.b)))
    }

    /// `true`/`false`, also written as strings (`"true"`), else `None`.
    pub fn bool_or_skip(&mut self) -> JResult<Option<bool>> {
        match self.peek()? {
            b't' => self.literal(b"true").map(|_| Some(true)),
            b'f' => self.literal(b"false").map(|_| Some(false)),
            b'"' => {
                let s = self.string()?;
                let v = s.raw(self.b);
                Ok(if v.eq_ignore_ascii_case(b"true") {
                    Some(true)
                } else if v.eq_ignore_ascii_case(b"false") {
                    Some(false)
                } else {
                    None
                })
            }
            _ => self.skip().map(|_| None),
        }
    }
}

/// The position of the next `"` or `\\` at or after `from`.
///
/// This is the innermost loop of every JSON parser here (audit logs are mostly strings), so it
/// compares 16 bytes at a time with SSE2, which every x86_64 CPU has; elsewhere, and for the
/// last bytes of a buffer, 8 bytes at a time with SWAR arithmetic.
#[inline(always)]
fn find_quote_or_backslash(b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128,
            _mm_set1_epi8,
        };
        while let Some(chunk) = b.get(i..i + 16) {
            // Safety: SSE2 is part of the x86_64 baseline; the load reads exactly the 16
            // bytes of `chunk` (unaligned loads are allowed by `loadu`).
            let mask = unsafe {
                let v = _mm_loadu_si128(chunk.as_ptr() as *const __m128i);
                let q = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
                let s = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
                _mm_movemask_epi8(_mm_or_si128(q, s)) as u32
            };
            if mask != 0 {
                return Some(i + mask.trailing_zeros() as usize);
            }
            i += 16;
        }
    }
    find_quote_or_backslash_swar(b, i)
}

fn find_quote_or_backslash_swar(b: &[u8], from: usize) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    const QUOTES: u64 = LO * b'"' as u64;
    const SLASHES: u64 = LO * b'\\' as u64;
    let mut i = from;
    while let Some(chunk) = b.get(i..i + 8) {
        let x = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        let q = x ^ QUOTES;
        let s = x ^ SLASHES;
        // A byte of q or s is zero where x holds a quote or backslash; the lowest flagged
        // byte is always a true match (false flags only appear above a true one).
        let hit = ((q.wrapping_sub(LO) & !q) | (s.wrapping_sub(LO) & !s)) & HI;
        if hit != 0 {
            return Some(i + (hit.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b.get(i..)?
        .iter()
        .position(|&c| c == b'"' || c == b'\\')
        .map(|p| i + p)
}

/// Parses `123`, `123.0`, `1.5e3` (truncated) as u64; negative or junk is `None`.
pub fn parse_u64_lenient(s: &[u8]) -> Option<u64> {
    let mut v: u64 = 0;
    let mut any = false;
    for (n, &c) in s.iter().enumerate() {
        match c {
            b'0'..=b'9' => {
                v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
                any = true;
            }
            b'.' | b'e' | b'E' => {
                if s[n..].iter().any(|c| matches!(c, b'e' | b'E')) {
                    let f: f64 = std::str::from_utf8(s).ok()?.parse().ok()?;
                    return (f.is_finite() && (0.0..1.8e19).contains(&f)).then_some(f as u64);
                }
                return any.then_some(v);
            }
            _ => return None,
        }
    }
    any.then_some(v)
}

/// Decodes a JSON string's escaped content into `out`. Invalid escapes and lone surrogates
/// become U+FFFD; the result may still hold invalid UTF-8 from the input, which the caller
/// checks.
pub fn unescape_into(raw: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < raw.len() {
        let Some(p) = memchr::memchr(b'\\', &raw[i..]) else {
            out.extend_from_slice(&raw[i..]);
            return;
        };
        out.extend_from_slice(&raw[i..i + p]);
        i += p + 1;
        let Some(&e) = raw.get(i) else {
            return;
        };
        i += 1;
        match e {
            b'"' => out.push(b'"'),
            b'\\' => out.push(b'\\'),
            b'/' => out.push(b'/'),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'u' => {
                let hi = hex4(raw.get(i..i + 4));
                i += 4;
                let ch = match hi {
                    Some(h @ 0xD800..=0xDBFF) => {
                        if raw.get(i..i + 2) == Some(b"\\u") {
                            match hex4(raw.get(i + 2..i + 6)) {
                                Some(lo @ 0xDC00..=0xDFFF) => {
                                    i += 6;
                                    char::from_u32(
                                        0x10000
                                            + ((h as u32 - 0xD800) << 10)
                                            + (lo as u32 - 0xDC00),
                                    )
                                }
                                _ => None,
                            }
                        } else {
                            None
                        }
                    }
                    Some(c) => char::from_u32(c as u32),
                    None => None,
                };
                let mut tmp = [0u8; 4];
                out.extend_from_slice(ch.unwrap_or('\u{fffd}').encode_utf8(&mut tmp).as_bytes());
            }
            _ => out.extend_from_slice("\u{fffd}".as_bytes()),
        }
    }
}

fn hex4(b: Option<&[u8]>) -> Option<u16> {
    let b = b?;
    let s = std::str::from_utf8(b).ok()?;
    u16::from_str_radix(s, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(doc: &str) -> Vec<String> {
        let mut c = Cursor::new(doc.as_bytes(), 0);
        let mut out = vec![];
        c.object(|c, k| {
            out.push(String::from_utf8(k.to_vec()).unwrap());
            c.skip()
        })
        .unwrap();
        out
    }

    #[test]
    fn walks_and_skips() {
        let doc =
            r#"{"a": {"x":[1,2,{"y":"}]"}]}, "b" : "q\"uo}te", "c":null,"d":-1.5e3,"e":true}"#;
        assert_eq!(keys(doc), ["a", "b", "c", "d", "e"]);
    }

    #[test]
    fn eof_versus_syntax() {
        let mut c = Cursor::new(br#"{"a":"abc"#, 0);
        assert_eq!(c.skip(), Err(JsonError::Eof));
        let mut c = Cursor::new(br#"{"a" "b"}"#, 0);
        assert!(matches!(
            c.object(|c, _| c.skip()),
            Err(JsonError::Syntax { .. })
        ));
        let mut c = Cursor::new(b"tru", 0);
        assert_eq!(c.skip(), Err(JsonError::Eof));
        let mut c = Cursor::new(b"trux", 0);
        assert!(matches!(c.skip(), Err(JsonError::Syntax { .. })));
    }

    #[test]
    fn deep_nesting_does_not_recurse() {
        let doc = "[".repeat(1_000_000) + &"]".repeat(1_000_000);
        let mut c = Cursor::new(doc.as_bytes(), 0);
        c.skip().unwrap();
        assert!(c.at_end());
    }

    #[test]
    fn lenient_types() {
        let doc = br#"{"n":"12","f":0.0,"g":2409257,"s":{"x":1},"b":"true","neg":-3}"#;
        let mut c = Cursor::new(doc, 0);
        let mut got = vec![];
        c.object(|c, k| {
            match k {
                b"b" => got.push(format!("{:?}", c.bool_or_skip()?)),
                b"s" => got.push(format!("{:?}", c.str_or_skip()?)),
                _ => got.push(format!("{:?}", c.u64_or_skip()?)),
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(
            got,
            [
                "Some(12)",
                "Some(0)",
                "Some(2409257)",
                "None",
                "Some(true)",
                "None"
            ]
        );
    }

    #[test]
    fn finds_quotes_at_every_position() {
        for len in 0..80 {
            for at in 0..len {
                for c in [b'"', b'\\'] {
                    let mut v = vec![b'a'; len];
                    v[at] = c;
                    if at + 1 < len {
                        v[len - 1] = b'"';
                    }
                    assert_eq!(
                        find_quote_or_backslash(&v, 0),
                        Some(at),
                        "len {len} at {at}"
                    );
                }
            }
            assert_eq!(find_quote_or_backslash(&vec![0xe9; len], 0), None);
            let mut v = vec![b'a'; len];
            if len > 0 {
                v[len - 1] = b'"';
                assert_eq!(find_quote_or_backslash_swar(&v, 0), Some(len - 1));
            }
        }
    }

    #[test]
    fn unescapes() {
        let mut out = vec![];
        unescape_into(br#"a\"b\\c\/\n\u00e9\ud83d\ude00\ud800x"#, &mut out);
        assert_eq!(String::from_utf8(out).unwrap(), "a\"b\\c/\né😀\u{fffd}x");
    }
}
