//! A local host for kube-scheduler WASM guests.
