//! Group commit on one connection: the writer of a server runs the requests waiting at one
//! moment in one IMMEDIATE transaction, each as a unit in a savepoint of its own, and commits
//! once. A unit that fails is undone alone; the group's changes become durable together.
//!
//! A group can also be undone whole (it is then "spoiled"): when its first write, which runs
//! without a savepoint ([`Store::write_first`]), fails, and when SQLite itself rolls the
//! transaction back after an error (a full disk, an I/O error). Every later unit and write of
//! the group is then refused rather than run outside the transaction, and [`Store::group`]
//! rolls back and answers an error instead of committing.

use std::time::Duration;

use rusqlite::Connection;

use super::{BUSY_RETRIES, DB_FILE, Store, checkpoint, is_busy, run, savepoint};
use crate::store::{Error, Result};

/// What every request of an undone group is answered.
fn undone() -> Error {
    Error::Unavailable("a write failed and its group of requests was undone; try again".into())
}

impl Store {
    /// Group commit: runs `f` inside one IMMEDIATE transaction, in which every write of the
    /// store is a savepoint, and commits once at the end. `f` hands out its own units of work
    /// with [`Store::unit`]; a unit that fails is undone alone. The group's changes become
    /// durable together: nobody may be told a unit is stored before this returns `Ok`.
    pub fn group<T>(&mut self, f: impl FnOnce(&mut Store) -> T) -> Result<T> {
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
                Ok(()) => break,
            }
        }
        (self.grouping, self.fresh, self.spoiled) = (true, true, false);
        let value = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(self)));
        let spoiled = self.spoiled || self.conn.is_autocommit();
        (self.grouping, self.fresh, self.spoiled) = (false, false, false);
        let value = match value {
            Ok(value) if !spoiled => value,
            outcome => {
                if !self.conn.is_autocommit() {
                    let _ = run(&self.conn, "ROLLBACK");
                }
                return match outcome {
                    Err(panic) => std::panic::resume_unwind(panic),
                    Ok(_) => Err(undone()),
                };
            }
        };
        match run(&self.conn, "COMMIT") {
            Ok(()) => Ok(value),
            Err(e) => {
                let _ = run(&self.conn, "ROLLBACK");
                Err(e.into())
            }
        }
    }

    /// One unit of work inside a [`Store::group`]: its writes are undone together when it
    /// returns `Err` (or panics), and kept for the group's commit when it returns `Ok`. In a
    /// spoiled group it is refused. Outside a group it runs as it is.
    pub fn unit<T, E>(
        &mut self,
        f: impl FnOnce(&mut Store) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E>
    where
        E: From<Error>,
    {
        if !self.grouping {
            return f(self);
        }
        if self.spoiled_now() {
            return Err(E::from(undone()));
        }
        self.fresh = false;
        run(&self.conn, "SAVEPOINT mlf_unit").map_err(|e| E::from(e.into()))?;
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(self)));
        if self.spoiled_now() {
            // SQLite rolled the whole transaction back: there is no savepoint left to end.
            return match result {
                Err(panic) => std::panic::resume_unwind(panic),
                Ok(_) => Err(E::from(undone())),
            };
        }
        let undo = !matches!(result, Ok(Ok(_)));
        let ended = if undo {
            run(&self.conn, "ROLLBACK TO mlf_unit")
                .and_then(|()| run(&self.conn, "RELEASE mlf_unit"))
        } else {
            run(&self.conn, "RELEASE mlf_unit")
        };
        match result {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(value) => {
                ended.map_err(|e| E::from(e.into()))?;
                value
            }
        }
    }

    /// A write inside a group: in a savepoint of the group's transaction, undone alone when
    /// it fails; refused in a spoiled group.
    pub(super) fn write_in_group<T>(
        &mut self,
        mut f: impl FnMut(&Connection) -> Result<T>,
    ) -> Result<T> {
        if self.spoiled_now() {
            return Err(undone());
        }
        self.fresh = false;
        let result = savepoint(&self.conn, || f(&self.conn));
        if result.is_err() && self.spoiled_now() {
            return Err(undone());
        }
        result
    }

    /// Runs `f` as the first write of a group's transaction without a savepoint: should it
    /// fail (or panic), the whole group is undone instead of committed. Anywhere else it runs
    /// as [`Store::write`] does. A savepoint copies every page a write changes before the
    /// first change; the first write of a transaction has nothing before it to keep.
    pub(crate) fn write_first<T>(
        &mut self,
        mut f: impl FnMut(&Connection) -> Result<T>,
    ) -> Result<T> {
        if !(self.grouping && self.fresh) {
            return self.write(f);
        }
        self.fresh = false;
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&self.conn)));
        if !matches!(result, Ok(Ok(_))) {
            self.spoiled = true;
        }
        result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }

    /// Undoes the group whole: its later units and writes are refused, and [`Store::group`]
    /// rolls back and answers an error instead of committing.
    pub fn spoil(&mut self) {
        if self.grouping {
            self.spoiled = true;
        }
    }

    /// Whether the group is spoiled: marked so, or its transaction rolled back by SQLite.
    fn spoiled_now(&mut self) -> bool {
        if self.grouping && self.conn.is_autocommit() {
            self.spoiled = true;
        }
        self.spoiled
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::test_support::{nearly_full, temp_store};

    #[test]
    fn a_group_commits_its_good_units_and_undoes_a_failed_one_alone() {
        let (dir, mut store) = temp_store("group");
        let outcome = store
            .group(|s| {
                let a: Result<()> = s.unit(|s| s.set_state("a", Some("1")));
                let b: Result<()> = s.unit(|s| {
                    s.set_state("b", Some("2"))?;
                    s.set_state("c", Some("3"))?;
                    Err(Error::Invalid("refused".into()))
                });
                let d: Result<()> = s.unit(|s| s.set_state("d", Some("4")));
                (a.is_ok(), b.is_err(), d.is_ok())
            })
            .unwrap();
        assert_eq!(outcome, (true, true, true));
        // Another connection sees what the group committed, and nothing of the failed unit.
        let other = Store::open(&dir).unwrap();
        assert_eq!(other.state("a").unwrap().as_deref(), Some("1"));
        assert_eq!(other.state("b").unwrap(), None);
        assert_eq!(other.state("c").unwrap(), None);
        assert_eq!(other.state("d").unwrap().as_deref(), Some("4"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The database full in the middle of a unit: SQLite rolls the whole transaction back, so
    /// the units before it are undone too, the units after it are refused instead of being
    /// committed outside the group, and the group answers an error.
    #[test]
    fn a_group_rolled_back_by_sqlite_is_undone_whole_and_runs_nothing_more() {
        let (dir, mut store) = temp_store("group-full");
        nearly_full(&store);
        let big = "x".repeat(64 * 1024);
        let mut answers = Vec::new();
        let outcome = store.group(|s| {
            let before: Result<()> = s.unit(|s| s.set_state("before", Some("1")));
            let full: Result<()> = s.unit(|s| s.set_state("big", Some(&big)));
            let after: Result<()> = s.unit(|s| s.set_state("after", Some("1")));
            let write = s.set_state("later", Some("1"));
            answers = vec![before.is_ok(), full.is_ok(), after.is_ok(), write.is_ok()];
        });
        assert_eq!(answers, vec![true, false, false, false]);
        assert!(outcome.is_err(), "{outcome:?}");
        store
            .conn
            .pragma_update(None, "max_page_count", 1 << 30)
            .unwrap();
        let other = Store::open(&dir).unwrap();
        for key in ["before", "big", "after", "later"] {
            assert_eq!(other.state(key).unwrap(), None, "{key}");
        }
        // The connection goes on: the next group commits.
        store
            .group(|s| s.unit(|s| s.set_state("next", Some("1"))))
            .unwrap()
            .unwrap();
        assert_eq!(other.state("next").unwrap().as_deref(), Some("1"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
