//! Where a database store keeps artifacts: the root given at open, and the root a server
//! records in the database for the commands that use it after.
//!
//! Written once for both database stores (`postgres/mod.rs`, `mysql/mod.rs`).

/// The artifact-root methods of the database store type `$store` (its fields `location` and
/// `artifact_root`, its `state` and `write`).
macro_rules! methods {
    ($store:ident) => {
        /// The state key of the recorded artifact root.
        const ARTIFACT_ROOT_KEY: &str = "artifact_root";

        impl $store {
            /// The database, for messages (no password).
            pub fn location(&self) -> &str {
                &self.location
            }

            /// The default artifact root.
            pub fn artifact_root(&self) -> &Path {
                &self.artifact_root
            }

            /// Uses `root` as the default artifact root from now on.
            pub fn set_artifact_root(&mut self, root: PathBuf) {
                self.artifact_root = root;
            }

            /// The artifact root recorded by a server given one (`--artifacts-destination`), which
            /// commands on the same database use unless told otherwise.
            pub fn recorded_artifact_root(&self) -> Result<Option<PathBuf>> {
                Ok(self.state(ARTIFACT_ROOT_KEY)?.map(PathBuf::from))
            }

            /// Records `root` as the database's artifact root. When it replaces another, the Default
            /// experiment (whose location follows the root until it has one) is pinned to the old
            /// root first, so that its runs' files stay where they are.
            pub fn record_artifact_root(&self, root: &Path) -> Result<()> {
                let old = self.recorded_artifact_root()?;
                let new = root.display().to_string();
                self.write(|tx| {
                    if let Some(old) = old.as_ref().filter(|o| o.as_path() != root) {
                        tx.execute(
                            "UPDATE experiments SET artifact_location = $1
                             WHERE experiment_id = 0 AND artifact_location IS NULL",
                            &[&old.join("0").display().to_string()],
                        )?;
                    }
                    tx.execute(
                        "INSERT INTO state (key, value) VALUES ($1, $2)
                         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        &[&ARTIFACT_ROOT_KEY, &new],
                    )?;
                    Ok(())
                })
            }
        }
    };
}
pub(crate) use methods;
