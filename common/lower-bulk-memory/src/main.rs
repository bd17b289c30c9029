//! `lower-bulk-memory GUEST.wasm…`: rewrites each module in place without `memory.copy` and
//! `memory.fill` (see the library, [`lower_bulk_memory::lower`]).

use clap::Parser;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Rewrite wasm modules in place so they contain no memory.copy or memory.fill.
#[derive(Debug, Parser)]
#[command(
    version,
    long_about = "Rewrite wasm modules in place so they contain no memory.copy or memory.fill: each becomes a call to an added memmove/memset that works 8 bytes at a time and traps where the instruction would. kube-scheduler-wasm-extension as upstream ships it (wazero v1.7.2 built with Go 1.24) can trap on memory.copy (common/RATIONALE.md).\n\nOne line per module: path, size after, instructions replaced, size before. Exit status 1 if a module could not be read, lowered or written (it is then left as it was)."
)]
struct Args {
    /// Modules to rewrite in place (.wasm).
    #[arg(required = true, value_name = "MODULE")]
    modules: Vec<PathBuf>,
    /// Only count the instructions; exit 1 if any module has some.
    #[arg(long)]
    check: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut failed = false;
    for path in &args.modules {
        let result = if args.check {
            check(path)
        } else {
            lower_in_place(path)
        };
        match result {
            Ok(line) => println!("{line}"),
            Err(e) => {
                eprintln!("{}: {e}", path.display());
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn check(path: &Path) -> Result<String, String> {
    let wasm = std::fs::read(path).map_err(|e| e.to_string())?;
    let (copies, fills) = lower_bulk_memory::count(&wasm).map_err(|e| e.to_string())?;
    if copies + fills > 0 {
        return Err(format!("{copies} memory.copy, {fills} memory.fill"));
    }
    Ok(format!("{:<28} no bulk memory", path.display()))
}

/// Lowers `path` into `path.lowered`, then renames it over `path`.
fn lower_in_place(path: &Path) -> Result<String, String> {
    let wasm = std::fs::read(path).map_err(|e| e.to_string())?;
    let lowered = lower_bulk_memory::lower(&wasm).map_err(|e| e.to_string())?;
    if lowered.copies + lowered.fills > 0 {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".lowered");
        std::fs::write(&tmp, &lowered.wasm).map_err(|e| e.to_string())?;
        std::fs::rename(&tmp, path).map_err(|e| e.to_string())?;
    }
    Ok(format!(
        "{:<28} {:>8} bytes ({} memory.copy, {} memory.fill lowered; {} before)",
        path.display(),
        lowered.wasm.len(),
        lowered.copies,
        lowered.fills,
        wasm.len()
    ))
}
