//! A pager for long output on a terminal, as git does it: `$MLF_PAGER`, then `$PAGER`, then
//! `less -FRX`, run by `sh -c` with its stdin a pipe that `Ui::out` writes to. `--no-pager`,
//! an empty value or `cat` turn it off; it never starts when stdout is no terminal.

use std::io::Write;
use std::process::{Child, ChildStdin, Command, Stdio};

use crate::env;

/// The pager shown when neither `MLF_PAGER` nor `PAGER` is set.
pub const DEFAULT: &str = "less -FRX";

/// A running pager: its process and the pipe to its stdin.
pub struct Pager {
    child: Child,
    stdin: Option<ChildStdin>,
}

/// The pager's command line, or `None` when paging is turned off by the environment.
pub fn command_line() -> Option<String> {
    let chosen = match env::var_raw(env::MLF_PAGER) {
        // Set but empty turns paging off, as git's `GIT_PAGER=`.
        Some(v) if v.trim().is_empty() => return None,
        Some(v) => Some(v),
        None => env::var_raw(env::PAGER),
    };
    let line = chosen.unwrap_or_else(|| DEFAULT.to_string());
    let line = line.trim().to_string();
    // `PAGER=` (set, empty) turns paging off too.
    (!line.is_empty() && line != "cat").then_some(line)
}

impl Pager {
    /// Starts the pager, or `None` when it is turned off or cannot be started (the output then
    /// goes straight to the terminal).
    pub fn start() -> Option<Pager> {
        let line = command_line()?;
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(&line).stdin(Stdio::piped());
        if env::var(env::LESS).is_none() {
            cmd.env(env::LESS, "FRX");
        }
        let mut child = cmd.spawn().ok()?;
        let stdin = child.stdin.take();
        // Ctrl-C goes to the pager (less answers it); mlf waits for the pager to end.
        crate::sys::ignore_signal(libc::SIGINT);
        Some(Pager { child, stdin })
    }

    /// Writes to the pager; an error when the pager has ended (the user quit it).
    pub fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match &mut self.stdin {
            Some(s) => s.write_all(bytes).and_then(|_| s.flush()),
            None => Err(std::io::ErrorKind::BrokenPipe.into()),
        }
    }

    /// Closes the pager's input and waits for the user to leave it.
    pub fn finish(mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}
