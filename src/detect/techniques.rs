//! The ATT&CK techniques of what an event did, and the catalogue's technique ids as static
//! strings (findings keep them without allocating).

use crate::detect::access::Access;

/// The ATT&CK techniques of what an event did: a finding about where or when it happened
/// inherits them (reading data from a new network is also T1530).
pub(crate) fn activity_techniques(a: &Access) -> [Option<&'static str>; 4] {
    use crate::event::ActionClass::*;
    let mut v: [Option<&'static str>; 4] = [None; 4];
    v[0] = match a.class {
        Read => Some("T1530"),
        Delete => Some("T1485"),
        List => Some("T1619"),
        Permission => Some("T1098"),
        Logging => Some("T1562.008"),
        Config => Some("T1490"),
        _ => None,
    };
    if let Some(hit) = &a.hit {
        if let Some(meta) = crate::catalogue::Catalogue::get().rule(hit.rule) {
            let mut n = 1;
            for m in &meta.mitre {
                if let Some(s) = static_technique(m) {
                    if n < v.len() && !v.contains(&Some(s)) {
                        v[n] = Some(s);
                        n += 1;
                    }
                }
            }
        }
    }
    v
}

/// The techniques the catalogue uses, as static strings (findings keep them without
/// allocating).
const STATIC_TECHNIQUES: &[&str] = &[
    "T1530",
    "T1619",
    "T1485",
    "T1486",
    "T1490",
    "T1537",
    "T1098",
    "T1562.008",
    "T1562.007",
    "T1580",
    "T1078.004",
    "T1562.001",
    "T1562.010",
    "T1562",
    "T1550.001",
    "T1555.006",
    "T1098.001",
    "T1098.003",
    "T1090.003",
    "T1211",
];

/// The static string of a catalogue technique id, if it is one.
pub(crate) fn static_technique(id: &str) -> Option<&'static str> {
    STATIC_TECHNIQUES.iter().find(|t| **t == id).copied()
}
