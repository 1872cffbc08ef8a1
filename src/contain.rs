//! Containing a panic to the record that caused it.
//!
//! Records are written by attackers. If one still finds a way to make a stage panic, that
//! must cost the one record, not the run: the stage catches the panic ([`guard`]), skips the
//! record as `internal_error` with its file and offset, the run finishes with exit status 3,
//! and the detection engine raises `trailhound.self_check` (high), because a crafted record
//! that crashes a detector is an attempt to switch it off.
//!
//! A leaf module: it uses only the `text` leaf.

use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

thread_local! {
    /// True while this thread runs inside [`guard`]: the hook records instead of printing.
    static GUARDED: Cell<bool> = const { Cell::new(false) };
    /// The message and place of the last panic caught on this thread.
    static CAUGHT: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Longest panic message kept (it may quote the record's text).
const MAX_MESSAGE: usize = 300;

/// Installs the panic hook once: inside [`guard`] a panic is recorded quietly for the run
/// summary; elsewhere the standard hook prints it as usual.
pub fn install_hook() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if GUARDED.with(Cell::get) {
                let place = info
                    .location()
                    .map(|l| format!(" at {}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                let text = format!("{}{place}", payload_text(info.payload()));
                CAUGHT.with(|c| *c.borrow_mut() = Some(text));
            } else {
                default(info);
            }
        }));
    });
}

fn payload_text(p: &(dyn std::any::Any + Send)) -> String {
    let text = if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".to_string()
    };
    // The reports escape it for their sink; here it is only bounded.
    crate::text::bounded(&text, MAX_MESSAGE)
}

/// Runs `f`; a panic inside it comes back as `Err(message)` instead of unwinding further.
///
/// What `f` changed before it panicked stays changed: callers undo what matters (the events a
/// parser had pushed) and treat the rest as they would a skipped record.
pub fn guard<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    let outer = GUARDED.with(|g| g.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(outer));
    result.map_err(|payload| {
        CAUGHT
            .with(|c| c.borrow_mut().take())
            .unwrap_or_else(|| payload_text(&*payload))
    })
}

/// The stage a contained panic happened in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// Opening, decompressing or framing a file (outside any one record).
    Read,
    Parse,
    /// Turning an event into the detectors' compact form (single-event rules included).
    Compact,
    Detect,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Read => "read",
            Stage::Parse => "parse",
            Stage::Compact => "compact",
            Stage::Detect => "detect",
        }
    }

    /// The `internal_error` skip's detail for a panic here: what failed, what became of the
    /// record, and the panic's message.
    pub fn detail(self, message: &str) -> String {
        match self {
            Stage::Read => format!(
                "internal error while reading; the rest of the file was not read: {message}"
            ),
            Stage::Parse | Stage::Compact | Stage::Detect => {
                let verb = match self {
                    Stage::Parse => "parsing",
                    Stage::Compact => "converting",
                    _ => "judging",
                };
                format!("internal error while {verb} (the record was skipped): {message}")
            }
        }
    }

    /// What the stage was doing, for the self-check finding's title.
    pub fn doing(self) -> &'static str {
        match self {
            Stage::Read => "reading a file",
            Stage::Parse => "parsing it",
            Stage::Compact => "converting it for the detectors",
            Stage::Detect => "judging it",
        }
    }
}

/// One contained panic: where it happened and what it said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    pub stage: Stage,
    /// Index of the input file, and byte offset of the record in its decoded text.
    pub file: u32,
    pub offset: u64,
    pub message: String,
}

impl Fault {
    /// The `internal_error` skip's detail.
    pub fn detail(&self) -> String {
        self.stage.detail(&self.message)
    }
}

/// Where a test asks for a deliberate panic: `TRAILHOUND_INJECT_PANIC=STAGE:USER_AGENT` makes
/// the stage (`parse`, `compact` or `detect`) panic on records with exactly that user agent.
/// It is how the tests prove containment end to end; read once per run (the caller keeps the
/// answer, so a record costs nothing).
pub fn injected(stage: Stage) -> Option<&'static str> {
    static SPEC: OnceLock<Option<(String, String)>> = OnceLock::new();
    let spec = SPEC.get_or_init(|| {
        let v = std::env::var("TRAILHOUND_INJECT_PANIC").ok()?;
        let (s, ua) = v.split_once(':')?;
        Some((s.to_string(), ua.to_string()))
    });
    match spec {
        Some((s, ua)) if s == stage.as_str() => Some(ua.as_str()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_message_and_the_thread_goes_on() {
        install_hook();
        let r: Result<(), String> = guard(|| {
            let s = String::from("xé");
            let n = s.len() - 1;
            // A byte slice that lands inside 'é', as the user-agent bug did.
            let _ = std::hint::black_box(&s.as_bytes()[..n]);
            panic!("boom {}", "é".repeat(500));
        });
        let msg = r.unwrap_err();
        assert!(msg.starts_with("boom "), "{msg}");
        assert!(
            msg.chars().count() <= MAX_MESSAGE + 40,
            "bounded: {}",
            msg.len()
        );
        assert_eq!(guard(|| 7), Ok(7));
        // Nested guards restore the outer state.
        let outer = guard(|| {
            let inner = guard(|| panic!("inner"));
            assert!(inner.is_err());
            GUARDED.with(Cell::get)
        });
        assert_eq!(outer, Ok(true));
        assert!(!GUARDED.with(Cell::get));
    }
}
