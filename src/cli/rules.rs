//! `trailhound rules`: the catalogue with the thresholds and severities in force.

use std::fmt::Write as _;

use anyhow::Result;
use serde_json::json;

use crate::catalogue::Catalogue;
use crate::cli::args::{RulesArgs, RulesFormat};
use crate::cli::scan::write_output;
use crate::cli::ExitCode;

pub fn run(args: &RulesArgs) -> Result<ExitCode> {
    let cfg = crate::config::load_or_default(args.config.as_deref(), &[])?;
    let cat = Catalogue::get();
    let rows: Vec<serde_json::Value> = cat
        .rules
        .iter()
        .map(|r| {
            let severity = cfg
                .detect
                .severity
                .get(&r.id)
                .copied()
                .unwrap_or(r.severity);
            let thresholds: serde_json::Map<String, serde_json::Value> = r
                .threshold
                .iter()
                .map(|(k, v)| {
                    let v = cfg
                        .detect
                        .thresholds
                        .get(&(r.id.clone(), k.clone()))
                        .copied()
                        .unwrap_or(*v);
                    (k.clone(), json!(v))
                })
                .collect();
            let attributes: Vec<&str> = [
                (r.digest, "digest"),
                (r.exposes, "exposes"),
                (r.public_read, "public_read"),
                (r.routine_for_admins, "routine_for_admins"),
                (r.provider_insight, "provider_insight"),
            ]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, name)| *name)
            .collect();
            // The severities it takes in circumstances: the catalogue's defaults, then its own.
            let mut levels = cat.levels.clone();
            levels.extend(r.levels.iter().map(|(k, v)| (*k, *v)));
            json!({
                "id": r.id, "family": r.family, "title": r.title, "severity": severity,
                "attributes": attributes, "resource_type": r.resource_type,
                "levels": levels,
                "enabled": !cfg.detect.disabled.contains(&r.id),
                "mitre": r.mitre, "tactic": r.tactic, "needs": r.needs,
                "thresholds": thresholds, "description": r.description, "next_steps": r.next_steps,
            })
        })
        .collect();
    let text = match args.format {
        RulesFormat::Json => serde_json::to_string_pretty(&rows)? + "\n",
        RulesFormat::Markdown => {
            let mut s = String::from("| id | severity | ATT&CK | thresholds | needs |\n| --- | --- | --- | --- | --- |\n");
            for r in &rows {
                let _ = writeln!(
                    s,
                    "| `{}` | {} | {} | {} | {} |",
                    r["id"].as_str().unwrap_or(""),
                    r["severity"].as_str().unwrap_or(""),
                    join(&r["mitre"]),
                    thresholds(&r["thresholds"]),
                    r["needs"].as_str().unwrap_or("")
                );
            }
            s
        }
        RulesFormat::Table => {
            let mut table = vec![vec![
                "id".to_string(),
                "severity".to_string(),
                "ATT&CK".to_string(),
                "thresholds".to_string(),
                "needs".to_string(),
            ]];
            for r in &rows {
                let mut sev = r["severity"].as_str().unwrap_or("").to_string();
                if r["enabled"] == json!(false) {
                    sev.push_str(" (off)");
                }
                table.push(vec![
                    r["id"].as_str().unwrap_or("").to_string(),
                    sev,
                    join(&r["mitre"]),
                    thresholds(&r["thresholds"]),
                    r["needs"].as_str().unwrap_or("").to_string(),
                ]);
            }
            let mut s = format!("{} rules\n", rows.len());
            crate::report::table::columns(&table, &mut s);
            s
        }
    };
    write_output(None, text.as_bytes())?;
    Ok(ExitCode::Ok)
}

fn join(v: &serde_json::Value) -> String {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

fn thresholds(v: &serde_json::Value) -> String {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}
