//! The proxy-wasm contexts (wasm32 only). Every host call goes through `proxy_wasm::hostcalls`
//! and its `Result` is handled: the trait helpers of the SDK `unwrap`, and a failed host call
//! there would trap the worker's instance.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, UNIX_EPOCH};

use log::{error, info, warn};
use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, BufferType, ContextType, LogLevel, MapType, Status};

use crate::config::Config;
use crate::state::{self, SharedState, Values};

/// The response header.
const HEADER_NAME: &str = "x-load-feedback";
/// The Istio property that names the service a sidecar serves.
const HOST_PROPERTY: [&str; 6] = [
    "cluster_metadata",
    "filter_metadata",
    "istio",
    "services",
    "0",
    "host",
];
/// Every worker ticks this often: to see new shared data, drop stale data, and take its turn to fetch.
const TICK: Duration = Duration::from_secs(1);
/// After a failed fetch, the next try (capped at the refresh period).
const RETRY: Duration = Duration::from_secs(5);
/// The lease covers the call's timeout plus this margin.
const LEASE_MARGIN: Duration = Duration::from_secs(1);

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(Root::default()) });
}}

/// What a worker's HTTP contexts read: the configuration and the worker's copy of the values.
struct Worker {
    config: Config,
    state_key: String,
    data_key: String,
    /// Generation of `values` (0 = none).
    generation: u64,
    fetched_at_ms: u64,
    values: Values,
    /// The last service host seen and its key, so a request rarely formats a key.
    last_host: Vec<u8>,
    last_key: Option<String>,
    /// Whether the missing Istio property was reported (once per worker, not per request).
    warned_no_host: bool,
}

impl Worker {
    /// The header value for the service `host`, if fresh data has one.
    fn value_for(&mut self, host: &[u8]) -> Option<&str> {
        if self.last_host != host {
            self.last_host.clear();
            self.last_host.extend_from_slice(host);
            self.last_key = state::service_key(host);
            if self.last_key.is_none() {
                warn!(
                    "burst-header: service host \"{}\" is not <service>.<namespace>...; no header",
                    String::from_utf8_lossy(host)
                );
            }
        }
        let key = self.last_key.as_deref()?;
        self.values.get(key).map(String::as_str)
    }
}

#[derive(Default)]
struct Root {
    worker: Option<Rc<RefCell<Worker>>>,
    /// The token of this worker's call in flight, if any.
    in_flight: Option<u32>,
}

fn now_ms() -> Option<u64> {
    let t = hostcalls::get_current_time().ok()?;
    let d = t.duration_since(UNIX_EPOCH).ok()?;
    u64::try_from(d.as_millis()).ok()
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn read_state(key: &str) -> (SharedState, Option<u32>) {
    match hostcalls::get_shared_data(key) {
        Ok((Some(bytes), cas)) => (SharedState::decode(&bytes).unwrap_or_default(), cas),
        Ok((None, cas)) => (SharedState::default(), cas),
        Err(_) => (SharedState::default(), None),
    }
}

impl Root {
    /// Brings the worker's values up to the shared generation and drops them when too old.
    fn sync(&self, w: &mut Worker, shared: &SharedState, now: u64) {
        if shared.generation != 0
            && shared.generation != w.generation
            && let Ok((Some(bytes), _)) = hostcalls::get_shared_data(&w.data_key)
        {
            match state::parse_values(&bytes) {
                Ok(values) => {
                    w.values = values;
                    w.generation = shared.generation;
                    w.fetched_at_ms = shared.fetched_at_ms;
                }
                Err(e) => warn!("burst-header: shared data unreadable: {e}"),
            }
        }
        if !w.values.is_empty() && now.saturating_sub(w.fetched_at_ms) > ms(w.config.max_age) {
            warn!(
                "burst-header: metrics older than max_age_seconds ({} ms); header omitted until a fetch succeeds",
                ms(w.config.max_age)
            );
            w.values.clear();
        }
    }

    /// Claims the fetch with CAS and dispatches the call; only one worker wins per period.
    fn maybe_fetch(&mut self, w: &Worker, shared: SharedState, cas: Option<u32>, now: u64) {
        if self.in_flight.is_some() || !shared.fetch_due(now) {
            return;
        }
        let c = &w.config;
        let claim = shared.claimed(now, ms(c.timeout + LEASE_MARGIN));
        // No CAS yet (the key does not exist): a racing worker creating it too is possible but
        // harmless — at most one extra fetch on the first tick.
        match hostcalls::set_shared_data(&w.state_key, Some(&claim.encode()), cas) {
            Ok(()) => {}
            Err(Status::CasMismatch) => return, // another worker claimed it first
            Err(e) => {
                warn!("burst-header: cannot write shared data: {e:?}");
                return;
            }
        }
        let headers = vec![
            (":method", "GET"),
            (":path", c.service_path.as_str()),
            (":authority", c.service_authority.as_str()),
            ("accept", "application/json"),
        ];
        match hostcalls::dispatch_http_call(&c.service_cluster, headers, None, vec![], c.timeout) {
            Ok(token) => self.in_flight = Some(token),
            Err(e) => {
                warn!(
                    "burst-header: cannot call the metrics service (cluster \"{}\"): {e:?}",
                    c.service_cluster
                );
                self.finish(w, now, None);
            }
        }
    }

    /// Records the outcome of a fetch in shared data (a few CAS attempts).
    fn finish(&self, w: &Worker, now: u64, body: Option<&[u8]>) {
        let period = ms(w.config.cache_period);
        for _ in 0..4 {
            let (shared, cas) = read_state(&w.state_key);
            let next = match body {
                Some(b) => {
                    if hostcalls::set_shared_data(&w.data_key, Some(b), None).is_err() {
                        warn!("burst-header: cannot write shared data");
                        shared.failed(now, ms(RETRY).min(period))
                    } else {
                        shared.succeeded(now, period)
                    }
                }
                None => shared.failed(now, ms(RETRY).min(period)),
            };
            match hostcalls::set_shared_data(&w.state_key, Some(&next.encode()), cas) {
                Err(Status::CasMismatch) => continue,
                _ => return,
            }
        }
    }
}

impl Context for Root {
    fn on_http_call_response(
        &mut self,
        token: u32,
        headers: usize,
        body_size: usize,
        _trailers: usize,
    ) {
        if self.in_flight != Some(token) {
            return;
        }
        self.in_flight = None;
        let Some(worker) = self.worker.clone() else {
            return;
        };
        let Ok(mut w) = worker.try_borrow_mut() else {
            return;
        };
        let Some(now) = now_ms() else { return };
        // A failed or timed-out call has no response map: Envoy answers BadArgument, on which the
        // SDK panics, so the map is read only when there are headers. Bytes, not
        // `get_map_value`: the SDK unwraps the UTF-8 conversion of a header value.
        let status = if headers == 0 {
            None
        } else {
            hostcalls::get_map_value_bytes(MapType::HttpCallResponseHeaders, ":status")
                .ok()
                .flatten()
        };
        let outcome = match status.as_deref() {
            None => Err("no response (connection failure or timeout)".to_string()),
            Some(s) if !s.starts_with(b"2") => {
                Err(format!("status {}", String::from_utf8_lossy(s)))
            }
            Some(_) => {
                match hostcalls::get_buffer(BufferType::HttpCallResponseBody, 0, body_size) {
                    Ok(Some(body)) => state::parse_values(&body).map(|v| (v, body)),
                    Ok(None) => Err("empty body".to_string()),
                    Err(e) => Err(format!("cannot read the body: {e:?}")),
                }
            }
        };
        match outcome {
            Ok((values, body)) => {
                self.finish(&w, now, Some(&body));
                let (shared, _) = read_state(&w.state_key);
                w.values = values;
                w.generation = shared.generation;
                w.fetched_at_ms = now;
            }
            Err(e) => {
                warn!(
                    "burst-header: metrics call {} {}{} failed: {e}; keeping the last values",
                    w.config.service_cluster, w.config.service_authority, w.config.service_path
                );
                self.finish(&w, now, None);
            }
        }
    }
}

impl RootContext for Root {
    fn on_configure(&mut self, size: usize) -> bool {
        let bytes = match hostcalls::get_buffer(BufferType::PluginConfiguration, 0, size) {
            Ok(Some(b)) => b,
            _ => Vec::new(),
        };
        let config = match Config::parse(&bytes) {
            Ok(c) => c,
            Err(e) => {
                error!("{e}");
                return false;
            }
        };
        if !config.unknown_fields.is_empty() {
            warn!(
                "burst-header: ignoring unknown configuration fields {}",
                config.unknown_fields.join(", ")
            );
        }
        let constant = !config.burst_header.trim().is_empty();
        if constant {
            info!("burst-header: constant header \"{}\"", config.burst_header);
        } else if hostcalls::set_tick_period(TICK).is_err() {
            error!("burst-header: cannot set the tick period");
            return false;
        }
        let key = config.shared_key();
        self.worker = Some(Rc::new(RefCell::new(Worker {
            state_key: format!("{key}|state"),
            data_key: format!("{key}|data"),
            config,
            generation: 0,
            fetched_at_ms: 0,
            values: Values::new(),
            last_host: Vec::new(),
            last_key: None,
            warned_no_host: false,
        })));
        true
    }

    fn on_tick(&mut self) {
        let Some(worker) = self.worker.clone() else {
            return;
        };
        let Ok(mut w) = worker.try_borrow_mut() else {
            return;
        };
        let Some(now) = now_ms() else { return };
        let (shared, cas) = read_state(&w.state_key);
        self.sync(&mut w, &shared, now);
        self.maybe_fetch(&w, shared, cas, now);
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Request {
            worker: self.worker.clone(),
            add: false,
        }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

struct Request {
    worker: Option<Rc<RefCell<Worker>>>,
    add: bool,
}

impl Context for Request {}

impl HttpContext for Request {
    fn on_http_request_headers(&mut self, _headers: usize, _end_of_stream: bool) -> Action {
        if let Some(worker) = &self.worker
            && let Ok(w) = worker.try_borrow()
        {
            let prefix = w.config.user_agent.as_str();
            self.add = prefix.is_empty() || {
                let ua = hostcalls::get_map_value_bytes(MapType::HttpRequestHeaders, "user-agent")
                    .ok()
                    .flatten();
                state::user_agent_allows(prefix, ua.as_deref())
            };
        }
        Action::Continue
    }

    fn on_http_response_headers(&mut self, _headers: usize, _end_of_stream: bool) -> Action {
        if !self.add {
            return Action::Continue;
        }
        let Some(worker) = &self.worker else {
            return Action::Continue;
        };
        let Ok(mut w) = worker.try_borrow_mut() else {
            return Action::Continue;
        };
        if !w.config.burst_header.trim().is_empty() {
            let _ = hostcalls::set_map_value(
                MapType::HttpResponseHeaders,
                HEADER_NAME,
                Some(&w.config.burst_header),
            );
            return Action::Continue;
        }
        if w.values.is_empty() {
            return Action::Continue;
        }
        let host = match hostcalls::get_property(HOST_PROPERTY.to_vec()) {
            Ok(Some(h)) => h,
            _ => {
                if !w.warned_no_host {
                    w.warned_no_host = true;
                    warn!(
                        "burst-header: no Istio service property (cluster_metadata.filter_metadata.istio.services.0.host) on this listener; no header (reported once)"
                    );
                }
                return Action::Continue;
            }
        };
        if let Some(value) = w.value_for(&host) {
            let _ =
                hostcalls::set_map_value(MapType::HttpResponseHeaders, HEADER_NAME, Some(value));
        }
        Action::Continue
    }
}
