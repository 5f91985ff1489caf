//! JSON reshaping as a Ferrite plugin: pick, rename and drop fields by path.
//!
//! A path is a chain of object keys separated by `.`, each optionally
//! followed by array indices: `user.name`, `items[0].id`, `matrix[1][2]`.
//! `[*]` matches every element of an array: `items[*].id`. Key order is kept.

mod path;

use ferrite_plugin::prelude::*;
use serde_json::Value;

use path::Path;

/// One step of a [`transform`].
#[derive(Enum, Clone, Debug, PartialEq)]
pub enum Op {
    /// Keep only these paths.
    Pick(Vec<String>),
    /// Move the value at the first path to the second.
    Rename((String, String)),
    /// Remove these paths.
    Drop(Vec<String>),
}

fn parse(json: &str) -> Result<Value, PluginError> {
    serde_json::from_str(json)
        .map_err(|e| PluginError::invalid_argument(format!("the input is not JSON: {e}")))
}

fn paths(paths: &[String]) -> Result<Vec<Path>, PluginError> {
    paths.iter().map(|p| Path::parse(p)).collect()
}

fn render(value: &Value) -> String {
    value.to_string()
}

/// The value at `path` as JSON text, or `none` when nothing is there.
#[ferrite_plugin::function]
pub fn get(json: String, path: String) -> Result<Option<String>, PluginError> {
    let doc = parse(&json)?;
    let path = Path::parse(&path)?;
    let found = path.get(&doc);
    Ok(match found.as_slice() {
        [] => None,
        [one] if !path.has_wildcard() => Some(render(one)),
        many => Some(render(&Value::Array(
            many.iter().map(|v| (*v).clone()).collect(),
        ))),
    })
}

/// A document with only the values at `paths`, each at the same place.
#[ferrite_plugin::function]
pub fn pick(json: String, paths: Vec<String>) -> Result<String, PluginError> {
    transform(json, vec![Op::Pick(paths)])
}

/// The document with the value at `from` moved to `to`.
#[ferrite_plugin::function]
pub fn rename(json: String, from: String, to: String) -> Result<String, PluginError> {
    transform(json, vec![Op::Rename((from, to))])
}

/// The document without the values at `paths` (missing paths are ignored).
#[ferrite_plugin::function]
pub fn drop_paths(json: String, paths: Vec<String>) -> Result<String, PluginError> {
    transform(json, vec![Op::Drop(paths)])
}

/// The document after each of `ops`, in order.
#[ferrite_plugin::function]
pub fn transform(json: String, ops: Vec<Op>) -> Result<String, PluginError> {
    let mut doc = parse(&json)?;
    for op in ops {
        doc = match op {
            Op::Pick(ps) => {
                let mut out = Value::Null;
                for p in paths(&ps)? {
                    p.copy(&doc, &mut out);
                }
                if out.is_null() {
                    Value::Object(Default::default())
                } else {
                    out
                }
            }
            Op::Rename((from, to)) => {
                let (from, to) = (Path::parse(&from)?, Path::parse(&to)?);
                if from.has_wildcard() || to.has_wildcard() {
                    return Err(PluginError::invalid_argument(
                        "rename takes paths without `[*]`",
                    ));
                }
                let value = from.take(&mut doc).ok_or_else(|| {
                    PluginError::not_found(format!("nothing at `{from}` to rename"))
                })?;
                to.insert(&mut doc, value)?;
                doc
            }
            Op::Drop(ps) => {
                for p in paths(&ps)? {
                    p.remove(&mut doc);
                }
                doc
            }
        };
    }
    Ok(render(&doc))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"user":{"name":"ann","email":"a@b.co","age":31},"items":[{"id":1,"qty":2},{"id":2,"qty":5}],"ok":true}"#;

    #[test]
    fn it_gets_values_by_path() {
        assert_eq!(
            get(DOC.into(), "user.name".into()),
            Ok(Some("\"ann\"".into()))
        );
        assert_eq!(get(DOC.into(), "items[1].qty".into()), Ok(Some("5".into())));
        assert_eq!(
            get(DOC.into(), "items[*].id".into()),
            Ok(Some("[1,2]".into()))
        );
        assert_eq!(get(DOC.into(), "user.missing".into()), Ok(None));
        assert_eq!(get(DOC.into(), "items[9]".into()), Ok(None));
    }

    #[test]
    fn it_picks_keeping_structure_and_order() {
        let out = pick(
            DOC.into(),
            vec!["user.name".into(), "items[*].id".into(), "ok".into()],
        )
        .unwrap();
        assert_eq!(
            out,
            r#"{"user":{"name":"ann"},"items":[{"id":1},{"id":2}],"ok":true}"#
        );
        assert_eq!(pick(DOC.into(), vec!["nope".into()]).unwrap(), "{}");
        assert_eq!(
            pick(DOC.into(), vec!["items[1].qty".into()]).unwrap(),
            r#"{"items":[null,{"qty":5}]}"#
        );
    }

    #[test]
    fn it_renames_and_drops() {
        let out = rename(DOC.into(), "user.email".into(), "contact.email".into()).unwrap();
        assert!(out.contains(r#""contact":{"email":"a@b.co"}"#), "{out}");
        assert!(!out.contains(r#""user":{"name":"ann","email""#), "{out}");
        let out = drop_paths(
            DOC.into(),
            vec!["user.age".into(), "items[*].qty".into(), "nope".into()],
        )
        .unwrap();
        assert_eq!(
            out,
            r#"{"user":{"name":"ann","email":"a@b.co"},"items":[{"id":1},{"id":2}],"ok":true}"#
        );
    }

    #[test]
    fn it_runs_a_pipeline() {
        let ops = vec![
            Op::Drop(vec!["items".into()]),
            Op::Rename(("user.name".into(), "name".into())),
            Op::Pick(vec!["name".into(), "ok".into()]),
        ];
        assert_eq!(
            transform(DOC.into(), ops).unwrap(),
            r#"{"name":"ann","ok":true}"#
        );
    }

    #[test]
    fn it_refuses_bad_input_clearly() {
        let e = pick("{not json".into(), vec![]).unwrap_err();
        assert!(
            matches!(&e, PluginError::InvalidArgument(m) if m.starts_with("the input is not JSON")),
            "{e}"
        );
        let e = pick(DOC.into(), vec!["a..b".into()]).unwrap_err();
        assert!(e.to_string().contains("empty key"), "{e}");
        let e = pick(DOC.into(), vec!["a[x]".into()]).unwrap_err();
        assert!(e.to_string().contains("index"), "{e}");
        let e = rename(DOC.into(), "nope".into(), "x".into()).unwrap_err();
        assert!(matches!(e, PluginError::NotFound(_)), "{e}");
    }
}

#[ferrite_plugin::test]
fn picks_inside_the_host() {
    let out = pick(r#"{"a":{"b":1,"c":2}}"#.into(), vec!["a.c".into()]).unwrap();
    assert_eq!(out, r#"{"a":{"c":2}}"#);
}

#[ferrite_plugin::test]
fn a_pipeline_runs_inside_the_host() {
    let ops = vec![
        Op::Rename(("old".into(), "new".into())),
        Op::Drop(vec!["junk".into()]),
    ];
    assert_eq!(
        transform(r#"{"old":1,"junk":[1,2]}"#.into(), ops).unwrap(),
        r#"{"new":1}"#
    );
}

#[ferrite_plugin::test]
fn bad_json_is_an_invalid_argument() {
    assert!(matches!(
        get("[1,".into(), "a".into()),
        Err(PluginError::InvalidArgument(_))
    ));
}
