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
use std::collections::{BTreeSet, BinaryHeap, VecDeque};

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

/// How many events ahead of the one being judged a run's events are fetched into the cache:
/// a batch was written by another core, and the engine's first touch of each event was one
/// of its largest costs.
const PREFETCH_AHEAD: usize = 4;

#[inline(always)]
fn prefetch(a: &Access) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let p = a as *const Access as *const i8;
        // Safety: prefetching is a hint that never faults; both addresses lie within `a`.
        unsafe {
            _mm_prefetch(p, _MM_HINT_T0);
            _mm_prefetch(p.add(std::mem::size_of::<Access>() - 1), _MM_HINT_T0);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = a;
}

/// Events of one file waiting in time order: the batches as the workers sent them (a sorted
/// batch is taken whole, not copied event by event), each with a read position.
#[derive(Default)]
struct Run {
    chunks: VecDeque<Chunk>,
}

struct Chunk {
    events: Vec<Access>,
    next: usize,
}

impl Run {
    fn front(&self) -> Option<&Access> {
        self.chunks.front().and_then(|c| c.events.get(c.next))
    }

    fn back(&self) -> Option<&Access> {
        self.chunks.back().and_then(|c| c.events.last())
    }
}

/// The reorder buffer.
///
/// Events of one file mostly arrive in time order (CloudTrail sorts each file), so each file
/// gets a FIFO run and a small heap orders the runs by their first event: an event costs a
/// heap step over the few files in flight, not a sift through everything buffered, and a
/// sorted batch joins its run without a copy. Events older than the last one of their file
/// (S3 access logs are unordered) go to a second heap.
pub struct Merger {
    /// Start-time hint per file index (`i64::MIN` when unknown); files start in index order.
    hints: Vec<i64>,
    slack: i64,
    runs: Vec<Run>,
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
    /// Batches whose events have all been released, to go back to the workers for reuse.
    spent: Vec<Vec<Access>>,
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
            spent: Vec::new(),
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

    fn run_mut(&mut self, file: u32) -> &mut Run {
        let f = file as usize;
        if self.runs.len() <= f {
            self.runs.resize_with(f + 1, Default::default);
        }
        &mut self.runs[f]
    }

    /// Takes a batch of events. A batch of one file in time order, starting no earlier than
    /// its file's last event, joins the run as it is; anything else goes event by event.
    /// Returns an empty vector to reuse when the events were copied out of it.
    pub fn push_batch(&mut self, mut events: Vec<Access>) -> Option<Vec<Access>> {
        let Some(first) = events.first() else {
            return Some(events);
        };
        let file = first.file;
        let sorted = events.iter().all(|a| a.file == file) && events.iter().map(pack).is_sorted();
        let first_key = pack(first);
        let fits = self
            .run_mut(file)
            .back()
            .is_none_or(|b| pack(b) <= first_key);
        if !(sorted && fits) {
            for a in events.drain(..) {
                self.push(a);
            }
            return Some(events);
        }
        self.buffered += events.len();
        self.max_buffered = self.max_buffered.max(self.buffered);
        let run = self.run_mut(file);
        let was_empty = run.chunks.is_empty();
        run.chunks.push_back(Chunk { events, next: 0 });
        if was_empty {
            self.heads.push(Reverse((first_key, file)));
        }
        None
    }

    pub fn push(&mut self, a: Access) {
        let key = pack(&a);
        let file = a.file;
        self.buffered += 1;
        self.max_buffered = self.max_buffered.max(self.buffered);
        let run = self.run_mut(file);
        match run.back() {
            None => {
                run.chunks.push_back(Chunk {
                    events: vec![a],
                    next: 0,
                });
                self.heads.push(Reverse((key, file)));
            }
            Some(last) if pack(last) <= key => match run.chunks.back_mut() {
                Some(c) => c.events.push(a),
                None => unreachable!("a run with a last event has a chunk"),
            },
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

    /// Hands the earliest buffered event to `f`; false when nothing is buffered.
    fn pop_into(&mut self, f: &mut impl FnMut(&Access)) -> bool {
        let Some((_, from_run)) = self.peek() else {
            return false;
        };
        self.buffered -= 1;
        if !from_run {
            let Some(Reverse((_, slot))) = self.disorder.pop() else {
                return false;
            };
            self.free.push(slot as usize);
            if let Some(a) = self.slab[slot as usize].take() {
                f(&a);
            }
            return true;
        }
        // The run's next event replaces its head in place: one sift instead of a pop and a
        // push. The event is judged where it lies.
        let Some(mut top) = self.heads.peek_mut() else {
            return false;
        };
        let file = (top.0).1;
        let run = &mut self.runs[file as usize];
        let Some(chunk) = run.chunks.front_mut() else {
            std::collections::binary_heap::PeekMut::pop(top);
            return false;
        };
        if let Some(ahead) = chunk.events.get(chunk.next + PREFETCH_AHEAD) {
            prefetch(ahead);
        }
        if let Some(a) = chunk.events.get(chunk.next) {
            f(a);
        }
        chunk.next += 1;
        if chunk.next >= chunk.events.len() {
            if let Some(done) = run.chunks.pop_front() {
                self.spent.push(done.events);
            }
        }
        match run.front() {
            Some(next) => *top = Reverse((pack(next), file)),
            None => {
                std::collections::binary_heap::PeekMut::pop(top);
                // A drained run gives its memory back (thousands of files pass through).
                *run = Run::default();
            }
        }
        true
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
            self.pop_into(&mut f);
        }
    }

    /// Releases everything (input finished).
    pub fn drain(&mut self, mut f: impl FnMut(&Access)) {
        while self.pop_into(&mut f) {}
    }

    /// Batches fully released since the last call, emptied, for reuse.
    pub fn take_spent(&mut self) -> impl Iterator<Item = Vec<Access>> + '_ {
        self.spent.drain(..).map(|mut v| {
            v.clear();
            v
        })
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
    fn batches_join_runs_whole_or_event_by_event() {
        let mut m = Merger::new(vec![0, 0], 0);
        m.file_started(0);
        m.file_started(1);
        let batch = |ts: &[i64], file| ts.iter().map(|&t| ev(t, file)).collect::<Vec<_>>();
        assert!(
            m.push_batch(batch(&[1, 4, 6], 0)).is_none(),
            "sorted: taken whole"
        );
        assert!(
            m.push_batch(batch(&[7, 9], 0)).is_none(),
            "continues its run"
        );
        let back = m
            .push_batch(batch(&[5, 8], 0))
            .expect("starts before the run's end");
        assert!(back.is_empty());
        assert!(m.push_batch(batch(&[3, 2], 1)).is_some(), "unsorted");
        assert!(m.push_batch(Vec::new()).is_some());
        m.file_done(0);
        m.file_done(1);
        let mut out = Vec::new();
        m.release(|a: &Access| out.push((a.time, a.file)));
        assert_eq!(
            out,
            vec![
                (1, 0),
                (2, 1),
                (3, 1),
                (4, 0),
                (5, 0),
                (6, 0),
                (7, 0),
                (8, 0),
                (9, 0)
            ]
        );
        assert_eq!(m.buffered, 0);
        let spent: Vec<_> = m.take_spent().collect();
        assert!(!spent.is_empty() && spent.iter().all(|v| v.is_empty()));
        assert_eq!(m.take_spent().count(), 0);
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
