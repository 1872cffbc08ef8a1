//! A progress bar on standard error (only when it is a terminal).

use std::sync::Arc;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

#[derive(Clone)]
pub struct Bar {
    bar: ProgressBar,
    files: usize,
    started: Arc<Instant>,
}

impl Bar {
    pub fn new(files: usize, bytes: u64) -> Self {
        let bar = ProgressBar::with_draw_target(
            Some(bytes.max(1)),
            ProgressDrawTarget::stderr_with_hz(10),
        );
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {bytes_per_sec} ETA {eta} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Bar {
            bar,
            files,
            started: Arc::new(Instant::now()),
        }
    }

    pub fn update(&self, done: usize, bytes: u64) {
        self.bar.set_position(bytes);
        let _ = self.started;
        self.bar.set_message(format!("files {done}/{}", self.files));
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
