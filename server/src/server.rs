//! The server: its plugins, its databases, and what each command does.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Instant;

use bytes::BytesMut;
use ferrite_plugin_host::entries::{CommandEntry, HookEntry, HookEvent};
use ferrite_plugin_host::manifest::KeyScope;
use ferrite_plugin_host::{
    CallOptions, Frame, HookCall, HookOutcome, Host, HostConfig, Keyspace, LoadError, LoadOptions,
    MemoryKeyspace, Plugin, SystemClock,
};
use ferrite_plugin_registry::Source;
use tokio::net::TcpListener;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use crate::commands::{self, Cmd, Command, Upper, wrong_arity};
use crate::pubsub::{Inbox, Message, Registry};
use crate::reply::{Out, Protocol, Reply};
use crate::stats::PluginStats;
use crate::types::{self, Ctx};
use crate::value;

/// How many databases there are (`SELECT 0` to `SELECT 15`), as Redis.
pub const DATABASES: usize = 16;

/// The version this server reports as `redis_version`.
pub const REDIS_VERSION: &str = "7.2.0";

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The longest bulk string a client may send (default 512 MiB, as Redis).
    pub max_bulk: usize,
    /// The most arguments in one command (default 1,048,576, as Redis).
    pub max_args: usize,
    /// Where `PLUGIN INSTALL` installs from.
    pub registry: Option<Source>,
    /// Where `PLUGIN INSTALL` writes (default: a `plugins` directory in the
    /// system's temporary directory, per process).
    pub install_dir: Option<PathBuf>,
    /// The only keys `PLUGIN INSTALL` trusts (`run --trusted-keys`), in
    /// `keys.json`'s format; `None` trusts the registry's keys.json.
    pub trusted_keys: Option<ferrite_plugin_registry::format::Keys>,
    /// Keep this many instances of each plugin warm (see
    /// `LoadOptions::warm`); `None` runs every call on a fresh instance.
    pub warm: Option<usize>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_bulk: 512 * 1024 * 1024,
            max_args: 1024 * 1024,
            registry: None,
            install_dir: None,
            trusted_keys: None,
            warm: None,
        }
    }
}

/// Where a loaded plugin came from, for `PLUGIN RELOAD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A component file (`--plugin x.wasm`, or a crate's build output).
    File(PathBuf),
    /// `FUNCTION LOAD`: the bytes alone.
    Loaded,
    /// `PLUGIN INSTALL` from a registry, into this file.
    Installed(PathBuf),
}

/// A RESP server around a plugin host. Cheap to clone.
#[derive(Clone)]
pub struct Server {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    host: Host,
    /// The databases; the host's own keyspace is database 0.
    pub(crate) dbs: Vec<Arc<MemoryKeyspace>>,
    /// What a plugin call from a session on each database gets: that
    /// database as its keyspace and `server.call` on it, read-write and
    /// read-only.
    call_options: Vec<[CallOptions; 2]>,
    /// Transactions: each batch of a connection's requests holds it shared,
    /// `EXEC` exclusively, so a transaction runs alone.
    exclusive: RwLock<()>,
    pubsub: Mutex<Registry>,
    config: ServerConfig,
    /// What FCALL names, custom commands and hooks run, replaced whole
    /// whenever plugins change.
    dispatch: RwLock<Arc<Dispatch>>,
    /// Bumped after each replacement of `dispatch`: sessions keep a copy
    /// and refresh it when this moves.
    generation: AtomicU64,
    origins: Mutex<HashMap<String, (Origin, Grant)>>,
    /// Plugins the operator disabled (`PLUGIN DISABLE`): loaded, but their
    /// functions, commands and hooks are not dispatched.
    disabled: Mutex<std::collections::HashSet<String>>,
    /// Serializes loads, so the function table and the host agree.
    loading: Mutex<()>,
    next_client: AtomicU64,
    commands: AtomicU64,
    /// Guest calls of hooks, for `INFO`: a hook filtered out costs none.
    hook_calls: AtomicU64,
    /// Each loaded plugin's call statistics (`WASM.STATS`), by name; the
    /// dispatch table holds them too, so a call counts without a lock.
    stats: Mutex<HashMap<String, Arc<PluginStats>>>,
    started: Instant,
}

/// What `WASM.LOAD` checks beyond what every load does.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct LoadChecks<'a> {
    /// The name the component's manifest must give.
    pub(crate) name: Option<&'a str>,
}

/// The key access a plugin being loaded may have: what decides whether it
/// loads (ADR-013: "permission escalation requires explicit user
/// approval"). A reload ([`Server::reload`]) keeps the grant of the load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// What its plugin.toml declares, on every load: a plugin its author
    /// builds and runs (`cargo ferrite-plugin run` on a crate, `test`).
    Declared,
    /// At most this: what an operator approved (`FUNCTION LOAD ALLOW-KEYS`,
    /// `WASM.LOAD ... PERMISSIONS keys`, `PLUGIN INSTALL ... ALLOW-KEYS`,
    /// `run --plugin x.wasm --allow-keys`), or nothing.
    Keys(KeyScope),
}

impl Grant {
    /// No key access.
    pub fn none() -> Grant {
        Grant::Keys(KeyScope::none())
    }

    /// Whatever `component`'s plugin.toml asks for: an operator's approval
    /// of that component (none if it carries no manifest).
    pub fn asked_by(component: &[u8]) -> Grant {
        Grant::Keys(
            ferrite_plugin_host::embedded_manifest(component)
                .ok()
                .flatten()
                .map_or_else(KeyScope::none, |m| m.permissions.keys),
        )
    }
}

/// Why a plugin could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The host refused it.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// It asks for key access the operator did not approve.
    #[error(
        "plugin '{plugin}' asks for {} that was not approved",
        asked.beyond(granted).unwrap_or_else(|| asked.to_string())
    )]
    NotApproved {
        /// The plugin.
        plugin: String,
        /// What its plugin.toml asks for.
        asked: KeyScope,
        /// What was approved.
        granted: KeyScope,
    },
    /// Another reason, in words.
    #[error("{0}")]
    Other(String),
}

impl Server {
    /// A server with a fresh in-memory keyspace.
    pub fn new(host: HostConfig, config: ServerConfig) -> Result<Server, ServeError> {
        let dbs: Vec<Arc<MemoryKeyspace>> = (0..DATABASES)
            .map(|_| Arc::new(MemoryKeyspace::new()))
            .collect();
        let host = Host::with_keyspace(host, dbs[0].clone(), Arc::new(SystemClock))?;
        Ok(Server {
            inner: Arc::new_cyclic(|weak: &Weak<Inner>| Inner {
                host,
                call_options: dbs
                    .iter()
                    .enumerate()
                    .map(|(db, keyspace)| {
                        let keyspace: Arc<dyn Keyspace> = keyspace.clone();
                        let commands =
                            Arc::new(crate::calls::PluginCommands::new(weak.clone(), db));
                        // The rest stays the default as fields are added.
                        #[allow(clippy::needless_update)]
                        // A long call hands its worker's other connections to
                        // another thread.
                        [false, true].map(|read_only| {
                            CallOptions {
                                read_only,
                                keyspace: Some(keyspace.clone()),
                                commands: Some(commands.clone()),
                                ..CallOptions::default()
                            }
                            .yielding()
                        })
                    })
                    .collect(),
                dbs,
                exclusive: RwLock::new(()),
                pubsub: Mutex::new(Registry::default()),
                config,
                dispatch: RwLock::new(Arc::new(Dispatch::default())),
                generation: AtomicU64::new(0),
                origins: Mutex::new(HashMap::new()),
                disabled: Mutex::new(std::collections::HashSet::new()),
                loading: Mutex::new(()),
                next_client: AtomicU64::new(1),
                commands: AtomicU64::new(0),
                hook_calls: AtomicU64::new(0),
                stats: Mutex::new(HashMap::new()),
                started: Instant::now(),
            }),
        })
    }

    /// The plugin host.
    pub fn host(&self) -> &Host {
        &self.inner.host
    }

    /// Database 0: what clients see before `SELECT`, and the host's keyspace.
    pub fn keyspace(&self) -> &Arc<MemoryKeyspace> {
        &self.inner.dbs[0]
    }

    /// Database `index` (0 to 15).
    pub fn db(&self, index: usize) -> Option<&Arc<MemoryKeyspace>> {
        self.inner.dbs.get(index)
    }

    /// The options a plugin call from a session on database `db` runs with
    /// (its keyspace and `server.call`), for running plugins outside a
    /// session, as `cargo ferrite-plugin test` does. `None` past the last
    /// database.
    pub fn call_options(&self, db: usize, read_only: bool) -> Option<CallOptions> {
        self.inner
            .call_options
            .get(db)
            .map(|o| o[usize::from(read_only)].clone())
    }

    /// `server.call` on database `db`, as plugin calls from a session on
    /// it get it.
    #[cfg(test)]
    pub(crate) fn plugin_commands(&self, db: usize) -> crate::calls::PluginCommands {
        crate::calls::PluginCommands::new(Arc::downgrade(&self.inner), db)
    }

    /// Held shared while a batch of requests runs, exclusively while a
    /// transaction does (see [`crate::conn::feed`]).
    pub(crate) fn exclusive(&self) -> &RwLock<()> {
        &self.inner.exclusive
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    /// Loads a component (with its embedded plugin.toml). With `replace`, a
    /// loaded plugin of the same name is swapped atomically; without, it is
    /// an error. A function name another plugin already exports is refused.
    pub fn load(
        &self,
        component: &[u8],
        origin: Origin,
        replace: bool,
        grant: Grant,
    ) -> Result<Arc<Plugin>, ServeError> {
        self.load_with(component, origin, replace, grant, LoadChecks::default())
    }

    /// Loads plugin `name` again from the file it came from, with the grant
    /// it was loaded with.
    pub fn reload(&self, name: &str) -> Result<Arc<Plugin>, ServeError> {
        let Some((origin, grant)) = lock(&self.inner.origins).get(name).cloned() else {
            return Err(ServeError::Other(format!(
                "no plugin named `{name}` is loaded"
            )));
        };
        let path = match &origin {
            Origin::File(path) | Origin::Installed(path) => path.clone(),
            Origin::Loaded => {
                return Err(ServeError::Other(format!(
                    "`{name}` was loaded with FUNCTION LOAD and has no file to reload from: use FUNCTION LOAD REPLACE"
                )));
            }
        };
        let bytes = std::fs::read(&path)
            .map_err(|e| ServeError::Other(format!("cannot read `{}`: {e}", path.display())))?;
        self.load(&bytes, origin, true, grant)
    }

    /// [`Server::load`], refusing the component unless it passes `checks`
    /// (before anything is replaced).
    pub(crate) fn load_with(
        &self,
        component: &[u8],
        origin: Origin,
        replace: bool,
        grant: Grant,
        checks: LoadChecks<'_>,
    ) -> Result<Arc<Plugin>, ServeError> {
        let opts = LoadOptions {
            warm: self.inner.config.warm,
            ..LoadOptions::default()
        };
        let _serial = lock(&self.inner.loading);
        let host = &self.inner.host;
        let prepared = host.prepare(component, opts.clone())?;
        let name = prepared.name().to_string();
        if let Some(expected) = checks.name
            && expected != name
        {
            return Err(ServeError::Other(format!(
                "the component's manifest names the plugin '{name}', not '{expected}': use WASM.LOAD {name} ..."
            )));
        }
        let asked = &prepared.manifest().permissions.keys;
        if let Grant::Keys(granted) = &grant
            && asked.beyond(granted).is_some()
        {
            return Err(ServeError::NotApproved {
                plugin: name,
                asked: asked.clone(),
                granted: granted.clone(),
            });
        }
        if !replace && host.plugin(&name).is_some() {
            return Err(ServeError::Other(match checks.name {
                Some(_) => format!(
                    "plugin '{name}' is already loaded: add REPLACE to replace it (WASM.LOAD {name} module REPLACE)"
                ),
                None => format!(
                    "Library '{name}' already exists (use FUNCTION LOAD REPLACE, or PLUGIN RELOAD)"
                ),
            }));
        }
        let current = self.dispatch();
        for c in &prepared.entries().commands {
            if commands::is_reserved(&c.name) {
                return Err(ServeError::Other(format!(
                    "the plugin's command {} would replace the server's own: rename it",
                    c.name
                )));
            }
            let owner = current
                .commands
                .get(&c.name)
                .map(|(owner, ..)| owner.name())
                .or_else(|| current.disabled.get(&c.name).map(String::as_str));
            if let Some(owner) = owner
                && owner != name
            {
                return Err(ServeError::Other(format!(
                    "the command {} is already provided by plugin '{owner}'",
                    c.name,
                )));
            }
        }
        for f in prepared.functions().iter().filter(|f| f.is_function()) {
            for spelling in [&f.name, &f.wit_name] {
                let owner = current
                    .functions
                    .get(spelling.as_str())
                    .map(|(owner, ..)| owner.name())
                    .or_else(|| current.disabled.get(spelling.as_str()).map(String::as_str));
                if let Some(owner) = owner
                    && owner != name
                {
                    return Err(ServeError::Other(format!(
                        "Function {spelling} already exists in plugin '{owner}'"
                    )));
                }
            }
        }
        let plugin = host.install(component, opts)?;
        lock(&self.inner.stats).entry(name.clone()).or_default();
        lock(&self.inner.origins).insert(name.clone(), (origin, grant));
        self.rebuild_table();
        Ok(plugin)
    }

    /// Unloads plugin `name`; whether it was loaded.
    pub fn unload(&self, name: &str) -> bool {
        let _serial = lock(&self.inner.loading);
        let removed = self.inner.host.unload(name);
        lock(&self.inner.origins).remove(name);
        lock(&self.inner.disabled).remove(name);
        lock(&self.inner.stats).remove(name);
        self.rebuild_table();
        removed
    }

    /// `PLUGIN ENABLE` / `DISABLE`: whether plugin `name`'s functions,
    /// commands and hooks are dispatched. A disabled plugin stays loaded
    /// (and keeps its names: no other plugin may take them) and stays
    /// disabled across `PLUGIN RELOAD`. `false` if no such plugin is loaded.
    pub fn set_enabled(&self, name: &str, enabled: bool) -> bool {
        let _serial = lock(&self.inner.loading);
        if self.inner.host.plugin(name).is_none() {
            return false;
        }
        {
            let mut disabled = lock(&self.inner.disabled);
            if enabled {
                disabled.remove(name);
            } else {
                disabled.insert(name.to_string());
            }
        }
        self.rebuild_table();
        true
    }

    /// Whether plugin `name` is enabled (a plugin that is not loaded is not).
    pub fn is_enabled(&self, name: &str) -> bool {
        self.inner.host.plugin(name).is_some() && !lock(&self.inner.disabled).contains(name)
    }

    /// Plugin `name`'s call statistics, if it is loaded.
    pub(crate) fn stats(&self, name: &str) -> Option<Arc<PluginStats>> {
        lock(&self.inner.stats).get(name).cloned()
    }

    /// Where plugin `name` came from.
    pub fn origin(&self, name: &str) -> Option<Origin> {
        lock(&self.inner.origins).get(name).map(|(o, _)| o.clone())
    }

    fn rebuild_table(&self) {
        let mut dispatch = Dispatch::default();
        let disabled = lock(&self.inner.disabled).clone();
        let mut stats = lock(&self.inner.stats);
        for p in self.inner.host.plugins() {
            let counters = stats.entry(p.name().to_string()).or_default().clone();
            if disabled.contains(p.name()) {
                let names = p.entries().commands.iter().map(|c| c.name.clone()).chain(
                    p.functions()
                        .iter()
                        .filter(|f| f.is_function())
                        .flat_map(|f| [f.name.clone(), f.wit_name.clone()]),
                );
                for n in names {
                    dispatch.disabled.insert(n, p.name().to_string());
                }
                continue;
            }
            for c in &p.entries().commands {
                dispatch
                    .commands
                    .insert(c.name.clone(), (p.clone(), c.clone(), counters.clone()));
            }
            for h in &p.entries().hooks {
                let list = match h.event {
                    HookEvent::BeforeCommand => &mut dispatch.before,
                    HookEvent::AfterCommand => &mut dispatch.after,
                    HookEvent::OnKeyWrite => &mut dispatch.on_write,
                    HookEvent::OnEvent => &mut dispatch.on_event,
                };
                list.push((p.clone(), h.clone(), counters.clone()));
            }
            for (i, f) in p.functions().iter().enumerate() {
                if f.is_function() {
                    let entry = (p.clone(), i, counters.clone());
                    dispatch.functions.insert(f.name.clone(), entry.clone());
                    dispatch.functions.insert(f.wit_name.clone(), entry);
                }
            }
        }
        drop(stats);
        *self
            .inner
            .dispatch
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Arc::new(dispatch);
        self.inner.generation.fetch_add(1, Ordering::Release);
    }

    /// The FCALL names, custom commands and hooks now loaded.
    fn dispatch(&self) -> Arc<Dispatch> {
        read(&self.inner.dispatch).clone()
    }

    /// A new client session.
    pub fn session(&self) -> Session {
        let (inbox, messages) = unbounded_channel();
        Session {
            server: self.clone(),
            protocol: Protocol::Resp2,
            id: self.inner.next_client.fetch_add(1, Ordering::Relaxed),
            name: None,
            quit: false,
            dispatch: None,
            generation: 0,
            commands: 0,
            db: 0,
            multi: None,
            watched: Vec::new(),
            channels: BTreeSet::new(),
            patterns: BTreeSet::new(),
            inbox,
            messages,
        }
    }

    /// Accepts clients on `listener` until the task is dropped.
    pub async fn serve(&self, listener: TcpListener) -> std::io::Result<()> {
        loop {
            let (stream, _) = listener.accept().await?;
            let session = self.session();
            tokio::spawn(async move {
                if let Err(e) = crate::conn::serve(session, stream).await {
                    tracing::debug!("connection closed: {e}");
                }
            });
        }
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn read<T>(m: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(|e| e.into_inner())
}

/// What the loaded plugins add: FCALL names, custom commands (by
/// upper-case name) and hooks (by event).
#[derive(Default)]
pub(crate) struct Dispatch {
    /// FCALL name (both spellings) → the plugin, the function's index and
    /// the plugin's statistics.
    functions: HashMap<String, (Arc<Plugin>, usize, Arc<PluginStats>)>,
    commands: HashMap<String, (Arc<Plugin>, CommandEntry, Arc<PluginStats>)>,
    before: Vec<Hooked>,
    after: Vec<Hooked>,
    on_write: Vec<Hooked>,
    /// Hooks of custom events (`on_event`), run by `events.emit`.
    pub(crate) on_event: Vec<Hooked>,
    /// FCALL names and commands of disabled plugins → the plugin's name.
    disabled: HashMap<String, String>,
}

/// A hook, its plugin and the plugin's statistics.
pub(crate) type Hooked = (Arc<Plugin>, HookEntry, Arc<PluginStats>);

impl Inner {
    pub(crate) fn pubsub(&self) -> &Mutex<Registry> {
        &self.pubsub
    }

    /// The plugin host.
    pub(crate) fn host(&self) -> &Host {
        &self.host
    }

    /// What runs now.
    pub(crate) fn dispatch(&self) -> Arc<Dispatch> {
        read(&self.dispatch).clone()
    }

    /// The options of a plugin call on database `db`.
    pub(crate) fn call_options(&self, db: usize, read_only: bool) -> &CallOptions {
        &self.call_options[db][usize::from(read_only)]
    }
}

impl Dispatch {
    fn has_hooks(&self) -> bool {
        !(self.before.is_empty() && self.after.is_empty() && self.on_write.is_empty())
    }
}

/// The error for a call of a disabled plugin's function or command.
fn disabled(plugin: &str) -> Reply {
    Reply::err(format!(
        "plugin `{plugin}` is disabled (PLUGIN ENABLE {plugin} turns it back on)"
    ))
}

/// An abort message as an error reply: `ERR ` is added unless it starts
/// with an upper-case code such as `DENIED`.
fn abort_reply(message: &str) -> Reply {
    let code = message.split(' ').next().unwrap_or("");
    if code.len() > 1 && code.chars().all(|c| c.is_ascii_uppercase()) && message.contains(' ') {
        Reply::Error(message.to_string())
    } else {
        Reply::err(message)
    }
}

/// Turns a command's frames into a reply; a malformed sequence is an error.
fn frames_to_reply(frames: Vec<Frame>) -> Reply {
    fn take(it: &mut std::vec::IntoIter<Frame>, depth: usize) -> Option<Reply> {
        if depth > 64 {
            return None;
        }
        Some(match it.next()? {
            Frame::Ok => Reply::Ok,
            Frame::Simple(s) => Reply::Simple(s),
            Frame::Bulk(b) => Reply::Bulk(b),
            Frame::Integer(n) => Reply::Integer(n),
            Frame::Double(d) => Reply::Double(d),
            Frame::Null => Reply::Null,
            Frame::Error(e) => Reply::Error(e),
            Frame::Array(n) => {
                let mut items = Vec::with_capacity((n as usize).min(it.len()));
                for _ in 0..n {
                    items.push(take(it, depth + 1)?);
                }
                Reply::Array(items)
            }
        })
    }
    let mut it = frames.into_iter();
    match take(&mut it, 0) {
        Some(reply) if it.len() == 0 => reply,
        _ => {
            Reply::err("the plugin command's reply is malformed (its frames do not form one reply)")
        }
    }
}

/// A transaction being queued (after `MULTI`).
#[derive(Default)]
struct Multi {
    queue: Vec<Vec<Vec<u8>>>,
    /// A command was refused while queueing: `EXEC` discards them all.
    failed: bool,
}

/// What a request holds of the server's transaction lock while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// Shared, as every command does: transactions wait for it.
    Shared,
    /// Exclusive: the `EXEC` of a queued transaction, which runs alone.
    Alone,
    /// Nothing: `FUNCTION KILL` and `FUNCTION STATS`, which must answer
    /// while a transaction runs a long plugin call.
    Nothing,
}

/// One client's connection state.
pub struct Session {
    server: Server,
    protocol: Protocol,
    id: u64,
    name: Option<String>,
    quit: bool,
    /// This session's copy of the server's dispatch table (taken out while a
    /// command runs), and the generation it is of.
    dispatch: Option<Arc<Dispatch>>,
    generation: u64,
    /// Commands run since the last [`Session::flush_stats`].
    commands: u64,
    /// The selected database.
    db: usize,
    multi: Option<Multi>,
    /// `WATCH`ed keys: database, key, and the key's version then.
    watched: Vec<(usize, Vec<u8>, Option<u64>)>,
    channels: BTreeSet<Vec<u8>>,
    patterns: BTreeSet<Vec<u8>>,
    /// Where published messages for this session are sent, and where the
    /// connection reads them.
    inbox: Inbox,
    messages: UnboundedReceiver<Message>,
}

impl Drop for Session {
    fn drop(&mut self) {
        if !self.channels.is_empty() || !self.patterns.is_empty() {
            let mut registry = lock(&self.server.inner.pubsub);
            for c in &self.channels {
                registry.unsubscribe(c, self.id);
            }
            for p in &self.patterns {
                registry.punsubscribe(p, self.id);
            }
        }
    }
}

fn text(arg: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(arg)
}

fn len_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Session {
    /// The server this session is a client of.
    pub fn server(&self) -> &Server {
        &self.server
    }

    /// The protocol replies are encoded in.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// Whether the client asked to leave.
    pub fn quitting(&self) -> bool {
        self.quit
    }

    /// The server's bulk-length cap.
    pub fn max_bulk(&self) -> usize {
        self.server.inner.config.max_bulk
    }

    /// The server's argument-count cap.
    pub fn max_args(&self) -> usize {
        self.server.inner.config.max_args
    }

    /// Adds what this session counted to the server's statistics (`INFO`);
    /// the connection calls it once per batch of requests, not per command.
    pub fn flush_stats(&mut self) {
        if self.commands > 0 {
            let n = std::mem::take(&mut self.commands);
            self.server.inner.commands.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Runs one command (`args[0]` is its name), with the hooks around it,
    /// and appends its reply to `out`.
    pub fn execute(&mut self, args: &[&[u8]], out: &mut BytesMut) {
        self.commands += 1;
        let generation = self.server.inner.generation.load(Ordering::Acquire);
        let dispatch = match self.dispatch.take() {
            Some(d) if self.generation == generation => d,
            _ => {
                self.generation = generation;
                self.server.dispatch()
            }
        };
        if !self.intercept(&dispatch, args, out) {
            self.execute_with(&dispatch, args, out);
        }
        self.dispatch = Some(dispatch);
    }

    /// What the next request, `args`, holds of the server's transaction
    /// lock while it runs (see [`crate::conn::feed`]).
    pub fn hold(&self, args: &[&[u8]]) -> Hold {
        let name = args[0];
        if self.multi.is_some() {
            return if name.eq_ignore_ascii_case(b"EXEC") {
                Hold::Alone
            } else {
                Hold::Shared
            };
        }
        if name.len() == 8
            && args.len() == 2
            && name.eq_ignore_ascii_case(b"FUNCTION")
            && (args[1].eq_ignore_ascii_case(b"KILL") || args[1].eq_ignore_ascii_case(b"STATS"))
        {
            return Hold::Nothing;
        }
        Hold::Shared
    }

    /// The messages published to this session's channels and patterns.
    pub fn messages(&mut self) -> &mut UnboundedReceiver<Message> {
        &mut self.messages
    }

    /// Writes a published message for this client.
    pub fn deliver(&self, message: &Message, out: &mut BytesMut) {
        message.write(&mut Out::new(out, self.protocol));
    }

    /// Whether the session subscribes to any channel or pattern.
    fn subscribed(&self) -> bool {
        !self.channels.is_empty() || !self.patterns.is_empty()
    }

    /// Handles what a transaction being queued or RESP2's subscribed mode
    /// does instead of running a command; whether it did.
    fn intercept(&mut self, dispatch: &Dispatch, args: &[&[u8]], out: &mut BytesMut) -> bool {
        if self.multi.is_none() && (self.protocol == Protocol::Resp3 || !self.subscribed()) {
            return false;
        }
        let upper = Upper::new(args[0]);
        let command = commands::lookup(&upper);
        let custom = || {
            std::str::from_utf8(upper.as_bytes())
                .ok()
                .and_then(|name| dispatch.commands.get(name))
        };
        let mut o = Out::new(out, self.protocol);
        if let Some(multi) = &mut self.multi {
            if let Some(
                Cmd::Exec | Cmd::Discard | Cmd::Multi | Cmd::Watch | Cmd::Quit | Cmd::Reset,
            ) = command.map(|c| c.cmd)
            {
                return false;
            }
            let error = match (command, custom()) {
                (Some(c), _) if !c.accepts(args.len()) => Some(wrong_arity(c.name)),
                (Some(_), _) => None,
                (None, Some((_, c, _))) if !c.accepts(args.len()) => Some(wrong_arity(&c.name)),
                (None, Some(_)) => None,
                (None, None) => Some(unknown(args[0], &args[1..])),
            };
            match error {
                Some(e) => {
                    multi.failed = true;
                    o.reply(&e);
                }
                None => {
                    multi.queue.push(args.iter().map(|a| a.to_vec()).collect());
                    o.simple("QUEUED");
                }
            }
            return true;
        }
        match command.map(|c| c.cmd) {
            Some(
                Cmd::Subscribe
                | Cmd::Unsubscribe
                | Cmd::Psubscribe
                | Cmd::Punsubscribe
                | Cmd::Ping
                | Cmd::Quit
                | Cmd::Reset,
            ) => false,
            None if custom().is_none() => {
                o.reply(&unknown(args[0], &args[1..]));
                true
            }
            _ => {
                o.err(format_args!(
                    "Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
                    text(upper.as_bytes()).to_ascii_lowercase()
                ));
                true
            }
        }
    }

    /// What a plugin call from this session runs with: its database, and
    /// `server.call` on it.
    fn call_options(&self, read_only: bool) -> &CallOptions {
        &self.server.inner.call_options[self.db][usize::from(read_only)]
    }

    /// This session's database, and all of them.
    fn ctx(&self) -> Ctx<'_> {
        Ctx {
            db: &self.server.inner.dbs[self.db],
            dbs: &self.server.inner.dbs,
        }
    }

    /// `EXEC`: runs the queued commands in order (with their hooks), unless
    /// one was refused while queueing or a watched key changed.
    fn exec(&mut self, dispatch: &Dispatch, buf: &mut BytesMut) {
        let mut out = Out::new(buf, self.protocol);
        let Some(multi) = self.multi.take() else {
            return out.err("EXEC without MULTI");
        };
        let dbs = &self.server.inner.dbs;
        let changed = self
            .watched
            .iter()
            .any(|(db, key, version)| dbs[*db].version(key) != *version);
        self.watched.clear();
        if multi.failed {
            return out.error("EXECABORT Transaction discarded because of previous errors.");
        }
        if changed {
            return out.null_array();
        }
        out.array(multi.queue.len());
        for args in &multi.queue {
            let args: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
            self.execute_with(dispatch, &args, buf);
        }
    }

    /// `WATCH key ...`.
    fn watch(&mut self, keys: &[&[u8]]) -> Reply {
        if self.multi.is_some() {
            return Reply::err("WATCH inside MULTI is not allowed");
        }
        let db = &self.server.inner.dbs[self.db];
        for key in keys {
            if !self
                .watched
                .iter()
                .any(|(d, k, _)| *d == self.db && k == key)
            {
                self.watched.push((self.db, key.to_vec(), db.version(key)));
            }
        }
        Reply::Ok
    }

    /// `SUBSCRIBE` (`pattern` false) or `PSUBSCRIBE`.
    fn subscribe(&mut self, names: &[&[u8]], pattern: bool, out: &mut Out<'_>) {
        let mut registry = lock(&self.server.inner.pubsub);
        for name in names {
            let (set, kind) = if pattern {
                (&mut self.patterns, "psubscribe")
            } else {
                (&mut self.channels, "subscribe")
            };
            if set.insert(name.to_vec()) {
                if pattern {
                    registry.psubscribe(name, self.id, &self.inbox);
                } else {
                    registry.subscribe(name, self.id, &self.inbox);
                }
            }
            out.push(3);
            out.bulk(kind.as_bytes());
            out.bulk(name);
            out.integer(len_i64(self.channels.len() + self.patterns.len()));
        }
    }

    /// `UNSUBSCRIBE` (`pattern` false) or `PUNSUBSCRIBE`: the names given,
    /// or all of them.
    fn unsubscribe(&mut self, names: &[&[u8]], pattern: bool, out: &mut Out<'_>) {
        let mut registry = lock(&self.server.inner.pubsub);
        let kind: &[u8] = if pattern {
            b"punsubscribe"
        } else {
            b"unsubscribe"
        };
        let set = if pattern {
            &self.patterns
        } else {
            &self.channels
        };
        let names: Vec<Vec<u8>> = if names.is_empty() {
            set.iter().cloned().collect()
        } else {
            names.iter().map(|n| n.to_vec()).collect()
        };
        if names.is_empty() {
            out.push(3);
            out.bulk(kind);
            out.null();
            out.integer(len_i64(self.channels.len() + self.patterns.len()));
        }
        for name in names {
            let set = if pattern {
                &mut self.patterns
            } else {
                &mut self.channels
            };
            if set.remove(&name) {
                if pattern {
                    registry.punsubscribe(&name, self.id);
                } else {
                    registry.unsubscribe(&name, self.id);
                }
            }
            out.push(3);
            out.bulk(kind);
            out.bulk(&name);
            out.integer(len_i64(self.channels.len() + self.patterns.len()));
        }
    }

    /// `PUBSUB CHANNELS [pattern] | NUMSUB [channel ...] | NUMPAT`.
    fn pubsub(&self, args: &[&[u8]]) -> Reply {
        let registry = lock(&self.server.inner.pubsub);
        let sub = text(args[0]).to_ascii_uppercase();
        match (sub.as_str(), &args[1..]) {
            ("CHANNELS", [] | [_]) => Reply::Array(
                registry
                    .channels(args.get(1).copied())
                    .into_iter()
                    .map(Reply::Bulk)
                    .collect(),
            ),
            ("NUMSUB", channels) => Reply::Array(
                channels
                    .iter()
                    .flat_map(|c| {
                        [
                            Reply::Bulk(c.to_vec()),
                            Reply::Integer(len_i64(registry.numsub(c))),
                        ]
                    })
                    .collect(),
            ),
            ("NUMPAT", []) => Reply::Integer(len_i64(registry.numpat())),
            ("CHANNELS" | "NUMPAT", _) => Reply::err(format_args!(
                "unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
                text(args[0])
            )),
            _ => Reply::err(format_args!(
                "unknown subcommand '{}'. Try PUBSUB HELP.",
                text(args[0])
            )),
        }
    }

    /// `RESET`: the connection as new (no transaction, watches or
    /// subscriptions; database 0; RESP2; no name).
    fn reset(&mut self) {
        self.multi = None;
        self.watched.clear();
        let mut discarded = BytesMut::new();
        let mut none = Out::new(&mut discarded, self.protocol);
        self.unsubscribe(&[], false, &mut none);
        self.unsubscribe(&[], true, &mut none);
        self.db = 0;
        self.protocol = Protocol::Resp2;
        self.name = None;
    }

    fn execute_with(&mut self, dispatch: &Dispatch, args: &[&[u8]], out: &mut BytesMut) {
        let upper = Upper::new(args[0]);
        let command = commands::lookup(&upper);
        if !dispatch.has_hooks() || command.is_some_and(|c| !c.is_hooked()) {
            return self.run(dispatch, command, &upper, args, out);
        }
        let name = text(upper.as_bytes());
        let rest = &args[1..];
        // Where in `rest` the first key it touches is; for a command the
        // table does not know (a plugin's), its first argument.
        let key = match command {
            Some(c) => c.key_positions(args).next().map(|i| i - 1),
            None => (!rest.is_empty()).then_some(0),
        };
        for (p, h, st) in dispatch.before.iter().filter(|(_, h, _)| h.wants(&name)) {
            match self.hook(p, h, st, HookEvent::BeforeCommand, &name, rest, key) {
                Ok(HookOutcome::Continue) => {}
                Ok(HookOutcome::Abort(message)) => {
                    return Out::new(out, self.protocol).reply(&abort_reply(&message));
                }
                Err(reply) => return Out::new(out, self.protocol).reply(&reply),
            }
        }
        let mark = out.len();
        self.run(dispatch, command, &upper, args, out);
        let fail = |out: &mut BytesMut, reply: Reply, protocol| {
            // A failed hook's error replaces the command's reply.
            out.truncate(mark);
            Out::new(out, protocol).reply(&reply);
        };
        for (p, h, st) in dispatch.after.iter().filter(|(_, h, _)| h.wants(&name)) {
            if let Err(e) = self.hook(p, h, st, HookEvent::AfterCommand, &name, rest, key) {
                return fail(out, e, self.protocol);
            }
        }
        let Some(command) = command.filter(|c| c.is_write()) else {
            return;
        };
        if out.get(mark) == Some(&b'-') || dispatch.on_write.is_empty() {
            return;
        }
        for written in command.key_positions(args) {
            for (p, h, st) in dispatch.on_write.iter().filter(|(_, h, _)| h.wants(&name)) {
                let key = Some(written - 1);
                if let Err(e) = self.hook(p, h, st, HookEvent::OnKeyWrite, &name, rest, key) {
                    return fail(out, e, self.protocol);
                }
            }
        }
    }

    /// Calls one hook; a failure is the error reply for the command.
    #[allow(clippy::too_many_arguments)]
    fn hook(
        &self,
        plugin: &Arc<Plugin>,
        hook: &HookEntry,
        stats: &PluginStats,
        event: HookEvent,
        name: &str,
        args: &[&[u8]],
        key: Option<usize>,
    ) -> Result<HookOutcome, Reply> {
        self.server.inner.hook_calls.fetch_add(1, Ordering::Relaxed);
        let call = HookCall {
            event,
            command: name,
            args,
            key,
        };
        let started = crate::stats::now();
        let report =
            self.server
                .inner
                .host
                .call_hook(plugin, hook, &call, self.call_options(false));
        stats.hooks.record(started, report.result.is_err());
        log_records(plugin.name(), &report.logs);
        report.result.map_err(|e| {
            Reply::err(format!(
                "hook `{}` of plugin `{}` failed: {e}",
                hook.function,
                plugin.name()
            ))
        })
    }

    /// Runs a custom command of a plugin.
    fn custom(
        &self,
        plugin: &Arc<Plugin>,
        command: &CommandEntry,
        stats: &PluginStats,
        args: &[&[u8]],
    ) -> Reply {
        if !command.accepts(args.len()) {
            return wrong_arity(&command.name);
        }
        let started = crate::stats::now();
        let report = self.server.inner.host.call_command(
            plugin,
            command,
            &args[1..],
            self.call_options(false),
        );
        log_records(plugin.name(), &report.logs);
        let reply = match report.result {
            Ok(frames) => frames_to_reply(frames),
            Err(e) => Reply::err(e),
        };
        stats.commands.record(started, reply.is_error());
        reply
    }

    /// Runs one command without hooks.
    fn run(
        &mut self,
        dispatch: &Dispatch,
        command: Option<&'static Command>,
        upper: &Upper,
        args: &[&[u8]],
        buf: &mut BytesMut,
    ) {
        let mut out = Out::new(buf, self.protocol);
        let Some(command) = command else {
            let custom = std::str::from_utf8(upper.as_bytes())
                .ok()
                .and_then(|name| dispatch.commands.get(name));
            return match custom {
                Some((p, c, st)) => out.reply(&self.custom(p, c, st, args)),
                None => match std::str::from_utf8(upper.as_bytes())
                    .ok()
                    .and_then(|name| dispatch.disabled.get(name))
                {
                    Some(plugin) => out.reply(&disabled(plugin)),
                    None => out.reply(&unknown(args[0], &args[1..])),
                },
            };
        };
        if !command.accepts(args.len()) {
            return out.reply(&wrong_arity(command.name));
        }
        let rest = &args[1..];
        match command.cmd {
            Cmd::Fcall => self.fcall(dispatch, rest, false, &mut out),
            Cmd::FcallRo => self.fcall(dispatch, rest, true, &mut out),
            Cmd::WasmCall | Cmd::WasmCallRo => {
                let read_only = command.cmd == Cmd::WasmCallRo;
                match crate::wasm::parse_call(command.name, rest) {
                    Ok(crate::wasm::Call::Numkeys) => {
                        self.fcall(dispatch, rest, read_only, &mut out)
                    }
                    Ok(crate::wasm::Call::Words(params)) => {
                        self.call_function(dispatch, rest[0], &params, read_only, &mut out)
                    }
                    Err(e) => out.reply(&e),
                }
            }
            Cmd::Wasm => {
                let sub = &command.name["WASM.".len()..];
                out.reply(&crate::wasm::wasm(&self.server, sub, rest));
            }
            Cmd::Ping if self.protocol == Protocol::Resp2 && self.subscribed() => match rest {
                [] | [_] => {
                    out.array(2);
                    out.bulk(b"pong");
                    out.bulk(rest.first().copied().unwrap_or_default());
                }
                _ => out.reply(&wrong_arity(command.name)),
            },
            Cmd::Ping => match rest {
                [] => out.simple("PONG"),
                [msg] => out.bulk(msg),
                _ => out.reply(&wrong_arity(command.name)),
            },
            Cmd::Echo => out.bulk(rest[0]),
            Cmd::Quit => {
                self.quit = true;
                out.ok();
            }
            Cmd::Select => match types::generic::db_index(rest[0], DATABASES) {
                Ok(db) => {
                    self.db = db;
                    out.ok();
                }
                Err(e) => out.reply(&e),
            },
            Cmd::Multi if self.multi.is_some() => out.err("MULTI calls can not be nested"),
            Cmd::Multi => {
                self.multi = Some(Multi::default());
                out.ok();
            }
            Cmd::Exec => self.exec(dispatch, buf),
            Cmd::Discard => match self.multi.take() {
                Some(_) => {
                    self.watched.clear();
                    out.ok();
                }
                None => out.err("DISCARD without MULTI"),
            },
            Cmd::Watch => {
                let reply = self.watch(rest);
                out.reply(&reply);
            }
            Cmd::Unwatch => {
                self.watched.clear();
                out.ok();
            }
            Cmd::Subscribe => self.subscribe(rest, false, &mut out),
            Cmd::Psubscribe => self.subscribe(rest, true, &mut out),
            Cmd::Unsubscribe => self.unsubscribe(rest, false, &mut out),
            Cmd::Punsubscribe => self.unsubscribe(rest, true, &mut out),
            Cmd::Publish => {
                let n = lock(&self.server.inner.pubsub).publish(rest[0], rest[1]);
                out.integer(len_i64(n));
            }
            Cmd::Pubsub => out.reply(&self.pubsub(rest)),
            Cmd::Reset => {
                self.reset();
                Out::new(buf, self.protocol).simple("RESET");
            }
            Cmd::Hello => {
                let reply = self.hello(rest);
                // In the protocol HELLO chose.
                Out::new(buf, self.protocol).reply(&reply);
            }
            Cmd::Client => out.reply(&self.client(rest)),
            Cmd::Command => out.reply(&command_reply(rest)),
            Cmd::Config => out.reply(&config(rest)),
            Cmd::Info => out.bulk(self.info().as_bytes()),
            Cmd::Function => out.reply(&crate::plugins::function(&self.server, rest)),
            Cmd::Plugin => out.reply(&crate::plugins::plugin(&self.server, rest)),
            Cmd::PluginDot => {
                let mut sub = vec![&command.name.as_bytes()["PLUGIN.".len()..]];
                sub.extend_from_slice(rest);
                out.reply(&crate::plugins::plugin(&self.server, &sub));
            }
            cmd => {
                let known = types::execute(self.ctx(), cmd, rest, &mut out);
                debug_assert!(known, "{cmd:?} has no implementation");
            }
        }
    }

    /// `FCALL name numkeys key... arg...`: keys then args fill the
    /// function's parameters in order.
    fn fcall(&self, dispatch: &Dispatch, args: &[&[u8]], read_only: bool, out: &mut Out<'_>) {
        let Some(numkeys) = std::str::from_utf8(args[1])
            .ok()
            .and_then(|t| t.parse::<i64>().ok())
        else {
            return out.err("value is not an integer or out of range");
        };
        if numkeys < 0 {
            return out.err("Number of keys can't be negative");
        }
        if numkeys as usize > args.len() - 2 {
            return out.err("Number of keys can't be greater than number of args");
        }
        self.call_function(dispatch, args[0], &args[2..], read_only, out);
    }

    /// Calls function `name` with `params` (keys then args), for `FCALL`
    /// and `WASM.CALL`.
    fn call_function(
        &self,
        dispatch: &Dispatch,
        name: &[u8],
        params: &[&[u8]],
        read_only: bool,
        out: &mut Out<'_>,
    ) {
        let function = std::str::from_utf8(name)
            .ok()
            .and_then(|name| dispatch.functions.get(name));
        let Some((plugin, index, stats)) = function else {
            if let Some(plugin) = std::str::from_utf8(name)
                .ok()
                .and_then(|name| dispatch.disabled.get(name))
            {
                return out.reply(&disabled(plugin));
            }
            return out.err(format_args!(
                "Function not found: `{}` (FUNCTION LIST shows what is loaded)",
                text(name)
            ));
        };
        let opts = self.call_options(read_only);
        let started = crate::stats::now();
        let report = self
            .server
            .inner
            .host
            .call_bytes_at(plugin, *index, params, opts);
        log_records(plugin.name(), &report.logs);
        let mark = out.mark();
        match report.result {
            Ok(result) => value::write(out, result),
            Err(e) => out.err(e),
        }
        // A trap, or the function's own error result.
        stats.functions.record(started, out.is_error_at(mark));
    }

    fn hello(&mut self, args: &[&[u8]]) -> Reply {
        let mut rest = args;
        if let Some(version) = rest.first() {
            match &version[..] {
                b"2" => self.protocol = Protocol::Resp2,
                b"3" => self.protocol = Protocol::Resp3,
                _ => return Reply::Error("NOPROTO unsupported protocol version".into()),
            }
            rest = &rest[1..];
        }
        while let Some(option) = rest.first() {
            match (text(option).to_ascii_uppercase().as_str(), rest) {
                ("AUTH", [_, _, _, tail @ ..]) => rest = tail,
                ("SETNAME", [_, n, tail @ ..]) => {
                    self.name = Some(text(n).into_owned());
                    rest = tail;
                }
                _ => return Reply::err("syntax error in HELLO option"),
            }
        }
        let proto = match self.protocol {
            Protocol::Resp2 => 2,
            Protocol::Resp3 => 3,
        };
        Reply::Map(vec![
            (Reply::text("server"), Reply::text("ferrite")),
            (Reply::text("version"), Reply::text(REDIS_VERSION)),
            (Reply::text("proto"), Reply::Integer(proto)),
            (Reply::text("id"), Reply::Integer(self.id as i64)),
            (Reply::text("mode"), Reply::text("standalone")),
            (Reply::text("role"), Reply::text("master")),
            (Reply::text("modules"), Reply::Array(Vec::new())),
        ])
    }

    fn client(&mut self, args: &[&[u8]]) -> Reply {
        let Some(sub) = args.first() else {
            return wrong_arity("client");
        };
        match (text(sub).to_ascii_uppercase().as_str(), &args[1..]) {
            ("ID", []) => Reply::Integer(self.id as i64),
            ("SETNAME", [n]) => {
                self.name = Some(text(n).into_owned());
                Reply::Ok
            }
            ("GETNAME", []) => self.name.clone().map_or(Reply::Null, Reply::text),
            ("SETINFO", [_, _]) => Reply::Ok,
            ("INFO", []) => Reply::text(format!(
                "id={} name={} resp={}\n",
                self.id,
                self.name.as_deref().unwrap_or(""),
                if self.protocol == Protocol::Resp3 {
                    3
                } else {
                    2
                }
            )),
            (other, _) => Reply::err(format!(
                "unknown subcommand or wrong number of arguments for 'CLIENT|{other}'"
            )),
        }
    }

    fn info(&self) -> String {
        let inner = &self.server.inner;
        let plugins = inner.host.plugins();
        let mut s = String::new();
        s.push_str("# Server\r\n");
        s.push_str(&format!("redis_version:{REDIS_VERSION}\r\n"));
        s.push_str("redis_mode:standalone\r\n");
        s.push_str(&format!(
            "ferrite_plugin_sdk_version:{}\r\n",
            env!("CARGO_PKG_VERSION")
        ));
        s.push_str(&format!("process_id:{}\r\n", std::process::id()));
        s.push_str(&format!(
            "uptime_in_seconds:{}\r\n",
            inner.started.elapsed().as_secs()
        ));
        s.push_str("\r\n# Stats\r\n");
        s.push_str(&format!(
            "total_commands_processed:{}\r\n",
            inner.commands.load(Ordering::Relaxed)
        ));
        s.push_str(&format!(
            "hook_calls:{}\r\n",
            inner.hook_calls.load(Ordering::Relaxed)
        ));
        s.push_str("\r\n# Plugins\r\n");
        s.push_str(&format!("plugins:{}\r\n", plugins.len()));
        for p in plugins {
            s.push_str(&format!(
                "plugin_{}:version={},functions={},warm={}\r\n",
                p.name(),
                p.manifest().plugin.version,
                p.functions().iter().filter(|f| f.is_function()).count(),
                u8::from(p.is_warm())
            ));
        }
        s.push_str("\r\n# Keyspace\r\n");
        for (i, db) in inner.dbs.iter().enumerate() {
            let (keys, expires) = db.counts();
            if keys > 0 {
                s.push_str(&format!(
                    "db{i}:keys={keys},expires={expires},avg_ttl=0\r\n"
                ));
            }
        }
        s
    }
}

pub(crate) fn log_records(plugin: &str, logs: &[ferrite_plugin_host::LogRecord]) {
    for log in logs {
        tracing::info!(target: "plugin", "[{plugin}] {}", log.message);
    }
}

/// Redis's reply to an unknown command.
pub(crate) fn unknown(name: &[u8], args: &[&[u8]]) -> Reply {
    let mut shown = String::new();
    for a in args.iter().take(3) {
        let t = text(a);
        let t: String = t.chars().take(128).collect();
        shown.push_str(&format!("'{t}' "));
    }
    Reply::err(format!(
        "unknown command '{}', with args beginning with: {shown}",
        text(name).chars().take(128).collect::<String>()
    ))
}

/// `COMMAND [COUNT | LIST | INFO name ... | DOCS ...]`, from the command
/// table: each command as `[name, arity, flags, first key, last key, step,
/// ...]` (`COMMAND DOCS` is empty, which `redis-cli` accepts).
fn command_reply(args: &[&[u8]]) -> Reply {
    fn info(c: &Command) -> Reply {
        let mut flags = Vec::new();
        for (flag, name) in [
            (commands::WRITE, "write"),
            (commands::READONLY, "readonly"),
            (commands::FAST, "fast"),
        ] {
            if c.flags & flag != 0 {
                flags.push(Reply::Simple(name.into()));
            }
        }
        let (first, last, step) = match c.keys {
            commands::Keys::None => (0, 0, 0),
            commands::Keys::Range { first, last, step } => (first as i64, last as i64, step as i64),
            commands::Keys::Numkeys | commands::Keys::Wasm => {
                flags.push(Reply::Simple("movablekeys".into()));
                (0, 0, 0)
            }
        };
        Reply::Array(vec![
            Reply::text(c.name.to_ascii_lowercase()),
            Reply::Integer(i64::from(c.arity)),
            Reply::Set(flags),
            Reply::Integer(first),
            Reply::Integer(last),
            Reply::Integer(step),
            Reply::Set(Vec::new()),
            Reply::Array(Vec::new()),
            Reply::Array(Vec::new()),
            Reply::Array(Vec::new()),
        ])
    }
    match args.first().map(|a| text(a).to_ascii_uppercase()) {
        None => Reply::Array(commands::TABLE.iter().map(info).collect()),
        Some(sub) if sub == "COUNT" => Reply::Integer(len_i64(commands::TABLE.len())),
        Some(sub) if sub == "INFO" => Reply::Array(
            args[1..]
                .iter()
                .map(|name| commands::lookup(&Upper::new(name)).map_or(Reply::Null, info))
                .collect(),
        ),
        Some(sub) if sub == "DOCS" => Reply::Array(Vec::new()),
        Some(sub) if sub == "LIST" => Reply::Array(
            commands::TABLE
                .iter()
                .map(|c| Reply::text(c.name.to_ascii_lowercase()))
                .collect(),
        ),
        Some(sub) => Reply::err(format!(
            "unknown subcommand or wrong number of arguments for 'COMMAND|{sub}'"
        )),
    }
}

/// `CONFIG GET`: the read-only settings tools ask for (`redis-benchmark`
/// reads `save` and `appendonly` at start): nothing is persisted.
fn config(args: &[&[u8]]) -> Reply {
    const SETTINGS: &[(&str, &str)] = &[("appendonly", "no"), ("databases", "16"), ("save", "")];
    match args.first().map(|a| text(a).to_ascii_uppercase()) {
        Some(sub) if sub == "GET" => Reply::Map(
            SETTINGS
                .iter()
                .filter(|(name, _)| {
                    args[1..]
                        .iter()
                        .any(|p| types::glob_match(&p.to_ascii_lowercase(), name.as_bytes()))
                })
                .map(|(name, value)| (Reply::text(*name), Reply::text(*value)))
                .collect(),
        ),
        Some(sub) if sub == "SET" || sub == "RESETSTAT" => Reply::Ok,
        _ => Reply::err("unknown subcommand for 'CONFIG'"),
    }
}
