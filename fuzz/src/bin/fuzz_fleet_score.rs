//! `cargo afl fuzz` entry point for [`fuzz_targets::fleet_score`].
fn main() {
    afl::fuzz!(|data: &[u8]| fuzz_targets::fleet_score(data));
}
