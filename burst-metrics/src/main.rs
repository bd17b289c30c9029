//! `burst-metrics`: serves HPA load as `X-Load-Feedback` values for the burst-header filter.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, Result};
use burst_metrics::Mapping;
use burst_metrics::server::{AppState, router};
use burst_metrics::source::{Source, watch};
use clap::Parser;

/// Serves `GET /burstmetrics/{services|deployments|hpas}[/<namespace>/<name>]`.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// Listen address.
    #[arg(long, default_value = "0.0.0.0:8080")]
    listen: SocketAddr,
    /// Read HPAs from this file (a list or array, e.g. `kubectl get hpa -A -o json`) instead of
    /// watching the cluster.
    #[arg(long)]
    hpas: Option<PathBuf>,
    /// With --hpas: Deployments from this file (for the service map).
    #[arg(long, requires = "hpas")]
    deployments: Option<PathBuf>,
    /// With --hpas: Services from this file (for the service map).
    #[arg(long, requires = "hpas")]
    services: Option<PathBuf>,
    /// The `scaleTargetRef.kind` of the HPAs that map to Deployments and Services.
    #[arg(long, default_value = "Deployment")]
    target_kind: String,
    /// Pod-template labels of the target that select its Services (repeatable).
    #[arg(long = "selector-label", default_values_t = vec!["app".to_string()])]
    selector_labels: Vec<String>,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let source = match args.hpas {
        Some(hpas) => {
            // Fail fast on a bad file rather than on the first request.
            burst_metrics::source::read_list::<
                k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler,
            >(&hpas)?;
            Source::Files {
                hpas,
                deployments: args.deployments,
                services: args.services,
            }
        }
        None => {
            let client = kube::Client::try_default()
                .await
                .context("no Kubernetes configuration (in-cluster or kubeconfig); use --hpas FILE for local use")?;
            watch(client)
        }
    };
    let state = Arc::new(AppState {
        source,
        mapping: Mapping {
            target_kind: args.target_kind,
            selector_labels: args.selector_labels,
        },
    });
    // The project's hardened server: limits, timeouts, connection cap, /healthz, and a drain of
    // in-flight requests on SIGINT/SIGTERM (a Deployment's rollout sends SIGTERM).
    let server = http_server::Server::bind(http_server::Config {
        addr: args.listen.to_string(),
        error_format: http_server::ErrorFormat::Json,
        ..http_server::Config::default()
    })
    .with_context(|| format!("listening on {}", args.listen))?;
    eprintln!("burst-metrics: listening on {}", server.local_addr());
    server
        .serve(router(state), http_server::shutdown_signal())
        .await?;
    eprintln!("burst-metrics: stopped");
    Ok(())
}
