//! `mlf runs plot RUN... -m KEY`: learning curves drawn in the terminal.

use crate::commands::context::Ctx;
use crate::error::CliResult;
use crate::ui::chart::{self, Series, Style};
use crate::ui::format::short_id;

/// Draw metric curves of runs in the terminal
///
/// One series per run and metric, against the step, with axes and a legend. Braille dots in
/// colour; with colour off and several series, each series gets its own marker character.
#[derive(Debug, clap::Args)]
pub struct PlotArgs {
    /// Runs: full ids, unique id prefixes or unique names
    #[arg(add = crate::commands::complete::run_completer(), required = true)]
    runs: Vec<String>,
    /// Metric to draw (repeatable)
    #[arg(add = crate::commands::complete::metric_completer(), short, long = "metric", value_name = "KEY", required = true)]
    metrics: Vec<String>,
    /// Width of the whole chart in characters [default: the terminal's, else 80]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(10..=1000))]
    width: Option<u16>,
    /// Height of the plot area in lines
    #[arg(long, value_name = "N", default_value_t = 15, value_parser = clap::value_parser!(u16).range(3..=200))]
    height: u16,
    /// How to draw: braille dots, or marker characters [default: braille in colour, markers
    /// without colour when there are several series]
    #[arg(long, value_enum)]
    style: Option<Style>,
}

pub fn run(ctx: &mut Ctx, args: PlotArgs) -> CliResult<u8> {
    let PlotArgs {
        runs,
        metrics,
        width,
        height,
        style,
    } = args;
    let store = ctx.store()?;
    let mut series = Vec::new();
    for spec in &runs {
        let run = store.run(&super::position::resolve(store, Some(spec), None)?)?;
        for key in &metrics {
            let points = super::metric::history(store, &run, key)?;
            let mut label = format!("{} ({})", run.info.run_name, short_id(&run.info.run_id));
            if metrics.len() > 1 {
                label.push_str(&format!(" {key}"));
            }
            series.push(Series {
                label,
                points: points.iter().map(|p| (p.step as f64, p.value)).collect(),
            });
        }
    }
    let color = ctx.ui.color_stdout;
    let style = style.unwrap_or(if color || series.len() == 1 {
        Style::Braille
    } else {
        Style::Markers
    });
    let total = width
        .map(usize::from)
        .or(ctx.ui.width.map(usize::from))
        .unwrap_or(80);
    let title = metrics.join(", ");
    ctx.ui.out(&chart::render(
        &series,
        &title,
        total,
        usize::from(height),
        color,
        style,
    ));
    Ok(0)
}
