//! Framing: cutting a decoded byte stream into records, in bounded memory.
//!
//! Input is read into a [`Window`] in chunks. Records are parsed where they lie in the window,
//! so their strings can be borrowed; when a record runs past the end of the window, the events
//! parsed so far are sealed into a [`Batch`] together with the window's bytes, and a new window
//! starts with the unfinished record. A record longer than [`MAX_RECORD`] is read past with a
//! small state machine and reported, never held whole.
//!
//! Two framings cover every format: lines (text logs and JSON Lines) and JSON documents (a
//! CloudTrail `{"Records":[...]}` file, a bare array, `lookup-events` output, one pretty-printed
//! record, or several documents in a row).

use std::io::{ErrorKind, Read};
use std::sync::Arc;

use crate::event::Batch;
use crate::event::Format;
use crate::formats::{self, LineParser, RecordCtx};
use crate::json::{Cursor, JsonError};
use crate::skip::{Skip, SkipLog, SkipReason};

/// Bytes read from a stream at a time.
pub const CHUNK: usize = 4 << 20;
/// Longest record (line or JSON value) that is parsed; longer ones are skipped.
pub const MAX_RECORD: usize = 16 << 20;

/// Where framed records go: sealed batches and skips.
pub struct Out<'a> {
    pub file_id: u32,
    pub file_name: &'a str,
    pub skips: &'a mut SkipLog,
    pub emit: &'a mut dyn FnMut(Batch),
    pub events: u64,
    pub skipped: u64,
    /// Records whose parser panicked (offset, message): also skipped as `internal_error`.
    pub faults: Vec<(u64, String)>,
    /// The user agent the parse stage is asked to fail on (tests only), read once per file.
    pub inject: Option<&'static str>,
}

impl Out<'_> {
    fn skip(&mut self, line: u64, offset: u64, skip: &Skip) {
        self.skipped += 1;
        self.skips.record(self.file_name, line, offset, skip);
        if skip.reason == SkipReason::InternalError && self.faults.len() < MAX_FAULTS {
            self.faults.push((offset, skip.detail.to_string()));
        }
    }
}

/// Contained parser panics kept per file for the self-check finding (all are counted).
const MAX_FAULTS: usize = 100;

/// Runs one record's parser under [`crate::contain::guard`]. A panic drops the events the
/// record had pushed and becomes an `internal_error` skip.
fn parse_guarded<R>(
    batch: &mut Batch,
    src: &[u8],
    inject: Option<&str>,
    parse: impl FnOnce(&mut Batch) -> R,
) -> Result<R, Skip> {
    let before = batch.events.len();
    let result = crate::contain::guard(|| {
        let r = parse(&mut *batch);
        if let Some(ua) = inject {
            let pushed = batch.events.get(before..).unwrap_or_default();
            if pushed
                .iter()
                .any(|e| batch.bytes_in(e.user_agent, src) == ua.as_bytes())
            {
                panic!("injected parse fault (TRAILHOUND_INJECT_PANIC)");
            }
        }
        r
    });
    result.map_err(|message| {
        batch.events.truncate(before);
        Skip::new(
            SkipReason::InternalError,
            crate::contain::Stage::Parse.detail(&message),
        )
    })
}

/// Events per batch cut from a whole decoded input: small enough that a batch's text is still
/// in the cache when the worker turns its events into detector records right after parsing
/// them (a whole CloudTrail file is several megabytes).
pub const SLICE_EVENTS: usize = 512;

/// The bytes of a [`Window`]: read from a stream (owned, growing and shrinking), or a whole
/// decoded input, checked as UTF-8 once and shared by the batches cut from it.
pub enum Buf {
    Owned(Vec<u8>),
    Shared(Arc<String>),
}

impl Default for Buf {
    fn default() -> Self {
        Buf::Owned(Vec::new())
    }
}

impl std::ops::Deref for Buf {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Buf::Owned(v) => v,
            Buf::Shared(s) => s.as_bytes(),
        }
    }
}

impl Buf {
    /// The bytes to change. A shared input is only changed in rare paths (a record longer
    /// than [`MAX_RECORD`] in a whole input): it is copied first when batches hold it.
    pub fn make_mut(&mut self) -> &mut Vec<u8> {
        if let Buf::Shared(s) = self {
            let bytes = Arc::try_unwrap(std::mem::take(s))
                .map(String::into_bytes)
                .unwrap_or_else(|s| s.as_bytes().to_vec());
            *self = Buf::Owned(bytes);
        }
        match self {
            Buf::Owned(v) => v,
            Buf::Shared(_) => unreachable!("made owned above"),
        }
    }
}

/// A sliding window over a decoded stream.
pub struct Window {
    reader: Option<Box<dyn Read + Send>>,
    pub buf: Buf,
    /// Stream offset of `buf[0]`.
    pub base: u64,
    /// Newlines before `buf[0]`.
    lines_base: u64,
    pub eof: bool,
    /// The read or decompression error that ended the stream early, if any.
    pub error: Option<String>,
    batch: Batch,
}

impl Window {
    pub fn whole(data: Vec<u8>, file_id: u32) -> Self {
        Window {
            reader: None,
            buf: Buf::Shared(Arc::new(crate::event::repair_utf8(data))),
            base: 0,
            lines_base: 0,
            eof: true,
            error: None,
            batch: Batch::new(file_id),
        }
    }

    pub fn stream(reader: Box<dyn Read + Send>, file_id: u32) -> Self {
        Window {
            reader: Some(reader),
            buf: Buf::default(),
            base: 0,
            lines_base: 0,
            eof: false,
            error: None,
            batch: Batch::new(file_id),
        }
    }

    /// Reads up to one more chunk. Returns false when nothing more will come.
    pub fn fill(&mut self) -> bool {
        let Some(r) = self.reader.as_mut() else {
            self.eof = true;
            return false;
        };
        let buf = self.buf.make_mut();
        let start = buf.len();
        buf.reserve(CHUNK);
        let mut got = 0;
        while got < CHUNK {
            let cap = buf.capacity() - buf.len();
            let want = cap.min(CHUNK - got);
            let old_len = buf.len();
            buf.resize(old_len + want, 0);
            match r.read(&mut buf[old_len..]) {
                Ok(0) => {
                    buf.truncate(old_len);
                    self.eof = true;
                    self.reader = None;
                    break;
                }
                Ok(n) => {
                    buf.truncate(old_len + n);
                    got += n;
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => buf.truncate(old_len),
                Err(e) => {
                    buf.truncate(old_len);
                    self.error = Some(describe_read_error(&e));
                    self.eof = true;
                    self.reader = None;
                    break;
                }
            }
        }
        buf.len() > start
    }

    /// Makes sure at least `n` bytes are buffered (or the stream ended).
    pub fn fill_to(&mut self, n: usize) {
        while self.buf.len() < n && !self.eof {
            self.fill();
        }
    }

    /// 1-based line number of `pos` in the buffer.
    fn line_of(&self, pos: usize) -> u64 {
        let pos = pos.min(self.buf.len());
        self.lines_base + memchr::memchr_iter(b'\n', &self.buf[..pos]).count() as u64 + 1
    }

    /// Drops `buf[..keep_from]`: sealed with the events that point into it, or compacted.
    /// Returns how many bytes were dropped from the front.
    fn release(&mut self, keep_from: usize, out: &mut Out) -> usize {
        self.lines_base += memchr::memchr_iter(b'\n', &self.buf[..keep_from]).count() as u64;
        if self.batch.events.is_empty() {
            self.buf.make_mut().drain(..keep_from);
        } else {
            let mut next = Vec::with_capacity((self.buf.len() - keep_from + CHUNK).max(CHUNK));
            next.extend_from_slice(&self.buf[keep_from..]);
            let sealed = std::mem::replace(&mut self.buf, Buf::Owned(next));
            self.seal_with(sealed, out);
        }
        self.base += keep_from as u64;
        keep_from
    }

    fn seal_with(&mut self, input: Buf, out: &mut Out) {
        let file = self.batch.file;
        let mut batch = std::mem::replace(&mut self.batch, Batch::new(file));
        match input {
            Buf::Owned(bytes) => batch.set_input(bytes),
            Buf::Shared(text) => batch.set_shared_input(text),
        }
        out.events += batch.events.len() as u64;
        (out.emit)(batch);
    }

    /// Hands over the events parsed so far from a whole input once there are
    /// [`SLICE_EVENTS`] of them; the batch shares the input instead of copying it.
    fn seal_slice(&mut self, out: &mut Out) {
        if self.batch.events.len() < SLICE_EVENTS {
            return;
        }
        if let Buf::Shared(text) = &self.buf {
            let text = Arc::clone(text);
            self.seal_with(Buf::Shared(text), out);
        }
    }

    /// Blanks a UTF-8 byte order mark at the start (three spaces: offsets stay true).
    pub fn blank_bom(&mut self) {
        if self.buf.starts_with(BOM) {
            match &mut self.buf {
                Buf::Owned(v) => blank_bom(v),
                Buf::Shared(s) => match Arc::get_mut(s) {
                    Some(s) => s.replace_range(..3, "   "),
                    None => blank_bom(self.buf.make_mut()),
                },
            }
        }
    }

    /// Hands over the last events.
    pub fn finish(mut self, out: &mut Out) {
        if !self.batch.events.is_empty() {
            let input = std::mem::take(&mut self.buf);
            self.seal_with(input, out);
        }
    }

    fn truncation_detail(&self) -> String {
        match &self.error {
            Some(e) => format!("the input ends inside this record: {e}"),
            None => "the input ends inside this record".to_string(),
        }
    }
}

const BOM: &[u8] = b"\xef\xbb\xbf";

fn blank_bom(data: &mut [u8]) {
    if data.starts_with(BOM) {
        data[..3].copy_from_slice(b"   ");
    }
}

fn describe_read_error(e: &std::io::Error) -> String {
    match e.kind() {
        ErrorKind::UnexpectedEof => "compressed stream ends early (truncated file?)".to_string(),
        ErrorKind::InvalidData | ErrorKind::InvalidInput => format!("corrupt compressed data: {e}"),
        _ => format!("read error: {e}"),
    }
}

/// Reads a line-oriented file (text logs or JSON Lines).
pub fn read_lines(w: &mut Window, mut parser: LineKindParser, out: &mut Out) {
    let mut pos = 0usize;
    let mut line_no = 1u64;
    loop {
        match memchr::memchr(b'\n', &w.buf[pos..]) {
            Some(p) => {
                let end = pos + p;
                parser.line(w, pos, end, line_no, out);
                w.seal_slice(out);
                pos = end + 1;
                line_no += 1;
            }
            None if w.eof => {
                match w.error.clone() {
                    None if pos < w.buf.len() => {
                        parser.line(w, pos, w.buf.len(), line_no, out);
                    }
                    None => {}
                    Some(e) => {
                        // The stream broke: a last line without its newline is cut short, and
                        // nothing after it could be read. Say so once, at the point of damage.
                        let offset = w.base + pos as u64;
                        out.skip(
                            line_no,
                            offset,
                            &Skip::new(SkipReason::TruncatedInput, format!("input ends here: {e}")),
                        );
                    }
                }
                break;
            }
            None if w.buf.len() - pos >= MAX_RECORD => {
                let offset = w.base + pos as u64;
                out.skip(
                    line_no,
                    offset,
                    &Skip::new(
                        SkipReason::RecordTooLarge,
                        format!(
                            "line longer than {} MiB; read past, not parsed",
                            MAX_RECORD >> 20
                        ),
                    ),
                );
                // Drop what we have and read until the line ends.
                let len = w.buf.len();
                w.release(len, out);
                pos = 0;
                loop {
                    if !w.fill() && w.eof && w.buf.is_empty() {
                        break;
                    }
                    if let Some(p) = memchr::memchr(b'\n', &w.buf) {
                        pos = p + 1;
                        line_no += 1;
                        break;
                    }
                    let len = w.buf.len();
                    w.release(len, out);
                    if w.eof {
                        break;
                    }
                }
                if w.eof && pos == 0 && w.buf.is_empty() {
                    break;
                }
            }
            None => {
                pos -= w.release(pos, out);
                w.fill();
            }
        }
    }
}

/// What a line is parsed as.
pub enum LineKindParser {
    Text(LineParser),
    Json(Format),
}

impl LineKindParser {
    fn line(&mut self, w: &mut Window, start: usize, end: usize, line_no: u64, out: &mut Out) {
        let mut s = start;
        let mut e = end;
        while s < e && w.buf[s].is_ascii_whitespace() {
            s += 1;
        }
        while e > s && w.buf[e - 1].is_ascii_whitespace() {
            e -= 1;
        }
        if s == e {
            return;
        }
        let offset = w.base + s as u64;
        match self {
            LineKindParser::Text(p) => {
                let buf = &w.buf;
                let parsed = parse_guarded(&mut w.batch, buf, out.inject, |batch| {
                    let mut ctx = RecordCtx {
                        batch,
                        offset,
                        line: line_no,
                    };
                    p.parse(buf, s, e, &mut ctx)
                });
                if let Err(skip) = parsed.and_then(|r| r) {
                    out.skip(line_no, offset, &skip);
                }
            }
            LineKindParser::Json(kind) => {
                let kind = *kind;
                let buf = &w.buf[..e];
                let mut doc = JsonDoc::new(kind, out.inject);
                let mut cur = Cursor::new(buf, s);
                loop {
                    let before = cur.i;
                    match doc.step(&mut cur, &mut w.batch, w.base, line_no, true) {
                        Ok(Step::Done) => break,
                        Ok(Step::Record {
                            start,
                            skip: Some(skip),
                        }) => out.skip(line_no, w.base + start as u64, &skip),
                        Ok(_) => {}
                        Err(err) => {
                            let skip = json_error_skip(err, buf, before, "the rest of this line");
                            out.skip(line_no, w.base + before as u64, &skip);
                            break;
                        }
                    }
                }
            }
        }
    }
}

fn json_error_skip(err: JsonError, buf: &[u8], from: usize, rest: &str) -> Skip {
    match err {
        JsonError::Eof => Skip::new(
            SkipReason::MalformedJson,
            format!("JSON ends inside a value; {rest} was not read"),
        ),
        JsonError::Syntax { at, what } => Skip::new(
            SkipReason::MalformedJson,
            format!(
                "malformed JSON at byte {} of the record: {what}; {rest} ({} bytes) was not read",
                at.saturating_sub(from),
                buf.len().saturating_sub(from)
            ),
        ),
    }
}

/// Reads a JSON document stream.
pub fn read_json_doc(w: &mut Window, kind: Format, out: &mut Out) {
    let mut doc = JsonDoc::new(kind, out.inject);
    let mut pos = 0usize;
    loop {
        let mut cur = Cursor::new(&w.buf, pos);
        cur.ws();
        let step_start = cur.i;
        match doc.step(&mut cur, &mut w.batch, w.base, 0, w.eof) {
            Ok(Step::Done) => break,
            Ok(Step::Record { start, skip }) => {
                pos = cur.i;
                if let Some(skip) = skip {
                    let line = w.line_of(start);
                    out.skip(line, w.base + start as u64, &skip);
                }
                w.seal_slice(out);
            }
            Ok(Step::Structure) => pos = cur.i,
            Err(JsonError::Eof) if !w.eof => {
                if w.buf.len() - step_start >= MAX_RECORD {
                    let line = w.line_of(step_start);
                    let offset = w.base + step_start as u64;
                    if !doc.skip_oversized(w, step_start, out) {
                        out.skip(
                            line,
                            offset,
                            &Skip::new(
                                SkipReason::RecordTooLarge,
                                format!(
                                    "JSON value longer than {} MiB; the rest of the input was not read",
                                    MAX_RECORD >> 20
                                ),
                            ),
                        );
                        break;
                    }
                    out.skip(
                        line,
                        offset,
                        &Skip::new(
                            SkipReason::RecordTooLarge,
                            format!(
                                "record longer than {} MiB; read past, not parsed",
                                MAX_RECORD >> 20
                            ),
                        ),
                    );
                    pos = 0;
                    continue;
                }
                pos = step_start - w.release(step_start, out);
                w.fill();
            }
            Err(err) => {
                let line = w.line_of(step_start);
                let skip = if err == JsonError::Eof {
                    Skip::new(SkipReason::TruncatedInput, w.truncation_detail())
                } else {
                    json_error_skip(err, &w.buf, step_start, "the rest of the input")
                };
                out.skip(line, w.base + step_start as u64, &skip);
                break;
            }
        }
    }
}

/// One unit of progress through a JSON document.
enum Step {
    /// A record was read (`skip` says if it was unusable); `start` is its buffer position.
    Record { start: usize, skip: Option<Skip> },
    /// Container syntax was consumed.
    Structure,
    /// The input holds nothing more.
    Done,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DocState {
    /// Between top-level values.
    Top,
    /// Inside an array of records; `container` when it is the value of `Records`/`records`/
    /// `Events` in an enclosing object.
    Elements { container: bool, first: bool },
    /// After the records array of a container object: skip its remaining keys.
    ObjectRest,
}

/// Keys whose array value holds the records: CloudTrail log files, Azure Monitor exports,
/// `lookup-events` output.
const CONTAINER_KEYS: [&[u8]; 3] = [b"Records", b"records", b"Events"];

struct JsonDoc {
    kind: Format,
    state: DocState,
    /// See [`Out::inject`].
    inject: Option<&'static str>,
}

impl JsonDoc {
    fn new(kind: Format, inject: Option<&'static str>) -> Self {
        JsonDoc {
            kind,
            state: DocState::Top,
            inject,
        }
    }

    /// Advances by one unit. The state changes only when the step succeeds, so a step that
    /// runs out of input is simply retried once more input is buffered.
    fn step(
        &mut self,
        cur: &mut Cursor,
        batch: &mut Batch,
        base: u64,
        line: u64,
        at_eof: bool,
    ) -> Result<Step, JsonError> {
        match self.state {
            DocState::Top => {
                if cur.at_end() {
                    return if at_eof {
                        Ok(Step::Done)
                    } else {
                        Err(JsonError::Eof)
                    };
                }
                match cur.peek()? {
                    b'[' => {
                        cur.i += 1;
                        self.state = DocState::Elements {
                            container: false,
                            first: true,
                        };
                        Ok(Step::Structure)
                    }
                    b'{' => {
                        let start = cur.i;
                        if self.enter_container(cur)? {
                            self.state = DocState::Elements {
                                container: true,
                                first: true,
                            };
                            return Ok(Step::Structure);
                        }
                        cur.i = start;
                        let skip = self.record(cur, batch, base, line)?;
                        Ok(Step::Record { start, skip })
                    }
                    _ => {
                        let (start, _) = cur.skip_span()?;
                        Ok(Step::Record {
                            start,
                            skip: Some(Skip::new(
                                SkipReason::WrongShape,
                                "a top-level JSON value that is not an object or array",
                            )),
                        })
                    }
                }
            }
            DocState::Elements { container, first } => {
                if cur.peek()? == b']' {
                    cur.i += 1;
                    self.state = if container {
                        DocState::ObjectRest
                    } else {
                        DocState::Top
                    };
                    return Ok(Step::Structure);
                }
                if !first {
                    cur.expect(b',', "expected ',' or ']' between records")?;
                }
                cur.ws();
                let start = cur.i;
                let skip = if cur.peek()? == b'{' {
                    self.record(cur, batch, base, line)?
                } else {
                    cur.skip()?;
                    Some(Skip::new(
                        SkipReason::WrongShape,
                        "an array element that is not a JSON object",
                    ))
                };
                self.state = DocState::Elements {
                    container,
                    first: false,
                };
                Ok(Step::Record { start, skip })
            }
            DocState::ObjectRest => match cur.peek()? {
                b'}' => {
                    cur.i += 1;
                    self.state = DocState::Top;
                    Ok(Step::Structure)
                }
                b',' => {
                    cur.i += 1;
                    cur.string()?;
                    cur.expect(b':', "expected ':'")?;
                    cur.skip()?;
                    Ok(Step::Structure)
                }
                _ => Err(JsonError::Syntax {
                    at: cur.i,
                    what: "expected ',' or '}'",
                }),
            },
        }
    }

    /// At a `{`: reads keys until one holds the records array, leaving the cursor inside it.
    /// False (cursor anywhere) when the object is a record itself.
    fn enter_container(&self, cur: &mut Cursor) -> Result<bool, JsonError> {
        cur.expect(b'{', "expected an object")?;
        if cur.peek()? == b'}' {
            return Ok(false);
        }
        loop {
            let k = cur.string()?;
            cur.expect(b':', "expected ':'")?;
            let key = &cur.b[k.range()];
            if CONTAINER_KEYS.contains(&key) && cur.peek()? == b'[' {
                cur.i += 1;
                return Ok(true);
            }
            cur.skip()?;
            match cur.peek()? {
                b',' => cur.i += 1,
                b'}' => return Ok(false),
                _ => {
                    return Err(JsonError::Syntax {
                        at: cur.i,
                        what: "expected ',' or '}'",
                    })
                }
            }
        }
    }

    fn record(
        &self,
        cur: &mut Cursor,
        batch: &mut Batch,
        base: u64,
        line: u64,
    ) -> Result<Option<Skip>, JsonError> {
        let start = cur.i;
        let offset = base + start as u64;
        let kind = self.kind;
        let src = cur.b;
        let parsed = parse_guarded(batch, src, self.inject, |batch| {
            let mut ctx = RecordCtx {
                batch,
                offset,
                line,
            };
            formats::parse_json_record(kind, cur, &mut ctx)
        });
        match parsed {
            Ok(r) => Ok(r?.err()),
            Err(skip) => {
                // Where the parser stopped is unknown: read past the whole value again.
                cur.i = start;
                cur.skip()?;
                Ok(Some(skip))
            }
        }
    }

    /// Reads past one oversized value that starts at `start` without holding it.
    /// Returns false if the state cannot resume after it.
    fn skip_oversized(&mut self, w: &mut Window, start: usize, out: &mut Out) -> bool {
        let resume = match self.state {
            DocState::Top => DocState::Top,
            DocState::Elements { container, .. } => DocState::Elements {
                container,
                first: false,
            },
            DocState::ObjectRest => return false,
        };
        let mut sk = ValueSkipper::default();
        let mut from = start;
        loop {
            if let Some(n) = sk.feed(&w.buf[from..]) {
                let end = from + n;
                w.release(end, out);
                self.state = resume;
                return true;
            }
            let len = w.buf.len();
            w.release(len, out);
            from = 0;
            if !w.fill() {
                return false;
            }
        }
    }
}

/// A resumable skipper for one JSON value (after optional whitespace and a `,`).
#[derive(Default)]
struct ValueSkipper {
    depth: u64,
    in_str: bool,
    esc: bool,
    started: bool,
    scalar: bool,
}

impl ValueSkipper {
    /// Feeds bytes; returns how many were consumed when the value ended in them.
    fn feed(&mut self, b: &[u8]) -> Option<usize> {
        for (i, &c) in b.iter().enumerate() {
            if self.in_str {
                if self.esc {
                    self.esc = false;
                } else if c == b'\\' {
                    self.esc = true;
                } else if c == b'"' {
                    self.in_str = false;
                    if self.depth == 0 {
                        return Some(i + 1);
                    }
                }
                continue;
            }
            if self.scalar {
                if matches!(c, b',' | b']' | b'}') || c.is_ascii_whitespace() {
                    return Some(i);
                }
                continue;
            }
            if !self.started {
                if c.is_ascii_whitespace() || c == b',' {
                    continue;
                }
                self.started = true;
            }
            match c {
                b'"' => self.in_str = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        return Some(i + 1);
                    }
                }
                _ if self.depth == 0 => self.scalar = true,
                _ => {}
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_skipper_resumes_across_chunks() {
        let doc = br#", {"a":"x}\"y","b":[1,{"c":2}]} , {"next":1}"#;
        for cut in 1..doc.len() {
            let mut sk = ValueSkipper::default();
            let n = match sk.feed(&doc[..cut]) {
                Some(n) => n,
                None => cut + sk.feed(&doc[cut..]).unwrap(),
            };
            assert_eq!(&doc[n..n + 3], b" , ", "cut at {cut}");
        }
    }
}
