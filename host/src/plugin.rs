//! [`Plugin`]: a checked, compiled plugin and its exported functions.

use std::sync::Arc;
use std::sync::atomic::{AtomicPtr, Ordering};

use wasmtime::component::{Component, ComponentExportIndex, Func, Instance, InstancePre, Type};
use wasmtime::{Engine, Store};

use crate::cache::CacheOutcome;
use crate::check::{self, Surface};
use crate::config::EffectiveLimits;
use crate::error::{CallError, LoadError};
use crate::fast::Shape;
use crate::fxhash::FxHashMap;
use crate::manifest::{self, Manifest};
use crate::state::{CallState, Grants};
use crate::wit_text;

/// An exported function: its names and signature.
#[derive(Debug, Clone)]
pub struct FunctionInfo {
    /// The name users call it by (`validate_email`).
    pub name: String,
    /// Its WIT name (`validate-email`).
    pub wit_name: String,
    /// The exported interface it belongs to (a plugin for another host's
    /// world: `artifact-keeper:format/handler@1.0.0`), or `None` for a
    /// function of the world itself.
    pub interface: Option<String>,
    /// Parameters: name, type, and type as WIT text.
    pub params: Vec<(String, Type, String)>,
    /// The result type, if any, and as WIT text.
    pub result: Option<(Type, String)>,
    pub(crate) index: ComponentExportIndex,
    pub(crate) shape: Shape,
}

impl FunctionInfo {
    /// `name: type` for each parameter.
    pub fn param_list(&self) -> Vec<String> {
        self.params
            .iter()
            .map(|(n, _, t)| format!("{n}: {t}"))
            .collect()
    }

    /// Whether this is a `#[ferrite_plugin::test]` entry point.
    pub fn is_test(&self) -> bool {
        check::is_test_export(&self.wit_name)
    }

    /// Whether this is a plain function (what FCALL calls): not a test, a
    /// command or a hook.
    pub fn is_function(&self) -> bool {
        !self.is_test() && !crate::entries::is_entry_export(&self.wit_name)
    }
}

/// An instance with the exports it has been asked for so far.
pub(crate) struct Live {
    pub(crate) store: Store<CallState>,
    pub(crate) instance: Instance,
    funcs: Vec<Option<Func>>,
}

impl Live {
    pub(crate) fn new(store: Store<CallState>, instance: Instance, functions: usize) -> Live {
        Live {
            store,
            instance,
            funcs: vec![None; functions],
        }
    }

    /// Export `index` of `plugin`, looked up once per instance.
    pub(crate) fn func(&mut self, plugin: &Plugin, index: usize) -> Result<Func, CallError> {
        if let Some(f) = self.funcs[index] {
            return Ok(f);
        }
        let info = &plugin.functions[index];
        let f = self
            .instance
            .get_func(&mut self.store, info.index)
            .ok_or_else(|| CallError::Host(format!("export `{}` vanished", info.wit_name)))?;
        self.funcs[index] = Some(f);
        Ok(f)
    }
}

/// Idle warm instances, in a fixed number of lock-free slots: taking and
/// returning an instance is one atomic operation each, not a mutex.
pub(crate) struct Idle {
    slots: Box<[AtomicPtr<Live>]>,
}

const _: () = {
    // The slots move instances between threads.
    const fn send<T: Send>() {}
    send::<Live>();
};

impl Idle {
    pub(crate) fn new(slots: usize) -> Idle {
        Idle {
            slots: (0..slots.max(1))
                .map(|_| AtomicPtr::new(std::ptr::null_mut()))
                .collect(),
        }
    }

    /// An idle instance, if any.
    pub(crate) fn take(&self) -> Option<Box<Live>> {
        self.slots.iter().find_map(|slot| {
            let p = slot.swap(std::ptr::null_mut(), Ordering::Acquire);
            // SAFETY: a non-null slot holds a `Box` that `put` leaked, and the
            // swap made this thread its only owner.
            (!p.is_null()).then(|| unsafe { Box::from_raw(p) })
        })
    }

    /// Keeps `live` for a later call; drops it when every slot is taken.
    pub(crate) fn put(&self, live: Box<Live>) {
        let p = Box::into_raw(live);
        for slot in self.slots.iter() {
            if slot
                .compare_exchange(
                    std::ptr::null_mut(),
                    p,
                    Ordering::Release,
                    Ordering::Relaxed,
                )
                .is_ok()
            {
                return;
            }
        }
        // SAFETY: no slot took `p`; it is still ours.
        drop(unsafe { Box::from_raw(p) });
    }
}

impl Drop for Idle {
    fn drop(&mut self) {
        while self.take().is_some() {}
    }
}

/// A loaded plugin. Shared through `Arc`: a reload replaces the `Arc` in the
/// host while calls in flight keep the old one.
pub struct Plugin {
    pub(crate) manifest: Manifest,
    pub(crate) sha256: String,
    pub(crate) component: Component,
    pub(crate) pre: InstancePre<CallState>,
    pub(crate) limits: EffectiveLimits,
    /// `limits.timeout` in epoch ticks, worked out once.
    pub(crate) deadline_ticks: Option<u64>,
    pub(crate) functions: Vec<FunctionInfo>,
    /// Each function's entry signature, for commands and hooks.
    pub(crate) entry_abi: Vec<crate::dispatch::EntryAbi>,
    /// Function index by either spelling of its name.
    pub(crate) by_name: FxHashMap<String, usize>,
    pub(crate) grants: Arc<Grants>,
    pub(crate) surface: Surface,
    /// In warm mode, the idle instances.
    pub(crate) warm: Option<Idle>,
    pub(crate) cache: Option<CacheOutcome>,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("name", &self.manifest.plugin.name)
            .field("version", &self.manifest.plugin.version.to_string())
            .field("sha256", &self.sha256)
            .finish_non_exhaustive()
    }
}

impl Plugin {
    /// Its name.
    pub fn name(&self) -> &str {
        &self.manifest.plugin.name
    }
    /// Its compiled component (e.g. to serialize it).
    pub fn component(&self) -> &Component {
        &self.component
    }
    /// Its checked manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }
    /// The SHA-256 of its component, in hex.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }
    /// The limits its calls run under.
    pub fn limits(&self) -> EffectiveLimits {
        self.limits
    }
    /// Its exported functions (tests included), by user name.
    pub fn functions(&self) -> &[FunctionInfo] {
        &self.functions
    }
    /// Its imports and exports as decoded from the component.
    pub fn surface(&self) -> &Surface {
        &self.surface
    }
    /// Whether it reuses instances across calls. A warm plugin keeps its
    /// linear memory (globals, heap) from one call to the next; an instance is
    /// discarded after any trap or limit breach.
    pub fn is_warm(&self) -> bool {
        self.warm.is_some()
    }
    /// Whether its compiled code came from the cache.
    pub fn cache_outcome(&self) -> Option<CacheOutcome> {
        self.cache
    }
    /// The function called `name` (either spelling).
    pub fn function(&self, name: &str) -> Option<&FunctionInfo> {
        self.by_name.get(name).map(|&i| &self.functions[i])
    }

    /// The position of function `name` (either spelling) in
    /// [`Plugin::functions`], for [`Host::call_bytes_at`](crate::Host::call_bytes_at).
    pub fn function_index(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// The index of function `name` (either spelling), or the error listing
    /// what the plugin does export.
    pub(crate) fn index_of(&self, name: &str) -> Result<usize, CallError> {
        self.by_name
            .get(name)
            .copied()
            .ok_or_else(|| CallError::NoSuchFunction {
                plugin: self.name().to_string(),
                function: name.to_string(),
                available: self
                    .functions
                    .iter()
                    .filter(|f| f.is_function())
                    .map(|f| f.name.clone())
                    .collect(),
            })
    }
}

/// The exported functions of a compiled component, those of its exported
/// interfaces included, sorted by name.
pub(crate) fn functions(
    engine: &Engine,
    component: &Component,
    surface: &Surface,
) -> Result<Vec<FunctionInfo>, LoadError> {
    use wasmtime::component::types::ComponentItem;
    let mut out = Vec::new();
    let mut add = |interface: Option<&str>,
                   name: &str,
                   f: &wasmtime::component::types::ComponentFunc|
     -> Result<(), LoadError> {
        let instance = match interface {
            None => None,
            Some(i) => Some(
                component
                    .get_export_index(None, i)
                    .ok_or_else(|| LoadError::Compile(format!("export `{i}` has no index")))?,
            ),
        };
        let index = component
            .get_export_index(instance.as_ref(), name)
            .ok_or_else(|| LoadError::Compile(format!("export `{name}` has no index")))?;
        let wit = wit_text::function(&surface.resolve, surface.world, interface, name);
        let types: Vec<Type> = f.params().map(|(_, t)| t).collect();
        let result_type = f.results().next();
        let shape = Shape::of(&types, result_type.as_ref());
        let params = f
            .params()
            .enumerate()
            .map(|(i, (n, t))| {
                let text = wit
                    .as_ref()
                    .and_then(|w| w.0.get(i).cloned())
                    .unwrap_or_else(|| wit_text::of_type(&t));
                (n.to_string(), t, text)
            })
            .collect();
        let result = result_type.map(|t| {
            let text = wit
                .as_ref()
                .and_then(|w| w.1.clone())
                .unwrap_or_else(|| wit_text::of_type(&t));
            (t, text)
        });
        out.push(FunctionInfo {
            name: manifest::user_name(name),
            wit_name: name.to_string(),
            interface: interface.map(str::to_string),
            params,
            result,
            index,
            shape,
        });
        Ok(())
    };
    for (name, item) in component.component_type().exports(engine) {
        match item.ty {
            ComponentItem::ComponentFunc(f) => add(None, name, &f)?,
            ComponentItem::ComponentInstance(instance) => {
                for (fname, item) in instance.exports(engine) {
                    if let ComponentItem::ComponentFunc(f) = item.ty {
                        add(Some(name), fname, &f)?;
                    }
                }
            }
            _ => {}
        }
    }
    out.sort_by(|a, b| (&a.name, &a.interface).cmp(&(&b.name, &b.interface)));
    Ok(out)
}

/// The short name of an exported interface: `handler` for
/// `artifact-keeper:format/handler@1.0.0`.
pub fn interface_short_name(interface: &str) -> &str {
    let path = interface.split_once('@').map_or(interface, |(p, _)| p);
    path.rsplit_once('/').map_or(path, |(_, n)| n)
}

/// Function indices by every name it may be called by: both spellings of
/// its name — for a function of an exported interface only when no other
/// export has that name — and, in an interface, `handler.format-key`,
/// `handler.format_key` and `artifact-keeper:format/handler@1.0.0#format-key`.
pub(crate) fn by_name(functions: &[FunctionInfo]) -> FxHashMap<String, usize> {
    let mut names: FxHashMap<String, usize> = FxHashMap::default();
    let mut ambiguous = Vec::new();
    for (i, f) in functions.iter().enumerate() {
        if let Some(interface) = &f.interface {
            let short = interface_short_name(interface);
            for n in [
                format!("{short}.{}", f.wit_name),
                format!("{short}.{}", f.name),
                format!("{interface}#{}", f.wit_name),
            ] {
                names.insert(n, i);
            }
        }
        for n in [&f.name, &f.wit_name] {
            if let Some(&other) = names.get(n.as_str())
                && other != i
                && (f.interface.is_some() || functions[other].interface.is_some())
            {
                ambiguous.push(n.clone());
            }
            names.entry(n.clone()).or_insert(i);
        }
    }
    for n in ambiguous {
        names.remove(&n);
    }
    names
}
