//! The one interface of the stateful detectors, and their list.
//!
//! The engine ([`crate::detect::engine`]) keeps each principal's [`Profile`] — the baseline
//! every detector judges against — and calls the detectors of
//! [`crate::detect::registry::detectors`] in order; it names none of them. A detector owns whatever else it keeps (per account, per bucket, per log
//! stream) and writes that state out and reads it back itself, under its own name.
//!
//! Adding a detector: a module with a type that implements [`Detector`], its line in
//! [`crate::detect::registry::detectors`], and its rules in `rules/catalogue.toml`.

use crate::detect::access::{Access, Symbols};
use crate::detect::baseline::{NewKeys, Profile};
use crate::detect::emit::{Ctx, Emitter};

/// What the detectors learn about one event while they judge it, in turn.
#[derive(Default)]
pub(crate) struct Judged {
    /// The principal's first event (its profile was made for it).
    pub first: bool,
    /// Some detector raised a finding of medium or above: the event is held apart from the
    /// baseline, not learned as normal.
    pub flagged: bool,
    /// Keys of the event the profile did not know as normal (set by novelty, read by the
    /// volume detector and the baseline).
    pub new_keys: NewKeys,
}

/// The per-event and per-principal stages a detector takes part in. The engine calls a
/// detector only in the stages it declares (a call per event to a method that does nothing
/// is not free on the one thread that judges in time order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stages(u8);

impl Stages {
    pub const RECORD: Stages = Stages(1);
    pub const REQUEST: Stages = Stages(2);
    pub const JUDGE: Stages = Stages(4);
    pub const CLOSE_HOUR: Stages = Stages(8);
    pub const CLOSE_DAY: Stages = Stages(16);
    pub const ALL: Stages = Stages(31);

    pub const fn and(self, other: Stages) -> Stages {
        Stages(self.0 | other.0)
    }

    pub fn has(self, stage: Stages) -> bool {
        self.0 & stage.0 == stage.0
    }
}

/// A stateful detector. Every method has a default that does nothing: a detector writes only
/// the stages it takes part in, and says which in [`Detector::stages`].
pub(crate) trait Detector: Send {
    /// Its name: the key of its state in the state file.
    fn name(&self) -> &'static str;

    /// The rules it raises (each is in the catalogue: a test checks).
    fn rule_ids(&self) -> &'static [&'static str];

    /// The stages it takes part in (`finish`, `snapshot` and `restore` are always called).
    fn stages(&self) -> Stages {
        Stages::ALL
    }

    /// Every record as it arrives, in time order, a request that two logs report counted twice
    /// (the presence of log streams).
    fn record(&mut self, _a: &Access) {}

    /// Every request once, before its principal is judged (per-account detectors).
    fn request(&mut self, _a: &Access, _ctx: &Ctx, _out: &mut Emitter) {}

    /// Judges an event against the principal's profile as it was before the event; the
    /// profile's open hour and day are already the event's.
    fn judge(
        &mut self,
        _p: &mut Profile,
        _a: &Access,
        _j: &mut Judged,
        _out: &mut Emitter,
        _ctx: &Ctx,
    ) {
    }

    /// The principal's open hour closes (before the baseline absorbs it).
    fn close_hour(&mut self, _p: &mut Profile, _out: &mut Emitter, _ctx: &Ctx) {}

    /// The principal's open day closes (before the baseline absorbs it).
    fn close_day(&mut self, _p: &mut Profile, _out: &mut Emitter, _ctx: &Ctx) {}

    /// The run ends; `end` is the time of its last event (`None`: there was none).
    fn finish(&mut self, _end: Option<i64>, _out: &mut Emitter, _ctx: &Ctx) {}

    /// Its own state for the next run, with symbols written out as text (`None`: it keeps
    /// nothing beyond the profiles). `end` as in [`Detector::finish`].
    fn snapshot(&self, _end: Option<i64>, _syms: &Symbols) -> Option<serde_json::Value> {
        None
    }

    /// Continues from the state an earlier run's [`Detector::snapshot`] wrote.
    fn restore(&mut self, _state: serde_json::Value, _syms: &Symbols) -> anyhow::Result<()> {
        Ok(())
    }
}
