//! Request body limits: most bytes (413) and time for the whole body to arrive (408), set per
//! server in [`crate::Config`] and overridable per route with [`body_limits`].

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::Request;
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

const OK: u8 = 0;
const TOO_LARGE: u8 = 1;
const TIMED_OUT: u8 = 2;

/// What a request's body may be; shared between the body and the layers that change it.
#[derive(Debug)]
pub(crate) struct Limits {
    max_bytes: AtomicU64,
    timeout_ms: AtomicU64,
    outcome: AtomicU8,
}

/// How reading the body ended badly, once it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    TooLarge(u64),
    TimedOut(Duration),
}

impl Limits {
    pub(crate) fn new(max_bytes: u64, timeout: Duration) -> Arc<Self> {
        Arc::new(Limits {
            max_bytes: AtomicU64::new(max_bytes),
            timeout_ms: AtomicU64::new(millis(timeout)),
            outcome: AtomicU8::new(OK),
        })
    }

    fn set(&self, max_bytes: u64, timeout: Duration) {
        self.max_bytes.store(max_bytes, Ordering::Relaxed);
        self.timeout_ms.store(millis(timeout), Ordering::Relaxed);
    }

    fn max(&self) -> u64 {
        self.max_bytes.load(Ordering::Relaxed)
    }

    fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms.load(Ordering::Relaxed))
    }

    pub(crate) fn outcome(&self) -> Option<Outcome> {
        match self.outcome.load(Ordering::Relaxed) {
            TOO_LARGE => Some(Outcome::TooLarge(self.max())),
            TIMED_OUT => Some(Outcome::TimedOut(self.timeout())),
            _ => None,
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The error a limited body reports to the handler reading it; the server then answers 413 or
/// 408 itself, whatever the handler made of the error.
#[derive(Debug)]
pub(crate) enum BodyError {
    TooLarge(u64),
    TimedOut(Duration),
    Read(hyper::Error),
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::TooLarge(n) => write!(f, "request body is larger than {n} bytes"),
            BodyError::TimedOut(d) => {
                write!(f, "request body not received within {} ms", d.as_millis())
            }
            BodyError::Read(e) => write!(f, "cannot read the request body: {e}"),
        }
    }
}

impl std::error::Error for BodyError {}

pin_project_lite::pin_project! {
    /// The incoming body, cut off at the byte limit or the deadline.
    pub(crate) struct LimitedBody {
        #[pin]
        inner: hyper::body::Incoming,
        limits: Arc<Limits>,
        start: Instant,
        read: u64,
        sleep: Option<Pin<Box<Sleep>>>,
        armed_for: Duration,
        done: bool,
    }
}

impl LimitedBody {
    pub(crate) fn new(inner: hyper::body::Incoming, limits: Arc<Limits>) -> Self {
        LimitedBody {
            inner,
            limits,
            start: Instant::now(),
            read: 0,
            sleep: None,
            armed_for: Duration::ZERO,
            done: false,
        }
    }
}

impl Body for LimitedBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let this = self.project();
        if *this.done {
            return Poll::Ready(None);
        }
        let max = this.limits.max();
        let fail = |limits: &Limits, done: &mut bool, code: u8, e: BodyError| {
            limits.outcome.store(code, Ordering::Relaxed);
            *done = true;
            Poll::Ready(Some(Err(e)))
        };
        // A declared length over the limit is refused before any byte is read.
        if *this.read == 0 && this.inner.size_hint().lower() > max {
            return fail(this.limits, this.done, TOO_LARGE, BodyError::TooLarge(max));
        }
        let timeout = this.limits.timeout();
        if this.sleep.is_none() || *this.armed_for != timeout {
            let deadline = *this.start + timeout;
            match this.sleep {
                Some(s) => s.as_mut().reset(deadline),
                None => *this.sleep = Some(Box::pin(tokio::time::sleep_until(deadline))),
            }
            *this.armed_for = timeout;
        }
        match this.inner.poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    *this.read = this.read.saturating_add(data.len() as u64);
                    if *this.read > max {
                        return fail(this.limits, this.done, TOO_LARGE, BodyError::TooLarge(max));
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => {
                *this.done = true;
                Poll::Ready(Some(Err(BodyError::Read(e))))
            }
            Poll::Ready(None) => {
                *this.done = true;
                Poll::Ready(None)
            }
            Poll::Pending => {
                if let Some(s) = this.sleep
                    && s.as_mut().poll(cx).is_ready()
                {
                    return fail(
                        this.limits,
                        this.done,
                        TIMED_OUT,
                        BodyError::TimedOut(timeout),
                    );
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Per-route body limits: `max_bytes` (more is answered 413) and `read_timeout` for the whole
/// body to arrive, counted from the end of the request head (408). Apply with
/// `MethodRouter::layer` or `Router::layer`; the innermost one wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimits {
    /// Most body bytes.
    pub max_bytes: u64,
    /// Time for the whole body to arrive.
    pub read_timeout: Duration,
}

/// The [`BodyLimits`] layer for one route (see the crate example).
pub fn body_limits(max_bytes: u64, read_timeout: Duration) -> BodyLimits {
    BodyLimits {
        max_bytes,
        read_timeout,
    }
}

impl<S> tower::Layer<S> for BodyLimits {
    type Service = BodyLimitsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        BodyLimitsService {
            inner,
            limits: *self,
        }
    }
}

/// The service of [`BodyLimits`]: sets the request's limits, then calls `S`.
#[derive(Debug, Clone)]
pub struct BodyLimitsService<S> {
    inner: S,
    limits: BodyLimits,
}

impl<S> tower::Service<Request> for BodyLimitsService<S>
where
    S: tower::Service<Request>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        if let Some(limits) = req.extensions().get::<Arc<Limits>>() {
            limits.set(self.limits.max_bytes, self.limits.read_timeout);
        }
        self.inner.call(req)
    }
}
