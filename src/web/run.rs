//! A run's page (params, metrics with last/min/max, tags, source, logs, charts, artifacts),
//! its artifact previews and downloads — confined to the run's own artifact folder, as the
//! proxy is — and the compare page.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path as FsPath, PathBuf};

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::pages::{enc, run_duration, status_class};
use super::view::{
    ArtifactRow, ComparePage, ComparePlots, CompareRow, LogsPart, MetricRow, Preview, PreviewPart,
    RunLink, RunPage,
};
use super::{PageError, PageResult, Shared, blocking, first, query_pairs, render};
use crate::store::Store;
use crate::tracking::{Run, tags};
use crate::ui::format::{bytes, number, time};

/// Largest file a preview reads; past it, the start is shown and the rest offered as a
/// download.
const PREVIEW_BYTES: u64 = 512 * 1024;
/// Lines of a log the run page shows (its end).
const LOG_LINES: usize = 400;
/// Rows of a CSV preview.
const CSV_ROWS: usize = 200;

/// The file `rel` below the run's artifact folder, refused when it leaves it (`..`, an
/// absolute path, a link pointing out).
fn confined(store: &Store, run: &Run, rel: &str) -> Result<PathBuf, PageError> {
    let clean = crate::artifacts::clean_relative(rel)
        .map_err(|e| PageError::new(StatusCode::BAD_REQUEST, e.to_string()))?;
    let dir = store.run_artifact_dir(run);
    let path = dir.join(&clean);
    let gone = || {
        PageError::new(
            StatusCode::NOT_FOUND,
            format!("no artifact `{rel}` in this run"),
        )
    };
    let real_dir = dir.canonicalize().map_err(|_| gone())?;
    let real = path.canonicalize().map_err(|_| gone())?;
    if !real.starts_with(&real_dir) {
        return Err(PageError::new(
            StatusCode::FORBIDDEN,
            format!("`{rel}` leaves the run's artifacts"),
        ));
    }
    if !real.is_file() {
        return Err(gone());
    }
    Ok(real)
}

/// The end of a log file, when the run has it.
fn log_tail(store: &Store, run: &Run, rel: &str) -> Option<String> {
    let path = confined(store, run, rel).ok()?;
    let text = read_start(&path, u64::MAX).ok()?;
    let lines: Vec<&str> = text.lines().collect();
    let skip = lines.len().saturating_sub(LOG_LINES);
    Some(lines[skip..].join("\n"))
}

fn read_start(path: &FsPath, limit: u64) -> std::io::Result<String> {
    use std::io::Read;
    let mut buf = Vec::new();
    std::fs::File::open(path)?
        .take(limit.min(8 * 1024 * 1024))
        .read_to_end(&mut buf)?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

fn logs(store: &Store, run: &Run) -> LogsPart {
    LogsPart {
        id: run.info.run_id.clone(),
        running: run.info.status == crate::tracking::RunStatus::Running,
        stdout: log_tail(store, run, "logs/stdout.txt"),
        stderr: log_tail(store, run, "logs/stderr.txt"),
    }
}

/// `GET /ui/runs/{id}/logs`: the logs section alone (htmx follows a running run with it).
pub(super) async fn logs_part(State(web): State<Shared>, Path(id): Path<String>) -> PageResult {
    let part = blocking(&web, move |store| {
        let run = store.run(&id)?;
        Ok(logs(store, &run))
    })
    .await?;
    render(&part)
}

pub(super) async fn page(
    State(web): State<Shared>,
    Path(id): Path<String>,
    axum::Extension(viewer): axum::Extension<super::Viewer>,
) -> PageResult {
    let csrf = web.csrf(&viewer);
    let page = blocking(&web, move |store| {
        let run = store.run(&id)?;
        let exp = store.experiment(&run.info.experiment_id)?;
        let mut metrics: Vec<MetricRow> = Vec::new();
        let mut keys: Vec<&str> = run.data.metrics.iter().map(|m| m.key.as_str()).collect();
        keys.sort_unstable();
        // Last value and step from the run's latest metrics; lowest, highest and the number of
        // points in one query.
        let extremes = store.metric_extremes(std::slice::from_ref(&id))?;
        for key in keys {
            let last = run.data.metrics.iter().find(|m| m.key == key);
            let e = extremes.get(&(id.clone(), key.to_string()));
            metrics.push(MetricRow {
                key: key.to_string(),
                last: last.map(|m| number(m.value)).unwrap_or_default(),
                min: number(e.and_then(|e| e.min).unwrap_or(f64::NAN)),
                max: number(e.and_then(|e| e.max).unwrap_or(f64::NAN)),
                step: last.map(|m| m.step.to_string()).unwrap_or_default(),
                points: e.map(|e| e.points).unwrap_or(0),
            });
        }
        let parent = run.tag(PARENT).map(|p| RunLink {
            name: store
                .run(p)
                .map(|r| r.info.run_name)
                .unwrap_or_else(|_| p.to_string()),
            href: format!("/ui/runs/{}", enc(p)),
            status: String::new(),
        });
        let children = children(store, &run)?;
        let patch = run.tag(tags::GIT_DIRTY).filter(|d| *d == "true").map(|_| {
            confined(store, &run, "source/diff.patch")
                .and_then(|f| {
                    read_start(&f, PREVIEW_BYTES).map_err(|e| {
                        PageError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
                    })
                })
                .unwrap_or_default()
        });
        let dir = store.run_artifact_dir(&run);
        let artifacts = crate::artifacts::LocalRepo::new(dir)
            .list(FsPath::new(""), true)
            .unwrap_or_default()
            .into_iter()
            .filter(|f| !f.is_dir)
            .map(|f| ArtifactRow {
                preview_href: format!("/ui/runs/{}/preview?path={}", enc(&id), enc(&f.path)),
                download_href: format!("/ui/runs/{}/file?path={}", enc(&id), enc(&f.path)),
                size: f.file_size.map(bytes).unwrap_or_default(),
                path: f.path,
            })
            .collect();
        let mut params: Vec<(String, String)> = run
            .data
            .params
            .iter()
            .map(|p| (p.key.clone(), p.value.clone()))
            .collect();
        params.sort();
        let mut tag_rows: Vec<(String, String)> = run
            .data
            .tags
            .iter()
            .map(|p| (p.key.clone(), p.value.clone()))
            .collect();
        tag_rows.sort();
        Ok(RunPage {
            csrf,
            deleted: run.info.lifecycle_stage == crate::tracking::LifecycleStage::Deleted,
            title: run.info.run_name.clone(),
            name: run.info.run_name.clone(),
            exp_name: exp.name,
            exp_id: run.info.experiment_id.clone(),
            status: run.info.status.as_str().to_string(),
            status_class: status_class(run.info.status),
            user: run.info.user_id.clone(),
            start: time(run.info.start_time),
            duration: run_duration(&run),
            command: run
                .tag(tags::COMMAND)
                .or_else(|| run.tag(tags::SOURCE_NAME))
                .map(str::to_string),
            commit: run.tag(tags::GIT_COMMIT).map(str::to_string),
            branch: run.tag(tags::GIT_BRANCH).map(str::to_string),
            repo: run.tag(tags::GIT_REPO_URL).map(str::to_string),
            patch,
            parent,
            children,
            system: metrics
                .iter()
                .filter(|m| m.key.starts_with(SYSTEM))
                .map(|m| m.key.clone())
                .collect(),
            charts: metrics
                .iter()
                .filter(|m| !m.key.starts_with(SYSTEM))
                .map(|m| m.key.clone())
                .collect(),
            params,
            metrics,
            tags: tag_rows,
            artifacts,
            logs: logs(store, &run),
            id: id.clone(),
        })
    })
    .await?;
    render(&page)
}

/// The tag MLflow names a run's parent with.
const PARENT: &str = "mlflow.parentRunId";
/// Metrics under this prefix are the machine's (MLflow's system metrics), charted apart.
const SYSTEM: &str = "system/";

/// The runs whose parent is `run`, newest first (100 at most).
fn children(store: &Store, run: &Run) -> Result<Vec<RunLink>, PageError> {
    let filter = crate::search::parse_filter(
        &format!("tags.`{PARENT}` = '{}'", run.info.run_id.replace('\'', "")),
        0,
    )
    .map_err(|e| PageError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let page = store.search_runs(&crate::store::RunQuery {
        experiment_ids: vec![run.info.experiment_id.clone()],
        view: crate::tracking::ViewType::ActiveOnly,
        filter,
        order_by: Vec::new(),
        max_results: Some(100),
        page_token: None,
    })?;
    Ok(page
        .runs
        .into_iter()
        .map(|r| RunLink {
            href: format!("/ui/runs/{}", enc(&r.info.run_id)),
            name: if r.info.run_name.is_empty() {
                r.info.run_id.clone()
            } else {
                r.info.run_name.clone()
            },
            status: r.info.status.as_str().to_string(),
        })
        .collect())
}

fn extension(path: &str) -> String {
    FsPath::new(path)
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default()
}

fn image_type(ext: &str) -> Option<&'static str> {
    Some(match ext {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        _ => return None,
    })
}

/// `GET /ui/runs/{id}/preview?path=P`: the part of the page that previews one artifact.
pub(super) async fn preview(
    State(web): State<Shared>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let pairs = query_pairs(raw.as_deref());
    let rel = first(&pairs, "path").unwrap_or("").to_string();
    let part = blocking(&web, move |store| {
        let run = store.run(&id)?;
        let file = confined(store, &run, &rel)?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let download_href = format!("/ui/runs/{}/file?path={}", enc(&id), enc(&rel));
        let ext = extension(&rel);
        let note = (size > PREVIEW_BYTES).then(|| {
            format!(
                "The first {} of {} are shown.",
                bytes(PREVIEW_BYTES),
                bytes(size)
            )
        });
        let preview = if image_type(&ext).is_some() {
            Preview::Image(download_href.clone())
        } else if ext == "html" || ext == "htm" {
            Preview::Html(download_href.clone())
        } else {
            let text = read_start(&file, PREVIEW_BYTES)
                .map_err(|e| PageError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
            let base = FsPath::new(&rel).file_name().and_then(|n| n.to_str());
            if text.contains('\0') {
                Preview::None("a binary file: download it to look inside".into())
            } else if let Some(p) = (base == Some("MLmodel"))
                .then(|| super::mlmodel::preview(&text))
                .flatten()
            {
                p
            } else if ext == "csv" || ext == "tsv" {
                let mut reader = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .delimiter(if ext == "tsv" { b'\t' } else { b',' })
                    .from_reader(text.as_bytes());
                Preview::Table(
                    reader
                        .records()
                        .take(CSV_ROWS)
                        .filter_map(|r| r.ok())
                        .map(|r| r.iter().map(str::to_string).collect())
                        .collect(),
                )
            } else if ext == "json" {
                Preview::Text(
                    serde_json::from_str::<serde_json::Value>(&text)
                        .ok()
                        .and_then(|v| serde_json::to_string_pretty(&v).ok())
                        .unwrap_or(text),
                )
            } else {
                Preview::Text(text)
            }
        };
        Ok(PreviewPart {
            path: rel,
            download_href,
            preview,
            note,
        })
    })
    .await?;
    render(&part)
}

/// `GET /ui/runs/{id}/file?path=P`: the file itself; images and HTML (in a sandbox) inline,
/// anything else as a download.
pub(super) async fn file(
    State(web): State<Shared>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let pairs = query_pairs(raw.as_deref());
    let rel = first(&pairs, "path").unwrap_or("").to_string();
    let (data, rel) = blocking(&web, move |store| {
        let run = store.run(&id)?;
        let file = confined(store, &run, &rel)?;
        let data = std::fs::read(&file)
            .map_err(|e| PageError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        Ok((data, rel))
    })
    .await?;
    let ext = extension(&rel);
    let mut r = (StatusCode::OK, data).into_response();
    let h = r.headers_mut();
    if let Some(kind) = image_type(&ext) {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    } else if ext == "html" || ext == "htm" {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        // Shown in a frame with no scripts, no forms, no way to reach the UI's origin.
        h.insert(
            "content-security-policy",
            HeaderValue::from_static(
                "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'",
            ),
        );
    } else {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
        let name: String = FsPath::new(&rel)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
            .chars()
            .filter(|c| c.is_ascii_graphic() && *c != '"' && *c != '\\')
            .collect();
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    Ok(r)
}

/// `GET /ui/compare?run=A&run=B...`: params and latest metrics side by side, differences
/// marked, and the curves of every metric overlaid.
pub(super) async fn compare(State(web): State<Shared>, RawQuery(raw): RawQuery) -> PageResult {
    let pairs = query_pairs(raw.as_deref());
    let pick = |k: &str| first(&pairs, k).unwrap_or("").to_string();
    let (metric, x, y) = (pick("metric"), pick("x"), pick("y"));
    let ids: Vec<String> = pairs
        .clone()
        .into_iter()
        .filter(|(k, _)| k == "run" || k == "runs")
        .flat_map(|(_, v)| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .take(20)
        .collect();
    if ids.is_empty() {
        return Err(PageError::new(
            StatusCode::BAD_REQUEST,
            "select runs to compare (tick them in the runs table)",
        ));
    }
    let runs = blocking(&web, move |store| {
        ids.iter()
            .map(|id| Ok(store.run(id)?))
            .collect::<Result<Vec<Run>, PageError>>()
    })
    .await?;
    let rows = |values: Vec<BTreeMap<String, String>>| {
        let keys: BTreeSet<&String> = values.iter().flat_map(|m| m.keys()).collect();
        keys.into_iter()
            .map(|k| {
                let vals: Vec<String> = values
                    .iter()
                    .map(|m| m.get(k).cloned().unwrap_or_default())
                    .collect();
                CompareRow {
                    key: k.clone(),
                    differs: vals.iter().any(|v| v != &vals[0]),
                    values: vals,
                }
            })
            .collect::<Vec<_>>()
    };
    let params = rows(
        runs.iter()
            .map(|r| {
                r.data
                    .params
                    .iter()
                    .map(|p| (p.key.clone(), p.value.clone()))
                    .collect()
            })
            .collect(),
    );
    let metrics = rows(
        runs.iter()
            .map(|r| {
                r.data
                    .metrics
                    .iter()
                    .map(|m| (m.key.clone(), number(m.value)))
                    .collect()
            })
            .collect(),
    );
    let metric_keys: Vec<String> = metrics.iter().map(|m| m.key.clone()).collect();
    let plots = compare_plots(&runs, &params, &metric_keys, metric, x, y);
    render(&ComparePage {
        plots,
        title: "Compare runs".into(),
        run_ids: runs
            .iter()
            .map(|r| r.info.run_id.clone())
            .collect::<Vec<_>>()
            .join(","),
        runs: runs
            .iter()
            .map(|r| {
                (
                    r.info.run_id.clone(),
                    r.info.run_name.clone(),
                    format!("/ui/runs/{}", enc(&r.info.run_id)),
                )
            })
            .collect(),
        params,
        metrics,
        metric_keys,
    })
}

/// The compare page's parallel coordinates (every param that differs → `metric`) and
/// scatter plot (`x` against `y`, each `params.K` or `metrics.K`), with the choices offered.
fn compare_plots(
    runs: &[Run],
    params: &[CompareRow],
    metric_keys: &[String],
    metric: String,
    x: String,
    y: String,
) -> ComparePlots {
    use super::plots::{Column, parallel, scatter};
    let names: Vec<String> = runs
        .iter()
        .map(|r| {
            if r.info.run_name.is_empty() {
                r.info.run_id.clone()
            } else {
                r.info.run_name.clone()
            }
        })
        .collect();
    let column = |choice: &str| -> Option<Column> {
        let (kind, key) = choice.split_once('.')?;
        let values = runs
            .iter()
            .map(|r| match kind {
                "params" => r.param(key).map(str::to_string),
                "metrics" => r
                    .data
                    .metrics
                    .iter()
                    .find(|m| m.key == key)
                    .map(|m| m.value.to_string()),
                _ => None,
            })
            .collect::<Vec<_>>();
        values.iter().any(Option::is_some).then(|| Column {
            label: choice.to_string(),
            values,
        })
    };
    let mut choices: Vec<String> = params.iter().map(|p| format!("params.{}", p.key)).collect();
    choices.extend(metric_keys.iter().map(|k| format!("metrics.{k}")));
    let metric = if metric_keys.contains(&metric) {
        metric
    } else {
        metric_keys.first().cloned().unwrap_or_default()
    };
    let varying: Vec<&CompareRow> = params.iter().filter(|p| p.differs).collect();
    let axes: Vec<&CompareRow> = if varying.is_empty() {
        params.iter().collect()
    } else {
        varying
    };
    let mut cols: Vec<Column> = axes
        .iter()
        .filter_map(|p| column(&format!("params.{}", p.key)))
        .collect();
    let parallel_svg = match column(&format!("metrics.{metric}")) {
        Some(m) if !cols.is_empty() => {
            cols.push(m);
            parallel(&cols, &names)
        }
        _ => String::new(),
    };
    let x = if choices.contains(&x) {
        x
    } else {
        choices.first().cloned().unwrap_or_default()
    };
    let y = if choices.contains(&y) {
        y
    } else if !metric.is_empty() {
        format!("metrics.{metric}")
    } else {
        choices.last().cloned().unwrap_or_default()
    };
    let scatter_svg = match (column(&x), column(&y)) {
        (Some(a), Some(b)) => scatter(&a, &b, &names),
        _ => String::new(),
    };
    ComparePlots {
        parallel_svg,
        scatter_svg,
        choices,
        metric,
        x,
        y,
    }
}
