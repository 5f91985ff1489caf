//! [`TypedFunction`]: calls with Rust values, checked once against the export.

use std::marker::PhantomData;
use std::sync::Arc;

use wasmtime::component::{ComponentNamedList, Lift, Lower};

use crate::call::{CallOptions, classify};
use crate::error::CallError;
use crate::host::Host;
use crate::plugin::Plugin;

/// A plugin function with a fixed Rust signature: `P` is the tuple of
/// parameters, `R` the tuple of results (`(bool,)`, or `()` for none).
///
/// ```no_run
/// # use ferrite_plugin_host::{Host, HostConfig, LoadOptions};
/// # let host = Host::new(HostConfig::default())?;
/// # host.load(&std::fs::read("validate_email.wasm")?, LoadOptions::default())?;
/// let validate = host.typed::<(&str,), (bool,)>("validate_email", "validate_email")?;
/// assert_eq!(validate.call(("a@b.co",))?, (true,));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct TypedFunction<P, R> {
    host: Host,
    plugin: Arc<Plugin>,
    index: usize,
    _types: PhantomData<fn(P) -> R>,
}

impl<P, R> TypedFunction<P, R>
where
    P: ComponentNamedList + Lower + Send + Sync,
    R: ComponentNamedList + Lift + Send + Sync,
{
    pub(crate) fn new(host: Host, plugin: Arc<Plugin>, index: usize) -> Result<Self, CallError> {
        let f = Self {
            host,
            plugin,
            index,
            _types: PhantomData,
        };
        // Check the types once, on a real instance.
        let name = &f.plugin.functions()[index].name;
        let (checked, ..) =
            f.host
                .with_instance(&f.plugin, index, &CallOptions::default(), |store, func| {
                    func.typed::<P, R>(&*store).map(drop).map_err(|e| {
                        CallError::Host(format!("`{name}` does not have that signature: {e}"))
                    })
                });
        checked.map(|()| f)
    }

    /// Calls it with the default options.
    pub fn call(&self, params: P) -> Result<R, CallError> {
        self.call_with(params, &CallOptions::default())
    }

    /// Calls it with `opts`.
    pub fn call_with(&self, params: P, opts: &CallOptions) -> Result<R, CallError> {
        let name = &self.plugin.functions()[self.index].name;
        let (result, ..) =
            self.host
                .with_instance(&self.plugin, self.index, opts, |store, func| {
                    // SAFETY: `new` checked `P` and `R` against this export's type, and
                    // every instance of the plugin has the same export types.
                    let typed =
                        unsafe { wasmtime::component::TypedFunc::<P, R>::new_unchecked(func) };
                    typed
                        .call(&mut *store, params)
                        .map_err(|e| classify(e, name, &self.plugin, store.data()))
                });
        result
    }
}
