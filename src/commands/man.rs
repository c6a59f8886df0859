//! `mlf man [COMMAND...] [--install [DIR]]`: a man page on stdout, or every page installed
//! where `man mlf` finds them.

use std::path::PathBuf;

use crate::commands::context::Ctx;
use crate::env;
use crate::error::{CliResult, failure, usage_error};

/// Print a man page (roff), or install every page where `man mlf` finds them
///
/// With `--install`, writes one page per command into `DIR/man1` [default DIR:
/// `$XDG_DATA_HOME/man`, else `~/.local/share/man`, which man-db searches for users whose PATH
/// holds `~/.local/bin`; elsewhere add DIR to `MANPATH`]. Without it, prints the page of
/// COMMAND (`runs list`), or of mlf, for `man -l -`.
#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// The command whose page to print (`runs list`) [default: mlf]
    #[arg(value_name = "COMMAND")]
    command: Vec<String>,
    /// Install every page into DIR/man1
    #[arg(long, value_name = "DIR", conflicts_with = "command")]
    install: Option<Option<PathBuf>>,
}

pub fn run(ctx: &mut Ctx, args: ManArgs) -> CliResult<u8> {
    let pages = crate::generate::man_pages();
    let Some(dir) = args.install else {
        let mut name = vec!["mlf".to_string()];
        name.extend(args.command.iter().cloned());
        let file = format!("{}.1", name.join("-"));
        let (_, page) = pages.iter().find(|(n, _)| *n == file).ok_or_else(|| {
            usage_error(format!("no man page for `{}`", name.join(" ")))
                .hint("`mlf --help` lists the commands")
        })?;
        ctx.ui.out(&String::from_utf8_lossy(page));
        return Ok(0);
    };
    let dir = match dir {
        Some(dir) => ctx.cwd()?.join(dir),
        None => default_dir()?,
    };
    let man1 = dir.join("man1");
    std::fs::create_dir_all(&man1)
        .map_err(|e| failure(format!("cannot create `{}`: {e}", man1.display())))?;
    for (name, bytes) in &pages {
        let path = man1.join(name);
        std::fs::write(&path, bytes)
            .map_err(|e| failure(format!("cannot write `{}`: {e}", path.display())))?;
    }
    ctx.ui.status(
        "Installed",
        &format!("{} man pages in `{}`", pages.len(), man1.display()),
    );
    ctx.ui.hint(&format!(
        "if `man mlf` does not find them, add the directory to MANPATH: export MANPATH=\"{}:$MANPATH\"",
        dir.display()
    ));
    Ok(0)
}

/// `$XDG_DATA_HOME/man`, else `~/.local/share/man`.
fn default_dir() -> CliResult<PathBuf> {
    if let Some(data) = env::var(env::XDG_DATA_HOME) {
        return Ok(PathBuf::from(data).join("man"));
    }
    let home = env::var(env::HOME).ok_or_else(|| {
        usage_error("no home directory (`HOME` is not set)")
            .hint("name a directory: `mlf man --install DIR`")
    })?;
    Ok(PathBuf::from(home).join(".local/share/man"))
}
