//! {{description}}
//!
//! A format handler for Artifact Keeper (world
//! `artifact-keeper:format/format-plugin@1.0.0`, in `wit/`): artifacts named
//! `<name>-<version>.<extension>`, indexed in one text file.

use ferrite_plugin::prelude::*;

/// What the handler reads from an artifact: the world's `handler.metadata`.
#[derive(Record, Debug, Clone, PartialEq)]
pub struct Metadata {
    /// The artifact's path in the repository.
    pub path: String,
    /// Its version, when the format has one.
    pub version: Option<String>,
    /// Its media type.
    pub content_type: String,
    /// Its size.
    pub size_bytes: u64,
    /// Its SHA-256, hex, when the handler computed it.
    pub checksum_sha256: Option<String>,
}

/// The format this handler serves.
#[ferrite_plugin::function]
pub fn format_key() -> String {
    "{{name}}".into()
}

/// Reads an artifact's metadata: its version from its file name
/// (`<name>-<version>.<extension>`), its media type from the extension.
#[ferrite_plugin::function]
pub fn parse_metadata(path: String, data: Vec<u8>) -> Result<Metadata, String> {
    let (_, version, extension) = split_name(&path)?;
    Ok(Metadata {
        version: Some(version.to_string()),
        content_type: match extension {
            "json" => "application/json",
            "txt" => "text/plain",
            "tgz" | "gz" => "application/gzip",
            _ => "application/octet-stream",
        }
        .into(),
        size_bytes: data.len() as u64,
        checksum_sha256: None,
        path,
    })
}

/// Checks an upload: a well-formed name, and some contents.
#[ferrite_plugin::function]
pub fn validate(path: String, data: Vec<u8>) -> Result<(), String> {
    split_name(&path)?;
    if data.is_empty() {
        return Err(format!("`{path}` is empty"));
    }
    Ok(())
}

/// One index file, `index.txt`: a line per artifact, `path version size`.
#[ferrite_plugin::function]
pub fn generate_index(artifacts: Vec<Metadata>) -> Result<Option<Vec<(String, Vec<u8>)>>, String> {
    if artifacts.is_empty() {
        return Ok(None);
    }
    let mut lines: Vec<String> = artifacts
        .iter()
        .map(|a| {
            format!(
                "{} {} {}",
                a.path,
                a.version.as_deref().unwrap_or("-"),
                a.size_bytes
            )
        })
        .collect();
    lines.sort();
    Ok(Some(vec![(
        "index.txt".into(),
        (lines.join("\n") + "\n").into_bytes(),
    )]))
}

/// `<name>-<version>.<extension>` of a path's file name.
fn split_name(path: &str) -> Result<(&str, &str, &str), String> {
    let file = path.rsplit('/').next().unwrap_or(path);
    let (stem, extension) = file.rsplit_once('.').ok_or_else(|| {
        format!("`{path}` has no extension: name artifacts `<name>-<version>.<extension>`")
    })?;
    let (name, version) = stem.rsplit_once('-').ok_or_else(|| {
        format!("`{path}` has no version: name artifacts `<name>-<version>.<extension>`")
    })?;
    if name.is_empty() || !version.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!("`{path}` is not `<name>-<version>.<extension>`"));
    }
    Ok((name, version, extension))
}

/// Runs inside the plugin host with `cargo ferrite-plugin test`.
#[ferrite_plugin::test]
fn reads_the_version_from_the_file_name() {
    let m = parse_metadata("libs/tool-1.2.0.tgz".into(), vec![1, 2, 3]).unwrap();
    assert_eq!(m.version.as_deref(), Some("1.2.0"));
    assert_eq!((m.content_type.as_str(), m.size_bytes), ("application/gzip", 3));
    assert!(validate("tool.tgz".into(), vec![1]).is_err());
    assert!(validate("tool-1.0.0.tgz".into(), vec![]).is_err());
}

#[ferrite_plugin::test]
fn indexes_every_artifact() {
    let a = parse_metadata("b-2.0.0.txt".into(), vec![0; 5]).unwrap();
    let b = parse_metadata("a-1.0.0.txt".into(), vec![0; 3]).unwrap();
    let index = generate_index(vec![a, b]).unwrap().unwrap();
    assert_eq!(index[0].0, "index.txt");
    assert_eq!(
        String::from_utf8(index[0].1.clone()).unwrap(),
        "a-1.0.0.txt 1.0.0 3\nb-2.0.0.txt 2.0.0 5\n"
    );
    assert_eq!(generate_index(vec![]).unwrap(), None);
}
