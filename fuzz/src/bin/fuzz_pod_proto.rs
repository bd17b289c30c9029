//! `cargo afl fuzz` entry point for [`fuzz_targets::pod_proto`].
fn main() {
    afl::fuzz!(|data: &[u8]| fuzz_targets::pod_proto(data));
}
