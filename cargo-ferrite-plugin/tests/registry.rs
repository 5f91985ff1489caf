//! The registry commands through the real binary: `keygen`, `publish`,
//! `yank`/`unyank`, `search`, `info`, `install`, `list` and `remove`, against
//! directory registries and a static HTTP server on 127.0.0.1.

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::Ordering;

use common::registry::*;
use common::*;

const GREETER: &str = "reg_greeter";

/// The greeter component (version 1.0.0), built once in release mode.
fn greeter() -> &'static [u8] {
    static BUILT: OnceLock<Vec<u8>> = OnceLock::new();
    BUILT.get_or_init(|| {
        let plugin = TempPlugin::new(
            "reg_greeter_pkg",
            CDYLIB,
            &format!(
                "[plugin]\nname = \"{GREETER}\"\nversion = \"1.0.0\"\ndescription = \"Greets people politely\"\n\n[exports]\nfunctions = [\"hello\"]\n"
            ),
            HELLO,
        );
        let out = plugin.build(&["--release", "-q"]);
        assert!(out.status.success(), "{}", stderr(&out));
        std::fs::read(plugin.release_artifact(GREETER)).unwrap()
    })
}

/// The greeter component claiming `version` (of the same length as "1.0.0"):
/// its embedded plugin.toml, the last section, rewritten in place.
fn greeter_at(version: &str) -> Vec<u8> {
    assert_eq!(version.len(), 5);
    let mut bytes = greeter().to_vec();
    let needle = b"version = \"1.0.0\"";
    let at = bytes
        .windows(needle.len())
        .rposition(|w| w == needle)
        .expect("the embedded manifest names its version");
    bytes[at + 11..at + 16].copy_from_slice(version.as_bytes());
    bytes
}

/// A registry holding the greeter at each of `versions`, signed by `keys`.
fn registry_with(keys: &Keys, versions: &[&str]) -> tempfile::TempDir {
    let registry = tempfile::tempdir().unwrap();
    for v in versions {
        ok(publish_wasm(registry.path(), keys, &greeter_at(v)));
    }
    registry
}

/// Re-signs the greeter's metadata in `registry` after `edit`, with `keys`'
/// key, as its maintainer could.
fn resign(
    registry: &Path,
    keys: &Keys,
    edit: impl FnOnce(&mut ferrite_plugin_registry::metadata::Metadata),
) {
    use ferrite_plugin_registry::metadata::Signed;
    let path = registry.join(format!("plugins/{GREETER}/metadata.json"));
    let mut md = Signed::parse("r", GREETER, &std::fs::read(&path).unwrap())
        .unwrap()
        .signed;
    edit(&mut md);
    md.version += 1;
    let key = ferrite_plugin_registry::KeyPair::load(&keys.secret()).unwrap();
    std::fs::write(&path, Signed::sign(md, &key).to_bytes()).unwrap();
}

#[test]
fn keygen_writes_a_private_secret_and_never_prints_it() {
    let keys = Keys::new();
    let secret = std::fs::read_to_string(keys.secret()).unwrap();
    let hex = secret
        .lines()
        .find_map(|l| l.strip_prefix("secret = "))
        .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(keys.secret())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the secret key is readable by others");
    }
    // The id is stable: the first 16 hex digits of the public key's SHA-256.
    let public = read_json(&keys.public());
    let public_hex = public["public_key"].as_str().unwrap();
    let bytes: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&public_hex[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    let digest = <sha2::Sha256 as sha2::Digest>::digest(&bytes);
    let id: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(keys.id(), id);

    // A second keygen into the same place refuses, and prints no secret.
    let again = run(&["keygen", "--out"], &[keys.dir.path()]);
    assert_error(&again, &["already exists", "--force"]);
    assert!(!stderr(&again).contains(hex) && !stdout(&again).contains(hex));
    assert_eq!(std::fs::read_to_string(keys.secret()).unwrap(), secret);

    // By default keys go under $XDG_CONFIG_HOME/ferrite-plugin.
    let config = tempfile::tempdir().unwrap();
    let out = cli()
        .args(["ferrite-plugin", "keygen"])
        .env("XDG_CONFIG_HOME", config.path())
        .output()
        .unwrap();
    let text = ok(out);
    assert!(
        config
            .path()
            .join("ferrite-plugin/ferrite-plugin.key")
            .exists()
    );
    let written =
        std::fs::read_to_string(config.path().join("ferrite-plugin/ferrite-plugin.key")).unwrap();
    let secret = written
        .lines()
        .find_map(|l| l.strip_prefix("secret = "))
        .unwrap();
    assert!(!text.contains(secret), "keygen printed the secret key");
}

#[test]
fn round_trip_through_a_directory_registry() {
    let keys = Keys::new();
    let registry = tempfile::tempdir().unwrap();
    let plugin = TempPlugin::new(
        "reg_round_trip",
        CDYLIB,
        "[plugin]\nname = \"reg_round_trip\"\nversion = \"0.3.0\"\ndescription = \"Says hello\"\n\n[exports]\nfunctions = [\"hello\"]\n",
        HELLO,
    );

    // A dry run checks and signs but writes nothing.
    let secret = keys.secret();
    let reg = registry.path().to_str().unwrap();
    let key = secret.to_str().unwrap();
    let dry = plugin.run(&["publish", "--registry", reg, "--key", key, "--dry-run"]);
    let text = ok(dry);
    assert!(text.contains("dry run, nothing written"), "{text}");
    assert!(snapshot(registry.path()).is_empty());

    let out = plugin.run(&["publish", "--registry", reg, "--key", key]);
    let text = ok(out);
    assert!(
        text.contains("Finished"),
        "publish builds in release mode: {text}"
    );
    assert!(text.contains("Published reg_round_trip v0.3.0"), "{text}");
    let id = keys.id();
    assert!(text.contains(&format!("Added key `{id}`")), "{text}");
    for file in ["reg_round_trip.wasm", "plugin.toml", "reg_round_trip.wit"] {
        let path = registry
            .path()
            .join("plugins/reg_round_trip/0.3.0")
            .join(file);
        assert!(path.exists(), "`{}` was not written", path.display());
    }
    let index = read_json(&registry.path().join("registry.json"));
    assert_eq!(index["format"], 1);
    let entry = &index["plugins"]["reg_round_trip"]["versions"]["0.3.0"];
    assert_eq!(entry["key_id"], id.as_str());
    assert_eq!(entry["exports"], serde_json::json!(["hello"]));
    assert_eq!(entry["yanked"], false);
    let keys_json = read_json(&registry.path().join("keys.json"));
    assert_eq!(keys_json["keys"][0]["id"], id.as_str());

    // Versions are immutable.
    let again = plugin.run(&["publish", "--registry", reg, "--key", key]);
    assert_error(&again, &["already published", "bump the version"]);

    let found = ok(run(&["search", "hello", "--registry", reg], &[]));
    assert!(
        found.contains("reg_round_trip = \"0.3.0\"") && found.contains("Says hello"),
        "{found}"
    );
    let none = ok(run(&["search", "nothing-like-it", "--registry", reg], &[]));
    assert!(none.contains("no plugin matches"), "{none}");

    let info = ok(run(&["info", "reg_round_trip", "--registry", reg], &[]));
    assert!(
        info.contains("0.3.0") && info.contains("exports:   hello"),
        "{info}"
    );
    assert!(info.contains(&id), "{info}");

    let server = tempfile::tempdir().unwrap();
    let into = server.path().join("plugins");
    let out = run(
        &[
            "install",
            "reg_round_trip@^0.3",
            "--registry",
            reg,
            "--into",
        ],
        &[&into],
    );
    let text = ok(out);
    assert!(text.contains("Installed reg_round_trip v0.3.0"), "{text}");
    let installed = into.join("reg_round_trip.wasm");
    assert_eq!(
        std::fs::read(&installed).unwrap(),
        std::fs::read(
            registry
                .path()
                .join("plugins/reg_round_trip/0.3.0/reg_round_trip.wasm")
        )
        .unwrap()
    );
    // The installed plugin loads in the host, with its permissions, and runs.
    assert_eq!(call_hello(&installed), "\"hello, bob\"");
    let host = ferrite_plugin_host::Host::new(ferrite_plugin_host::HostConfig::default()).unwrap();
    let loaded = host
        .load_file(&installed, ferrite_plugin_host::LoadOptions::default())
        .unwrap();
    assert_eq!(loaded.name(), "reg_round_trip");

    let listed = ok(run(&["list", "--from"], &[&into]));
    assert!(listed.contains("reg_round_trip v0.3.0"), "{listed}");
    let removed = ok(run(&["remove", "reg_round_trip", "--from"], &[&into]));
    assert!(
        removed.contains("Removed reg_round_trip v0.3.0"),
        "{removed}"
    );
    assert!(!installed.exists());
    let listed = ok(run(&["list", "--from"], &[&into]));
    assert!(listed.contains("no plugin is installed"), "{listed}");
    let missing = run(&["remove", "reg_round_trip", "--from"], &[&into]);
    assert_error(&missing, &["is not installed"]);
}

#[test]
fn round_trip_over_http() {
    let keys = Keys::new();
    let registry = registry_with(&keys, &["1.0.0", "1.1.0"]);
    let server = Server::start(registry.path());
    let url = server.url();

    let found = ok(run(&["search", "--registry", &url], &[]));
    assert!(found.contains(&format!("{GREETER} = \"1.1.0\"")), "{found}");
    let info = ok(run(
        &["info", &format!("{GREETER}@1.0.0"), "--registry", &url],
        &[],
    ));
    assert!(info.contains("1.0.0") && !info.contains("1.1.0"), "{info}");

    let into = tempfile::tempdir().unwrap();
    let text = ok(run(
        &[
            "install",
            &format!("{GREETER}@~1.0"),
            "--registry",
            &url,
            "--into",
        ],
        &[into.path()],
    ));
    assert!(
        text.contains(&format!("Installed {GREETER} v1.0.0")),
        "{text}"
    );
    // An upgrade replaces the installed version.
    let text = ok(run(
        &["install", GREETER, "--registry", &url, "--into"],
        &[into.path()],
    ));
    assert!(
        text.contains("v1.1.0") && text.contains("replacing v1.0.0"),
        "{text}"
    );
    let installed = into.path().join(format!("{GREETER}.wasm"));
    assert_eq!(call_hello(&installed), "\"hello, bob\"");
    let record = read_json(&into.path().join("installed.json"));
    assert_eq!(record["plugins"][GREETER]["version"], "1.1.0");
    assert_eq!(record["plugins"][GREETER]["registry"], url.as_str());

    // HTTP registries are read-only.
    let out = publish_wasm(url.as_ref(), &keys, &greeter_at("1.2.0"));
    assert_error(&out, &["read-only over HTTP"]);
}

#[test]
fn yanked_versions_are_skipped_unless_pinned() {
    let keys = Keys::new();
    let registry = registry_with(&keys, &["1.0.0", "1.0.1"]);
    let reg = registry.path().to_str().unwrap();
    let secret = keys.secret();
    let key = secret.to_str().unwrap();
    // Only the plugin's key yanks.
    let other = Keys::new();
    let out = run(
        &[
            "yank",
            &format!("{GREETER}@1.0.1"),
            "--registry",
            reg,
            "--key",
            other.secret().to_str().unwrap(),
        ],
        &[],
    );
    assert_error(&out, &["belongs to key", &keys.id(), "keygen --rotate"]);
    let text = ok(run(
        &[
            "yank",
            &format!("{GREETER}@1.0.1"),
            "--registry",
            reg,
            "--key",
            key,
        ],
        &[],
    ));
    assert!(text.contains(&format!("Yanked {GREETER} v1.0.1")), "{text}");
    assert!(text.contains("metadata version 3"), "{text}");
    let index = read_json(&registry.path().join("registry.json"));
    assert_eq!(
        index["plugins"][GREETER]["versions"]["1.0.1"]["yanked"],
        true
    );

    let info = ok(run(&["info", GREETER, "--registry", reg], &[]));
    assert!(info.contains("1.0.1 (yanked)"), "{info}");
    let found = ok(run(&["search", "--registry", reg], &[]));
    assert!(found.contains("\"1.0.0\""), "{found}");

    let into = tempfile::tempdir().unwrap();
    let install = |req: &str| {
        ok(run(
            &["install", req, "--registry", reg, "--into"],
            &[into.path()],
        ))
    };
    assert!(install(GREETER).contains("v1.0.0"));
    assert!(install(&format!("{GREETER}@^1")).contains("v1.0.0"));
    assert!(install(&format!("{GREETER}@1.0.1")).contains("v1.0.1"));
    assert!(install(&format!("{GREETER}@=1.0.1")).contains("v1.0.1"));

    ok(run(
        &[
            "unyank",
            &format!("{GREETER}@1.0.1"),
            "--registry",
            reg,
            "--key",
            key,
        ],
        &[],
    ));
    assert!(install(GREETER).contains("v1.0.1"));

    let out = run(&["yank", GREETER, "--registry", reg, "--key", key], &[]);
    assert_error(&out, &["NAME@1.2.3"]);
    let out = run(
        &[
            "yank",
            &format!("{GREETER}@3.0.0"),
            "--registry",
            reg,
            "--key",
            key,
        ],
        &[],
    );
    assert_error(&out, &["has no version 3.0.0"]);
}

#[test]
fn min_ferrite_version_is_honoured() {
    let keys = Keys::new();
    let registry = registry_with(&keys, &["1.0.0", "1.1.0"]);
    let index = read_json(&registry.path().join("registry.json"));
    resign(registry.path(), &keys, |md| {
        md.versions
            .get_mut(&semver::Version::new(1, 1, 0))
            .unwrap()
            .min_ferrite_version = Some(semver::Version::new(0, 9, 0));
    });
    let reg = registry.path().to_str().unwrap();
    let into = tempfile::tempdir().unwrap();
    let install = |req: &str, ferrite: &str| {
        run(
            &[
                "install",
                req,
                "--registry",
                reg,
                "--ferrite-version",
                ferrite,
                "--into",
            ],
            &[into.path()],
        )
    };
    assert!(ok(install(GREETER, "0.3.0")).contains("v1.0.0"));
    assert!(ok(install(GREETER, "0.9.1")).contains("v1.1.0"));
    assert_error(
        &install(&format!("{GREETER}@1.1.0"), "0.3.0"),
        &["needs Ferrite 0.9.0 or newer", "this server is 0.3.0"],
    );
    // Publishing records what the component needs: it imports host API
    // 0.2.0, which Ferrite 0.2 does not serve, whatever plugin.toml says.
    assert_eq!(
        index["plugins"][GREETER]["versions"]["1.0.0"]["min_ferrite_version"],
        "0.3.0"
    );
    assert_error(
        &install(&format!("{GREETER}@1.0.0"), "0.2.0"),
        &["needs Ferrite 0.3.0 or newer", "this server is 0.2.0"],
    );
}

/// Runs `install` of `request` from a copy of `pristine` spoiled by `spoil`,
/// into a directory that already holds an installed plugin; asserts the error
/// contains `needles` and the directory is byte-for-byte unchanged.
fn refused(
    pristine: &Path,
    spoil: impl FnOnce(&Path),
    request: &str,
    extra: &[&str],
    needles: &[&str],
) {
    let registry = tempfile::tempdir().unwrap();
    copy_dir(pristine, registry.path());
    let into = tempfile::tempdir().unwrap();
    let reg = registry.path().to_str().unwrap();
    ok(run(
        &[
            "install",
            &format!("{GREETER}@1.0.0"),
            "--registry",
            reg,
            "--into",
        ],
        &[into.path()],
    ));
    spoil(registry.path());
    let before = snapshot(into.path());
    let mut args = vec!["install", request, "--registry", reg];
    args.extend_from_slice(extra);
    args.push("--into");
    let out = run(&args, &[into.path()]);
    assert_error(&out, needles);
    assert_eq!(
        snapshot(into.path()),
        before,
        "a refused install changed the target directory"
    );
    // A directory that did not exist is not created.
    let fresh = into.path().join("fresh");
    let mut args = vec!["install", request, "--registry", reg];
    args.extend_from_slice(extra);
    args.push("--into");
    let out = run(&args, &[&fresh]);
    assert!(!out.status.success());
    assert!(
        !fresh.exists(),
        "a refused install created `{}`",
        fresh.display()
    );
}

fn wasm_of(registry: &Path, version: &str) -> PathBuf {
    registry
        .join("plugins")
        .join(GREETER)
        .join(version)
        .join(format!("{GREETER}.wasm"))
}

#[test]
fn bad_artifacts_and_keys_are_refused_and_write_nothing() {
    let keys = Keys::new();
    let pristine = registry_with(&keys, &["1.0.0", "1.0.1"]);
    let p = pristine.path();
    let latest = GREETER;
    let id = keys.id();

    // A flipped byte in the component.
    refused(
        p,
        |r| {
            let path = wasm_of(r, "1.0.1");
            let mut bytes = std::fs::read(&path).unwrap();
            let n = bytes.len() / 2;
            bytes[n] ^= 0x40;
            std::fs::write(&path, bytes).unwrap();
        },
        latest,
        &[],
        &["refusing", "1.0.1", "tampered with"],
    );

    // A replaced component with its metadata (and the catalog) rewritten to
    // match, without the key: the metadata's signature catches it.
    refused(
        p,
        |r| {
            let mut bytes = greeter_at("1.0.1");
            bytes.extend_from_slice(&[0, 4, 3, b'e', b'v', b'l', 1]);
            std::fs::write(wasm_of(r, "1.0.1"), &bytes).unwrap();
            let digest = <sha2::Sha256 as sha2::Digest>::digest(&bytes);
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            let md_path = r.join(format!("plugins/{GREETER}/metadata.json"));
            let mut md = read_json(&md_path);
            let v = &mut md["signed"]["versions"]["1.0.1"];
            v["sha256"] = hex.clone().into();
            v["size"] = bytes.len().into();
            write_json(&md_path, &md);
            let mut index = read_json(&r.join("registry.json"));
            let v = &mut index["plugins"][GREETER]["versions"]["1.0.1"];
            v["sha256"] = hex.into();
            v["size"] = bytes.len().into();
            write_json(&r.join("registry.json"), &index);
        },
        latest,
        &[],
        &["refusing", "signature on its metadata", "does not verify"],
    );

    // A truncated file: the size is wrong.
    refused(
        p,
        |r| {
            let path = wasm_of(r, "1.0.1");
            let bytes = std::fs::read(&path).unwrap();
            std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        },
        latest,
        &[],
        &["refusing", "truncated"],
    );

    // A key the registry does not list: unknown to a first install, unless
    // the operator trusts it; an installed plugin, pinned to it, updates.
    let drop_key = |r: &Path| {
        let mut k = read_json(&r.join("keys.json"));
        k["keys"] = serde_json::json!([]);
        write_json(&r.join("keys.json"), &k);
    };
    {
        let registry = tempfile::tempdir().unwrap();
        copy_dir(p, registry.path());
        let reg = registry.path().to_str().unwrap();
        let pinned = tempfile::tempdir().unwrap();
        ok(run(
            &[
                "install",
                &format!("{GREETER}@1.0.0"),
                "--registry",
                reg,
                "--into",
            ],
            &[pinned.path()],
        ));
        drop_key(registry.path());
        let fresh = tempfile::tempdir().unwrap();
        let out = run(
            &["install", latest, "--registry", reg, "--into"],
            &[fresh.path()],
        );
        assert_error(
            &out,
            &[
                "refusing",
                &id,
                "neither the registry's keys.json nor `--trust`",
            ],
        );
        assert!(snapshot(fresh.path()).is_empty());
        let text = ok(run(
            &["install", latest, "--registry", reg, "--into"],
            &[pinned.path()],
        ));
        assert!(text.contains("v1.0.1"), "{text}");
    }
    {
        let registry = tempfile::tempdir().unwrap();
        copy_dir(p, registry.path());
        drop_key(registry.path());
        let into = tempfile::tempdir().unwrap();
        let public = keys.public();
        let trusted = ok(run(
            &[
                "install",
                latest,
                "--registry",
                registry.path().to_str().unwrap(),
                "--trust",
                public.to_str().unwrap(),
                "--into",
            ],
            &[into.path()],
        ));
        assert!(trusted.contains("v1.0.1"), "{trusted}");
    }

    // A key signed by someone else, pinned as if it were the publisher's.
    let other = Keys::new();
    let forged = format!(
        "{id}={}",
        read_json(&other.public())["public_key"].as_str().unwrap()
    );
    let out = run(
        &[
            "install",
            latest,
            "--registry",
            ".",
            "--trust",
            &forged,
            "--into",
            "x",
        ],
        &[],
    );
    assert_error(&out, &["does not match its public key"]);

    // A revoked key is refused, even when pinned.
    let revoke = |r: &Path| {
        let mut k = read_json(&r.join("keys.json"));
        k["keys"][0]["revoked_at"] = "2026-11-01T00:00:00Z".into();
        write_json(&r.join("keys.json"), &k);
    };
    refused(
        p,
        revoke,
        latest,
        &[],
        &["refusing", &id, "revoked on 2026-11-01T00:00:00Z"],
    );
    let public = keys.public();
    refused(
        p,
        revoke,
        latest,
        &["--trust", public.to_str().unwrap()],
        &["revoked"],
    );
    // And publishing with it is refused too.
    let registry = tempfile::tempdir().unwrap();
    copy_dir(p, registry.path());
    revoke(registry.path());
    let out = publish_wasm(registry.path(), &keys, &greeter_at("1.0.2"));
    assert_error(&out, &["revoked", "keygen"]);

    // A signature over another plugin.toml.
    refused(
        p,
        |r| {
            let path = r.join(format!("plugins/{GREETER}/1.0.1/plugin.toml"));
            let mut text = std::fs::read_to_string(&path).unwrap();
            text.push_str("\n[limits]\nfuel = 1\n");
            std::fs::write(&path, text).unwrap();
        },
        latest,
        &[],
        &["refusing", "plugin.toml"],
    );

    // A listed version whose files are gone.
    refused(
        p,
        |r| std::fs::remove_file(wasm_of(r, "1.0.1")).unwrap(),
        latest,
        &[],
        &["refusing", "has no `plugins/"],
    );
}

#[test]
fn bad_indexes_names_and_versions_are_refused_and_write_nothing() {
    let keys = Keys::new();
    let pristine = registry_with(&keys, &["1.0.0", "1.0.1"]);
    let p = pristine.path();
    let nothing = |_: &Path| {};
    let metadata = |r: &Path| r.join(format!("plugins/{GREETER}/metadata.json"));

    refused(
        p,
        |r| std::fs::write(metadata(r), "{\"signed\": ").unwrap(),
        GREETER,
        &[],
        &["`metadata.json`", "is malformed"],
    );
    refused(
        p,
        |r| {
            let mut md = read_json(&metadata(r));
            md["signed"]["format"] = 2.into();
            write_json(&metadata(r), &md);
        },
        GREETER,
        &[],
        &["has format 2", "upgrade cargo-ferrite-plugin"],
    );
    refused(
        p,
        |r| std::fs::write(r.join("keys.json"), "[]").unwrap(),
        GREETER,
        &[],
        &["`keys.json`", "is malformed"],
    );
    // Metadata moved over from another plugin.
    refused(
        p,
        |r| {
            let mut md = read_json(&metadata(r));
            md["signed"]["name"] = "other_plugin".into();
            write_json(&metadata(r), &md);
        },
        GREETER,
        &[],
        &["describes the plugin `other_plugin`"],
    );
    for name in ["../evil", "a/b", "..", "x\\y", "Evil"] {
        refused(p, nothing, name, &[], &["is not a valid plugin name"]);
    }
    refused(
        p,
        nothing,
        &format!("{GREETER}@9.9.9"),
        &[],
        &["has no version 9.9.9", "published: 1.0.0, 1.0.1"],
    );
    refused(p, nothing, &format!("{GREETER}@^2"), &[], &["^2"]);
    refused(
        p,
        nothing,
        &format!("{GREETER}@latest"),
        &[],
        &["`latest` is not a version requirement"],
    );
    refused(
        p,
        nothing,
        "no_such_plugin",
        &[],
        &["has no plugin `no_such_plugin`"],
    );
    // No metadata, and no catalog either: not a registry.
    refused(
        p,
        |r| {
            std::fs::remove_file(r.join("registry.json")).unwrap();
            std::fs::remove_file(metadata(r)).unwrap();
        },
        GREETER,
        &[],
        &["`registry.json`", "does not exist"],
    );

    // The unsigned catalog is for `search`, which refuses a damaged one;
    // installs never read it.
    let damaged = tempfile::tempdir().unwrap();
    copy_dir(p, damaged.path());
    let reg = damaged.path().to_str().unwrap();
    for (bad, needles) in [
        (
            "{\"format\": 1, \"plugins\": ",
            &["`registry.json`", "is malformed"][..],
        ),
        ("{\"format\": 2}", &["has format 2"][..]),
        (
            "{\"format\": 1, \"plugins\": {\"../evil\": {\"versions\": {}}}}",
            &["`../evil` is not a valid plugin name"][..],
        ),
    ] {
        std::fs::write(damaged.path().join("registry.json"), bad).unwrap();
        assert_error(&run(&["search", "--registry", reg], &[]), needles);
        let into = tempfile::tempdir().unwrap();
        ok(run(
            &["install", GREETER, "--registry", reg, "--into"],
            &[into.path()],
        ));
    }

    for name in ["../evil", "a/b"] {
        let out = run(&["info", name, "--registry", p.to_str().unwrap()], &[]);
        assert_error(&out, &["is not a valid plugin name"]);
        let out = run(&["remove", name, "--from", p.to_str().unwrap()], &[]);
        assert_error(&out, &["is not a valid plugin name"]);
    }
}

#[test]
fn network_failures_name_the_url_and_write_nothing() {
    let keys = Keys::new();
    let registry = registry_with(&keys, &["1.0.0"]);
    let server = Server::start(registry.path());
    let url = server.url();
    let into = tempfile::tempdir().unwrap();
    let target = into.path().join("plugins");

    // A download cut short.
    server.truncate.store(true, Ordering::SeqCst);
    let out = run(
        &["install", GREETER, "--registry", &url, "--into"],
        &[&target],
    );
    assert_error(
        &out,
        &[
            &format!("{url}/plugins/{GREETER}/1.0.0/{GREETER}.wasm"),
            "truncated",
        ],
    );
    assert!(!target.exists());
    server.truncate.store(false, Ordering::SeqCst);
    ok(run(
        &["install", GREETER, "--registry", &url, "--into"],
        &[&target],
    ));

    // Nothing listening.
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let dead = format!("http://{closed}");
    let before = snapshot(&target);
    let out = run(
        &["install", GREETER, "--registry", &dead, "--into"],
        &[&target],
    );
    assert_error(
        &out,
        &[&format!(
            "cannot fetch `{dead}/plugins/{GREETER}/metadata.json`"
        )],
    );
    let out = run(&["search", "--registry", &dead], &[]);
    assert_error(&out, &[&format!("{dead}/registry.json")]);
    assert_eq!(snapshot(&target), before);

    // A registry URL with no registry behind it.
    let out = run(
        &["info", GREETER, "--registry", &format!("{url}/nowhere")],
        &[],
    );
    assert_error(&out, &["registry.json", "does not exist"]);
}

#[test]
fn concurrent_publishes_all_land() {
    const N: usize = 8;
    let keys = Keys::new();
    let registry = tempfile::tempdir().unwrap();
    let files: Vec<tempfile::NamedTempFile> = (0..N)
        .map(|i| {
            let file = tempfile::NamedTempFile::new().unwrap();
            std::fs::write(file.path(), greeter_at(&format!("1.0.{i}"))).unwrap();
            file
        })
        .collect();
    let children: Vec<_> = files
        .iter()
        .map(|f| {
            cli()
                .args(["ferrite-plugin", "publish", "-q", "--registry"])
                .arg(registry.path())
                .arg("--key")
                .arg(keys.secret())
                .arg("--wasm")
                .arg(f.path())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let index = read_json(&registry.path().join("registry.json"));
    let versions = index["plugins"][GREETER]["versions"].as_object().unwrap();
    let mut got: Vec<&String> = versions.keys().collect();
    got.sort();
    let want: Vec<String> = (0..N).map(|i| format!("1.0.{i}")).collect();
    assert_eq!(got, want.iter().collect::<Vec<_>>());
    let keys_json = read_json(&registry.path().join("keys.json"));
    assert_eq!(keys_json["keys"].as_array().unwrap().len(), 1);
    // No temporary file is left behind, and every version verifies.
    let stray: Vec<_> = snapshot(registry.path())
        .into_keys()
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(".tmp"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
    let reg = registry.path().to_str().unwrap();
    for v in &want {
        let into = tempfile::tempdir().unwrap();
        let text = ok(run(
            &[
                "install",
                &format!("{GREETER}@={v}"),
                "--registry",
                reg,
                "--into",
            ],
            &[into.path()],
        ));
        assert!(text.contains(&format!("v{v}")), "{text}");
    }
}

#[test]
fn a_publish_killed_mid_write_leaves_the_registry_readable() {
    let keys = Keys::new();
    let registry = registry_with(&keys, &["1.0.0"]);
    let reg = registry.path().to_str().unwrap();
    let metadata = registry
        .path()
        .join(format!("plugins/{GREETER}/metadata.json"));
    let publish_crashing_at = |step: &str, version: &str| {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), greeter_at(version)).unwrap();
        let out = cli()
            .args(["ferrite-plugin", "publish", "--registry", reg, "--key"])
            .arg(keys.secret())
            .arg("--wasm")
            .arg(file.path())
            .env("FERRITE_PLUGIN_REGISTRY_CRASH", step)
            .output()
            .unwrap();
        assert!(
            !out.status.success(),
            "the crash hook did not fire at {step}"
        );
    };
    let installs = |version: &str| {
        let into = tempfile::tempdir().unwrap();
        let text = ok(run(
            &["install", GREETER, "--registry", reg, "--into"],
            &[into.path()],
        ));
        assert!(text.contains(&format!("v{version}")), "{text}");
    };
    // Killed before the signed metadata is replaced: nothing happened.
    for step in ["after-files", "mid-metadata"] {
        let (index_before, md_before) = (
            std::fs::read(registry.path().join("registry.json")).unwrap(),
            std::fs::read(&metadata).unwrap(),
        );
        publish_crashing_at(step, "1.0.1");
        assert_eq!(
            std::fs::read(registry.path().join("registry.json")).unwrap(),
            index_before,
            "a publish killed at {step} changed registry.json"
        );
        assert_eq!(
            std::fs::read(&metadata).unwrap(),
            md_before,
            "a publish killed at {step} changed the metadata"
        );
        let info = ok(run(&["info", GREETER, "--registry", reg], &[]));
        assert!(info.contains("1.0.0") && !info.contains("1.0.1"), "{info}");
        installs("1.0.0");
    }
    // Killed after it: the version is published (installs see it), the
    // catalog lags, and the next write brings the catalog up to date.
    publish_crashing_at("mid-index", "1.0.1");
    installs("1.0.1");
    let index = read_json(&registry.path().join("registry.json"));
    assert!(index["plugins"][GREETER]["versions"].get("1.0.1").is_none());
    let again = publish_wasm(registry.path(), &keys, &greeter_at("1.0.1"));
    assert_error(&again, &["already published"]);
    ok(publish_wasm(registry.path(), &keys, &greeter_at("1.0.2")));
    let index = read_json(&registry.path().join("registry.json"));
    let versions = &index["plugins"][GREETER]["versions"];
    assert!(versions.get("1.0.1").is_some() && versions.get("1.0.2").is_some());
    installs("1.0.2");
}

#[test]
fn breaking_export_changes_need_a_major_version() {
    let keys = Keys::new();
    let registry = tempfile::tempdir().unwrap();
    let reg = registry.path().to_str().unwrap();
    let secret = keys.secret();
    let key = secret.to_str().unwrap();
    let manifest = |version: &str, functions: &str| {
        format!(
            "[plugin]\nname = \"reg_shapes\"\nversion = \"{version}\"\n\n[exports]\nfunctions = [{functions}]\n"
        )
    };
    let plugin = TempPlugin::new(
        "reg_shapes",
        CDYLIB,
        &manifest("1.0.0", "\"area\", \"label\""),
        "#[ferrite_plugin::function]\npub fn area(w: u32, h: u32) -> u32 { w * h }\n\
         #[ferrite_plugin::function]\npub fn label() -> String { \"box\".into() }\n",
    );
    ok(plugin.run(&["publish", "--registry", reg, "--key", key]));

    // Adding an export is compatible.
    plugin.write(
        "plugin.toml",
        &manifest("1.1.0", "\"area\", \"label\", \"perimeter\""),
    );
    plugin.write(
        "src/lib.rs",
        "#[ferrite_plugin::function]\npub fn area(w: u32, h: u32) -> u32 { w * h }\n\
         #[ferrite_plugin::function]\npub fn label() -> String { \"box\".into() }\n\
         #[ferrite_plugin::function]\npub fn perimeter(w: u32, h: u32) -> u32 { 2 * (w + h) }\n",
    );
    ok(plugin.run(&["publish", "--registry", reg, "--key", key, "-v"]));

    // Changing one signature and removing another is not, within 1.x.
    plugin.write("plugin.toml", &manifest("1.2.0", "\"area\", \"perimeter\""));
    plugin.write(
        "src/lib.rs",
        "#[ferrite_plugin::function]\npub fn area(w: u64, h: u64) -> u64 { w * h }\n\
         #[ferrite_plugin::function]\npub fn perimeter(w: u32, h: u32) -> u32 { 2 * (w + h) }\n",
    );
    let before = snapshot(registry.path());
    let out = plugin.run(&["publish", "--registry", reg, "--key", key]);
    assert_error(
        &out,
        &[
            "breaks the exports of 1.1.0",
            "`area`",
            "`label`",
            "bump the major version",
        ],
    );
    let after = snapshot(registry.path());
    let lock = registry.path().join(".registry.lock");
    assert_eq!(
        after
            .iter()
            .filter(|(p, _)| **p != lock)
            .collect::<Vec<_>>(),
        before
            .iter()
            .filter(|(p, _)| **p != lock)
            .collect::<Vec<_>>(),
        "a refused publish wrote into the registry"
    );

    // A major version may break.
    plugin.write("plugin.toml", &manifest("2.0.0", "\"area\", \"perimeter\""));
    ok(plugin.run(&["publish", "--registry", reg, "--key", key]));
    let index = read_json(&registry.path().join("registry.json"));
    let versions: Vec<&String> = index["plugins"]["reg_shapes"]["versions"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(versions, ["1.0.0", "1.1.0", "2.0.0"]);
}

#[test]
fn publish_explains_a_missing_key_and_a_bad_component() {
    let registry = tempfile::tempdir().unwrap();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), greeter()).unwrap();
    let out = run(
        &["publish", "--registry"],
        &[registry.path(), "--wasm".as_ref(), file.path()],
    );
    assert_error(&out, &["no signing key", "cargo ferrite-plugin keygen"]);

    let keys = Keys::new();
    let out = publish_wasm(registry.path(), &keys, b"\0asm not really");
    assert!(!out.status.success());
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    let out = publish_wasm(registry.path(), &keys, &greeter()[..greeter().len() - 40]);
    assert!(!out.status.success());
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    assert!(!registry.path().join("registry.json").exists());

    let bad_key = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(bad_key.path(), "secret = nothex\n").unwrap();
    let out = run(
        &["publish", "--registry"],
        &[
            registry.path(),
            "--key".as_ref(),
            bad_key.path(),
            "--wasm".as_ref(),
            file.path(),
        ],
    );
    assert_error(
        &out,
        &["is not a signing key written by `cargo ferrite-plugin keygen`"],
    );
}

#[test]
fn publish_refuses_uncommitted_changes_unless_allowed() {
    let keys = Keys::new();
    let registry = tempfile::tempdir().unwrap();
    let plugin = TempPlugin::new(
        "reg_dirty",
        CDYLIB,
        "[plugin]\nname = \"reg_dirty\"\nversion = \"0.1.0\"\n\n[exports]\nfunctions = [\"hello\"]\n",
        HELLO,
    );
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(plugin.dir.path())
            .output()
            .expect("git is installed");
        assert!(out.status.success(), "{}", stderr(&out));
    };
    // Building settles Cargo.lock; commit what a user would commit.
    ok(plugin.build(&["--release", "-q"]));
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "plugin"]);
    let (reg, secret) = (registry.path().to_str().unwrap(), keys.secret());
    let key = secret.to_str().unwrap();
    ok(plugin.run(&["publish", "--registry", reg, "--key", key, "--dry-run"]));

    plugin.write("src/lib.rs", &format!("{HELLO}// edited\n"));
    let out = plugin.run(&["publish", "--registry", reg, "--key", key, "--dry-run"]);
    assert_error(
        &out,
        &["uncommitted changes", "src/lib.rs", "--allow-dirty"],
    );
    ok(plugin.run(&[
        "publish",
        "--registry",
        reg,
        "--key",
        key,
        "--dry-run",
        "--allow-dirty",
    ]));
    assert!(snapshot(registry.path()).is_empty());
}

#[test]
fn a_registry_from_before_signed_metadata_says_how_to_migrate() {
    let keys = Keys::new();
    let registry = registry_with(&keys, &["1.0.0", "1.0.1"]);
    // What a registry written before signed metadata looks like.
    std::fs::remove_file(
        registry
            .path()
            .join(format!("plugins/{GREETER}/metadata.json")),
    )
    .unwrap();
    let reg = registry.path().to_str().unwrap();
    let into = tempfile::tempdir().unwrap();
    let out = run(
        &["install", GREETER, "--registry", reg, "--into"],
        &[into.path()],
    );
    assert_error(
        &out,
        &[
            "has no signed metadata",
            "cargo ferrite-plugin registry migrate",
        ],
    );
    assert!(snapshot(into.path()).is_empty());
    // `search` still reads its catalog.
    assert!(ok(run(&["search", "--registry", reg], &[])).contains(GREETER));

    // Another maintainer's key migrates nothing of it.
    let other = Keys::new();
    let text = ok(run(
        &["registry", "migrate", "--registry", reg, "--key"],
        &[&other.secret()],
    ));
    assert!(
        text.contains(&format!(
            "`{GREETER}` was published with key `{}`",
            keys.id()
        )),
        "{text}"
    );
    assert!(
        !registry
            .path()
            .join(format!("plugins/{GREETER}/metadata.json"))
            .exists()
    );
    // Its own maintainer's does, after checking every version's signature.
    let text = ok(run(
        &["registry", "migrate", "--registry", reg, "--key"],
        &[&keys.secret()],
    ));
    assert!(
        text.contains(&format!(
            "Migrated {GREETER}: signed metadata of 2 versions"
        )),
        "{text}"
    );
    let text = ok(run(
        &["install", GREETER, "--registry", reg, "--into"],
        &[into.path()],
    ));
    assert!(text.contains("v1.0.1"), "{text}");
    // Publishing carries on from the migrated metadata.
    ok(publish_wasm(registry.path(), &keys, &greeter_at("1.0.2")));
    let info = ok(run(&["info", GREETER, "--registry", reg], &[]));
    assert!(
        info.contains("signed metadata version 2") && info.contains("1.0.2"),
        "{info}"
    );
}
