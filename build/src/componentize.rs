//! Core module → component: the step `build` adds after `cargo build`.
//!
//! 1. Take the `ferrite-plugin` custom section out of the core module and
//!    decode its entries (one per annotated function).
//! 2. Write the plugin's WIT world from them ([`crate::witgen`]) and resolve it
//!    together with the `ferrite:plugin` package.
//! 3. Embed the world in the module and encode the component with
//!    wit-component, which checks every export's core signature against it.
//! 4. Validate the component, embed the checked `plugin.toml`, and print its WIT
//!    from the component itself, with the docs the macros collected.

use std::borrow::Cow;

use anyhow::{Context, Result, bail};
use ferrite_plugin_host::entries::{CommandEntry, ENTRIES_SECTION, Entries, HookEntry, HookEvent};
use ferrite_plugin_host::manifest::Manifest;
use ferrite_plugin_host::{ApiVersion, MANIFEST_SECTION};
use wit_parser::{Resolve, WorldItem, WorldKey};

use crate::meta::{self, Export, ExportKind};
use crate::witgen;

/// The `ferrite:plugin` WIT package this crate builds against by default.
pub const HOST_WIT: &str = include_str!("../../wit/plugin.wit");
/// The frozen host API 0.1.0, for `--ferrite-version 0.2.0`.
pub const HOST_WIT_0_1: &str = include_str!("../../wit/0.1.0/plugin.wit");

/// The WIT of a version of the host API.
pub fn host_wit(api: ApiVersion) -> &'static str {
    match api {
        ApiVersion::V0_1 => HOST_WIT_0_1,
        ApiVersion::V0_2 => HOST_WIT,
    }
}

/// A componentized plugin.
pub struct Component {
    /// The component's bytes.
    pub bytes: Vec<u8>,
    /// What the macros described, in export order.
    pub exports: Vec<Export>,
    /// The component's WIT, printed from the component.
    pub wit: String,
}

/// A section of a wasm binary.
struct RawSection {
    id: u8,
    /// The name of a custom section.
    name: Option<String>,
    /// The whole section, header included.
    range: std::ops::Range<usize>,
    /// The contents (of a custom section: after its name).
    payload: std::ops::Range<usize>,
}

/// The sections of a wasm binary, checked to lie within it.
fn sections(wasm: &[u8]) -> Result<Vec<RawSection>> {
    fn leb(wasm: &[u8], pos: &mut usize) -> Result<usize> {
        let mut value = 0usize;
        for shift in (0..35).step_by(7) {
            let Some(&b) = wasm.get(*pos) else {
                bail!("truncated module")
            };
            *pos += 1;
            value |= ((b & 0x7f) as usize) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        bail!("malformed module: bad LEB128")
    }
    if wasm.len() < 8 || &wasm[..4] != b"\0asm" {
        bail!("not a WebAssembly module");
    }
    let mut out = Vec::new();
    let mut pos = 8;
    while pos < wasm.len() {
        let start = pos;
        let id = wasm[pos];
        pos += 1;
        let size = leb(wasm, &mut pos)?;
        let body = pos;
        let end = body.checked_add(size).filter(|&e| e <= wasm.len());
        let Some(end) = end else {
            bail!("truncated module")
        };
        let (name, payload) = if id == 0 {
            let mut p = body;
            let n = leb(wasm, &mut p)?;
            let name = wasm
                .get(p..p + n)
                .filter(|_| p + n <= end)
                .context("truncated custom section")?;
            (Some(String::from_utf8_lossy(name).into_owned()), p + n..end)
        } else {
            (None, body..end)
        };
        out.push(RawSection {
            id,
            name,
            range: start..end,
            payload,
        });
        pos = end;
    }
    Ok(out)
}

/// Splits the metadata section out of a core module: (module without it, entries).
pub fn split_metadata(core: &[u8]) -> Result<(Vec<u8>, Vec<Export>)> {
    let sections = sections(core)?;
    let mut module = core[..8].to_vec();
    let mut data = Vec::new();
    for s in sections {
        if s.id == 0 && s.name.as_deref() == Some(meta::SECTION) {
            data.extend_from_slice(&core[s.payload]);
        } else {
            module.extend_from_slice(&core[s.range]);
        }
    }
    let exports = meta::decode(&data).context("the plugin's metadata is malformed")?;
    Ok((module, exports))
}

/// Turns the core module `core` of the plugin described by `manifest` into a
/// component. With `tests`, the `#[ferrite_plugin::test]` entry points are kept.
pub fn componentize(
    core: &[u8],
    manifest: &Manifest,
    tests: bool,
    api: ApiVersion,
) -> Result<Component> {
    let (mut module, mut exports) = split_metadata(core)?;
    if !tests {
        exports.retain(|e| e.kind != ExportKind::Test);
    }
    if let Some(e) = exports.iter().find(|e| e.attr("interface").is_some()) {
        bail!(
            "`{}` says `interface = \"{}\"`, which is for plugins of another host's world: add its `[world]` to plugin.toml, or remove the option",
            e.rust_path,
            e.attr("interface").unwrap_or_default()
        );
    }
    // The linker orders the entries as it likes; the component should not.
    exports.sort_by(|a, b| a.wit_name.cmp(&b.wit_name));
    if !tests && exports.iter().all(|e| e.kind == ExportKind::Test) {
        bail!(
            "`{}` exports nothing: annotate at least one function with `#[ferrite_plugin::function]`, `#[ferrite_plugin::command]` or `#[ferrite_plugin::hook]`",
            manifest.plugin.name
        );
    }
    let world_src = witgen::world(
        &manifest.plugin.name,
        &manifest.plugin.version,
        &exports,
        api,
    )?;

    let mut resolve = Resolve::default();
    resolve
        .push_str("ferrite-plugin.wit", host_wit(api))
        .context("the built-in `ferrite:plugin` WIT")?;
    let pkg = resolve
        .push_str("plugin.wit", &world_src)
        .with_context(|| format!("the generated world does not resolve:\n{world_src}"))?;
    let world = resolve.select_world(&[pkg], None)?;

    wit_component::embed_component_metadata(
        &mut module,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
    )?;
    let mut bytes = wit_component::ComponentEncoder::default()
        .validate(true)
        .module(&module)?
        .encode()
        .with_context(|| {
            "the module does not match the world derived from it; are the `ferrite-plugin` crate and cargo-ferrite-plugin the same version?"
        })?;

    let entries = entries(&exports)?;
    if api < ApiVersion::V0_2
        && let Some(h) = entries.hooks.iter().find(|h| h.event == HookEvent::OnEvent)
    {
        bail!(
            "`{}` is an `on_event` hook: custom events need host API 0.2.0 (Ferrite 0.3), and this build is for host API {api}",
            h.function
        );
    }
    if !entries.is_empty() {
        append_section(&mut bytes, ENTRIES_SECTION, entries.to_text().into_bytes());
    }
    append_section(
        &mut bytes,
        MANIFEST_SECTION,
        manifest.to_toml().into_bytes(),
    );

    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(&bytes)
        .context("the component does not validate")?;

    let wit = print_wit(&bytes, manifest, &exports)?;
    Ok(Component {
        bytes,
        exports,
        wit,
    })
}

/// [`componentize`] for a plugin of another host's world (`[world]` in its
/// plugin.toml), whose WIT is in `crate_dir`: see [`crate::world`].
pub fn componentize_world(
    core: &[u8],
    manifest: &Manifest,
    crate_dir: &std::path::Path,
    tests: bool,
) -> Result<Component> {
    let spec = manifest
        .world
        .as_ref()
        .context("the plugin targets no `[world]`")?;
    let (module, mut exports) = split_metadata(core)?;
    if !tests {
        exports.retain(|e| e.kind != ExportKind::Test);
    }
    exports.sort_by(|a, b| a.wit_name.cmp(&b.wit_name));
    let mut target = crate::world::load(crate_dir, spec)?;
    let plan = crate::world::plan(&target, &exports, &spec.name)?;
    let module = crate::world::rename_exports(&module, &target, &exports, &plan)?;
    let world = if tests {
        let entries: Vec<&Export> = exports
            .iter()
            .filter(|e| e.kind == ExportKind::Test)
            .collect();
        let src = crate::world::test_world(&target, &spec.name, &entries)?;
        let has_host = target
            .resolve
            .package_names
            .keys()
            .any(|n| n.namespace == "ferrite" && n.name == "plugin");
        if !has_host {
            target
                .resolve
                .push_str("ferrite-plugin.wit", HOST_WIT)
                .context("the built-in `ferrite:plugin` WIT")?;
        }
        let pkg = target
            .resolve
            .push_str("tests.wit", &src)
            .with_context(|| format!("the test world does not resolve:\n{src}"))?;
        target.resolve.select_world(&[pkg], Some("tests"))?
    } else {
        let stray = crate::world::stray_imports(&module, &target)?;
        if !stray.is_empty() {
            let list: Vec<String> = stray
                .iter()
                .map(|(m, f)| format!("`{m}` (`{f}`)"))
                .collect();
            bail!(
                "the plugin calls {}, which the world `{}` does not import: a plugin for another host's world may use only what that world imports (remove those calls, e.g. `log::...`, or import the interface in the world)",
                list.join(", "),
                spec.name
            );
        }
        target.world
    };
    let mut module = module;
    wit_component::embed_component_metadata(
        &mut module,
        &target.resolve,
        world,
        wit_component::StringEncoding::UTF8,
    )?;
    let mut bytes = wit_component::ComponentEncoder::default()
        .validate(true)
        .module(&module)?
        .encode()
        .with_context(|| {
            format!(
                "the module does not match the world `{}`; are the `ferrite-plugin` crate and cargo-ferrite-plugin the same version?",
                spec.name
            )
        })?;
    append_section(
        &mut bytes,
        MANIFEST_SECTION,
        manifest.to_toml().into_bytes(),
    );
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(&bytes)
        .context("the component does not validate")?;
    let wit = print_world_wit(&bytes, &target, &spec.name)?;
    Ok(Component {
        bytes,
        exports,
        wit,
    })
}

/// Prints the WIT of a built plugin of another host's world: its world,
/// named as the target world is, in the target's package.
pub fn print_world_wit(
    component: &[u8],
    target: &crate::world::Target,
    world_name: &str,
) -> Result<String> {
    let decoded = wit_parser::decoding::decode(component)?;
    let wit_parser::decoding::DecodedWasm::Component(mut resolve, world) = decoded else {
        bail!("not a component");
    };
    let target_world = &target.resolve.worlds[target.world];
    let target_pkg = target_world
        .package
        .map(|p| target.resolve.packages[p].name.clone())
        .with_context(|| format!("the world `{world_name}` has no package"))?;
    let pkg_id = resolve.worlds[world]
        .package
        .context("decoded world has a package")?;
    // The decoded world's package is a stand-in; give it the target's name
    // unless the decoded interfaces already live in a package of that name.
    let existing = resolve
        .packages
        .iter()
        .find(|(id, p)| *id != pkg_id && p.name == target_pkg)
        .map(|(id, _)| id);
    let pkg_id = match existing {
        Some(existing) => {
            let name = std::mem::take(&mut resolve.worlds[world].name);
            resolve.packages[pkg_id].worlds.shift_remove(&name);
            resolve.worlds[world].package = Some(existing);
            resolve.worlds[world].name = target_world.name.clone();
            resolve.packages[existing]
                .worlds
                .insert(target_world.name.clone(), world);
            existing
        }
        None => {
            resolve.packages[pkg_id].name = target_pkg;
            let old = std::mem::replace(&mut resolve.worlds[world].name, target_world.name.clone());
            let worlds = &mut resolve.packages[pkg_id].worlds;
            if let Some(index) = worlds.get_index_of(&old) {
                worlds.shift_remove(&old);
                worlds.shift_insert(index, target_world.name.clone(), world);
            }
            pkg_id
        }
    };
    resolve.worlds[world].docs = target_world.docs.clone();
    attach_docs_from(&mut resolve, &target.resolve);
    for (_, src_pkg) in target.resolve.packages.iter() {
        if let Some(&pkg) = resolve.package_names.get(&src_pkg.name) {
            resolve.packages[pkg].docs = src_pkg.docs.clone();
        }
    }
    let mut printer = wit_component::WitPrinter::default();
    // Other packages the world uses, printed after it; not the decoder's
    // empty stand-in.
    let nested: Vec<_> = resolve
        .packages
        .iter()
        .filter(|(id, p)| *id != pkg_id && !(p.interfaces.is_empty() && p.worlds.is_empty()))
        .map(|(id, _)| id)
        .collect();
    printer.print(&resolve, pkg_id, &nested)?;
    Ok(printer.output.to_string())
}

/// Copies the docs of every interface, type and function of `src`'s
/// packages onto `resolve`'s copies of the same packages, which a decoded
/// component has without docs (the packages' own docs are the caller's
/// choice).
fn attach_docs_from(resolve: &mut Resolve, src: &Resolve) {
    for (_, src_pkg) in src.packages.iter() {
        let Some(&pkg) = resolve.package_names.get(&src_pkg.name) else {
            continue;
        };
        let ifaces: Vec<_> = resolve.packages[pkg]
            .interfaces
            .iter()
            .map(|(n, id)| (n.clone(), *id))
            .collect();
        for (name, id) in ifaces {
            let Some(&src_id) = src_pkg.interfaces.get(&name) else {
                continue;
            };
            let s = &src.interfaces[src_id];
            resolve.interfaces[id].docs = s.docs.clone();
            for (fname, f) in resolve.interfaces[id].functions.iter_mut() {
                if let Some(sf) = s.functions.get(fname) {
                    f.docs = sf.docs.clone();
                }
            }
            let types: Vec<_> = resolve.interfaces[id]
                .types
                .iter()
                .map(|(n, t)| (n.clone(), *t))
                .collect();
            for (tname, tid) in types {
                let Some(&sid) = s.types.get(&tname) else {
                    continue;
                };
                let st = &src.types[sid];
                let t = &mut resolve.types[tid];
                t.docs = st.docs.clone();
                match (&mut t.kind, &st.kind) {
                    (wit_parser::TypeDefKind::Record(r), wit_parser::TypeDefKind::Record(sr)) => {
                        for (f, sf) in r.fields.iter_mut().zip(&sr.fields) {
                            f.docs = sf.docs.clone();
                        }
                    }
                    (wit_parser::TypeDefKind::Variant(v), wit_parser::TypeDefKind::Variant(sv)) => {
                        for (c, sc) in v.cases.iter_mut().zip(&sv.cases) {
                            c.docs = sc.docs.clone();
                        }
                    }
                    (wit_parser::TypeDefKind::Enum(e), wit_parser::TypeDefKind::Enum(se)) => {
                        for (c, sc) in e.cases.iter_mut().zip(&se.cases) {
                            c.docs = sc.docs.clone();
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

/// The commands and hooks among `exports`, from the options the macros
/// recorded.
fn entries(exports: &[Export]) -> Result<Entries> {
    let mut out = Entries::default();
    for e in exports {
        let attr = |key: &str| {
            e.attr(key).with_context(|| {
                format!("the metadata of `{}` lacks `{key}`: are the `ferrite-plugin` crate and cargo-ferrite-plugin the same version?", e.wit_name)
            })
        };
        match e.kind {
            ExportKind::Command => {
                let name = attr("command")?.to_string();
                if let Some(other) = out.commands.iter().find(|c| c.name == name) {
                    bail!(
                        "two functions implement the command `{name}` (`{}` and `{}`): rename one",
                        user_name(&other.export),
                        attr("function")?
                    );
                }
                out.commands.push(CommandEntry {
                    name,
                    arity: attr("arity")?.parse().context("a command's arity")?,
                    export: e.wit_name.clone(),
                });
            }
            ExportKind::Hook => out.hooks.push(HookEntry {
                function: attr("function")?.to_string(),
                event: HookEvent::parse(attr("event")?)
                    .with_context(|| format!("`{}` has an unknown event", e.wit_name))?,
                commands: attr("commands")?
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .map(str::to_string)
                    .collect(),
                export: e.wit_name.clone(),
            }),
            ExportKind::Function | ExportKind::Test => {}
        }
    }
    Ok(out)
}

fn user_name(export: &str) -> String {
    export
        .strip_prefix(ferrite_plugin_host::entries::COMMAND_PREFIX)
        .unwrap_or(export)
        .replace('-', "_")
}

/// Prints the WIT of a built component, with the docs the macros collected
/// attached to its exports and types by name.
pub fn print_wit(component: &[u8], manifest: &Manifest, exports: &[Export]) -> Result<String> {
    let decoded = wit_parser::decoding::decode(component)?;
    let wit_parser::decoding::DecodedWasm::Component(mut resolve, world) = decoded else {
        bail!("not a component");
    };
    let name = witgen::world_name(&manifest.plugin.name);
    let pkg_id = resolve.worlds[world]
        .package
        .context("decoded world has a package")?;
    resolve.packages[pkg_id].name = wit_parser::PackageName {
        namespace: "plugin".into(),
        name: name.clone(),
        version: Some(manifest.plugin.version.clone()),
    };
    let old = std::mem::replace(&mut resolve.worlds[world].name, name.clone());
    let worlds = &mut resolve.packages[pkg_id].worlds;
    if let Some(index) = worlds.get_index_of(&old) {
        worlds.shift_remove(&old);
        worlds.shift_insert(index, name, world);
    }
    let w = &mut resolve.worlds[world];
    for (key, item) in w.exports.iter_mut() {
        if let (WorldKey::Name(n), WorldItem::Function(f)) = (key, item)
            && let Some(e) = exports.iter().find(|e| e.wit_name == *n)
            && !e.docs.is_empty()
        {
            f.docs.contents = Some(e.docs.clone());
        }
    }
    attach_type_docs(&mut resolve, world, exports);
    attach_host_docs(&mut resolve)?;
    let mut printer = wit_component::WitPrinter::default();
    let nested: Vec<_> = resolve
        .packages
        .iter()
        .map(|(id, _)| id)
        .filter(|id| *id != pkg_id)
        .collect();
    printer.print(&resolve, pkg_id, &nested)?;
    Ok(printer.output.to_string())
}

/// Copies the docs of the `ferrite:plugin` package's interfaces, types and
/// functions from its WIT source onto the decoded component's copies.
fn attach_host_docs(resolve: &mut Resolve) -> Result<()> {
    for api in ApiVersion::ALL {
        attach_docs_of(resolve, host_wit(api))?;
    }
    Ok(())
}

/// [`attach_host_docs`] for one version of the package.
fn attach_docs_of(resolve: &mut Resolve, wit: &str) -> Result<()> {
    let mut host = Resolve::default();
    host.push_str("ferrite-plugin.wit", wit)?;
    attach_docs_from(resolve, &host);
    Ok(())
}

/// Copies the docs of records, enums and variants (and their fields and cases)
/// onto the decoded world's types of the same name.
fn attach_type_docs(resolve: &mut Resolve, world: wit_parser::WorldId, exports: &[Export]) {
    let mut defs = Vec::new();
    fn collect(t: &meta::Ty, out: &mut Vec<std::rc::Rc<meta::TypeDef>>) {
        match t {
            meta::Ty::List(t) | meta::Ty::Option(t) => collect(t, out),
            meta::Ty::Result(a, b) => a.iter().chain(b).for_each(|t| collect(t, out)),
            meta::Ty::Tuple(ts) => ts.iter().for_each(|t| collect(t, out)),
            meta::Ty::Def(d) if !out.iter().any(|x| x.wit_name == d.wit_name) => {
                out.push(d.clone());
                match &d.kind {
                    meta::DefKind::Record(fs) => fs.iter().for_each(|f| collect(&f.ty, out)),
                    meta::DefKind::Variant(cs) => cs
                        .iter()
                        .filter_map(|c| c.ty.as_ref())
                        .for_each(|t| collect(t, out)),
                    meta::DefKind::Enum(_) => {}
                }
            }
            _ => {}
        }
    }
    for e in exports {
        e.params.iter().for_each(|(_, t)| collect(t, &mut defs));
        e.result.iter().for_each(|t| collect(t, &mut defs));
    }
    let ids: Vec<_> = resolve.worlds[world]
        .imports
        .values()
        .chain(resolve.worlds[world].exports.values())
        .filter_map(|item| match item {
            WorldItem::Type { id, .. } => Some(*id),
            _ => None,
        })
        .collect();
    for id in ids {
        let ty = &mut resolve.types[id];
        let Some(def) = ty
            .name
            .as_ref()
            .and_then(|n| defs.iter().find(|d| d.wit_name == *n))
        else {
            continue;
        };
        if !def.docs.is_empty() {
            ty.docs.contents = Some(def.docs.clone());
        }
        match (&mut ty.kind, &def.kind) {
            (wit_parser::TypeDefKind::Record(r), meta::DefKind::Record(fs)) => {
                for (f, m) in r.fields.iter_mut().zip(fs) {
                    if !m.docs.is_empty() {
                        f.docs.contents = Some(m.docs.clone());
                    }
                }
            }
            (wit_parser::TypeDefKind::Enum(e), meta::DefKind::Enum(cs)) => {
                for (c, m) in e.cases.iter_mut().zip(cs) {
                    if !m.docs.is_empty() {
                        c.docs.contents = Some(m.docs.clone());
                    }
                }
            }
            (wit_parser::TypeDefKind::Variant(v), meta::DefKind::Variant(cs)) => {
                for (c, m) in v.cases.iter_mut().zip(cs) {
                    if !m.docs.is_empty() {
                        c.docs.contents = Some(m.docs.clone());
                    }
                }
            }
            _ => {}
        }
    }
}

/// Appends a custom section `name` holding `data` to a component.
pub(crate) fn append_section(component: &mut Vec<u8>, name: &str, data: Vec<u8>) {
    use wasm_encoder::{Encode, Section};
    let section = wasm_encoder::CustomSection {
        name: Cow::Borrowed(name),
        data: Cow::Owned(data),
    };
    component.push(section.id());
    section.encode(component);
}
