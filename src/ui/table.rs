//! Tables for people: borderless aligned columns, a bold header when colour is on, wrapped to
//! the terminal width when there is one.

use comfy_table::presets::NOTHING;
use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table};

use super::Ui;

/// A table with these headers.
pub fn new(ui: &Ui, headers: &[String]) -> Table {
    let mut table = Table::new();
    table.load_style(NOTHING);
    if let Some(w) = ui.width {
        table.set_width(w);
        table.set_content_arrangement(ContentArrangement::Dynamic);
    }
    if ui.color_stdout {
        table.enforce_styling();
        table.set_header(
            headers
                .iter()
                .map(|h| Cell::new(h).add_attribute(Attribute::Bold)),
        );
    } else {
        table.force_no_tty();
        table.set_header(headers.iter().map(Cell::new));
    }
    table
}

/// Renders a table: each line without trailing spaces or the preset's outer padding.
pub fn render(table: &Table) -> String {
    let mut out = String::new();
    for line in table.lines() {
        let line = line.strip_prefix(' ').unwrap_or(&line);
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
        "FINISHED" => cell.fg(Color::Green),
        "FAILED" | "DEAD" => cell.fg(Color::Red),
        "KILLED" => cell.fg(Color::Magenta),
        "RUNNING" => cell.fg(Color::Yellow),
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
