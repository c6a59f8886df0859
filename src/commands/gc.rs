//! `mlf gc`: remove for good what was deleted.

use crate::commands::context::Ctx;
use crate::error::{CliResult, usage_error};
use crate::ops::gc::{GcOptions, Item, collect};
use crate::tracking::ids::now_ms;
use crate::ui::format::bytes;

/// Remove deleted runs and experiments for good, and files no run or version owns
///
/// Deleted runs lose their rows (params, tags, metric history) and artifacts; deleted
/// experiments go with their runs and their names become free again; artifact directories of
/// runs the store does not know and the files of deleted registry versions are removed; then
/// the database file is compacted. Safe while other processes log: rows go in short
/// transactions that wait for writers. `--dry-run` lists the same and changes nothing.
#[derive(Debug, clap::Args)]
pub struct GcArgs {
    /// Only what was deleted longer ago than this (`30d`, `12h`, `90m`, `0s`) [default:
    /// everything deleted]
    #[arg(long, value_name = "AGE")]
    older_than: Option<String>,
    /// Only these experiments (names or ids, repeatable); orphans and registry files are then
    /// left alone
    #[arg(short = 'x', long = "experiment", value_name = "EXP", add = crate::commands::complete::experiment_completer())]
    experiments: Vec<String>,
    /// List what would be removed and the bytes it holds, and change nothing
    #[arg(long)]
    dry_run: bool,
}

/// `30d`, `12h`, `90m`, `45s`, `2w`: milliseconds.
fn parse_age(text: &str) -> CliResult<i64> {
    let bad = || {
        usage_error(format!(
            "invalid age `{text}`: give a number and a unit, such as `30d`, `12h`, `90m` or `0s`"
        ))
    };
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (num, unit) = t.split_at(split);
    let n: i64 = num.parse().map_err(|_| bad())?;
    let ms = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 7 * 86_400_000,
        _ => return Err(bad()),
    };
    n.checked_mul(ms).ok_or_else(bad)
}

pub fn run(ctx: &mut Ctx, args: GcArgs) -> CliResult<u8> {
    let cutoff = match &args.older_than {
        Some(age) => Some(now_ms() - parse_age(age)?),
        None => None,
    };
    let options = GcOptions {
        cutoff,
        experiments: args.experiments,
        dry_run: args.dry_run,
    };
    let store = ctx.local_store("`mlf gc`")?;
    let report = collect(store, &options)?;
    let verb = if options.dry_run {
        "Would remove"
    } else {
        "Removed"
    };
    let list = |items: &[Item]| {
        for i in items {
            ctx.ui.line(&format!("{}  {}", i.what, bytes(i.bytes)));
        }
    };
    list(&report.experiments);
    list(&report.runs);
    list(&report.orphans);
    list(&report.versions);
    let count =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let shrink = report.database_before.saturating_sub(report.database_after);
    ctx.ui.status(
        verb,
        &format!(
            "{}, {}, {}, {}: {} reclaimed{}",
            count(report.runs.len(), "run", "runs"),
            count(report.experiments.len(), "experiment", "experiments"),
            count(
                report.orphans.len(),
                "orphaned artifact directory",
                "orphaned artifact directories"
            ),
            count(
                report.versions.len(),
                "deleted version's files",
                "deleted versions' files"
            ),
            bytes(report.bytes()),
            if options.dry_run {
                String::new()
            } else {
                format!(" (database {})", bytes(shrink))
            }
        ),
    );
    Ok(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn ages() {
        assert_eq!(super::parse_age("30d").unwrap(), 30 * 86_400_000);
        assert_eq!(super::parse_age("0s").unwrap(), 0);
        assert!(super::parse_age("30").is_err());
        assert!(super::parse_age("d").is_err());
        assert!(super::parse_age("3y").is_err());
    }
}
