//! Tables for people: borderless aligned columns, a bold header when colour is on, fitted to
//! the terminal width when there is one. A table never wraps: when it is too wide, cells are
//! cut with `…`, the least important columns first, and columns that cannot keep even a few
//! characters are left out. Full values stay in `--format json/csv` and the `show` commands.

use super::Ui;

/// The gap between two columns.
const GAP: usize = 2;
/// The narrowest a cut column gets (four characters and `…`).
const MIN_CUT: usize = 5;

/// A cell: its text on one line and, when colour is on, an SGR code (`32`, `1;33`).
#[derive(Debug, Clone, Default)]
pub struct Cell {
    text: String,
    style: Option<&'static str>,
}

impl Cell {
    pub fn new(text: impl std::fmt::Display) -> Cell {
        let text = text
            .to_string()
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        Cell { text, style: None }
    }

    /// The cell painted with an SGR code (only shown when the table's colour is on).
    #[must_use]
    pub fn style(mut self, code: &'static str) -> Cell {
        self.style = Some(code);
        self
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Cell {
        Cell::new(text)
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Cell {
        Cell::new(text)
    }
}

impl From<&String> for Cell {
    fn from(text: &String) -> Cell {
        Cell::new(text)
    }
}

/// A table being built: headers, rows, the width to fit and which columns matter most.
#[derive(Debug, Clone)]
pub struct Table {
    headers: Vec<Cell>,
    rows: Vec<Vec<Cell>>,
    width: Option<usize>,
    color: bool,
    priority: Vec<usize>,
    keep: usize,
    /// How many columns the last `render` left out to fit.
    left_out: std::cell::Cell<usize>,
}

impl Table {
    pub fn add_row<C: Into<Cell>>(&mut self, cells: impl IntoIterator<Item = C>) {
        self.rows.push(cells.into_iter().map(Into::into).collect());
    }

    /// The columns by importance, most important first; a column left out of `order` comes
    /// after those in it, in table order. Fitting cuts the least important first.
    pub fn set_priority(&mut self, order: &[usize]) {
        let n = self.headers.len();
        let mut seen = vec![false; n];
        let mut priority = Vec::with_capacity(n);
        for &i in order {
            if i < n && !seen[i] {
                seen[i] = true;
                priority.push(i);
            }
        }
        priority.extend((0..n).filter(|&i| !seen[i]));
        self.priority = priority;
    }

    /// How many columns the last rendering left out to fit the terminal.
    pub fn left_out(&self) -> usize {
        self.left_out.get()
    }

    /// How many of the most important columns are cut only when nothing else can give way
    /// [default: 1].
    pub fn set_keep(&mut self, keep: usize) {
        self.keep = keep;
    }
}

/// A table with these headers.
pub fn new(ui: &Ui, headers: &[String]) -> Table {
    Table {
        headers: headers.iter().map(|h| Cell::new(h).style("1")).collect(),
        rows: Vec::new(),
        width: ui.width.map(usize::from),
        color: ui.color_stdout,
        priority: (0..headers.len()).collect(),
        keep: 1,
        left_out: std::cell::Cell::new(0),
    }
}

fn chars(text: &str) -> usize {
    text.chars().count()
}

/// Each column's width once fitted to `width`, `None` for a column left out. The `keep` most
/// important columns are cut only when nothing else can give way; the others are cut, least
/// important first, down to a few characters, and left out, least important first, when even
/// that is too wide.
fn fit(
    natural: &[usize],
    priority: &[usize],
    keep: usize,
    width: Option<usize>,
) -> Vec<Option<usize>> {
    let all: Vec<Option<usize>> = natural.iter().map(|&w| Some(w)).collect();
    let Some(width) = width else {
        return all;
    };
    let total = |ws: &[Option<usize>]| {
        let shown: Vec<usize> = ws.iter().flatten().copied().collect();
        shown.iter().sum::<usize>() + GAP * shown.len().saturating_sub(1)
    };
    // Cuts the columns `order` names (least important last) until `ws` fits or they are as
    // narrow as they go.
    let cut_down = |ws: &mut Vec<Option<usize>>, order: &[usize]| {
        for &i in order.iter().rev() {
            let over = total(ws).saturating_sub(width);
            if over == 0 {
                break;
            }
            let w = natural[i];
            ws[i] = Some(w.saturating_sub(over).max(w.min(MIN_CUT)));
        }
    };
    let keep = keep.clamp(1, priority.len().max(1)).min(priority.len());
    for shown in (keep..=priority.len()).rev() {
        let mut ws = vec![None; natural.len()];
        for &i in &priority[..shown] {
            ws[i] = Some(natural[i]);
        }
        cut_down(&mut ws, &priority[keep..shown]);
        if total(&ws) <= width {
            return ws;
        }
    }
    // Only the most important columns, and even they are too wide: cut them too.
    let mut ws = vec![None; natural.len()];
    for &i in &priority[..keep] {
        ws[i] = Some(natural[i]);
    }
    cut_down(&mut ws, &priority[..keep]);
    if let Some(&first) = priority.first() {
        let over = total(&ws).saturating_sub(width);
        if let Some(w) = ws[first] {
            ws[first] = Some(w.saturating_sub(over).max(1));
        }
    }
    ws
}

/// `text` cut to `width` characters, ending in `…` when it was longer.
pub fn cut(text: &str, width: usize) -> String {
    if chars(text) <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = text.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// Renders a table: aligned columns two spaces apart, no trailing spaces, cut to fit.
pub fn render(table: &Table) -> String {
    let n = table.headers.len();
    let mut natural = vec![0usize; n];
    for row in std::iter::once(&table.headers).chain(&table.rows) {
        for (i, cell) in row.iter().enumerate().take(n) {
            natural[i] = natural[i].max(chars(&cell.text));
        }
    }
    let widths = fit(&natural, &table.priority, table.keep, table.width);
    table
        .left_out
        .set(widths.iter().filter(|w| w.is_none()).count());
    let mut out = String::new();
    for row in std::iter::once(&table.headers).chain(&table.rows) {
        let mut line = String::new();
        let mut pad = None;
        for (i, w) in widths.iter().enumerate() {
            let Some(w) = *w else { continue };
            let empty = Cell::default();
            let cell = row.get(i).unwrap_or(&empty);
            let text = cut(&cell.text, w);
            if let Some(pad) = pad {
                line.push_str(&" ".repeat(pad + GAP));
            }
            pad = Some(w - chars(&text));
            match cell.style {
                Some(code) if table.color && !text.is_empty() => {
                    line.push_str(&format!("\x1b[{code}m{text}\x1b[0m"));
                }
                _ => line.push_str(&text),
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A run status cell, coloured when colour is on.
pub fn status_cell(ui: &Ui, status: &str) -> Cell {
    let cell = Cell::new(status);
    if !ui.color_stdout {
        return cell;
    }
    match status {
        "FINISHED" => cell.style("32"),
        "FAILED" | "DEAD" => cell.style("31"),
        "KILLED" => cell.style("35"),
        "RUNNING" => cell.style("33"),
        _ => cell,
    }
}

/// Key/value lines (`key  value`) aligned on the key, for `show` commands.
pub fn pairs(rows: &[(String, String)], indent: usize) -> String {
    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let pad = " ".repeat(indent);
    let mut out = String::new();
    for (k, v) in rows {
        let gap = " ".repeat(width - k.chars().count() + 2);
        out.push_str(&format!("{pad}{k}{gap}{v}\n"));
    }
    out
}

/// Rows as CSV with a header row.
pub fn csv<H: AsRef<str>, C: AsRef<str>>(headers: &[H], rows: &[Vec<C>]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(headers.iter().map(|h| h.as_ref()));
    for r in rows {
        let _ = w.write_record(r.iter().map(|c| c.as_ref()));
    }
    String::from_utf8_lossy(&w.into_inner().unwrap_or_default()).into_owned()
}

/// Key/value rows as CSV with a `key,value` header, for `show` commands.
pub fn pairs_csv(rows: &[(String, String)]) -> String {
    let rows: Vec<Vec<&str>> = rows
        .iter()
        .map(|(k, v)| vec![k.as_str(), v.as_str()])
        .collect();
    csv(&["key", "value"], &rows)
}

/// A Markdown table (pipes in cells escaped).
pub fn markdown(headers: &[String], rows: &[Vec<String>]) -> String {
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut out = format!(
        "| {} |\n",
        headers
            .iter()
            .map(|h| cell(h))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    out.push_str(&format!("|{}|\n", vec!["---"; headers.len()].join("|")));
    for row in rows {
        out.push_str(&format!(
            "| {} |\n",
            row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")
        ));
    }
    out
}

/// Plain text rows as a table for people, or as Markdown.
pub fn text(ui: &Ui, headers: &[String], rows: Vec<Vec<String>>, markdown_out: bool) -> String {
    if markdown_out {
        return markdown(headers, &rows);
    }
    let mut t = new(ui, headers);
    for row in rows {
        t.add_row(row);
    }
    render(&t)
}
