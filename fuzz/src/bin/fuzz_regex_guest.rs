//! `cargo afl fuzz` entry point for [`fuzz_targets::regex_guest`].
fn main() {
    afl::fuzz!(|data: &[u8]| fuzz_targets::regex_guest(data));
}
