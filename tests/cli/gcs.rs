//! A server for the tests of `gs://` URIs. Google Cloud Storage's XML API — the one the GCS
//! client of `object_store` speaks for every call mlf makes (put, multipart upload, get,
//! ranges, list, delete) — is S3's protocol, and the GCS emulators on PyPI and npm answer only
//! the JSON API; so the tests run moto's server (PyPI, in target/gcs-venv made by
//! scripts/gcs-env.sh) on a loopback port, started once for the test process. The client
//! reaches it through a service account's key naming it as `gcs_base_url` (with a real RSA key
//! made by openssl, from which it signs its own tokens); moto checks no credentials. Buckets
//! are made and read with boto3 (in the same venv). A watchdog stops the server once this
//! process is gone.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

pub struct Gcs {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// The service account's key file.
    key: PathBuf,
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn venv_bin() -> PathBuf {
    let bin = root().join("target/gcs-venv/bin");
    if !bin.join("moto_server").is_file() || !root().join("target/gcs-venv/.ready").is_file() {
        let out = Command::new("bash")
            .arg(root().join("scripts/gcs-env.sh"))
            .current_dir(root())
            .output()
            .expect("run scripts/gcs-env.sh");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    bin
}

fn start() -> Gcs {
    let bin = venv_bin();
    let dir = tempfile::Builder::new()
        .prefix("mlf-gcs-")
        .tempdir()
        .unwrap()
        .keep();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(bin.join("moto_server"))
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("log")).unwrap())
        .spawn()
        .expect("start moto_server");
    crate::support::stop_when_done(child, &dir);
    let endpoint = format!("http://127.0.0.1:{port}");
    // A service account's key: a real RSA key, the server as its base URL.
    let pem = dir.join("key.pem");
    let out = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&pem)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = dir.join("service-account.json");
    let json = serde_json::json!({
        "type": "service_account",
        "project_id": "mlf-tests",
        "private_key_id": "k1",
        "private_key": std::fs::read_to_string(&pem).unwrap(),
        "client_email": "mlf-tests@mlf-tests.iam.gserviceaccount.com",
        "gcs_base_url": endpoint,
    });
    std::fs::write(&key, json.to_string()).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "moto did not start: {}",
            std::fs::read_to_string(dir.join("log")).unwrap_or_default()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    Gcs { endpoint, key }
}

/// The server, started on first use.
pub fn server() -> &'static Gcs {
    static GCS: OnceLock<Gcs> = OnceLock::new();
    GCS.get_or_init(start)
}

impl Gcs {
    /// The variables that point an `mlf` process at the server with the key.
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        vec![("GOOGLE_SERVICE_ACCOUNT", self.key.display().to_string())]
    }

    /// Runs boto3 against the server with `script` (`s3` is the client).
    fn python(&self, script: &str) -> String {
        let full = format!(
            "import sys, boto3\ns3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='k', aws_secret_access_key='s')\n{script}"
        );
        let out = Command::new(venv_bin().join("python"))
            .args(["-c", &full, &self.endpoint])
            .output()
            .expect("run python");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Makes a bucket (letters and digits: the client escapes every other character of a
    /// bucket's name, which moto does not read back).
    pub fn create_bucket(&self, name: &str) {
        self.python(&format!("s3.create_bucket(Bucket={name:?})"));
    }

    /// Every object below `bucket/prefix`, as (key, size), sorted.
    pub fn objects(&self, bucket: &str, prefix: &str) -> Vec<(String, u64)> {
        let text = self.python(&format!(
            "for page in s3.get_paginator('list_objects_v2').paginate(Bucket={bucket:?}, Prefix={prefix:?}):\n    for o in page.get('Contents', []): print(o['Key'], o['Size'])"
        ));
        let mut out: Vec<(String, u64)> = text
            .lines()
            .filter_map(|l| l.rsplit_once(' '))
            .map(|(n, s)| (n.to_string(), s.parse().unwrap()))
            .collect();
        out.sort();
        out
    }
}
