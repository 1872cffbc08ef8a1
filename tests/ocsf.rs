//! `scan --format ocsf` checked against the resolved OCSF 1.8.0 schema in `tests/ocsf/`
//! (copied from the shared workspace, which CI does not have): required attributes at every
//! level, JSON types, enum values and their captions, profile-only attributes, object
//! constraints, millisecond timestamps and type_uid. The negative tests prove the validator
//! rejects what it should, so a green run means something.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::Path;
use std::sync::OnceLock;

use serde_json::{json, Map, Value};

use crate::common::run_ok;

struct Schema {
    class: Value,
    objects: Value,
    types: Value,
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ocsf");
        let read = |name: &str| -> Value {
            let text = std::fs::read_to_string(dir.join(name)).unwrap();
            serde_json::from_str(&text).unwrap()
        };
        let class = read("detection_finding.json");
        let objects = read("objects.json");
        Schema {
            types: objects["types"].clone(),
            objects: objects["objects"].clone(),
            class,
        }
    })
}

/// One object level: its attribute entries, always-required names, profile-required names
/// and constraints.
struct Level<'a> {
    attributes: &'a Map<String, Value>,
    required: &'a Value,
    required_with_profile: &'a Value,
    constraints: &'a Value,
}

const NONE: Value = Value::Null;

impl<'a> Level<'a> {
    fn of(v: &'a Value) -> Option<Level<'a>> {
        Some(Level {
            attributes: v.get("attributes")?.as_object()?,
            required: v.get("required").unwrap_or(&NONE),
            required_with_profile: v.get("required_with_profile").unwrap_or(&NONE),
            constraints: v.get("constraints").unwrap_or(&NONE),
        })
    }

    /// The level of an object-typed entry: its nested tree, or `objects.json` where the tree
    /// stops (depth limit, cycle).
    fn for_entry(entry: &'a Value, s: &'a Schema) -> Option<Level<'a>> {
        let expanded = entry.get("attributes").is_some()
            && entry.get("depth_limit").is_none()
            && entry.get("cycle").is_none();
        if expanded {
            Level::of(entry)
        } else {
            Level::of(&s.objects[entry["type"].as_str()?])
        }
    }
}

fn names(v: &Value) -> impl Iterator<Item = &str> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str())
}

fn present(obj: &Map<String, Value>, k: &str) -> bool {
    obj.get(k).is_some_and(|v| !v.is_null())
}

/// Every problem of one event, as `path: what`.
fn validate(ev: &Value) -> Vec<String> {
    let s = schema();
    let mut errs = Vec::new();
    let Some(obj) = ev.as_object() else {
        return vec!["event is not an object".into()];
    };
    let profiles: BTreeSet<String> = names(&ev["metadata"]["profiles"])
        .map(String::from)
        .collect();
    let top = Level {
        attributes: s.class["attributes"].as_object().unwrap(),
        required: &s.class["required"],
        required_with_profile: &s.class["required_with_profile"],
        constraints: &NONE,
    };
    check_level(obj, &top, "", &profiles, s, &mut errs);

    let class_uid = ev["class_uid"].as_i64();
    if class_uid != s.class["class"]["class_uid"].as_i64() {
        errs.push(format!(
            "class_uid: {:?} is not this class",
            ev["class_uid"]
        ));
    }
    if ev["category_uid"].as_i64() != s.class["class"]["category_uid"].as_i64() {
        errs.push(format!("category_uid: {:?}", ev["category_uid"]));
    }
    match (
        class_uid,
        ev["activity_id"].as_i64(),
        ev["type_uid"].as_i64(),
    ) {
        (Some(c), Some(a), Some(t)) if t == c * 100 + a => {}
        _ => errs.push(format!(
            "type_uid: {:?} is not class_uid * 100 + activity_id",
            ev["type_uid"]
        )),
    }
    if ev["metadata"]["version"].as_str() != s.class["ocsf"]["version"].as_str() {
        errs.push(format!(
            "metadata.version: {:?} is not the schema's {:?}",
            ev["metadata"]["version"], s.class["ocsf"]["version"]
        ));
    }
    errs
}

fn check_level(
    obj: &Map<String, Value>,
    level: &Level,
    path: &str,
    profiles: &BTreeSet<String>,
    s: &Schema,
    errs: &mut Vec<String>,
) {
    let at = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    for k in names(level.required) {
        if !present(obj, k) {
            errs.push(format!("{}: required attribute missing", at(k)));
        }
    }
    if let Some(by_profile) = level.required_with_profile.as_object() {
        for (profile, list) in by_profile {
            if profiles.contains(profile) {
                for k in names(list) {
                    if !present(obj, k) {
                        errs.push(format!("{}: required by profile {profile}", at(k)));
                    }
                }
            }
        }
    }
    let count = |list: &Value| names(list).filter(|k| present(obj, k)).count();
    let at_least_one = &level.constraints["at_least_one"];
    if at_least_one.is_array() && count(at_least_one) == 0 {
        errs.push(format!("{path}: needs at least one of {at_least_one}"));
    }
    let just_one = &level.constraints["just_one"];
    if just_one.is_array() && count(just_one) != 1 {
        errs.push(format!("{path}: needs exactly one of {just_one}"));
    }
    for (k, v) in obj {
        let p = at(k);
        let Some(entry) = level.attributes.get(k) else {
            errs.push(format!("{p}: not an attribute of this object"));
            continue;
        };
        if let Some(profile) = entry.get("profile").and_then(|x| x.as_str()) {
            if !profiles.contains(profile) {
                errs.push(format!("{p}: needs profile {profile} in metadata.profiles"));
            }
        }
        if v.is_null() {
            errs.push(format!("{p}: null"));
            continue;
        }
        if entry["is_array"].as_bool() == Some(true) {
            match v.as_array() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        check_value(item, entry, &format!("{p}[{i}]"), profiles, s, errs);
                    }
                }
                None => errs.push(format!("{p}: not an array")),
            }
        } else {
            check_value(v, entry, &p, profiles, s, errs);
        }
        // An `*_id` enum's sibling string holds that value's caption (except 99, Other).
        if let (Some(sib), Some(en)) = (entry["sibling"].as_str(), entry["enum"].as_object()) {
            if let (Some(caption), Some(id)) = (obj.get(sib).and_then(|x| x.as_str()), v.as_i64()) {
                let expected = en.get(&id.to_string()).and_then(|c| c.as_str());
                if id != 99 && expected.is_some_and(|e| e != caption) {
                    errs.push(format!(
                        "{}: {caption:?} is not the caption of {k} {id} ({expected:?})",
                        at(sib)
                    ));
                }
            }
        }
    }
}

fn check_value(
    v: &Value,
    entry: &Value,
    p: &str,
    profiles: &BTreeSet<String>,
    s: &Schema,
    errs: &mut Vec<String>,
) {
    let json_type = entry["json_type"].as_str().unwrap_or("any");
    let ok = match json_type {
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        _ => true,
    };
    if !ok {
        errs.push(format!("{p}: {v} is not of JSON type {json_type}"));
        return;
    }
    if let Some(en) = entry["enum"].as_object() {
        let key = match v {
            Value::String(x) => x.clone(),
            other => other.to_string(),
        };
        if !en.contains_key(&key) {
            errs.push(format!("{p}: {key} is not one of the enum values"));
        }
    }
    let ty = entry["type"].as_str().unwrap_or("");
    if let Some(t) = s.types.get(ty) {
        if let (Some(max), Some(text)) = (t["max_len"].as_u64(), v.as_str()) {
            if text.chars().count() as u64 > max {
                errs.push(format!("{p}: longer than {max}"));
            }
        }
        if let (Some([lo, hi]), Some(n)) = (
            t["range"].as_array().map(|r| r.as_slice()),
            v.as_i64().or(v.as_f64().map(|f| f as i64)),
        ) {
            if lo.as_i64().is_some_and(|lo| n < lo) || hi.as_i64().is_some_and(|hi| n > hi) {
                errs.push(format!("{p}: {n} out of range"));
            }
        }
    }
    match ty {
        "ip_t" if v.as_str().and_then(|x| x.parse::<IpAddr>().ok()).is_none() => {
            errs.push(format!("{p}: {v} is not an IP address"))
        }
        // Milliseconds: a current date has 13 digits, seconds would have 10.
        "timestamp_t"
            if !v
                .as_i64()
                .is_some_and(|t| (1_000_000_000_000..10_000_000_000_000).contains(&t)) =>
        {
            errs.push(format!("{p}: {v} is not a millisecond timestamp"))
        }
        _ => {}
    }
    // `object` is OCSF's "any JSON object" (`unmapped`): nothing below it to check.
    if json_type == "object" && ty != "object" {
        match (v.as_object(), Level::for_entry(entry, s)) {
            (Some(o), Some(level)) => check_level(o, &level, p, profiles, s, errs),
            (_, None) => errs.push(format!("{p}: object type {ty} not in the schema")),
            _ => {}
        }
    }
}

/// The OCSF objects of a scan of a small generated world (made once for this module).
fn scanned() -> &'static Vec<Value> {
    static OUT: OnceLock<Vec<Value>> = OnceLock::new();
    OUT.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let w = dir.path().join("world");
        let w = w.to_str().unwrap();
        run_ok(&["generate", "--out", w, "--seed", "3", "--scale", "0.2"]);
        std::fs::remove_file(dir.path().join("world/labels.json")).unwrap();
        let out = run_ok(&["scan", w, "--format", "ocsf", "-q"]);
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
            .collect()
    })
}

#[test]
fn every_emitted_object_is_a_valid_detection_finding() {
    let events = scanned();
    assert!(events.len() > 20, "only {} findings", events.len());
    for ev in events {
        let errs = validate(ev);
        assert!(errs.is_empty(), "{errs:#?}\nin {ev:#}");
    }
    // The mapping carries what a SIEM needs: ATT&CK, resources, source addresses.
    assert!(events
        .iter()
        .any(|e| e["finding_info"]["attacks"][0]["technique"]["uid"] == "T1530"));
    assert!(events.iter().any(|e| e["severity_id"] == 5));
    assert!(events.iter().any(|e| e["resources"][0]["name"].is_string()));
    assert!(events
        .iter()
        .any(|e| e["evidences"][0]["src_endpoint"]["ip"].is_string()));
    // And where: the region, and whose account it happened in, typed per cloud.
    assert!(events.iter().any(|e| e["cloud"]["region"].is_string()));
    for (type_id, provider) in [(10, "AWS"), (11, "GCP"), (13, "Azure")] {
        assert!(
            events.iter().any(|e| e["cloud"]["provider"] == provider
                && e["cloud"]["account"]["type_id"] == type_id
                && e["cloud"]["account"]["uid"].is_string()),
            "no {provider} account"
        );
    }
}

/// A valid object to damage.
fn sample() -> Value {
    scanned()
        .iter()
        .find(|e| {
            e["finding_info"]["attacks"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
                && e["evidences"][0]["src_endpoint"].is_object()
        })
        .expect("a finding with ATT&CK and a source address")
        .clone()
}

fn rejected(ev: Value, what: &str) {
    let errs = validate(&ev);
    assert!(
        errs.iter().any(|e| e.contains(what)),
        "expected an error about {what:?}, got {errs:#?}"
    );
}

#[test]
fn validator_rejects_missing_required_attributes() {
    assert!(validate(&sample()).is_empty());
    let mut ev = sample();
    ev.as_object_mut().unwrap().remove("severity_id");
    rejected(ev, "severity_id: required");
    // Nested levels: finding_info.uid, metadata.product, analytic.type_id.
    let mut ev = sample();
    ev["finding_info"].as_object_mut().unwrap().remove("uid");
    rejected(ev, "finding_info.uid: required");
    let mut ev = sample();
    ev["metadata"].as_object_mut().unwrap().remove("product");
    rejected(ev, "metadata.product: required");
    let mut ev = sample();
    ev["finding_info"]["analytic"]
        .as_object_mut()
        .unwrap()
        .remove("type_id");
    rejected(ev, "finding_info.analytic.type_id: required");
    // The cloud profile makes `cloud` required; its provider is required in turn.
    let mut ev = sample();
    ev.as_object_mut().unwrap().remove("cloud");
    rejected(ev, "cloud: required by profile cloud");
    let mut ev = sample();
    ev["cloud"] = json!({"region": "eu-west-1"});
    rejected(ev, "cloud.provider: required");
    // Constraints: an attack needs a tactic, technique or sub-technique.
    let mut ev = sample();
    ev["finding_info"]["attacks"][0] = json!({"version": "v16"});
    rejected(ev, "needs at least one of");
}

#[test]
fn validator_rejects_wrong_types_enums_and_uids() {
    let mut ev = sample();
    ev["severity_id"] = json!(7);
    rejected(ev, "severity_id: 7 is not one of the enum values");
    let mut ev = sample();
    ev["severity"] = json!("Severe");
    rejected(ev, "is not the caption of severity_id");
    let mut ev = sample();
    ev["type_uid"] = json!(200402);
    rejected(ev, "type_uid");
    let mut ev = sample();
    ev["time"] = json!(ev["time"].as_i64().unwrap() / 1000);
    rejected(ev, "time: ");
    let mut ev = sample();
    ev["risk_score"] = json!("90");
    rejected(ev, "is not of JSON type integer");
    let mut ev = sample();
    ev["evidences"][0]["src_endpoint"]["ip"] = json!("not-an-ip");
    rejected(ev, "is not an IP address");
    let mut ev = sample();
    ev["finding_info"]["colour"] = json!("red");
    rejected(ev, "finding_info.colour: not an attribute");
    let mut ev = sample();
    ev["metadata"]["profiles"] = json!([]);
    rejected(ev, "needs profile cloud");
    let mut ev = sample();
    ev["metadata"]["version"] = json!("1.1.0");
    rejected(ev, "metadata.version");
    let mut ev = sample();
    ev["observables"][0]["type_id"] = json!(29);
    rejected(ev, "observables[0].type_id: 29");
}
