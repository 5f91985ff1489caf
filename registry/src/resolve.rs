//! `name@requirement` and picking the version to install.

use semver::{Version, VersionReq};

use crate::error::{RegistryError, Result};
use crate::format::{Index, VersionEntry, check_name};

/// What to install: a plugin and which of its versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The plugin.
    pub name: String,
    /// Which versions.
    pub req: Req,
}

/// A version requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Req {
    /// The latest usable version.
    Latest,
    /// Exactly this version (`name@1.2.3` or `name@=1.2.3`), even if yanked.
    Exact(Version),
    /// The latest usable version matching (`name@^1.2`, `name@>=1, <2`).
    Matching(VersionReq),
}

impl std::fmt::Display for Req {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Req::Latest => f.write_str("*"),
            Req::Exact(v) => write!(f, "={v}"),
            Req::Matching(r) => write!(f, "{r}"),
        }
    }
}

impl Request {
    /// Parses `name`, `name@1.2.3` (exact), `name@=1.2.3` or `name@<requirement>`.
    pub fn parse(text: &str) -> Result<Request> {
        let (name, req) = match text.split_once('@') {
            Some((name, req)) => (name, Some(req.trim())),
            None => (text, None),
        };
        check_name(name)?;
        let bad = |reason: String| RegistryError::BadRequirement {
            given: req.unwrap_or("").to_string(),
            reason,
        };
        let req = match req {
            None | Some("") | Some("*") => Req::Latest,
            Some(r) => match Version::parse(r.strip_prefix('=').unwrap_or(r)) {
                Ok(v) if !r.contains(',') => Req::Exact(v),
                _ => Req::Matching(VersionReq::parse(r).map_err(|e| bad(e.to_string()))?),
            },
        };
        Ok(Request {
            name: name.to_string(),
            req,
        })
    }
}

fn listing<'a>(versions: impl Iterator<Item = &'a Version>) -> String {
    let all: Vec<String> = versions.map(ToString::to_string).collect();
    if all.is_empty() {
        "none".into()
    } else {
        all.join(", ")
    }
}

/// Picks the version of `request` to install from `index` for a server
/// running Ferrite `ferrite`.
pub fn resolve<'a>(
    index: &'a Index,
    registry: &str,
    request: &Request,
    ferrite: &Version,
) -> Result<(&'a Version, &'a VersionEntry)> {
    let name = &request.name;
    let plugin = index
        .plugins
        .get(name)
        .ok_or_else(|| RegistryError::NoSuchPlugin {
            registry: registry.to_string(),
            name: name.clone(),
        })?;
    let runs_here = |e: &VersionEntry| e.min_ferrite_version.as_ref().is_none_or(|m| m <= ferrite);
    let too_new = |v: &Version, e: &VersionEntry| {
        RegistryError::NoMatchingVersion(format!(
            "`{name}` {v} needs Ferrite {} or newer; this server is {ferrite}",
            e.min_ferrite_version
                .as_ref()
                .expect("too new implies a minimum")
        ))
    };
    if let Req::Exact(v) = &request.req {
        let (v, e) = plugin.versions.get_key_value(v).ok_or_else(|| {
            RegistryError::NoMatchingVersion(format!(
                "`{name}` has no version {v} (published: {})",
                listing(plugin.versions.keys())
            ))
        })?;
        return if runs_here(e) {
            Ok((v, e))
        } else {
            Err(too_new(v, e))
        };
    }
    let matches = |v: &Version| match &request.req {
        Req::Latest => v.pre.is_empty(),
        Req::Matching(r) => r.matches(v),
        Req::Exact(_) => unreachable!(),
    };
    let matching: Vec<(&Version, &VersionEntry)> =
        plugin.versions.iter().filter(|(v, _)| matches(v)).collect();
    if let Some(&(v, e)) = matching
        .iter()
        .rev()
        .find(|(_, e)| !e.yanked && runs_here(e))
    {
        return Ok((v, e));
    }
    Err(match matching.iter().rev().find(|(_, e)| !e.yanked) {
        Some(&(v, e)) => too_new(v, e),
        None if !matching.is_empty() => RegistryError::NoMatchingVersion(format!(
            "every version of `{name}` matching `{}` is yanked ({}); install one by its exact version, e.g. `{name}@{}`",
            request.req,
            listing(matching.iter().map(|(v, _)| *v)),
            matching.last().expect("not empty").0
        )),
        None => RegistryError::NoMatchingVersion(format!(
            "no version of `{name}` matches `{}` (published: {})",
            request.req,
            listing(plugin.versions.keys())
        )),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;
    use crate::format::{Permissions, PluginEntry};

    fn entry(yanked: bool, min: Option<Version>) -> VersionEntry {
        VersionEntry {
            sha256: "0".repeat(64),
            size: 1,
            manifest_sha256: "0".repeat(64),
            signature: "0".repeat(128),
            key_id: "k".into(),
            exports: vec![],
            permissions: Permissions::default(),
            min_ferrite_version: min,
            yanked,
            published_at: String::new(),
            provenance: None,
        }
    }

    fn index(versions: &[(Version, bool, Option<Version>)]) -> Index {
        let plugin = PluginEntry {
            description: None,
            versions: versions
                .iter()
                .map(|(v, y, m)| (v.clone(), entry(*y, m.clone())))
                .collect(),
        };
        Index {
            format: 1,
            plugins: BTreeMap::from([("p".to_string(), plugin)]),
        }
    }

    #[test]
    fn it_parses_requests() {
        assert_eq!(Request::parse("p").unwrap().req, Req::Latest);
        assert_eq!(
            Request::parse("p@1.2.3").unwrap().req,
            Req::Exact(Version::new(1, 2, 3))
        );
        assert_eq!(
            Request::parse("p@=1.2.3").unwrap().req,
            Req::Exact(Version::new(1, 2, 3))
        );
        assert!(matches!(
            Request::parse("p@^1.2").unwrap().req,
            Req::Matching(_)
        ));
        assert!(matches!(
            Request::parse("p@>=1, <2").unwrap().req,
            Req::Matching(_)
        ));
        assert!(matches!(
            Request::parse("../p@1"),
            Err(RegistryError::BadName(_))
        ));
        assert!(matches!(
            Request::parse("a/b"),
            Err(RegistryError::BadName(_))
        ));
        assert!(matches!(
            Request::parse("p@banana"),
            Err(RegistryError::BadRequirement { .. })
        ));
    }

    #[test]
    fn it_explains_what_it_cannot_resolve() {
        let v = |s: &str| Version::parse(s).unwrap();
        let idx = index(&[
            (v("1.0.0"), true, None),
            (v("2.0.0"), false, Some(v("9.0.0"))),
        ]);
        let f = v("0.2.0");
        let err = |r: &str| {
            resolve(&idx, "r", &Request::parse(r).unwrap(), &f)
                .unwrap_err()
                .to_string()
        };
        assert!(
            err("p@^1").contains("every version of `p` matching `^1` is yanked (1.0.0)"),
            "{}",
            err("p@^1")
        );
        assert!(
            err("p@^2").contains("`p` 2.0.0 needs Ferrite 9.0.0 or newer; this server is 0.2.0")
        );
        assert!(err("p@^3").contains("no version of `p` matches `^3` (published: 1.0.0, 2.0.0)"));
        assert!(err("p@1.5.0").contains("`p` has no version 1.5.0"));
        assert!(err("q").contains("has no plugin `q`"));
        // An exact pin takes a yanked version.
        assert_eq!(
            resolve(&idx, "r", &Request::parse("p@1.0.0").unwrap(), &f)
                .unwrap()
                .0,
            &v("1.0.0")
        );
    }

    fn arb_version() -> impl Strategy<Value = Version> {
        (0u64..3, 0u64..4, 0u64..3).prop_map(|(a, b, c)| Version::new(a, b, c))
    }

    proptest! {
        /// The chosen version is the highest that matches, is not yanked and
        /// runs on this server; and when none is chosen, none such exists.
        #[test]
        fn resolution_picks_the_highest_usable_match(
            versions in proptest::collection::btree_map(arb_version(), (any::<bool>(), proptest::option::of(arb_version())), 0..8),
            req in prop_oneof![
                Just("".to_string()),
                (0u64..3).prop_map(|a| format!("^{a}")),
                (0u64..3, 0u64..4).prop_map(|(a, b)| format!("~{a}.{b}")),
                (0u64..3, 0u64..4).prop_map(|(a, b)| format!(">={a}.{b}.0, <{}.0.0", a + 1)),
                arb_version().prop_map(|v| v.to_string()),
            ],
            ferrite in arb_version(),
        ) {
            let list: Vec<(Version, bool, Option<Version>)> = versions.into_iter().map(|(v, (y, m))| (v, y, m)).collect();
            let idx = index(&list);
            let text = if req.is_empty() { "p".to_string() } else { format!("p@{req}") };
            let request = Request::parse(&text).unwrap();
            let runs = |m: &Option<Version>| m.as_ref().is_none_or(|m| *m <= ferrite);
            let expected: Option<&Version> = match &request.req {
                Req::Exact(want) => list.iter().find(|(v, _, m)| v == want && runs(m)).map(|(v, ..)| v),
                other => list
                    .iter()
                    .filter(|(v, y, m)| !y && runs(m) && match other {
                        Req::Latest => true,
                        Req::Matching(r) => r.matches(v),
                        Req::Exact(_) => unreachable!(),
                    })
                    .map(|(v, ..)| v)
                    .max(),
            };
            let got = resolve(&idx, "r", &request, &ferrite).ok().map(|(v, _)| v);
            prop_assert_eq!(got, expected);
        }
    }
}
