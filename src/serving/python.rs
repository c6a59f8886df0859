//! python_function models: a pool of Python worker processes that load the model once and
//! answer one JSON line per request over pipes. The worker uses `mlflow.pyfunc.load_model`
//! when mlflow is importable, else the sklearn flavor's own file (pickle, cloudpickle or skops).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::{Input, LoadError, Predictor, Raw, ScoringError};
use crate::models::MlModel;

/// The worker program, run as `python -c WORKER MODEL_DIR LOADER_JSON`.
const WORKER: &str = r#"
import json, os, sys
proto_out = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)  # anything the model prints goes to stderr, not into the protocol
model_dir, loader = sys.argv[1], json.loads(sys.argv[2])

pyfunc = None

def load():
    global pyfunc
    try:
        import mlflow.pyfunc
        model = mlflow.pyfunc.load_model(model_dir)
        pyfunc = model
        def predict(data, params):
            return model.predict(data, params=params) if params else model.predict(data)
        return predict
    except ImportError:
        pass
    if loader.get("sklearn"):
        path = os.path.join(model_dir, loader["sklearn"])
        fmt = loader.get("format", "pickle")
        if fmt == "skops":
            import skops.io
            model = skops.io.load(path, trusted=skops.io.get_untrusted_types(file=path))
        elif fmt == "cloudpickle":
            import cloudpickle
            with open(path, "rb") as f:
                model = cloudpickle.load(f)
        else:
            import pickle
            with open(path, "rb") as f:
                model = pickle.load(f)
        return lambda data, params: model.predict(data)
    raise RuntimeError("the model needs mlflow to load (pip install mlflow), or an sklearn flavor")

def to_json(value):
    try:
        import pandas as pd
        if isinstance(value, pd.DataFrame):
            return json.loads(value.to_json(orient="records"))
        if isinstance(value, pd.Series):
            return json.loads(value.to_json(orient="values"))
    except ImportError:
        pass
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value

def finite(value):
    # JSON has no NaN or infinity: they travel as null, as pandas writes them in a frame.
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    return value

def invoke(req):
    # The request as MLflow's own scoring server handles it: its parsing, schema enforcement
    # and serialisation, so the answer is the one `mlflow models serve` gives.
    import base64
    from mlflow.exceptions import MlflowException
    from mlflow.pyfunc import scoring_server
    body = base64.b64decode(req["raw"])
    try:
        r = scoring_server.invocations(body, req["content_type"], pyfunc, schema)
        return {"status": r.status, "mimetype": r.mimetype, "body": r.response}
    except MlflowException as e:
        return {"status": e.get_http_status_code(), "mimetype": "application/json", "body": e.serialize_as_json()}

def frame(columns, rows):
    try:
        import pandas as pd
        return pd.DataFrame(rows, columns=columns)
    except ImportError:
        import numpy as np
        return np.array(rows)

try:
    predict = load()
    raw = False
    if pyfunc is not None:
        try:
            from mlflow.pyfunc import scoring_server
            schema = pyfunc.metadata.get_input_schema()
            os.environ["_MLFLOW_IS_IN_SERVING_ENVIRONMENT"] = "true"
            raw = hasattr(scoring_server, "invocations")
        except Exception:
            raw = False
    proto_out.write(json.dumps({"ready": True, "raw": raw}) + "\n")
except Exception as e:
    proto_out.write(json.dumps({"error": "cannot load the model: %s: %s" % (type(e).__name__, e)}) + "\n")
    proto_out.flush()
    sys.exit(1)
proto_out.flush()
for line in sys.stdin:
    try:
        req = json.loads(line)
        if "raw" in req:
            out = invoke(req)
        elif "columns" in req:
            data = frame(req["columns"], req["rows"])
        else:
            data = req["tensor"]
            try:
                import numpy as np
                if isinstance(data, list):
                    data = np.array(data)
            except ImportError:
                pass
        if "raw" not in req:
            out = {"predictions": finite(to_json(predict(data, req.get("params"))))}
    except Exception as e:
        out = {"error": "%s: %s" % (type(e).__name__, e), "error_code": getattr(e, "error_code", None)}
    proto_out.write(json.dumps(out) + "\n")
    proto_out.flush()
"#;

/// How to start Python: the program (and arguments before `-c`), extra environment, and how
/// long one prediction may take before its worker is replaced.
#[derive(Debug, Clone)]
pub struct PythonEnv {
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    pub timeout: Duration,
}

impl Default for PythonEnv {
    fn default() -> Self {
        PythonEnv {
            argv: vec!["python3".into()],
            env: Vec::new(),
            timeout: Duration::from_secs(60),
        }
    }
}

struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// Whether it loaded the model with mlflow and can answer a request body as MLflow's
    /// scoring server does.
    raw: bool,
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Why a worker gave no answer.
enum Reply {
    TimedOut,
    Gone(String),
}

impl Worker {
    fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Reads one answer line, waiting at most `timeout` for it to begin.
    fn read_reply(&mut self, reply: &mut String, timeout: Duration) -> Result<(), Reply> {
        use std::os::fd::AsRawFd;
        let deadline = Instant::now() + timeout;
        if self.stdout.buffer().is_empty() {
            let fd = self.stdout.get_ref().as_raw_fd();
            match crate::sys::wait_readable(fd, deadline.saturating_duration_since(Instant::now()))
            {
                Ok(true) => {}
                Ok(false) => return Err(Reply::TimedOut),
                Err(e) => return Err(Reply::Gone(e.to_string())),
            }
        }
        match self.stdout.read_line(reply) {
            Ok(0) => Err(Reply::Gone("it exited".into())),
            Ok(_) => Ok(()),
            Err(e) => Err(Reply::Gone(e.to_string())),
        }
    }
}

/// Starts one worker and waits until it has loaded the model.
fn spawn_worker(spec: &Spec) -> Result<Worker, LoadError> {
    let python = &spec.python;
    let dir = &spec.dir;
    let mut cmd = Command::new(&python.argv[0]);
    cmd.args(&python.argv[1..])
        .arg("-c")
        .arg(WORKER)
        .arg(dir)
        .arg(&spec.loader)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .env("PYTHONUNBUFFERED", "1");
    for (k, v) in &python.env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| LoadError::Worker(format!("cannot start `{}`: {e}", python.argv[0])))?;
    let stdin = child.stdin.take().expect("piped");
    let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
    let mut line = String::new();
    stdout
        .read_line(&mut line)
        .map_err(|e| LoadError::Worker(format!("the Python worker did not start: {e}")))?;
    let hello: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
    if hello["ready"] != json!(true) {
        let _ = child.kill();
        let _ = child.wait();
        let why = hello["error"]
            .as_str()
            .unwrap_or("it exited before loading the model");
        return Err(LoadError::Worker(format!(
            "the Python worker could not load `{}`: {why}",
            dir.display()
        )));
    }
    Ok(Worker {
        child,
        stdin,
        stdout,
        raw: hello["raw"] == json!(true),
    })
}

/// What starts one more worker like the others.
struct Spec {
    python: PythonEnv,
    dir: std::path::PathBuf,
    loader: String,
}

/// A pool of Python workers for one model. A worker that died (killed, out of memory, a
/// crash) or overran the timeout is replaced before the next request it would take.
pub struct PythonPool {
    spec: Spec,
    workers: Vec<Mutex<Worker>>,
    next: AtomicUsize,
    /// Input columns of the model's signature (column-based signatures only).
    columns: Vec<String>,
    /// Whether the workers answer request bodies with MLflow's scoring code.
    raw: bool,
    /// The signature's columns and their types.
    column_types: Vec<(String, String)>,
    /// Signature columns of type double or float: JSON integers sent to them become floats,
    /// as MLflow's server reads them with the schema's types.
    float_columns: Vec<String>,
}

/// What the worker needs to load the model without mlflow; the pickled file must be inside
/// the model directory.
fn loader(model: &MlModel, dir: &Path) -> Result<Value, LoadError> {
    Ok(match model.flavor("sklearn") {
        Some(f) => {
            let file = f
                .get("pickled_model")
                .and_then(|v| v.as_str())
                .unwrap_or("model.pkl");
            crate::models::model_file(dir, file, "pickled_model")?;
            json!({
                "sklearn": file,
                "format": f.get("serialization_format").and_then(|v| v.as_str()).unwrap_or("pickle"),
            })
        }
        None => json!({}),
    })
}

impl PythonPool {
    /// Starts `workers` processes and waits until each has loaded the model.
    pub fn start(dir: &Path, workers: usize, python: &PythonEnv) -> Result<PythonPool, LoadError> {
        let model = MlModel::load(dir)?;
        let loader = loader(&model, dir)?.to_string();
        let spec = Spec {
            python: python.clone(),
            dir: dir.to_path_buf(),
            loader,
        };
        let mut pool = Vec::new();
        for _ in 0..workers.max(1) {
            pool.push(Mutex::new(spawn_worker(&spec)?));
        }
        let raw = pool
            .iter()
            .all(|w| w.lock().map(|w| w.raw).unwrap_or(false));
        let items: Vec<_> = model
            .signature
            .as_ref()
            .map(|s| s.input_items())
            .unwrap_or_default()
            .into_iter()
            .filter(|i| !i.tensor)
            .collect();
        let float_columns = items
            .iter()
            .filter(|i| matches!(i.kind.as_str(), "double" | "float"))
            .filter_map(|i| i.name.clone())
            .collect();
        let column_types = items
            .iter()
            .filter_map(|i| i.name.clone().map(|n| (n, i.kind.clone())))
            .collect();
        let columns = items.into_iter().filter_map(|i| i.name).collect();
        Ok(PythonPool {
            spec,
            raw,
            column_types,
            float_columns,
            workers: pool,
            next: AtomicUsize::new(0),
            columns,
        })
    }

    fn ask(&self, request: &Value) -> Result<Value, ScoringError> {
        let n = self.workers.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        // Take the first idle worker, starting from the next in turn; wait on that one if all are busy.
        let mut guard = (0..n).find_map(|i| self.workers[(start + i) % n].try_lock().ok());
        let mut worker = match guard.take() {
            Some(w) => w,
            None => self.workers[start % n]
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        };
        let failed = |message: String| ScoringError {
            status: 500,
            code: "INTERNAL_ERROR",
            message,
            plain: false,
            classified: false,
        };
        let mut line = request.to_string();
        line.push('\n');
        let mut reply = String::new();
        // A worker found dead is replaced and the request sent again, once: a prediction can
        // be repeated, and a worker that died (out of memory, a crash) should not cost it.
        for attempt in 0..2 {
            if !worker.alive() {
                *worker = spawn_worker(&self.spec).map_err(|e| failed(e.to_string()))?;
            }
            reply.clear();
            let sent = worker
                .stdin
                .write_all(line.as_bytes())
                .and_then(|_| worker.stdin.flush());
            let answer = match sent {
                Ok(()) => worker.read_reply(&mut reply, self.spec.python.timeout),
                Err(e) => Err(Reply::Gone(e.to_string())),
            };
            match answer {
                Ok(()) => break,
                Err(Reply::TimedOut) => {
                    // The worker is stuck on this request: replace it for the next one.
                    let _ = worker.child.kill();
                    let _ = worker.child.wait();
                    if let Ok(fresh) = spawn_worker(&self.spec) {
                        *worker = fresh;
                    }
                    return Err(ScoringError {
                        status: 504,
                        code: "DEADLINE_EXCEEDED",
                        message: format!(
                            "the model took longer than {} s to predict (set --timeout or MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT)",
                            self.spec.python.timeout.as_secs()
                        ),
                        plain: false,
                        classified: false,
                    });
                }
                Err(Reply::Gone(why)) => {
                    let _ = worker.child.kill();
                    let _ = worker.child.wait();
                    if attempt == 1 {
                        return Err(failed(format!(
                            "the Python worker stopped while predicting, twice ({why})"
                        )));
                    }
                }
            }
        }
        let reply: Value = serde_json::from_str(&reply).map_err(|e| {
            ScoringError::bad_request(format!("the Python worker answered garbage: {e}"))
        })?;
        if let Some(err) = reply.get("error").and_then(Value::as_str) {
            let mut e = ScoringError::bad_request(format!(
                "Encountered an unexpected error while evaluating the model: {err}"
            ));
            if let Some(code) = reply.get("error_code").and_then(Value::as_str) {
                e.code = super::error_code(code);
            }
            return Err(e);
        }
        if request.get("raw").is_some() {
            return Ok(reply);
        }
        Ok(reply["predictions"].clone())
    }
}

impl Predictor for PythonPool {
    /// Healthy while some worker is alive (a busy one counts), or one can be started.
    fn healthy(&self) -> bool {
        for slot in &self.workers {
            let Ok(mut w) = slot.try_lock() else {
                return true; // busy answering
            };
            if w.alive() {
                return true;
            }
            if let Ok(fresh) = spawn_worker(&self.spec) {
                *w = fresh;
                return true;
            }
        }
        false
    }

    fn column_types(&self) -> Vec<(String, String)> {
        self.column_types.clone()
    }

    /// With mlflow in the worker's Python, the body goes to MLflow's own scoring code.
    fn invoke(&self, body: &[u8], content_type: &str) -> Option<Result<Raw, ScoringError>> {
        if !self.raw {
            return None;
        }
        use base64::Engine;
        let req = json!({
            "raw": base64::engine::general_purpose::STANDARD.encode(body),
            "content_type": content_type,
        });
        Some(self.ask(&req).and_then(|reply| {
            let text = |k: &str| reply.get(k).and_then(Value::as_str).map(str::to_string);
            match (reply.get("status").and_then(Value::as_u64), text("body")) {
                (Some(status), Some(body)) => Ok(Raw {
                    status: status as u16,
                    mimetype: text("mimetype").unwrap_or_else(|| "application/json".into()),
                    body,
                }),
                _ => Err(ScoringError::bad_request(format!(
                    "the Python worker answered without a status and body: {reply}"
                ))),
            }
        }))
    }

    fn predict(
        &self,
        input: Input,
        params: Option<Map<String, Value>>,
    ) -> Result<Value, ScoringError> {
        if let Input::Frame { columns, .. } = &input {
            let missing: Vec<&String> = self
                .columns
                .iter()
                .filter(|c| !columns.contains(c))
                .collect();
            if !missing.is_empty() {
                let extra: Vec<&String> = columns
                    .iter()
                    .filter(|c| !self.columns.contains(c))
                    .collect();
                return Err(ScoringError::invalid(format!(
                    "Failed to predict data. Failed to enforce schema of data: Model is missing inputs {missing:?}. Note that there were extra inputs: {extra:?}"
                )));
            }
        }
        let mut req = match input {
            Input::Frame { columns, mut rows } => {
                let floats: Vec<usize> = columns
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| self.float_columns.contains(c))
                    .map(|(i, _)| i)
                    .collect();
                for row in &mut rows {
                    for &i in &floats {
                        if let Some(Value::Number(n)) = row.get(i) {
                            if let Some(f) = n.as_f64() {
                                row[i] = json!(f);
                            }
                        }
                    }
                }
                json!({ "columns": columns, "rows": rows })
            }
            Input::Tensor(t) => json!({ "tensor": t }),
            Input::Named(m) => {
                // A dict of column → values is a frame.
                let columns: Vec<String> = m.keys().cloned().collect();
                let len = m
                    .values()
                    .filter_map(Value::as_array)
                    .map(Vec::len)
                    .max()
                    .unwrap_or(0);
                let rows: Vec<Vec<Value>> = (0..len)
                    .map(|i| {
                        columns
                            .iter()
                            .map(|c| {
                                m[c].as_array()
                                    .and_then(|a| a.get(i))
                                    .cloned()
                                    .unwrap_or(Value::Null)
                            })
                            .collect()
                    })
                    .collect();
                json!({ "columns": columns, "rows": rows })
            }
        };
        if let Some(p) = params {
            req["params"] = Value::Object(p);
        }
        self.ask(&req)
    }
}
