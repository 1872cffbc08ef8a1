//! Text helpers for the writers: times in each cloud's notation and an ordered JSON writer.
//!
//! The writers build JSON by hand rather than through `serde_json::Value` because the clouds
//! write keys in a fixed order (`eventVersion` first, `userIdentity` next…) and a map would
//! sort them; byte-identical output for a seed also depends on that order being fixed.

use std::fmt::Write;

use crate::time::civil_from_days;

pub const NS: i64 = 1_000_000_000;
pub const MINUTE: i64 = 60 * NS;
pub const HOUR: i64 = 60 * MINUTE;
pub const DAY: i64 = 24 * HOUR;

/// A broken-down UTC time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tm {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub min: u32,
    pub sec: u32,
    pub nanos: u32,
}

pub fn tm(t: i64) -> Tm {
    let days = t.div_euclid(DAY);
    let rest = t.rem_euclid(DAY);
    let (year, month, day) = civil_from_days(days);
    let secs = rest / NS;
    Tm {
        year,
        month,
        day,
        hour: (secs / 3600) as u32,
        min: (secs / 60 % 60) as u32,
        sec: (secs % 60) as u32,
        nanos: (rest % NS) as u32,
    }
}

/// `2026-02-01T02:13:44Z` followed by `digits` fractional digits when `digits > 0`.
pub fn iso(t: i64, digits: u32) -> String {
    let m = tm(t);
    let mut s = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        m.year, m.month, m.day, m.hour, m.min, m.sec
    );
    if digits > 0 {
        let frac = format!("{:09}", m.nanos);
        s.push('.');
        s.push_str(&frac[..digits as usize]);
    }
    s.push('Z');
    s
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// S3 server access log time: `[06/Feb/2019:00:00:38 +0000]`.
pub fn clf(t: i64) -> String {
    let m = tm(t);
    format!(
        "[{:02}/{}/{:04}:{:02}:{:02}:{:02} +0000]",
        m.day,
        MONTHS[m.month as usize - 1],
        m.year,
        m.hour,
        m.min,
        m.sec
    )
}

/// RFC 1123 as Azure Storage Analytics writes Last-Modified: `Tuesday, 07-Apr-20 13:56:11 GMT`.
pub fn rfc850(t: i64) -> String {
    const DAYS: [&str; 7] = [
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
    ];
    let m = tm(t);
    format!(
        "{}, {:02}-{}-{:02} {:02}:{:02}:{:02} GMT",
        DAYS[t.div_euclid(DAY).rem_euclid(7) as usize],
        m.day,
        MONTHS[m.month as usize - 1],
        m.year % 100,
        m.hour,
        m.min,
        m.sec
    )
}

/// Bytes a JSON string cannot hold as they are: `"`, `\\` and control characters.
const ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// Appends `s` as a JSON string literal.
pub fn json_str(out: &mut String, s: &str) {
    out.push('"');
    // Almost every value needs no escape: copy it whole. A table and a plain loop, because
    // iterator adapters are slow in the debug builds `generate` is mostly run from.
    let mut plain = true;
    for &b in s.as_bytes() {
        if ESCAPE[b as usize] {
            plain = false;
            break;
        }
    }
    if plain {
        out.push_str(s);
        out.push('"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A JSON object written key by key, in the order the calls are made.
pub struct Obj<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Obj<'a> {
    pub fn new(out: &'a mut String) -> Self {
        out.push('{');
        Obj { out, first: true }
    }

    fn key(&mut self, k: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        // Keys are the writers' own literals and never need escaping.
        self.out.push('"');
        self.out.push_str(k);
        self.out.push_str("\":");
    }

    pub fn str(&mut self, k: &str, v: &str) -> &mut Self {
        self.key(k);
        json_str(self.out, v);
        self
    }

    pub fn num(&mut self, k: &str, v: u64) -> &mut Self {
        self.key(k);
        let _ = write!(self.out, "{v}");
        self
    }

    pub fn bool(&mut self, k: &str, v: bool) -> &mut Self {
        self.key(k);
        self.out.push_str(if v { "true" } else { "false" });
        self
    }

    pub fn null(&mut self, k: &str) -> &mut Self {
        self.raw(k, "null")
    }

    /// A value that is already JSON text.
    pub fn raw(&mut self, k: &str, json: &str) -> &mut Self {
        self.key(k);
        self.out.push_str(json);
        self
    }

    pub fn obj(&mut self, k: &str, f: impl FnOnce(&mut Obj)) -> &mut Self {
        self.key(k);
        let mut inner = Obj::new(self.out);
        f(&mut inner);
        inner.end();
        self
    }

    /// An array whose elements `f` writes through [`Arr`].
    pub fn arr(&mut self, k: &str, f: impl FnOnce(&mut Arr)) -> &mut Self {
        self.key(k);
        self.out.push('[');
        let mut a = Arr {
            out: self.out,
            first: true,
        };
        f(&mut a);
        self.out.push(']');
        self
    }

    pub fn end(self) {
        self.out.push('}');
    }
}

pub struct Arr<'a> {
    out: &'a mut String,
    first: bool,
}

impl Arr<'_> {
    fn sep(&mut self) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
    }

    pub fn obj(&mut self, f: impl FnOnce(&mut Obj)) {
        self.sep();
        let mut o = Obj::new(self.out);
        f(&mut o);
        o.end();
    }

    pub fn str(&mut self, v: &str) {
        self.sep();
        json_str(self.out, v);
    }
}

/// An object as a standalone JSON string (for values Azure and AWS embed as strings).
pub fn obj_string(f: impl FnOnce(&mut Obj)) -> String {
    let mut s = String::new();
    let mut o = Obj::new(&mut s);
    f(&mut o);
    o.end();
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_each_notation() {
        // 2019-02-06T00:00:38.123456789Z
        let t = 1_549_411_238 * NS + 123_456_789;
        assert_eq!(iso(t, 0), "2019-02-06T00:00:38Z");
        assert_eq!(iso(t, 7), "2019-02-06T00:00:38.1234567Z");
        assert_eq!(clf(t), "[06/Feb/2019:00:00:38 +0000]");
        assert_eq!(rfc850(t), "Wednesday, 06-Feb-19 00:00:38 GMT");
        assert_eq!(
            crate::time::parse_rfc3339(iso(t, 9).as_bytes()),
            Some(t),
            "the parsers read back what the writers write"
        );
    }

    #[test]
    fn objects_keep_key_order_and_escape() {
        let s = obj_string(|o| {
            o.str("b", "q\"\\\n")
                .num("a", 3)
                .null("c")
                .arr("d", |a| a.str("x"));
        });
        assert_eq!(s, r#"{"b":"q\"\\\n","a":3,"c":null,"d":["x"]}"#);
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["b"], "q\"\\\n");
    }
}
