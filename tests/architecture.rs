//! The module graph points one way: sources → normalised event → detection → incidents →
//! sinks. This test reads `use crate::…` and `crate::…` paths in `src/` (test code and
//! comments left out) and fails when a cycle between top-level modules comes back, or when a
//! lower layer reaches up.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Production code of a file: without its inline test modules and comments.
fn production(text: &str) -> String {
    let mut text = text.to_string();
    for marker in [
        "#[cfg(test)]\nmod ",
        "#[cfg(test)]\npub(crate) mod ",
        "#[cfg(test)]\npub mod ",
    ] {
        let mut from = 0;
        while let Some(at) = text
            .get(from..)
            .and_then(|t| t.find(marker))
            .map(|i| i + from)
        {
            let head_end = at + marker.len();
            let line = text
                .get(head_end..)
                .and_then(|r| r.lines().next())
                .unwrap_or("");
            if !line.trim_end().ends_with('{') {
                // `mod x;`: a file of its own, left out by the caller.
                from = head_end;
                continue;
            }
            // The module's block, by brace depth (test code holds no unbalanced braces).
            let open = head_end + line.find('{').unwrap_or(0);
            let mut depth = 0usize;
            let mut end = text.len();
            for (i, c) in text.get(open..).unwrap_or("").char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = open + i + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            text.replace_range(at..end, "");
            from = at;
        }
    }
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Module → the modules it uses, among the children of `dir` (`src` itself, or a directory
/// module such as `src/detect`, whose children are reached as `crate::detect::x`).
fn graph_of(dir: &Path, prefix: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(dir, &mut files);
    // Files compiled only for tests (`#[cfg(test)] mod x;`) are left out whole.
    let mut test_only = BTreeSet::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (i, _) in text.match_indices("#[cfg(test)]\nmod ") {
            let rest = &text[i + "#[cfg(test)]\nmod ".len()..];
            if let Some(name) = rest
                .split(';')
                .next()
                .filter(|n| !n.contains('{') && !n.contains('\n'))
            {
                test_only.insert(f.parent().unwrap().join(format!("{name}.rs")));
                test_only.insert(f.parent().unwrap().join(name));
            }
        }
    }
    let path_prefix = if prefix.is_empty() {
        "crate::".to_string()
    } else {
        format!("crate::{prefix}::")
    };
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let tests_only = |f: &Path| test_only.iter().any(|t| f == t || f.starts_with(t));
    for f in files.iter().filter(|f| !tests_only(f)) {
        let rel = f.strip_prefix(dir).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        if module == "lib" || module == "main" {
            continue;
        }
        let direct_child = rel.components().count() == 1;
        let text = production(&std::fs::read_to_string(f).unwrap());
        let deps = g.entry(module.clone()).or_default();
        let mut add = |name: &str| {
            if !name.is_empty() && name != module {
                deps.insert(name.to_string());
            }
        };
        let mut refs: Vec<&str> = vec![path_prefix.as_str()];
        if direct_child && !prefix.is_empty() && module != "mod" {
            refs.push("super::");
        }
        for r in refs {
            for (i, _) in text.match_indices(r) {
                // `crate::detect::` must not match inside `crate::detect_x::`, nor `super::`
                // inside `a_super::`.
                if i > 0 && text[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let rest = &text[i + r.len()..];
                if let Some(group) = rest.strip_prefix('{') {
                    for item in group.split('}').next().unwrap_or("").split(',') {
                        add(item.trim().split("::").next().unwrap_or("").trim());
                    }
                } else {
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                        .collect();
                    add(&name);
                }
            }
        }
    }
    g
}

/// Top-level module → the top-level modules it uses.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    graph_of(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), "")
}

/// A cycle through `start`, if any.
fn cycle_from(g: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    fn walk(
        g: &BTreeMap<String, BTreeSet<String>>,
        at: &str,
        start: &str,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        for next in g.get(at).into_iter().flatten() {
            if next == start {
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if walk(g, next, start, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start.to_string()];
    walk(g, start, start, &mut path, &mut BTreeSet::new()).then_some(path)
}

#[test]
fn no_cycle_between_top_level_modules() {
    let g = graph();
    assert!(g.len() > 15, "the graph was read: {g:?}");
    for m in g.keys() {
        if let Some(c) = cycle_from(&g, m) {
            panic!("cycle: {} → {}", c.join(" → "), m);
        }
    }
}

/// Inside each directory module too (the engine and its detectors, the formats, the commands):
/// no two submodules use each other, however indirectly.
#[test]
fn no_cycle_between_submodules() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut checked = 0;
    for e in std::fs::read_dir(&src).unwrap().flatten() {
        if !e.path().is_dir() {
            continue;
        }
        let name = e.file_name().to_string_lossy().to_string();
        let g = graph_of(&e.path(), &name);
        for m in g.keys() {
            if let Some(c) = cycle_from(&g, m) {
                panic!("cycle in {name}: {} → {}", c.join(" → "), m);
            }
        }
        checked += g.len();
    }
    assert!(checked > 30, "submodules were read: {checked}");
}

#[test]
fn lower_layers_do_not_reach_up() {
    let g = graph();
    let forbidden: &[(&str, &[&str])] = &[
        // Shared leaves use nothing of trailhound (`*`), or only another leaf (`*` but `+x`).
        ("text", &["*"]),
        ("time", &["*"]),
        ("contain", &["*", "+text"]),
        // Formats know nothing of detection, ingest or reports.
        (
            "formats",
            &[
                "detect",
                "ingest",
                "pipeline",
                "report",
                "summary",
                "config",
                "state",
                "correlate",
            ],
        ),
        (
            "event",
            &[
                "detect", "ingest", "formats", "pipeline", "report", "summary", "config", "state",
            ],
        ),
        // Detection knows nothing of sources' plumbing, reports, the pipeline or the file
        // formats of configuration and state.
        (
            "detect",
            &[
                "ingest",
                "formats",
                "pipeline",
                "report",
                "summary",
                "config",
                "state",
                "cli",
                "investigate",
                "generate",
            ],
        ),
        (
            "correlate",
            &[
                "pipeline", "report", "summary", "config", "state", "cli", "ingest",
            ],
        ),
        (
            "ingest",
            &[
                "detect",
                "pipeline",
                "report",
                "summary",
                "config",
                "state",
                "correlate",
            ],
        ),
    ];
    let mut bad = Vec::new();
    for (m, not) in forbidden {
        for d in g.get(*m).into_iter().flatten() {
            let allowed = not.contains(&format!("+{d}").as_str());
            if !allowed && (not.contains(&"*") || not.contains(&d.as_str())) {
                bad.push(format!("{m} → {d}"));
            }
        }
    }
    assert!(bad.is_empty(), "arrows pointing up: {bad:?}");
}

/// The check can fail: a made-up cycle is found.
#[test]
fn the_cycle_check_finds_a_cycle() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(
        cycle_from(&g, "a"),
        Some(vec!["a".into(), "b".into(), "c".into()])
    );
    g.get_mut("c").unwrap().clear();
    assert_eq!(cycle_from(&g, "a"), None);
    assert!(
        production("use crate::x;\n#[cfg(test)]\nmod tests {\nuse crate::y;\n}")
            .contains("crate::x")
    );
    assert!(
        !production("use crate::x;\n#[cfg(test)]\nmod tests {\nuse crate::y;\n}")
            .contains("crate::y")
    );
    let after =
        production("#[cfg(test)]\nmod tests {\nfn f() { crate::y(); }\n}\nfn g() { crate::z(); }");
    assert!(
        after.contains("crate::z") && !after.contains("crate::y"),
        "{after}"
    );
}

/// Code names rules through the constants generated from the catalogue
/// (`trailhound::catalogue::rule`), so a misspelt id does not compile; a string literal that
/// is a rule id, or looks like one and is not in the catalogue, is reported here. Prefixes
/// that group rules (`aws.kms.`) are allowed only as such.
#[test]
fn rule_ids_in_code_come_from_the_catalogue() {
    let cat = trailhound::catalogue::Catalogue::get();
    let ids: BTreeSet<&str> = cat.rules.iter().map(|r| r.id.as_str()).collect();
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut literal = BTreeSet::new();
    let mut unknown = BTreeSet::new();
    let mut named = 0;
    for f in files {
        if f.components().any(|c| c.as_os_str() == "detector_tests") {
            continue;
        }
        let text = production(&std::fs::read_to_string(&f).unwrap());
        named += text.matches("rule::").count();
        for part in text.split('"').skip(1).step_by(2) {
            let scope = part.split('.').next().unwrap_or("");
            if !matches!(scope, "aws" | "gcp" | "azure" | "baseline" | "trailhound")
                || !part.contains('.')
                || part.contains(' ')
                || part == "trailhound.toml"
            {
                continue;
            }
            let grouping = part.ends_with('.') && ids.iter().any(|id| id.starts_with(part));
            let scope_name = ids.iter().any(|id| id.starts_with(&format!("{part}.")));
            if ids.contains(part) {
                literal.insert(format!("{}: {part}", f.display()));
            } else if !grouping && !scope_name {
                unknown.insert(format!("{}: {part}", f.display()));
            }
        }
    }
    assert!(named > 150, "rules named through the constants: {named}");
    assert!(
        literal.is_empty(),
        "name these through trailhound::catalogue::rule: {literal:?}"
    );
    assert!(
        unknown.is_empty(),
        "not in rules/catalogue.toml: {unknown:?}"
    );
}
