//! `mlf models log|save|export|import|generate-dockerfile`.

use std::path::{Path, PathBuf};

use crate::artifacts::{LocalRepo, clean_relative};
use crate::commands::context::Ctx;
use crate::commands::log::{RunArg, artifact_error};
use crate::error::{CliResult, failure, usage_error};
use crate::models::{MlModel, Signature, pack, unpack};
use crate::store::LogBatch;
use crate::tracking::KeyValue;
use crate::tracking::ids::{new_run_id, now_ms};

#[derive(Debug, clap::Args)]
pub struct LogArgs {
    /// The MLmodel directory to copy
    path: PathBuf,
    /// Artifact path of the model inside the run
    #[arg(long, default_value = "model")]
    name: String,
    #[command(flatten)]
    run: RunArg,
}

/// Make an MLmodel directory for an ONNX file
///
/// Writes `DIR/model.onnx` and an MLmodel with the `onnx` and `python_function` flavors and a
/// tensor signature read from the graph's inputs and outputs.
#[derive(Debug, clap::Args)]
pub struct SaveArgs {
    /// The ONNX file
    #[arg(long, value_name = "FILE")]
    onnx: PathBuf,
    /// Directory to create
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Model URI
    #[arg(short, long = "model-uri", value_name = "URI", add = crate::commands::complete::model_uri_completer())]
    model: String,
    /// Archive to write (`.tar.gz`)
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Archive made by `mlf models export`
    archive: PathBuf,
    /// Directory to create
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
}

/// Write a Dockerfile and context whose image serves the model with mlf
///
/// The context holds this mlf binary, the model and a Dockerfile; the image listens on port
/// 8080 (`docker build -t NAME DIR && docker run -p 5001:8080 NAME`). python_function models get
/// a Python base image with the model's requirements.txt installed.
#[derive(Debug, clap::Args)]
pub struct DockerfileArgs {
    /// Model URI
    #[arg(short, long = "model-uri", value_name = "URI", add = crate::commands::complete::model_uri_completer())]
    model: String,
    /// Directory to write the context into
    #[arg(
        short = 'd',
        long = "output-directory",
        value_name = "DIR",
        default_value = "mlf-dockerfile"
    )]
    output: PathBuf,
}

pub fn log(ctx: &mut Ctx, args: LogArgs) -> CliResult<u8> {
    let LogArgs { path, name, run } = args;
    let mut model = MlModel::load(&path).map_err(usage_error)?;
    let dest = clean_relative(&name).map_err(artifact_error)?;
    if dest.as_os_str().is_empty() {
        return Err(usage_error(
            "--name is empty: give the model's path inside the run, such as `model`",
        ));
    }
    let id = ctx.target_run(run.run.as_deref())?;
    let store = ctx.store()?;
    let r = store.run(&id)?;
    let repo = store.artifacts(&r)?;
    if repo.list(&dest, false).is_ok_and(|l| !l.is_empty()) {
        return Err(usage_error(format!(
            "run {} already has artifacts at `{name}`: choose another --name",
            &id[..8]
        )));
    }
    // Copy the directory's contents under `name/`, then write the MLmodel that knows its run.
    let staging = std::env::temp_dir().join(format!("mlf-model-{}", new_run_id()));
    let copy = (|| -> CliResult<()> {
        std::fs::create_dir_all(&staging).map_err(|e| failure(e.to_string()))?;
        let src_repo = LocalRepo::new(staging.clone());
        for item in src_repo
            .plan_put(&path, Path::new(""))
            .map_err(artifact_error)?
        {
            src_repo.put(&item, &mut |_| {}).map_err(artifact_error)?;
        }
        let inner = staging.join(
            path.canonicalize()
                .ok()
                .and_then(|p| p.file_name().map(PathBuf::from))
                .unwrap_or_default(),
        );
        model.run_id = Some(id.clone());
        model.artifact_path = Some(name.clone());
        model.save(&inner).map_err(failure)?;
        for entry in repo
            .plan_put(&inner, Path::new(""))
            .map_err(artifact_error)?
        {
            let rel = entry
                .to
                .strip_prefix(inner.file_name().unwrap_or_default())
                .unwrap_or(&entry.to)
                .to_path_buf();
            let item = crate::artifacts::CopyItem {
                to: dest.join(rel),
                ..entry
            };
            repo.put(&item, &mut |_| {}).map_err(artifact_error)?;
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&staging);
    copy?;
    // Appended to the run's history of logged models, as MLflow does.
    let flavors = serde_json::to_value(&model.flavors).unwrap_or_default();
    let entry = serde_json::json!({ "run_id": id, "artifact_path": name, "utc_time_created": model.utc_time_created, "flavors": flavors });
    let mut history: Vec<serde_json::Value> = store
        .run(&id)?
        .tag("mlflow.log-model.history")
        .and_then(|h| serde_json::from_str(h).ok())
        .unwrap_or_default();
    history.push(entry);
    let value = serde_json::Value::Array(history).to_string();
    store.log_batch(
        &id,
        LogBatch {
            tags: vec![KeyValue {
                key: "mlflow.log-model.history".into(),
                value,
            }],
            ..Default::default()
        },
    )?;
    ctx.ui.status(
        "Logged",
        &format!("model to run {} at `{name}` (runs:/{id}/{name})", &id[..8]),
    );
    Ok(0)
}

/// A UTC time as MLflow writes `utc_time_created`.
fn utc_now() -> String {
    let ms = now_ms();
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since the epoch.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{:06}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms.rem_euclid(1000) * 1000
    )
}

#[cfg(feature = "onnx")]
fn onnx_signature(file: &Path) -> CliResult<Signature> {
    use tract_onnx::pb;
    use tract_onnx::prelude::Framework;
    let bytes = std::fs::read(file)
        .map_err(|e| usage_error(format!("cannot read `{}`: {e}", file.display())))?;
    let proto = tract_onnx::onnx()
        .proto_model_for_read(&mut bytes.as_slice())
        .map_err(|e| usage_error(format!("`{}` is not an ONNX model: {e}", file.display())))?;
    let graph = proto
        .graph
        .ok_or_else(|| usage_error("the ONNX model has no graph"))?;
    let inits: Vec<&str> = graph.initializer.iter().map(|i| i.name.as_str()).collect();
    let spec = |infos: &[pb::ValueInfoProto]| -> String {
        let items: Vec<serde_json::Value> = infos
            .iter()
            .filter(|i| !inits.contains(&i.name.as_str()))
            .filter_map(|i| {
                let pb::type_proto::Value::TensorType(t) = i.r#type.as_ref()?.value.as_ref()?;
                let dtype = match t.elem_type {
                    1 => "float32",
                    2 => "uint8",
                    3 => "int8",
                    6 => "int32",
                    7 => "int64",
                    9 => "bool",
                    10 => "float16",
                    11 => "float64",
                    8 => "str",
                    _ => return None,
                };
                let shape: Vec<i64> = t.shape.as_ref().map(|s| {
                    s.dim.iter().map(|d| match d.value {
                        Some(pb::tensor_shape_proto::dimension::Value::DimValue(v)) => v,
                        _ => -1,
                    }).collect()
                }).unwrap_or_default();
                Some(serde_json::json!({ "name": i.name, "type": "tensor", "tensor-spec": { "dtype": dtype, "shape": shape } }))
            })
            .collect();
        serde_json::Value::Array(items).to_string()
    };
    Ok(Signature {
        inputs: Some(spec(&graph.input)),
        outputs: Some(spec(&graph.output)),
        params: None,
    })
}

pub fn save(ctx: &mut Ctx, args: SaveArgs) -> CliResult<u8> {
    let SaveArgs { onnx, output } = args;
    #[cfg(not(feature = "onnx"))]
    {
        let _ = (&onnx, &output, &ctx);
        return Err(failure(
            "this mlf was built without ONNX support (cargo feature `onnx`)",
        ));
    }
    #[cfg(feature = "onnx")]
    {
        if !onnx.is_file() {
            return Err(usage_error(format!("no ONNX file `{}`", onnx.display())));
        }
        let signature = onnx_signature(&onnx)?;
        crate::models::ensure_new_dir(&output)?;
        std::fs::create_dir_all(&output)
            .map_err(|e| failure(format!("cannot create `{}`: {e}", output.display())))?;
        std::fs::copy(&onnx, output.join("model.onnx"))
            .map_err(|e| failure(format!("cannot copy the model: {e}")))?;
        let yaml = |s: &str| serde_yaml::from_str::<serde_yaml::Value>(s).expect("static YAML");
        let mut model = MlModel {
            model_uuid: Some(new_run_id()),
            utc_time_created: Some(utc_now()),
            signature: Some(signature),
            ..Default::default()
        };
        model.flavors.insert("onnx".into(), yaml("data: model.onnx\nproviders: [CPUExecutionProvider]\nonnx_session_options: null\ncode: null\n"));
        model.flavors.insert("python_function".into(), yaml("loader_module: mlflow.onnx\ndata: model.onnx\nenv:\n  conda: conda.yaml\n  virtualenv: python_env.yaml\n"));
        model.save(&output).map_err(failure)?;
        let files = [
            ("requirements.txt", "mlflow\nonnx\nonnxruntime\n"),
            (
                "python_env.yaml",
                "python: \"3\"\nbuild_dependencies:\n- pip\ndependencies:\n- -r requirements.txt\n",
            ),
            (
                "conda.yaml",
                "name: mlflow-env\nchannels:\n- conda-forge\ndependencies:\n- python\n- pip\n- pip:\n  - mlflow\n  - onnx\n  - onnxruntime\n",
            ),
        ];
        for (name, text) in files {
            std::fs::write(output.join(name), text)
                .map_err(|e| failure(format!("cannot write `{name}`: {e}")))?;
        }
        ctx.ui
            .status("Saved", &format!("ONNX model to `{}`", output.display()));
        Ok(0)
    }
}

pub fn export(ctx: &mut Ctx, args: ExportArgs) -> CliResult<u8> {
    let ExportArgs { model, output } = args;
    let dir = super::model_dir(ctx, &model)?;
    MlModel::load(&dir).map_err(usage_error)?;
    pack(&dir, &output)?;
    ctx.ui.status(
        "Exported",
        &format!("`{}` to `{}`", dir.display(), output.display()),
    );
    Ok(0)
}

pub fn import(ctx: &mut Ctx, args: ImportArgs) -> CliResult<u8> {
    let ImportArgs { archive, output } = args;
    unpack(&archive, &output)?;
    ctx.ui
        .status("Imported", &format!("model to `{}`", output.display()));
    Ok(0)
}

/// Whether the image can serve the model with mlf alone (an ONNX model mlf's runtime runs);
/// an ONNX model it cannot run is served through its python_function flavor, and one
/// without that flavor is refused before anything is written: the image could not start.
fn native_onnx(mlmodel: &MlModel, dir: &Path) -> CliResult<bool> {
    #[cfg(feature = "onnx")]
    if let Some(file) = mlmodel.onnx_file(dir).map_err(usage_error)? {
        return match crate::serving::onnx::OnnxPredictor::load(&file, mlmodel.signature.as_ref()) {
            Ok(_) => Ok(true),
            Err(_) if mlmodel.flavor("python_function").is_some() => Ok(false),
            Err(e) => Err(usage_error(format!(
                "mlf cannot serve the model in `{}` ({e}), and it has no python_function flavor to serve instead: an image of it would not start",
                dir.display()
            ))),
        };
    }
    let _ = (mlmodel, dir);
    Ok(false)
}

pub fn dockerfile(ctx: &mut Ctx, args: DockerfileArgs) -> CliResult<u8> {
    let DockerfileArgs { model, output } = args;
    let dir = super::model_dir(ctx, &model)?;
    let mlmodel = MlModel::load(&dir).map_err(usage_error)?;
    let onnx = native_onnx(&mlmodel, &dir)?;
    crate::models::ensure_new_dir(&output)?;
    let model_dest = output.join("model");
    let repo = LocalRepo::new(model_dest.clone());
    for item in repo.plan_put(&dir, Path::new("")).map_err(artifact_error)? {
        let rel = item
            .to
            .strip_prefix(dir.file_name().unwrap_or_default())
            .unwrap_or(&item.to)
            .to_path_buf();
        repo.put(&crate::artifacts::CopyItem { to: rel, ..item }, &mut |_| {})
            .map_err(artifact_error)?;
    }
    let exe =
        std::env::current_exe().map_err(|e| failure(format!("cannot find the mlf binary: {e}")))?;
    std::fs::copy(&exe, output.join("mlf"))
        .map_err(|e| failure(format!("cannot copy the mlf binary: {e}")))?;
    let python = mlmodel
        .flavor("python_function")
        .and_then(|f| f.get("python_version"))
        .and_then(|v| v.as_str())
        .unwrap_or("3.11");
    let minor: String = python.split('.').take(2).collect::<Vec<_>>().join(".");
    let (base, install) = if onnx {
        ("debian:bookworm-slim".to_string(), String::new())
    } else {
        let req = if dir.join("requirements.txt").is_file() {
            "RUN pip install --no-cache-dir -r /opt/ml/model/requirements.txt\n"
        } else {
            ""
        };
        (format!("python:{minor}-slim"), req.to_string())
    };
    let text = format!(
        "# Serves the model in ./model with mlf: docker build -t NAME . && docker run -p 5001:8080 NAME\nFROM {base}\nCOPY mlf /usr/local/bin/mlf\nCOPY model /opt/ml/model\n{install}EXPOSE 8080\nENTRYPOINT [\"mlf\", \"models\", \"serve\", \"-m\", \"/opt/ml/model\", \"--host\", \"0.0.0.0\", \"--port\", \"8080\"]\n"
    );
    std::fs::write(output.join("Dockerfile"), text)
        .map_err(|e| failure(format!("cannot write the Dockerfile: {e}")))?;
    ctx.ui.status(
        "Wrote",
        &format!("`{}` (Dockerfile, mlf, model/)", output.display()),
    );
    Ok(0)
}
