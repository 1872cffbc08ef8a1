//! Generates `rule_ids.rs`: one constant per rule of `rules/catalogue.toml`, so that code names
//! rules through `crate::catalogue::rule::…` and a misspelt id does not compile.

use std::fmt::Write as _;

fn main() {
    println!("cargo:rerun-if-changed=rules/catalogue.toml");
    let catalogue =
        std::fs::read_to_string("rules/catalogue.toml").expect("rules/catalogue.toml is readable");
    let mut out = String::new();
    let mut all = Vec::new();
    for line in catalogue.lines() {
        let Some(rest) = line.strip_prefix("id = \"") else {
            continue;
        };
        let id = rest
            .strip_suffix('"')
            .expect("a rule id is a one-line string");
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_'),
            "rule id {id:?}: lower-case letters, digits, dots and underscores only"
        );
        let name = id.replace('.', "_").to_ascii_uppercase();
        writeln!(out, "pub const {name}: &str = {id:?};").unwrap();
        all.push(name);
    }
    writeln!(out, "/// Every rule id, in catalogue order.").unwrap();
    writeln!(out, "pub const ALL: &[&str] = &[{}];", all.join(", ")).unwrap();
    let dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(std::path::Path::new(&dir).join("rule_ids.rs"), out)
        .expect("OUT_DIR is writable");
}
