//! Admission: Agones' `FleetAutoscaler.Validate` (field paths, error types and details as in
//! `pkg/apis/autoscaling/v1/fleetautoscaler.go`) and `ApplyDefaults` (sync FixedInterval 30 s).

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::cron::parse_standard;
use crate::go::time::Instant;
use crate::go::{parse_duration, quote, url};
use crate::intstr::IntOrString;
use crate::policy::FeatureGates;
use crate::schedule::load_location;
use crate::types::{
    BufferPolicy, ChainEntry, CounterPolicy, FleetAutoscaler, FleetAutoscalerPolicy,
    FleetAutoscalerSpec, FleetAutoscalerSync, SchedulePolicy, UrlConfiguration, WasmPolicy,
    policy_type,
};

/// Kubernetes' `IsNegativeErrorMsg`, which Agones reuses even for "must be > 0".
pub const NEGATIVE: &str = "must be greater than or equal to 0";

/// A Kubernetes field error type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorType {
    /// `Invalid value`.
    Invalid,
    /// `Required value`.
    Required,
    /// `Forbidden`.
    Forbidden,
    /// `Duplicate value`.
    Duplicate,
}

impl ErrorType {
    /// The short name used in the vectors (`Invalid`, `Required`, …).
    pub fn name(self) -> &'static str {
        match self {
            ErrorType::Invalid => "Invalid",
            ErrorType::Required => "Required",
            ErrorType::Forbidden => "Forbidden",
            ErrorType::Duplicate => "Duplicate",
        }
    }
    fn long(self) -> &'static str {
        match self {
            ErrorType::Invalid => "Invalid value",
            ErrorType::Required => "Required value",
            ErrorType::Forbidden => "Forbidden",
            ErrorType::Duplicate => "Duplicate value",
        }
    }
}

/// One admission error (Kubernetes `field.Error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Field path, e.g. `spec.policy.buffer.minReplicas`.
    pub field: String,
    /// Error type.
    pub error_type: ErrorType,
    /// The offending value, formatted as Go's `%#v` would (empty for Required/Forbidden).
    pub bad_value: String,
    /// Explanation.
    pub detail: String,
}

impl fmt::Display for FieldError {
    /// Kubernetes' `field.Error.Error()`: `<field>: <Type>[: <value>][: <detail>]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.error_type.long())?;
        if matches!(self.error_type, ErrorType::Invalid | ErrorType::Duplicate) {
            write!(f, ": {}", self.bad_value)?;
        }
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

fn invalid(field: &str, value: impl Into<String>, detail: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_string(),
        error_type: ErrorType::Invalid,
        bad_value: value.into(),
        detail: detail.into(),
    }
}

fn required(field: &str, detail: &str) -> FieldError {
    FieldError {
        field: field.to_string(),
        error_type: ErrorType::Required,
        bad_value: String::new(),
        detail: detail.to_string(),
    }
}

fn forbidden(field: &str, detail: &str) -> FieldError {
    FieldError {
        field: field.to_string(),
        error_type: ErrorType::Forbidden,
        bad_value: String::new(),
        detail: detail.to_string(),
    }
}

/// Inputs of validation besides the spec.
#[derive(Debug, Clone, Copy)]
pub struct ValidateOptions {
    /// Feature gates.
    pub gates: FeatureGates,
    /// "Now" for the Schedule end-in-the-past check (`None`: the check is skipped).
    pub now: Option<Instant>,
}

impl Default for ValidateOptions {
    /// Default gates and the system clock (where the target has one).
    fn default() -> Self {
        ValidateOptions {
            gates: FeatureGates::default(),
            now: system_now(),
        }
    }
}

/// The system clock, where the target has one (not on `wasm32-unknown-unknown`).
pub fn system_now() -> Option<Instant> {
    #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
    {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?;
        Some(Instant::from_unix(
            i64::try_from(d.as_secs()).ok()?,
            d.subsec_nanos(),
        ))
    }
    #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
    {
        None
    }
}

/// Validates a FleetAutoscaler spec with default gates and the system clock.
///
/// ```
/// use fleet_autoscaling::validate::validate;
/// let spec = serde_json::from_str(r#"{"fleetName":"f","policy":{"type":"Buffer",
///     "buffer":{"bufferSize":5,"maxReplicas":10,"minReplicas":2}}}"#).unwrap();
/// let errors = validate(&spec);
/// assert_eq!(errors[0].field, "spec.policy.buffer.minReplicas");
/// assert_eq!(errors[0].detail, "minReplicas should be bigger than or equal to bufferSize");
/// ```
pub fn validate(spec: &FleetAutoscalerSpec) -> Vec<FieldError> {
    validate_with(spec, &ValidateOptions::default())
}

/// Validates a FleetAutoscaler spec (Agones' `Validate`): policy errors, then sync errors.
pub fn validate_with(spec: &FleetAutoscalerSpec, opts: &ValidateOptions) -> Vec<FieldError> {
    let mut errs = validate_policy(&spec.policy, "spec.policy", opts);
    if let Some(sync) = &spec.sync
        && sync.fixed_interval.seconds <= 0
    {
        errs.push(invalid(
            "spec.sync.fixedInterval.seconds",
            sync.fixed_interval.seconds.to_string(),
            NEGATIVE,
        ));
    }
    errs
}

/// Validates a whole resource (its `spec`).
pub fn validate_resource(fas: &FleetAutoscaler, opts: &ValidateOptions) -> Vec<FieldError> {
    validate_with(&fas.spec, opts)
}

/// Agones' `ValidatePolicy` at `path`.
pub fn validate_policy(
    p: &FleetAutoscalerPolicy,
    path: &str,
    opts: &ValidateOptions,
) -> Vec<FieldError> {
    match p.policy_type.as_str() {
        policy_type::BUFFER => validate_buffer(p.buffer.as_ref(), &format!("{path}.buffer")),
        policy_type::WEBHOOK => {
            validate_url_configuration(p.webhook.as_ref(), &format!("{path}.webhook"))
        }
        policy_type::COUNTER => validate_counter(
            p.counter.as_ref(),
            &format!("{path}.counter"),
            "counter",
            opts,
        ),
        policy_type::LIST => {
            validate_counter(p.list.as_ref(), &format!("{path}.list"), "list", opts)
        }
        policy_type::SCHEDULE => {
            validate_schedule(p.schedule.as_deref(), &format!("{path}.schedule"), opts)
        }
        policy_type::CHAIN => validate_chain(
            p.chain.as_deref().unwrap_or(&[]),
            &format!("{path}.chain"),
            opts,
        ),
        policy_type::WASM => validate_wasm(p.wasm.as_ref(), &format!("{path}.wasm"), opts),
        _ => Vec::new(),
    }
}

fn validate_url_configuration(w: Option<&UrlConfiguration>, path: &str) -> Vec<FieldError> {
    let Some(w) = w else {
        return vec![required(path, "webhook policy config params are missing")];
    };
    let mut errs = Vec::new();
    if w.service.is_none() && w.url.is_none() {
        errs.push(required(path, "url should be provided"));
    }
    if w.service.is_some() && w.url.is_some() {
        errs.push(FieldError {
            field: format!("{path}.url"),
            error_type: ErrorType::Duplicate,
            bad_value: quote("service and url cannot be used simultaneously"),
            detail: String::new(),
        });
    }
    if let Some(ca) = &w.ca_bundle
        && !crate::pem::has_certificate(ca)
    {
        errs.push(invalid(
            &format!("{path}.caBundle"),
            format!("{ca:?}"),
            "CA Bundle is not valid",
        ));
    }
    if let Some(u) = &w.url
        && url::parse(u).is_err()
    {
        errs.push(invalid(
            &format!("{path}.url"),
            quote(u),
            "url is not valid",
        ));
    }
    errs
}

/// Buffer policy rules at `path` (e.g. `spec.policy.buffer`).
pub fn validate_buffer(b: Option<&BufferPolicy>, path: &str) -> Vec<FieldError> {
    let Some(b) = b else {
        return vec![required(path, "buffer policy config params are missing")];
    };
    let mut errs = Vec::new();
    if b.min_replicas > b.max_replicas {
        errs.push(invalid(
            &format!("{path}.minReplicas"),
            b.min_replicas.to_string(),
            "minReplicas should be smaller than maxReplicas",
        ));
    }
    match &b.buffer_size {
        IntOrString::Int(size) => {
            let size = *size;
            if size <= 0 {
                errs.push(invalid(
                    &format!("{path}.bufferSize"),
                    size.to_string(),
                    crate::validate::NEGATIVE,
                ));
            }
            if b.max_replicas < size {
                errs.push(invalid(
                    &format!("{path}.maxReplicas"),
                    b.max_replicas.to_string(),
                    "maxReplicas should be bigger than or equal to bufferSize",
                ));
            }
            if b.min_replicas != 0 && b.min_replicas < size {
                errs.push(invalid(
                    &format!("{path}.minReplicas"),
                    b.min_replicas.to_string(),
                    "minReplicas should be bigger than or equal to bufferSize",
                ));
            }
        }
        s @ IntOrString::String(_) => {
            if !strict_percent_ok(s) {
                errs.push(invalid(
                    &format!("{path}.bufferSize"),
                    quote(&s.to_string()),
                    "bufferSize should be between 1% and 99%",
                ));
            }
            if b.min_replicas < 1 {
                errs.push(invalid(
                    &format!("{path}.minReplicas"),
                    b.min_replicas.to_string(),
                    NEGATIVE,
                ));
            }
        }
    }
    errs
}

fn strict_percent_ok(s: &IntOrString) -> bool {
    matches!(s.strict_value(), Ok((r, _)) if (1..=99).contains(&r))
}

/// Counter (`noun` = `counter`) or List (`list`) policy rules at `path`.
pub fn validate_counter(
    c: Option<&CounterPolicy>,
    path: &str,
    noun: &str,
    opts: &ValidateOptions,
) -> Vec<FieldError> {
    if !opts.gates.counts_and_lists {
        return vec![forbidden(path, "feature CountsAndLists must be enabled")];
    }
    let Some(c) = c else {
        return vec![required(
            path,
            &format!("{noun} policy config params are missing"),
        )];
    };
    let mut errs = Vec::new();
    if c.min_capacity > c.max_capacity {
        errs.push(invalid(
            &format!("{path}.minCapacity"),
            c.min_capacity.to_string(),
            "minCapacity should be smaller than maxCapacity",
        ));
    }
    match &c.buffer_size {
        IntOrString::Int(size) => {
            let size = i64::from(*size);
            if size <= 0 {
                errs.push(invalid(
                    &format!("{path}.bufferSize"),
                    size.to_string(),
                    NEGATIVE,
                ));
            }
            if c.max_capacity < size {
                errs.push(invalid(
                    &format!("{path}.maxCapacity"),
                    c.max_capacity.to_string(),
                    "maxCapacity should be bigger than or equal to bufferSize",
                ));
            }
            if c.min_capacity != 0 && c.min_capacity < size {
                errs.push(invalid(
                    &format!("{path}.minCapacity"),
                    c.min_capacity.to_string(),
                    "minCapacity should be bigger than or equal to bufferSize",
                ));
            }
        }
        s @ IntOrString::String(_) => {
            if !strict_percent_ok(s) {
                errs.push(invalid(
                    &format!("{path}.bufferSize"),
                    quote(&s.to_string()),
                    "bufferSize should be between 1% and 99%",
                ));
            }
            if c.min_capacity < 1 {
                errs.push(invalid(
                    &format!("{path}.minCapacity"),
                    quote(&s.to_string()),
                    " when bufferSize in percentage format is used, minCapacity should be more than 0",
                ));
            }
        }
    }
    errs
}

fn validate_schedule(
    s: Option<&SchedulePolicy>,
    path: &str,
    opts: &ValidateOptions,
) -> Vec<FieldError> {
    let Some(s) = s else {
        return vec![required(path, "schedule policy config params are missing")];
    };
    if !opts.gates.scheduled_autoscaler {
        return vec![forbidden(
            path,
            "feature ScheduledAutoscaler must be enabled",
        )];
    }
    let mut errs = Vec::new();
    let ap = &s.active_period;
    if !ap.timezone.is_empty()
        && let Err(e) = load_location(&ap.timezone)
    {
        errs.push(invalid(
            &format!("{path}.activePeriod.timezone"),
            quote(&ap.timezone),
            format!("Error parsing timezone: {e}\n"),
        ));
    }
    if !s.between.end.is_zero() {
        let (start, end) = (s.between.start.0, s.between.end.0);
        let mut end_err = false;
        if let Some(now) = opts.now
            && end < now
        {
            errs.push(invalid(
                &format!("{path}.between.end"),
                end.to_rfc3339(),
                "end time must be after the current time",
            ));
            end_err = true;
        }
        if !start.is_zero() && !end_err && end < start {
            errs.push(invalid(
                &format!("{path}.between"),
                format!("{{{start} {end}}}"),
                "start time must be before end time",
            ));
        }
    }
    if !ap.start_cron.is_empty() {
        if let Err(e) = parse_standard(&ap.start_cron) {
            errs.push(invalid(
                &format!("{path}.activePeriod.startCron"),
                quote(&ap.start_cron),
                format!("invalid startCron: {e}"),
            ));
        }
        if ap.start_cron.contains("TZ") {
            errs.push(invalid(
                &format!("{path}.activePeriod.startCron"),
                quote(&ap.start_cron),
                "CRON_TZ or TZ used in activePeriod is not supported, please use the .schedule.timezone field to specify a timezone",
            ));
        }
    }
    if !ap.duration.is_empty()
        && let Err(e) = parse_duration(&ap.duration)
    {
        errs.push(invalid(
            &format!("{path}.activePeriod.duration"),
            quote(&ap.start_cron),
            format!("invalid duration: {e}"),
        ));
    }
    errs
}

fn validate_chain(chain: &[ChainEntry], path: &str, opts: &ValidateOptions) -> Vec<FieldError> {
    if !opts.gates.scheduled_autoscaler {
        return vec![forbidden(
            path,
            "feature ScheduledAutoscaler must be enabled",
        )];
    }
    let mut errs = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, entry) in chain.iter().enumerate() {
        if !seen.insert(entry.id.as_str()) {
            errs.push(invalid(
                path,
                quote(&entry.id),
                "id of chain entry must be unique",
            ));
        }
        let p = &entry.policy;
        let has_policy = p.buffer.is_some()
            || p.webhook.is_some()
            || p.counter.is_some()
            || p.list.is_some()
            || p.schedule.is_some()
            || p.wasm.is_some();
        if p.policy_type.is_empty() || !has_policy {
            errs.push(required(&format!("{path}[{i}]"), "valid policy is missing"));
        }
        errs.extend(validate_policy(p, &format!("{path}[{i}].policy"), opts));
    }
    errs
}

fn validate_wasm(w: Option<&WasmPolicy>, path: &str, opts: &ValidateOptions) -> Vec<FieldError> {
    let Some(w) = w else {
        return vec![required(path, "wasm policy config params are missing")];
    };
    if !opts.gates.wasm_autoscaler {
        return vec![forbidden(path, "feature WasmAutoscaler must be enabled")];
    }
    let from = format!("{path}.from");
    let Some(u) = &w.from.url else {
        return vec![required(&from, "wasm from configuration is missing")];
    };
    validate_url_configuration(Some(u), &format!("{from}.url"))
}

/// Agones' `ApplyDefaults`: a missing sync becomes `FixedInterval`, seconds 0 becomes 30.
pub fn default(spec: &mut FleetAutoscalerSpec) {
    let sync = spec.sync.get_or_insert_with(FleetAutoscalerSync::default);
    if sync.sync_type.is_empty() {
        sync.sync_type = "FixedInterval".to_string();
    }
    if sync.fixed_interval.seconds == 0 {
        sync.fixed_interval.seconds = 30;
    }
}
