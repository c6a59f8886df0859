//! Checkpoints off the path of commits. A group writer ([`super::Store::group`]) commits many
//! times a second; SQLite would copy the WAL back into the database (and sync both files) on
//! the committing thread every 1,000 pages, holding up every request waiting on that commit.
//! Here the commit only raises a flag, and a thread of its own, on its own connection, runs a
//! PASSIVE checkpoint: it copies and syncs what no reader still needs while the writer goes on
//! appending. A checkpoint running beside the writer never catches up with it, and the WAL can
//! only start over once every frame is copied, so the writer finishes the job at its next
//! commit: the thread passes over the WAL again while many frames are left, so by then only
//! the frames of a few commits are left to copy.
//!
//! Finishing costs the writer two syncs (the WAL, then the database), and the WAL's start
//! over one more; every request waiting on the writer waits through them. The threshold is
//! three times SQLite's own, so that this happens a third as often: a busy writer commits
//! some 25 pages a group, and at 1,000 pages it stopped for these syncs every 40 groups.

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};

use rusqlite::{Connection, OpenFlags};

/// WAL pages (of 4 KiB) after which a checkpoint is asked for: 12 MiB of log.
pub(super) const CHECKPOINT_PAGES: i32 = 3000;

/// The checkpointing thread passes over the WAL again while more than this many frames are
/// left uncopied.
const LEFT_TO_WRITER: i64 = 256;
/// The most passes in one turn.
const MAX_PASSES: usize = 4;

#[derive(Default)]
struct Flags {
    wanted: bool,
    /// The thread has checkpointed since it was last asked.
    done: bool,
    stop: bool,
}

#[derive(Default)]
struct Shared {
    flags: Mutex<Flags>,
    wake: Condvar,
}

/// The handle the store keeps; dropping it ends the thread after any checkpoint under way.
pub(super) struct Checkpointer {
    shared: Arc<Shared>,
}

impl Checkpointer {
    /// Hooks `conn`'s commits to a checkpointing thread on a second connection to `db`.
    /// Without a thread, SQLite's own checkpoint on commit is left in place.
    pub(super) fn start(conn: &mut Connection, db: &Path) -> Option<Checkpointer> {
        let other = Connection::open_with_flags(
            db,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .ok()?;
        other.busy_timeout(super::BUSY_TIMEOUT).ok()?;
        other.pragma_update(None, "synchronous", "NORMAL").ok()?;
        other
            .set_db_config(
                rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
                true,
            )
            .ok()?;
        let shared = Arc::new(Shared::default());
        let theirs = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("mlf-checkpoint".into())
            .spawn(move || run(&other, &theirs))
            .ok()?;
        let hook = Arc::clone(&shared);
        let hooked = conn.wal_hook(Some(move |wal: &mut rusqlite::hooks::Wal, pages| {
            if pages >= CHECKPOINT_PAGES && finish(&hook, pages) {
                // Errors leave frames for a later commit, as SQLite's own checkpoint does.
                let _ = wal.checkpoint_v2(rusqlite::wal::CheckpointMode::PASSIVE);
            }
            Ok(())
        }));
        let me = Checkpointer { shared };
        if hooked.is_err() {
            // The thread ends with `me`; the connection keeps its automatic checkpoints.
            return None;
        }
        Some(me)
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        let mut flags = self.shared.flags.lock().unwrap_or_else(|e| e.into_inner());
        flags.stop = true;
        self.shared.wake.notify_one();
    }
}

/// After a commit that left `pages` in the WAL: whether the committing thread should finish
/// the checkpoint now (the thread has done its part, or is far behind); otherwise the thread
/// is asked for one.
fn finish(shared: &Shared, pages: i32) -> bool {
    let mut flags = shared.flags.lock().unwrap_or_else(|e| e.into_inner());
    if flags.done || pages >= 4 * CHECKPOINT_PAGES {
        flags.done = false;
        return true;
    }
    if !flags.wanted {
        flags.wanted = true;
        shared.wake.notify_one();
    }
    false
}

fn run(conn: &Connection, shared: &Shared) {
    loop {
        {
            let mut flags = shared.flags.lock().unwrap_or_else(|e| e.into_inner());
            while !flags.wanted && !flags.stop {
                flags = shared.wake.wait(flags).unwrap_or_else(|e| e.into_inner());
            }
            if flags.stop {
                return;
            }
            flags.wanted = false;
        }
        // The writer goes on committing during a pass; passes repeat, each shorter than the
        // last, until what is left for the writer to copy is small. A busy database or a
        // reader holding old pages only leaves frames for the next turn.
        for _ in 0..MAX_PASSES {
            let left = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                Ok(r.get::<_, i64>(1)? - r.get::<_, i64>(2)?)
            });
            if !left.is_ok_and(|left| left > LEFT_TO_WRITER) {
                break;
            }
        }
        shared.flags.lock().unwrap_or_else(|e| e.into_inner()).done = true;
    }
}
