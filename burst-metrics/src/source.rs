//! Where the HPAs (and the Deployments and Services for the service map) come from: the cluster,
//! through kube-rs watchers and reflector stores, or JSON files (for local use and tests).

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::Service;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client};
use serde_json::Value;

use crate::{Mapping, Maps, build_maps};

/// The objects the maps are built from.
pub enum Source {
    /// Watched in the cluster (kept current by [`watch`]).
    Cluster {
        /// HPAs, all namespaces.
        hpas: Store<HorizontalPodAutoscaler>,
        /// Deployments, all namespaces.
        deployments: Store<Deployment>,
        /// Services, all namespaces.
        services: Store<Service>,
    },
    /// Read from files on every request (so a file can be edited while the service runs).
    Files {
        /// HPAs: a `HorizontalPodAutoscalerList` or a JSON array (`kubectl get hpa -A -o json`).
        hpas: PathBuf,
        /// Deployments, same forms; none = no service map.
        deployments: Option<PathBuf>,
        /// Services, same forms.
        services: Option<PathBuf>,
    },
}

impl Source {
    /// The current maps.
    ///
    /// # Errors
    /// A file cannot be read or is not a list of the expected objects.
    pub fn maps(&self, mapping: &Mapping) -> Result<Maps> {
        Ok(match self {
            Source::Cluster {
                hpas,
                deployments,
                services,
            } => {
                fn own<T: Clone>(v: Vec<std::sync::Arc<T>>) -> Vec<T> {
                    v.iter().map(|a| (**a).clone()).collect()
                }
                build_maps(
                    &own(hpas.state()),
                    &own(deployments.state()),
                    &own(services.state()),
                    mapping,
                )
            }
            Source::Files {
                hpas,
                deployments,
                services,
            } => {
                let hpas: Vec<HorizontalPodAutoscaler> = read_list(hpas)?;
                let deployments: Vec<Deployment> = match deployments {
                    Some(p) => read_list(p)?,
                    None => Vec::new(),
                };
                let services: Vec<Service> = match services {
                    Some(p) => read_list(p)?,
                    None => Vec::new(),
                };
                build_maps(&hpas, &deployments, &services, mapping)
            }
        })
    }
}

/// Reads a Kubernetes list (`{"items": [...]}`) or a JSON array of objects.
///
/// # Errors
/// The file cannot be read, is not JSON, or an item is not the expected kind of object.
pub fn read_list<K: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<K>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    parse_list(&text).with_context(|| format!("in {}", path.display()))
}

/// Parses a Kubernetes list or a JSON array of objects.
///
/// # Errors
/// Not JSON, not a list, or an item is not the expected kind of object.
pub fn parse_list<K: serde::de::DeserializeOwned>(text: &str) -> Result<Vec<K>> {
    let v: Value = serde_json::from_str(text).context("not JSON")?;
    let items = match v {
        Value::Array(items) => items,
        Value::Object(mut m) => match m.remove("items") {
            Some(Value::Array(items)) => items,
            _ => anyhow::bail!("expected a list with \"items\" or a JSON array"),
        },
        _ => anyhow::bail!("expected a list with \"items\" or a JSON array"),
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| serde_json::from_value(item).with_context(|| format!("item {i}")))
        .collect()
}

/// Starts watchers on HPAs, Deployments and Services in all namespaces and returns the source
/// they keep current. The watchers retry with backoff and relist when a watch expires.
pub fn watch(client: Client) -> Source {
    fn spawn<K>(api: Api<K>) -> Store<K>
    where
        K: kube::Resource<DynamicType = ()>
            + Clone
            + serde::de::DeserializeOwned
            + std::fmt::Debug
            + Send
            + Sync
            + 'static,
    {
        let (reader, writer) = reflector::store();
        let stream = reflector::reflector(writer, watcher(api, watcher::Config::default()))
            .default_backoff()
            .touched_objects();
        tokio::spawn(async move {
            let mut stream = std::pin::pin!(stream);
            while let Some(event) = stream.next().await {
                if let Err(e) = event {
                    eprintln!("burst-metrics: watch {}: {e}", K::kind(&()));
                }
            }
        });
        reader
    }
    Source::Cluster {
        hpas: spawn(Api::<HorizontalPodAutoscaler>::all(client.clone())),
        deployments: spawn(Api::<Deployment>::all(client.clone())),
        services: spawn(Api::<Service>::all(client)),
    }
}
