//! The home page and an experiment's page: the sidebar of experiments and the runs table,
//! paged, sorted and filtered by the store's run search (`mlf runs list -f`'s grammar).

use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;

use super::columns::{Column, Kind};
use super::view::{ExpLink, ExperimentPage, Header, Home, RunRow, RunsTable};
use super::{PageResult, Shared, blocking, first, from_htmx, query_pairs, render};
use crate::search::{parse_filter, parse_order_by};
use crate::store::RunQuery;
use crate::tracking::ids::now_ms;
use crate::tracking::{Experiment, LifecycleStage, Run, RunStatus, ViewType};
use crate::ui::format::{duration, number, time};

/// Runs per page of the table.
const PAGE: usize = 100;

/// Which value of a metric the runs table shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Agg {
    Last,
    Min,
    Max,
}

impl Agg {
    fn parse(s: &str) -> Agg {
        match s {
            "min" => Agg::Min,
            "max" => Agg::Max,
            _ => Agg::Last,
        }
    }
    fn as_str(self) -> &'static str {
        match self {
            Agg::Last => "last",
            Agg::Min => "min",
            Agg::Max => "max",
        }
    }
}

/// A query-string value, percent-encoded.
pub(crate) fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// "3 min ago", from a time in ms.
pub(crate) fn relative(ms: i64) -> String {
    let ago = (now_ms() - ms) / 1000;
    if ago < 0 {
        return time(ms);
    }
    match ago {
        0..=59 => format!("{ago} s ago"),
        60..=3599 => format!("{} min ago", ago / 60),
        3600..=86_399 => format!("{} h ago", ago / 3600),
        86_400..=2_592_000 => format!("{} d ago", ago / 86_400),
        _ => time(ms),
    }
}

pub(crate) fn status_class(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Running | RunStatus::Scheduled => "running",
        RunStatus::Finished => "finished",
        RunStatus::Failed => "failed",
        RunStatus::Killed => "killed",
    }
}

pub(crate) fn run_duration(run: &Run) -> String {
    match run.info.end_time {
        Some(end) => duration(end - run.info.start_time),
        None if run.info.status == RunStatus::Running => {
            format!("{} so far", duration(now_ms() - run.info.start_time))
        }
        None => String::new(),
    }
}

fn sidebar(exps: &[Experiment], q: &str, current: Option<&str>) -> Vec<ExpLink> {
    let q = q.to_lowercase();
    exps.iter()
        .filter(|e| q.is_empty() || e.name.to_lowercase().contains(&q) || e.experiment_id == q)
        .map(|e| ExpLink {
            id: e.experiment_id.clone(),
            name: e.name.clone(),
            href: format!("/ui/experiments/{}", enc(&e.experiment_id)),
            current: current == Some(e.experiment_id.as_str()),
            deleted: e.lifecycle_stage == LifecycleStage::Deleted,
        })
        .collect()
}

pub(super) async fn home(
    State(web): State<Shared>,
    RawQuery(raw): RawQuery,
    Extension(viewer): Extension<super::Viewer>,
) -> PageResult {
    let pairs = query_pairs(raw.as_deref());
    let q = first(&pairs, "q").unwrap_or("").to_string();
    let (exps, recent) = blocking(&web, |store| {
        Ok((
            store.list_experiments(ViewType::ActiveOnly)?,
            store.recent_runs(10)?,
        ))
    })
    .await?;
    render(&Home {
        title: "Experiments".into(),
        csrf: web.csrf(&viewer),
        experiments: sidebar(&exps, &q, None),
        q,
        recent,
    })
}

pub(super) async fn experiment(
    State(web): State<Shared>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    Extension(viewer): Extension<super::Viewer>,
) -> PageResult {
    let pairs = query_pairs(raw.as_deref());
    let filter = first(&pairs, "filter").unwrap_or("").trim().to_string();
    let order = first(&pairs, "order").unwrap_or("").to_string();
    let token = first(&pairs, "page_token")
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    let page: usize = first(&pairs, "page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1);
    let deleted = first(&pairs, "deleted").is_some_and(|v| !v.is_empty());
    let cols = first(&pairs, "cols").unwrap_or("").trim().to_string();
    let changed = first(&pairs, "changed").is_some_and(|v| !v.is_empty());
    let q = first(&pairs, "q").unwrap_or("").to_string();
    let agg = Agg::parse(first(&pairs, "agg").unwrap_or(""));
    let group = first(&pairs, "group").unwrap_or("").trim().to_string();
    let exp_id = id.clone();
    // Grouped with no order given: sorted by the param, so a group's runs come together
    // across pages too.
    let order_q = if order.is_empty() && !group.is_empty() {
        format!("params.`{}`", group.replace('`', ""))
    } else {
        order.clone()
    };
    let (exp, exps, result) = blocking(&web, move |store| {
        let exp = store.experiment(&exp_id)?;
        let exps = store.list_experiments(ViewType::All)?;
        let parsed = parse_filter(&filter, now_ms())
            .and_then(|f| Ok((f, parse_order_by(std::slice::from_ref(&order_q))?)));
        let result = match parsed {
            Err(e) => Err(e),
            Ok((f, order_by)) => Ok(store
                .search_runs(&RunQuery {
                    experiment_ids: vec![exp_id.clone()],
                    view: if deleted {
                        ViewType::All
                    } else {
                        ViewType::ActiveOnly
                    },
                    filter: f,
                    order_by,
                    max_results: Some(PAGE),
                    page_token: token,
                })
                .and_then(|p| {
                    let extremes = if agg == Agg::Last {
                        Default::default()
                    } else {
                        let ids: Vec<String> =
                            p.runs.iter().map(|r| r.info.run_id.clone()).collect();
                        store.metric_extremes(&ids)?
                    };
                    Ok((p, extremes))
                })),
        };
        Ok((exp, exps, result))
    })
    .await?;
    let filter = first(&pairs, "filter").unwrap_or("").trim().to_string();
    let mut table = RunsTable {
        filter: filter.clone(),
        order: order.clone(),
        error: None,
        caret: None,
        headers: Vec::new(),
        rows: Vec::new(),
        next_href: None,
        first_href: None,
        page,
        deleted,
        cols: cols.clone(),
        changed,
        refresh_href: None,
        agg: agg.as_str(),
        group: group.clone(),
        width: 0,
    };
    let base = |order: &str| {
        let mut href = format!(
            "/ui/experiments/{}?filter={}&order={}",
            enc(&id),
            enc(&filter),
            enc(order)
        );
        if deleted {
            href.push_str("&deleted=1");
        }
        if !cols.is_empty() {
            href.push_str(&format!("&cols={}", enc(&cols)));
        }
        if changed {
            href.push_str("&changed=1");
        }
        if agg != Agg::Last {
            href.push_str(&format!("&agg={}", agg.as_str()));
        }
        if !group.is_empty() {
            href.push_str(&format!("&group={}", enc(&group)));
        }
        href
    };
    let mut extremes = Default::default();
    let runs = match result {
        Err(e) => {
            table.caret = e
                .column
                .map(|c| format!("{}^", " ".repeat(c.saturating_sub(1))));
            table.error = Some(e.to_string());
            Vec::new()
        }
        Ok(Err(e)) => {
            table.error = Some(e.to_string());
            Vec::new()
        }
        Ok(Ok((p, ext))) => {
            extremes = ext;
            if let Some(t) = &p.next_page_token {
                table.next_href = Some(format!(
                    "{}&page_token={}&page={}",
                    base(&order),
                    enc(t),
                    page + 1
                ));
            }
            if page > 1 {
                table.first_href = Some(base(&order));
            }
            p.runs
        }
    };
    let columns = super::columns::choose(&runs, &cols, changed);
    let sort = |label: &str, key: &str, numeric: bool| {
        let (current_desc, current_asc) = (
            order == format!("{key} DESC"),
            order == key || order == format!("{key} ASC"),
        );
        let next = if current_desc {
            format!("{key} ASC")
        } else {
            format!("{key} DESC")
        };
        Header {
            label: label.to_string(),
            href: Some(base(&next)),
            arrow: if current_desc {
                "▼"
            } else if current_asc {
                "▲"
            } else {
                ""
            },
            numeric,
        }
    };
    table.headers = vec![
        sort("Status", "attributes.status", false),
        sort("Name", "attributes.run_name", false),
        sort("Started", "attributes.start_time", false),
        Header {
            label: "Duration".into(),
            href: None,
            arrow: "",
            numeric: false,
        },
        sort("User", "attributes.user_id", false),
    ];
    for c in &columns {
        if c.kind == Kind::Metric && agg != Agg::Last {
            // The store sorts by a metric's last value only.
            table.headers.push(Header {
                label: format!("{} ({})", c.label(), agg.as_str()),
                href: None,
                arrow: "",
                numeric: true,
            });
        } else {
            table
                .headers
                .push(sort(&c.label(), &c.order_key(), c.numeric()));
        }
    }
    table.width = table.headers.len() + 1;
    let cell = |c: &Column, r: &Run| match (c.kind, agg) {
        (Kind::Metric, Agg::Min | Agg::Max) => extremes
            .get(&(r.info.run_id.clone(), c.key.clone()))
            .and_then(|e| if agg == Agg::Min { e.min } else { e.max })
            .map(number)
            .unwrap_or_default(),
        _ => c.value(r),
    };
    let mut last_group: Option<String> = None;
    table.rows = runs
        .iter()
        .map(|r| RunRow {
            group_head: (!group.is_empty())
                .then(|| r.param(&group).unwrap_or("").to_string())
                .filter(|g| last_group.as_ref() != Some(g))
                .inspect(|g| last_group = Some(g.clone()))
                .map(|g| {
                    let n = runs
                        .iter()
                        .filter(|o| o.param(&group).unwrap_or("") == g)
                        .count();
                    let value = if r.param(&group).is_some() {
                        g
                    } else {
                        "(not set)".into()
                    };
                    format!(
                        "{group} = {value} · {n} run{} on this page",
                        if n == 1 { "" } else { "s" }
                    )
                }),
            id: r.info.run_id.clone(),
            name: if r.info.run_name.is_empty() {
                r.info.run_id.clone()
            } else {
                r.info.run_name.clone()
            },
            href: format!("/ui/runs/{}", enc(&r.info.run_id)),
            status: r.info.status.as_str().to_string(),
            status_class: status_class(r.info.status),
            start_rel: relative(r.info.start_time),
            start_abs: time(r.info.start_time),
            duration: run_duration(r),
            user: r.info.user_id.clone(),
            cells: columns.iter().map(|c| cell(c, r)).collect(),
        })
        .collect();
    if runs.iter().any(|r| r.info.status == RunStatus::Running) {
        let mut here = base(&order);
        if let Some(t) = first(&pairs, "page_token") {
            here.push_str(&format!("&page_token={}&page={page}", enc(t)));
        }
        table.refresh_href = Some(here);
    }
    if from_htmx(&headers) {
        return render(&table);
    }
    render(&ExperimentPage {
        title: exp.name.clone(),
        csrf: web.csrf(&viewer),
        deleted: exp.lifecycle_stage == LifecycleStage::Deleted,
        experiments: sidebar(&exps, &q, Some(&exp.experiment_id)),
        q,
        id: exp.experiment_id,
        name: exp.name,
        table,
    })
}
