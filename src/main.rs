use std::process::ExitCode;

fn main() -> ExitCode {
    mlf::main()
}
