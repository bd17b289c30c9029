//! RegexScheduling v2.
