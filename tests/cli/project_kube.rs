//! `mlf project run --backend kubernetes`: there is no cluster here, so `docker` and `kubectl`
//! are stub executables that record their exact command lines (argv[0], then each argument
//! on its own line, then `<end>`) and answer as a registry and a cluster would: a digest for
//! the pushed image, and a Job that waits, runs, then completes or fails (or runs until it is
//! deleted). The Job `kubectl create` receives is kept for the test to read.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::support::{self, Output, TestEnv};

const DOCKER: &str = r#"#!/bin/bash
{ printf '%s\n' "$0" "$@"; printf '%s\n' '<end>'; } >> '@DIR@/calls'
case "$1" in
  build|push) exit 0 ;;
  inspect) echo "registry.example.com/team/trainer@sha256:0123abcd"; exit 0 ;;
esac
echo "docker stub: unexpected call: $*" >&2
exit 97
"#;

const KUBECTL: &str = r#"#!/bin/bash
{ printf '%s\n' "$0" "$@"; printf '%s\n' '<end>'; } >> '@DIR@/calls'
case " $* " in
  *" create -f "*) cp "${@: -1}" '@DIR@/created.json'; echo "job.batch/created"; exit 0 ;;
  *" get job "*)
    n=$(( $(cat '@DIR@/gets' 2>/dev/null || echo 0) + 1 )); echo $n > '@DIR@/gets'
    result=$(cat '@DIR@/result' 2>/dev/null || echo Complete)
    if [ $n -lt 2 ]; then echo '{"status": {}}'
    elif [ "$result" = hang ] || [ $n -lt 3 ]; then echo '{"status": {"startTime": "2026-12-06T00:00:00Z", "active": 1}}'
    else echo "{\"status\": {\"startTime\": \"2026-12-06T00:00:00Z\", \"conditions\": [{\"type\": \"$result\", \"status\": \"True\", \"message\": \"the cluster's message\"}]}}"
    fi
    exit 0 ;;
  *" logs -f "*) echo "epoch 1 loss=0.3"; echo "done training"; exit 0 ;;
  *" delete job "*) echo "job.batch deleted"; exit 0 ;;
esac
echo "kubectl stub: unexpected call: $*" >&2
exit 97
"#;

const MLPROJECT: &str = r#"name: trainer
docker_env:
  image: python:3.11-slim
entry_points:
  main:
    parameters:
      alpha: {type: float, default: 0.5}
    command: "python train.py --alpha {alpha} --note 'a b'"
"#;

const TEMPLATE: &str = r#"apiVersion: batch/v1
kind: Job
metadata:
  name: "{replaced with MLflow Project name}"
  namespace: ml
spec:
  ttlSecondsAfterFinished: 100
  backoffLimit: 0
  template:
    spec:
      containers:
      - name: "{replaced with MLflow Project name}"
        image: "{replaced with URI of Docker image created during Project execution}"
        command: ["{replaced with MLflow Project entry point command}"]
        env:
        - name: EXISTING
          value: "1"
        resources:
          limits:
            memory: 512Mi
      restartPolicy: Never
"#;

struct Kube {
    env: TestEnv,
    dir: PathBuf,
    project: PathBuf,
}

fn write_script(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

impl Kube {
    /// A store, the project, a config and a template in the working directory, and the stubs.
    fn new() -> Kube {
        let mut env = TestEnv::new();
        env.set("KUBE_MLFLOW_TRACKING_URI", "http://tracking.example:5000");
        env.mlf(&["init"]).ok();
        let dir = env.dir.path().join("stubs");
        for (name, text) in [("docker", DOCKER), ("kubectl", KUBECTL)] {
            write_script(
                &dir.join("bin").join(name),
                &text.replace("@DIR@", &dir.display().to_string()),
            );
        }
        let project = env.dir.path().join("trainer");
        std::fs::create_dir_all(&project).unwrap();
        std::fs::write(project.join("MLproject"), MLPROJECT).unwrap();
        std::fs::write(project.join("train.py"), "print('training')\n").unwrap();
        env.write("job.yaml", TEMPLATE);
        env.write(
            "kubernetes_config.json",
            r#"{"kube-context": "ctx-a", "repository-uri": "registry.example.com/team/trainer", "kube-job-template-path": "job.yaml"}"#,
        );
        Kube { env, dir, project }
    }

    fn command(&self, extra: &[&str]) -> Command {
        let project = self.project.display().to_string();
        let mut args = vec![
            "project",
            "run",
            &project,
            "--backend",
            "kubernetes",
            "--backend-config",
            "kubernetes_config.json",
        ];
        args.extend_from_slice(extra);
        let mut cmd = self.env.command(&args);
        cmd.env(
            "PATH",
            format!(
                "{}:{}",
                self.dir.join("bin").display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        );
        cmd
    }

    fn run(&self, extra: &[&str]) -> Output {
        support::run(self.command(extra))
    }

    fn calls(&self) -> Vec<Vec<String>> {
        support::stub_calls(&self.dir.join("calls"))
    }

    fn bin(&self, name: &str) -> String {
        self.dir.join("bin").join(name).display().to_string()
    }

    fn runs(&self) -> Vec<Value> {
        let v = self
            .env
            .mlf(&["runs", "list", "--all", "--format", "json"])
            .ok()
            .json();
        v["runs"].as_array().cloned().unwrap_or_default()
    }

    fn created(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.dir.join("created.json")).unwrap())
            .unwrap()
    }
}

fn argv(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn pairs(list: &Value) -> Vec<(String, String)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|kv| {
            (
                kv["key"].as_str().unwrap().to_string(),
                kv["value"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_project_runs_as_a_kubernetes_job_built_pushed_and_followed() {
    let k = Kube::new();
    let dry = k.run(&["-P", "alpha=0.7", "--dry-run"]).ok();
    let lines: Vec<&str> = dry.stdout.lines().collect();
    assert!(
        lines[0].starts_with(&format!(
            "{} build -t registry.example.com/team/trainer -f ",
            k.bin("docker")
        )),
        "{dry}"
    );
    assert_eq!(
        lines[1],
        format!("{} push registry.example.com/team/trainer", k.bin("docker"))
    );
    assert_eq!(
        lines[2],
        format!(
            "{} --context ctx-a -n ml create -f JOB.json",
            k.bin("kubectl")
        )
    );
    assert_eq!(lines[3], "# JOB.json");
    let planned: Value = serde_json::from_str(&lines[4..].join("\n")).unwrap();
    assert_eq!(
        planned["spec"]["template"]["spec"]["containers"][0]["image"],
        "registry.example.com/team/trainer@<digest>"
    );
    assert!(k.calls().is_empty() && k.runs().is_empty());

    let out = k.run(&["-P", "alpha=0.7"]).ok();
    assert!(out.stdout.contains("done training"), "{out}");
    assert!(out.stderr.contains("Finished"), "{out}");

    let runs = k.runs();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    let id = run["info"]["run_id"].as_str().unwrap().to_string();
    assert_eq!(run["info"]["status"], "FINISHED");
    let tags = pairs(&run["data"]["tags"]);
    for (key, value) in [
        ("mlflow.project.backend", "kubernetes"),
        ("mlflow.project.env", "docker"),
        (
            "mlflow.docker.image.uri",
            "registry.example.com/team/trainer",
        ),
        ("mlflow.source.type", "PROJECT"),
    ] {
        assert!(
            tags.contains(&(key.to_string(), value.to_string())),
            "{key}: {tags:?}"
        );
    }
    assert_eq!(
        pairs(&run["data"]["params"]),
        [("alpha".to_string(), "0.7".to_string())]
    );

    // The rendered Job: the template, with MLflow's replacements.
    let job = k.created();
    let name = job["metadata"]["name"].as_str().unwrap().to_string();
    let stamp = name.strip_prefix("trainer-").unwrap();
    assert_eq!(stamp.len(), "2026-12-06-00-00-00-000000".len(), "{name}");
    assert!(
        stamp
            .split('-')
            .all(|p| p.chars().all(|c| c.is_ascii_digit())),
        "{name}"
    );
    assert_eq!(job["metadata"]["namespace"], "ml");
    assert_eq!(job["spec"]["backoffLimit"], 0);
    let c = &job["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["name"], "trainer");
    assert_eq!(
        c["image"],
        "registry.example.com/team/trainer@sha256:0123abcd"
    );
    assert_eq!(
        c["command"],
        json!(["python", "train.py", "--alpha", "0.7", "--note", "'a b'"])
    );
    assert_eq!(
        c["env"],
        json!([
            { "name": "EXISTING", "value": "1" },
            { "name": "MLFLOW_RUN_ID", "value": id },
            { "name": "MLFLOW_TRACKING_URI", "value": "http://tracking.example:5000" },
            { "name": "MLFLOW_EXPERIMENT_ID", "value": "0" },
        ])
    );
    assert_eq!(c["resources"]["limits"]["memory"], "512Mi");

    // The exact commands, in order.
    let calls = k.calls();
    let (docker, kubectl) = (k.bin("docker"), k.bin("kubectl"));
    let context = PathBuf::from(&calls[0][6]);
    assert!(context.ends_with("kubernetes/trainer"), "{calls:?}");
    let dockerfile = std::fs::read_to_string(context.join("Dockerfile")).unwrap();
    assert!(
        dockerfile.starts_with("FROM python:3.11-slim\n"),
        "{dockerfile}"
    );
    assert!(context.join("project/train.py").is_file());
    let tag = "registry.example.com/team/trainer";
    let file = calls[3].last().unwrap().clone();
    let get = argv(&[
        &kubectl,
        "--context",
        "ctx-a",
        "-n",
        "ml",
        "get",
        "job",
        &name,
        "-o",
        "json",
    ]);
    let logs = argv(&[
        &kubectl,
        "--context",
        "ctx-a",
        "-n",
        "ml",
        "logs",
        "-f",
        &format!("job/{name}"),
    ]);
    let mut want = vec![
        argv(&[
            &docker,
            "build",
            "-t",
            tag,
            "-f",
            &context.join("Dockerfile").display().to_string(),
            &context.display().to_string(),
        ]),
        argv(&[&docker, "push", tag]),
        argv(&[
            &docker,
            "inspect",
            "--format",
            "{{index .RepoDigests 0}}",
            tag,
        ]),
        argv(&[
            &kubectl,
            "--context",
            "ctx-a",
            "-n",
            "ml",
            "create",
            "-f",
            &file,
        ]),
        get.clone(),
        get.clone(),
    ];
    // The log stream starts once the Job runs, beside the polls.
    let mut rest: Vec<Vec<String>> = calls[6..].to_vec();
    rest.sort();
    let mut tail = vec![get, logs];
    tail.sort();
    want.extend(calls[6..].iter().cloned());
    assert_eq!(calls, want);
    assert_eq!(rest, tail);

    // The Job is kept with the run.
    let shown = k
        .env
        .mlf(&[
            "artifacts",
            "get",
            "kubernetes/job.json",
            "--run",
            &id,
            "-o",
            "-",
        ])
        .ok();
    let kept: Value = serde_json::from_str(&shown.stdout).unwrap();
    assert_eq!(kept, job);
}

#[test]
fn a_failed_job_fails_the_run() {
    let k = Kube::new();
    std::fs::write(k.dir.join("result"), "Failed").unwrap();
    let out = k.run(&[]).code(1);
    assert!(out.stderr.contains("the cluster's message"), "{out}");
    assert_eq!(k.runs()[0]["info"]["status"], "FAILED");
}

#[test]
fn ctrl_c_deletes_the_job_and_kills_the_run() {
    let k = Kube::new();
    std::fs::write(k.dir.join("result"), "hang").unwrap();
    let mut cmd = k.command(&[]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let gets: u32 = std::fs::read_to_string(k.dir.join("gets"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        if gets >= 3 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the Job was never polled"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = support::to_output(child.wait_with_output().unwrap());
    assert_eq!(out.code, 130, "{out}");
    let calls = k.calls();
    let name = k.created()["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        calls.last().unwrap(),
        &argv(&[
            &k.bin("kubectl"),
            "--context",
            "ctx-a",
            "-n",
            "ml",
            "delete",
            "job",
            &name
        ])
    );
    assert_eq!(k.runs()[0]["info"]["status"], "KILLED");
}

#[test]
fn bad_configs_templates_and_projects_are_refused_before_anything_runs() {
    let k = Kube::new();
    let refuse = |k: &Kube, extra: &[&str], want: &str| {
        let out = k.run(extra).code(2);
        assert!(out.stderr.contains(want), "{want}:\n{out}");
        assert_eq!(out.stderr.trim().lines().count(), 1, "{out}");
    };
    let config = |text: &str| k.env.write("kubernetes_config.json", text);
    config("{not json");
    refuse(
        &k,
        &[],
        "the backend config `kubernetes_config.json` is not JSON",
    );
    config(r#"{"kube-job-template-path": "job.yaml"}"#);
    refuse(&k, &[], "has no `repository-uri`");
    config(r#"{"repository-uri": "r.example/x"}"#);
    refuse(&k, &[], "has no `kube-job-template-path`");
    config(r#"{"repository-uri": "r.example/x", "kube-job-template-path": "nope.yaml"}"#);
    refuse(&k, &[], "cannot read the Job template `nope.yaml`");
    config(
        r#"{"repository-uri": "r.example/x", "kube-job-template-path": "job.yaml", "kube-context": 3}"#,
    );
    refuse(
        &k,
        &[],
        "`kube-context` in `kubernetes_config.json` must be a non-empty string",
    );
    config(r#"{"repository-uri": "r.example/x", "kube-job-template-path": "job.yaml"}"#);
    k.env.write("job.yaml", "a: [b");
    refuse(&k, &[], "the Job template `job.yaml` is not valid YAML");
    k.env.write(
        "job.yaml",
        &TEMPLATE.replace("kind: Job", "kind: Deployment"),
    );
    refuse(&k, &[], "is a \"Deployment\", not a Job");
    k.env
        .write("job.yaml", &TEMPLATE.replace("  namespace: ml\n", ""));
    refuse(&k, &[], "has no metadata.namespace");
    k.env.write(
        "job.yaml",
        &TEMPLATE.replace("containers:", "initContainers:"),
    );
    refuse(&k, &[], "has no spec.template.spec.containers[0]");
    k.env.write("job.yaml", TEMPLATE);
    refuse(
        &k,
        &["--sweep", "-P", "alpha=1,2"],
        "drop them with --backend kubernetes",
    );
    let no_config = support::run({
        let mut c = k.env.command(&[
            "project",
            "run",
            &k.project.display().to_string(),
            "--backend",
            "kubernetes",
        ]);
        c.env("PATH", std::env::var("PATH").unwrap_or_default());
        c
    })
    .code(2);
    assert!(
        no_config.stderr.contains("needs --backend-config"),
        "{no_config}"
    );
    std::fs::write(
        k.project.join("MLproject"),
        MLPROJECT.replace("docker_env:\n  image: python:3.11-slim\n", ""),
    )
    .unwrap();
    refuse(&k, &[], "the MLproject declares no docker_env");
    std::fs::write(k.project.join("MLproject"), MLPROJECT).unwrap();
    // A local store and no KUBE_MLFLOW_TRACKING_URI: the pods could not log anywhere.
    let plain = Kube::new();
    let out = support::run({
        let mut c = plain.command(&[]);
        c.env_remove("KUBE_MLFLOW_TRACKING_URI");
        c
    })
    .code(2);
    assert!(
        out.stderr.contains("tracking server they can reach"),
        "{out}"
    );
    assert!(plain.calls().is_empty());

    assert!(k.calls().is_empty(), "{:?}", k.calls());
    assert!(k.runs().is_empty());
}

/// Against a tracking server: the run is made there, the pods get the server's URL, and the
/// Job is kept as the run's artifact through the server's proxy.
#[test]
fn a_job_tracked_on_a_server_logs_there() {
    let k = Kube::new();
    let server_env = TestEnv::new();
    let server = crate::server::Server::start(&server_env, &[]);
    let url = server.url();
    let mut cmd = k.command(&[]);
    cmd.env_remove("KUBE_MLFLOW_TRACKING_URI")
        .env("MLFLOW_TRACKING_URI", &url);
    let out = support::run(cmd).ok();
    assert!(out.stdout.contains("done training"), "{out}");
    let job = k.created();
    let env = &job["spec"]["template"]["spec"]["containers"][0]["env"];
    assert_eq!(
        env[2],
        json!({ "name": "MLFLOW_TRACKING_URI", "value": url })
    );
    let id = env[1]["value"].as_str().unwrap().to_string();
    let run = server.get_ok("runs/get", &[("run_id", &id)]);
    assert_eq!(run["run"]["info"]["status"], "FINISHED", "{run:#}");
    let files = server.get_ok("artifacts/list", &[("run_id", &id), ("path", "kubernetes")]);
    assert_eq!(
        files["files"][0]["path"], "kubernetes/job.json",
        "{files:#}"
    );
    // Nothing went to the local store.
    assert!(k.runs().is_empty());
}
