//! Time order across files: a bounded reorder buffer.
//!
//! Files are read in the order of their delivery time (see
//! [`crate::ingest::source::time_hint`]), by several workers at once, and files overlap in time
//! (CloudTrail delivers about every 5 minutes, up to ~15 minutes late). Events wait in a heap
//! until no file still being read, or not yet started, can hold an older one: the watermark is
//! the earliest delivery time among those files, minus a slack. Memory is bounded by the
//! events of the files in flight plus the slack. An event older than one already released
//! (a late delivery beyond the slack) is passed on at once and counted.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};

use crate::detect::access::Access;

/// Heap entries are small keys — time, then file and offset packed into one `u128`, so ties
/// break the same way in every run — and the events wait in a slab, so sifting moves no
/// event.
type Key = Reverse<(u128, u32)>;

fn pack(a: &Access) -> u128 {
    let t = (a.time as u64) ^ (1 << 63);
    ((t as u128) << 64)
        | (((a.file as u128) & 0xff_ffff) << 40)
        | ((a.offset as u128) & 0xff_ffff_ffff)
}

fn time_of(key: u128) -> i64 {
    (((key >> 64) as u64) ^ (1 << 63)) as i64
}

/// The reorder buffer.
///
/// Events of one file mostly arrive in time order (CloudTrail sorts each file), so each file
/// gets a FIFO run and a small heap orders the runs by their first event: an event costs a
/// queue push and a heap step over the few files in flight, not a sift through everything
/// buffered. Events older than the last one of their file (S3 access logs are unordered) go
/// to a second heap.
pub struct Merger {
    /// Start-time hint per file index (`i64::MIN` when unknown); files start in index order.
    hints: Vec<i64>,
    slack: i64,
    runs: Vec<std::collections::VecDeque<Access>>,
    /// (key of the run's first event, file) for every non-empty run.
    heads: BinaryHeap<Key>,
    /// Out-of-order events: keys, and the events in a slab so sifting moves no event.
    disorder: BinaryHeap<Key>,
    slab: Vec<Option<Access>>,
    free: Vec<usize>,
    in_flight: BTreeSet<u32>,
    /// Start messages of several workers race: track every start, and the lowest index not
    /// started yet.
    started: Vec<bool>,
    next_unstarted: u32,
    buffered: usize,
    pub max_buffered: usize,
}

impl Merger {
    pub fn new(hints: Vec<i64>, slack: i64) -> Self {
        Merger {
            hints,
            slack,
            runs: Vec::new(),
            heads: BinaryHeap::new(),
            disorder: BinaryHeap::new(),
            slab: Vec::new(),
            free: Vec::new(),
            in_flight: BTreeSet::new(),
            started: Vec::new(),
            next_unstarted: 0,
            buffered: 0,
            max_buffered: 0,
        }
    }

    pub fn file_started(&mut self, file: u32) {
        self.in_flight.insert(file);
        let f = file as usize;
        if self.started.len() <= f {
            self.started.resize(f + 1, false);
        }
        self.started[f] = true;
        while self.started.get(self.next_unstarted as usize) == Some(&true) {
            self.next_unstarted += 1;
        }
    }

    pub fn file_done(&mut self, file: u32) {
        self.in_flight.remove(&file);
    }

    pub fn push(&mut self, a: Access) {
        let key = pack(&a);
        let f = a.file as usize;
        if self.runs.len() <= f {
            self.runs.resize_with(f + 1, Default::default);
        }
        self.buffered += 1;
        self.max_buffered = self.max_buffered.max(self.buffered);
        let run = &mut self.runs[f];
        match run.back() {
            None => {
                run.push_back(a);
                self.heads.push(Reverse((key, f as u32)));
            }
            Some(last) if pack(last) <= key => run.push_back(a),
            Some(_) => {
                let slot = match self.free.pop() {
                    Some(s) => {
                        self.slab[s] = Some(a);
                        s
                    }
                    None => {
                        self.slab.push(Some(a));
                        self.slab.len() - 1
                    }
                };
                self.disorder.push(Reverse((key, slot as u32)));
            }
        }
    }

    /// The earliest buffered event's key, and whether it is in a run.
    fn peek(&self) -> Option<(u128, bool)> {
        let h = self.heads.peek().map(|Reverse((k, _))| (*k, true));
        let d = self.disorder.peek().map(|Reverse((k, _))| (*k, false));
        match (h, d) {
            (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
            (a, b) => a.or(b),
        }
    }

    fn pop(&mut self) -> Option<Access> {
        let (_, from_run) = self.peek()?;
        self.buffered -= 1;
        if from_run {
            // The run's next event replaces its head in place: one sift instead of a pop
            // and a push.
            let mut top = self.heads.peek_mut()?;
            let f = (top.0).1;
            let run = &mut self.runs[f as usize];
            let a = run.pop_front()?;
            match run.front() {
                Some(next) => *top = Reverse((pack(next), f)),
                None => {
                    std::collections::binary_heap::PeekMut::pop(top);
                    // A drained run gives its memory back (thousands of files pass through).
                    *run = std::collections::VecDeque::new();
                }
            }
            Some(a)
        } else {
            let Reverse((_, slot)) = self.disorder.pop()?;
            self.free.push(slot as usize);
            self.slab[slot as usize].take()
        }
    }

    /// The time before which every event has arrived.
    fn watermark(&self) -> i64 {
        let flight = self.in_flight.first().map(|&f| self.hint(f));
        let next = (self.next_unstarted as usize)
            .lt(&self.hints.len())
            .then(|| self.hint(self.next_unstarted));
        match flight.into_iter().chain(next).min() {
            Some(t) => t.saturating_sub(self.slack),
            None => i64::MAX,
        }
    }

    fn hint(&self, f: u32) -> i64 {
        self.hints.get(f as usize).copied().unwrap_or(i64::MIN)
    }

    /// Releases the events that are safe to judge, in time order.
    pub fn release(&mut self, mut f: impl FnMut(&Access)) {
        let w = self.watermark();
        while self.peek().is_some_and(|(k, _)| time_of(k) <= w) {
            if let Some(a) = self.pop() {
                f(&a);
            }
        }
    }

    /// Releases everything (input finished).
    pub fn drain(&mut self, mut f: impl FnMut(&Access)) {
        while let Some(a) = self.pop() {
            f(&a);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(t: i64, file: u32) -> Access {
        Access {
            time: t,
            file,
            ..Default::default()
        }
    }

    #[test]
    fn keys_order_by_time_then_file_and_offset() {
        let k = |t, f, o| {
            pack(&Access {
                time: t,
                file: f,
                offset: o,
                ..Default::default()
            })
        };
        assert!(k(-5, 9, 9) < k(3, 0, 0));
        assert!(k(3, 0, 7) < k(3, 1, 0));
        assert!(k(3, 1, 0) < k(3, 1, 1));
        assert_eq!(time_of(k(-123, 4, 5)), -123);
        assert_eq!(time_of(k(i64::MAX, 0, 0)), i64::MAX);
    }

    #[test]
    fn overlapping_files_come_out_sorted() {
        // Two files delivered at 10 and 20 whose events overlap.
        let mut m = Merger::new(vec![10, 20], 5);
        let mut out = Vec::new();
        m.file_started(0);
        m.file_started(1);
        for t in [8, 9, 10] {
            m.push(ev(t, 0));
        }
        for t in [7, 16, 20] {
            m.push(ev(t, 1));
        }
        m.release(|a: &Access| out.push(a.time));
        assert_eq!(out, Vec::<i64>::new(), "watermark 10 - 5 = 5");
        m.file_done(0);
        m.release(|a: &Access| out.push(a.time));
        assert_eq!(out, vec![7, 8, 9, 10], "watermark 20 - 5 = 15");
        m.file_done(1);
        m.release(|a: &Access| out.push(a.time));
        assert_eq!(out, vec![7, 8, 9, 10, 16, 20]);
    }

    #[test]
    fn a_start_that_arrives_late_still_holds_the_watermark() {
        let mut m = Merger::new(vec![10, 20, 30], 0);
        let mut out = Vec::new();
        m.file_started(1);
        m.push(ev(18, 1));
        m.release(|a: &Access| out.push(a.time));
        assert!(
            out.is_empty(),
            "file 0 (hint 10) has not started: nothing after 10 is safe"
        );
        m.file_started(0);
        m.push(ev(9, 0));
        m.file_done(0);
        m.release(|a: &Access| out.push(a.time));
        assert_eq!(out, vec![9, 18]);
    }

    #[test]
    fn unordered_events_within_a_file_come_out_sorted() {
        let mut m = Merger::new(vec![0], 0);
        m.file_started(0);
        for t in [5, 3, 9, 1, 9, 7, 2] {
            m.push(ev(t, 0));
        }
        m.file_done(0);
        let mut out = Vec::new();
        m.release(|a: &Access| out.push(a.time));
        assert_eq!(out, vec![1, 2, 3, 5, 7, 9, 9]);
    }

    #[test]
    fn unknown_hints_hold_until_done() {
        let mut m = Merger::new(vec![i64::MIN, 100], 0);
        let mut out = Vec::new();
        m.file_started(0);
        m.push(ev(50, 0));
        m.release(|a: &Access| out.push(a.time));
        assert!(out.is_empty());
        m.file_done(0);
        m.release(|a: &Access| out.push(a.time));
        assert_eq!(out, vec![50]);
    }
}
