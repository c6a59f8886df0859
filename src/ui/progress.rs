//! Progress bars for long copies: on stderr, only for a terminal, never under `--quiet`.

use indicatif::{ProgressBar, ProgressStyle};

use super::Ui;

/// Copies larger than this show a bar.
const MIN_BYTES: u64 = 8 * 1024 * 1024;

/// A byte-progress bar when it helps, else a hidden one.
pub fn bytes(ui: &Ui, total: u64, verb: &str) -> ProgressBar {
    if ui.quiet || !ui.stderr_tty || total < MIN_BYTES {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:>9} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_message(verb.to_string());
    bar
}
