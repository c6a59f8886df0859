//! Child processes of `mlf run`: signal forwarding and exit codes.
//!
//! While a child runs, SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to mlf by another process
//! (`kill`) are passed on to the child. The same signals raised by the terminal (Ctrl-C) already
//! reach the child, which shares mlf's process group, so they are not sent twice; mlf itself
//! stays alive until the child has ended, to record how it ended.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// Children signals are passed on to (0 = free slot).
static CHILDREN: [AtomicI32; 64] = [const { AtomicI32::new(0) }; 64];
static FORWARDED: AtomicBool = AtomicBool::new(false);
/// The last forwardable signal that arrived (0 = none).
static ARRIVED: AtomicI32 = AtomicI32::new(0);
/// A signal that arrived before the child existed, to deliver once it does.
static PENDING: AtomicI32 = AtomicI32::new(0);

const FORWARD: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];
fn on_signal(sig: libc::c_int, from_terminal: bool) {
    FORWARDED.store(true, Ordering::SeqCst);
    ARRIVED.store(sig, Ordering::SeqCst);
    if from_terminal {
        // The terminal's signals reach the children by themselves.
        return;
    }
    let mut any = false;
    for slot in &CHILDREN {
        let pid = slot.load(Ordering::SeqCst);
        if pid > 0 {
            any = true;
            crate::sys::send_signal(pid, sig);
        }
    }
    if !any {
        // No child yet: deliver it when one starts.
        PENDING.store(sig, Ordering::SeqCst);
    }
}

/// Installs the forwarding handlers (before spawning).
pub fn install_forwarding() {
    crate::sys::on_signals(&FORWARD, on_signal);
}

/// Tells the handlers about a child to forward to.
pub fn add_child(pid: u32) {
    for slot in &CHILDREN {
        if slot
            .compare_exchange(0, pid as i32, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            break;
        }
    }
    let pending = PENDING.swap(0, Ordering::SeqCst);
    if pending != 0 {
        crate::sys::send_signal(pid as i32, pending);
    }
}

/// Forgets a child that has ended.
pub fn remove_child(pid: u32) {
    for slot in &CHILDREN {
        let _ = slot.compare_exchange(pid as i32, 0, Ordering::SeqCst, Ordering::SeqCst);
    }
}

/// Whether a forwardable signal arrived while the child ran.
pub fn signal_arrived() -> bool {
    FORWARDED.load(Ordering::SeqCst)
}

/// The exit code for a signal that arrived (128+N, as a shell gives), if one did.
pub fn signal_exit_code() -> Option<u8> {
    match ARRIVED.load(Ordering::SeqCst) {
        0 => None,
        sig => Some((128 + sig) as u8),
    }
}

/// Looks a program up like a shell: a path with `/` as given, else each `PATH` entry.
pub fn find_program(program: &str) -> Option<std::path::PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let executable = |p: &std::path::Path| {
        p.is_file()
            && p.metadata()
                .map(|m| m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
    };
    if program.contains('/') {
        let p = std::path::PathBuf::from(program);
        return executable(&p).then_some(p);
    }
    let path = crate::env::var(crate::env::PATH)?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| executable(p))
}

/// Quotes an argument for display in a shell command line.
pub fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}
