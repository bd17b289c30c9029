//! `--help` with examples on every subcommand.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad results

mod cli_support;

use cli_support::*;

#[test]
fn every_subcommand_has_help_with_examples() {
    for args in [
        &["--help"][..],
        &["run", "--help"],
        &["serve", "--help"],
        &["autoscale", "--help"],
        &["autoscale", "eval", "--help"],
        &["autoscale", "webhook", "--help"],
        &["lint", "--help"],
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        assert!(
            stdout(&o).contains("Examples:\n  simulator "),
            "{args:?}: {}",
            stdout(&o)
        );
    }
}
