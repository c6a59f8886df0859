//! Sweeps: the grid of parameter values, and running its points (each as a child run of the
//! sweep's parent run) a few at a time. What running one point means is the front end's: it
//! gives a `Launcher`, and this module schedules the points, collects how each went in the
//! grid's order, and closes the parent run.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::store::{Backend, Result};
use crate::tracking::RunStatus;

/// One combination of parameter values: (key, value) in the order the keys were given.
pub type Point = Vec<(String, String)>;

/// Every combination of the given values, the first key varying slowest; one point (with no
/// values at all) when nothing is given.
pub fn grid(given: &[(String, Vec<String>)]) -> Vec<Point> {
    let mut points: Vec<Point> = vec![Vec::new()];
    for (key, values) in given {
        let mut next = Vec::new();
        for p in &points {
            for v in values {
                let mut q = p.clone();
                q.push((key.clone(), v.clone()));
                next.push(q);
            }
        }
        points = next;
    }
    points
}

/// Runs the points of a sweep; called from several threads at once.
pub trait Launcher: Sync {
    /// How one point went: its run and how it ended, or why it could not run.
    type Outcome: Send;
    /// Runs point `index`; `echo`: the runs go one at a time, so its output may be shown.
    fn launch(&self, index: usize, echo: bool) -> Self::Outcome;
    /// Whether the point's run finished.
    fn finished(&self, outcome: &Self::Outcome) -> bool;
    /// Called (on the thread that ran it) as soon as point `index` has ended.
    fn ended(&self, _index: usize, _outcome: &Self::Outcome) {}
    /// Whether the sweep was told to stop (Ctrl-C): no further point starts.
    fn stopped(&self) -> bool {
        false
    }
}

/// How a sweep went.
#[derive(Debug)]
pub struct Summary<T> {
    /// How each point went, in the grid's order.
    pub outcomes: Vec<T>,
    /// How many points did not finish.
    pub failed: usize,
    /// How many points never started because the sweep was stopped.
    pub not_started: usize,
    /// The sweep was stopped (Ctrl-C) while it ran.
    pub stopped: bool,
}

impl<T> Summary<T> {
    /// The status of the parent run: killed when the sweep was stopped, else finished when
    /// every point did.
    pub fn status(&self) -> RunStatus {
        if self.stopped {
            RunStatus::Killed
        } else if self.failed == 0 {
            RunStatus::Finished
        } else {
            RunStatus::Failed
        }
    }
}

/// Runs points `0..count`, `jobs` at a time (at least one); once the launcher says it is
/// stopped, no further point starts.
pub fn schedule<L: Launcher>(launcher: &L, count: usize, jobs: usize) -> Summary<L::Outcome> {
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, L::Outcome)>> = Mutex::new(Vec::with_capacity(count));
    let echo = jobs == 1;
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1).min(count) {
            scope.spawn(|| {
                loop {
                    if launcher.stopped() {
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= count {
                        break;
                    }
                    let outcome = launcher.launch(i, echo);
                    launcher.ended(i, &outcome);
                    done.lock().expect("sweep results lock").push((i, outcome));
                }
            });
        }
    });
    let mut done = done.into_inner().expect("sweep results lock");
    done.sort_by_key(|(i, _)| *i);
    let failed = done.iter().filter(|(_, o)| !launcher.finished(o)).count();
    Summary {
        not_started: count - done.len(),
        stopped: launcher.stopped(),
        outcomes: done.into_iter().map(|(_, o)| o).collect(),
        failed,
    }
}

/// Ends the parent run `parent_id` of a sweep with the sweep's status.
pub fn finish<S: Backend + ?Sized, T>(
    store: &mut S,
    parent_id: &str,
    summary: &Summary<T>,
) -> Result<()> {
    store.update_run(
        parent_id,
        summary.status(),
        Some(crate::tracking::ids::now_ms()),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn given(pairs: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
        pairs
            .iter()
            .map(|(k, vs)| (k.to_string(), vs.iter().map(|v| v.to_string()).collect()))
            .collect()
    }

    fn shown(points: &[Point]) -> Vec<String> {
        points
            .iter()
            .map(|p| {
                p.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    #[test]
    fn nothing_given_is_one_empty_point() {
        assert_eq!(grid(&[]), vec![Vec::<(String, String)>::new()]);
    }

    #[test]
    fn one_key_gives_one_point_per_value() {
        let points = grid(&given(&[("lr", &["0.1", "0.01"])]));
        assert_eq!(shown(&points), ["lr=0.1", "lr=0.01"]);
    }

    #[test]
    fn the_grid_is_the_product_with_the_first_key_slowest() {
        let points = grid(&given(&[
            ("lr", &["0.1", "0.01"]),
            ("depth", &["3", "5", "7"]),
        ]));
        assert_eq!(
            shown(&points),
            [
                "lr=0.1 depth=3",
                "lr=0.1 depth=5",
                "lr=0.1 depth=7",
                "lr=0.01 depth=3",
                "lr=0.01 depth=5",
                "lr=0.01 depth=7",
            ]
        );
    }

    #[test]
    fn a_key_without_values_empties_the_grid() {
        assert!(grid(&given(&[("lr", &["0.1"]), ("depth", &[])])).is_empty());
    }

    /// Launches nothing: records what it was asked, and fails the points listed.
    struct Fake {
        fail: Vec<usize>,
        launched: Mutex<Vec<(usize, bool)>>,
        ended: Mutex<Vec<usize>>,
        running: AtomicUsize,
        most: AtomicUsize,
        /// Stop once this many points have been launched.
        stop_after: Option<usize>,
    }

    impl Fake {
        fn new(fail: &[usize]) -> Fake {
            Fake {
                fail: fail.to_vec(),
                launched: Mutex::new(Vec::new()),
                ended: Mutex::new(Vec::new()),
                running: AtomicUsize::new(0),
                most: AtomicUsize::new(0),
                stop_after: None,
            }
        }
    }

    impl Launcher for Fake {
        type Outcome = Result<usize, usize>;
        fn launch(&self, index: usize, echo: bool) -> Self::Outcome {
            let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
            self.most.fetch_max(now, Ordering::SeqCst);
            self.launched.lock().unwrap().push((index, echo));
            std::thread::sleep(std::time::Duration::from_millis(20));
            self.running.fetch_sub(1, Ordering::SeqCst);
            if self.fail.contains(&index) {
                Err(index)
            } else {
                Ok(index * 10)
            }
        }
        fn finished(&self, outcome: &Self::Outcome) -> bool {
            outcome.is_ok()
        }
        fn ended(&self, index: usize, _outcome: &Self::Outcome) {
            self.ended.lock().unwrap().push(index);
        }
        fn stopped(&self) -> bool {
            self.stop_after
                .is_some_and(|n| self.launched.lock().unwrap().len() >= n)
        }
    }

    #[test]
    fn a_stopped_sweep_starts_no_more_points_and_kills_the_parent() {
        let mut fake = Fake::new(&[]);
        fake.stop_after = Some(2);
        let summary = schedule(&fake, 6, 1);
        assert_eq!(summary.outcomes.len(), 2);
        assert_eq!(summary.not_started, 4);
        assert_eq!(summary.status(), RunStatus::Killed);
    }

    #[test]
    fn one_at_a_time_runs_every_point_in_order_and_echoes() {
        let fake = Fake::new(&[]);
        let summary = schedule(&fake, 4, 1);
        assert_eq!(summary.outcomes, vec![Ok(0), Ok(10), Ok(20), Ok(30)]);
        assert_eq!(summary.failed, 0);
        assert_eq!(summary.status(), RunStatus::Finished);
        assert_eq!(
            *fake.launched.lock().unwrap(),
            vec![(0, true), (1, true), (2, true), (3, true)]
        );
        assert_eq!(*fake.ended.lock().unwrap(), vec![0, 1, 2, 3]);
        assert_eq!(fake.most.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn in_parallel_every_point_runs_once_and_outcomes_keep_the_grid_order() {
        let fake = Fake::new(&[]);
        let summary = schedule(&fake, 7, 3);
        assert_eq!(
            summary.outcomes,
            (0..7).map(|i| Ok(i * 10)).collect::<Vec<_>>()
        );
        let mut launched = fake.launched.lock().unwrap().clone();
        assert!(launched.iter().all(|(_, echo)| !echo));
        launched.sort();
        assert_eq!(
            launched.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
            (0..7).collect::<Vec<_>>()
        );
        let most = fake.most.load(Ordering::SeqCst);
        assert!((1..=3).contains(&most), "{most} ran at once");
    }

    #[test]
    fn no_more_workers_than_points() {
        let fake = Fake::new(&[]);
        let summary = schedule(&fake, 2, 8);
        assert_eq!(summary.outcomes.len(), 2);
        assert!(fake.most.load(Ordering::SeqCst) <= 2);
    }

    #[test]
    fn failures_are_counted_and_fail_the_parent() {
        let fake = Fake::new(&[1, 3]);
        let summary = schedule(&fake, 5, 2);
        assert_eq!(summary.failed, 2);
        assert_eq!(summary.status(), RunStatus::Failed);
        assert_eq!(summary.outcomes[1], Err(1));
        assert_eq!(summary.outcomes[4], Ok(40));
    }
}
