//! The pure parts of the filter: the shared-data record that makes one fetch per refresh period
//! per proxy, the metrics answer, and the service key.
//!
//! Every worker thread of an Envoy runs its own instance of the module with its own root context
//! and timer. They coordinate through two proxy-wasm shared-data entries (per VM, per metrics
//! source, see [`crate::config::Config::shared_key`]):
//!
//! - `<key>|state`: a [`SharedState`] (32 bytes) written with compare-and-swap: the generation of
//!   the data, when it was fetched, when the next fetch is due, and the lease of the worker that is
//!   fetching now. A worker whose tick finds a fetch due and no live lease claims the lease with CAS;
//!   only the winner calls the metrics service.
//! - `<key>|data`: the last good metrics answer (the JSON object as received).
//!
//! Each worker parses `data` into its own map when the generation changes (at most once per fetch),
//! so a request costs a map lookup, never a parse or a shared-data copy.

use std::collections::BTreeMap;

use crate::json::{self, Json};

/// The coordination record in shared data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SharedState {
    /// Incremented on every successful fetch; 0 = no data yet.
    pub generation: u64,
    /// When the data of `generation` was fetched (ms since the Unix epoch).
    pub fetched_at_ms: u64,
    /// No fetch before this time (ms).
    pub next_fetch_ms: u64,
    /// A worker is fetching until this time (ms); 0 = nobody.
    pub lease_until_ms: u64,
}

impl SharedState {
    /// Size of the encoded record.
    pub const SIZE: usize = 32;

    /// Four little-endian `u64`s.
    pub fn encode(&self) -> [u8; Self::SIZE] {
        let mut out = [0u8; Self::SIZE];
        for (i, v) in [
            self.generation,
            self.fetched_at_ms,
            self.next_fetch_ms,
            self.lease_until_ms,
        ]
        .into_iter()
        .enumerate()
        {
            out[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes());
        }
        out
    }

    /// Decodes a record; `None` when the bytes are not one (then the state is treated as empty).
    pub fn decode(bytes: &[u8]) -> Option<SharedState> {
        if bytes.len() != Self::SIZE {
            return None;
        }
        let mut v = [0u64; 4];
        for (i, chunk) in bytes.chunks_exact(8).enumerate() {
            let mut a = [0u8; 8];
            a.copy_from_slice(chunk);
            v[i] = u64::from_le_bytes(a);
        }
        Some(SharedState {
            generation: v[0],
            fetched_at_ms: v[1],
            next_fetch_ms: v[2],
            lease_until_ms: v[3],
        })
    }

    /// Whether a worker ticking at `now_ms` should try to claim the fetch.
    pub fn fetch_due(&self, now_ms: u64) -> bool {
        now_ms >= self.next_fetch_ms && now_ms >= self.lease_until_ms
    }

    /// The record a worker writes (with CAS) to claim the fetch for `lease_ms`.
    pub fn claimed(&self, now_ms: u64, lease_ms: u64) -> SharedState {
        SharedState {
            lease_until_ms: now_ms.saturating_add(lease_ms),
            ..*self
        }
    }

    /// The record after a successful fetch at `now_ms`.
    pub fn succeeded(&self, now_ms: u64, period_ms: u64) -> SharedState {
        SharedState {
            generation: self.generation.wrapping_add(1).max(1),
            fetched_at_ms: now_ms,
            next_fetch_ms: now_ms.saturating_add(period_ms),
            lease_until_ms: 0,
        }
    }

    /// The record after a failed fetch: the old data stays, the next try is after `retry_ms`.
    pub fn failed(&self, now_ms: u64, retry_ms: u64) -> SharedState {
        SharedState {
            next_fetch_ms: now_ms.saturating_add(retry_ms),
            lease_until_ms: 0,
            ..*self
        }
    }
}

/// The service values of one metrics answer: `"<namespace>/<service>"` → header value.
pub type Values = BTreeMap<String, String>;

/// Parses the metrics service's answer: a JSON object mapping `"<namespace>/<service>"` to the
/// header value. Entries whose value is not a string, is blank, or holds CR, LF or NUL (which
/// cannot go in a header) are skipped.
///
/// # Errors
/// The body is not a JSON object.
pub fn parse_values(body: &[u8]) -> Result<Values, String> {
    match json::parse(body) {
        Ok(Json::Object(m)) => Ok(m
            .into_iter()
            .filter_map(|(k, v)| match v {
                Json::String(s) if valid_header_value(&s) => Some((k, s)),
                _ => None,
            })
            .collect()),
        Ok(other) => Err(format!("expected a JSON object, got {}", other.kind())),
        Err(e) => Err(format!("not JSON: {e}")),
    }
}

/// A value that can be sent as a header: not blank, no CR, LF or NUL.
pub fn valid_header_value(s: &str) -> bool {
    !s.trim().is_empty() && !s.contains(['\r', '\n', '\0'])
}

/// The metrics key of an Istio service host: `echo.default.svc.cluster.local` → `default/echo`
/// (the first label is the service, the second the namespace, as the original reads it).
/// `None` when the host has fewer than two non-empty labels or is not UTF-8.
pub fn service_key(host: &[u8]) -> Option<String> {
    let host = core::str::from_utf8(host).ok()?;
    let mut labels = host.split('.');
    let service = labels.next().filter(|s| !s.is_empty())?;
    let namespace = labels.next().filter(|s| !s.is_empty())?;
    Some(format!("{namespace}/{service}"))
}

/// Whether a request with this `user-agent` (if any) gets the header: always when `prefix` is
/// empty, else when the user agent starts with it (bytes, so a non-UTF-8 header is no problem).
pub fn user_agent_allows(prefix: &str, user_agent: Option<&[u8]>) -> bool {
    prefix.is_empty() || user_agent.is_some_and(|ua| ua.starts_with(prefix.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trip_and_lifecycle() {
        let s = SharedState::default();
        assert!(s.fetch_due(0));
        let claimed = s.claimed(1_000, 6_000);
        assert_eq!(SharedState::decode(&claimed.encode()), Some(claimed));
        assert!(!claimed.fetch_due(6_999));
        assert!(claimed.fetch_due(7_000));
        let ok = claimed.succeeded(1_500, 60_000);
        assert_eq!(
            ok,
            SharedState {
                generation: 1,
                fetched_at_ms: 1_500,
                next_fetch_ms: 61_500,
                lease_until_ms: 0
            }
        );
        assert!(!ok.fetch_due(61_499));
        assert!(ok.fetch_due(61_500));
        let failed = ok.claimed(61_500, 6_000).failed(66_500, 5_000);
        assert_eq!(
            failed,
            SharedState {
                generation: 1,
                fetched_at_ms: 1_500,
                next_fetch_ms: 71_500,
                lease_until_ms: 0
            }
        );
        assert_eq!(SharedState::decode(&[0; 31]), None);
    }

    #[test]
    fn values() {
        let v = parse_values(
            br#"{"default/echo": "service=default/echo, current-load=1, target-load=1, max-load=2",
                "a/b": 3, "c/d": "  ", "e/f": "x\r\ny"}"#,
        )
        .unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!(
            v["default/echo"],
            "service=default/echo, current-load=1, target-load=1, max-load=2"
        );
        assert_eq!(
            parse_values(b"[]").unwrap_err(),
            "expected a JSON object, got an array"
        );
        assert_eq!(
            parse_values(b"<html>").unwrap_err(),
            "not JSON: expected a value at byte 0"
        );
        assert_eq!(
            parse_values(b"").unwrap_err(),
            "not JSON: unexpected end of input at byte 0"
        );
    }

    #[test]
    fn keys() {
        assert_eq!(
            service_key(b"echo.default.svc.cluster.local").as_deref(),
            Some("default/echo")
        );
        assert_eq!(
            service_key(b"echo.default").as_deref(),
            Some("default/echo")
        );
        assert_eq!(service_key(b"echo"), None);
        assert_eq!(service_key(b""), None);
        assert_eq!(service_key(b".default.svc"), None);
        assert_eq!(service_key(b"echo..svc"), None);
        assert_eq!(service_key(b"\xff.default"), None);
    }

    #[test]
    fn user_agent_rule() {
        assert!(user_agent_allows("", None));
        assert!(user_agent_allows("", Some(b"curl/8")));
        assert!(user_agent_allows("HTTPie/", Some(b"HTTPie/3.2")));
        assert!(!user_agent_allows("HTTPie/", Some(b"curl/8")));
        assert!(!user_agent_allows("HTTPie/", None));
        assert!(!user_agent_allows("HTTPie/", Some(b"\xffHTTPie/")));
    }
}
