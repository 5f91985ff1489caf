//! The embedded Ferrite plugin host.
//!
//! This crate is what a server embeds to run Ferrite plugins. So far it holds
//! the checks every loader needs: [`manifest`] reads and validates
//! `plugin.toml`, and [`check`] compares a component's imports and exports
//! with it.

#![warn(missing_docs)]

pub mod check;
pub mod manifest;
