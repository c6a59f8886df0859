//! Output: stdout carries data only (tables, JSON, CSV, ids); notices, warnings and errors go
//! to stderr. Colour is decided once (flag, then `NO_COLOR`, then `CLICOLOR_FORCE`, then
//! `TERM=dumb`, then tty).
//! A closed stdout (`mlf runs list | head`) ends the program quietly with exit code 0; a
//! closed stderr (`mlf run -- cmd 2>&1 | head`) is not an error either: what cannot be shown
//! there is dropped, and the command goes on (a run is still recorded and its exit code passed
//! on).
#![allow(clippy::print_stdout, clippy::print_stderr)]

pub mod chart;
pub mod format;
pub mod pager;
pub mod progress;
pub mod table;

use std::io::{IsTerminal, Write};

use crate::env;

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

pub struct Ui {
    pub color_stdout: bool,
    pub color_stderr: bool,
    pub stdout_tty: bool,
    pub stderr_tty: bool,
    /// Terminal width for tables: `COLUMNS`, else the terminal's, else none.
    pub width: Option<u16>,
    pub quiet: bool,
    /// Whether long output may go through a pager: stdout is a terminal (not `TERM=dumb`) and
    /// no `--no-pager`.
    pub may_page: bool,
    pager: std::sync::Mutex<Option<pager::Pager>>,
}

impl Ui {
    pub fn new(choice: ColorChoice, quiet: bool, no_pager: bool) -> Ui {
        let stdout_tty = std::io::stdout().is_terminal();
        let stderr_tty = std::io::stderr().is_terminal();
        let forced = match choice {
            ColorChoice::Always => Some(true),
            ColorChoice::Never => Some(false),
            ColorChoice::Auto => {
                if env::var(env::NO_COLOR).is_some() {
                    Some(false)
                } else if env::var(env::CLICOLOR_FORCE).is_some_and(|v| v != "0") {
                    Some(true)
                } else if env::var(env::TERM).is_some_and(|t| t == "dumb") {
                    Some(false)
                } else {
                    None
                }
            }
        };
        let width = env::var(env::COLUMNS)
            .and_then(|c| c.parse::<u16>().ok())
            .or_else(|| if stdout_tty { terminal_width() } else { None });
        Ui {
            color_stdout: forced.unwrap_or(stdout_tty),
            color_stderr: forced.unwrap_or(stderr_tty),
            stdout_tty,
            stderr_tty,
            width,
            quiet,
            // A dumb terminal cannot run a pager (less asks to press RETURN first).
            may_page: stdout_tty && !no_pager && env::var(env::TERM).is_none_or(|t| t != "dumb"),
            pager: std::sync::Mutex::new(None),
        }
    }

    /// Sends the rest of the data on stdout through the pager, when stdout is a terminal and
    /// paging is not turned off. Commands call it once their data is read, before printing.
    pub fn page(&self) {
        if !self.may_page {
            return;
        }
        let mut pager = self.pager.lock().unwrap_or_else(|e| e.into_inner());
        if pager.is_none() {
            *pager = pager::Pager::start();
        }
    }

    /// Waits for the pager, if one was started, to end: the end of every command.
    pub fn finish(&self) {
        let pager = self.pager.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(p) = pager {
            p.finish();
        }
    }

    /// Writes data to stdout.
    pub fn out(&self, text: &str) {
        self.write_out(text.as_bytes());
    }

    /// Writes data to the pager when one runs; `false` when none does.
    fn to_pager(&self, bytes: &[u8]) -> bool {
        let mut pager = self.pager.lock().unwrap_or_else(|e| e.into_inner());
        let Some(p) = pager.as_mut() else {
            return false;
        };
        if p.write(bytes).is_err() {
            // The user left the pager: the rest of the output has nowhere to go.
            if let Some(p) = pager.take() {
                p.finish();
            }
            std::process::exit(0);
        }
        true
    }

    /// Writes raw data to stdout (or the pager); a closed stdout ends the program quietly.
    fn write_out(&self, bytes: &[u8]) {
        if self.to_pager(bytes) {
            return;
        }
        let mut stdout = std::io::stdout().lock();
        if let Err(e) = stdout.write_all(bytes).and_then(|_| stdout.flush()) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }

    /// Writes a line of data to stdout.
    pub fn line(&self, text: &str) {
        self.out(&format!("{text}\n"));
    }

    /// Writes a value as pretty JSON to stdout.
    pub fn json<T: serde::Serialize>(&self, value: &T) -> Result<(), serde_json::Error> {
        let mut text = serde_json::to_string_pretty(value)?;
        text.push('\n');
        self.out(&text);
        Ok(())
    }

    /// A notice on stderr, such as `Created store at …`; hidden by `--quiet`.
    pub fn status(&self, verb: &str, message: &str) {
        if self.quiet {
            return;
        }
        let verb = self.paint_err(verb, "1;32");
        err_line(&format!("{verb} {message}"));
    }

    /// A hint on stderr (what to do next); hidden by `--quiet`.
    pub fn hint(&self, message: &str) {
        if self.quiet {
            return;
        }
        let label = self.paint_err("hint:", "1;36");
        err_line(&format!("{label} {message}"));
    }

    /// A warning on stderr.
    pub fn warn(&self, message: &str) {
        let label = self.paint_err("warning:", "1;33");
        err_line(&format!("{label} {message}"));
    }

    /// Renders an error (its message, causes and hints) to stderr in the cargo shape.
    pub fn error(&self, message: &str, causes: &[String], hints: &[String]) {
        let label = self.paint_err("error:", "1;31");
        let mut text = format!("{label} {}\n", one_line(message));
        for cause in causes {
            text.push_str(&format!("  Caused by: {}\n", one_line(cause)));
        }
        for hint in hints {
            let label = self.paint_err("hint:", "1;36");
            text.push_str(&format!("{label} {hint}\n"));
        }
        let _ = std::io::stderr().write_all(text.as_bytes());
    }

    /// Raw bytes to stderr (a child's output being relayed).
    pub fn err_bytes(&self, bytes: &[u8]) {
        let mut e = std::io::stderr().lock();
        let _ = e.write_all(bytes).and_then(|_| e.flush());
    }

    /// Raw bytes to stdout (a child's output being relayed); a closed stdout is ignored.
    pub fn out_bytes(&self, bytes: &[u8]) {
        let mut o = std::io::stdout().lock();
        let _ = o.write_all(bytes).and_then(|_| o.flush());
    }

    fn paint_err(&self, text: &str, code: &str) -> String {
        paint(self.color_stderr, text, code)
    }

    pub fn paint_out(&self, text: &str, code: &str) -> String {
        paint(self.color_stdout, text, code)
    }
}

/// A message on one line: line breaks (with the indentation after them) become one space, so
/// that an error is always one line however its parts were written (a tool's multi-line
/// message, a value holding a newline).
fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    if let Some(first) = lines.next() {
        out.push_str(first);
    }
    for l in lines {
        out.push(' ');
        out.push_str(l);
    }
    out
}

/// A line on stderr from any thread (progress of builds and sweeps).
pub fn eprint_line(text: &str) {
    err_line(text);
}

/// Writes a line to stderr; a closed or failing stderr is ignored (unlike `eprintln!`, which
/// panics).
fn err_line(text: &str) {
    let mut e = std::io::stderr().lock();
    let _ = e
        .write_all(format!("{text}\n").as_bytes())
        .and_then(|_| e.flush());
}

fn paint(on: bool, text: &str, code: &str) -> String {
    if on {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn terminal_width() -> Option<u16> {
    crate::sys::terminal_width()
}

#[cfg(test)]
mod tests {
    #[test]
    fn messages_are_one_line() {
        assert_eq!(super::one_line("a\n  b\r\n\nc"), "a b c");
        assert_eq!(super::one_line("plain"), "plain");
    }
}
