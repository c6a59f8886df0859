use std::process::ExitCode;

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod math;

fn main() -> ExitCode {
    mlf::main()
}
