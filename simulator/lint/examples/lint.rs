//! `simulator lint` before it is wired into the simulator's CLI:
//! `cargo run -p guest-lint --example lint -- static/*.wasm`.

use clap::Parser;
use std::process::ExitCode;

#[derive(Parser)]
struct Cmd {
    #[command(flatten)]
    args: guest_lint::cli::LintArgs,
}

fn main() -> ExitCode {
    guest_lint::cli::run(&Cmd::parse().args)
}
