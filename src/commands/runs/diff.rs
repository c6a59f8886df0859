//! `mlf runs diff A B`: what changed from run A to run B.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::position;
use crate::commands::context::Ctx;
use crate::error::{CliResult, usage_error};
use crate::source;
use crate::store::Backend;
use crate::tracking::{Run, tags};
use crate::ui::format::{OutputArgs, OutputFormat, bytes, number, short_id};
use crate::ui::table;

/// Show what changed from run A to run B: params, metrics, tags, code and artifacts
///
/// Metrics show the absolute and relative change. Inside the git repository both runs came
/// from, the code section has `git diff --stat` between their commits, and names any
/// uncommitted changes recorded with either run. Artifacts are compared by size and SHA-256.
/// With one run, compares the run before it (in its experiment, or `-x`) with it; with none,
/// the latest run with the one before it. `@` is the latest run and `@~N` the Nth before it.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The run to compare from: full id, unique id prefix, unique name, `@` or `@~N`; alone,
    /// the run to compare the run before it with [default: @]
    #[arg(add = crate::commands::complete::run_completer())]
    a: Option<String>,
    /// The run to compare to
    #[arg(add = crate::commands::complete::run_completer())]
    b: Option<String>,
    /// Count `@`, `@~N`, find the run before and look names up within this experiment
    #[arg(add = crate::commands::complete::experiment_completer(), short = 'x', long = "experiment", value_name = "EXP")]
    experiment: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Debug, Serialize)]
struct ValueChange {
    key: String,
    a: Option<String>,
    b: Option<String>,
}

#[derive(Debug, Serialize)]
struct MetricChange {
    key: String,
    #[serde(serialize_with = "opt_metric")]
    a: Option<f64>,
    #[serde(serialize_with = "opt_metric")]
    b: Option<f64>,
    #[serde(serialize_with = "opt_metric")]
    delta: Option<f64>,
    #[serde(serialize_with = "opt_metric")]
    relative: Option<f64>,
}

fn opt_metric<S: serde::Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => crate::protocol::metric_value::serialize(v, s),
        None => s.serialize_none(),
    }
}

#[derive(Debug, Serialize)]
struct CodeChange {
    a_commit: Option<String>,
    b_commit: Option<String>,
    /// `git diff --stat` between the commits, when both are in the current repository.
    stat: Option<String>,
    a_dirty: bool,
    b_dirty: bool,
}

#[derive(Debug, Serialize)]
struct ArtifactChange {
    path: String,
    change: &'static str,
    a_size: Option<u64>,
    b_size: Option<u64>,
}

#[derive(Debug, Serialize)]
struct Diff {
    a: String,
    b: String,
    a_status: &'static str,
    b_status: &'static str,
    params: Vec<ValueChange>,
    metrics: Vec<MetricChange>,
    tags: Vec<ValueChange>,
    code: CodeChange,
    artifacts: Vec<ArtifactChange>,
}

pub fn run(ctx: &mut Ctx, args: DiffArgs) -> CliResult<u8> {
    let DiffArgs {
        a,
        b,
        experiment,
        output,
    } = args;
    let cwd = ctx.cwd()?;
    let store = ctx.store()?;
    let x = experiment.as_deref();
    let (a, b) = match b {
        Some(b) => (
            store.run(&position::resolve(store, a.as_deref(), x)?)?,
            store.run(&position::resolve(store, Some(&b), x)?)?,
        ),
        None => {
            let b = store.run(&position::resolve(store, a.as_deref(), x)?)?;
            let Some(a) = position::before(store, &b, x)? else {
                return Err(usage_error(format!(
                    "no run before {} ({}) to compare it with",
                    b.info.run_name,
                    short_id(&b.info.run_id)
                ))
                .hint("name both runs: `mlf runs diff A B`"));
            };
            (a, b)
        }
    };
    let diff = Diff {
        a: a.info.run_id.clone(),
        b: b.info.run_id.clone(),
        a_status: super::display_status(&a),
        b_status: super::display_status(&b),
        params: changes(&a.data.params, &b.data.params),
        metrics: metric_changes(&a, &b),
        tags: changes(&user_tags(&a), &user_tags(&b)),
        code: code_change(&a, &b, &cwd),
        artifacts: artifact_changes(store, &a, &b),
    };
    ctx.ui.page();
    match output.format {
        OutputFormat::Json => ctx.ui.json(&diff)?,
        _ => ctx.ui.out(&crate::ui::format::paint_diff(
            &ctx.ui,
            &render(&a, &b, &diff),
        )),
    }
    Ok(0)
}

fn user_tags(r: &Run) -> Vec<crate::tracking::KeyValue> {
    r.data
        .tags
        .iter()
        .filter(|t| !t.key.starts_with("mlflow.") && !t.key.starts_with("mlf."))
        .cloned()
        .collect()
}

fn changes(a: &[crate::tracking::KeyValue], b: &[crate::tracking::KeyValue]) -> Vec<ValueChange> {
    let mut keys: BTreeMap<&str, (Option<&str>, Option<&str>)> = BTreeMap::new();
    for kv in a {
        keys.entry(&kv.key).or_default().0 = Some(&kv.value);
    }
    for kv in b {
        keys.entry(&kv.key).or_default().1 = Some(&kv.value);
    }
    keys.into_iter()
        .filter(|(_, (x, y))| x != y)
        .map(|(k, (x, y))| ValueChange {
            key: k.into(),
            a: x.map(Into::into),
            b: y.map(Into::into),
        })
        .collect()
}

fn metric_changes(a: &Run, b: &Run) -> Vec<MetricChange> {
    let mut keys: Vec<&str> = a
        .data
        .metrics
        .iter()
        .chain(&b.data.metrics)
        .map(|m| m.key.as_str())
        .collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .map(|k| {
            let x = a.metric(k).map(|m| m.value);
            let y = b.metric(k).map(|m| m.value);
            let delta = x.zip(y).map(|(x, y)| y - x);
            let relative = x
                .zip(delta)
                .and_then(|(x, d)| (x != 0.0).then(|| d / x.abs()));
            MetricChange {
                key: k.into(),
                a: x,
                b: y,
                delta,
                relative,
            }
        })
        .collect()
}

fn code_change(a: &Run, b: &Run, cwd: &Path) -> CodeChange {
    let a_commit = a.tag(tags::GIT_COMMIT).map(str::to_string);
    let b_commit = b.tag(tags::GIT_COMMIT).map(str::to_string);
    let stat = match (&a_commit, &b_commit) {
        (Some(x), Some(y)) if x != y => source::diff_stat(cwd, x, y),
        _ => None,
    };
    CodeChange {
        a_dirty: a.tag(tags::GIT_DIRTY) == Some("true"),
        b_dirty: b.tag(tags::GIT_DIRTY) == Some("true"),
        a_commit,
        b_commit,
        stat,
    }
}

fn artifact_changes(store: &dyn Backend, a: &Run, b: &Run) -> Vec<ArtifactChange> {
    // Local files are compared by content; a server's by size (hashing would download them).
    let files = |r: &Run| -> BTreeMap<String, (u64, Option<std::path::PathBuf>)> {
        let Ok(repo) = store.artifacts(r) else {
            return BTreeMap::new();
        };
        let root = repo.local_root().map(Path::to_path_buf);
        repo.list(Path::new(""), true)
            .unwrap_or_default()
            .into_iter()
            .filter(|f| !f.is_dir)
            .map(|f| {
                let path = root.as_ref().map(|root| root.join(&f.path));
                (f.path, (f.file_size.unwrap_or(0), path))
            })
            .collect()
    };
    let (fa, fb) = (files(a), files(b));
    let mut out = Vec::new();
    let mut keys: Vec<&String> = fa.keys().chain(fb.keys()).collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        let change = match (fa.get(k), fb.get(k)) {
            (Some(_), None) => "removed",
            (None, Some(_)) => "added",
            (Some((sa, pa)), Some((sb, pb))) => {
                let differ = match (pa, pb) {
                    (Some(pa), Some(pb)) => sha256(pa) != sha256(pb),
                    _ => false,
                };
                if sa != sb || differ {
                    "changed"
                } else {
                    continue;
                }
            }
            (None, None) => continue,
        };
        out.push(ArtifactChange {
            path: k.clone(),
            change,
            a_size: fa.get(k).map(|(s, _)| *s),
            b_size: fb.get(k).map(|(s, _)| *s),
        });
    }
    out
}

fn sha256(path: &Path) -> Option<Vec<u8>> {
    let mut f = std::fs::File::open(path).ok()?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Some(h.finalize().to_vec())
}

fn or_dash(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "-".into())
}

fn render(a: &Run, b: &Run, d: &Diff) -> String {
    let head = |r: &Run| format!("{} ({})", r.info.run_name, short_id(&r.info.run_id));
    let (ha, hb) = (head(a), head(b));
    let width = ha.chars().count().max(hb.chars().count());
    let mut out = format!(
        "a  {ha}{}  {}\nb  {hb}{}  {}\n",
        " ".repeat(width - ha.chars().count()),
        super::display_status(a),
        " ".repeat(width - hb.chars().count()),
        super::display_status(b)
    );
    let kv_section = |title: &str, items: &[ValueChange], out: &mut String| {
        if items.is_empty() {
            return;
        }
        out.push_str(&format!("\n{title}\n"));
        let rows: Vec<(String, String)> = items
            .iter()
            .map(|c| {
                let mark = match (&c.a, &c.b) {
                    (None, _) => "+",
                    (_, None) => "-",
                    _ => "~",
                };
                (
                    format!("{mark} {}", c.key),
                    format!("{} → {}", or_dash(&c.a), or_dash(&c.b)),
                )
            })
            .collect();
        out.push_str(&table::pairs(&rows, 2));
    };
    kv_section("params", &d.params, &mut out);
    let metric_rows: Vec<(String, String)> = d
        .metrics
        .iter()
        .map(|m| {
            let show = |v: Option<f64>| v.map(number).unwrap_or_else(|| "-".into());
            let mut text = format!("{} → {}", show(m.a), show(m.b));
            let same = m.delta == Some(0.0)
                || (m.a.is_some_and(f64::is_nan) && m.b.is_some_and(f64::is_nan));
            if let Some(delta) = m.delta.filter(|d| !same && !d.is_nan()) {
                text.push_str(&format!(
                    "  {}{}",
                    if delta > 0.0 { "+" } else { "" },
                    number(delta)
                ));
                if let Some(r) = m.relative.filter(|r| r.is_finite()) {
                    text.push_str(&format!(
                        " ({}{:.1}%)",
                        if r > 0.0 { "+" } else { "" },
                        r * 100.0
                    ));
                }
            } else if same {
                text.push_str("  (same)");
            }
            let mark = match (m.a, m.b) {
                (None, _) => "+",
                (_, None) => "-",
                _ if same => " ",
                _ => "~",
            };
            (format!("{mark} {}", m.key), text)
        })
        .collect();
    if !metric_rows.is_empty() {
        out.push_str("\nmetrics\n");
        out.push_str(&table::pairs(&metric_rows, 2));
    }
    kv_section("tags", &d.tags, &mut out);
    let c = &d.code;
    if c.a_commit.is_some() || c.b_commit.is_some() {
        out.push_str("\ncode\n");
        let short = |v: &Option<String>, dirty: bool| {
            let mut s = v
                .as_deref()
                .map(|c| c[..c.len().min(10)].to_string())
                .unwrap_or_else(|| "-".into());
            if dirty {
                s.push_str(" + uncommitted changes (artifact source/diff.patch)");
            }
            s
        };
        out.push_str(&format!(
            "  a  {}\n  b  {}\n",
            short(&c.a_commit, c.a_dirty),
            short(&c.b_commit, c.b_dirty)
        ));
        if c.a_commit == c.b_commit && !c.a_dirty && !c.b_dirty {
            out.push_str("  same commit\n");
        }
        if let Some(stat) = &c.stat {
            for line in stat.lines() {
                out.push_str(&format!("  {line}\n"));
            }
        }
    }
    if !d.artifacts.is_empty() {
        out.push_str("\nartifacts\n");
        let rows: Vec<(String, String)> = d
            .artifacts
            .iter()
            .map(|f| {
                let mark = match f.change {
                    "added" => "+",
                    "removed" => "-",
                    _ => "~",
                };
                let size = |s: Option<u64>| s.map(bytes).unwrap_or_else(|| "-".into());
                (
                    format!("{mark} {}", f.path),
                    format!("{} → {}", size(f.a_size), size(f.b_size)),
                )
            })
            .collect();
        out.push_str(&table::pairs(&rows, 2));
    }
    out
}
