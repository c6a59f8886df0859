//! Link settings for the `mlf` executable.

use std::path::{Path, PathBuf};
use std::process::Command;

// A build script reads its configuration from the environment cargo gives it.
#[allow(clippy::disallowed_methods)]
fn main() {
    let cfg = |name: &str| std::env::var_os(name).unwrap_or_default();
    if cfg("CARGO_CFG_TARGET_OS") == "linux" && cfg("CARGO_CFG_TARGET_ENV") == "gnu" {
        // Relative relocations packed as a bitmap (DT_RELR): the loader reads a few kilobytes
        // at start instead of a megabyte of relocation entries.
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
        // A fixed load address: the linker resolves the pointers in the executable's read-only
        // data itself, so the loader writes none of them at each start (a megabyte of pages
        // touched and copied, and most of the instructions `mlf --version` runs).
        println!("cargo:rustc-link-arg-bins=-no-pie");
        // The unwinder linked in from GCC's static `libgcc_eh.a` rather than loaded from
        // `libgcc_s.so.1`: one shared library fewer to find, map and relocate at every start
        // (about a fifth of a millisecond here).
        let out = PathBuf::from(cfg("OUT_DIR"));
        if let Some(dir) = static_unwinder(&cfg("CC"), &out) {
            println!("cargo:rustc-link-search=native={}", dir.display());
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CC");
}

/// A directory holding a `libgcc_s.so` that is a linker script naming `libgcc_eh.a`: searched
/// before the system's directories, it answers the `-lgcc_s` that Rust's standard library and
/// the C compiler driver ask for. `None` (and the shared library, as usual) when the compiler
/// has no `libgcc_eh.a`.
fn static_unwinder(cc: &std::ffi::OsStr, out: &Path) -> Option<PathBuf> {
    let cc = if cc.is_empty() { "cc".as_ref() } else { cc };
    let found = Command::new(cc)
        .arg("-print-file-name=libgcc_eh.a")
        .output()
        .ok()?;
    let archive = PathBuf::from(String::from_utf8(found.stdout).ok()?.trim());
    // Without the file, the driver prints the bare name back.
    if !archive.is_absolute() || !archive.is_file() {
        return None;
    }
    let dir = out.join("unwinder");
    std::fs::create_dir_all(&dir).ok()?;
    std::fs::write(
        dir.join("libgcc_s.so"),
        format!("INPUT({})\n", archive.display()),
    )
    .ok()?;
    Some(dir)
}
