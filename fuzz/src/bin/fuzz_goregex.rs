//! `cargo afl fuzz` entry point for [`fuzz_targets::goregex`].
fn main() {
    afl::fuzz!(|data: &[u8]| fuzz_targets::goregex(data));
}
