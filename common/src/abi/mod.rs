//! The host ABI: imports from `k8s.io/scheduler`, `k8s.io/api` and `k8s.io/klog`, and the
//! grow-and-retry buffer protocol (`docs/abi.md` §3.1).
//!
//! This is the only module with `unsafe` code, and only in [`wasm`]: each raw import sits right above
//! its one safe wrapper. Off wasm32 the same safe functions are served by the fake host in
//! [`crate::testing`], so everything above this layer is tested natively with `cargo test`.

#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
pub(crate) mod wasm;
#[cfg(target_arch = "wasm32")]
pub(crate) use wasm as host;

#[cfg(not(target_arch = "wasm32"))]
pub(crate) use crate::testing::fake as host;

/// Initial size of a buffer for protobuf and JSON values (the Go SDK's shared buffer is 2 KiB too).
pub(crate) const INITIAL_VALUE_BUFFER: usize = 2048;
/// Initial size of a buffer for a node name (Kubernetes names are at most 253 bytes).
pub(crate) const INITIAL_NAME_BUFFER: usize = 256;
/// The largest Pod or Node this SDK accepts. etcd refuses objects over 1.5 MiB by default, so a
/// larger value means a broken host; linear memory never shrinks, so accepting it would cost the
/// instance that memory for good.
pub(crate) const MAX_OBJECT_BYTES: usize = 8 << 20;
/// The largest list value (node list, JSON maps over all nodes) this SDK accepts.
pub(crate) const MAX_LIST_BYTES: usize = 256 << 20;

/// A value the host announced as larger than the SDK accepts, or that changed size between the two
/// calls of the protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReadError {
    TooLarge { len: usize, max: usize },
    Unstable { first: usize, second: usize },
}

impl ReadError {
    pub(crate) fn describe(self, what: &str) -> String {
        match self {
            ReadError::TooLarge { len, max } => {
                format!("{what} is {len} bytes, more than the {max} bytes this guest accepts")
            }
            ReadError::Unstable { first, second } => {
                format!("{what} changed size between reads ({first} then {second} bytes)")
            }
        }
    }
}

/// A reusable buffer for values read from the host.
///
/// Its bytes are always initialised (the host writes into them), and `len` marks the value. It grows
/// to exactly the announced length when a value does not fit and never shrinks, so steady-state reads
/// allocate nothing.
#[derive(Debug, Default)]
pub(crate) struct Buffer {
    bytes: Vec<u8>,
    len: usize,
}

impl Buffer {
    /// The last value read.
    pub(crate) fn value(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// Reads a value with `getter` (which returns the value's length and writes it only if it
    /// fits), growing and retrying once when it does not fit.
    pub(crate) fn fill(
        &mut self,
        initial: usize,
        max: usize,
        mut getter: impl FnMut(&mut [u8]) -> usize,
    ) -> Result<&[u8], ReadError> {
        if self.bytes.len() < initial {
            self.bytes.resize(initial, 0);
        }
        self.len = 0;
        let first = getter(&mut self.bytes);
        if first > self.bytes.len() {
            if first > max {
                return Err(ReadError::TooLarge { len: first, max });
            }
            self.bytes.resize(first, 0);
            let second = getter(&mut self.bytes);
            if second > self.bytes.len() {
                return Err(ReadError::Unstable { first, second });
            }
            self.len = second;
        } else {
            self.len = first;
        }
        Ok(self.value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A getter in the host's style: returns the length, writes only if it fits.
    fn getter(value: &[u8]) -> impl FnMut(&mut [u8]) -> usize + '_ {
        move |buf: &mut [u8]| {
            if value.len() <= buf.len() {
                buf[..value.len()].copy_from_slice(value);
            }
            value.len()
        }
    }

    #[test]
    fn small_values_fit_in_the_initial_buffer() {
        let mut b = Buffer::default();
        assert_eq!(b.fill(16, 1024, getter(b"hello")).unwrap(), b"hello");
        assert_eq!(b.bytes.len(), 16);
        assert_eq!(b.fill(16, 1024, getter(b"")).unwrap(), b"");
    }

    #[test]
    fn large_values_grow_the_buffer_once_and_it_stays_grown() {
        let big = vec![7u8; 300];
        let mut b = Buffer::default();
        let mut calls = 0;
        let mut g = getter(&big);
        let value = b
            .fill(16, 1024, |buf| {
                calls += 1;
                g(buf)
            })
            .unwrap();
        assert_eq!(value.len(), 300);
        assert_eq!(calls, 2);
        assert_eq!(b.bytes.len(), 300);
        assert_eq!(b.fill(16, 1024, getter(b"ab")).unwrap(), b"ab");
        assert_eq!(b.bytes.len(), 300, "the buffer never shrinks");
    }

    #[test]
    fn oversized_and_unstable_values_are_errors() {
        let mut b = Buffer::default();
        let big = vec![0u8; 2000];
        assert_eq!(
            b.fill(16, 1024, getter(&big)),
            Err(ReadError::TooLarge {
                len: 2000,
                max: 1024
            })
        );
        let mut n = 100;
        let growing = |_: &mut [u8]| {
            n += 100;
            n
        };
        assert_eq!(
            b.fill(16, 1024, growing),
            Err(ReadError::Unstable {
                first: 200,
                second: 300
            })
        );
        assert_eq!(
            ReadError::TooLarge {
                len: 2000,
                max: 1024
            }
            .describe("the pod"),
            "the pod is 2000 bytes, more than the 1024 bytes this guest accepts"
        );
    }
}
