//! RegexScheduling v1.
