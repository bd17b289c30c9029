//! `fleet-context`: the admission webhook, Webhook autoscaler and node-load controller that feed
//! FleetScore in a cluster. See the crate README.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use fleet_context::enrich::Options;
use fleet_context::load::{LoadConfig, MAX_LABEL, TARGET_LABEL};
use fleet_context::store::Store;
use fleet_context::watch::{self, LeaseOptions, NodeLoadOptions};
use fleet_context::{AppState, DEFAULT_FLEET_LABEL, objects, router};

/// Feeds FleetScore: enriches Agones game-server pods with their fleet's status (POST /mutate),
/// serves as the fleets' Agones Webhook autoscaler (POST /scale), and writes node loads.
#[derive(Debug, Parser)]
#[command(name = "fleet-context", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8443")]
    addr: String,
    /// PEM certificate chain (HTTPS; the API server only calls webhooks over HTTPS).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Take Fleets and FleetAutoscalers (status included) from this YAML/JSON file instead of
    /// watching the cluster; newer statuses still come from /scale reviews.
    #[arg(long)]
    fleets: Option<PathBuf>,
    /// A FleetAutoscaler (YAML/JSON) whose Buffer/Counter/List policy applies to fleets without a
    /// known policy (on /scale and in the policy annotation).
    #[arg(long)]
    policy: Option<PathBuf>,
    /// FleetScore's fleet label (its `fleetLabel` setting).
    #[arg(long, default_value = DEFAULT_FLEET_LABEL)]
    fleet_label: String,
    /// Do not run the node-load controller (cluster mode only).
    #[arg(long)]
    no_node_load: bool,
    /// Target load of nodes without the target label.
    #[arg(long)]
    target_load: Option<i64>,
    /// Max load of nodes without the max label.
    #[arg(long)]
    max_load: Option<i64>,
    /// Node label with a node's target load.
    #[arg(long, default_value = TARGET_LABEL)]
    target_load_label: String,
    /// Node label with a node's max load.
    #[arg(long, default_value = MAX_LABEL)]
    max_load_label: String,
    /// Namespace of the leader-election Lease.
    #[arg(long, env = "POD_NAMESPACE", default_value = "default")]
    lease_namespace: String,
    /// Name of the leader-election Lease.
    #[arg(long, default_value = "fleet-context")]
    lease_name: String,
    /// This replica's identity in the Lease (default: POD_NAME, else the host name).
    #[arg(long, env = "POD_NAME")]
    identity: Option<String>,
}

fn read(path: &PathBuf) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn default_policy(path: &PathBuf) -> Result<fleet_autoscaling::FleetAutoscalerPolicy, String> {
    let name = path.display();
    let fas = fleet_autoscaling::load::load_fleet_autoscaler(&read(path)?)
        .map_err(|e| format!("{name}: {e}"))?;
    let as_crd = fleet_context::crd::FleetAutoscaler {
        spec: fleet_context::crd::FleetAutoscalerSpec {
            fleet_name: fas.spec.fleet_name.clone(),
            policy: fas.spec.policy.clone(),
        },
        ..Default::default()
    };
    match fleet_context::store::scoring_policy(&as_crd) {
        Ok(Some(p)) => Ok(p),
        Ok(None) => Err(format!(
            "{name}: policy type {:?} is not Buffer, Counter or List",
            fas.spec.policy.policy_type
        )),
        Err(e) => Err(format!("{name}: {e}")),
    }
}

async fn run(args: Args) -> Result<(), String> {
    let options = Options {
        fleet_label: args.fleet_label.clone(),
        default_policy: args.policy.as_ref().map(default_policy).transpose()?,
    };
    if options.fleet_label.is_empty() {
        return Err("--fleet-label must not be empty".into());
    }
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(http_server::TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        }),
        _ => None,
    };
    // Bind (and load the TLS files) before anything else, so a bad flag fails first.
    let server = http_server::Server::bind(http_server::Config {
        addr: args.addr.clone(),
        tls,
        max_body_bytes: fleet_context::http::MAX_BODY_BYTES as u64,
        error_format: http_server::ErrorFormat::Json,
        ..http_server::Config::default()
    })
    .map_err(|e| e.to_string())?
    .with_metrics(http_server::Metrics::new());
    let store = Arc::new(Store::new());
    if let Some(path) = &args.fleets {
        let objects =
            objects::parse(&read(path)?).map_err(|e| format!("{}: {e}", path.display()))?;
        for warning in objects::load(&store, &objects) {
            tracing::warn!("{warning}");
        }
        let (fleets, with_status, autoscalers) = store.counts();
        tracing::info!(fleets, with_status, autoscalers, ignored = objects.ignored.len(), file = %path.display(), "fleets loaded");
    } else {
        let client = kube::Client::try_default().await.map_err(|e| {
            format!("no cluster to watch ({e}); give --fleets FILE to run without one")
        })?;
        tokio::spawn(watch::watch_fleets(client.clone(), store.clone()));
        tokio::spawn(watch::watch_autoscalers(client.clone(), store.clone()));
        if !args.no_node_load {
            let identity = args
                .identity
                .clone()
                .or_else(|| std::env::var("HOSTNAME").ok())
                .unwrap_or_else(|| format!("fleet-context-{}", std::process::id()));
            let (tx, rx) = tokio::sync::watch::channel(false);
            tokio::spawn(watch::elect(
                client.clone(),
                LeaseOptions {
                    namespace: args.lease_namespace.clone(),
                    name: args.lease_name.clone(),
                    identity,
                    duration_seconds: 15,
                },
                tx,
            ));
            let config = LoadConfig {
                target_label: args.target_load_label.clone(),
                max_label: args.max_load_label.clone(),
                default_target: args.target_load,
                default_max: args.max_load,
            };
            tokio::spawn(watch::node_loads(
                client,
                NodeLoadOptions {
                    config,
                    ..NodeLoadOptions::default()
                },
                rx,
            ));
        }
    }
    let scheme = if server.is_tls() { "https" } else { "http" };
    tracing::info!(
        "fleet-context on {scheme}://{} (POST /mutate, POST /scale, GET /healthz, GET /metrics)",
        server.local_addr()
    );
    let app = router(AppState::new(store, options));
    server
        .serve(app, http_server::shutdown_signal())
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!("stopped");
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fleet-context: {e}");
            ExitCode::from(2)
        }
    }
}
