//! `cargo afl fuzz` entry point for [`fuzz_targets::autoscale_review`].
fn main() {
    afl::fuzz!(|data: &[u8]| fuzz_targets::autoscale_review(data));
}
