//! `simulator lint GUEST.wasm…`: the command line around [`crate::lint`], ready to be a
//! subcommand (`Lint(guest_lint::cli::LintArgs)` → `guest_lint::cli::run(args)`).

use crate::Severity;
use clap::Args;
use std::io::Write as _;
use std::process::ExitCode;

/// `simulator lint` arguments.
#[derive(Debug, Clone, Args)]
#[command(
    about = "Check guests against the production host (kube-scheduler-wasm-extension 9b2791f, wazero v1.7.2) before they ship",
    long_about = "Check guests against the production host (kube-scheduler-wasm-extension 9b2791f on wazero v1.7.2, Go 1.24) without running them: imports the host does not provide, hook exports and signatures, export sets the host refuses or mishandles, bulk-memory instructions (memory.copy/fill trap there), _start/_initialize, initial memory and shadow stack, size against a ConfigMap's 1 MiB, and the SHA-256 to pin.\n\nOne line per finding: FILE: SEVERITY: CODE: MESSAGE. Exit status 1 if any finding is an error (breaks the guest in production) or a warning (degrades it), 2 if a file cannot be read, 0 otherwise.",
    after_help = "Examples:\n  simulator lint static/*.wasm\n  simulator lint --json regex_v2.wasm | jq '.[0].findings'"
)]
pub struct LintArgs {
    /// Guest modules (.wasm files).
    #[arg(required = true, value_name = "GUEST")]
    pub guests: Vec<std::path::PathBuf>,
    /// Print one JSON array of reports ({file, size, sha256, fails, findings}) instead of lines.
    #[arg(long)]
    pub json: bool,
    /// Print only warnings and errors (the SHA-256 and size lines are info).
    #[arg(long, short)]
    pub quiet: bool,
}

/// Runs `simulator lint`: 0 if no guest has an error or warning, 1 if one has, 2 if a file could
/// not be read.
pub fn run(args: &LintArgs) -> ExitCode {
    let mut reports = Vec::new();
    let mut text = String::new();
    let mut fails = false;
    let mut unreadable = false;
    for path in &args.guests {
        let name = path.display().to_string();
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{name}: cannot read: {e}");
                unreadable = true;
                continue;
            }
        };
        let mut report = crate::lint(&bytes);
        fails |= report.fails();
        if args.quiet {
            report.findings.retain(|f| f.severity > Severity::Info);
        }
        if args.json {
            reports.push(report.json(&name));
        } else {
            text.push_str(&report.text(&name));
        }
    }
    if args.json {
        text = serde_json::Value::Array(reports).to_string();
        text.push('\n');
    }
    // A closed stdout (e.g. `| head`) is not an error worth more than the exit status.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    if unreadable {
        ExitCode::from(2)
    } else if fails {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
