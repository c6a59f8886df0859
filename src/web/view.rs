//! The templates (`templates/web/`) and the rows they show: plain strings, computed by the
//! pages, that askama escapes as it writes them.

use askama::Template;

#[derive(Template)]
#[template(path = "web/error.html")]
pub struct ErrorPage {
    pub title: String,
    pub message: String,
}

/// An experiment in the sidebar.
pub struct ExpLink {
    pub id: String,
    pub name: String,
    pub href: String,
    pub current: bool,
    pub deleted: bool,
}

#[derive(Template)]
#[template(path = "web/home.html")]
pub struct Home {
    pub title: String,
    pub csrf: String,
    pub experiments: Vec<ExpLink>,
    pub q: String,
    pub recent: Vec<(String, String)>,
}

/// A column of the runs table.
pub struct Header {
    pub label: String,
    /// Where clicking it sorts (none: not sortable).
    pub href: Option<String>,
    /// `▲`/`▼` when the table is sorted by it.
    pub arrow: &'static str,
    pub numeric: bool,
}

pub struct RunRow {
    /// When the table is grouped by a param: the group's heading, on its first row.
    pub group_head: Option<String>,
    pub id: String,
    pub name: String,
    pub href: String,
    pub status: String,
    pub status_class: &'static str,
    pub start_rel: String,
    pub start_abs: String,
    pub duration: String,
    pub user: String,
    pub cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "web/runs_table.html")]
pub struct RunsTable {
    pub filter: String,
    pub order: String,
    pub error: Option<String>,
    /// Spaces and a `^` under the column of the error.
    pub caret: Option<String>,
    pub headers: Vec<Header>,
    pub rows: Vec<RunRow>,
    pub next_href: Option<String>,
    pub first_href: Option<String>,
    pub page: usize,
    pub deleted: bool,
    /// The column globs, and whether only the columns that differ are shown.
    pub cols: String,
    pub changed: bool,
    /// Where the table reloads itself from every few seconds while a run on it is running.
    pub refresh_href: Option<String>,
    /// Which value of each metric is shown: `last`, `min` or `max`.
    pub agg: &'static str,
    /// The param the rows are grouped by (empty: none).
    pub group: String,
    /// Columns of the table (for the group headings' span).
    pub width: usize,
}

#[derive(Template)]
#[template(path = "web/experiment.html")]
pub struct ExperimentPage {
    pub title: String,
    pub csrf: String,
    pub deleted: bool,
    pub experiments: Vec<ExpLink>,
    pub q: String,
    pub id: String,
    pub name: String,
    pub table: RunsTable,
}

pub struct MetricRow {
    pub key: String,
    pub last: String,
    pub min: String,
    pub max: String,
    pub step: String,
    pub points: usize,
}

pub struct ArtifactRow {
    pub path: String,
    pub size: String,
    pub preview_href: String,
    pub download_href: String,
}

#[derive(Template)]
#[template(path = "web/run.html")]
pub struct RunPage {
    pub title: String,
    pub csrf: String,
    pub deleted: bool,
    pub id: String,
    pub name: String,
    pub exp_id: String,
    pub exp_name: String,
    pub status: String,
    pub status_class: &'static str,
    pub user: String,
    pub start: String,
    pub duration: String,
    pub command: Option<String>,
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub repo: Option<String>,
    /// The working tree's diff against the commit (`source/diff.patch`) of a dirty checkout.
    pub patch: Option<String>,
    pub parent: Option<RunLink>,
    pub children: Vec<RunLink>,
    /// Metrics charted in the main section, and the machine's (`system/…`) apart.
    pub charts: Vec<String>,
    pub system: Vec<String>,
    pub params: Vec<(String, String)>,
    pub metrics: Vec<MetricRow>,
    pub tags: Vec<(String, String)>,
    pub artifacts: Vec<ArtifactRow>,
    pub logs: LogsPart,
}

/// Another run, linked.
pub struct RunLink {
    pub name: String,
    pub href: String,
    pub status: String,
}

/// A run's logs; reloaded every few seconds while the run is running.
#[derive(Template)]
#[template(path = "web/logs.html")]
pub struct LogsPart {
    pub id: String,
    pub running: bool,
    pub stdout: Option<String>,
    pub stderr: Option<String>,
}

/// What a preview shows.
pub enum Preview {
    Text(String),
    Table(Vec<Vec<String>>),
    Image(String),
    Html(String),
    /// An MLmodel file: its flavors, its signature's inputs and outputs (name, type), and the
    /// file itself.
    Model {
        flavors: Vec<String>,
        has_signature: bool,
        inputs: Vec<(String, String)>,
        outputs: Vec<(String, String)>,
        text: String,
    },
    None(String),
}

#[derive(Template)]
#[template(path = "web/preview.html")]
pub struct PreviewPart {
    pub path: String,
    pub download_href: String,
    pub preview: Preview,
    pub note: Option<String>,
}

pub struct CompareRow {
    pub key: String,
    pub values: Vec<String>,
    pub differs: bool,
}

/// The compare page's plots (SVG written by `plots`, its text escaped there) and the columns
/// they may show.
pub struct ComparePlots {
    pub parallel_svg: String,
    pub scatter_svg: String,
    pub choices: Vec<String>,
    pub metric: String,
    pub x: String,
    pub y: String,
}

#[derive(Template)]
#[template(path = "web/compare.html")]
pub struct ComparePage {
    pub title: String,
    pub plots: ComparePlots,
    pub runs: Vec<(String, String, String)>,
    pub run_ids: String,
    pub params: Vec<CompareRow>,
    pub metrics: Vec<CompareRow>,
    pub metric_keys: Vec<String>,
}

pub struct ModelRow {
    pub name: String,
    pub href: String,
    pub latest: String,
    pub updated: String,
    pub description: String,
}

#[derive(Template)]
#[template(path = "web/models.html")]
pub struct ModelsPage {
    pub title: String,
    pub filter: String,
    pub error: Option<String>,
    pub models: Vec<ModelRow>,
}

pub struct VersionRow {
    pub version: String,
    pub href: String,
    pub aliases: String,
    pub source: String,
    pub created: String,
}

/// A signature's columns or tensors: (name, type).
pub type SpecRows = Vec<(String, String)>;

/// The registry of a model at a time: each stage's versions and each alias's.
pub struct AsOf {
    /// What was asked, as typed.
    pub input: String,
    pub at: i64,
    pub when: String,
    pub rows: Vec<(String, String)>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "web/model.html")]
pub struct ModelPage {
    pub title: String,
    pub csrf: String,
    pub href: String,
    pub as_of: Option<AsOf>,
    pub name: String,
    pub description: String,
    pub tags: Vec<(String, String)>,
    pub aliases: Vec<(String, String)>,
    pub stages: Vec<(String, Vec<VersionRow>)>,
}

pub struct RequestRow {
    pub id: String,
    pub stage: String,
    pub by: String,
    pub status: String,
    pub when: String,
    pub pending: bool,
}

pub struct EventRow {
    /// After the time the page looks at.
    pub later: bool,
    pub when: String,
    pub who: String,
    pub what: String,
    pub why: String,
}

#[derive(Template)]
#[template(path = "web/version.html")]
pub struct VersionPage {
    pub title: String,
    pub name: String,
    pub model_href: String,
    pub version: String,
    pub stage: String,
    pub aliases: String,
    pub source: String,
    pub run_href: Option<String>,
    pub run_id: String,
    pub description: String,
    pub stage_action: String,
    pub stages: Vec<(String, bool)>,
    pub csrf: String,
    pub message: Option<String>,
    pub error: Option<String>,
    pub requests: Vec<RequestRow>,
    pub history: Vec<EventRow>,
    pub href: String,
    pub as_of: Option<AsOf>,
    /// The MLmodel's signature: inputs and outputs as (name, type).
    pub signature: Option<(SpecRows, SpecRows)>,
}
