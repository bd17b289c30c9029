//! `simulator run`.

use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde_json::Value;
use simulator_framework::{
    Framework, Options, Outcome, PreparedPod, Scenario, SchedulerConfig, pod_key,
};

use super::output::{Counts, Header, print_json, print_json_summary, print_table};
use super::{CliError, RunArgs, io_text, read_file};

/// Progress is shown (on a terminal) from this many pods to schedule.
const PROGRESS_FROM_PODS: usize = 50;

pub fn run(args: &RunArgs) -> Result<ExitCode, CliError> {
    let scenario_name = args.scenario.display().to_string();
    let scenario = Scenario::from_text(&read_file(&args.scenario)?, &scenario_name)?;
    let config = match &args.config {
        Some(path) => SchedulerConfig::from_text(&read_file(path)?, &path.display().to_string())?,
        None => scenario.scheduler_config().ok_or_else(|| {
            CliError(format!(
                "{scenario_name}: the scenario has no schedulerConfig: give a KubeSchedulerConfiguration with --config FILE"
            ))
        })??,
    };
    let profile = config.profile(args.profile.as_deref())?;
    for w in &profile.warnings {
        eprintln!("simulator: warning: {}: {w}", config.source);
    }
    if args.json && !profile.not_emulated.is_empty() {
        eprintln!(
            "simulator: note: in-tree plugins not emulated (left out of every cycle): {}",
            profile.not_emulated.join(", ")
        );
    }
    let options = Options {
        track_load_feedback: args.track_load_feedback,
    };
    let mut fw = Framework::new(profile, &scenario, options)
        .map_err(|e| CliError(format!("{}: {e}", config.source)))?;
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

    if !args.json {
        print_table_header(&Header {
            framework: &fw,
            nodes: fw.nodes().len(),
            pods: prepared.len(),
        });
    }
    let show_progress = std::io::stderr().is_terminal() && prepared.len() >= PROGRESS_FROM_PODS;
    let mut last_progress = Instant::now()
        .checked_sub(Duration::from_secs(1))
        .unwrap_or_else(Instant::now);
    let mut counts = Counts::default();
    let total = prepared.len();
    for (k, pod) in prepared.iter().enumerate() {
        if show_progress && last_progress.elapsed() >= Duration::from_millis(100) {
            eprint!("\r\x1b[K[{}/{total}] scheduling {}", k + 1, pod.key);
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
            print_json(&result);
        } else {
            print_table(&result, args.logs);
        }
    }
    if show_progress {
        eprint!("\r\x1b[K");
    }
    if args.json {
        print_json_summary(&counts, fw.profile());
    } else {
        println!();
        println!("{counts}");
    }

    if let Some(out) = &args.output {
        let mut written = scenario.with_objects(fw.nodes().to_vec(), fw.pods().to_vec());
        if let Some(obj) = written.value.as_object_mut() {
            let mut cfg = config.value.clone();
            if let Some(base) = &args.guest_url_base {
                rewrite_guest_urls(&mut cfg, base);
            }
            obj.insert("schedulerConfig".into(), cfg);
        }
        let mut text = serde_json::to_string_pretty(&written.value)
            .map_err(|e| CliError(format!("{}: {e}", out.display())))?;
        text.push('\n');
        std::fs::write(out, text)
            .map_err(|e| CliError(format!("{}: {}", out.display(), io_text(&e))))?;
        if !args.json {
            println!("wrote {}", out.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_table_header(h: &Header<'_>) {
    super::output::print_header(h);
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
