//! `mlf models serve` and `mlf models predict`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use crate::commands::context::Ctx;
use crate::env;
use crate::error::{CliResult, failure, usage_error};
use crate::project::envs::{self, DockerRun, Manager};
use crate::project::{EnvSpec, Project};
use crate::serving::python::PythonEnv;
use crate::serving::{self, Predictor};

/// Where the Python of python_function models comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PyEnv {
    /// The current `python3`
    Local,
    /// A virtualenv built from the model's python_env.yaml (cached)
    Virtualenv,
    /// A conda environment built from the model's conda.yaml (cached)
    Conda,
}

/// Serve a model over HTTP with MLflow's scoring protocol
///
/// Routes: `GET /ping`, `GET /health`, `GET /version`, `POST /invocations` (JSON with one of
/// `dataframe_split`, `dataframe_records`, `instances`, `inputs`, and optional `params`; or
/// `text/csv`). ONNX models run inside mlf; python_function models (sklearn, any pyfunc) run
/// in a pool of Python workers. Stops cleanly on SIGINT or SIGTERM.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Model: a directory, `runs:/RUN/PATH`, `models:/NAME/VERSION|STAGE|latest`, `models:/NAME@ALIAS`
    #[arg(short, long = "model-uri", value_name = "URI", add = crate::commands::complete::model_uri_completer())]
    model: String,
    /// Address to listen on (loopback unless you say otherwise)
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port (0 picks a free one)
    #[arg(short, long, default_value_t = 5000)]
    port: u16,
    /// Python worker processes (python_function models)
    #[arg(short, long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
    workers: u16,
    /// Python environment for python_function models
    #[arg(long, value_enum, default_value_t = PyEnv::Local)]
    env_manager: PyEnv,
    /// Largest request body accepted, in bytes
    #[arg(long, default_value_t = 64 * 1024 * 1024, value_name = "BYTES")]
    max_body: usize,
    /// Seconds one prediction of a python_function model may take; past it the request gets
    /// 504 and its worker is replaced
    #[arg(
        short,
        long,
        env = env::MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT,
        default_value_t = 60,
        value_parser = clap::value_parser!(u64).range(1..),
        value_name = "SECONDS"
    )]
    timeout: u64,
}

/// Score a JSON or CSV file with a model
///
/// Prints `{"predictions": …}` as the server answers. CSV input is read and scored in chunks,
/// so large files need little memory; a progress bar shows on a terminal.
#[derive(Debug, clap::Args)]
pub struct PredictArgs {
    /// Model URI (as for `serve`)
    #[arg(short, long = "model-uri", value_name = "URI", add = crate::commands::complete::model_uri_completer())]
    model: String,
    /// Input file (`-` for standard input)
    #[arg(short, long = "input-path", value_name = "FILE", default_value = "-")]
    input: PathBuf,
    /// Input format
    #[arg(short = 't', long = "content-type", value_enum, default_value_t = InputKind::Json)]
    content_type: InputKind,
    /// Output file [default: standard output]
    #[arg(short, long = "output-path", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Python environment for python_function models
    #[arg(long, value_enum, default_value_t = PyEnv::Local)]
    env_manager: PyEnv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputKind {
    Json,
    Csv,
    /// A Parquet file (`pandas.DataFrame.to_parquet()`)
    Parquet,
}

/// The Python a python_function model runs with, building its environment when asked.
fn python_env(ctx: &Ctx, dir: &std::path::Path, kind: PyEnv) -> CliResult<PythonEnv> {
    let spec = match kind {
        PyEnv::Local => return Ok(PythonEnv::default()),
        PyEnv::Virtualenv => {
            let f = dir.join("python_env.yaml");
            if !f.is_file() {
                return Err(usage_error(format!(
                    "the model in `{}` has no python_env.yaml",
                    dir.display()
                )));
            }
            (Manager::Virtualenv, EnvSpec::Python(f))
        }
        PyEnv::Conda => {
            let f = dir.join("conda.yaml");
            if !f.is_file() {
                return Err(usage_error(format!(
                    "the model in `{}` has no conda.yaml",
                    dir.display()
                )));
            }
            (Manager::Conda, EnvSpec::Conda(f))
        }
    };
    let project = Project {
        dir: dir.to_path_buf(),
        name: None,
        entry_points: Default::default(),
        env: spec.1,
        has_file: false,
    };
    let plan = envs::plan(
        &project,
        spec.0,
        &DockerRun {
            store_root: Some(dir),
            build_image: false,
            commit: None,
        },
    )
    .map_err(usage_error)?;
    let quiet = ctx.ui.quiet;
    envs::build(&plan, &project, &|step| {
        if !quiet {
            crate::ui::eprint_line(&format!("Building environment: {step}"));
        }
    })
    .map_err(failure)?;
    // The runner ends with `bash -c`; Python runs with the same prefix (none for a virtualenv,
    // whose bin/ comes first on PATH; `conda run -n NAME --no-capture-output` for conda).
    let mut argv: Vec<String> = plan.runner.clone();
    argv.truncate(argv.len().saturating_sub(2));
    argv.push("python".into());
    Ok(PythonEnv {
        argv,
        env: plan.env,
        ..PythonEnv::default()
    })
}

fn load(
    ctx: &mut Ctx,
    uri: &str,
    workers: usize,
    kind: PyEnv,
    timeout: std::time::Duration,
) -> CliResult<(PathBuf, Arc<dyn Predictor>)> {
    let dir = super::model_dir(ctx, uri)?;
    crate::models::MlModel::load(&dir).map_err(usage_error)?;
    let mut python = python_env(ctx, &dir, kind)?;
    python.timeout = timeout;
    let ui = &ctx.ui;
    let predictor =
        serving::load_noting(&dir, workers, &python, &mut |n| ui.warn(n)).map_err(failure)?;
    Ok((dir, Arc::from(predictor)))
}

pub fn serve(ctx: &mut Ctx, args: ServeArgs) -> CliResult<u8> {
    let ServeArgs {
        model,
        host,
        port,
        workers,
        env_manager,
        max_body,
        timeout,
    } = args;
    let (dir, predictor) = load(
        ctx,
        &model,
        usize::from(workers),
        env_manager,
        std::time::Duration::from_secs(timeout),
    )?;
    if !host.is_loopback() {
        ctx.ui.warn(&format!(
            "listening on {host}: anyone who can reach this machine can call the model"
        ));
    }
    let ui = &ctx.ui;
    let shown = dir.display().to_string();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    serving::http::serve(
        predictor,
        SocketAddr::new(host, port),
        max_body,
        threads,
        &|addr| {
            ui.status(
                "Serving",
                &format!("`{shown}` on http://{addr} (stop with Ctrl-C)"),
            );
        },
    )
    .map_err(failure)?;
    ctx.ui.status("Stopped", "the server");
    Ok(0)
}

/// Rows per chunk when scoring CSV.
const CHUNK: usize = 10_000;

pub fn predict(ctx: &mut Ctx, args: PredictArgs) -> CliResult<u8> {
    let PredictArgs {
        model,
        input,
        content_type,
        output,
        env_manager,
    } = args;
    // Scoring a file has no client waiting on a deadline.
    let (_, predictor) = load(
        ctx,
        &model,
        1,
        env_manager,
        std::time::Duration::from_secs(7 * 24 * 3600),
    )?;
    let (reader, size): (Box<dyn Read>, u64) = if input.as_os_str() == "-" {
        (Box::new(std::io::stdin()), 0)
    } else {
        let f = std::fs::File::open(&input)
            .map_err(|e| usage_error(format!("cannot read `{}`: {e}", input.display())))?;
        let size = f.metadata().map(|m| m.len()).unwrap_or(0);
        (Box::new(f), size)
    };
    // A file is written beside its destination and renamed over it once complete: a failure
    // halfway leaves no partial file (the temporary one is removed when `pending` drops).
    let pending = match &output {
        Some(p) => Some(Pending::create(p)?),
        None => None,
    };
    let mut out: Box<dyn Write> = match &pending {
        Some(f) => Box::new(std::io::BufWriter::new(f.file().map_err(|e| {
            failure(format!("cannot write `{}`: {e}", f.dest.display()))
        })?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    let bar = crate::ui::progress::bytes(&ctx.ui, size, "Scoring");
    match content_type {
        InputKind::Json => {
            let mut body = Vec::new();
            let mut reader = reader;
            reader
                .read_to_end(&mut body)
                .map_err(|e| failure(format!("cannot read the input: {e}")))?;
            // What the content looks like decides the hint, whatever the file is called.
            let looks_json = matches!(
                body.iter().find(|b| !b.is_ascii_whitespace()),
                Some(b'{' | b'[')
            );
            let named_csv = input
                .extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("csv"));
            if let Some(answer) = predictor.invoke(&body, "application/json") {
                let text = raw_predictions(answer)?;
                out.write_all(text.as_bytes())
                    .and_then(|_| out.write_all(b"\n"))
                    .map_err(|e| failure(e.to_string()))?;
                bar.finish_and_clear();
                out.flush().map_err(|e| failure(e.to_string()))?;
                drop(out);
                if let Some(p) = pending {
                    p.commit()?;
                }
                return Ok(0);
            }
            let (input, params) = serving::parse_request(true, &body).map_err(|e| {
                let err = usage_error(e.message);
                if looks_json {
                    let named = if named_csv {
                        "the file is named .csv but holds JSON; "
                    } else {
                        ""
                    };
                    err.hint(format!(
                        "{named}JSON input is an object with one of `dataframe_split`, `dataframe_records`, `instances` or `inputs`, as MLflow's scoring server takes"
                    ))
                } else if !body.iter().all(u8::is_ascii_whitespace) {
                    err.hint("the input is read as JSON: for CSV rows pass `-t csv`")
                } else {
                    err
                }
            })?;
            let p = predictor
                .predict(input, params)
                .map_err(|e| usage_error(e.message))?;
            let text = serde_json::json!({ "predictions": p }).to_string();
            out.write_all(text.as_bytes())
                .and_then(|_| out.write_all(b"\n"))
                .map_err(|e| failure(e.to_string()))?;
        }
        InputKind::Parquet => {
            let mut body = Vec::new();
            let mut reader = reader;
            reader
                .read_to_end(&mut body)
                .map_err(|e| failure(format!("cannot read the input: {e}")))?;
            let text = match predictor.invoke(&body, "application/vnd.apache.parquet") {
                Some(answer) => raw_predictions(answer)?,
                None => {
                    let (input, _) = serving::parse_request_typed(
                        serving::BodyKind::Parquet,
                        &body,
                        &predictor.column_types(),
                    )
                    .map_err(|e| usage_error(e.message))?;
                    let p = predictor
                        .predict(input, None)
                        .map_err(|e| usage_error(e.message))?;
                    serde_json::json!({ "predictions": p }).to_string()
                }
            };
            out.write_all(text.as_bytes())
                .and_then(|_| out.write_all(b"\n"))
                .map_err(|e| failure(e.to_string()))?;
        }
        InputKind::Csv => {
            // Stream: score CHUNK rows at a time and write the predictions as they come.
            let mut lines = BufReader::new(reader);
            let mut header = String::new();
            read_record(&mut lines, &mut header)
                .map_err(|e| failure(format!("cannot read the input: {e}")))?;
            if header.trim_start().starts_with(['{', '[']) {
                return Err(
                    usage_error("the input is read as CSV (`-t csv`) but holds JSON").hint(
                        "the input looks like JSON: leave out `-t csv` (JSON is the default)",
                    ),
                );
            }
            let mut read = header.len() as u64;
            // The opening is written with the first predictions, so that a first chunk that
            // fails leaves no output at all.
            let mut opened = false;
            let mut first = true;
            loop {
                let mut chunk = header.clone();
                let mut n = 0;
                let mut line = String::new();
                while n < CHUNK {
                    line.clear();
                    let got = read_record(&mut lines, &mut line)
                        .map_err(|e| failure(format!("cannot read the input: {e}")))?;
                    if got == 0 {
                        break;
                    }
                    read += got as u64;
                    if line.trim().is_empty() {
                        continue;
                    }
                    chunk.push_str(&line);
                    if !line.ends_with('\n') {
                        chunk.push('\n');
                    }
                    n += 1;
                }
                if n == 0 {
                    break;
                }
                if let Some(answer) = predictor.invoke(chunk.as_bytes(), "text/csv") {
                    let text = raw_predictions(answer)?;
                    let inner = text
                        .trim()
                        .strip_prefix("{\"predictions\": [")
                        .and_then(|t| t.strip_suffix("]}"));
                    let items = match inner {
                        Some(inner) => inner.trim().to_string(),
                        None => text.trim().to_string(),
                    };
                    if !items.is_empty() {
                        open(&mut out, &mut opened)?;
                        if !first {
                            out.write_all(b", ").map_err(|e| failure(e.to_string()))?;
                        }
                        first = false;
                        out.write_all(items.as_bytes())
                            .map_err(|e| failure(e.to_string()))?;
                    }
                    bar.set_position(read);
                    continue;
                }
                let input = serving::parse_csv_typed(chunk.as_bytes(), &predictor.column_types())
                    .map_err(|e| usage_error(e.message))?;
                let p = predictor
                    .predict(input, None)
                    .map_err(|e| usage_error(e.message))?;
                let items = match p {
                    serde_json::Value::Array(items) => items,
                    other => vec![other],
                };
                for item in items {
                    open(&mut out, &mut opened)?;
                    if !first {
                        out.write_all(b", ").map_err(|e| failure(e.to_string()))?;
                    }
                    first = false;
                    out.write_all(item.to_string().as_bytes())
                        .map_err(|e| failure(e.to_string()))?;
                }
                bar.set_position(read);
            }
            open(&mut out, &mut opened)?;
            out.write_all(b"]}\n").map_err(|e| failure(e.to_string()))?;
        }
    }
    bar.finish_and_clear();
    out.flush().map_err(|e| failure(e.to_string()))?;
    drop(out);
    if let Some(p) = pending {
        p.commit()?;
    }
    Ok(0)
}

/// Writes the opening of the predictions once.
fn open(out: &mut impl Write, opened: &mut bool) -> CliResult<()> {
    if !*opened {
        out.write_all(b"{\"predictions\": [")
            .map_err(|e| failure(e.to_string()))?;
        *opened = true;
    }
    Ok(())
}

/// The body of an answer MLflow's scoring code gave, or its error as the command's.
fn raw_predictions(answer: Result<serving::Raw, serving::ScoringError>) -> CliResult<String> {
    let answer = answer.map_err(|e| usage_error(e.message))?;
    if answer.status == 200 {
        return Ok(answer.body);
    }
    let message = serde_json::from_str::<serde_json::Value>(&answer.body)
        .ok()
        .and_then(|v| v["message"].as_str().map(str::to_string))
        .unwrap_or(answer.body);
    Err(usage_error(message))
}

/// Reads one CSV record: physical lines until the quotes balance, so that a quoted cell with
/// a newline stays in one record (and one chunk). The bytes read; 0 at the end.
fn read_record(lines: &mut impl BufRead, record: &mut String) -> std::io::Result<usize> {
    let mut total = 0;
    loop {
        let got = lines.read_line(record)?;
        total += got;
        let balanced = record.bytes().filter(|b| *b == b'"').count() % 2 == 0;
        if got == 0 || balanced {
            return Ok(total);
        }
    }
}

/// An output file being written: a temporary file beside `dest`, renamed over it by
/// `commit`, removed if dropped before.
struct Pending {
    dest: PathBuf,
    tmp: PathBuf,
    done: bool,
}

impl Pending {
    fn create(dest: &std::path::Path) -> CliResult<Pending> {
        let name = dest.file_name().unwrap_or_default().to_string_lossy();
        let tmp = dest.with_file_name(format!(".{name}.{}.partial", std::process::id()));
        std::fs::File::create(&tmp)
            .map_err(|e| failure(format!("cannot write `{}`: {e}", dest.display())))?;
        Ok(Pending {
            dest: dest.to_path_buf(),
            tmp,
            done: false,
        })
    }

    fn file(&self) -> std::io::Result<std::fs::File> {
        std::fs::OpenOptions::new().write(true).open(&self.tmp)
    }

    fn commit(mut self) -> CliResult<()> {
        std::fs::rename(&self.tmp, &self.dest)
            .map_err(|e| failure(format!("cannot write `{}`: {e}", self.dest.display())))?;
        self.done = true;
        Ok(())
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}
