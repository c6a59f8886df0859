//! The store's tables as data, for `mlf store copy`: which tables a store holds, their columns
//! and keys, in an order where what a row refers to is written before it. Both SQL stores read
//! them ([`TableSource`]) and write them ([`TableTarget`]), each in its own dialect; rows pass
//! between them as [`Cell`]s.
//!
//! Rows keep their ids (experiment ids, run ids, version numbers, request and event ids), but
//! not the stores' own row numbers of runs: a table that refers to a run by that number is
//! read with the run's id in its place (the column `run_uuid` first), and the target looks its
//! own number up.

use super::Result;

/// One value of a row: integers (and booleans), reals, or anything else as its text.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

/// How a column is typed; booleans are `0`/`1` in [`Cell::Int`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Real,
    Text,
    Bool,
}

/// What a copied row does to a row of the target with the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnKey {
    /// Becomes the source's row.
    Update,
    /// Stays (every column is the key).
    Keep,
}

/// One table of the store.
#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    /// The columns as read and written, in order. With `by_run`, the first is `run_uuid`,
    /// standing for the table's `run_id` (the run's row number).
    pub columns: &'static [(&'static str, Kind)],
    /// The columns of the key that a copied row is matched on (`run_id` for `run_uuid`).
    pub key: &'static [&'static str],
    pub by_run: bool,
    pub on_key: OnKey,
    /// Kept by the store in a directory alone (the PostgreSQL store has no such table).
    pub local_only: bool,
}

impl Table {
    /// The columns' names.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.columns.iter().map(|(n, _)| *n)
    }

    /// The columns a copied row sets on the row with its key (neither the key nor the run).
    pub fn updated(&self) -> Vec<&'static str> {
        self.names()
            .filter(|c| !(self.key.contains(c) || self.by_run && *c == "run_uuid"))
            .collect()
    }

    /// The columns an insert names, quoted: `run_id` in place of `run_uuid` for a table of a
    /// run's rows.
    pub fn insert_columns(&self) -> String {
        let quote = |c: &str| format!("\"{c}\"");
        let mut cols: Vec<String> = Vec::with_capacity(self.columns.len());
        if self.by_run {
            cols.push("run_id".into());
        }
        cols.extend(self.names().skip(usize::from(self.by_run)).map(quote));
        cols.join(", ")
    }

    /// `ON CONFLICT (KEY) DO NOTHING`, or `DO UPDATE SET` the other columns with a `WHERE`
    /// that `differ` writes in its dialect from the columns' names (so an unchanged row is not
    /// counted as written).
    pub fn on_conflict(&self, differ: impl Fn(&[&'static str]) -> String) -> String {
        let quote = |c: &str| format!("\"{c}\"");
        let key: Vec<String> = self.key.iter().map(|k| quote(k)).collect();
        let rest = self.updated();
        if self.on_key == OnKey::Keep || rest.is_empty() {
            return format!("ON CONFLICT ({}) DO NOTHING", key.join(", "));
        }
        let set: Vec<String> = rest
            .iter()
            .map(|c| format!("{0} = excluded.{0}", quote(c)))
            .collect();
        format!(
            "ON CONFLICT ({}) DO UPDATE SET {} WHERE {}",
            key.join(", "),
            set.join(", "),
            differ(&rest)
        )
    }

    /// The SELECT of the table's rows, in both SQL dialects; a run's row number read as its
    /// id.
    pub fn select_sql(&self) -> String {
        let quote = |c: &str| format!("\"{c}\"");
        if self.by_run {
            let rest: Vec<String> = self
                .names()
                .skip(1)
                .map(|c| format!("t.{}", quote(c)))
                .collect();
            format!(
                "SELECT r.run_uuid, {} FROM {} t JOIN runs r ON r.id = t.run_id",
                rest.join(", "),
                quote(self.name)
            )
        } else {
            let cols: Vec<String> = self.names().map(quote).collect();
            format!("SELECT {} FROM {}", cols.join(", "), quote(self.name))
        }
    }

    /// The position of a column.
    pub fn index(&self, column: &str) -> Option<usize> {
        self.columns.iter().position(|(n, _)| *n == column)
    }
}

use Kind::{Bool, Int, Real, Text};

const fn table(
    name: &'static str,
    columns: &'static [(&'static str, Kind)],
    key: &'static [&'static str],
) -> Table {
    Table {
        name,
        columns,
        key,
        by_run: false,
        on_key: OnKey::Update,
        local_only: false,
    }
}

const fn by_run(
    name: &'static str,
    columns: &'static [(&'static str, Kind)],
    key: &'static [&'static str],
    on_key: OnKey,
) -> Table {
    Table {
        name,
        columns,
        key,
        by_run: true,
        on_key,
        local_only: false,
    }
}

/// Every table a copy writes, parents first.
pub const TABLES: &[Table] = &[
    table(
        "experiments",
        &[
            ("experiment_id", Int),
            ("name", Text),
            ("artifact_location", Text),
            ("lifecycle_stage", Text),
            ("creation_time", Int),
            ("last_update_time", Int),
        ],
        &["experiment_id"],
    ),
    table(
        "experiment_tags",
        &[("experiment_id", Int), ("key", Text), ("value", Text)],
        &["experiment_id", "key"],
    ),
    table(
        "runs",
        &[
            ("run_uuid", Text),
            ("name", Text),
            ("experiment_id", Int),
            ("user_id", Text),
            ("status", Text),
            ("start_time", Int),
            ("end_time", Int),
            ("lifecycle_stage", Text),
            ("deleted_time", Int),
            ("artifact_uri", Text),
            ("owner_pid", Int),
            ("owner_host", Text),
        ],
        &["run_uuid"],
    ),
    by_run(
        "params",
        &[("run_uuid", Text), ("key", Text), ("value", Text)],
        &["run_id", "key"],
        OnKey::Update,
    ),
    by_run(
        "tags",
        &[("run_uuid", Text), ("key", Text), ("value", Text)],
        &["run_id", "key"],
        OnKey::Update,
    ),
    by_run(
        "metrics",
        METRIC,
        &["run_id", "key", "step", "timestamp", "value", "is_nan"],
        OnKey::Keep,
    ),
    by_run("latest_metrics", METRIC, &["run_id", "key"], OnKey::Update),
    table(
        "registered_models",
        &[
            ("name", Text),
            ("description", Text),
            ("user_id", Text),
            ("creation_time", Int),
            ("last_updated_time", Int),
        ],
        &["name"],
    ),
    table(
        "registered_model_tags",
        &[("name", Text), ("key", Text), ("value", Text)],
        &["name", "key"],
    ),
    table(
        "model_versions",
        &[
            ("name", Text),
            ("version", Int),
            ("description", Text),
            ("user_id", Text),
            ("current_stage", Text),
            ("source", Text),
            ("run_id", Text),
            ("storage_location", Text),
            ("status", Text),
            ("deleted", Bool),
            ("creation_time", Int),
            ("last_updated_time", Int),
        ],
        &["name", "version"],
    ),
    table(
        "model_version_tags",
        &[
            ("name", Text),
            ("version", Int),
            ("key", Text),
            ("value", Text),
        ],
        &["name", "version", "key"],
    ),
    table(
        "registered_model_aliases",
        &[("name", Text), ("alias", Text), ("version", Int)],
        &["name", "alias"],
    ),
    table(
        "transition_requests",
        &[
            ("id", Int),
            ("name", Text),
            ("version", Int),
            ("to_stage", Text),
            ("status", Text),
            ("requested_by", Text),
            ("requested_at", Int),
            ("comment", Text),
            ("decided_by", Text),
            ("decided_at", Int),
            ("decision_comment", Text),
        ],
        &["id"],
    ),
    table(
        "registry_events",
        &[
            ("id", Int),
            ("name", Text),
            ("version", Int),
            ("kind", Text),
            ("from_value", Text),
            ("to_value", Text),
            ("actor", Text),
            ("time", Int),
            ("comment", Text),
        ],
        &["id"],
    ),
    table(
        "logged_models",
        &[
            ("model_id", Text),
            ("experiment_id", Int),
            ("name", Text),
            ("model_type", Text),
            ("source_run_id", Text),
            ("status", Text),
            ("status_message", Text),
            ("creator_id", Text),
            ("lifecycle_stage", Text),
            ("creation_time", Int),
            ("last_updated_time", Int),
        ],
        &["model_id"],
    ),
    table(
        "logged_model_tags",
        &[("model_id", Text), ("key", Text), ("value", Text)],
        &["model_id", "key"],
    ),
    table(
        "logged_model_params",
        &[("model_id", Text), ("key", Text), ("value", Text)],
        &["model_id", "key"],
    ),
    table(
        "run_outputs",
        &[("run_uuid", Text), ("model_id", Text), ("step", Int)],
        &["run_uuid", "model_id"],
    ),
    table(
        "datasets",
        &[
            ("dataset_uuid", Text),
            ("experiment_id", Int),
            ("name", Text),
            ("digest", Text),
            ("source_type", Text),
            ("source", Text),
            ("schema", Text),
            ("profile", Text),
        ],
        &["dataset_uuid"],
    ),
    Table {
        on_key: OnKey::Keep,
        ..table(
            "run_dataset_inputs",
            &[("run_uuid", Text), ("dataset_uuid", Text)],
            &["run_uuid", "dataset_uuid"],
        )
    },
    table(
        "run_dataset_input_tags",
        &[
            ("run_uuid", Text),
            ("dataset_uuid", Text),
            ("key", Text),
            ("value", Text),
        ],
        &["run_uuid", "dataset_uuid", "key"],
    ),
    Table {
        on_key: OnKey::Keep,
        ..table(
            "run_model_inputs",
            &[("run_uuid", Text), ("model_id", Text)],
            &["run_uuid", "model_id"],
        )
    },
    table(
        "logged_model_metrics",
        &[
            ("model_id", Text),
            ("key", Text),
            ("value", Real),
            ("is_nan", Bool),
            ("timestamp", Int),
            ("step", Int),
            ("run_uuid", Text),
            ("dataset_name", Text),
            ("dataset_digest", Text),
        ],
        &[
            "model_id",
            "key",
            "run_uuid",
            "dataset_name",
            "dataset_digest",
            "step",
            "timestamp",
        ],
    ),
    Table {
        local_only: true,
        ..table(
            "webhooks",
            &[
                ("webhook_id", Text),
                ("name", Text),
                ("description", Text),
                ("url", Text),
                ("secret", Text),
                ("status", Text),
                ("creation_time", Int),
                ("last_updated_time", Int),
            ],
            &["webhook_id"],
        )
    },
    Table {
        local_only: true,
        on_key: OnKey::Keep,
        ..table(
            "webhook_events",
            &[("webhook_id", Text), ("entity", Text), ("action", Text)],
            &["webhook_id", "entity", "action"],
        )
    },
];

const METRIC: &[(&str, Kind)] = &[
    ("run_uuid", Text),
    ("key", Text),
    ("step", Int),
    ("timestamp", Int),
    ("value", Real),
    ("is_nan", Bool),
];

/// The table named `name`.
pub fn table_named(name: &str) -> Option<&'static Table> {
    TABLES.iter().find(|t| t.name == name)
}

/// Rows handed over at a time.
pub const BATCH: usize = 1000;

/// A reader's rows handed on in batches of [`BATCH`].
pub struct Batches<'a> {
    table: &'static Table,
    rows: Vec<Vec<Cell>>,
    each: &'a mut dyn FnMut(&'static Table, Vec<Vec<Cell>>) -> Result<()>,
}

impl<'a> Batches<'a> {
    pub fn new(
        table: &'static Table,
        each: &'a mut dyn FnMut(&'static Table, Vec<Vec<Cell>>) -> Result<()>,
    ) -> Batches<'a> {
        Batches {
            table,
            rows: Vec::with_capacity(BATCH),
            each,
        }
    }

    /// Adds a row; a full batch goes on.
    pub fn push(&mut self, row: Vec<Cell>) -> Result<()> {
        self.rows.push(row);
        if self.rows.len() == BATCH {
            (self.each)(self.table, std::mem::take(&mut self.rows))?;
        }
        Ok(())
    }

    /// Hands on the last rows.
    pub fn finish(self) -> Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        (self.each)(self.table, self.rows)
    }
}

/// A store whose tables can be read whole, in one consistent snapshot, and written into,
/// keeping their ids.
pub trait Tables {
    /// Whether the store keeps this table.
    fn holds(&self, table: &Table) -> bool {
        !table.local_only
    }
    /// The rows of a table (to size a progress bar).
    fn count_rows(&self, table: &Table) -> Result<u64>;
    /// Reads `tables` in order, in batches of up to [`BATCH`] rows, within one snapshot.
    fn read_tables(
        &self,
        tables: &[&'static Table],
        each: &mut dyn FnMut(&'static Table, Vec<Vec<Cell>>) -> Result<()>,
    ) -> Result<()>;
    /// Writes rows (a row whose key is there replaces it, or is left, by `on_key`) in one
    /// transaction; how many rows were added or changed. Rows of a run the store does not
    /// hold are left out.
    fn write_rows(&mut self, table: &Table, rows: &[Vec<Cell>]) -> Result<u64>;
    /// After the last rows: the store's counters of new ids continue past the copied ones.
    fn finish_copy(&mut self) -> Result<()>;
}
