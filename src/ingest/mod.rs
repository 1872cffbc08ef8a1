//! Ingest: sources → decompression → format detection → framing → parsers → [`Batch`]es.
//!
//! Files are processed in parallel, one file per worker at a time; each worker hands its
//! batches to its own [`BatchSink`]. A file that cannot be read or recognised is reported by
//! name and the run goes on; a record that cannot be used is skipped and counted
//! ([`crate::skip::SkipLog`]).

pub mod decode;
pub mod frame;
pub mod sniff;
pub mod source;
pub mod stats;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::event::Batch;
use crate::formats::LineParser;
use crate::json::Cursor;
use crate::skip::SkipLog;
use decode::{ByteCounter, Compression, Decoded};
use frame::{LineKindParser, Out, Window};
use sniff::{Detected, SNIFF_BYTES};
pub use source::{expand_paths, InputFile};

/// Receives the batches of one worker thread.
pub trait BatchSink: Send {
    fn batch(&mut self, batch: Batch);
    /// A worker starts reading a file (files are started in index order).
    fn file_started(&mut self, _file: u32) {}
    /// A worker finished a file: no more batches of it will come.
    fn file_done(&mut self, _file: u32) {}
    /// Reading a record panicked, and the panic was contained to it (it is also counted as
    /// an `internal_error` skip).
    fn fault(&mut self, _fault: crate::contain::Fault) {}
}

impl<F: FnMut(Batch) + Send> BatchSink for F {
    fn batch(&mut self, batch: Batch) {
        self(batch)
    }
}

/// What happened to one input file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileStatus {
    /// Read (records may still have been skipped).
    Read,
    /// Recognised and deliberately not read (CloudTrail digest files).
    Ignored(&'static str),
    /// Empty, or only whitespace.
    Empty,
    /// Not a format trailhound reads.
    Unrecognised(&'static str),
    /// Could not be opened, read or decompressed at all.
    Error(String),
}

#[derive(Clone, Debug)]
pub struct FileReport {
    pub name: String,
    pub status: FileStatus,
    /// Format id (or `None` when not read).
    pub format: Option<&'static str>,
    pub compression: Compression,
    pub events: u64,
    pub skipped: u64,
}

impl FileReport {
    /// A message for a file that yielded nothing, naming the file and what to do.
    pub fn problem(&self) -> Option<String> {
        match &self.status {
            FileStatus::Read | FileStatus::Ignored(_) => None,
            FileStatus::Empty => Some(format!("{}: empty file, nothing to read", self.name)),
            FileStatus::Unrecognised(why) => Some(format!(
                "{}: not a supported audit-log format ({why}); see `trailhound scan --help` for the formats read",
                self.name
            )),
            FileStatus::Error(e) => Some(format!("{}: {e}", self.name)),
        }
    }
}

/// Totals of an ingest run.
#[derive(Debug, Default)]
pub struct IngestReport {
    pub files: Vec<FileReport>,
    pub skips: SkipLog,
    /// Compressed (on-disk) bytes read.
    pub bytes_read: u64,
}

impl IngestReport {
    pub fn ignored_files(&self) -> u64 {
        self.files
            .iter()
            .filter(|f| matches!(f.status, FileStatus::Ignored(_)))
            .count() as u64
    }

    pub fn problems(&self) -> Vec<String> {
        self.files.iter().filter_map(FileReport::problem).collect()
    }

    /// True when at least one file was read or deliberately ignored.
    pub fn any_readable(&self) -> bool {
        self.files
            .iter()
            .any(|f| matches!(f.status, FileStatus::Read | FileStatus::Ignored(_)))
    }
}

/// How to run.
pub struct IngestOptions {
    pub threads: usize,
    /// Called about every 100 ms with (files done, compressed bytes read) while the run lasts.
    pub progress: Option<Box<dyn Fn(usize, u64) + Sync>>,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            progress: None,
        }
    }
}

/// Reads every file, in parallel, into sinks made by `make_sink` (one per worker).
pub fn run<S: BatchSink>(
    files: &[InputFile],
    opts: &IngestOptions,
    make_sink: impl Fn() -> S + Sync,
) -> (Vec<S>, IngestReport) {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let counter = ByteCounter::default();
    let threads = opts.threads.clamp(1, files.len().max(1));
    let results: Mutex<Vec<(usize, FileReport)>> = Mutex::new(Vec::with_capacity(files.len()));
    let finished = std::sync::atomic::AtomicBool::new(false);
    let mut sinks = Vec::with_capacity(threads);
    let mut skips = SkipLog::default();
    std::thread::scope(|scope| {
        let progress = scope.spawn(|| {
            if let Some(p) = &opts.progress {
                while !finished.load(Ordering::Relaxed) {
                    p(done.load(Ordering::Relaxed), counter.get());
                    std::thread::sleep(Duration::from_millis(100));
                }
                p(done.load(Ordering::Relaxed), counter.get());
            }
        });
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut sink = make_sink();
                    let mut skips = SkipLog::default();
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(file) = files.get(i) else { break };
                        sink.file_started(i as u32);
                        let report =
                            read_file_contained(i as u32, file, &counter, &mut sink, &mut skips);
                        sink.file_done(i as u32);
                        mine.push((i, report));
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    results
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .extend(mine);
                    (sink, skips)
                })
            })
            .collect();
        for w in workers {
            match w.join() {
                Ok((sink, s)) => {
                    sinks.push(sink);
                    skips.merge(s);
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        finished.store(true, Ordering::Relaxed);
        let _ = progress.join();
    });
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(i, _)| *i);
    let report = IngestReport {
        files: results.into_iter().map(|(_, r)| r).collect(),
        skips,
        bytes_read: counter.get(),
    };
    (sinks, report)
}

/// [`read_file`], with a panic outside any one record's parser (decompression, framing)
/// contained to the file: the rest of the file is lost, the other files are read, and the
/// file is reported with the reason.
fn read_file_contained(
    id: u32,
    file: &InputFile,
    counter: &ByteCounter,
    sink: &mut dyn BatchSink,
    skips: &mut SkipLog,
) -> FileReport {
    let read = crate::contain::guard(|| read_file(id, file, counter, &mut *sink, &mut *skips));
    read.unwrap_or_else(|message| {
        let detail = crate::contain::Stage::Read.detail(&message);
        skips.record(
            &file.display,
            0,
            0,
            &crate::skip::Skip::new(crate::skip::SkipReason::InternalError, detail.clone()),
        );
        sink.fault(crate::contain::Fault {
            stage: crate::contain::Stage::Read,
            file: id,
            offset: 0,
            message,
        });
        FileReport {
            name: file.display.clone(),
            status: FileStatus::Error(detail),
            format: None,
            compression: Compression::None,
            events: 0,
            skipped: 1,
        }
    })
}

/// Reads one file into `sink`; never panics on bad input, never fails the run.
pub fn read_file(
    id: u32,
    file: &InputFile,
    counter: &ByteCounter,
    sink: &mut dyn BatchSink,
    skips: &mut SkipLog,
) -> FileReport {
    let mut report = FileReport {
        name: file.display.clone(),
        status: FileStatus::Read,
        format: None,
        compression: Compression::None,
        events: 0,
        skipped: 0,
    };
    let opened = match &file.path {
        None => {
            let stdin = Box::new(std::io::BufReader::with_capacity(1 << 16, std::io::stdin()));
            decode::open_stream(stdin, counter)
        }
        Some(p) => decode::open_path(p, counter),
    };
    match opened {
        Ok((decoded, compression)) => {
            read_decoded(id, &file.display, decoded, compression, sink, skips)
        }
        Err(e) => {
            report.status = FileStatus::Error(format!("cannot read: {e}"));
            report
        }
    }
}

/// Reads already-opened input (see [`decode`]) into `sink`.
pub fn read_decoded(
    id: u32,
    name: &str,
    decoded: Decoded,
    compression: Compression,
    sink: &mut dyn BatchSink,
    skips: &mut SkipLog,
) -> FileReport {
    let mut report = FileReport {
        name: name.to_string(),
        status: FileStatus::Read,
        format: None,
        compression,
        events: 0,
        skipped: 0,
    };
    let mut window = match decoded {
        Decoded::Whole(data) => Window::whole(data, id),
        Decoded::Stream(r) => Window::stream(r, id),
    };
    window.fill_to(SNIFF_BYTES);
    window.blank_bom();
    let head_len = window.buf.len().min(SNIFF_BYTES);
    let detected = sniff::detect(&window.buf[..head_len]);
    if window.buf.is_empty() {
        if let Some(e) = &window.error {
            report.status = FileStatus::Error(format!("cannot decode: {e}"));
            return report;
        }
    }
    let mut emit = |b: Batch| sink.batch(b);
    let mut out = Out {
        file_id: id,
        file_name: name,
        skips,
        emit: &mut emit,
        events: 0,
        skipped: 0,
        faults: Vec::new(),
        inject: crate::contain::injected(crate::contain::Stage::Parse),
    };
    match detected {
        Detected::Json(kind) => {
            report.format = Some(kind.id());
            if is_json_lines(
                &window.buf[..head_len],
                window.eof && head_len == window.buf.len(),
            ) {
                frame::read_lines(&mut window, LineKindParser::Json(kind), &mut out);
            } else {
                frame::read_json_doc(&mut window, kind, &mut out);
            }
        }
        Detected::Lines(kind) => match LineParser::new(kind) {
            Some(parser) => {
                report.format = Some(kind.id());
                frame::read_lines(&mut window, LineKindParser::Text(parser), &mut out);
            }
            None => report.status = FileStatus::Unrecognised("not a line-framed log format"),
        },
        Detected::Ignored(why) => report.status = FileStatus::Ignored(why),
        Detected::Empty => report.status = FileStatus::Empty,
        Detected::Unknown(why) => report.status = FileStatus::Unrecognised(why),
    }
    window.finish(&mut out);
    report.events = out.events;
    report.skipped = out.skipped;
    let faults = std::mem::take(&mut out.faults);
    drop(out);
    for (offset, message) in faults {
        sink.fault(crate::contain::Fault {
            stage: crate::contain::Stage::Parse,
            file: id,
            offset,
            message,
        });
    }
    report
}

/// JSON Lines when the first value is an object that ends on its first line, followed by
/// more lines. A file that is one document (pretty-printed or a single long line) is read as
/// a document, which streams its records without needing the whole line in memory.
fn is_json_lines(head: &[u8], whole_file: bool) -> bool {
    let start = head
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(head.len());
    if head.get(start) != Some(&b'{') {
        return false;
    }
    let Some(nl) = memchr::memchr(b'\n', &head[start..]).map(|p| start + p) else {
        return false;
    };
    let mut cur = Cursor::new(&head[..nl], start);
    if cur.skip().is_err() || !cur.at_end() {
        return false;
    }
    // One object on one line and nothing else: a document either way.
    let rest = &head[nl..];
    !(whole_file && rest.iter().all(u8::is_ascii_whitespace))
}

/// The time of the earliest event in the first part of a file (about 64 KiB decoded), or
/// `None` when it has none. Used to read files in time order; costs a partial decode.
pub fn peek_start_time(file: &InputFile) -> Option<i64> {
    let path = file.path.as_ref()?;
    let head = decode::read_head(path, SNIFF_BYTES).ok()?;
    let mut min = i64::MAX;
    let mut skips = SkipLog::default();
    let mut sink = |b: Batch| {
        for e in &b.events {
            min = min.min(e.time);
        }
    };
    read_decoded(
        0,
        &file.display,
        Decoded::Whole(head),
        Compression::None,
        &mut sink,
        &mut skips,
    );
    (min != i64::MAX).then_some(min)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_detection() {
        assert!(is_json_lines(b"{\"a\":1}\n{\"a\":2}\n", true));
        assert!(!is_json_lines(b"{\n \"a\": 1\n}\n", true));
        assert!(!is_json_lines(b"[{\"a\":1}]\n", true));
        assert!(!is_json_lines(b"{\"Records\":[{\"a\":1}]}", true));
        assert!(!is_json_lines(b"{\"Records\":[{\"a\":1}]}\n", true));
    }
}
