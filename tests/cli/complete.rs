//! Dynamic completion: run ids and names, experiments and keys come from the store.

use std::path::Path;
use std::process::Command;

use crate::support::{TestEnv, mlf_bin};

/// Asks for completions the way fish does: `COMPLETE=fish mlf -- mlf WORDS...`.
pub(crate) fn fish(env: &TestEnv, words: &[&str]) -> Vec<String> {
    let mut args = vec!["--", "mlf"];
    args.extend_from_slice(words);
    let mut cmd = env.command(&args);
    cmd.env("COMPLETE", "fish");
    let out = crate::support::run(cmd).ok();
    out.stdout.lines().map(str::to_string).collect()
}

fn store_with_runs(env: &TestEnv) -> (String, String) {
    let a = env.start_run(&["-x", "vision", "-n", "swift-otter", "-p", "lr=0.1"]);
    env.mlf(&["log", "metric", "val_loss", "0.5"]).ok();
    env.mlf(&["run", "end"]).ok();
    let b = env.start_run(&["-x", "nlp", "-n", "sleepy-owl", "-t", "team=x"]);
    env.mlf(&["log", "metric", "accuracy", "0.9"]).ok();
    env.mlf(&["run", "end"]).ok();
    (a, b)
}

#[test]
fn completes_run_names_and_ids() {
    let env = TestEnv::new();
    let (a, _) = store_with_runs(&env);
    let got = fish(&env, &["runs", "show", "sw"]);
    assert_eq!(got, vec![format!("swift-otter\trun {}", &a[..8])]);
    let got = fish(&env, &["runs", "diff", "sleepy-owl", &a[..3]]);
    assert!(got.contains(&format!("{a}\tswift-otter")), "{got:?}");
    let got = fish(&env, &["log", "metric", "--run", "sl"]);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].starts_with("sleepy-owl\t"));
}

#[test]
fn completes_experiments_and_keys() {
    let env = TestEnv::new();
    store_with_runs(&env);
    let got = fish(&env, &["runs", "list", "-x", "n"]);
    assert_eq!(got, vec!["nlp\texperiment 2".to_string()]);
    let got = fish(&env, &["runs", "plot", "swift-otter", "-m", "val"]);
    assert_eq!(got, vec!["val_loss".to_string()]);
    let got = fish(&env, &["runs", "list", "--order-by", "metrics."]);
    assert_eq!(
        got,
        vec![
            "metrics.accuracy".to_string(),
            "metrics.val_loss".to_string()
        ]
    );
    let got = fish(&env, &["runs", "list", "--columns", "params.lr,t"]);
    assert_eq!(
        got,
        vec![
            "params.lr,tags.mlflow.runName".to_string(),
            "params.lr,tags.mlflow.source.type".to_string(),
            "params.lr,tags.mlflow.user".to_string(),
            "params.lr,tags.team".to_string()
        ]
    );
}

#[test]
fn no_store_completes_nothing_and_creates_nothing() {
    let env = TestEnv::new();
    // Only the flags are offered: there are no runs to name.
    let got = fish(&env, &["runs", "show", ""]);
    assert!(got.iter().all(|c| c.starts_with("--")), "{got:?}");
    assert!(fish(&env, &["runs", "show", "a"]).is_empty());
    assert!(!env.store().exists());
}

#[test]
fn bash_script_completes_through_the_binary() {
    let env = TestEnv::new();
    store_with_runs(&env);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/mlf.bash");
    let bin_dir = Path::new(mlf_bin()).parent().unwrap();
    let probe = format!(
        "source {}; COMP_WORDS=(mlf runs show sl); COMP_CWORD=3; COMP_TYPE=9; _clap_complete_mlf mlf sl runs; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display()
    );
    let out = Command::new("bash")
        .args(["-c", &probe])
        .current_dir(env.cwd())
        .env_clear()
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin_dir.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("HOME", env.dir.path().join("home"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.trim(),
        "sleepy-owl",
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `mlf <TAB>` offers the commands by their names, not the short aliases (which still work).
#[test]
fn commands_complete_by_name_not_alias() {
    let env = TestEnv::new();
    let names: Vec<String> = fish(&env, &[""])
        .into_iter()
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect();
    assert!(names.contains(&"experiments".to_string()), "{names:?}");
    assert!(names.contains(&"registry".to_string()), "{names:?}");
    assert!(
        !names.contains(&"exp".to_string()) && !names.contains(&"reg".to_string()),
        "{names:?}"
    );
    env.mlf(&["init"]).ok();
    env.mlf(&["exp", "list"]).ok();
    env.mlf(&["reg", "list"]).ok();
}

fn values(got: Vec<String>) -> Vec<String> {
    got.into_iter()
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect()
}

/// After `mlf run --`: programs on PATH (and paths) for the command, files for its arguments.
#[test]
fn completes_the_command_of_mlf_run() {
    let mut env = TestEnv::new();
    env.script("mytrainer", "exit 0");
    let bin = env.dir.path().join("bin");
    env.set(
        "PATH",
        &format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
    );
    env.write("train.py", "print(1)\n");
    env.write("data/x.csv", "a\n");
    let got = values(fish(&env, &["run", "-x", "e", "--", "mytr"]));
    assert_eq!(got, vec!["mytrainer".to_string()]);
    let got = values(fish(&env, &["run", "--", "python3", "tr"]));
    assert_eq!(got, vec!["train.py".to_string()]);
    let got = values(fish(&env, &["run", "--", "python3", "train.py", "da"]));
    assert_eq!(got, vec!["data/".to_string()]);
    // A path as the command.
    let got = values(fish(&env, &["run", "--", "./tr"]));
    assert_eq!(got, vec!["./train.py".to_string()]);
}

#[test]
fn completes_filters_models_stages_and_artifacts() {
    let env = TestEnv::new();
    let (a, _) = store_with_runs(&env);
    // Filter keys.
    let got = fish(&env, &["runs", "list", "-f", "metrics."]);
    assert_eq!(got, vec!["metrics.accuracy", "metrics.val_loss"]);
    let got = fish(&env, &["runs", "compare", "--filter", "params."]);
    assert_eq!(got, vec!["params.lr"]);
    // Model names, stages and model URIs.
    env.mlf(&["registry", "create", "churn", "-d", "Predicts churn"])
        .ok();
    env.write("model/MLmodel", "flavors: {}\n");
    let got = fish(&env, &["registry", "promote", "ch"]);
    assert_eq!(got, vec!["churn\tPredicts churn"]);
    let got = values(fish(
        &env,
        &["registry", "promote", "churn", "1", "--to", "pro"],
    ));
    assert_eq!(got, vec!["Production"]);
    let got = values(fish(&env, &["models", "serve", "-m", "mo"]));
    assert!(got.contains(&"model/".to_string()), "{got:?}");
    assert!(got.contains(&"models:/".to_string()), "{got:?}");
    let got = values(fish(&env, &["models", "serve", "-m", "models:/c"]));
    assert_eq!(got, vec!["models:/churn"]);
    let got = values(fish(
        &env,
        &["models", "predict", "-m", &format!("runs:/{}", &a[..6])],
    ));
    assert_eq!(got, vec![format!("runs:/{a}/model")]);
    // Artifact paths of the latest run, or of `--run`.
    env.write("report.txt", "r\n");
    env.mlf(&["log", "artifact", "report.txt", "--to", "eval", "--run", &a])
        .ok();
    let got = values(fish(
        &env,
        &["artifacts", "get", "--run", "swift-otter", "ev"],
    ));
    assert_eq!(got, vec!["eval/", "eval/report.txt"]);
    let got = values(fish(&env, &["artifacts", "get", "ev"]));
    assert!(
        got.is_empty(),
        "the latest run has no such artifact: {got:?}"
    );
}
