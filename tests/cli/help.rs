//! `mlf help TOPIC|COMMAND`: the filter grammar, the environment variables, and any command's
//! help; examples in every command's `--help`; man pages with their sections.

use crate::support::TestEnv;

#[test]
fn help_filter_prints_the_grammar_with_examples() {
    let env = TestEnv::new();
    let out = env.mlf(&["help", "filter"]).ok();
    assert!(out.stdout.contains("expr    := and (\"OR\" and)*"), "{out}");
    assert!(out.stdout.contains("EXAMPLES"), "{out}");
    // Every example in it is a filter the binary accepts.
    env.mlf(&["init"]).ok();
    for line in out
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("mlf runs list -f \""))
    {
        let filter = line.split('"').nth(1).unwrap();
        env.mlf(&["runs", "list", "-f", filter]).ok();
    }
    // A bad filter points here.
    let bad = env.mlf(&["runs", "list", "-f", "metrics.acc >> 1"]).code(2);
    assert!(bad.stderr.contains("`mlf help filter`"), "{bad}");
}

#[test]
fn help_env_names_every_variable_of_env_rs() {
    let env = TestEnv::new();
    let out = env.mlf(&["help", "env"]).ok();
    let source =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/env.rs")).unwrap();
    let mut count = 0;
    for line in source.lines().filter(|l| l.starts_with("pub const ")) {
        let name = line.split('"').nth(1).unwrap();
        assert!(
            out.stdout.contains(&format!("\n  {name}")),
            "{name} missing:\n{out}"
        );
        count += 1;
    }
    assert!(count > 30);
    assert!(out.stdout.contains("  MLF_PAGER\n      The pager"), "{out}");
}

#[test]
fn help_of_a_command_is_its_long_help() {
    let env = TestEnv::new();
    let via_help = env.mlf(&["help", "runs", "list"]).ok();
    let via_flag = env.mlf(&["runs", "list", "--help"]).ok();
    assert_eq!(via_help.stdout, via_flag.stdout);
    let bad = env.mlf(&["help", "runs", "lst"]).code(2);
    assert!(
        bad.stderr
            .contains("error: `mlf runs` has no command or help topic `lst`"),
        "{bad}"
    );
    let top = env.mlf(&["--help"]).ok();
    assert!(top.stdout.contains("mlf help filter"), "{top}");
}

#[test]
fn help_topics_go_through_the_pager_on_a_terminal() {
    let mut env = TestEnv::new();
    let input = env.dir.path().join("paged");
    let pager = env.script("pg", &format!("cat > '{}'", input.display()));
    env.set("MLF_PAGER", &pager.display().to_string());
    env.mlf_tty(&["help", "filter"]).ok();
    assert!(
        std::fs::read_to_string(&input)
            .unwrap()
            .starts_with("FILTERS")
    );
}

#[test]
fn every_command_help_ends_with_examples() {
    let env = TestEnv::new();
    for cmd in [
        vec!["runs", "list"],
        vec!["run"],
        vec!["registry", "promote"],
        vec!["status"],
    ] {
        let out = env.mlf(&[cmd.as_slice(), &["--help"]].concat()).ok();
        let examples = out
            .stdout
            .split("Examples:\n")
            .nth(1)
            .unwrap_or_else(|| panic!("{cmd:?}: {out}"));
        assert!(
            examples.starts_with(&format!("  mlf {}", cmd.join(" "))),
            "{cmd:?}: {out}"
        );
    }
}

#[test]
fn man_install_puts_pages_where_man_finds_them() {
    let env = TestEnv::new();
    let out = env.mlf(&["man", "--install"]).ok();
    let man1 = env.dir.path().join("home/.local/share/man/man1");
    assert!(
        out.stderr
            .contains(&format!("man pages in `{}`", man1.display())),
        "{out}"
    );
    let top = std::fs::read_to_string(man1.join("mlf.1")).unwrap();
    for section in [
        ".SH EXAMPLES",
        ".SH FILTERS",
        ".SH ENVIRONMENT",
        ".SH FILES",
        ".SH \"EXIT STATUS\"",
    ] {
        assert!(top.contains(section), "mlf.1 lacks {section}");
    }
    assert!(top.contains("\\fBMLF_PAGER\\fR"));
    let list = std::fs::read_to_string(man1.join("mlf-runs-list.1")).unwrap();
    assert!(
        list.contains(".SH EXAMPLES") && list.contains(".SH FILTERS"),
        "{list}"
    );
    // The pages are the committed ones.
    let committed =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/man/mlf-runs-list.1")).unwrap();
    assert_eq!(list.as_bytes(), committed.as_slice());

    // `man` finds the page when the directory is on its path (when man is installed).
    let found = std::process::Command::new("man")
        .args(["-w", "mlf-runs-list"])
        .env("MANPATH", env.dir.path().join("home/.local/share/man"))
        .output();
    if let Ok(found) = found {
        assert_eq!(
            String::from_utf8_lossy(&found.stdout).trim(),
            man1.join("mlf-runs-list.1").display().to_string()
        );
    }

    // A directory of one's own, and XDG_DATA_HOME.
    env.mlf(&["man", "--install", "share/man"]).ok();
    assert!(env.cwd().join("share/man/man1/mlf-status.1").is_file());
    let mut env = env;
    env.set(
        "XDG_DATA_HOME",
        &env.dir.path().join("data").display().to_string(),
    );
    env.mlf(&["man", "--install"]).ok();
    assert!(env.dir.path().join("data/man/man1/mlf.1").is_file());
}

#[test]
fn man_prints_one_page() {
    let env = TestEnv::new();
    let out = env.mlf(&["man", "runs", "list"]).ok();
    assert!(
        out.stdout.starts_with(".ie") || out.stdout.contains(".TH mlf-runs-list"),
        "{out}"
    );
    let bad = env.mlf(&["man", "runs", "nope"]).code(2);
    assert!(
        bad.stderr
            .contains("error: no man page for `mlf runs nope`"),
        "{bad}"
    );
}
