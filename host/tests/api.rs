//! The host API's versions and its 0.2.0 additions, through a built plugin:
//! which versions a host serves, `server.call` through the embedder's
//! command executor, and seeded random numbers.

mod common;

use std::sync::{Arc, Mutex};

use ferrite_plugin_host::server_call::{ServerCall, ServerCommands};
use ferrite_plugin_host::{
    ApiVersion, CallOptions, Frame, Host, HostConfig, KvError, LoadOptions, SeededRandom, wasm_wave,
};

fn value(host: &Host, function: &str, args: &[&str], opts: &CallOptions) -> String {
    let report = host.call_wave_with("testbed", function, args, opts);
    let v = report
        .result
        .unwrap_or_else(|e| panic!("testbed.{function}: {e}"));
    v.map_or(String::new(), |v| wasm_wave::to_string(&v).unwrap())
}

#[test]
fn a_plugin_of_a_newer_host_api_is_refused_naming_both_versions() {
    let old = Host::new(HostConfig {
        ferrite_version: semver::Version::new(0, 2, 0),
        ..common::config()
    })
    .unwrap();
    let err = old
        .load(&common::component("testbed"), LoadOptions::default())
        .map(|_| ())
        .expect_err("a 0.2.0 component on a Ferrite 0.2.0 host")
        .to_string();
    for part in [
        "@0.2.0` (host API 0.2.0)",
        "this host (Ferrite 0.2.0) serves host API 0.1.0",
        "run it on Ferrite 0.3.0 or newer",
        "--ferrite-version 0.2.0",
    ] {
        assert!(err.contains(part), "`{part}` missing from: {err}");
    }
    // Today's host serves both.
    let host = common::host();
    host.load(&common::component("testbed"), LoadOptions::default())
        .unwrap();
    assert_eq!(
        ApiVersion::served_by(&host.config().ferrite_version),
        ApiVersion::ALL
    );
}

#[test]
fn server_call_without_a_server_says_so() {
    let host = common::host();
    host.load(&common::component("testbed"), LoadOptions::default())
        .unwrap();
    let err = value(&host, "run", &[r#"["PING"]"#], &CallOptions::default());
    assert!(
        err.starts_with(r#"err(host("this host runs no server commands"#),
        "{err}"
    );
}

/// An executor that records what it was asked and answers from a script.
#[derive(Default)]
struct Recorder {
    seen: Mutex<Vec<(Vec<String>, bool, String)>>,
}

impl ServerCommands for Recorder {
    fn call(&self, call: &ServerCall<'_>) -> Result<Vec<Frame>, KvError> {
        let words: Vec<String> = call
            .args
            .iter()
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect();
        self.seen
            .lock()
            .unwrap()
            .push((words.clone(), call.read_only, call.plugin.to_string()));
        match words[0].as_str() {
            "LIST" => Ok(vec![
                Frame::Array(3),
                Frame::Integer(1),
                Frame::Array(1),
                Frame::Bulk(b"x".to_vec()),
                Frame::Double(1.5),
            ]),
            "BAD" => Err(KvError::Command(
                "WRONGTYPE Operation against a key holding the wrong kind of value".into(),
            )),
            "SET" if call.read_only => Err(KvError::PermissionDenied(
                "SET writes, and this call is read-only".into(),
            )),
            _ => Ok(vec![Frame::Ok]),
        }
    }
}

#[test]
fn server_call_goes_through_the_embedders_executor() {
    let host = common::host();
    host.load(&common::component("testbed"), LoadOptions::default())
        .unwrap();
    let recorder = Arc::new(Recorder::default());
    let opts = CallOptions {
        commands: Some(recorder.clone()),
        ..CallOptions::default()
    };
    assert_eq!(
        value(&host, "run", &[r#"["LIST", "a"]"#], &opts),
        r#"ok("Array([Integer(1), Array([Bulk([120])]), Double(1.5)])")"#
    );
    // A command's error reply is an `Err` with the server's text.
    let bad = value(&host, "run", &[r#"["BAD"]"#], &opts);
    assert!(bad.starts_with("err(invalid-argument(\"WRONGTYPE"), "{bad}");
    // The call's read-only flag reaches the executor, and its refusal the plugin.
    let ro = CallOptions {
        read_only: true,
        ..opts.clone()
    };
    let refused = value(&host, "run", &[r#"["SET", "k", "v"]"#], &ro);
    assert_eq!(
        refused,
        r#"err(permission-denied("SET writes, and this call is read-only"))"#
    );
    let seen = recorder.seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    assert_eq!(
        seen[0],
        (vec!["LIST".into(), "a".into()], false, "testbed".into())
    );
    assert!(seen[2].1);
}

#[test]
fn random_numbers_are_seeded_for_tests() {
    let draw = |seed: Option<u64>, opts: &CallOptions| {
        let host = Host::new(HostConfig {
            random_seed: seed,
            ..common::config()
        })
        .unwrap();
        host.load(&common::component("testbed"), LoadOptions::default())
            .unwrap();
        value(&host, "draw", &["4"], opts)
    };
    let none = CallOptions::default();
    assert_eq!(draw(Some(7), &none), draw(Some(7), &none));
    assert_ne!(draw(Some(7), &none), draw(Some(8), &none));
    assert_ne!(draw(None, &none), draw(None, &none));
    // A call's own generator wins over the host's.
    let per_call = || CallOptions {
        random: Some(Arc::new(SeededRandom::new(1))),
        ..CallOptions::default()
    };
    assert_eq!(draw(Some(7), &per_call()), draw(None, &per_call()));
    let numbers = draw(Some(7), &none);
    assert_eq!(numbers.matches(',').count(), 3, "{numbers}");
}
