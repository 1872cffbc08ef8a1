//! `trailhound.toml`: business hours, baselines, per-rule thresholds and severities,
//! allow-lists, change windows, known accounts, IP lists and identities.
//!
//! Every setting has a default; an unknown key or a bad value is an error that names it.
//!
//! ```toml
//! [business_hours]
//! start = 8
//! end = 18
//! timezone = "Europe/Berlin"     # an IANA name (daylight saving followed) or "+01:00"
//! workdays = ["mon", "tue", "wed", "thu", "fri"]
//!
//! [[business_hours.principal]]
//! pattern = "*@acme.co.jp"
//! timezone = "Asia/Tokyo"
//!
//! [baseline]
//! history_days = 30
//! novelty_min_days = 7
//!
//! [rules."aws.s3.bulk_download"]
//! severity = "high"
//! per_hour = 250
//!
//! [allow]
//! principals = ["arn:aws:iam::*:role/backup-*"]
//! cidrs = ["10.0.0.0/8"]
//!
//! [[change_window]]
//! principals = ["arn:aws:iam::111122223333:user/pat-admin"]
//! weekday = "tue"
//! from = "14:00"
//! to = "16:00"
//!
//! [known]
//! accounts = ["111122223333"]
//!
//! [[ip_list]]
//! name = "tor-exits"
//! cidrs = ["185.220.101.0/24"]
//!
//! [identities]
//! alice = ["arn:aws:iam::111122223333:user/alice", "alice@acme.example"]
//!
//! [geoip]
//! databases = ["GeoLite2-City.mmdb", "GeoLite2-ASN.mmdb"]
//!
//! [limits]
//! memory_mib = 2048   # the detection state's budget: full profiles beyond it are evicted
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::catalogue::{Catalogue, Severity};
use crate::correlate::CorrelateConfig;
use crate::detect::config::{ChangeWindowRule, DetectConfig, HoursRule, Window};
use crate::detect::rules::{Cidr, RulesConfig};
use crate::pipeline::ScanConfig;

#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    business_hours: Option<BusinessHours>,
    #[serde(default)]
    baseline: Option<Baseline>,
    #[serde(default)]
    rules: BTreeMap<String, RuleOverride>,
    #[serde(default)]
    allow: Option<Allow>,
    #[serde(default)]
    change_window: Vec<ChangeWindow>,
    #[serde(default)]
    known: Option<Known>,
    #[serde(default)]
    ip_list: Vec<IpList>,
    #[serde(default)]
    identities: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    geoip: Option<GeoIp>,
    #[serde(default)]
    limits: Option<LimitsSection>,
    /// Ransom-note file names beyond the built-in list (`rules/ransom_notes.txt` syntax).
    #[serde(default)]
    ransom_note_names: Vec<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct LimitsSection {
    /// Memory budget of the detection state, MiB.
    memory_mib: Option<u64>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct GeoIp {
    /// MaxMind-format files (City or Country, ASN); relative names resolve against the
    /// configuration's directory.
    #[serde(default)]
    databases: Vec<String>,
}

#[derive(Deserialize, Default, Debug, Clone)]
#[serde(deny_unknown_fields)]
struct BusinessHours {
    start: Option<u32>,
    end: Option<u32>,
    timezone: Option<String>,
    workdays: Option<Vec<String>>,
    #[serde(default)]
    principal: Vec<PrincipalHours>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
struct PrincipalHours {
    pattern: String,
    start: Option<u32>,
    end: Option<u32>,
    timezone: Option<String>,
    workdays: Option<Vec<String>>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct Baseline {
    history_days: Option<i64>,
    novelty_min_days: Option<f64>,
}

/// (No `deny_unknown_fields`: serde cannot combine it with `flatten`; the flattened keys are
/// checked against the rule's thresholds instead.)
#[derive(Deserialize, Default, Debug)]
struct RuleOverride {
    severity: Option<String>,
    enabled: Option<bool>,
    #[serde(flatten)]
    thresholds: BTreeMap<String, toml::Value>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct Allow {
    #[serde(default)]
    principals: Vec<String>,
    #[serde(default)]
    cidrs: Vec<String>,
    #[serde(default)]
    user_agents: Vec<String>,
    #[serde(default)]
    buckets: Vec<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct ChangeWindow {
    #[serde(default)]
    principals: Vec<String>,
    #[serde(default)]
    rules: Vec<String>,
    /// Absolute window, RFC 3339.
    start: Option<String>,
    end: Option<String>,
    /// Weekly window: day and times (in the business-hours time zone).
    weekday: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct Known {
    #[serde(default)]
    accounts: Vec<String>,
    #[serde(default)]
    domains: Vec<String>,
    #[serde(default)]
    log_buckets: Vec<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct IpList {
    name: String,
    #[serde(default)]
    cidrs: Vec<String>,
    /// A file with one address or network per line (`#` comments).
    file: Option<String>,
}

fn weekday(name: &str, key: &str) -> Result<usize> {
    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let l = name.to_ascii_lowercase();
    days.iter()
        .position(|d| l.starts_with(d))
        .with_context(|| format!("{key}: {name:?} is not a weekday (mon … sun)"))
}

fn workdays(list: &[String], key: &str) -> Result<[bool; 7]> {
    let mut w = [false; 7];
    for d in list {
        w[weekday(d, key)?] = true;
    }
    Ok(w)
}

/// A business-hours time zone: an IANA name (`America/New_York`, `Europe/Berlin`: daylight
/// saving time followed, zone data compiled in) or a fixed offset (`UTC`, `+09:00`, `-0500`).
pub fn zone(s: &str, key: &str) -> Result<crate::detect::config::Zone> {
    use crate::detect::config::Zone;
    let t = s.trim();
    match tz_offset(t, key) {
        Ok(minutes) => return Ok(Zone::Fixed(minutes)),
        // A malformed offset keeps its own message.
        Err(e) if t.starts_with(['+', '-']) => return Err(e),
        Err(_) => {}
    }
    jiff::tz::db().get(t).map(Zone::Named).map_err(|_| {
        anyhow::anyhow!(
            "{key}: {s:?} is not a time zone: an IANA name (America/New_York, Europe/Berlin) or an offset (UTC, +09:00, -05:00)"
        )
    })
}

/// `UTC`, `Z`, `+09:00`, `-05:00`, `+0530` → minutes east of UTC.
pub fn tz_offset(s: &str, key: &str) -> Result<i32> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("utc") || t == "Z" || t.eq_ignore_ascii_case("gmt") {
        return Ok(0);
    }
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (1, crate::text::from(t, 1)),
        Some(b'-') => (-1, crate::text::from(t, 1)),
        _ => bail!("{key}: {s:?} is not a time zone offset (UTC, +09:00, -05:00)"),
    };
    let digits: String = rest.chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.len() != 4 {
        bail!("{key}: {s:?} is not a time zone offset (UTC, +09:00, -05:00)");
    }
    let h: i32 = crate::text::slice(&digits, 0, 2).parse()?;
    let m: i32 = crate::text::from(&digits, 2).parse()?;
    if h > 14 || m > 59 {
        bail!("{key}: {s:?} is out of range");
    }
    Ok(sign * (h * 60 + m))
}

fn minutes(s: &str, key: &str) -> Result<u32> {
    let (h, m) = s
        .split_once(':')
        .with_context(|| format!("{key}: {s:?} is not HH:MM"))?;
    let (h, m): (u32, u32) = (
        h.parse()
            .with_context(|| format!("{key}: {s:?} is not HH:MM"))?,
        m.parse()
            .with_context(|| format!("{key}: {s:?} is not HH:MM"))?,
    );
    if h > 24 || m > 59 || h * 60 + m > 24 * 60 {
        bail!("{key}: {s:?} is not a time of day");
    }
    Ok(h * 60 + m)
}

fn hour(v: Option<u32>, default: u32, key: &str) -> Result<u32> {
    let h = v.unwrap_or(default);
    if h > 24 {
        bail!("{key}: {h} is not an hour (0-24)");
    }
    Ok(h)
}

/// Reads a configuration file.
pub fn load(path: &Path) -> Result<ScanConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read configuration {}", path.display()))?;
    parse(&text, path.parent().unwrap_or(Path::new(".")))
        .with_context(|| format!("configuration {}", path.display()))
}

/// The configuration in force: the file given (`--config`), else `./trailhound.toml` when
/// present, else the defaults; with `--geoip` databases in place of the file's when given.
pub fn load_or_default(path: Option<&Path>, geoip: &[std::path::PathBuf]) -> Result<ScanConfig> {
    let mut config = match path {
        Some(p) => load(p)?,
        None if Path::new("trailhound.toml").is_file() => load(Path::new("trailhound.toml"))?,
        None => ScanConfig::default(),
    };
    if !geoip.is_empty() {
        config.detect.geoip = Some(crate::geo::GeoDb::open(geoip).context("--geoip")?);
    }
    Ok(config)
}

/// Parses configuration text (`base` resolves relative file names).
pub fn parse(text: &str, base: &Path) -> Result<ScanConfig> {
    let f: File = toml::from_str(text).map_err(|e| {
        anyhow::anyhow!("{}", e.message().trim()).context(describe_toml_error(&e, text))
    })?;
    let mut detect = DetectConfig::default();
    let mut rules = RulesConfig::default();
    let mut correlate = CorrelateConfig::default();
    let cat = Catalogue::get();
    if let Some(bh) = &f.business_hours {
        detect.business_start_hour = hour(bh.start, 8, "business_hours.start")?;
        detect.business_end_hour = hour(bh.end, 18, "business_hours.end")?;
        if let Some(tz) = &bh.timezone {
            detect.tz = zone(tz, "business_hours.timezone")?;
        }
        if let Some(w) = &bh.workdays {
            detect.workdays = workdays(w, "business_hours.workdays")?;
        }
        for (i, p) in bh.principal.iter().enumerate() {
            let key = format!("business_hours.principal[{i}]");
            detect.hours_rules.push(HoursRule {
                pattern: p.pattern.clone(),
                start_hour: hour(p.start.or(bh.start), 8, &format!("{key}.start"))?,
                end_hour: hour(p.end.or(bh.end), 18, &format!("{key}.end"))?,
                tz: match &p.timezone {
                    Some(tz) => zone(tz, &format!("{key}.timezone"))?,
                    None => detect.tz.clone(),
                },
                workdays: match &p.workdays {
                    Some(w) => workdays(w, &format!("{key}.workdays"))?,
                    None => detect.workdays,
                },
            });
        }
    }
    if let Some(b) = &f.baseline {
        if let Some(d) = b.history_days {
            if !(1..=366).contains(&d) {
                bail!("baseline.history_days: {d} is out of range (1-366)");
            }
            detect.history_days = d;
        }
        if let Some(d) = b.novelty_min_days {
            if !(0.0..=90.0).contains(&d) {
                bail!("baseline.novelty_min_days: {d} is out of range (0-90)");
            }
            detect.novelty_min_days = d;
        }
    }
    if let Some(l) = &f.limits {
        if let Some(mib) = l.memory_mib {
            if !(64..=1 << 20).contains(&mib) {
                bail!("limits.memory_mib: {mib} is out of range (64-1048576)");
            }
            detect.limits = crate::detect::cardinality::Limits::from_budget(mib);
        }
    }
    for (id, o) in &f.rules {
        let meta = cat
            .rule(id)
            .with_context(|| format!("rules.{id:?}: no such rule (see `trailhound rules`)"))?;
        if let Some(s) = &o.severity {
            let sev = Severity::parse(s).with_context(|| {
                format!("rules.{id:?}.severity: {s:?} is not info, low, medium, high or critical")
            })?;
            detect.severity.insert(id.clone(), sev);
        }
        if o.enabled == Some(false) {
            detect.disabled.insert(id.clone());
        }
        for (k, v) in &o.thresholds {
            if !meta.threshold.contains_key(k) {
                let known: Vec<&String> = meta.threshold.keys().collect();
                bail!(
                    "rules.{id:?}.{k}: unknown setting (this rule takes: severity, enabled{})",
                    known.iter().map(|k| format!(", {k}")).collect::<String>()
                );
            }
            let n = v
                .as_float()
                .or_else(|| v.as_integer().map(|i| i as f64))
                .with_context(|| format!("rules.{id:?}.{k}: {v:?} is not a number"))?;
            if n < 0.0 {
                bail!("rules.{id:?}.{k}: {n} is negative");
            }
            detect.thresholds.insert((id.clone(), k.clone()), n);
        }
    }
    if let Some(a) = &f.allow {
        detect.allow.principals = a.principals.clone();
        detect.allow.user_agents = a.user_agents.clone();
        detect.allow.buckets = a.buckets.clone();
        for c in &a.cidrs {
            detect.allow.cidrs.push(
                Cidr::parse(c)
                    .with_context(|| format!("allow.cidrs: {c:?} is not an address or network"))?,
            );
        }
    }
    for (i, w) in f.change_window.iter().enumerate() {
        let key = format!("change_window[{i}]");
        let window = match (&w.start, &w.end, &w.weekday, &w.from, &w.to) {
            (Some(s), Some(e), None, None, None) => {
                let start = crate::time::parse_rfc3339(s.as_bytes())
                    .with_context(|| format!("{key}.start: {s:?} is not an RFC 3339 time"))?;
                let end = crate::time::parse_rfc3339(e.as_bytes())
                    .with_context(|| format!("{key}.end: {e:?} is not an RFC 3339 time"))?;
                if end <= start {
                    bail!("{key}: end is not after start");
                }
                Window::Absolute { start, end }
            }
            (None, None, Some(d), Some(from), Some(to)) => Window::Weekly {
                weekday: weekday(d, &format!("{key}.weekday"))?,
                from_min: minutes(from, &format!("{key}.from"))?,
                to_min: minutes(to, &format!("{key}.to"))?,
            },
            _ => bail!(
                "{key}: give either start and end (RFC 3339), or weekday, from and to (HH:MM)"
            ),
        };
        for r in &w.rules {
            if cat.rule(r).is_none() {
                bail!("{key}.rules: {r:?} is not a rule id");
            }
        }
        detect.change_windows.push(ChangeWindowRule {
            principals: w.principals.clone(),
            rules: w.rules.clone(),
            window,
        });
    }
    for n in &f.ransom_note_names {
        let bare = n.trim().trim_start_matches(['=', '~']);
        if bare.is_empty() || bare.len() > 200 {
            bail!("ransom_note_names: {n:?} is empty or longer than 200 bytes");
        }
    }
    rules.ransom_note_names = f.ransom_note_names.clone();
    if let Some(k) = &f.known {
        for a in &k.accounts {
            if a.len() != 12 || !a.bytes().all(|c| c.is_ascii_digit()) {
                bail!("known.accounts: {a:?} is not a 12-digit AWS account id");
            }
        }
        rules.known_accounts = k.accounts.clone();
        rules.known_domains = k.domains.clone();
        rules.known_log_buckets = k.log_buckets.clone();
    }
    for (i, l) in f.ip_list.iter().enumerate() {
        let mut entries: Vec<String> = l.cidrs.clone();
        if let Some(file) = &l.file {
            let p = base.join(file);
            let text = std::fs::read_to_string(&p)
                .with_context(|| format!("ip_list[{i}].file: cannot read {}", p.display()))?;
            entries.extend(
                text.lines()
                    .map(|x| x.split('#').next().unwrap_or("").trim().to_string())
                    .filter(|x| !x.is_empty()),
            );
        }
        for e in entries {
            let c = Cidr::parse(&e).with_context(|| {
                format!(
                    "ip_list[{i}] ({}): {e:?} is not an address or network",
                    l.name
                )
            })?;
            rules.ip_lists.push((l.name.clone(), c));
        }
    }
    for (person, ids) in &f.identities {
        for id in ids {
            correlate.identities.insert(id.clone(), person.clone());
            // Emails match case-insensitively (correlation looks them up lower-cased).
            if id.contains('@') && !id.starts_with("arn:") {
                correlate
                    .identities
                    .insert(id.to_ascii_lowercase(), person.clone());
            }
        }
    }
    if let Some(g) = &f.geoip {
        let paths: Vec<std::path::PathBuf> = g.databases.iter().map(|d| base.join(d)).collect();
        if !paths.is_empty() {
            detect.geoip = Some(crate::geo::GeoDb::open(&paths).context("geoip.databases")?);
        }
    }
    Ok(ScanConfig {
        rules,
        detect,
        correlate,
    })
}

fn describe_toml_error(e: &toml::de::Error, text: &str) -> String {
    match e.span() {
        Some(span) => {
            let line = crate::text::prefix(text, span.start).matches('\n').count() + 1;
            format!("invalid setting at line {line}")
        }
        None => "invalid configuration".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A team's hours in a named zone follow daylight saving time: 08:00 in New York is
    /// 13:00 UTC in January and 12:00 UTC in March after the change (2026-03-08), where a
    /// fixed offset drifts by an hour.
    #[test]
    fn named_time_zones_follow_daylight_saving() {
        let cfg = parse(
            "[business_hours]\nstart = 8\nend = 18\ntimezone = \"America/New_York\"\n[[business_hours.principal]]\npattern = \"*tokyo*\"\ntimezone = \"Asia/Tokyo\"\n",
            Path::new("."),
        )
        .unwrap();
        let t = |s: &str| crate::time::parse_rfc3339(s.as_bytes()).unwrap();
        let d = &cfg.detect;
        // Monday 2026-01-12: EST (UTC-5).
        assert!(!d.in_business_hours(t("2026-01-12T12:30:00Z")), "07:30 EST");
        assert!(d.in_business_hours(t("2026-01-12T13:00:00Z")), "08:00 EST");
        // Monday 2026-03-09: EDT (UTC-4).
        assert!(d.in_business_hours(t("2026-03-09T12:30:00Z")), "08:30 EDT");
        assert!(!d.in_business_hours(t("2026-03-09T22:00:00Z")), "18:00 EDT");
        assert!(d.in_business_hours(t("2026-01-12T22:30:00Z")), "17:30 EST");
        // Tokyo has no daylight saving: 08:00 JST is 23:00 UTC the day before (a Sunday).
        assert!(
            d.in_hours(Some(0), t("2026-03-08T23:00:00Z")),
            "Monday 08:00 JST"
        );
        assert!(!d.in_hours(Some(0), t("2026-03-09T09:00:00Z")), "18:00 JST");
    }

    #[test]
    fn full_example_parses() {
        let cfg = parse(
            r#"
[business_hours]
start = 7
end = 19
timezone = "+01:00"
workdays = ["mon", "tue", "wed", "thu", "fri", "sat"]
[[business_hours.principal]]
pattern = "*@acme.co.jp"
timezone = "+09:00"
[baseline]
history_days = 45
[rules."aws.s3.bulk_download"]
severity = "high"
per_hour = 250
[rules."baseline.new_user_agent"]
enabled = false
[allow]
principals = ["arn:aws:iam::*:role/backup-*"]
cidrs = ["10.0.0.0/8"]
[[change_window]]
principals = ["arn:aws:iam::111122223333:user/pat-admin"]
weekday = "tue"
from = "14:00"
to = "16:00"
[[change_window]]
start = "2026-01-20T14:00:00Z"
end = "2026-01-20T15:00:00Z"
[known]
accounts = ["111122223333"]
[[ip_list]]
name = "tor"
cidrs = ["185.220.101.0/24"]
[identities]
alice = ["arn:aws:iam::1:user/alice", "alice@acme.example"]
"#,
            Path::new("."),
        )
        .unwrap();
        assert_eq!(cfg.detect.business_start_hour, 7);
        assert_eq!(cfg.detect.tz, crate::detect::config::Zone::Fixed(60));
        assert!(cfg.detect.workdays[5] && !cfg.detect.workdays[6]);
        assert_eq!(
            cfg.detect.hours_rules[0].tz,
            crate::detect::config::Zone::Fixed(540)
        );
        assert_eq!(
            cfg.detect.hours_rules[0].start_hour, 7,
            "inherits the global hours"
        );
        assert_eq!(cfg.detect.history_days, 45);
        assert_eq!(cfg.detect.severity["aws.s3.bulk_download"], Severity::High);
        assert_eq!(
            cfg.detect.thresholds[&("aws.s3.bulk_download".into(), "per_hour".into())],
            250.0
        );
        assert!(cfg.detect.disabled.contains("baseline.new_user_agent"));
        assert_eq!(cfg.detect.change_windows.len(), 2);
        assert_eq!(cfg.rules.known_accounts, ["111122223333"]);
        assert_eq!(cfg.rules.ip_lists.len(), 1);
        assert_eq!(cfg.correlate.identities["alice@acme.example"], "alice");
    }

    #[test]
    fn errors_name_the_setting() {
        let err = |t: &str| format!("{:#}", parse(t, Path::new(".")).unwrap_err());
        assert!(err("[business_hours]\nstrat = 8\n").contains("strat"));
        assert!(err("[rules.\"aws.s3.nope\"]\nseverity = \"high\"\n").contains("aws.s3.nope"));
        assert!(
            err("[rules.\"aws.s3.bulk_download\"]\nseverity = \"huge\"\n").contains("severity")
        );
        assert!(err("[rules.\"aws.s3.bulk_download\"]\nper_day = 5\n").contains("per_day"));
        assert!(err("[business_hours]\ntimezone = \"Europe/Nowhere\"\n").contains("IANA name"));
        assert!(err("[business_hours]\ntimezone = \"+25:00\"\n").contains("out of range"));
        assert!(err("[known]\naccounts = [\"12\"]\n").contains("known.accounts"));
        assert!(err("[[change_window]]\nweekday = \"tue\"\n").contains("change_window[0]"));
        assert!(err("[allow]\ncidrs = [\"10.0.0.0/40\"]\n").contains("allow.cidrs"));
        assert!(err("nonsense = 1\n").contains("nonsense"));
        assert!(err("[geoip]\ncity = \"x.mmdb\"\n").contains("city"));
        let e = err("[geoip]\ndatabases = [\"no-such.mmdb\"]\n");
        assert!(
            e.contains("geoip.databases") && e.contains("no-such.mmdb"),
            "{e}"
        );
    }

    #[test]
    fn geoip_databases_resolve_against_the_configuration() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
        let cfg = parse(
            "[geoip]\ndatabases = [\"geoip/GeoLite2-Country-Test.mmdb\"]\n",
            &dir,
        )
        .unwrap();
        let db = cfg.detect.geoip.expect("opened");
        let mut org = None;
        let place = db.lookup("89.160.20.120".parse().unwrap(), &mut org);
        assert_eq!(place.country_code(), Some("SE"));
        // A Country database has no locations: no impossible travel from it.
        assert_eq!(place.location, None);
    }
}
