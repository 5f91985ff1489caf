//! Plugins for another host's world (`[world]` in plugin.toml): the world
//! is read from the crate's WIT, the plugin's functions and types are matched
//! to its exports, and the component is built against the world itself.
//!
//! 1. Resolve the world from the crate's `.wit` file or folder (its `deps/`
//!    included); a world may import `ferrite:plugin/*`, whose package the
//!    build supplies.
//! 2. Match every export of the world — the functions of its exported
//!    interfaces, and its own functions — to a `#[ferrite_plugin::function]`
//!    by WIT name (`interface = "..."` picks the interface when a name is in
//!    several), and compare their types by structure: records by their
//!    fields' names and types, enums and variants by their cases. Every
//!    mismatch, missing export and stray function is reported, together.
//! 3. Rename the core module's exports to the world's interface names and
//!    build the component against the world (for `test`, a world that also
//!    exports the test entry points and may import the host API).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result, bail};
use ferrite_plugin_host::manifest::{Manifest, TargetWorld};
use wit_parser::{Resolve, Type, TypeDefKind, WorldId, WorldItem, WorldKey};

use crate::meta::{DefKind, Export, ExportKind, Ty};

/// A world resolved from a crate's WIT.
pub struct Target {
    /// The world's packages, and `ferrite:plugin` when it imports from it.
    pub resolve: Resolve,
    /// The world.
    pub world: WorldId,
}

/// Resolves `spec` from the crate in `crate_dir`.
pub fn load(crate_dir: &Path, spec: &TargetWorld) -> Result<Target> {
    let path = crate_dir.join(&spec.wit);
    if !path.exists() {
        bail!(
            "plugin.toml's `[world] wit = \"{}\"` names `{}`, which does not exist: put the world's `.wit` files there",
            spec.wit,
            path.display()
        );
    }
    let mut resolve = Resolve::default();
    let pkg = match resolve.push_path(&path) {
        Ok((pkg, _)) => pkg,
        // A world may import `ferrite:plugin/*` without vendoring the
        // package: supply it and try again.
        Err(e) if format!("{e:#}").contains("ferrite:plugin") => {
            resolve = Resolve::default();
            resolve
                .push_str("ferrite-plugin.wit", crate::componentize::HOST_WIT)
                .context("the built-in `ferrite:plugin` WIT")?;
            resolve
                .push_path(&path)
                .with_context(|| format!("failed to read the WIT at `{}`", path.display()))?
                .0
        }
        Err(e) => {
            return Err(e)
                .with_context(|| format!("failed to read the WIT at `{}`", path.display()));
        }
    };
    let world = resolve
        .select_world(&[pkg], Some(&spec.name))
        .with_context(|| {
            let worlds: Vec<String> = resolve
                .worlds
                .iter()
                .filter_map(|(id, w)| {
                    let p = &resolve.packages[w.package?];
                    let _ = id;
                    Some(format!("{}/{}", p.name, w.name))
                })
                .collect();
            format!(
                "the WIT at `{}` has no world `{}` (plugin.toml's `[world] name`); it has: {}",
                path.display(),
                spec.name,
                if worlds.is_empty() {
                    "none".into()
                } else {
                    worlds.join(", ")
                }
            )
        })?;
    Ok(Target { resolve, world })
}

/// One function the world exports: its interface (`None` for the world's
/// own functions) and the function.
struct Wanted<'a> {
    /// The interface's world key, and its short name.
    interface: Option<(&'a WorldKey, String)>,
    func: &'a wit_parser::Function,
}

impl Wanted<'_> {
    /// `handler.parse-metadata`, or `parse-metadata`.
    fn label(&self) -> String {
        match &self.interface {
            Some((_, short)) => format!("{short}.{}", self.func.name),
            None => self.func.name.clone(),
        }
    }
}

/// What the matching decided: for each Rust export, the interface (its
/// world key) it implements, or `None` for a function of the world itself.
pub struct Plan {
    /// By index into the exports.
    pub assigned: Vec<(usize, Option<WorldKey>)>,
}

/// Matches `exports` to what the world of `target` exports. Every problem is
/// one line of the error.
pub fn plan(target: &Target, exports: &[Export], world_name: &str) -> Result<Plan> {
    let resolve = &target.resolve;
    let world = &resolve.worlds[target.world];
    let mut wanted = Vec::new();
    let mut problems = Vec::new();
    for (key, item) in &world.exports {
        match item {
            WorldItem::Function(f) => wanted.push(Wanted {
                interface: None,
                func: f,
            }),
            WorldItem::Interface { id, .. } => {
                let short = resolve.interfaces[*id]
                    .name
                    .clone()
                    .unwrap_or_else(|| resolve.name_world_key(key));
                let iface = &resolve.interfaces[*id];
                for f in iface.functions.values() {
                    wanted.push(Wanted {
                        interface: Some((key, short.clone())),
                        func: f,
                    });
                }
                for (name, ty) in &iface.types {
                    if matches!(resolve.types[*ty].kind, TypeDefKind::Resource) {
                        problems.push(format!(
                            "the world's interface `{short}` exports the resource `{name}`: a plugin built with this SDK cannot implement resources"
                        ));
                    }
                }
            }
            WorldItem::Type { .. } => {}
        }
    }
    let matches_interface = |w: &Wanted<'_>, given: Option<&str>| match (given, &w.interface) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(g), Some((key, short))) => {
            g == short
                || g == resolve.name_world_key(key)
                || g == resolve
                    .name_world_key(key)
                    .split('@')
                    .next()
                    .unwrap_or_default()
        }
    };
    let mut assigned = Vec::new();
    let mut taken = vec![false; wanted.len()];
    for (i, e) in exports.iter().enumerate() {
        match e.kind {
            ExportKind::Test => continue,
            ExportKind::Command | ExportKind::Hook => {
                problems.push(format!(
                    "`{}` is a Ferrite {}, which the world `{world_name}` has no place for: only `#[ferrite_plugin::function]`s implement another host's world",
                    e.rust_path,
                    if e.kind == ExportKind::Command {
                        "command"
                    } else {
                        "hook"
                    }
                ));
                continue;
            }
            ExportKind::Function => {}
        }
        let given = e.attr("interface");
        let candidates: Vec<usize> = wanted
            .iter()
            .enumerate()
            .filter(|(_, w)| w.func.name == e.wit_name && matches_interface(w, given))
            .map(|(j, _)| j)
            .collect();
        match candidates.as_slice() {
            [] => {
                let elsewhere: Vec<String> = wanted
                    .iter()
                    .filter(|w| w.func.name == e.wit_name)
                    .map(Wanted::label)
                    .collect();
                problems.push(match (given, elsewhere.is_empty()) {
                    (Some(g), false) => format!(
                        "`{}` says `interface = \"{g}\"`, but the world `{world_name}` exports `{}` in {}",
                        e.rust_path,
                        e.wit_name,
                        elsewhere.join(", ")
                    ),
                    _ => format!(
                        "`{}` (WIT name `{}`) is not an export of the world `{world_name}`: remove `#[ferrite_plugin::function]` from it, or rename it to one of the world's functions",
                        e.rust_path, e.wit_name
                    ),
                });
            }
            [j] => {
                let w = &wanted[*j];
                if taken[*j] {
                    problems.push(format!(
                        "two functions implement the world's `{}`: `{}` and another; remove one",
                        w.label(),
                        e.rust_path
                    ));
                    continue;
                }
                taken[*j] = true;
                if let Err(why) = same_signature(resolve, w.func, e) {
                    problems.push(format!(
                        "`{}` is `{}` in Rust, but the world `{world_name}` has `{}: {}`: {why}",
                        e.rust_path,
                        crate::witgen::signature(e).replace('%', ""),
                        w.label(),
                        wit_signature(resolve, w.func)
                    ));
                }
                assigned.push((i, w.interface.as_ref().map(|(k, _)| (*k).clone())));
            }
            several => {
                let labels: Vec<String> = several.iter().map(|j| wanted[*j].label()).collect();
                problems.push(format!(
                    "`{}` could implement {} of the world `{world_name}`: say which with `#[ferrite_plugin::function(interface = \"...\")]`",
                    e.rust_path,
                    labels.join(" or ")
                ));
            }
        }
    }
    for (j, w) in wanted.iter().enumerate() {
        if !taken[j] {
            problems.push(format!(
                "the world `{world_name}` exports `{}: {}`, which nothing implements: add\n      #[ferrite_plugin::function{}]\n      pub fn {}",
                w.label(),
                wit_signature(resolve, w.func),
                match &w.interface {
                    Some((_, short)) if wanted.iter().filter(|o| o.func.name == w.func.name).count() > 1 => {
                        format!("(interface = \"{short}\")")
                    }
                    _ => String::new(),
                },
                rust_signature(resolve, w.func)
            ));
        }
    }
    if !problems.is_empty() {
        let mut text = format!(
            "the plugin does not implement the world `{world_name}` ({} problem{}):",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" }
        );
        for p in problems {
            let _ = write!(text, "\n  - {p}");
        }
        bail!(text);
    }
    Ok(Plan { assigned })
}

/// Renames the core module's function exports to what the world's
/// interfaces call them (`cm32p2|artifact-keeper:format/handler@1|format-key`).
pub fn rename_exports(
    module: &[u8],
    target: &Target,
    exports: &[Export],
    plan: &Plan,
) -> Result<Vec<u8>> {
    let mut renames = std::collections::HashMap::new();
    for (i, key) in &plan.assigned {
        let e = &exports[*i];
        let from = format!(
            "cm32p2|{}|{}",
            e.attr("interface").unwrap_or(""),
            e.wit_name
        );
        let to = match key {
            Some(key) => format!(
                "cm32p2|{}|{}",
                target.resolve.name_canonicalized_world_key(key),
                e.wit_name
            ),
            None => format!("cm32p2||{}", e.wit_name),
        };
        renames.insert(format!("{from}_post"), format!("{to}_post"));
        renames.insert(from, to);
    }
    let mut out = module[..8].to_vec();
    for payload in wasmparser::Parser::new(0).parse_all(module) {
        let payload = payload.context("the core module does not parse")?;
        let Some((id, range)) = payload.as_section() else {
            continue;
        };
        if let wasmparser::Payload::ExportSection(reader) = payload {
            let mut section = wasm_encoder::ExportSection::new();
            for export in reader {
                let export = export?;
                let name = renames.get(export.name).map_or(export.name, String::as_str);
                let kind = match export.kind {
                    wasmparser::ExternalKind::Func | wasmparser::ExternalKind::FuncExact => {
                        wasm_encoder::ExportKind::Func
                    }
                    wasmparser::ExternalKind::Table => wasm_encoder::ExportKind::Table,
                    wasmparser::ExternalKind::Memory => wasm_encoder::ExportKind::Memory,
                    wasmparser::ExternalKind::Global => wasm_encoder::ExportKind::Global,
                    wasmparser::ExternalKind::Tag => wasm_encoder::ExportKind::Tag,
                };
                section.export(name, kind, export.index);
            }
            use wasm_encoder::Section as _;
            out.push(section.id());
            wasm_encoder::Encode::encode(&section, &mut out);
        } else {
            out.push(id);
            wasm_encoder::Encode::encode(&(range.end - range.start), &mut out);
            out.extend_from_slice(&module[range]);
        }
    }
    Ok(out)
}

/// The imports of the core module that the world does not import: each
/// `(module, function)`.
pub fn stray_imports(module: &[u8], target: &Target) -> Result<Vec<(String, String)>> {
    let resolve = &target.resolve;
    let allowed: Vec<String> = resolve.worlds[target.world]
        .imports
        .keys()
        .flat_map(|k| {
            [
                resolve.name_world_key(k),
                resolve.name_canonicalized_world_key(k),
            ]
        })
        .collect();
    let mut stray = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(module) {
        if let wasmparser::Payload::ImportSection(reader) = payload? {
            for import in reader.into_imports() {
                let import = import?;
                let module = import.module.trim_start_matches("cm32p2|");
                let module = module.strip_prefix('|').unwrap_or(module);
                if module == "env" || module.starts_with("cm32p2") || module.is_empty() {
                    continue;
                }
                if !allowed.iter().any(|a| a == module) {
                    stray.push((module.to_string(), import.name.to_string()));
                }
            }
        }
    }
    Ok(stray)
}

/// The WIT source of the world a test build targets: the target world, the
/// host API (tests may log, or use what the host gives a test), and the
/// test entry points.
pub fn test_world(target: &Target, world_name: &str, tests: &[&Export]) -> Result<String> {
    let host_version = target
        .resolve
        .package_names
        .keys()
        .find(|n| n.namespace == "ferrite" && n.name == "plugin")
        .and_then(|n| n.version.clone())
        .unwrap_or_else(|| semver::Version::new(0, 2, 0));
    let mut src = String::from("package ferrite:plugin-tests;\n\nworld tests {\n");
    let _ = writeln!(src, "    include {world_name};");
    let _ = writeln!(src, "    include ferrite:plugin/plugin@{host_version};");
    for t in tests {
        let _ = writeln!(
            src,
            "    export {}: {};",
            crate::witgen::escape(&t.wit_name),
            crate::witgen::signature(t)
        );
    }
    src.push_str("}\n");
    Ok(src)
}

/// Whether the Rust function `e` has the WIT function `f`'s types.
fn same_signature(resolve: &Resolve, f: &wit_parser::Function, e: &Export) -> Result<(), String> {
    if f.params.len() != e.params.len() {
        return Err(format!(
            "it takes {} parameter{}, the world's {}",
            e.params.len(),
            if e.params.len() == 1 { "" } else { "s" },
            f.params.len()
        ));
    }
    for (i, (p, (name, ty))) in f.params.iter().zip(&e.params).enumerate() {
        same(resolve, &p.ty, ty).map_err(|why| {
            if p.name == *name {
                format!("parameter `{name}`: {why}")
            } else {
                format!(
                    "parameter {} (`{name}`, the world's `{}`): {why}",
                    i + 1,
                    p.name
                )
            }
        })?;
    }
    match (&f.result, &e.result) {
        (None, None) => Ok(()),
        (Some(w), Some(r)) => same(resolve, w, r).map_err(|why| format!("the result: {why}")),
        (None, Some(_)) => Err("it returns a value, the world's returns nothing".into()),
        (Some(_), None) => Err("it returns nothing, the world's returns a value".into()),
    }
}

/// Whether the Rust type `r` has the WIT type `w`'s structure: `Err` says
/// where they part.
fn same(resolve: &Resolve, w: &Type, r: &Ty) -> Result<(), String> {
    let differ = || {
        Err(format!(
            "`{}` is `{}` in the world",
            crate::witgen::ty(r).replace('%', ""),
            wit_type(resolve, w)
        ))
    };
    let def = match w {
        Type::Bool => return if *r == Ty::Bool { Ok(()) } else { differ() },
        Type::U8 => return if *r == Ty::U8 { Ok(()) } else { differ() },
        Type::U16 => return if *r == Ty::U16 { Ok(()) } else { differ() },
        Type::U32 => return if *r == Ty::U32 { Ok(()) } else { differ() },
        Type::U64 => return if *r == Ty::U64 { Ok(()) } else { differ() },
        Type::S8 => return if *r == Ty::S8 { Ok(()) } else { differ() },
        Type::S16 => return if *r == Ty::S16 { Ok(()) } else { differ() },
        Type::S32 => return if *r == Ty::S32 { Ok(()) } else { differ() },
        Type::S64 => return if *r == Ty::S64 { Ok(()) } else { differ() },
        Type::F32 => return if *r == Ty::F32 { Ok(()) } else { differ() },
        Type::F64 => return if *r == Ty::F64 { Ok(()) } else { differ() },
        Type::Char => return if *r == Ty::Char { Ok(()) } else { differ() },
        Type::String => return if *r == Ty::String { Ok(()) } else { differ() },
        Type::ErrorContext => {
            return Err("the world uses `error-context`, which this SDK cannot implement".into());
        }
        Type::Id(id) => &resolve.types[*id],
    };
    match (&def.kind, r) {
        (TypeDefKind::Type(inner), _) => same(resolve, inner, r),
        (TypeDefKind::List(a), Ty::List(b)) | (TypeDefKind::Option(a), Ty::Option(b)) => {
            same(resolve, a, b)
        }
        (TypeDefKind::Result(res), Ty::Result(ok, err)) => {
            let part = |w: &Option<Type>, r: &Option<Box<Ty>>, which: &str| match (w, r) {
                (None, None) => Ok(()),
                (Some(w), Some(r)) => same(resolve, w, r),
                _ => Err(format!("its {which} differs")),
            };
            part(&res.ok, ok, "ok")
                .and_then(|()| part(&res.err, err, "err"))
                .or_else(|why| {
                    if why.starts_with("its ") {
                        differ()
                    } else {
                        Err(why)
                    }
                })
        }
        (TypeDefKind::Tuple(t), Ty::Tuple(ts)) if t.types.len() == ts.len() => t
            .types
            .iter()
            .zip(ts)
            .try_for_each(|(w, r)| same(resolve, w, r)),
        (TypeDefKind::Record(rec), Ty::Def(d)) => {
            let DefKind::Record(fields) = &d.kind else {
                return differ();
            };
            let wit_name = def.name.as_deref().unwrap_or("record");
            let names = |it: &mut dyn Iterator<Item = &str>| it.collect::<Vec<_>>().join(", ");
            if rec.fields.len() != fields.len()
                || rec.fields.iter().zip(fields).any(|(a, b)| a.name != b.name)
            {
                return Err(format!(
                    "the world's record `{wit_name}` has the fields {}; `{}` has {}",
                    names(&mut rec.fields.iter().map(|f| f.name.as_str())),
                    d.rust_path,
                    names(&mut fields.iter().map(|f| f.name.as_str()))
                ));
            }
            for (a, b) in rec.fields.iter().zip(fields) {
                same(resolve, &a.ty, &b.ty)
                    .map_err(|why| format!("field `{}` of `{}`: {why}", a.name, d.rust_path))?;
            }
            Ok(())
        }
        (TypeDefKind::Enum(en), Ty::Def(d)) => {
            let DefKind::Enum(cases) = &d.kind else {
                return differ();
            };
            same_cases(
                "enum",
                def,
                en.cases.iter().map(|c| c.name.as_str()),
                &d.rust_path,
                cases.iter().map(|c| c.name.as_str()),
            )
        }
        (TypeDefKind::Variant(v), Ty::Def(d)) => {
            let DefKind::Variant(cases) = &d.kind else {
                return differ();
            };
            same_cases(
                "variant",
                def,
                v.cases.iter().map(|c| c.name.as_str()),
                &d.rust_path,
                cases.iter().map(|c| c.name.as_str()),
            )?;
            for (a, b) in v.cases.iter().zip(cases) {
                match (&a.ty, &b.ty) {
                    (None, None) => {}
                    (Some(w), Some(r)) => same(resolve, w, r)
                        .map_err(|why| format!("case `{}` of `{}`: {why}", a.name, d.rust_path))?,
                    _ => {
                        return Err(format!(
                            "case `{}` of `{}` carries a value in one and not the other",
                            a.name, d.rust_path
                        ));
                    }
                }
            }
            Ok(())
        }
        (
            TypeDefKind::Flags(_)
            | TypeDefKind::Resource
            | TypeDefKind::Handle(_)
            | TypeDefKind::Future(_)
            | TypeDefKind::Stream(_)
            | TypeDefKind::FixedLengthList(..)
            | TypeDefKind::Map(..),
            _,
        ) => Err(format!(
            "the world uses `{}`, which this SDK cannot implement",
            wit_type(resolve, w)
        )),
        _ => differ(),
    }
}

/// A WIT function's signature as WIT text.
fn wit_signature(resolve: &Resolve, f: &wit_parser::Function) -> String {
    let params: Vec<String> = f
        .params
        .iter()
        .map(|p| format!("{}: {}", p.name, wit_type(resolve, &p.ty)))
        .collect();
    let result = f
        .result
        .as_ref()
        .map_or(String::new(), |t| format!(" -> {}", wit_type(resolve, t)));
    format!("func({}){result}", params.join(", "))
}

/// A WIT type as WIT text, named types by name.
fn wit_type(resolve: &Resolve, t: &Type) -> String {
    let Type::Id(id) = t else {
        return match t {
            Type::Bool => "bool",
            Type::U8 => "u8",
            Type::U16 => "u16",
            Type::U32 => "u32",
            Type::U64 => "u64",
            Type::S8 => "s8",
            Type::S16 => "s16",
            Type::S32 => "s32",
            Type::S64 => "s64",
            Type::F32 => "f32",
            Type::F64 => "f64",
            Type::Char => "char",
            Type::String => "string",
            _ => "error-context",
        }
        .into();
    };
    let def = &resolve.types[*id];
    if let Some(name) = &def.name {
        return name.clone();
    }
    match &def.kind {
        TypeDefKind::List(t) => format!("list<{}>", wit_type(resolve, t)),
        TypeDefKind::Option(t) => format!("option<{}>", wit_type(resolve, t)),
        TypeDefKind::Result(r) => match (&r.ok, &r.err) {
            (None, None) => "result".into(),
            (Some(o), None) => format!("result<{}>", wit_type(resolve, o)),
            (o, Some(e)) => format!(
                "result<{}, {}>",
                o.as_ref().map_or("_".into(), |o| wit_type(resolve, o)),
                wit_type(resolve, e)
            ),
        },
        TypeDefKind::Tuple(t) => format!(
            "tuple<{}>",
            t.types
                .iter()
                .map(|t| wit_type(resolve, t))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        TypeDefKind::Type(t) => wit_type(resolve, t),
        _ => "<unsupported>".into(),
    }
}

/// The Rust signature that implements a WIT function:
/// `parse_metadata(path: String, data: Vec<u8>) -> Result<Metadata, String>`.
fn rust_signature(resolve: &Resolve, f: &wit_parser::Function) -> String {
    let params: Vec<String> = f
        .params
        .iter()
        .map(|p| {
            format!(
                "{}: {}",
                p.name.replace('-', "_"),
                rust_type(resolve, &p.ty)
            )
        })
        .collect();
    let result = f
        .result
        .as_ref()
        .map_or(String::new(), |t| format!(" -> {}", rust_type(resolve, t)));
    format!(
        "{}({}){result}",
        f.name.replace('-', "_"),
        params.join(", ")
    )
}

/// The Rust type of a WIT type, as an author writes it.
fn rust_type(resolve: &Resolve, t: &Type) -> String {
    let Type::Id(id) = t else {
        return match t {
            Type::Bool => "bool",
            Type::U8 => "u8",
            Type::U16 => "u16",
            Type::U32 => "u32",
            Type::U64 => "u64",
            Type::S8 => "i8",
            Type::S16 => "i16",
            Type::S32 => "i32",
            Type::S64 => "i64",
            Type::F32 => "f32",
            Type::F64 => "f64",
            Type::Char => "char",
            Type::String => "String",
            _ => "()",
        }
        .into();
    };
    let def = &resolve.types[*id];
    if let (Some(name), TypeDefKind::Record(_) | TypeDefKind::Enum(_) | TypeDefKind::Variant(_)) =
        (&def.name, &def.kind)
    {
        return name
            .split('-')
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            })
            .collect();
    }
    match &def.kind {
        TypeDefKind::List(t) => format!("Vec<{}>", rust_type(resolve, t)),
        TypeDefKind::Option(t) => format!("Option<{}>", rust_type(resolve, t)),
        TypeDefKind::Result(r) => format!(
            "Result<{}, {}>",
            r.ok.as_ref().map_or("()".into(), |t| rust_type(resolve, t)),
            r.err
                .as_ref()
                .map_or("()".into(), |t| rust_type(resolve, t))
        ),
        TypeDefKind::Tuple(t) => format!(
            "({})",
            t.types
                .iter()
                .map(|t| rust_type(resolve, t))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        TypeDefKind::Type(t) => rust_type(resolve, t),
        _ => "()".into(),
    }
}

/// Whether `manifest` targets another host's world.
pub fn targets_world(manifest: &Manifest) -> bool {
    manifest.world.is_some()
}

/// The world's `kind` `def` and the Rust type at `rust_path` have the same
/// cases, in the same order.
fn same_cases<'a>(
    kind: &str,
    def: &wit_parser::TypeDef,
    wit: impl Iterator<Item = &'a str>,
    rust_path: &str,
    rust: impl Iterator<Item = &'a str>,
) -> Result<(), String> {
    let (wit, rust): (Vec<&str>, Vec<&str>) = (wit.collect(), rust.collect());
    if wit == rust {
        return Ok(());
    }
    Err(format!(
        "the world's {kind} `{}` has the cases {}; `{rust_path}` has {}",
        def.name.as_deref().unwrap_or(kind),
        wit.join(", "),
        rust.join(", ")
    ))
}
