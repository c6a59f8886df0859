//! A real Azure Blob Storage emulator for the tests of `az://` and `wasbs://` URIs: Azurite's
//! blob service (npm, installed in target/azurite by scripts/azurite-env.sh), started once for
//! the test process on a loopback port, checking the emulator account's shared key. Containers
//! are made and read with Azure's own Python client (in the e2e venv). A watchdog stops the
//! emulator and removes its data once this process is gone.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The emulator's well-known account and key.
pub const ACCOUNT: &str = "devstoreaccount1";
const KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

pub struct Azurite {
    /// `http://127.0.0.1:PORT/devstoreaccount1`.
    pub endpoint: String,
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn azurite_blob() -> PathBuf {
    let bin = root().join("target/azurite/node_modules/.bin/azurite-blob");
    if !bin.is_file() {
        let out = Command::new("bash")
            .arg(root().join("scripts/azurite-env.sh"))
            .current_dir(root())
            .output()
            .expect("run scripts/azurite-env.sh");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    bin
}

fn start() -> Azurite {
    let dir = tempfile::Builder::new()
        .prefix("mlf-azurite-")
        .tempdir()
        .unwrap()
        .keep();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(azurite_blob())
        .args(["--blobHost", "127.0.0.1", "--blobPort", &port.to_string()])
        .arg("--location")
        .arg(&dir)
        .args([
            "--silent",
            "--skipApiVersionCheck",
            "--disableProductStyleUrl",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("log")).unwrap())
        .spawn()
        .expect("start azurite-blob");
    crate::support::stop_when_done(child, &dir);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "Azurite did not start: {}",
            std::fs::read_to_string(dir.join("log")).unwrap_or_default()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    Azurite {
        endpoint: format!("http://127.0.0.1:{port}/{ACCOUNT}"),
    }
}

/// The emulator, started on first use.
pub fn server() -> &'static Azurite {
    static AZ: OnceLock<Azurite> = OnceLock::new();
    AZ.get_or_init(start)
}

impl Azurite {
    /// MLflow's variable for Azure Blob Storage, naming this emulator.
    pub fn connection_string(&self) -> String {
        format!(
            "DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};BlobEndpoint={}",
            self.endpoint
        )
    }

    /// The variables that point an `mlf` process at the emulator with its key.
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        vec![("AZURE_STORAGE_CONNECTION_STRING", self.connection_string())]
    }

    /// Runs Azure's Python client with `script` (`client` is the account's service client).
    fn python(&self, script: &str) -> String {
        let python = crate::models_mlflow::e2e_bin().join("python");
        let full = format!(
            "import sys\nfrom azure.storage.blob import BlobServiceClient\nclient = BlobServiceClient.from_connection_string(sys.argv[1])\n{script}"
        );
        let out = Command::new(python)
            .args(["-c", &full, &self.connection_string()])
            .output()
            .expect("run python");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Makes a container (nothing when it is there).
    pub fn create_container(&self, name: &str) {
        self.python(&format!(
            "c = client.get_container_client({name:?})\nif not c.exists(): c.create_container()"
        ));
    }

    /// Every blob below `container/prefix`, as (name, size), sorted.
    pub fn blobs(&self, container: &str, prefix: &str) -> Vec<(String, u64)> {
        let text = self.python(&format!(
            "for b in client.get_container_client({container:?}).list_blobs(name_starts_with={prefix:?}): print(b.name, b.size)"
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
