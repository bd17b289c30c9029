//! The command line: `run`, `serve`, `autoscale eval`, `autoscale webhook`, `bench`.

mod autoscale;
mod bench;
mod fleets;
mod http;
mod output;
mod run;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// A failure that ends the command: printed as `simulator: error: <message>`, exit status 1.
#[derive(Debug)]
pub struct CliError(pub String);

impl From<String> for CliError {
    fn from(e: String) -> Self {
        CliError(e)
    }
}

impl From<simulator_framework::ConfigError> for CliError {
    fn from(e: simulator_framework::ConfigError) -> Self {
        CliError(e.0)
    }
}

impl From<simulator_framework::SetupError> for CliError {
    fn from(e: simulator_framework::SetupError) -> Self {
        CliError(e.0)
    }
}

/// How an input is named in messages: its path, or `stdin` for `-`.
pub fn input_name(path: &std::path::Path) -> String {
    if path.as_os_str() == "-" {
        "stdin".into()
    } else {
        path.display().to_string()
    }
}

/// Reads a text input (a scenario, a configuration, vectors): a file, or stdin for `-`. At most
/// [`simulator_host::MAX_INPUT_BYTES`] (the cap on guests too), and a NUL byte ends the read at
/// once (no JSON or YAML has one: `/dev/zero` fails on its first block). The error names the input.
pub fn read_file(path: &std::path::Path) -> Result<String, CliError> {
    let name = input_name(path);
    let fail = |e: std::io::Error| CliError(format!("{name}: {}", io_text(&e)));
    let bytes = if path.as_os_str() == "-" {
        simulator_host::read_limited(
            NoNul(std::io::stdin().lock(), 0),
            simulator_host::MAX_INPUT_BYTES,
        )
    } else {
        let f = std::fs::File::open(path).map_err(fail)?;
        simulator_host::read_limited(NoNul(f, 0), simulator_host::MAX_INPUT_BYTES)
    }
    .map_err(fail)?;
    String::from_utf8(bytes).map_err(|e| {
        CliError(format!(
            "{name}: not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// A reader that fails on the first NUL byte (text inputs never contain one).
struct NoNul<R>(R, u64);

impl<R: std::io::Read> std::io::Read for NoNul<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.read(buf)?;
        if let Some(i) = buf[..n].iter().position(|&b| b == 0) {
            return Err(std::io::Error::other(format!(
                "binary data (a NUL byte at offset {}), not JSON or YAML text",
                self.1 + i as u64
            )));
        }
        self.1 += n as u64;
        Ok(n)
    }
}

/// An I/O error without Rust's ` (os error N)` suffix.
pub fn io_text(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// `simulator --version`: this crate's version, the wasmtime it runs guests with and the
/// kube-scheduler-wasm-extension commit whose host it follows.
/// (A test checks it against `simulator_host::{WASMTIME_VERSION, UPSTREAM_ABI_COMMIT}`.)
const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (wasmtime 48.0.8; follows the kube-scheduler-wasm-extension host at commit 9b2791f1bbea8ad75871433ca0a201d03edee714)"
);

#[derive(Debug, Parser)]
#[command(
    name = "simulator",
    version,
    long_version = LONG_VERSION,
    about = "Run kube-scheduler WASM plugins locally: schedule a cluster scenario, serve guests over HTTP, run fleet autoscaling policies.",
    after_help = "Examples:\n  simulator run simulator/scenarios/demo.json\n  simulator run simulator/scenarios/demo.json --config simulator/scenarios/demo-v2.yaml --json\n  simulator serve --dir static\n  simulator autoscale eval autoscaling/tests/data/vectors.json\n  simulator autoscale webhook --policy fleet-autoscaler.yaml\n  simulator bench static/regex_v1.wasm static/regex_v2.wasm\n  simulator lint static/*.wasm"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Schedule a scenario's pending pods through a profile's plugins, as kube-scheduler does.
    #[command(
        long_about = "Schedule the pending pods of a kube-scheduler-simulator export, one cycle per pod in queue order, through one profile of a KubeSchedulerConfiguration: its wasm plugins (pluginConfig + multiPoint, as the real scheduler registers them) run in the wasm host; NodeUnschedulable, NodeName, TaintToleration, NodeAffinity, NodeResourcesFit and NodeResourcesBalancedAllocation are emulated; other in-tree plugins are named once and left out.\n\nPrints a table per pod (node → plugin → status, reason, raw and normalized score), the chosen node or why the pod stays pending, and `N scheduled, M unschedulable, K errors`. Exits non-zero only for usage, configuration or I/O errors.",
        after_help = "Examples:\n  simulator run simulator/scenarios/demo.json\n  simulator run simulator/scenarios/demo.json --config simulator/scenarios/demo-v2.yaml\n  simulator run scenario.json --pod default/web-0 --json | jq .\n  simulator run simulator/scenarios/gameservers.json --config simulator/scenarios/gameservers.yaml --track-load-feedback\n  simulator run simulator/scenarios/demo.json --output placed.json --guest-url-base http://static-webserver/"
    )]
    Run(RunArgs),
    /// Serve a directory of guests over HTTP for `guestURL: http://…`.
    #[command(
        long_about = "Serve the files of a directory (the built guests in static/) over HTTP, GET and HEAD only, with Content-Type: application/wasm for .wasm files. Paths that leave the directory (.., %2e%2e, absolute paths, symlinks out of it) are refused (403). GET /healthz answers 200 ok. Each connection is served on its own (a stalled or non-reading client holds up no other), with header and body timeouts, size limits and a connection cap. Binds loopback unless --addr says otherwise; logs each request to stderr (control characters escaped); SIGINT (Ctrl-C) or SIGTERM stops accepting, lets requests in flight finish (at most 10 s) and exits 0.",
        after_help = "Examples:\n  simulator serve\n  simulator serve --dir static --addr 127.0.0.1:8080\n  # then, in a scheduler config: guestURL: http://127.0.0.1:8080/regex_v2.wasm"
    )]
    Serve(ServeArgs),
    /// Fleet autoscaling: conformance vectors and a webhook autoscaler.
    #[command(
        subcommand,
        after_help = "Examples:\n  simulator autoscale eval autoscaling/tests/data/vectors.json\n  simulator autoscale webhook --policy fleet-autoscaler.yaml --addr 127.0.0.1:8000"
    )]
    Autoscale(AutoscaleCommand),
    // No doc comment here: it would replace the `about` and drop the `long_about` of BenchArgs.
    Bench(bench::BenchArgs),
    // No doc comment here either: LintArgs carries its own `about` and `long_about`.
    Lint(guest_lint::cli::LintArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The scenario: a kube-scheduler-simulator export (JSON) with `nodes`, `pods` and optionally
    /// `schedulerConfig`; `-` reads it from stdin.
    pub scenario: PathBuf,
    /// A KubeSchedulerConfiguration (YAML or JSON) to use instead of the scenario's
    /// `schedulerConfig`.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The profile (`schedulerName`) whose plugins run; default: the first profile.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Print JSON lines (one object per pod, then a `summary` object) instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Write the scenario back, with the placements (`spec.nodeName`), in the export format.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// With --output: rewrite each wasm plugin's guestURL to `URL/<file name>` in the written
    /// schedulerConfig (e.g. http://static-webserver/ for the real simulator).
    #[arg(long, value_name = "URL", requires = "output")]
    pub guest_url_base: Option<String>,
    /// Schedule only this pending pod (`name` or `namespace/name`); the others stay pending.
    #[arg(long, value_name = "NAME")]
    pub pod: Option<String>,
    /// When a pod is bound to a node annotated `scheduler.wasmkwokwizardry.io/load-feedback`
    /// (`current-load=N, target-load=N, max-load=N`), add 1 to its current-load, as a controller
    /// keeping the annotation current would.
    #[arg(long)]
    pub track_load_feedback: bool,
    /// Fleets and FleetAutoscalers (YAML or JSON, status included, as `fleet-context --fleets`):
    /// game-server pods are enriched with their fleet's status and policy at the start of their
    /// cycle, as fleet-context's admission webhook does; each bound one counts as one more Ready
    /// replica of its fleet; node loads are derived from the game-server pods on each node.
    #[arg(long, value_name = "FILE", conflicts_with = "track_load_feedback")]
    pub fleets: Option<PathBuf>,
    /// With --fleets: the target load of nodes without the target-load label.
    #[arg(long, value_name = "N", requires = "fleets")]
    pub target_load: Option<i64>,
    /// With --fleets: the max load of nodes without the max-load label.
    #[arg(long, value_name = "N", requires = "fleets")]
    pub max_load: Option<i64>,
    /// Also print the klog lines the guests wrote during each cycle.
    #[arg(long)]
    pub logs: bool,
    /// The longest one guest hook call (or a guest's `_start`) may run, in seconds; past it the
    /// call is an Error (the real scheduler would hang) and the instance is replaced. 0: none.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    pub hook_timeout: f64,
    /// The largest linear memory a guest may grow to (bytes, or with Ki/Mi/Gi); past it the call
    /// is an Error (the real scheduler's guest may run out of memory) and the instance is
    /// replaced. 0: none (wasm32's 4 GiB).
    #[arg(long, default_value = "1Gi", value_name = "BYTES")]
    pub guest_memory_max: String,
}

impl RunArgs {
    /// The guests' deadline and memory cap from `--hook-timeout` and `--guest-memory-max`.
    pub fn guest_limits(&self) -> Result<simulator_host::GuestLimits, CliError> {
        let t = self.hook_timeout;
        if !(t.is_finite() && (0.0..=86_400.0).contains(&t)) {
            return Err(CliError(format!(
                "--hook-timeout {t}: expected a number of seconds from 0 to 86400"
            )));
        }
        let memory = parse_bytes(&self.guest_memory_max).ok_or_else(|| {
            CliError(format!(
                "--guest-memory-max {:?}: expected bytes, e.g. 268435456, 256Mi or 1Gi",
                self.guest_memory_max
            ))
        })?;
        Ok(simulator_host::GuestLimits {
            hook_timeout: (t > 0.0).then(|| std::time::Duration::from_secs_f64(t)),
            memory_max: (memory > 0).then_some(memory),
        })
    }
}

/// `1048576`, `64Ki`, `256Mi`, `1Gi` (also `K`/`M`/`G` as powers of 1000).
fn parse_bytes(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().ok()?;
    let mult: u64 = match unit {
        "" => 1,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "K" | "k" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        _ => return None,
    };
    n.checked_mul(mult)
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The directory to serve.
    #[arg(long, default_value = "static", value_name = "DIR")]
    pub dir: PathBuf,
    /// The address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "HOST:PORT")]
    pub addr: String,
}

#[derive(Debug, Subcommand)]
enum AutoscaleCommand {
    /// Evaluate a file of autoscaling test vectors (docs/autoscaling.md §E schema).
    #[command(
        long_about = "Compute each vector of a vectors file without looking at its `expected`, then compare: prints a table and `N passed, M failed, K skipped` (or, with --json, one `{\"id\": …, \"actual\": {…}}` line per vector). Exits 1 when a vector fails.",
        after_help = "Examples:\n  simulator autoscale eval autoscaling/tests/data/vectors.json\n  simulator autoscale eval my-vectors.json --json"
    )]
    Eval(EvalArgs),
    /// Answer Agones FleetAutoscaleReview requests from a FleetAutoscaler policy.
    #[command(
        long_about = "An HTTP webhook autoscaler for Agones (FleetAutoscaler policy type Webhook): POST a FleetAutoscaleReview to the path and get it back with `response` filled from the policy of a FleetAutoscaler manifest (YAML or JSON). The manifest is checked at start with Agones' rules, and a policy this webhook could never apply (an unknown or missing type, Webhook, Wasm, an empty chain, another kind of object) is refused before anything listens. 400 with a JSON error for bad bodies, 405 for other methods, 404 for other paths, 413 over the body limit, 408 for a body not received in 10 s. GET /healthz answers 200 ok; GET /metrics is Prometheus text (reviews by outcome, review latency, desired and current replicas per fleet, HTTP requests). --tls-cert/--tls-key serve HTTPS (for Agones' caBundle). Binds loopback unless --addr says otherwise; logs each decision to stderr; SIGINT (Ctrl-C) or SIGTERM stops accepting, lets reviews in flight finish (at most 10 s) and exits 0.",
        after_help = "Examples:\n  simulator autoscale webhook --policy fleet-autoscaler.yaml\n  simulator autoscale webhook --policy fleet-autoscaler.yaml --addr 0.0.0.0:8443 --tls-cert tls.crt --tls-key tls.key\n  curl -s localhost:8000/metrics\n  curl -s localhost:8000/scale -d '{\"request\":{\"uid\":\"u\",\"name\":\"f\",\"namespace\":\"default\",\"status\":{\"replicas\":5,\"readyReplicas\":3,\"reservedReplicas\":1,\"allocatedReplicas\":2}}}'"
    )]
    Webhook(WebhookArgs),
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The vectors file (JSON).
    pub file: PathBuf,
    /// One JSON line per vector (`{"id": …, "actual": {…}}` or `{"id": …, "skipped": …}`).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct WebhookArgs {
    /// The address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8000", value_name = "HOST:PORT")]
    pub addr: String,
    /// The path that answers reviews.
    #[arg(long, default_value = "/scale")]
    pub path: String,
    /// A FleetAutoscaler manifest (YAML or JSON) whose `spec.policy` answers the reviews.
    #[arg(long, value_name = "FILE")]
    pub policy: PathBuf,
    /// The largest request body accepted, in bytes.
    #[arg(long, default_value_t = 1 << 20, value_name = "BYTES")]
    pub max_body_bytes: u64,
    /// Serve HTTPS with this PEM certificate chain (leaf first); needs --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key (PKCS#8, PKCS#1 or SEC1) of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

/// The environment variable that controls the compiled-guest cache of `simulator run`: unset, the
/// user's cache directory; `off`, no cache; else the (absolute) cache directory.
pub const MODULE_CACHE_ENV: &str = "SIMULATOR_MODULE_CACHE";

/// Turns on wasmtime's compiled-module cache unless `SIMULATOR_MODULE_CACHE=off`; a cache that
/// cannot be set up is a warning, and guests are compiled as without it.
fn module_cache() {
    let dir = match std::env::var_os(MODULE_CACHE_ENV) {
        Some(v) if v == "off" => return,
        Some(v) if !v.is_empty() => Some(PathBuf::from(v)),
        _ => None,
    };
    if let Err(e) = simulator_host::enable_module_cache(dir) {
        eprintln!("simulator: warning: compiled-guest cache off ({MODULE_CACHE_ENV}): {e}");
    }
}

/// Parses the command line and runs the command.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(a) => {
            module_cache();
            run::run(&a)
        }
        Command::Serve(a) => serve::serve(&a),
        Command::Autoscale(AutoscaleCommand::Eval(a)) => autoscale::eval(&a),
        Command::Autoscale(AutoscaleCommand::Webhook(a)) => autoscale::webhook(&a),
        Command::Bench(a) => bench::run(&a).map_err(CliError),
        Command::Lint(a) => Ok(guest_lint::cli::run(&a)),
    };
    match result {
        Ok(code) => code,
        Err(CliError(message)) => {
            eprintln!("simulator: error: {message}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_byte_sizes() {
        assert_eq!(super::parse_bytes("1Gi"), Some(1 << 30));
        assert_eq!(super::parse_bytes("256Mi"), Some(256 << 20));
        assert_eq!(super::parse_bytes("4096"), Some(4096));
        assert_eq!(super::parse_bytes("2M"), Some(2_000_000));
        assert_eq!(super::parse_bytes("0"), Some(0));
        assert_eq!(super::parse_bytes("1.5Gi"), None);
        assert_eq!(super::parse_bytes("Gi"), None);
        assert_eq!(super::parse_bytes("99999999999Gi"), None);
    }

    #[test]
    fn version_names_the_host_wasmtime_and_abi_commit() {
        let v = super::LONG_VERSION;
        assert!(
            v.contains(&format!("wasmtime {};", simulator_host::WASMTIME_VERSION)),
            "{v}"
        );
        assert!(v.contains(simulator_host::UPSTREAM_ABI_COMMIT), "{v}");
    }
}
