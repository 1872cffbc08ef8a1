//! The main job, end to end: ingest (parallel) → compact events and single-event rules (on the
//! workers) → time-ordered merge → stateful detectors (one thread) → correlation.

use std::sync::Mutex;

use crossbeam_channel::{bounded, Receiver, Sender};

use crate::correlate::{self, CorrelateConfig, Incident, PrincipalRisk};
use crate::detect::access::{compact_batch, Access, SymbolCache, Symbols};
use crate::detect::engine::{DetectConfig, Engine};
use crate::detect::finding::Finding;
use crate::detect::merge::Merger;
use crate::detect::rules::{RuleSet, RulesConfig};
use crate::event::Batch;
use crate::ingest::stats::EventStats;
use crate::ingest::{self, BatchSink, IngestOptions, IngestReport, InputFile};
use crate::time::NANOS_PER_HOUR;

/// How late an event may arrive relative to its file's delivery time and still be judged in
/// order (CloudTrail: ~15 minutes; S3 access logs are best effort).
pub const REORDER_SLACK: i64 = NANOS_PER_HOUR;

/// Everything a scan produces.
pub struct ScanOutput {
    pub findings: Vec<Finding>,
    pub incidents: Vec<Incident>,
    pub risks: Vec<PrincipalRisk>,
    pub stats: EventStats,
    pub ingest: IngestReport,
    /// File names by index (the order files were read in).
    pub files: Vec<InputFile>,
    pub late_events: u64,
    /// S3 requests reported by both CloudTrail and the server access log (judged once).
    pub duplicate_requests: u64,
    pub max_buffered: usize,
    /// What the detection state held against its memory budget.
    pub memory: crate::detect::engine::StateFigures,
    /// The habits (hour-of-week activity, last week's hourly requests against the band) of
    /// the principals in incidents: what the report sets an incident against.
    pub habits: std::collections::BTreeMap<String, crate::detect::baseline::Habit>,
    /// Country and AS of the addresses behind findings of medium or above (with a GeoIP
    /// database).
    pub places: std::collections::BTreeMap<String, crate::geo::AddressPlace>,
}

/// Settings of a scan.
#[derive(Default, Debug, Clone)]
pub struct ScanConfig {
    pub rules: RulesConfig,
    pub detect: DetectConfig,
    pub correlate: CorrelateConfig,
}

enum Msg {
    Start(u32),
    Events(Vec<Access>),
    Done(u32),
    /// A record whose reading or conversion panicked (contained; see [`crate::contain`]).
    Fault(crate::contain::Fault),
}

/// Sees every batch on the ingest workers before it is compacted, with the full event text
/// (`investigate` gathers one principal's detail this way). Shared by all workers.
pub trait BatchObserver: Sync {
    fn batch(&self, batch: &Batch);
}

struct DetectSink<'a> {
    syms: SymbolCache<'a>,
    /// None for a plain scan: the hot path then costs one branch per batch, none per event.
    observer: Option<&'a dyn BatchObserver>,
    rules: &'a RuleSet,
    tx: Sender<Msg>,
    /// Emptied event vectors coming back from the detection thread, for reuse.
    recycle: Receiver<Vec<Access>>,
    stats: EventStats,
}

impl BatchSink for DetectSink<'_> {
    fn batch(&mut self, batch: Batch) {
        self.stats.add_batch(&batch);
        if let Some(o) = self.observer {
            o.batch(&batch);
        }
        let mut out = self.recycle.try_recv().unwrap_or_default();
        out.clear();
        let tx = &self.tx;
        compact_batch(&batch, &mut self.syms, self.rules, &mut out, &mut |f| {
            let _ = tx.send(Msg::Fault(f));
        });
        drop(batch);
        let _ = self.tx.send(Msg::Events(out));
    }

    fn fault(&mut self, fault: crate::contain::Fault) {
        let _ = self.tx.send(Msg::Fault(fault));
    }

    fn file_started(&mut self, file: u32) {
        let _ = self.tx.send(Msg::Start(file));
    }

    fn file_done(&mut self, file: u32) {
        let _ = self.tx.send(Msg::Done(file));
    }
}

/// This thread's CPU time so far (Linux; for `TRAILHOUND_TIMING` only).
fn thread_cpu() -> String {
    let Ok(stat) = std::fs::read_to_string("/proc/thread-self/stat") else {
        return "unknown".into();
    };
    // Fields after the command name (which may hold spaces): utime and stime are the 12th
    // and 13th, in clock ticks (100 per second on Linux).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|x| x.parse().ok())
        .collect();
    match f[..] {
        [u, s] => format!("{:.2}s", (u + s) as f64 / 100.0),
        _ => "unknown".into(),
    }
}

/// Start times of files: the first events' time (a partial decode of each file, in
/// parallel), else the delivery time in the file's name, else unknown (`i64::MIN`).
pub fn start_times(files: &[InputFile], threads: usize) -> Vec<i64> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let out = Mutex::new(vec![i64::MIN; files.len()]);
    std::thread::scope(|s| {
        for _ in 0..threads.clamp(1, files.len().max(1)) {
            s.spawn(|| {
                let mut mine = Vec::new();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(f) = files.get(i) else { break };
                    let t = ingest::peek_start_time(f)
                        .or_else(|| f.time_hint())
                        .unwrap_or(i64::MIN);
                    mine.push((i, t));
                }
                let mut o = out.lock().unwrap_or_else(|e| e.into_inner());
                for (i, t) in mine {
                    o[i] = t;
                }
            });
        }
    });
    out.into_inner().unwrap_or_else(|e| e.into_inner())
}

/// Orders inputs by start time, so events reach the detectors nearly sorted.
pub fn order_files(files: Vec<InputFile>, threads: usize) -> (Vec<InputFile>, Vec<i64>) {
    let starts = start_times(&files, threads);
    let mut both: Vec<(i64, InputFile)> = starts.into_iter().zip(files).collect();
    both.sort_by(|a, b| (a.0, &a.1.display).cmp(&(b.0, &b.1.display)));
    both.into_iter().map(|(t, f)| (f, t)).unzip()
}

/// Reads and counts without detection (`scan --no-detect`).
pub fn ingest_only(files: Vec<InputFile>, opts: &IngestOptions) -> ScanOutput {
    let (sinks, ingest) = ingest::run(&files, opts, EventStats::default);
    let mut stats = EventStats::default();
    for s in sinks {
        stats.merge(s);
    }
    ScanOutput {
        findings: Vec::new(),
        incidents: Vec::new(),
        risks: Vec::new(),
        stats,
        ingest,
        files,
        late_events: 0,
        duplicate_requests: 0,
        max_buffered: 0,
        memory: Default::default(),
        habits: Default::default(),
        places: Default::default(),
    }
}

/// Runs the whole scan.
pub fn scan(files: Vec<InputFile>, opts: &IngestOptions, cfg: &ScanConfig) -> ScanOutput {
    scan_fresh(files, opts, cfg, None)
}

/// Runs the whole scan, showing every batch to `observer` as well.
pub fn scan_observed(
    files: Vec<InputFile>,
    opts: &IngestOptions,
    cfg: &ScanConfig,
    observer: Option<&dyn BatchObserver>,
) -> ScanOutput {
    scan_fresh(files, opts, cfg, observer)
}

fn scan_fresh(
    files: Vec<InputFile>,
    opts: &IngestOptions,
    cfg: &ScanConfig,
    observer: Option<&dyn BatchObserver>,
) -> ScanOutput {
    match scan_with_state(files, opts, cfg, None, observer) {
        Ok((out, _)) => out,
        // Only a state can fail to load, and there is none.
        Err(e) => unreachable!("a scan without state failed to start: {e:#}"),
    }
}

/// Runs the whole scan, continuing from the state of earlier runs (and showing every batch to
/// `observer`, if any), and returns the state to keep for the next one. Fails only when the
/// state does not fit this version's detectors (nothing has been read then).
pub fn scan_with_state(
    files: Vec<InputFile>,
    opts: &IngestOptions,
    cfg: &ScanConfig,
    state: Option<crate::detect::snapshot::EngineState>,
    observer: Option<&dyn BatchObserver>,
) -> anyhow::Result<(ScanOutput, crate::detect::snapshot::EngineState)> {
    let t0 = std::time::Instant::now();
    crate::contain::install_hook();
    let (files, hints) = order_files(files, opts.threads);
    if std::env::var_os("TRAILHOUND_TIMING").is_some() {
        eprintln!("timing: order_files {:?}", t0.elapsed());
    }
    let names: Vec<String> = files.iter().map(|f| f.display.clone()).collect();
    let syms = Symbols::new(cfg.detect.limits.symbol_bytes);
    let rules = RuleSet::new(cfg.rules.clone());
    let (tx, rx): (Sender<Msg>, Receiver<Msg>) = bounded(64);
    let (recycle_tx, recycle_rx) = bounded::<Vec<Access>>(64);
    let engine_out = Mutex::new(None);
    let keep_state = state.is_some();
    let mut engine = Engine::new(&syms, &cfg.detect);
    if let Some(st) = state {
        engine.import(st)?;
    }
    let (stats, ingest) = std::thread::scope(|s| {
        let engine_out = &engine_out;
        let names = &names;
        s.spawn(move || {
            let mut merger = Merger::new(hints, REORDER_SLACK);
            for msg in rx {
                match msg {
                    Msg::Start(f) => merger.file_started(f),
                    Msg::Events(v) => {
                        if let Some(v) = merger.push_batch(v) {
                            let _ = recycle_tx.try_send(v);
                        }
                        merger.release(|a| engine.process_contained(a));
                    }
                    Msg::Done(f) => {
                        merger.file_done(f);
                        merger.release(|a| engine.process_contained(a));
                    }
                    Msg::Fault(f) => engine.fault(f),
                }
                for v in merger.take_spent() {
                    let _ = recycle_tx.try_send(v);
                }
            }
            if std::env::var_os("TRAILHOUND_TIMING").is_some() {
                eprintln!(
                    "timing: input done at {:?}, buffered max {}",
                    t0.elapsed(),
                    merger.max_buffered
                );
            }
            merger.drain(|a| engine.process_contained(a));
            if std::env::var_os("TRAILHOUND_TIMING").is_some() {
                eprintln!(
                    "timing: drained at {:?}; detection thread CPU {}",
                    t0.elapsed(),
                    thread_cpu()
                );
            }
            let late = (engine.late_events, engine.duplicate_requests);
            let principals = engine.principals();
            engine.raise_pending_faults();
            let faults = std::mem::take(&mut engine.faults);
            let memory = engine.state_figures();
            let (findings, new_state, habits) = engine.finish_with_state(names, keep_state);
            *engine_out.lock().unwrap_or_else(|e| e.into_inner()) = Some((
                findings,
                late,
                merger.max_buffered,
                principals,
                new_state,
                habits,
                faults,
                memory,
            ));
        });
        let result = ingest::run(&files, opts, || DetectSink {
            syms: SymbolCache::new(&syms),
            observer,
            rules: &rules,
            tx: tx.clone(),
            recycle: recycle_rx.clone(),
            stats: EventStats::without_principals(),
        });
        drop(tx);
        // Taking the stats drops each sink's sender, which ends the detection thread's loop.
        let (sinks, report) = result;
        let mut stats = EventStats::default();
        for sink in sinks {
            stats.merge(sink.stats);
        }
        (stats, report)
    });
    let (
        mut findings,
        (late_events, duplicate_requests),
        max_buffered,
        principals,
        new_state,
        habits,
        faults,
        memory,
    ) = engine_out
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .unwrap_or_default();
    if std::env::var_os("TRAILHOUND_TIMING").is_some() {
        eprintln!("timing: engine finished at {:?}", t0.elapsed());
    }
    let mut stats = stats;
    stats.set_principals(principals);
    let mut ingest = ingest;
    // Parse and read faults were counted as skips where they happened; conversion and
    // detection faults are counted here, with the record's file and offset.
    use crate::contain::Stage;
    for f in faults
        .iter()
        .filter(|f| matches!(f.stage, Stage::Compact | Stage::Detect))
    {
        let name = names.get(f.file as usize).map_or("", String::as_str);
        let skip = crate::skip::Skip::new(crate::skip::SkipReason::InternalError, f.detail());
        ingest.skips.record(name, 0, f.offset, &skip);
    }
    let incidents = correlate::correlate(&mut findings, &cfg.correlate);
    if std::env::var_os("TRAILHOUND_TIMING").is_some() {
        eprintln!("timing: correlated at {:?}", t0.elapsed());
    }
    let risks = correlate::rank_principals(&findings, &incidents);
    let in_incidents: std::collections::BTreeSet<&str> = incidents
        .iter()
        .flat_map(|i| i.principals.iter().map(String::as_str))
        .collect();
    let habits = habits
        .into_iter()
        .filter(|(p, _)| in_incidents.contains(p.as_str()))
        .collect();
    let mut places = std::collections::BTreeMap::new();
    if let Some(db) = &cfg.detect.geoip {
        for ip in findings
            .iter()
            .filter(|f| f.severity >= crate::catalogue::Severity::Medium)
            .flat_map(|f| f.source_ips.iter())
        {
            if places.contains_key(ip) {
                continue;
            }
            if let Ok(addr) = ip.parse::<std::net::IpAddr>() {
                places.insert(ip.clone(), db.address_place(addr));
            }
        }
    }
    let out = ScanOutput {
        findings,
        incidents,
        risks,
        stats,
        ingest,
        files,
        late_events,
        duplicate_requests,
        max_buffered,
        memory,
        habits,
        places,
    };
    Ok((out, new_state))
}
