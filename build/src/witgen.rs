//! Writes a plugin's WIT world from the exports the macros described.

use std::fmt::Write as _;
use std::rc::Rc;

use anyhow::{Result, bail};

use crate::meta::{DefKind, Export, Ty, TypeDef};

use ferrite_plugin_host::ApiVersion;

/// A name as WIT source. Every name is written `%name`, which WIT accepts for
/// any identifier, so that no keyword (`list`, `from`, `type`, ...) can break
/// the generated world; the `.wit` users read is printed from the component,
/// which escapes only keywords.
pub fn escape(name: &str) -> String {
    format!("%{name}")
}

/// The WIT world name for a plugin name: `validate_email` → `validate-email`,
/// or `plugin` when that is not a valid WIT name.
pub fn world_name(plugin: &str) -> String {
    let kebab = plugin.replace('_', "-");
    let valid = kebab.split('-').all(|w| {
        w.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && w.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    });
    if valid { kebab } else { "plugin".into() }
}

/// The SDK's own types that are the host's command and hook contract, by
/// Rust path and WIT name: from host API 0.2.0 on they are the package's
/// `types` (used, not defined in the plugin's world).
const CONTRACT_TYPES: [(&str, &str); 3] = [
    ("ferrite_plugin::command::Frame", "resp-frame"),
    ("ferrite_plugin::hook::HookEvent", "hook-event"),
    ("ferrite_plugin::hook::HookResult", "hook-result"),
];

/// Every named type the exports use, dependencies first, each once.
struct Types {
    defs: Vec<Rc<TypeDef>>,
    /// `use`d types: (interface, name).
    uses: Vec<(String, String)>,
    /// The host API built against.
    api: ApiVersion,
}

impl Types {
    fn visit(&mut self, ty: &Ty) -> Result<()> {
        if let Ty::Def(def) = ty
            && CONTRACT_TYPES.contains(&(def.rust_path.as_str(), def.wit_name.as_str()))
        {
            if self.api >= ApiVersion::V0_2 {
                return self.visit(&Ty::Use {
                    interface: "types".into(),
                    name: def.wit_name.clone(),
                });
            }
            // Host API 0.1.0 had no custom events: its `hook-event` lacks `on-event`.
            if let DefKind::Enum(cases) = &def.kind
                && cases.iter().any(|c| c.name == "on-event")
            {
                let old = TypeDef {
                    kind: DefKind::Enum(
                        cases
                            .iter()
                            .filter(|c| c.name != "on-event")
                            .cloned()
                            .collect(),
                    ),
                    ..(**def).clone()
                };
                return self.visit(&Ty::Def(Rc::new(old)));
            }
        }
        match ty {
            Ty::List(t) | Ty::Option(t) => self.visit(t)?,
            Ty::Result(ok, err) => {
                for t in ok.iter().chain(err) {
                    self.visit(t)?;
                }
            }
            Ty::Tuple(ts) => {
                for t in ts {
                    self.visit(t)?;
                }
            }
            Ty::Def(def) => {
                if let Some(seen) = self.defs.iter().find(|d| d.wit_name == def.wit_name) {
                    if **seen != **def {
                        let (a, b) = (&seen.rust_path, &def.rust_path);
                        if a == b {
                            bail!(
                                "`{a}` is described two ways; rebuild from clean (`cargo clean`)"
                            );
                        }
                        bail!(
                            "two types map to the WIT name `{}`: `{a}` and `{b}`; rename one with `#[ferrite_plugin(name = \"...\")]`",
                            def.wit_name
                        );
                    }
                    return Ok(());
                }
                if let Some((iface, _)) = self.uses.iter().find(|(_, n)| *n == def.wit_name) {
                    bail!(
                        "`{}` maps to the WIT name `{}`, which `ferrite:plugin/{iface}` already uses; rename it with `#[ferrite_plugin(name = \"...\")]`",
                        def.rust_path,
                        def.wit_name
                    );
                }
                match &def.kind {
                    DefKind::Record(fields) => {
                        for f in fields {
                            self.visit(&f.ty)?;
                        }
                    }
                    DefKind::Enum(_) => {}
                    DefKind::Variant(cases) => {
                        for t in cases.iter().filter_map(|c| c.ty.as_ref()) {
                            self.visit(t)?;
                        }
                    }
                }
                self.defs.push(def.clone());
            }
            Ty::Use { interface, name } => {
                if let Some(d) = self.defs.iter().find(|d| d.wit_name == *name) {
                    bail!(
                        "`{}` maps to the WIT name `{name}`, which `ferrite:plugin/{interface}` already uses; rename it with `#[ferrite_plugin(name = \"...\")]`",
                        d.rust_path
                    );
                }
                let u = (interface.clone(), name.clone());
                if !self.uses.contains(&u) {
                    self.uses.push(u);
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// The WIT source of a type expression.
pub fn ty(t: &Ty) -> String {
    match t {
        Ty::Bool => "bool".into(),
        Ty::U8 => "u8".into(),
        Ty::U16 => "u16".into(),
        Ty::U32 => "u32".into(),
        Ty::U64 => "u64".into(),
        Ty::S8 => "s8".into(),
        Ty::S16 => "s16".into(),
        Ty::S32 => "s32".into(),
        Ty::S64 => "s64".into(),
        Ty::F32 => "f32".into(),
        Ty::F64 => "f64".into(),
        Ty::Char => "char".into(),
        Ty::String => "string".into(),
        Ty::List(t) => format!("list<{}>", ty(t)),
        Ty::Option(t) => format!("option<{}>", ty(t)),
        Ty::Result(None, None) => "result".into(),
        Ty::Result(Some(ok), None) => format!("result<{}>", ty(ok)),
        Ty::Result(ok, Some(err)) => format!(
            "result<{}, {}>",
            ok.as_ref().map_or("_".to_string(), |t| ty(t)),
            ty(err)
        ),
        Ty::Tuple(ts) => format!(
            "tuple<{}>",
            ts.iter().map(ty).collect::<Vec<_>>().join(", ")
        ),
        Ty::Def(d) => escape(&d.wit_name),
        Ty::Use { name, .. } => escape(name),
    }
}

fn docs(out: &mut String, text: &str, indent: &str) {
    for line in text.lines() {
        if line.is_empty() {
            let _ = writeln!(out, "{indent}///");
        } else {
            let _ = writeln!(out, "{indent}/// {line}");
        }
    }
}

/// The signature of an export, as WIT source: `func(a: u32) -> bool`.
pub fn signature(e: &Export) -> String {
    let params: Vec<String> = e
        .params
        .iter()
        .map(|(n, t)| format!("{}: {}", escape(n), ty(t)))
        .collect();
    let result = e
        .result
        .as_ref()
        .map_or(String::new(), |t| format!(" -> {}", ty(t)));
    format!("func({}){result}", params.join(", "))
}

/// The world of a plugin named `plugin` at `version` exporting `exports`.
pub fn world(
    plugin: &str,
    version: &semver::Version,
    exports: &[Export],
    api: ApiVersion,
) -> Result<String> {
    let mut types = Types {
        defs: Vec::new(),
        uses: Vec::new(),
        api,
    };
    for e in exports {
        for (_, t) in &e.params {
            types.visit(t)?;
        }
        if let Some(t) = &e.result {
            types.visit(t)?;
        }
    }
    let mut names: Vec<&str> = Vec::new();
    for e in exports {
        if names.contains(&e.wit_name.as_str()) {
            bail!(
                "two functions export the WIT name `{}`; rename one with `#[ferrite_plugin::function(name = \"...\")]`",
                e.wit_name
            );
        }
        names.push(&e.wit_name);
    }

    let world = world_name(plugin);
    let mut out = String::new();
    let _ = writeln!(out, "package plugin:{}@{version};\n", escape(&world));
    let _ = writeln!(out, "world {} {{", escape(&world));
    let ver = api.package();
    let _ = writeln!(out, "    include ferrite:plugin/plugin@{ver};");
    for (iface, name) in &types.uses {
        let _ = writeln!(
            out,
            "    use ferrite:plugin/{iface}@{ver}.{{{}}};",
            escape(name)
        );
    }
    for def in &types.defs {
        out.push('\n');
        docs(&mut out, &def.docs, "    ");
        let name = escape(&def.wit_name);
        match &def.kind {
            DefKind::Record(fields) => {
                let _ = writeln!(out, "    record {name} {{");
                for f in fields {
                    docs(&mut out, &f.docs, "        ");
                    let _ = writeln!(out, "        {}: {},", escape(&f.name), ty(&f.ty));
                }
            }
            DefKind::Enum(cases) => {
                let _ = writeln!(out, "    enum {name} {{");
                for c in cases {
                    docs(&mut out, &c.docs, "        ");
                    let _ = writeln!(out, "        {},", escape(&c.name));
                }
            }
            DefKind::Variant(cases) => {
                let _ = writeln!(out, "    variant {name} {{");
                for c in cases {
                    docs(&mut out, &c.docs, "        ");
                    match &c.ty {
                        Some(t) => {
                            let _ = writeln!(out, "        {}({}),", escape(&c.name), ty(t));
                        }
                        None => {
                            let _ = writeln!(out, "        {},", escape(&c.name));
                        }
                    }
                }
            }
        }
        let _ = writeln!(out, "    }}");
    }
    for e in exports {
        out.push('\n');
        docs(&mut out, &e.docs, "    ");
        let _ = writeln!(out, "    export {}: {};", escape(&e.wit_name), signature(e));
    }
    let _ = writeln!(out, "}}");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::{Export, ExportKind, Field};

    /// Keyword names anywhere in a plugin still make a world that resolves.
    #[test]
    fn keywords_are_escaped_everywhere() {
        let record = Ty::Def(Rc::new(TypeDef {
            wit_name: "record".into(),
            rust_path: "p::Record".into(),
            docs: String::new(),
            kind: DefKind::Record(vec![
                Field {
                    name: "from".into(),
                    docs: String::new(),
                    ty: Ty::U8,
                },
                Field {
                    name: "type".into(),
                    docs: String::new(),
                    ty: Ty::String,
                },
            ]),
        }));
        let export = Export {
            kind: ExportKind::Function,
            wit_name: "list".into(),
            rust_path: "p::list".into(),
            docs: String::new(),
            attrs: Vec::new(),
            params: vec![("from".into(), record), ("use".into(), Ty::Bool)],
            result: Some(Ty::Use {
                interface: "types".into(),
                name: "error".into(),
            }),
        };
        for plugin in ["list", "record", "validate_email"] {
            for api in ApiVersion::ALL {
                let src = world(
                    plugin,
                    &semver::Version::new(1, 0, 0),
                    std::slice::from_ref(&export),
                    api,
                )
                .unwrap();
                let mut resolve = wit_parser::Resolve::default();
                resolve
                    .push_str("host.wit", crate::componentize::host_wit(api))
                    .unwrap();
                resolve
                    .push_str("plugin.wit", &src)
                    .unwrap_or_else(|e| panic!("{plugin}: {e:#}\n{src}"));
            }
        }
    }
}
