//! Every environment variable that mlf reads or sets, spelled once.
//!
//! Nothing outside this module and `context.rs` reads the process environment; clap args
//! refer to these constants so that `--help` shows `[env: …]`.

/// Path of the store directory (the `.mlf` folder) to use instead of discovering one.
pub const MLF_STORE: &str = "MLF_STORE";
/// Artifact root of a database store (`--store postgresql://…` or `mysql://…`): new experiments keep their
/// runs' artifacts below it, a path, `s3://BUCKET/PREFIX`, `az://CONTAINER/PREFIX` or
/// `gs://BUCKET/PREFIX`
/// [default: the destination a server recorded in the database, else `mlruns` in the current
/// directory].
pub const MLF_ARTIFACT_ROOT: &str = "MLF_ARTIFACT_ROOT";
/// Run that `mlf log` writes to when `--run` is not given; set for children of `mlf run`.
pub const MLF_RUN_ID: &str = "MLF_RUN_ID";
/// Experiment (name or id) for new runs when `-x` is not given.
pub const MLF_EXPERIMENT: &str = "MLF_EXPERIMENT";
/// Tracking server URI (`http(s)://host:port`): every command then works against that server
/// instead of a local store. Wins over `MLFLOW_TRACKING_URI`.
pub const MLF_TRACKING_URI: &str = "MLF_TRACKING_URI";
/// All `-p key=value` params of `mlf run`, as one JSON object, for the child.
pub const MLF_PARAMS: &str = "MLF_PARAMS";
/// Prefix of one variable per `-p key=value` param of `mlf run`, for the child.
pub const MLF_PARAM_PREFIX: &str = "MLF_PARAM_";
/// Pins "now" (milliseconds since the Unix epoch) for reproducible tests.
pub const MLF_TEST_NOW: &str = "MLF_TEST_NOW";
/// Pins run-id and run-name generation (a number) for reproducible tests.
pub const MLF_TEST_SEED: &str = "MLF_TEST_SEED";

/// MLflow's name for the run to log into; read like `MLF_RUN_ID` and set for children.
pub const MLFLOW_RUN_ID: &str = "MLFLOW_RUN_ID";
/// MLflow's experiment name; read like `MLF_EXPERIMENT`.
pub const MLFLOW_EXPERIMENT_NAME: &str = "MLFLOW_EXPERIMENT_NAME";
/// MLflow's experiment id; read like `MLF_EXPERIMENT` and set for children.
pub const MLFLOW_EXPERIMENT_ID: &str = "MLFLOW_EXPERIMENT_ID";
/// MLflow's tracking URI: an http(s) URL switches every command to that server.
pub const MLFLOW_TRACKING_URI: &str = "MLFLOW_TRACKING_URI";
/// `mlf project run --backend kubernetes`: the tracking URI the Job's pods log to, when it is
/// not the one this command uses (as MLflow reads it).
pub const KUBE_MLFLOW_TRACKING_URI: &str = "KUBE_MLFLOW_TRACKING_URI";
/// Bearer token sent to a tracking server.
pub const MLFLOW_TRACKING_TOKEN: &str = "MLFLOW_TRACKING_TOKEN";
/// User name for HTTP Basic authentication with a tracking server.
pub const MLFLOW_TRACKING_USERNAME: &str = "MLFLOW_TRACKING_USERNAME";
/// Password for HTTP Basic authentication with a tracking server.
pub const MLFLOW_TRACKING_PASSWORD: &str = "MLFLOW_TRACKING_PASSWORD";
/// `true`: do not verify a tracking server's TLS certificate.
pub const MLFLOW_TRACKING_INSECURE_TLS: &str = "MLFLOW_TRACKING_INSECURE_TLS";
/// A PEM bundle of the certificate authorities to trust for a tracking server.
pub const MLFLOW_TRACKING_SERVER_CERT_PATH: &str = "MLFLOW_TRACKING_SERVER_CERT_PATH";
/// Seconds to wait for a tracking server's answer.
pub const MLFLOW_HTTP_REQUEST_TIMEOUT: &str = "MLFLOW_HTTP_REQUEST_TIMEOUT";
/// Seconds one prediction of `mlf models serve` may take (`--timeout`), as MLflow's.
pub const MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT: &str = "MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT";
/// How many times a failed read from a tracking server is tried again.
pub const MLFLOW_HTTP_REQUEST_MAX_RETRIES: &str = "MLFLOW_HTTP_REQUEST_MAX_RETRIES";
/// `true`: `mlf run` and `mlf project run` log system metrics as with `--system-metrics`.
pub const MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING: &str = "MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING";
/// Seconds between system metric samples when `--system-metrics` gives no interval [default: 10].
pub const MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL: &str = "MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL";
/// When `false`, over-long param and tag values are refused instead of truncated.
pub const MLFLOW_TRUNCATE_LONG_VALUES: &str = "MLFLOW_TRUNCATE_LONG_VALUES";

/// The access key for `s3://` URIs (path parameters of projects, a server's artifact
/// destination); else the AWS shared files' (`AWS_PROFILE`).
pub const AWS_ACCESS_KEY_ID: &str = "AWS_ACCESS_KEY_ID";
/// The secret key that goes with `AWS_ACCESS_KEY_ID`; never printed.
pub const AWS_SECRET_ACCESS_KEY: &str = "AWS_SECRET_ACCESS_KEY";
/// A session token for temporary S3 credentials.
pub const AWS_SESSION_TOKEN: &str = "AWS_SESSION_TOKEN";
/// The S3 region [default: `AWS_DEFAULT_REGION`, else the profile's, else `us-east-1`].
pub const AWS_REGION: &str = "AWS_REGION";
/// The S3 region when `AWS_REGION` is not set.
pub const AWS_DEFAULT_REGION: &str = "AWS_DEFAULT_REGION";
/// The profile of the AWS shared files whose keys and region are used when the environment
/// gives none [default: `default`].
pub const AWS_PROFILE: &str = "AWS_PROFILE";
/// The AWS credentials file [default: `~/.aws/credentials`].
pub const AWS_SHARED_CREDENTIALS_FILE: &str = "AWS_SHARED_CREDENTIALS_FILE";
/// The AWS config file, for the profile's region [default: `~/.aws/config`].
pub const AWS_CONFIG_FILE: &str = "AWS_CONFIG_FILE";
/// MLflow's endpoint for an S3-compatible store (MinIO, SeaweedFS, Ceph): `http(s)://HOST:PORT`.
/// Wins over `AWS_ENDPOINT_URL_S3` and `AWS_ENDPOINT_URL`.
pub const MLFLOW_S3_ENDPOINT_URL: &str = "MLFLOW_S3_ENDPOINT_URL";
/// The AWS tools' endpoint for S3 alone, read after `MLFLOW_S3_ENDPOINT_URL`.
pub const AWS_ENDPOINT_URL_S3: &str = "AWS_ENDPOINT_URL_S3";
/// The AWS tools' endpoint for every service, read last.
pub const AWS_ENDPOINT_URL: &str = "AWS_ENDPOINT_URL";

/// Azure Blob Storage, as MLflow reads it: `AccountName=…;AccountKey=…` and, for another
/// endpoint than Azure's (Azurite), `BlobEndpoint=http(s)://HOST:PORT/ACCOUNT`.
pub const AZURE_STORAGE_CONNECTION_STRING: &str = "AZURE_STORAGE_CONNECTION_STRING";
/// Azure Blob Storage: the account's key, when no connection string gives one.
pub const AZURE_STORAGE_ACCESS_KEY: &str = "AZURE_STORAGE_ACCESS_KEY";
/// Azure Blob Storage: the account of `az://CONTAINER/…` URIs, when no connection string
/// names one (`wasbs://CONTAINER@ACCOUNT.blob.core.windows.net/…` names its own).
pub const AZURE_STORAGE_ACCOUNT_NAME: &str = "AZURE_STORAGE_ACCOUNT_NAME";

/// Google Cloud Storage (`gs://`), as Google's libraries read it: the JSON key of a service
/// account (or a user's application default credentials) [default:
/// `~/.config/gcloud/application_default_credentials.json`, else this machine's metadata
/// server].
pub const GOOGLE_APPLICATION_CREDENTIALS: &str = "GOOGLE_APPLICATION_CREDENTIALS";
/// Google Cloud Storage: the path of a service account's JSON key, read before
/// `GOOGLE_APPLICATION_CREDENTIALS`; a key with a `gcs_base_url` sends requests there (an
/// emulator).
pub const GOOGLE_SERVICE_ACCOUNT: &str = "GOOGLE_SERVICE_ACCOUNT";
/// Google Cloud Storage: a service account's JSON key itself, in place of a file.
pub const GOOGLE_SERVICE_ACCOUNT_KEY: &str = "GOOGLE_SERVICE_ACCOUNT_KEY";

/// Set by the shell completion scripts: `COMPLETE=bash mlf -- WORDS` prints completions.
pub const COMPLETE: &str = "COMPLETE";

/// Cache directory for environments and cloned projects [default: `$XDG_CACHE_HOME/mlf`,
/// else `~/.cache/mlf`].
pub const MLF_CACHE_DIR: &str = "MLF_CACHE_DIR";
/// The conda executable for `mlf project run --env-manager conda`.
pub const MLF_CONDA_EXE: &str = "MLF_CONDA_EXE";
/// Conda's own name for its executable, read after `MLF_CONDA_EXE`.
pub const CONDA_EXE: &str = "CONDA_EXE";
/// The cache base directory of the XDG convention.
pub const XDG_CACHE_HOME: &str = "XDG_CACHE_HOME";
/// The configuration base directory of the XDG convention: the user's settings are
/// `$XDG_CONFIG_HOME/mlf/config.toml` [default: `~/.config/mlf/config.toml`].
pub const XDG_CONFIG_HOME: &str = "XDG_CONFIG_HOME";
/// The data base directory of the XDG convention: `mlf man --install` writes below
/// `$XDG_DATA_HOME/man` [default: `~/.local/share/man`].
pub const XDG_DATA_HOME: &str = "XDG_DATA_HOME";
/// The user's home directory.
pub const HOME: &str = "HOME";
/// Where programs are looked up.
pub const PATH: &str = "PATH";

/// The token `mlf server` requires, as `--auth-token`.
pub const MLF_SERVER_TOKEN: &str = "MLF_SERVER_TOKEN";
/// The users file (`name:hash` lines) `mlf server` checks HTTP Basic credentials against, as
/// `--users`.
pub const MLF_SERVER_USERS: &str = "MLF_SERVER_USERS";
/// The web UI that `--web` opens pages in (`http://HOST:PORT`), as `--url`.
pub const MLF_UI_URL: &str = "MLF_UI_URL";
/// The browser command(s) `--web` and `mlf ui --open` use, before `xdg-open`/`open`: a
/// `:`-separated list, each a command line where `%s` stands for the address (appended when
/// absent), as `xdg-open` and Python's `webbrowser` read it.
pub const BROWSER: &str = "BROWSER";

/// The pager for long output on a terminal (a command line, run by `sh -c`); wins over
/// `PAGER`. Empty or `cat`: no pager.
pub const MLF_PAGER: &str = "MLF_PAGER";
/// The pager for long output on a terminal when `MLF_PAGER` is not set [default: `less -FRX`].
pub const PAGER: &str = "PAGER";
/// Options for `less`; when unset, mlf sets `FRX` for its pager (quit when the output fits,
/// keep colours, leave the screen as it is).
pub const LESS: &str = "LESS";

/// The terminal's width in columns, for tables (else the terminal's own, when stdout is one).
pub const COLUMNS: &str = "COLUMNS";

/// Disables colour when set to a non-empty value.
pub const NO_COLOR: &str = "NO_COLOR";
/// The terminal type: `dumb` turns colour off (unless `CLICOLOR_FORCE` forces it).
pub const TERM: &str = "TERM";
/// Forces colour when set to a non-empty value other than `0`.
pub const CLICOLOR_FORCE: &str = "CLICOLOR_FORCE";
/// Set to `1` for children of `mlf run` so that Python streams its output live.
pub const PYTHONUNBUFFERED: &str = "PYTHONUNBUFFERED";
/// User name recorded on new runs (after `LOGNAME`, as Python's `getpass.getuser` reads
/// them), and the registry's actor when no git identity is set.
pub const USER: &str = "USER";
/// The login name, read before `USER` for a run's `mlflow.user`.
pub const LOGNAME: &str = "LOGNAME";
/// Read after `USER` for a run's `mlflow.user`, as `getpass.getuser` does.
pub const LNAME: &str = "LNAME";
/// Read after `LNAME` for a run's `mlflow.user`, as `getpass.getuser` does.
pub const USERNAME: &str = "USERNAME";
/// Who acts in the registry (requests, approvals, history), overriding the git identity.
pub const MLF_USER: &str = "MLF_USER";

/// Reads a variable, treating an empty value as unset.
pub fn var(name: &str) -> Option<String> {
    #[allow(clippy::disallowed_methods)] // the one place the environment is read
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Reads a variable as it is, an empty value included (`None` only when unset).
pub fn var_raw(name: &str) -> Option<String> {
    #[allow(clippy::disallowed_methods)] // the one place the environment is read
    std::env::var(name).ok()
}

/// Who runs this process, as MLflow records it in `mlflow.user` (Python's `getpass.getuser`):
/// `LOGNAME`, `USER`, `LNAME`, `USERNAME`, else the account's name in the password database.
pub fn login_name() -> Option<String> {
    [LOGNAME, USER, LNAME, USERNAME]
        .into_iter()
        .find_map(var)
        .or_else(crate::sys::account_name)
}
