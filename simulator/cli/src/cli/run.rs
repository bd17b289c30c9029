//! `simulator run`.

use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde_json::Value;
use simulator_framework::{
    Framework, Options, Outcome, PreparedPod, Scenario, SchedulerConfig, pod_key,
};

use http_server::escape_controls as esc;

use super::output::{Counts, Header, print_header, print_json, print_json_summary, print_table};
use super::{CliError, RunArgs, io_text, read_file};

/// Progress is shown (on a terminal) from this many pods to schedule.
const PROGRESS_FROM_PODS: usize = 50;

pub fn run(args: &RunArgs) -> Result<ExitCode, CliError> {
    let scenario_name = super::input_name(&args.scenario);
    // Checked before any guest runs: a run is never lost to an unwritable --output.
    let output = args
        .output
        .as_deref()
        .map(OutputFile::prepare)
        .transpose()?;
    let scenario = Scenario::from_text(&read_file(&args.scenario)?, &scenario_name)?;
    let config = match &args.config {
        Some(path) => SchedulerConfig::from_text(&read_file(path)?, &super::input_name(path))?,
        None => scenario.scheduler_config().ok_or_else(|| {
            CliError(format!(
                "{scenario_name}: the scenario has no schedulerConfig: give a KubeSchedulerConfiguration with --config FILE"
            ))
        })??,
    };
    let profile = config.profile(args.profile.as_deref())?;
    for w in &profile.warnings {
        eprintln!("simulator: warning: {}: {}", esc(&config.source), esc(w));
    }
    if args.json && !profile.not_emulated.is_empty() {
        eprintln!(
            "simulator: note: in-tree plugins not emulated (left out of every cycle): {}",
            esc(&profile.not_emulated.join(", "))
        );
    }
    let options = Options {
        track_load_feedback: args.track_load_feedback,
        guest_limits: args.guest_limits()?,
    };
    let mut fw = Framework::new(profile, &scenario, options)?;
    if let Some(path) = &args.fleets {
        let loads = fleet_context::load::LoadConfig {
            default_target: args.target_load,
            default_max: args.max_load,
            ..Default::default()
        };
        let (fleets, warnings) = super::fleets::FleetContext::from_text(
            &read_file(path)?,
            &path.display().to_string(),
            loads,
        )?;
        for w in warnings {
            eprintln!("simulator: warning: {w}");
        }
        fw.set_control_plane(Box::new(fleets));
    }

    let mut queue = fw.pending();
    if let Some(wanted) = &args.pod {
        queue.retain(|&i| {
            let key = pod_key(&fw.pods()[i]);
            key == *wanted || key.split_once('/').is_some_and(|(_, n)| n == wanted)
        });
        if queue.is_empty() {
            return Err(CliError(format!(
                "{scenario_name}: no pending pod named {wanted:?}"
            )));
        }
        queue.truncate(1);
    }
    let prepared: Vec<PreparedPod> = queue
        .iter()
        .map(|&i| fw.prepare_at(i))
        .collect::<Result<_, _>>()
        .map_err(|e| CliError(format!("{scenario_name}: {e}")))?;

    let mut out = Stdout::new();
    if !args.json {
        out.emit(|w| {
            print_header(
                w,
                &Header {
                    framework: &fw,
                    nodes: fw.nodes().len(),
                    pods: prepared.len(),
                },
            )
        })?;
    }
    let show_progress = std::io::stderr().is_terminal() && prepared.len() >= PROGRESS_FROM_PODS;
    let mut last_progress = Instant::now()
        .checked_sub(Duration::from_secs(1))
        .unwrap_or_else(Instant::now);
    let mut counts = Counts::default();
    let total = prepared.len();
    for (k, pod) in prepared.iter().enumerate() {
        // A closed stdout (`| head`) ends the run, unless --output still needs the placements.
        if out.closed && output.is_none() {
            break;
        }
        if show_progress && last_progress.elapsed() >= Duration::from_millis(100) {
            eprint!("\r\x1b[K[{}/{total}] scheduling {}", k + 1, esc(&pod.key));
            let _ = std::io::stderr().flush();
            last_progress = Instant::now();
        }
        let result = fw.schedule(pod);
        match result.outcome {
            Outcome::Scheduled => counts.scheduled += 1,
            Outcome::Unschedulable => counts.unschedulable += 1,
            Outcome::Error => counts.errors += 1,
        }
        if show_progress {
            eprint!("\r\x1b[K");
        }
        if args.json {
            out.emit(|w| print_json(w, &result))?;
        } else {
            out.emit(|w| print_table(w, &result, args.logs))?;
        }
        out.pod_done()?;
    }
    if show_progress {
        eprint!("\r\x1b[K");
    }
    if args.json {
        out.emit(|w| print_json_summary(w, &counts, fw.profile()))?;
    } else {
        out.emit(|w| {
            writeln!(w)?;
            writeln!(w, "{counts}")
        })?;
    }

    if let (Some(file), Some(path)) = (output, &args.output) {
        let mut written = scenario.with_objects(fw.nodes().to_vec(), fw.pods().to_vec());
        if let Some(obj) = written.value.as_object_mut() {
            let mut cfg = config.value.clone();
            if let Some(base) = &args.guest_url_base {
                rewrite_guest_urls(&mut cfg, base);
            }
            obj.insert("schedulerConfig".into(), cfg);
        }
        let mut text = serde_json::to_string_pretty(&written.value)
            .map_err(|e| CliError(format!("{}: {e}", path.display())))?;
        text.push('\n');
        file.commit(text.as_bytes())?;
        if !args.json {
            out.emit(|w| writeln!(w, "wrote {}", esc(&path.display().to_string())))?;
        }
    }
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}

/// `simulator run`'s stdout: one buffered, locked writer. A closed pipe (`| head`) is not an
/// error: output stops quietly and the run ends with status 0. Any other write error ends the
/// run with an error.
struct Stdout {
    w: std::io::BufWriter<std::io::StdoutLock<'static>>,
    /// On a terminal, each pod's table is flushed as soon as it is complete.
    terminal: bool,
    /// The reader went away (EPIPE): nothing more is written.
    closed: bool,
}

impl Stdout {
    fn new() -> Self {
        let stdout = std::io::stdout();
        Self {
            terminal: stdout.is_terminal(),
            w: std::io::BufWriter::with_capacity(64 << 10, stdout.lock()),
            closed: false,
        }
    }

    fn check(&mut self, r: std::io::Result<()>) -> Result<(), CliError> {
        match r {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            Err(e) => Err(CliError(format!("writing to stdout: {}", io_text(&e)))),
        }
    }

    /// Writes with `f` unless stdout is closed.
    fn emit(
        &mut self,
        f: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
    ) -> Result<(), CliError> {
        if self.closed {
            return Ok(());
        }
        let r = f(&mut self.w);
        self.check(r)
    }

    fn pod_done(&mut self) -> Result<(), CliError> {
        if self.terminal && !self.closed {
            let r = self.w.flush();
            self.check(r)?;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<(), CliError> {
        if self.closed {
            return Ok(());
        }
        let r = self.w.flush();
        self.check(r)
    }
}

/// `--output`: a temporary file next to the destination, created before the run (so an
/// unwritable destination is reported before any guest runs), renamed over the destination once
/// complete (so a failed write never leaves truncated JSON, and `--output` may name the input).
struct OutputFile {
    path: std::path::PathBuf,
    tmp: tempfile::NamedTempFile,
}

impl OutputFile {
    fn prepare(path: &std::path::Path) -> Result<Self, CliError> {
        let name = path.display();
        let err = |what: String| CliError(format!("--output {name}: {what}"));
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.is_dir() {
                return Err(err("is a directory".into()));
            }
            if meta.permissions().readonly() {
                return Err(err("the file is read-only".into()));
            }
        }
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => std::path::Path::new("."),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".simulator-output-")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|e| {
                err(format!(
                    "cannot create a file in {}: {}",
                    dir.display(),
                    io_text(&e)
                ))
            })?;
        Ok(Self {
            path: path.to_path_buf(),
            tmp,
        })
    }

    /// Writes `bytes`, syncs, keeps the destination's permissions (else 0644), renames.
    fn commit(mut self, bytes: &[u8]) -> Result<(), CliError> {
        let name = self.path.display().to_string();
        let err = |e: std::io::Error| CliError(format!("--output {name}: {}", io_text(&e)));
        self.tmp.write_all(bytes).map_err(err)?;
        self.tmp.as_file().sync_all().map_err(err)?;
        let perms = match std::fs::metadata(&self.path) {
            Ok(m) => m.permissions(),
            Err(_) => {
                use std::os::unix::fs::PermissionsExt as _;
                std::fs::Permissions::from_mode(0o644)
            }
        };
        self.tmp.as_file().set_permissions(perms).map_err(err)?;
        self.tmp.persist(&self.path).map_err(|e| err(e.error))?;
        Ok(())
    }
}

fn rewrite_guest_urls(config: &mut Value, base: &str) {
    let Some(profiles) = config.get_mut("profiles").and_then(Value::as_array_mut) else {
        return;
    };
    for profile in profiles {
        let Some(entries) = profile
            .get_mut("pluginConfig")
            .and_then(Value::as_array_mut)
        else {
            continue;
        };
        for entry in entries {
            if let Some(url) = entry.pointer_mut("/args/guestURL")
                && let Some(text) = url.as_str()
            {
                let file = text.rsplit('/').next().unwrap_or(text).to_string();
                let sep = if base.ends_with('/') { "" } else { "/" };
                *url = Value::from(format!("{base}{sep}{file}"));
            }
        }
    }
}
