//! Integration tests: built guests run in the simulator host.
