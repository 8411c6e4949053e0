//! Progress bars: drawn on stderr when it is a terminal, hidden otherwise, so
//! that scripts and logs see only results and errors.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// Makes progress bars, all hidden when stderr is not a terminal.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    visible: bool,
}

impl Progress {
    /// Bars are visible exactly when stderr is a terminal.
    pub fn for_stderr() -> Progress {
        Progress {
            visible: std::io::stderr().is_terminal(),
        }
    }

    /// Whether bars (and the closing summary line) are shown.
    pub fn visible(&self) -> bool {
        self.visible
    }

    /// A spinner counting input bytes of unknown total (see [`set_total_bytes`]).
    pub fn bytes(&self, message: &'static str) -> ProgressBar {
        self.bar(
            message,
            None,
            "{msg:>9} {spinner} [{elapsed_precise}] {binary_bytes} ({binary_bytes_per_sec})",
        )
    }

    /// A bar counting records out of `total`.
    pub fn records(&self, message: &'static str, total: u64) -> ProgressBar {
        self.bar(
            message,
            Some(total),
            "{msg:>9} {spinner} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} ({eta})",
        )
    }

    fn bar(&self, message: &'static str, total: Option<u64>, template: &str) -> ProgressBar {
        if !self.visible {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(total.unwrap_or(0)).with_message(message);
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    }
}

/// Turns a [`Progress::bytes`] spinner into a bar once the total is known.
pub fn set_total_bytes(bar: &ProgressBar, total: u64) {
    bar.set_length(total);
    if let Ok(style) = ProgressStyle::with_template(
        "{msg:>9} {spinner} [{elapsed_precise}] {wide_bar} {binary_bytes}/{binary_total_bytes} ({eta})",
    ) {
        bar.set_style(style);
    }
}
