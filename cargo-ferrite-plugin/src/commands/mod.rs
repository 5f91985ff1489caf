//! One module per command: its arguments (whose doc comments are `--help`)
//! and a short `exec` that calls into [`crate::ops`].

pub mod build;
pub mod call;
pub mod inspect;
pub mod new;
pub mod test;
