//! An Artifact Keeper format handler for npm, as a plugin of Artifact
//! Keeper's world `artifact-keeper:format/format-plugin@1.0.0`.
//!
//! The functions below are the world's `handler` interface, matched by
//! name (`parse_metadata` is `parse-metadata`), and [`Metadata`] is its
//! `metadata` record. An artifact is an npm package tarball (`.tgz`): a
//! gzipped tar archive whose files are under `package/`, the manifest at
//! `package/package.json`. The tarball is read in one pass through a small
//! window (gzip: miniz_oxide's inflate, its CRC-32 and size checked; tar: a
//! ustar reader in `tar.rs`), so its unpacked size does not count against
//! the plugin's memory.
//!
//! The index is npm's registry documents: for each package a "packument"
//! at `<name>/index.json` (`@scope/name/index.json` for a scoped package),
//! beside its tarballs at `<name>/-/<name>-<version>.tgz`.

mod gzip;
mod npm;
mod tar;
#[cfg(any(test, ferrite_plugin_test))]
mod testutil;

use ferrite_plugin::Record;
use sha2::{Digest, Sha256};

/// What a format handler reads from an artifact.
#[derive(Record, Clone, Debug, PartialEq, Eq)]
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

/// Real `npm pack` output (see fixtures/README.md), for the tests.
#[cfg(any(test, ferrite_plugin_test))]
const NPM_PACKED: &[u8] = include_bytes!("../fixtures/acme-left-pad-1.3.0-beta.2.tgz");

/// The media type of an npm tarball.
pub const CONTENT_TYPE: &str = "application/gzip";

/// The format this handler serves: `npm`.
#[ferrite_plugin::function]
pub fn format_key() -> String {
    "npm".into()
}

/// Reads an npm package tarball's metadata: its version from
/// `package/package.json`, its size, and the SHA-256 of the tarball (hex).
/// Fails, saying why, on data that is not gzip, a corrupt or truncated
/// archive, a missing `package/package.json`, and one that is not JSON or
/// lacks `name` or `version`.
#[ferrite_plugin::function]
pub fn parse_metadata(path: String, data: Vec<u8>) -> Result<Metadata, String> {
    let manifest = npm::read_manifest(&data)?;
    Ok(Metadata {
        path,
        version: Some(manifest.version),
        content_type: CONTENT_TYPE.into(),
        size_bytes: data.len() as u64,
        checksum_sha256: Some(npm::hex(&Sha256::digest(&data))),
    })
}

/// Checks an upload: everything [`parse_metadata`] checks, and that the
/// version is a semantic version, the name one npm accepts for a new
/// package (lowercase, URL-safe, at most 214 characters, optionally
/// `@scope/`), and the path's file name `<name without scope>-<version>.tgz`.
#[ferrite_plugin::function]
pub fn validate(path: String, data: Vec<u8>) -> Result<(), String> {
    let manifest = npm::read_manifest(&data)?;
    npm::parse_version(&manifest.version)
        .map_err(|e| format!("the version in {}: {e}", npm::MANIFEST))?;
    let bare = npm::check_name(&manifest.name)?;
    let expected = format!("{bare}-{}.tgz", manifest.version);
    let file = path.rsplit('/').next().unwrap_or_default();
    if file != expected {
        return Err(format!(
            "the file name `{file}` does not match the package: npm names {}@{} `{expected}`",
            manifest.name, manifest.version
        ));
    }
    Ok(())
}

/// npm's registry documents for `artifacts`: one packument per package at
/// `<name>/index.json`, with its `name`, `versions` (each with `name`,
/// `version` and `dist`: the `tarball`'s path in the repository and, from
/// the checksum, its `integrity` as `sha256-<base64>`) and
/// `dist-tags.latest` (the highest version, a release over a pre-release),
/// as JSON with sorted keys. `none` for no artifacts. Every path must follow
/// npm's layout, `<name>/-/<name>-<version>.tgz` (`@scope/name/-/name-<version>.tgz`
/// when scoped); one that does not is an error naming it.
#[ferrite_plugin::function]
#[allow(clippy::type_complexity)] // the world's `result<option<list<tuple<string, list<u8>>>>, string>`
pub fn generate_index(artifacts: Vec<Metadata>) -> Result<Option<Vec<(String, Vec<u8>)>>, String> {
    if artifacts.is_empty() {
        return Ok(None);
    }
    npm::index(&artifacts).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{Entry, gzip, npm_tarball, package, tar};
    use serde_json::{Value, json};

    fn meta(path: &str, version: Option<&str>, sha: Option<&str>) -> Metadata {
        Metadata {
            path: path.into(),
            version: version.map(Into::into),
            content_type: CONTENT_TYPE.into(),
            size_bytes: 100,
            checksum_sha256: sha.map(Into::into),
        }
    }

    fn index(artifacts: Vec<Metadata>) -> Vec<(String, Value)> {
        generate_index(artifacts)
            .unwrap()
            .unwrap()
            .into_iter()
            .map(|(path, bytes)| (path, serde_json::from_slice(&bytes).unwrap()))
            .collect()
    }

    #[test]
    fn the_format_is_npm() {
        assert_eq!(format_key(), "npm");
    }

    #[test]
    fn it_reads_the_metadata_of_a_tarball() {
        let data = package("left-pad", "1.3.0");
        let m = parse_metadata("left-pad/-/left-pad-1.3.0.tgz".into(), data.clone()).unwrap();
        assert_eq!(m.path, "left-pad/-/left-pad-1.3.0.tgz");
        assert_eq!(m.version.as_deref(), Some("1.3.0"));
        assert_eq!(m.content_type, "application/gzip");
        assert_eq!(m.size_bytes, data.len() as u64);
        let sha = m.checksum_sha256.unwrap();
        assert_eq!(sha.len(), 64);
        assert_eq!(sha, npm::hex(&Sha256::digest(&data)));
        // The checksum is of the tarball, not of its contents.
        let other = package("left-pad", "1.3.1");
        let m2 = parse_metadata("x".into(), other).unwrap();
        assert_ne!(m2.checksum_sha256.unwrap(), sha);
    }

    #[test]
    fn it_reads_what_npm_pack_writes() {
        let path = "@acme/left-pad/-/left-pad-1.3.0-beta.2.tgz";
        let m = parse_metadata(path.into(), NPM_PACKED.to_vec()).unwrap();
        assert_eq!(
            m,
            Metadata {
                path: path.into(),
                version: Some("1.3.0-beta.2".into()),
                content_type: "application/gzip".into(),
                size_bytes: 483,
                // As `sha256sum` computes it.
                checksum_sha256: Some(
                    "fbf1b21cec49095c36f2926a48f4e0c42a87b4cd15380563c8e9d1e643eabd43".into()
                ),
            }
        );
        assert_eq!(validate(path.into(), NPM_PACKED.to_vec()), Ok(()));
        // `npm pack` names the file after the scope too; the registry does not.
        let e = validate("acme-left-pad-1.3.0-beta.2.tgz".into(), NPM_PACKED.to_vec()).unwrap_err();
        assert!(
            e.contains("npm names @acme/left-pad@1.3.0-beta.2 `left-pad-1.3.0-beta.2.tgz`"),
            "{e}"
        );

        let docs = index(vec![m]);
        assert_eq!(docs[0].0, "@acme/left-pad/index.json");
        let doc = &docs[0].1;
        // Only a pre-release: it is the latest.
        assert_eq!(doc["dist-tags"]["latest"], "1.3.0-beta.2");
        assert_eq!(
            doc["versions"]["1.3.0-beta.2"]["dist"]["integrity"],
            // As `openssl dgst -sha256 -binary | base64` computes it.
            "sha256-+/GyHOxJCVw28pJqSPTgxCqHtM0VOAVjyOnR5kPqvUM="
        );
    }

    #[test]
    fn the_checksum_is_sha256_in_hex() {
        assert_eq!(
            npm::hex(&Sha256::digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn it_reads_the_manifest_wherever_it_is_in_the_archive() {
        let data = gzip(&tar(&[
            Entry::dir("package/"),
            Entry::file("package/lib/big.js", &vec![b'x'; 200_000]),
            Entry::file(
                "package/package.json",
                "\u{feff}{\"version\": \"2.0.0\", \"name\": \"late\"}".as_bytes(),
            ),
        ]));
        let m = parse_metadata("late/-/late-2.0.0.tgz".into(), data.clone()).unwrap();
        assert_eq!(m.version.as_deref(), Some("2.0.0"));
        assert!(validate("late/-/late-2.0.0.tgz".into(), data).is_ok());
    }

    #[test]
    fn it_says_what_is_wrong_with_a_bad_tarball() {
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (b"PK\x03\x04".to_vec(), "not gzip-compressed"),
            (b"{\"name\": \"x\"}".to_vec(), "not gzip-compressed"),
            (gzip(b"not a tar archive"), "tar archive is truncated"),
            (
                gzip(&tar(&[Entry::file("package/index.js", b"")])),
                "has no package/package.json",
            ),
            (
                gzip(&tar(&[Entry::file("pkg/package.json", b"{}")])),
                "has no package/package.json",
            ),
            (npm_tarball("{\"name\": \"x\", "), "is not valid JSON"),
            (npm_tarball("[1, 2]"), "is not a JSON object"),
            (npm_tarball("{\"version\": \"1.0.0\"}"), "has no `name`"),
            (npm_tarball("{\"name\": \"x\"}"), "has no `version`"),
            (
                npm_tarball("{\"name\": \"x\", \"version\": null}"),
                "has no `version`",
            ),
            (
                npm_tarball("{\"name\": \"\", \"version\": \"1.0.0\"}"),
                "has an empty `name`",
            ),
            (
                npm_tarball("{\"name\": \"x\", \"version\": 1}"),
                "`version` in package/package.json is not a string but 1",
            ),
        ];
        for (data, why) in cases {
            let e = parse_metadata("x.tgz".into(), data.clone()).unwrap_err();
            assert!(e.contains(why), "expected {why:?}, got {e:?}");
            // validate checks the same first.
            assert_eq!(validate("x.tgz".into(), data).unwrap_err(), e);
        }
        let data = package("x", "1.0.0");
        let e = parse_metadata("x.tgz".into(), data[..data.len() - 20].to_vec()).unwrap_err();
        assert!(e.contains("truncated"), "{e}");
    }

    #[test]
    fn it_validates_an_upload() {
        assert_eq!(
            validate(
                "lodash/-/lodash-4.17.21.tgz".into(),
                package("lodash", "4.17.21")
            ),
            Ok(())
        );
        assert_eq!(
            validate(
                "@babel/core/-/core-7.24.0-rc.1.tgz".into(),
                package("@babel/core", "7.24.0-rc.1")
            ),
            Ok(())
        );
        // Only the file name is checked against the package.
        assert_eq!(
            validate(
                "uploads/tmp/core-1.0.0.tgz".into(),
                package("@s/core", "1.0.0")
            ),
            Ok(())
        );
        assert_eq!(
            validate("x-1.0.0.tgz".into(), package("x", "1.0.0")),
            Ok(())
        );
    }

    #[test]
    fn it_refuses_a_bad_upload() {
        for (path, name, version, why) in [
            (
                "x-1.0.tgz",
                "x",
                "1.0",
                "`1.0` is not a valid semantic version",
            ),
            (
                "x-v1.0.0.tgz",
                "x",
                "v1.0.0",
                "the version in package/package.json",
            ),
            (
                "x-01.0.0.tgz",
                "x",
                "01.0.0",
                "not a valid semantic version",
            ),
            ("Big-1.0.0.tgz", "Big", "1.0.0", "capital letters"),
            ("a b-1.0.0.tgz", "a b", "1.0.0", "contains ` `"),
            (".x-1.0.0.tgz", ".x", "1.0.0", "starts with `.`"),
            ("x-1.0.0.tgz", "@x", "1.0.0", "not a scoped name"),
            (
                "x/-/y-1.0.0.tgz",
                "x",
                "1.0.0",
                "the file name `y-1.0.0.tgz` does not match the package: npm names x@1.0.0 `x-1.0.0.tgz`",
            ),
            ("x/-/x-1.0.1.tgz", "x", "1.0.0", "`x-1.0.0.tgz`"),
            // `npm pack` names it `s-x-1.0.0.tgz`; the registry, `x-1.0.0.tgz`.
            (
                "@s/x/-/s-x-1.0.0.tgz",
                "@s/x",
                "1.0.0",
                "npm names @s/x@1.0.0 `x-1.0.0.tgz`",
            ),
            ("x-1.0.0.tar.gz", "x", "1.0.0", "does not match"),
        ] {
            let e = validate(path.into(), package(name, version)).unwrap_err();
            assert!(e.contains(why), "{path}: expected {why:?}, got {e:?}");
        }
        let long = "a".repeat(215);
        let e = validate(format!("{long}-1.0.0.tgz"), package(&long, "1.0.0")).unwrap_err();
        assert!(e.contains("npm allows at most 214"), "{e}");
    }

    #[test]
    fn no_artifacts_have_no_index() {
        assert_eq!(generate_index(vec![]), Ok(None));
    }

    #[test]
    fn it_writes_a_packument_per_package() {
        let sha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        let docs = index(vec![
            meta("lodash/-/lodash-4.9.0.tgz", Some("4.9.0"), Some(sha)),
            meta("@babel/core/-/core-7.0.0.tgz", None, None),
            meta("lodash/-/lodash-4.17.21.tgz", Some("4.17.21"), None),
            meta("lodash/-/lodash-5.0.0-beta.1.tgz", None, None),
        ]);
        let paths: Vec<&str> = docs.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["@babel/core/index.json", "lodash/index.json"]);
        assert_eq!(
            docs[1].1,
            json!({
                "_id": "lodash",
                "name": "lodash",
                "dist-tags": { "latest": "4.17.21" },
                "versions": {
                    "4.9.0": {
                        "_id": "lodash@4.9.0",
                        "name": "lodash",
                        "version": "4.9.0",
                        "dist": {
                            "tarball": "lodash/-/lodash-4.9.0.tgz",
                            "integrity": "sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=",
                        },
                    },
                    "4.17.21": {
                        "_id": "lodash@4.17.21",
                        "name": "lodash",
                        "version": "4.17.21",
                        "dist": { "tarball": "lodash/-/lodash-4.17.21.tgz" },
                    },
                    "5.0.0-beta.1": {
                        "_id": "lodash@5.0.0-beta.1",
                        "name": "lodash",
                        "version": "5.0.0-beta.1",
                        "dist": { "tarball": "lodash/-/lodash-5.0.0-beta.1.tgz" },
                    },
                },
            })
        );
        let babel = &docs[0].1;
        assert_eq!(babel["name"], "@babel/core");
        assert_eq!(babel["dist-tags"]["latest"], "7.0.0");
        assert_eq!(
            babel["versions"]["7.0.0"]["dist"]["tarball"],
            "@babel/core/-/core-7.0.0.tgz"
        );
    }

    #[test]
    fn the_index_is_deterministic_and_sorted() {
        let artifacts = vec![
            meta("b/-/b-1.0.0.tgz", None, None),
            meta("a/-/a-2.0.0.tgz", None, Some(&"AB".repeat(32))),
            meta("a/-/a-10.0.0.tgz", None, None),
        ];
        let mut reversed = artifacts.clone();
        reversed.reverse();
        let one = generate_index(artifacts).unwrap().unwrap();
        assert_eq!(one, generate_index(reversed).unwrap().unwrap());
        let text = String::from_utf8(one[0].1.clone()).unwrap();
        assert!(
            text.starts_with(
                r#"{"_id":"a","dist-tags":{"latest":"10.0.0"},"name":"a","versions":{"10.0.0":"#
            ),
            "{text}"
        );
        // Uppercase hex is the same checksum.
        assert!(
            text.contains(r#""integrity":"sha256-q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=""#),
            "{text}"
        );
        // Listing an artifact twice changes nothing.
        let twice = vec![meta("b/-/b-1.0.0.tgz", None, None); 2];
        assert_eq!(index(twice).len(), 1);
    }

    #[test]
    fn the_index_names_the_artifact_it_cannot_place() {
        for (artifact, why) in [
            (
                meta("lodash-4.17.21.tgz", None, None),
                "`lodash-4.17.21.tgz` does not follow npm's layout",
            ),
            (
                meta("x/-/x-1.0.0.tgz", Some("1.0.1"), None),
                "`x/-/x-1.0.0.tgz` has version `1.0.1` in its metadata, but its file name says `1.0.0`",
            ),
            (
                meta("x/-/x-1.0.0.tgz", None, Some("abc")),
                "`x/-/x-1.0.0.tgz` has the checksum `abc`, which is not a SHA-256",
            ),
            (
                meta("x/-/x-1.0.tgz", None, None),
                "`x/-/x-1.0.tgz` has no valid version",
            ),
            (
                meta("X/-/X-1.0.0.tgz", None, None),
                "`X/-/X-1.0.0.tgz` is not an npm package",
            ),
        ] {
            let good = meta("ok/-/ok-1.0.0.tgz", None, None);
            let e = generate_index(vec![good, artifact]).unwrap_err();
            assert!(e.contains(why), "expected {why:?}, got {e:?}");
        }
        let a = meta("x/-/x-1.0.0.tgz", None, Some(&"a".repeat(64)));
        let b = meta("x/-/x-1.0.0.tgz", None, Some(&"b".repeat(64)));
        let e = generate_index(vec![a, b]).unwrap_err();
        assert!(
            e.contains("`x/-/x-1.0.0.tgz` is listed twice with different checksums"),
            "{e}"
        );
    }

    #[test]
    fn parsed_metadata_indexes() {
        let path = "@acme/widget/-/widget-0.1.0.tgz";
        let m = parse_metadata(path.into(), package("@acme/widget", "0.1.0")).unwrap();
        let sha = m.checksum_sha256.clone().unwrap();
        let docs = index(vec![m]);
        assert_eq!(docs[0].0, "@acme/widget/index.json");
        let dist = &docs[0].1["versions"]["0.1.0"]["dist"];
        let integrity = dist["integrity"].as_str().unwrap();
        let digest: Vec<u8> = (0..32)
            .map(|i| u8::from_str_radix(&sha[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        assert_eq!(integrity, format!("sha256-{}", npm::base64(&digest)));
    }
}

#[ferrite_plugin::test]
fn the_format_key_is_npm() {
    assert_eq!(format_key(), "npm");
}

#[ferrite_plugin::test]
fn it_parses_and_validates_a_tarball() {
    let data = testutil::package("@acme/widget", "1.2.3");
    let path = "@acme/widget/-/widget-1.2.3.tgz".to_string();
    let m = parse_metadata(path.clone(), data.clone()).unwrap();
    assert_eq!(m.version.as_deref(), Some("1.2.3"));
    assert_eq!(m.size_bytes, data.len() as u64);
    assert_eq!(validate(path, data), Ok(()));
}

#[ferrite_plugin::test]
fn it_reads_what_npm_pack_writes() {
    let path = "@acme/left-pad/-/left-pad-1.3.0-beta.2.tgz".to_string();
    let m = parse_metadata(path.clone(), NPM_PACKED.to_vec()).unwrap();
    assert_eq!(m.version.as_deref(), Some("1.3.0-beta.2"));
    assert_eq!(
        m.checksum_sha256.as_deref(),
        Some("fbf1b21cec49095c36f2926a48f4e0c42a87b4cd15380563c8e9d1e643eabd43")
    );
    assert_eq!(validate(path, NPM_PACKED.to_vec()), Ok(()));
}

#[ferrite_plugin::test]
fn it_refuses_what_is_not_a_tarball() {
    let e = validate("x-1.0.0.tgz".into(), b"plain text".to_vec()).unwrap_err();
    assert!(e.contains("not gzip-compressed"), "{e}");
}

#[ferrite_plugin::test]
fn it_indexes_what_it_parsed() {
    let m = parse_metadata(
        "left-pad/-/left-pad-1.3.0.tgz".into(),
        testutil::package("left-pad", "1.3.0"),
    )
    .unwrap();
    let files = generate_index(vec![m]).unwrap().unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].0, "left-pad/index.json");
    let doc: serde_json::Value = serde_json::from_slice(&files[0].1).unwrap();
    assert_eq!(doc["dist-tags"]["latest"], "1.3.0");
    assert!(
        doc["versions"]["1.3.0"]["dist"]["integrity"]
            .as_str()
            .unwrap()
            .starts_with("sha256-")
    );
    assert_eq!(generate_index(vec![]), Ok(None));
}
