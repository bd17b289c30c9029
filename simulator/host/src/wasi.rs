//! The per-instance WASI preview1 configuration of the production host (docs/abi.md §1.2), built on
//! `wasmtime-wasi`'s p1 implementation: one captured buffer for stdout and stderr, wazero's fake
//! clocks, a deterministic random source, argv, and nothing else (no env, files or stdin).

use bytes::Bytes;
use rand::SeedableRng as _;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtxBuilder};
use wasmtime_wasi_io::poll::Pollable;
use wasmtime_wasi_io::streams::{OutputStream, StreamResult};

/// The buffer that receives both stdout and stderr of one instance.
#[derive(Clone, Default)]
pub(crate) struct OutputBuffer(Arc<Mutex<Vec<u8>>>);

impl OutputBuffer {
    fn lock(&self) -> MutexGuard<'_, Vec<u8>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The captured text (lossy UTF-8), leaving the buffer as it is.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.lock()).into_owned()
    }

    /// Empties the buffer (after instantiation and after every hook call).
    pub(crate) fn clear(&self) {
        let mut b = self.lock();
        if !b.is_empty() {
            b.clear();
        }
    }
}

impl IsTerminal for OutputBuffer {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for OutputBuffer {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[async_trait::async_trait]
impl Pollable for OutputBuffer {
    async fn ready(&mut self) {}
}

impl OutputStream for OutputBuffer {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.lock().extend_from_slice(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(1 << 20)
    }
}

impl tokio::io::AsyncWrite for OutputBuffer {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.lock().extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Nanoseconds per fake clock tick: wazero adds 1 ms per reading.
const TICK_NANOS: u64 = 1_000_000;
/// wazero's `FakeEpochNanos`: 2022-01-01T00:00:00Z.
pub(crate) const FAKE_EPOCH_NANOS: u64 = 1_640_995_200_000_000_000;

/// wazero's fake wall clock: the first reading is 2022-01-01T00:00:00Z, each reading adds 1 ms.
struct FakeWallClock(Mutex<u64>);

impl HostWallClock for FakeWallClock {
    fn resolution(&self) -> Duration {
        Duration::from_micros(1)
    }

    fn now(&self) -> Duration {
        let mut next = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let now = *next;
        *next += TICK_NANOS;
        Duration::from_nanos(now)
    }
}

/// wazero's fake monotonic clock: the first reading is 0, each reading adds 1 ms.
struct FakeMonotonicClock(Mutex<u64>);

impl HostMonotonicClock for FakeMonotonicClock {
    fn resolution(&self) -> u64 {
        1
    }

    fn now(&self) -> u64 {
        let mut next = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let now = *next;
        *next += TICK_NANOS;
        now
    }
}

/// The seed of every instance's `random_get` (wazero seeds its fake source with 42 too, but its
/// bytes come from Go's `math/rand`, which this does not reproduce; see RATIONALE.md).
const RANDOM_SEED: u64 = 42;

/// A fresh WASI context for one instance.
pub(crate) fn context(args: &[String], out: &OutputBuffer) -> WasiP1Ctx {
    let mut b = WasiCtxBuilder::new();
    b.args(args)
        .stdout(out.clone())
        .stderr(out.clone())
        .wall_clock(FakeWallClock(Mutex::new(FAKE_EPOCH_NANOS)))
        .monotonic_clock(FakeMonotonicClock(Mutex::new(0)))
        .secure_random(rand::rngs::StdRng::seed_from_u64(RANDOM_SEED))
        .insecure_random(rand::rngs::StdRng::seed_from_u64(RANDOM_SEED))
        .insecure_random_seed(u128::from(RANDOM_SEED));
    b.build_p1()
}

/// Every function of wazero's `wasi_snapshot_preview1` module, with its wasm signature
/// (`params`, `results`; `i` = i32, `I` = i64), used to check imports as wazero does.
pub(crate) const WASI_FUNCTIONS: &[(&str, &str, &str)] = &[
    ("args_get", "ii", "i"),
    ("args_sizes_get", "ii", "i"),
    ("environ_get", "ii", "i"),
    ("environ_sizes_get", "ii", "i"),
    ("clock_res_get", "ii", "i"),
    ("clock_time_get", "iIi", "i"),
    ("fd_advise", "iIIi", "i"),
    ("fd_allocate", "iII", "i"),
    ("fd_close", "i", "i"),
    ("fd_datasync", "i", "i"),
    ("fd_fdstat_get", "ii", "i"),
    ("fd_fdstat_set_flags", "ii", "i"),
    ("fd_fdstat_set_rights", "iII", "i"),
    ("fd_filestat_get", "ii", "i"),
    ("fd_filestat_set_size", "iI", "i"),
    ("fd_filestat_set_times", "iIIi", "i"),
    ("fd_pread", "iiiIi", "i"),
    ("fd_prestat_get", "ii", "i"),
    ("fd_prestat_dir_name", "iii", "i"),
    ("fd_pwrite", "iiiIi", "i"),
    ("fd_read", "iiii", "i"),
    ("fd_readdir", "iiiIi", "i"),
    ("fd_renumber", "ii", "i"),
    ("fd_seek", "iIii", "i"),
    ("fd_sync", "i", "i"),
    ("fd_tell", "ii", "i"),
    ("fd_write", "iiii", "i"),
    ("path_create_directory", "iii", "i"),
    ("path_filestat_get", "iiiii", "i"),
    ("path_filestat_set_times", "iiiiIIi", "i"),
    ("path_link", "iiiiiii", "i"),
    ("path_open", "iiiiiIIii", "i"),
    ("path_readlink", "iiiiii", "i"),
    ("path_remove_directory", "iii", "i"),
    ("path_rename", "iiiiii", "i"),
    ("path_symlink", "iiiii", "i"),
    ("path_unlink_file", "iii", "i"),
    ("poll_oneoff", "iiii", "i"),
    ("proc_exit", "i", ""),
    ("proc_raise", "i", "i"),
    ("sched_yield", "", "i"),
    ("random_get", "ii", "i"),
    ("sock_accept", "iii", "i"),
    ("sock_recv", "iiiiii", "i"),
    ("sock_send", "iiiii", "i"),
    ("sock_shutdown", "ii", "i"),
];
