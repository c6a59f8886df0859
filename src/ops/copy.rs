//! `mlf store copy SRC DST`: a whole store copied into another, of any kind (a store
//! directory, a PostgreSQL database with its artifacts in a directory or a bucket), keeping
//! every id and timestamp.
//!
//! The rows go table by table (`store/tables.rs`), each row written over the one with its
//! key, so a second copy changes nothing and an interrupted one resumes. Locations move with
//! the files: a location below the source's artifact root (or its registry's directory) is
//! the same place below the target's, and the files there are copied when the target lacks
//! them (or has them at another size). A location anywhere else is kept as it is, and its
//! files are left where they are.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::artifacts::{CopyItem, Repo};
use crate::store::tables::{Cell, TABLES, Table, Tables, table_named};

/// One end of a copy: where its artifacts are.
#[derive(Debug, Clone)]
pub struct Place {
    /// The store as users name it, for messages.
    pub label: String,
    /// The default artifact root: a path, or an `s3://` URI.
    pub root: String,
    /// The store directory, for a store kept in one (whose registry keeps its files inside
    /// it, and whose locations there are kept relative to it).
    pub dir: Option<String>,
}

impl Place {
    /// Where registered versions' own files are: `<store>/registry`, or `<root>/registry`.
    fn registry(&self) -> String {
        format!("{}/registry", self.dir.as_deref().unwrap_or(&self.root))
    }

    fn experiment_default(&self, id: i64) -> String {
        format!("{}/{id}", self.root)
    }
}

/// Why a copy stopped.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    #[error("cannot copy the files of `{from}` to `{to}`: {source}")]
    Files {
        from: String,
        to: String,
        #[source]
        source: crate::artifacts::Error,
    },
    /// The target holds an experiment of another name under a copied id, or the same name
    /// under another id.
    #[error(
        "experiment {id} is `{here}` in {from} but {there} in {to}: a copy keeps experiment ids, so copy into an empty store or rename one of them"
    )]
    Conflict {
        id: i64,
        here: String,
        there: String,
        from: String,
        to: String,
    },
}

/// How far a copy is.
#[derive(Debug, Clone, Copy)]
pub enum Step {
    /// Rows read of all the rows.
    Rows(u64, u64),
    /// Bytes of files copied of all that need copying.
    Bytes(u64, u64),
}

/// What a copy did.
#[derive(Debug, Clone, Default)]
pub struct CopyReport {
    /// For each table copied: rows read, rows added or changed.
    pub tables: BTreeMap<&'static str, (u64, u64)>,
    /// Tables the target keeps no rows of, with their row counts.
    pub skipped: Vec<(&'static str, u64)>,
    /// Files copied, their bytes, and files already in place.
    pub files: u64,
    pub bytes: u64,
    pub present: u64,
}

impl CopyReport {
    /// Rows added or changed in `table`.
    pub fn written(&self, table: &str) -> u64 {
        self.tables.get(table).map_or(0, |t| t.1)
    }

    /// Nothing was added or changed.
    pub fn unchanged(&self) -> bool {
        self.tables.values().all(|t| t.1 == 0) && self.files == 0
    }
}

/// Copies everything in `src` into `dst`.
pub fn copy(
    src: &dyn Tables,
    from: &Place,
    dst: &mut dyn Tables,
    to: &Place,
    progress: &mut dyn FnMut(Step),
) -> Result<CopyReport, CopyError> {
    let experiments = table_named("experiments").expect("the experiments table");
    let theirs = rows_of(src, experiments)?;
    let ours = rows_of(dst, experiments)?;
    check_experiments(&theirs, &ours, from, to)?;
    let paths = Paths { from, to };
    let mut trees: Vec<(String, String)> = Vec::new();
    // Where each experiment's files are, in the source and in the target.
    let mut locations: HashMap<i64, (String, String)> = HashMap::new();
    for row in &theirs {
        let id = int(&row[0]);
        let here = text(&row[2]).unwrap_or_else(|| from.experiment_default(id));
        let there = paths.map(&here);
        if let Some(there) = &there {
            trees.push((here.clone(), there.clone()));
        }
        let there = there.unwrap_or_else(|| here.clone());
        locations.insert(id, (here, there));
    }
    let registry = (from.registry(), to.registry());
    if registry.0 != registry.1 {
        trees.push(registry);
    }

    let tables: Vec<&'static Table> = TABLES
        .iter()
        .filter(|t| src.holds(t) && dst.holds(t))
        .collect();
    let mut report = CopyReport::default();
    let mut total = 0;
    for &t in &tables {
        total += src.count_rows(t)?;
    }
    for t in TABLES.iter().filter(|t| src.holds(t) && !dst.holds(t)) {
        let n = src.count_rows(t)?;
        if n > 0 {
            report.skipped.push((t.name, n));
        }
    }
    let mut done = 0;
    progress(Step::Rows(0, total));
    src.read_tables(&tables, &mut |table, mut rows| {
        for row in &mut rows {
            match table.name {
                "experiments" => {
                    let id = int(&row[0]);
                    let there = &locations[&id].1;
                    row[2] = if *there == to.experiment_default(id) && (to.dir.is_some() || id == 0)
                    {
                        Cell::Null
                    } else {
                        Cell::Text(there.clone())
                    };
                }
                "runs" => {
                    let (uuid, exp) = (text(&row[0]).unwrap_or_default(), int(&row[2]));
                    let (here, there) = locations.get(&exp).cloned().unwrap_or_else(|| {
                        (from.experiment_default(exp), to.experiment_default(exp))
                    });
                    let default_here = format!("{here}/{uuid}/artifacts");
                    let default_there = format!("{there}/{uuid}/artifacts");
                    let uri = text(&row[9]).unwrap_or(default_here);
                    let moved = paths.map(&uri).unwrap_or(uri);
                    row[9] = if moved == default_there {
                        Cell::Null
                    } else {
                        Cell::Text(moved)
                    };
                }
                "model_versions" => {
                    if let Some(source) = text(&row[5]) {
                        if let Some(moved) = paths.map(&paths.absolute(&source)) {
                            row[5] = Cell::Text(moved);
                        }
                    }
                    if let Some(location) = text(&row[7]) {
                        let moved = paths
                            .map(&paths.absolute(&location))
                            .map(|m| paths.stored(m))
                            .unwrap_or(location);
                        row[7] = Cell::Text(moved);
                    }
                }
                "registry_events" => {
                    // What a registration or a move names (a version's source).
                    for i in [4, 5] {
                        if let Some(moved) = text(&row[i]).and_then(|v| paths.map(&v)) {
                            row[i] = Cell::Text(moved);
                        }
                    }
                }
                _ => {}
            }
        }
        let written = dst.write_rows(table, &rows)?;
        let entry = report.tables.entry(table.name).or_default();
        entry.0 += rows.len() as u64;
        entry.1 += written;
        done += rows.len() as u64;
        progress(Step::Rows(done, total));
        Ok(())
    })?;
    for &t in &tables {
        report.tables.entry(t.name).or_default();
    }
    dst.finish_copy()?;
    copy_files(&trees, &mut report, progress)?;
    Ok(report)
}

fn rows_of(store: &dyn Tables, table: &'static Table) -> crate::store::Result<Vec<Vec<Cell>>> {
    let mut out = Vec::new();
    store.read_tables(&[table], &mut |_, rows| {
        out.extend(rows);
        Ok(())
    })?;
    Ok(out)
}

fn int(c: &Cell) -> i64 {
    match c {
        Cell::Int(v) => *v,
        Cell::Text(t) => t.parse().unwrap_or(0),
        _ => 0,
    }
}

fn text(c: &Cell) -> Option<String> {
    match c {
        Cell::Text(t) => Some(t.clone()),
        _ => None,
    }
}

/// Refuses a target whose experiments disagree with the source's on an id or a name.
fn check_experiments(
    theirs: &[Vec<Cell>],
    ours: &[Vec<Cell>],
    from: &Place,
    to: &Place,
) -> Result<(), CopyError> {
    let by_id: HashMap<i64, String> = ours
        .iter()
        .map(|r| (int(&r[0]), text(&r[1]).unwrap_or_default()))
        .collect();
    let by_name: HashMap<String, i64> = by_id.iter().map(|(i, n)| (n.clone(), *i)).collect();
    for row in theirs {
        let (id, name) = (int(&row[0]), text(&row[1]).unwrap_or_default());
        let conflict = |there: String| CopyError::Conflict {
            id,
            here: name.clone(),
            there,
            from: from.label.clone(),
            to: to.label.clone(),
        };
        match by_id.get(&id) {
            Some(other) if *other != name => return Err(conflict(format!("`{other}`"))),
            _ => {}
        }
        match by_name.get(&name) {
            Some(other) if *other != id => {
                return Err(conflict(format!(
                    "has no such name (`{name}` is experiment {other})"
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Locations of one end moved to the other.
struct Paths<'a> {
    from: &'a Place,
    to: &'a Place,
}

/// `s` below `prefix` (the rest, with its leading `/`, or "" for `prefix` itself).
fn below<'s>(s: &'s str, prefix: &str) -> Option<&'s str> {
    let rest = s.strip_prefix(prefix)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

impl Paths<'_> {
    /// A location of the source made absolute (a store directory keeps the ones inside it
    /// relative to it).
    fn absolute(&self, s: &str) -> String {
        match &self.from.dir {
            Some(dir) if !s.is_empty() && !s.starts_with('/') && !s.contains(":/") => {
                format!("{dir}/{s}")
            }
            _ => s.to_string(),
        }
    }

    /// The same place at the target, for a location below the source's registry or
    /// artifact root.
    fn map(&self, s: &str) -> Option<String> {
        if let Some(rest) = below(s, &self.from.registry()) {
            return Some(format!("{}{rest}", self.to.registry()));
        }
        below(s, &self.from.root).map(|rest| format!("{}{rest}", self.to.root))
    }

    /// A location as the target stores it: relative when inside its store directory.
    fn stored(&self, s: String) -> String {
        match &self.to.dir {
            Some(dir) => below(&s, dir)
                .map(|rest| rest.trim_start_matches('/').to_string())
                .filter(|r| !r.is_empty())
                .unwrap_or(s),
            None => s,
        }
    }
}

/// A file of a tree, by its path below the tree.
fn files_of(repo: &Repo) -> crate::artifacts::Result<Vec<(String, u64)>> {
    Ok(repo
        .list(Path::new(""), true)?
        .into_iter()
        .filter(|f| !f.is_dir)
        // A registration under way keeps its files in `.incoming-…` until it is numbered.
        .filter(|f| !f.path.split('/').any(|p| p.starts_with(".incoming-")))
        .map(|f| (f.path, f.file_size.unwrap_or(0)))
        .collect())
}

/// Copies the files of each tree the target lacks.
fn copy_files(
    trees: &[(String, String)],
    report: &mut CopyReport,
    progress: &mut dyn FnMut(Step),
) -> Result<(), CopyError> {
    let mut plan: Vec<(usize, String, u64)> = Vec::new();
    let mut repos = Vec::new();
    for (i, (from, to)) in trees.iter().enumerate() {
        let fail = |source| CopyError::Files {
            from: from.clone(),
            to: to.clone(),
            source,
        };
        let src = Repo::at(from).map_err(fail)?;
        let dst = Repo::at(to).map_err(fail)?;
        let have: HashMap<String, u64> = files_of(&dst).map_err(fail)?.into_iter().collect();
        for (path, size) in files_of(&src).map_err(fail)? {
            if have.get(&path) == Some(&size) {
                report.present += 1;
            } else {
                plan.push((i, path, size));
            }
        }
        repos.push((src, dst));
    }
    let total: u64 = plan.iter().map(|p| p.2).sum();
    let scratch = std::env::temp_dir().join(format!("mlf-copy-{}", std::process::id()));
    let mut done = 0;
    progress(Step::Bytes(0, total));
    let result = (|| {
        for (i, path, size) in &plan {
            let (from, to) = &trees[*i];
            let fail = |source| CopyError::Files {
                from: from.clone(),
                to: to.clone(),
                source,
            };
            let (src, dst) = &repos[*i];
            let local = match src.local_root() {
                Some(root) => root.join(path),
                None => {
                    let item = CopyItem {
                        from: PathBuf::from(path),
                        to: scratch.join("file"),
                        size: *size,
                    };
                    src.get(&item, &mut |_| {}).map_err(fail)?;
                    item.to
                }
            };
            let item = CopyItem {
                from: local,
                to: PathBuf::from(path),
                size: *size,
            };
            let base = done;
            dst.put(&item, &mut |n| progress(Step::Bytes(base + n, total)))
                .map_err(fail)?;
            done += size;
            report.files += 1;
            report.bytes += size;
            progress(Step::Bytes(done, total));
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(dir: &str) -> Place {
        Place {
            label: dir.into(),
            root: format!("{dir}/artifacts"),
            dir: Some(dir.into()),
        }
    }

    fn bucket() -> Place {
        Place {
            label: "postgresql://db".into(),
            root: "s3://b/team".into(),
            dir: None,
        }
    }

    #[test]
    fn locations_below_the_root_or_the_registry_move_and_others_stay() {
        let (a, b) = (local("/s/.mlf"), bucket());
        let there = Paths { from: &a, to: &b };
        assert_eq!(
            there.map("/s/.mlf/artifacts/1/r/artifacts").as_deref(),
            Some("s3://b/team/1/r/artifacts")
        );
        assert_eq!(
            there.map(&there.absolute("registry/m/1/model")).as_deref(),
            Some("s3://b/team/registry/m/1/model")
        );
        assert_eq!(there.map("/s/.mlf/artifactsX/1"), None);
        assert_eq!(there.map("/elsewhere/1"), None);
        let back = Paths { from: &b, to: &a };
        let moved = back.map("s3://b/team/registry/m/1/model").unwrap();
        assert_eq!(moved, "/s/.mlf/registry/m/1/model");
        assert_eq!(back.stored(moved), "registry/m/1/model");
        assert_eq!(
            back.stored(back.map("s3://b/team/2/r/artifacts/model").unwrap()),
            "artifacts/2/r/artifacts/model"
        );
    }
}
