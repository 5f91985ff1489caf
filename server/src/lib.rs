//! A local Ferrite-compatible server: RESP2 and RESP3 over TCP, an in-memory
//! keyspace, and plugins run by `ferrite-plugin-host`.
//!
//! It is what `cargo ferrite-plugin run` serves, so that `redis-cli`,
//! `redis-benchmark` and any Redis client library can drive a plugin before
//! a Ferrite server ever sees it:
//!
//! * the data commands a client expects, as Redis 7 has them: strings,
//!   hashes, lists, sets and sorted sets, and commands on keys of any type
//!   (`GET`, `HSET`, `LPUSH`, `SADD`, `ZADD`, `DEL`, `EXPIRE`, `SCAN`, ...),
//!   on the same keyspace the plugins' `kv` API uses, in 16 databases;
//! * transactions (`MULTI`, `EXEC`, `WATCH`, ...) and pub/sub (`SUBSCRIBE`,
//!   `PUBLISH`, ...);
//! * `server.call` for plugins, on the calling session's database;
//! * `FCALL` / `FCALL_RO`, and `FUNCTION LOAD | LIST | DELETE | FLUSH` with
//!   WebAssembly components as the libraries;
//! * ADR-013's `PLUGIN LIST | INFO | INSTALL | REMOVE | RELOAD | ENABLE |
//!   DISABLE | SEARCH | HELP` (also spelled `PLUGIN.LIST`, ...), installing
//!   from a registry with every check that `cargo ferrite-plugin install`
//!   makes;
//! * Ferrite's own spellings: `WASM.LOAD name module [REPLACE] [PERMISSIONS
//!   perm ...]`, `WASM.UNLOAD`, `WASM.CALL` / `WASM.CALL_RO function [KEYS
//!   key ...] [ARGS arg ...]`, `WASM.LIST`, `WASM.INFO`, `WASM.STATS` (calls,
//!   errors and time per plugin) and `WASM.HELP`.
//!
//! ```no_run
//! use ferrite_plugin_host::HostConfig;
//! use ferrite_plugin_server::{Server, ServerConfig};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let server = Server::new(HostConfig::default(), ServerConfig::default())?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:6379").await?;
//! server.serve(listener).await?;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod calls;
pub mod commands;
pub mod conn;
mod plugins;
pub mod pubsub;
pub mod reply;
pub mod resp;
mod server;
mod stats;
pub mod types;
pub mod value;
mod wasm;

pub use server::{
    DATABASES, Grant, Hold, Origin, REDIS_VERSION, ServeError, Server, ServerConfig, Session,
};
