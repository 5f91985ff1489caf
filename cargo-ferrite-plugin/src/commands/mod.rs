//! One module per command: its arguments (whose doc comments are `--help`)
//! and a short `exec` that calls into [`crate::ops`].

pub mod build;
pub mod call;
pub mod info;
pub mod inspect;
pub mod install;
pub mod keygen;
pub mod list;
pub mod new;
pub mod publish;
pub mod refresh;
pub mod registry;
pub mod remove;
pub mod run;
pub mod search;
pub mod test;
pub mod verify;
pub mod yank;
