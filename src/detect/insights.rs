//! Account insights, in the manner of CloudTrail Insights: for each account (AWS account, GCP
//! project, Azure storage account) and API, the calls and errors of each hour against the
//! same API's history at that hour of the day. Catches what no single principal shows: a
//! rate or error surge spread across many principals or keys.
//!
//! Judged when an hour closes (the account's next event of that API in a later hour, or the
//! end of the run). Conservative on purpose: an hour must be above the seasonal band, above
//! twice the API's busiest hour in the window, and above a floor.

use crate::catalogue::rule;
use std::collections::VecDeque;

use crate::detect::access::{Access, Sym};
use crate::detect::baseline::{band_upper, median_mad, NANOS_PER_DAY};
use crate::detect::emit::{Ctx, Emitter};
use crate::text::thousands;
use crate::time::NANOS_PER_HOUR;

pub const RULE_IDS: &[&str] = &[rule::BASELINE_API_CALL_RATE, rule::BASELINE_API_ERROR_RATE];

type FastMap<K, V> = hashbrown::HashMap<K, V, foldhash::fast::RandomState>;

/// Principals remembered per open hour (the top contributors are named in the finding).
const MAX_CONTRIBUTORS: usize = 8;
/// Distinct APIs tracked per account, and series and accounts in all: a flood of invented
/// names or accounts cannot grow memory without bound.
const MAX_APIS_PER_ACCOUNT: usize = 2048;
const MAX_SERIES: usize = 200_000;
const MAX_ACCOUNTS: usize = 100_000;

/// One API of one account.
#[derive(Default, Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ApiSeries {
    /// Closed hours with calls: (hour since the epoch, calls, errors), oldest first.
    pub hours: VecDeque<(i64, u32, u32)>,
    pub cur_hour: i64,
    pub cur_calls: u32,
    pub cur_errors: u32,
    /// Who made the open hour's calls: (principal, calls, a stand-in event of theirs).
    #[serde(skip)]
    contributors: Vec<(Sym, u32, Option<Access>)>,
}

/// One account: the days it was active in the window, and how many APIs it has.
#[derive(Default)]
struct Account {
    days: VecDeque<i64>,
    apis: usize,
}

/// Every account's APIs, and the days each account was active.
#[derive(Default)]
pub struct Insights {
    series: FastMap<(Sym, Sym), ApiSeries>,
    accounts: FastMap<Sym, Account>,
}

impl Insights {
    /// Counts an event into its account's API series, judging the previous hour first when
    /// the event opens a new one. (Two hash lookups per event: this runs for every event.)
    pub(crate) fn observe(&mut self, a: &Access, ctx: &Ctx, out: &mut Emitter) {
        if a.account == 0
            || a.action == 0
            || a.hit.as_ref().is_some_and(|h| {
                crate::catalogue::Catalogue::get().is(h.rule, |r| r.provider_insight)
            })
        {
            return;
        }
        let hour = a.time.div_euclid(NANOS_PER_HOUR);
        let day = hour.div_euclid(24);
        if self.accounts.len() >= MAX_ACCOUNTS && !self.accounts.contains_key(&a.account) {
            return;
        }
        let account = self.accounts.entry(a.account).or_default();
        if account.days.back().is_none_or(|&d| d < day) {
            account.days.push_back(day);
            let oldest = day - ctx.cfg.history_days;
            while account.days.front().is_some_and(|&d| d < oldest) {
                account.days.pop_front();
            }
        }
        let key = (a.account, a.action);
        let s = match self.series.get_mut(&key) {
            Some(s) => s,
            None => {
                if account.apis >= MAX_APIS_PER_ACCOUNT || self.series.len() >= MAX_SERIES {
                    return;
                }
                account.apis += 1;
                self.series.entry(key).or_insert_with(|| ApiSeries {
                    cur_hour: hour,
                    ..Default::default()
                })
            }
        };
        if hour > s.cur_hour {
            judge(s, key, &account.days, ctx, out);
            s.close(ctx);
            s.cur_hour = hour;
        }
        s.cur_calls = s.cur_calls.saturating_add(1);
        if a.error() {
            s.cur_errors = s.cur_errors.saturating_add(1);
        }
        let full = s.contributors.len() >= MAX_CONTRIBUTORS;
        match s.contributors.iter_mut().find(|c| c.0 == a.principal) {
            Some(c) => c.1 += 1,
            None if !full => s.contributors.push((a.principal, 1, Some(stand_in(a)))),
            None => {}
        }
    }

    /// Judges every open hour (end of the run).
    pub(crate) fn finish(&mut self, ctx: &Ctx, out: &mut Emitter) {
        let mut keys: Vec<(Sym, Sym)> = self.series.keys().copied().collect();
        keys.sort_unstable();
        let empty = VecDeque::new();
        for key in keys {
            let days = self.accounts.get(&key.0).map_or(&empty, |a| &a.days);
            if let Some(s) = self.series.get_mut(&key) {
                judge(s, key, days, ctx, out);
                s.close(ctx);
            }
        }
    }

    /// The series and active days, for the state file.
    pub fn export(&self, syms: &crate::detect::access::Symbols) -> InsightsState {
        let mut series: Vec<_> = self
            .series
            .iter()
            .map(|((account, api), s)| (syms.text(*account), syms.text(*api), s.clone()))
            .collect();
        series.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        let mut active_days: Vec<_> = self
            .accounts
            .iter()
            .map(|(k, v)| (syms.text(*k), v.days.iter().copied().collect()))
            .collect();
        active_days.sort();
        InsightsState {
            series,
            active_days,
        }
    }

    /// Restores from the state file.
    pub fn restore(&mut self, account: Sym, api: Sym, s: ApiSeries) {
        self.accounts.entry(account).or_default().apis += 1;
        self.series.insert((account, api), s);
    }

    pub fn restore_days(&mut self, account: Sym, days: Vec<i64>) {
        self.accounts.entry(account).or_default().days = days.into();
    }
}

/// The principal's event, with what it did (the finding carries the calls' technique).
fn stand_in(a: &Access) -> Access {
    Access {
        action: a.action,
        class: a.class,
        user_agent: a.user_agent,
        ..a.identity()
    }
}

impl ApiSeries {
    /// Moves the open hour into the history and forgets what left the window.
    fn close(&mut self, ctx: &Ctx) {
        if self.cur_calls > 0 {
            self.hours
                .push_back((self.cur_hour, self.cur_calls, self.cur_errors));
        }
        self.cur_calls = 0;
        self.cur_errors = 0;
        self.contributors.clear();
        let oldest = self.cur_hour - ctx.cfg.window() / NANOS_PER_HOUR;
        while self.hours.front().is_some_and(|h| h.0 < oldest) {
            self.hours.pop_front();
        }
    }

    /// For each active day of the account in the window before `hour`, the API's largest
    /// figure at the same hour of the day or the hours either side (0 on days without).
    fn same_hour(&self, hour: i64, days: &VecDeque<i64>, f: impl Fn(u32, u32) -> f64) -> Vec<f64> {
        let today = hour.div_euclid(24);
        crate::detect::baseline::same_hour_per_day(
            self.hours
                .iter()
                .map(|&(h, calls, errors)| (h, f(calls, errors))),
            hour,
            days.iter().filter(|&&d| d < today).count(),
        )
    }
}

fn judge(s: &mut ApiSeries, key: (Sym, Sym), days: &VecDeque<i64>, ctx: &Ctx, out: &mut Emitter) {
    if s.cur_calls == 0 {
        return;
    }
    let hour = s.cur_hour;
    let start = hour * NANOS_PER_HOUR;
    // A baseline needs a week of the account's history.
    let history_days = days.iter().filter(|&&d| d < hour.div_euclid(24)).count();
    if history_days < ctx.cfg.novelty_min_days.ceil() as usize
        || days
            .front()
            .is_none_or(|&d| (start - d * NANOS_PER_DAY) < ctx.warm_up())
    {
        return;
    }
    // Most calls first; ties by name (symbol numbers depend on which worker interned first,
    // so they would make the report differ from run to run).
    s.contributors.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then_with(|| ctx.syms.text(a.0).cmp(&ctx.syms.text(b.0)))
    });
    let Some(top) = s.contributors.first().and_then(|c| c.2.clone()) else {
        return;
    };
    // One principal behind most of the hour is its own detectors' business (they judge it
    // against its own baseline): the account view adds context, low. Spread over many
    // principals or keys is what only the account view sees.
    let top_share = s.contributors.first().map_or(0.0, |c| c.1 as f64) / s.cur_calls.max(1) as f64;
    let concentrated = top_share >= 0.8;
    let named: Vec<String> = s
        .contributors
        .iter()
        .take(3)
        .map(|(p, n, _)| format!("{} ({n})", crate::text::bounded(&ctx.syms.text(*p), 120)))
        .collect();
    let api = ctx.syms.text(key.1);
    let account = crate::text::bounded(&ctx.syms.text(key.0), 80);
    let busiest =
        |f: &dyn Fn(u32, u32) -> f64| s.hours.iter().map(|&(_, c, e)| f(c, e)).fold(0.0, f64::max);

    let calls = s.cur_calls as f64;
    // The evidence both findings share (the account itself comes with the stand-in event).
    let common = |f: &mut crate::detect::finding::FindingAcc| {
        let rule = f.rule;
        f.set("api", api.clone());
        f.set("calls", calls);
        f.set("top_principals", named.clone());
        f.set("hour", crate::time::rfc3339(start));
        f.set("top_principal_share", (top_share * 100.0).round() / 100.0);
        if concentrated {
            f.severity = crate::catalogue::Catalogue::get().level(
                rule,
                crate::catalogue::Case::Concentrated,
                f.severity,
            );
        }
    };
    let min_calls = ctx.threshold(rule::BASELINE_API_CALL_RATE, "min_calls", 200.0);
    if calls > min_calls {
        let same = s.same_hour(hour, days, |c, _| c as f64);
        let upper = band_upper(&same)
            .max(2.0 * busiest(&|c, _| c as f64))
            .max(min_calls);
        if calls > upper {
            let (med, _) = median_mad(&same);
            let techniques = crate::detect::techniques::activity_techniques(&top);
            out.emit_with(
                ctx,
                rule::BASELINE_API_CALL_RATE,
                &top,
                || {
                    format!(
                        "{} {api} calls in one hour in account {account}; usual at this hour: {}",
                        thousands(calls as u64),
                        thousands(med.round() as u64)
                    )
                },
                |f| {
                    common(f);
                    f.set("usual_at_this_hour", med.round());
                    f.set("band_upper", upper.round());
                    f.peak = calls;
                },
                // What the calls did (deletions are T1485, listings T1619).
                |f| f.extra_mitre.extend(techniques.iter().flatten().copied()),
            );
        }
    }
    let errors = s.cur_errors as f64;
    let min_errors = ctx.threshold(rule::BASELINE_API_ERROR_RATE, "min_errors", 50.0);
    if errors > min_errors && errors / calls >= 0.5 {
        let (all_calls, all_errors) = s.hours.iter().fold((0u64, 0u64), |(c, e), &(_, hc, he)| {
            (c + hc as u64, e + he as u64)
        });
        let usual_rate = all_errors as f64 / (all_calls as f64).max(1.0);
        let same = s.same_hour(hour, days, |_, e| e as f64);
        let upper = band_upper(&same)
            .max(2.0 * busiest(&|_, e| e as f64))
            .max(min_errors);
        if errors > upper && errors / calls > 3.0 * usual_rate {
            out.emit(
                ctx,
                rule::BASELINE_API_ERROR_RATE,
                &top,
                || {
                    format!(
                        "{} of {} {api} calls failed in one hour in account {account} ({:.0} %); usual error rate {:.1} %",
                        thousands(errors as u64),
                        thousands(calls as u64),
                        100.0 * errors / calls,
                        100.0 * usual_rate
                    )
                },
                |f| {
                    common(f);
                    f.set("errors", errors);
                    f.set("usual_error_rate", (usual_rate * 1000.0).round() / 1000.0);
                    f.peak = errors;
                },
            );
        }
    }
}

/// The account insights' series with their symbols written out.
#[derive(serde::Serialize, serde::Deserialize, Default)]
pub struct InsightsState {
    pub series: Vec<(String, String, ApiSeries)>,
    pub active_days: Vec<(String, Vec<i64>)>,
}

impl crate::detect::detector::Detector for Insights {
    fn name(&self) -> &'static str {
        "insights"
    }

    fn rule_ids(&self) -> &'static [&'static str] {
        RULE_IDS
    }

    fn stages(&self) -> crate::detect::detector::Stages {
        use crate::detect::detector::Stages;
        Stages::REQUEST
    }

    fn request(&mut self, a: &Access, ctx: &Ctx, out: &mut Emitter) {
        self.observe(a, ctx, out);
    }

    fn finish(&mut self, _end: Option<i64>, out: &mut Emitter, ctx: &Ctx) {
        Insights::finish(self, ctx, out);
    }

    fn snapshot(
        &self,
        _end: Option<i64>,
        syms: &crate::detect::access::Symbols,
    ) -> Option<serde_json::Value> {
        serde_json::to_value(self.export(syms)).ok()
    }

    fn restore(
        &mut self,
        state: serde_json::Value,
        syms: &crate::detect::access::Symbols,
    ) -> anyhow::Result<()> {
        let st: InsightsState = serde_json::from_value(state)?;
        for (account, api, s) in st.series {
            Insights::restore(self, syms.intern(&account), syms.intern(&api), s);
        }
        for (account, days) in st.active_days {
            self.restore_days(syms.intern(&account), days);
        }
        Ok(())
    }
}
