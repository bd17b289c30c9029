//! `simulator`: run kube-scheduler WASM guests locally against a cluster scenario, serve guests
//! over HTTP, and run the fleet autoscaling policies (conformance vectors, webhook autoscaler).
//! See `simulator --help` and simulator/README.md.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
