//! The EXAMPLES of every command, shown at the end of its `--help` and in its man page. Each
//! line that starts with `mlf ` is parsed by the real command line in a test, so an example
//! cannot drift from the options it shows.

/// (command path, example lines): `# …` is a comment that says what the line does.
pub const EXAMPLES: &[(&str, &str)] = &[
    (
        "",
        "mlf run -x mnist -p lr=0.01 -- python train.py --lr {lr}\nmlf runs list -f \"metrics.acc > 0.9\" --order-by \"metrics.acc DESC\"\nmlf runs show                # the latest run\nmlf runs diff                # the latest run against the one before it\nmlf status",
    ),
    (
        "init",
        "mlf init                     # .mlf/ here (any write also creates one)",
    ),
    ("status", "mlf status\nmlf status --format json"),
    (
        "run",
        "mlf run -- python train.py\nmlf run -x mnist -n baseline -p lr=0.01 -- python train.py --lr {lr}\nmlf run --capture-metrics -- python train.py   # `loss=0.3` lines become metrics",
    ),
    (
        "run start",
        "RUN=$(mlf run start -x nightly -p commit=abc123)\nmlf run start -n manual -t team=vision",
    ),
    (
        "run end",
        "mlf run end\nmlf run end --status failed\nmlf run end --run @ --status killed",
    ),
    (
        "log",
        "mlf log metric loss 0.31 --step 3\nmlf log param dataset v3",
    ),
    (
        "log param",
        "mlf log param lr 0.01\nmlf log param dataset v3 --run @",
    ),
    (
        "log metric",
        "mlf log metric loss 0.31\nmlf log metric acc 0.93 --step 10",
    ),
    (
        "log tag",
        "mlf log tag team vision\nmlf log tag reviewed yes --run swift-otter-417",
    ),
    (
        "log artifact",
        "mlf log artifact model.onnx\nmlf log artifact reports/ --to eval",
    ),
    (
        "log batch",
        "mlf log batch --file metrics.csv\nmlf log batch --file - --input-format jsonl < points.jsonl",
    ),
    ("runs", "mlf runs list\nmlf runs show\nmlf runs diff"),
    (
        "runs list",
        "mlf runs list\nmlf runs list -x mnist -n 10\nmlf runs list -f \"metrics.acc > 0.9 and params.opt = 'adam'\" --order-by \"metrics.acc DESC\"\nmlf runs list --columns 'lr,metrics.*' --only-changed\nmlf runs list --format csv > runs.csv",
    ),
    (
        "runs show",
        "mlf runs show                # the latest run\nmlf runs show @~1             # the one before it\nmlf runs show swift-otter-417 --format json",
    ),
    (
        "runs compare",
        "mlf runs compare @~1 @\nmlf runs compare -f \"params.opt = 'adam'\" -n 5 --lower loss",
    ),
    (
        "runs diff",
        "mlf runs diff                # the latest run against the one before it\nmlf runs diff swift-otter-417 3f2a",
    ),
    (
        "runs logs",
        "mlf runs logs\nmlf runs logs @~1 --stderr\nmlf runs logs -f              # follow a running run",
    ),
    (
        "runs metric",
        "mlf runs metric @ loss\nmlf runs metric swift-otter-417 acc --format csv",
    ),
    (
        "runs plot",
        "mlf runs plot @ -m loss\nmlf runs plot @~2 @~1 @ -m loss -m val_loss",
    ),
    (
        "runs delete",
        "mlf runs delete swift-otter-417\nmlf runs delete @~1 @~2",
    ),
    ("runs restore", "mlf runs restore swift-otter-417"),
    (
        "experiments",
        "mlf experiments list\nmlf experiments create mnist",
    ),
    (
        "experiments create",
        "mlf experiments create mnist\nmlf experiments create shared --artifact-location /data/mlruns",
    ),
    (
        "experiments list",
        "mlf experiments list\nmlf experiments list --all --format json",
    ),
    ("experiments show", "mlf experiments show mnist"),
    (
        "experiments rename",
        "mlf experiments rename mnist mnist-v1",
    ),
    ("experiments delete", "mlf experiments delete mnist-v1"),
    ("experiments restore", "mlf experiments restore mnist-v1"),
    (
        "models",
        "mlf models serve -m runs:/3f2a/model --port 5001\nmlf models predict -m models:/churn/Production -i rows.json",
    ),
    (
        "models serve",
        "mlf models serve -m runs:/3f2a/model\nmlf models serve -m models:/churn@champion --port 5001 --workers 4",
    ),
    (
        "models predict",
        "mlf models predict -m runs:/3f2a/model -i rows.json\nmlf models predict -m models:/churn/1 -i rows.csv -t csv -o out.json\nmlf models predict -m models:/churn/1 -i rows.parquet -t parquet",
    ),
    (
        "models log",
        "mlf models log model/\nmlf models log model/ --name classifier --run @",
    ),
    ("models save", "mlf models save --onnx model.onnx -o model/"),
    (
        "models export",
        "mlf models export -m runs:/3f2a/model -o model.tar.gz",
    ),
    ("models import", "mlf models import model.tar.gz -o model/"),
    (
        "models generate-dockerfile",
        "mlf models generate-dockerfile -m runs:/3f2a/model -d docker/",
    ),
    ("project", "mlf project run . -e train -P alpha=0.5"),
    (
        "project run",
        "mlf project run\nmlf project run . -e train -P alpha=0.5 -x tuning\nmlf project run . -P alpha=0.1,0.5,1.0 --sweep -j 2\nmlf project run https://github.com/mlflow/mlflow-example --env-manager uv\nmlf project run . --backend kubernetes --backend-config kubernetes_config.json",
    ),
    (
        "registry",
        "mlf registry register runs:/3f2a/model --name churn\nmlf registry promote churn 1 --to production",
    ),
    (
        "registry create",
        "mlf registry create churn -d \"Predicts churn\" -t team=growth",
    ),
    (
        "registry register",
        "mlf registry register runs:/3f2a/model --name churn\nmlf registry register ./model --name churn",
    ),
    (
        "registry list",
        "mlf registry list\nmlf registry list -f \"name LIKE 'ch%'\"",
    ),
    (
        "registry show",
        "mlf registry show churn\nmlf registry show churn --version 2\nmlf registry show churn --at 2024-06-01",
    ),
    (
        "registry promote",
        "mlf registry promote churn 2 --to staging\nmlf registry promote churn 2 --to production --archive-existing -m \"beats v1 by 2%\"",
    ),
    ("registry alias", "mlf registry alias churn champion 2"),
    ("registry unalias", "mlf registry unalias churn champion"),
    (
        "registry request",
        "mlf registry request churn 2 --to production -m \"ready for review\"",
    ),
    ("registry approve", "mlf registry approve churn 2"),
    ("registry reject", "mlf registry reject churn 2"),
    (
        "registry requests",
        "mlf registry requests\nmlf registry requests churn",
    ),
    (
        "registry describe",
        "mlf registry describe churn \"Predicts churn from usage\"\nmlf registry describe churn \"Retrained on May data\" --version 3",
    ),
    (
        "registry tag",
        "mlf registry tag churn team=growth\nmlf registry tag churn validated=yes --version 2",
    ),
    ("registry untag", "mlf registry untag churn team"),
    (
        "registry delete",
        "mlf registry delete churn --version 1\nmlf registry delete churn --yes",
    ),
    ("registry history", "mlf registry history churn"),
    (
        "registry resolve",
        "mlf registry resolve models:/churn/Production",
    ),
    (
        "server",
        "mlf server\nmlf server --host 0.0.0.0 --port 5000 --users users.txt\nmlf server --backend-store-uri postgresql://mlf@db/mlf --artifacts-destination s3://ml-artifacts/team\nmlf server --backend-store-uri mysql://mlf:secret@db/mlf --artifacts-destination az://artifacts/team",
    ),
    ("server passwd", "mlf server passwd alice --users users.txt"),
    ("ui", "mlf ui --open\nmlf ui --port 8080"),
    (
        "artifacts",
        "mlf artifacts list -R\nmlf artifacts get logs/stdout.txt -o -",
    ),
    (
        "artifacts list",
        "mlf artifacts list\nmlf artifacts list model -R --run @~1",
    ),
    (
        "artifacts get",
        "mlf artifacts get model -o ./model\nmlf artifacts get logs/stdout.txt -o - | less",
    ),
    ("artifacts put", "mlf artifacts put report.html --to eval"),
    (
        "import",
        "mlf import mlflow sqlite:///mlflow.db\nmlf import mlflow ./mlruns --dry-run",
    ),
    (
        "import mlflow",
        "mlf import mlflow sqlite:///path/to/mlflow.db      # ids, times and every point kept\nmlf import mlflow postgresql://mlflow:secret@db.internal:5432/mlflow\nmlf import mlflow ./mlruns -x churn -x fraud\nmlf import mlflow http://mlflow.internal:5000 --dry-run",
    ),
    (
        "store",
        "mlf store copy .mlf postgresql://mlf:secret@db.internal/mlf --artifacts-destination s3://ml-team/mlf",
    ),
    (
        "store copy",
        "mlf store copy .mlf postgresql://mlf:secret@db.internal/mlf --artifacts-destination s3://ml-team/mlf\nmlf store copy postgresql://mlf:secret@db.internal/mlf ./backup   # and back, into a directory\nmlf store copy postgresql://mlf:secret@old-db/mlf mysql://mlf:secret@new-db/mlf\nmlf store copy .mlf ../archive/.mlf --format json",
    ),
    (
        "remote",
        "mlf remote add origin http://mlf.internal:5000\nmlf remote add lab ../lab-project     # another project's .mlf\nmlf remote list -v",
    ),
    (
        "remote add",
        "mlf remote add origin http://mlf.internal:5000\nmlf remote add backup /mnt/backup/project/.mlf",
    ),
    (
        "remote list",
        "mlf remote list\nmlf remote list -v --format json",
    ),
    ("remote remove", "mlf remote remove backup"),
    (
        "push",
        "mlf push                     # to the only remote, or origin\nmlf push origin -x mnist -x churn\nmlf push --dry-run           # what would be sent",
    ),
    (
        "pull",
        "mlf pull                     # from the only remote, or origin\nmlf pull http://mlf.internal:5000 -x mnist\nmlf pull --format json",
    ),
    (
        "gc",
        "mlf gc --dry-run             # what would go, and the bytes it holds\nmlf gc --older-than 30d\nmlf gc -x scratch",
    ),
    (
        "completions",
        "mlf completions bash > ~/.local/share/bash-completion/completions/mlf\nmlf completions fish > ~/.config/fish/completions/mlf.fish",
    ),
    ("help", "mlf help filter\nmlf help env\nmlf help runs list"),
    (
        "man",
        "mlf man --install\nmlf man --install /usr/local/share/man",
    ),
];

/// The examples of the command at `path` (`runs list`), if it has any.
pub fn of(path: &str) -> Option<&'static str> {
    EXAMPLES.iter().find(|(p, _)| *p == path).map(|(_, e)| *e)
}

/// Adds the examples to every command of the tree, at the end of its help.
pub fn attach(mut cmd: clap::Command) -> clap::Command {
    attach_at(&mut cmd, "");
    cmd
}

fn attach_at(cmd: &mut clap::Command, path: &str) {
    for sub in cmd.get_subcommands_mut() {
        let sub_path = if path.is_empty() {
            sub.get_name().to_string()
        } else {
            format!("{path} {}", sub.get_name())
        };
        attach_at(sub, &sub_path);
    }
    if let Some(examples) = of(path) {
        let text: String = examples.lines().map(|l| format!("  {l}\n")).collect();
        let text = format!("Examples:\n{}", text.trim_end());
        let text = match cmd.get_after_help() {
            Some(after) => format!("{text}\n\n{after}"),
            None => text,
        };
        *cmd = std::mem::take(cmd).after_help(text);
    }
}

#[cfg(test)]
mod tests {
    /// Splits a shell line into words: quotes group, `#` starts a comment, and a redirection
    /// or pipe ends the command.
    fn words(line: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut cur = String::new();
        let mut quote: Option<char> = None;
        let mut has = false;
        for c in line.chars() {
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => cur.push(c),
                None if c == '\'' || c == '"' => {
                    quote = Some(c);
                    has = true;
                }
                None if c.is_whitespace() => {
                    if has || !cur.is_empty() {
                        out.push(std::mem::take(&mut cur));
                        has = false;
                    }
                }
                None if c == '#' && cur.is_empty() => break,
                None if matches!(c, '>' | '<' | '|') && cur.is_empty() => break,
                None => cur.push(c),
            }
        }
        if has || !cur.is_empty() {
            out.push(cur);
        }
        out
    }

    #[test]
    fn every_example_parses() {
        for (path, examples) in super::EXAMPLES {
            for line in examples.lines() {
                let line = line
                    .split_once("$(")
                    .map(|(_, r)| r.trim_end_matches(')'))
                    .unwrap_or(line);
                if !line.starts_with("mlf ") {
                    continue;
                }
                let args = words(line);
                let r = crate::cli::command().try_get_matches_from(&args);
                assert!(r.is_ok(), "`{path}` example `{line}` does not parse: {r:?}");
            }
        }
    }

    #[test]
    fn every_command_has_examples() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
                let p = if path.is_empty() {
                    sub.get_name().to_string()
                } else {
                    format!("{path} {}", sub.get_name())
                };
                if super::of(&p).is_none() {
                    missing.push(p.clone());
                }
                walk(sub, &p, missing);
            }
        }
        let mut missing = Vec::new();
        walk(&crate::cli::command(), "", &mut missing);
        assert!(missing.is_empty(), "commands without examples: {missing:?}");
        for (path, _) in super::EXAMPLES {
            let mut cmd = crate::cli::command();
            for w in path.split(' ').filter(|w| !w.is_empty()) {
                cmd = cmd
                    .find_subcommand(w)
                    .unwrap_or_else(|| panic!("no command `{path}`"))
                    .clone();
            }
        }
    }
}
