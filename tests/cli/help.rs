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
