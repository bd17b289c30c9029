//! Guest SDK.

pub mod quantity;
