//! What every detector reads and where it writes: the run's context ([`Ctx`]: settings,
//! thresholds in force, interned names) and the [`Emitter`] that opens, extends and exempts
//! findings. Detectors use this module, never the engine that calls them.

use crate::catalogue::rule;
use hashbrown::HashMap;

use crate::catalogue::{Catalogue, Severity};
use crate::detect::access::{Access, Sym, Symbols};
use crate::detect::baseline::{Profile, NANOS_PER_DAY};
use crate::detect::config::DetectConfig;
use crate::detect::finding::FindingAcc;
use crate::event::PrincipalType;

type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Symbols the detectors compare against, interned once.
pub(crate) struct Names {
    /// Object-metadata reads that do not move data (HeadObject, GetBlobProperties…).
    pub metadata_reads: Vec<Sym>,
    /// Error codes that mean "not allowed".
    pub denied: Vec<Sym>,
}

/// Everything a detector reads but does not change.
pub(crate) struct Ctx<'a> {
    pub syms: &'a Symbols,
    pub cfg: &'a DetectConfig,
    pub names: Names,
    /// Time of the first event of the run (warm-up for "never seen before").
    pub data_start: i64,
    /// Thresholds in force: catalogue defaults with the configuration's overrides.
    thresholds: FastMap<(&'static str, &'static str), f64>,
    /// Rules whose findings are daily digests per principal (catalogue `digest`).
    digests: hashbrown::HashSet<&'static str, foldhash::fast::RandomState>,
    /// Rules of the discovery tactic.
    discovery: Vec<&'static str>,
    /// The per-hour thresholds of the volume rules, [kind][provider], and the dormancy
    /// threshold: read for every event, so looked up once.
    pub volume_per_hour: [[f64; 3]; 3],
    pub dormant_days: f64,
    /// The allow-listed networks, for a lookup per finding.
    allow_networks: crate::detect::rules::cidr_table::CidrTable,
}

impl Ctx<'_> {
    /// The data's first days (`novelty_min_days`), in nanoseconds: while they last there is
    /// no history to call anything new against.
    pub fn warm_up(&self) -> i64 {
        (self.cfg.novelty_min_days * NANOS_PER_DAY as f64) as i64
    }

    /// Whether `t` is within the principal's business hours.
    pub fn business(&self, p: &Profile, t: i64) -> bool {
        self.cfg.in_hours(p.hours_rule, t)
    }

    /// A threshold in force (`default` when neither catalogue nor configuration sets it).
    pub fn threshold(&self, rule: &'static str, key: &'static str, default: f64) -> f64 {
        self.thresholds
            .get(&(rule, key))
            .copied()
            .unwrap_or(default)
    }
}

impl<'a> Ctx<'a> {
    /// The context of a run: names interned once, thresholds in force.
    /// `volume_per_hour`: the volume rules' thresholds ([`crate::detect::volume::thresholds`]).
    pub fn new(syms: &'a Symbols, cfg: &'a DetectConfig, volume_per_hour: [[f64; 3]; 3]) -> Self {
        let metadata_reads = [
            "HeadObject",
            "GetObjectAttributes",
            "GetBlobProperties",
            "GetBlobMetadata",
            "GetFileProperties",
            "GetBlobTags",
        ]
        .iter()
        .map(|n| syms.intern(n))
        .collect();
        let denied = [
            "AccessDenied",
            "AccessDeniedException",
            "Client.UnauthorizedOperation",
            "UnauthorizedOperation",
            "VpceAccessDenied",
            "PERMISSION_DENIED",
            "AuthorizationPermissionMismatch",
            "AuthorizationFailure",
            "AuthenticationFailed",
            "InsufficientAccountPermissions",
            "Forbidden",
        ]
        .iter()
        .map(|n| syms.intern(n))
        .collect();
        Ctx {
            syms,
            cfg,
            names: Names {
                metadata_reads,
                denied,
            },
            data_start: i64::MAX,
            thresholds: thresholds_in_force(cfg),
            digests: Catalogue::get()
                .rules
                .iter()
                .filter(|r| r.digest)
                .map(|r| r.id.as_str())
                .collect(),
            discovery: Catalogue::get()
                .rules
                .iter()
                .filter(|r| r.tactic == "discovery")
                .map(|r| r.id.as_str())
                .collect(),
            volume_per_hour,
            dormant_days: cfg.threshold(rule::BASELINE_DORMANT_PRINCIPAL, "dormant_days", 30.0),
            allow_networks: crate::detect::rules::cidr_table::CidrTable::new(&cfg.allow.cidrs),
        }
    }
}

/// Catalogue thresholds with the configuration's overrides applied.
fn thresholds_in_force(cfg: &DetectConfig) -> FastMap<(&'static str, &'static str), f64> {
    let mut t = FastMap::default();
    for r in &Catalogue::get().rules {
        for (k, v) in &r.threshold {
            let v = cfg
                .thresholds
                .get(&(r.id.clone(), k.clone()))
                .copied()
                .unwrap_or(*v);
            t.insert((r.id.as_str(), k.as_str()), v);
        }
    }
    t
}

/// Where detectors put findings.
#[derive(Default)]
pub(crate) struct Emitter {
    pub findings: Vec<FindingAcc>,
    /// Allow-list verdicts per principal, agent and bucket symbol (patterns are matched once).
    allowed_principal: FastMap<Sym, bool>,
    allowed_agent: FastMap<Sym, bool>,
    allowed_bucket: FastMap<Sym, bool>,
    window_principal: FastMap<(usize, Sym), bool>,
    /// Open findings by (rule, principal, scope); the scope is the bucket for anonymous
    /// access (each public resource is its own story), else 0.
    pub(crate) open: FastMap<(&'static str, Sym, Sym), usize>,
}

impl Emitter {
    /// Opens the finding of `rule` for the event's principal (or extends the open one within
    /// the merge gap) and counts the event in. `fill` sets title details, severity and
    /// evidence, and runs only when the finding is new; `update` runs on every event (keep it
    /// cheap). Returns the finding's severity.
    pub fn emit(
        &mut self,
        ctx: &Ctx,
        rule: &'static str,
        a: &Access,
        title: impl FnOnce() -> String,
        fill: impl FnOnce(&mut FindingAcc),
    ) -> Severity {
        self.emit_with(ctx, rule, a, title, fill, |_| {})
    }

    pub fn emit_with(
        &mut self,
        ctx: &Ctx,
        rule: &'static str,
        a: &Access,
        title: impl FnOnce() -> String,
        fill: impl FnOnce(&mut FindingAcc),
        update: impl FnOnce(&mut FindingAcc),
    ) -> Severity {
        if let Some(i) = self.open_finding(ctx, rule, a) {
            let f = &mut self.findings[i];
            f.add(a);
            update(f);
            return f.severity;
        }
        if ctx.cfg.disabled.contains(rule) {
            return Severity::Info;
        }
        let sev = ctx
            .cfg
            .severity
            .get(rule)
            .copied()
            .unwrap_or_else(|| Catalogue::get().severity(rule));
        let mut f = FindingAcc::new(rule, sev, title(), a);
        f.add(a);
        fill(&mut f);
        update(&mut f);
        if let Some(&s) = ctx.cfg.severity.get(rule) {
            f.severity = s;
        }
        if let Some(why) = self.exemption(ctx, rule, a) {
            f.severity = Severity::Info;
            f.set("exempt", why);
        }
        f.score = f.score.max(f.severity.base_score());
        let sev = f.severity;
        self.findings.push(f);
        self.open
            .insert(Self::key(rule, a), self.findings.len() - 1);
        sev
    }

    /// Adds a finding built whole elsewhere (a digest over many principals), with the
    /// configuration's say over its rule: switched off, or re-levelled. It is not open: no
    /// later event extends it.
    pub fn push_built(&mut self, ctx: &Ctx, mut f: FindingAcc) {
        if ctx.cfg.disabled.contains(f.rule) {
            return;
        }
        if let Some(&s) = ctx.cfg.severity.get(f.rule) {
            f.severity = s;
        }
        f.score = f.score.max(f.severity.base_score());
        self.findings.push(f);
    }

    /// The open finding's key: (rule, principal, scope); the scope is the bucket for anonymous
    /// access, the error code for a failed call a rule matched (an attempt is a finding apart
    /// from the change that worked), else 0.
    pub(crate) fn key(rule: &'static str, a: &Access) -> (&'static str, Sym, Sym) {
        let scope = if a.principal_type == PrincipalType::Anonymous {
            a.bucket
        } else if a.error() && a.hit.as_ref().is_some_and(|h| h.rule == rule) {
            a.status
        } else {
            0
        };
        (rule, a.principal, scope)
    }

    /// Whether the principal's latest finding of a discovery rule was last seen at or after
    /// `since`: one lookup per discovery rule in the open findings, whatever their number.
    pub fn shows_discovery(&self, ctx: &Ctx, principal: Sym, since: i64) -> bool {
        ctx.discovery.iter().any(|&rule| {
            self.open
                .get(&(rule, principal, 0))
                .and_then(|&i| self.findings.get(i))
                .is_some_and(|f| f.last_seen >= since)
        })
    }

    /// Counts the event into the open finding of `rule` for its principal (and scope) if
    /// there is one within the merge gap; never opens one. Returns its severity.
    pub fn extend(
        &mut self,
        ctx: &Ctx,
        rule: &'static str,
        a: &Access,
        update: impl FnOnce(&mut FindingAcc),
    ) -> Option<Severity> {
        let i = self.open_finding(ctx, rule, a)?;
        let f = &mut self.findings[i];
        f.add(a);
        update(f);
        Some(f.severity)
    }

    /// The open finding of `rule` for the event's principal (and scope) that the event falls
    /// within the merge gap of.
    fn open_finding(&self, ctx: &Ctx, rule: &'static str, a: &Access) -> Option<usize> {
        let &i = self.open.get(&Self::key(rule, a))?;
        // Digests (novelty, time of day) are one finding per principal and day; the others
        // follow the behaviour while it lasts.
        let gap = if ctx.digests.contains(rule) {
            ctx.cfg
                .merge_gap
                .max(crate::detect::baseline::NANOS_PER_DAY)
        } else {
            ctx.cfg.merge_gap
        };
        (a.time - self.findings[i].last_seen <= gap).then_some(i)
    }
}

impl Emitter {
    /// Why a finding on this event is reported as info rather than an alert, if it is:
    /// an allow-listed principal, network, agent or bucket, or a change inside a declared
    /// change window.
    fn exemption(&mut self, ctx: &Ctx, rule: &str, a: &Access) -> Option<String> {
        let cfg = ctx.cfg;
        let allow = &cfg.allow;
        let syms = ctx.syms;
        let check = |cache: &mut FastMap<Sym, bool>, sym: Sym, patterns: &[String]| -> bool {
            if patterns.is_empty() || sym == 0 {
                return false;
            }
            *cache.entry(sym).or_insert_with(|| {
                let text = syms.text(sym);
                patterns.iter().any(|p| crate::text::glob(p, &text))
            })
        };
        if check(&mut self.allowed_principal, a.principal, &allow.principals) {
            return Some("allow-listed principal".into());
        }
        if let Some(ip) = a.source_ip {
            let listed = ctx
                .allow_networks
                .lookup(ip)
                .and_then(|n| allow.cidrs.get(n));
            if let Some(c) = listed {
                return Some(format!("allow-listed network {}/{}", c.addr, c.prefix));
            }
        }
        if check(&mut self.allowed_agent, a.user_agent, &allow.user_agents) {
            return Some("allow-listed user agent".into());
        }
        if check(&mut self.allowed_bucket, a.bucket, &allow.buckets) {
            return Some("allow-listed bucket".into());
        }
        for (i, w) in cfg.change_windows.iter().enumerate() {
            if !w.rules.is_empty() && !w.rules.iter().any(|r| r == rule) {
                continue;
            }
            let inside = match w.window {
                crate::detect::config::Window::Absolute { start, end } => {
                    a.time >= start && a.time <= end
                }
                crate::detect::config::Window::Weekly {
                    weekday,
                    from_min,
                    to_min,
                } => {
                    let local = cfg.tz.local(a.time);
                    let wd = (local.div_euclid(NANOS_PER_DAY) + 3).rem_euclid(7) as usize;
                    let min = (local.div_euclid(60_000_000_000)).rem_euclid(24 * 60) as u32;
                    wd == weekday && min >= from_min && min < to_min
                }
            };
            if !inside {
                continue;
            }
            let who = w.principals.is_empty()
                || *self
                    .window_principal
                    .entry((i, a.principal))
                    .or_insert_with(|| {
                        let text = syms.text(a.principal);
                        w.principals.iter().any(|p| crate::text::glob(p, &text))
                    });
            if who {
                return Some(format!("inside change window {}", i + 1));
            }
        }
        None
    }
}
