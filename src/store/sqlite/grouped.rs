//! Group commit on SQLite: one IMMEDIATE transaction for a group of requests, a savepoint
//! for each. The savepoints' journals stay in memory, and the WAL is checkpointed by a thread
//! of its own (`checkpoint.rs`).

use std::time::Duration;

use super::{BUSY_RETRIES, DB_FILE, Store, checkpoint, is_busy, run};
use crate::store::{Grouped, Result, ServerStore};

impl Grouped for Store {
    fn begin_group(&mut self) -> Result<()> {
        if !self.grouped {
            // Each unit's savepoint journals the pages it changes. Past 64 KiB SQLite spills
            // that journal to a temporary file, rewritten for every unit; held in memory it
            // costs no system call.
            run(&self.conn, "PRAGMA temp_store = MEMORY")?;
            let db = self.root.join(DB_FILE);
            self.checkpointer = checkpoint::Checkpointer::start(&mut self.conn, &db);
            self.grouped = true;
        }
        let mut attempt = 0;
        loop {
            match run(&self.conn, "BEGIN IMMEDIATE") {
                Err(e) if is_busy(&e) && attempt < BUSY_RETRIES => {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(5 * u64::from(attempt)));
                }
                Err(e) => return Err(e.into()),
                Ok(()) => return Ok(()),
            }
        }
    }

    fn commit_group(&mut self) -> Result<()> {
        run(&self.conn, "COMMIT").map_err(|e| {
            let _ = run(&self.conn, "ROLLBACK");
            e.into()
        })
    }

    fn begin_unit(&mut self) -> Result<()> {
        Ok(run(&self.conn, "SAVEPOINT mlf_unit")?)
    }

    fn end_unit(&mut self, keep: bool) -> Result<()> {
        if keep {
            Ok(run(&self.conn, "RELEASE mlf_unit")?)
        } else {
            run(&self.conn, "ROLLBACK TO mlf_unit")?;
            Ok(run(&self.conn, "RELEASE mlf_unit")?)
        }
    }

    fn as_server(&mut self) -> &mut dyn ServerStore {
        self
    }
}
