//! What a client sends can never panic the server: random bytes, random
//! valid commands cut at any point, and frames split across reads.

use std::sync::OnceLock;

use bytes::BytesMut;
use ferrite_plugin_host::HostConfig;
use ferrite_plugin_server::conn::{Flow, feed};
use ferrite_plugin_server::{Server, ServerConfig};
use proptest::prelude::*;

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        Server::new(
            HostConfig {
                pool_size: 0,
                ..HostConfig::default()
            },
            ServerConfig {
                max_bulk: 4096,
                ..ServerConfig::default()
            },
        )
        .unwrap()
    })
}

/// A command as a client library would encode it.
fn encode(args: &[Vec<u8>]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Stateless commands, so that replies depend only on the input.
fn command() -> impl Strategy<Value = Vec<Vec<u8>>> {
    let arg = prop::collection::vec(any::<u8>(), 0..40);
    prop_oneof![
        Just(vec![b"PING".to_vec()]),
        arg.clone().prop_map(|a| vec![b"ECHO".to_vec(), a]),
        arg.clone().prop_map(|a| vec![b"PING".to_vec(), a]),
        prop::collection::vec(arg.clone(), 0..4).prop_map(|mut a| {
            a.insert(0, b"NO.SUCH.COMMAND".to_vec());
            a
        }),
        arg.prop_map(|a| vec![b"EXISTS".to_vec(), [b"fuzz:".as_slice(), &a].concat()]),
    ]
}

/// Any command of the table but those that change the protocol, answer
/// with several replies, or reach outside (plugins, subscriptions), with
/// arguments that its options and parsers care about.
fn typed_command() -> impl Strategy<Value = Vec<Vec<u8>>> {
    let names: Vec<&'static str> = ferrite_plugin_server::commands::TABLE
        .iter()
        .map(|c| c.name)
        .filter(|n| {
            !n.starts_with("PLUGIN")
                && !matches!(
                    *n,
                    "HELLO" | "QUIT" | "SUBSCRIBE" | "PSUBSCRIBE" | "UNSUBSCRIBE" | "PUNSUBSCRIBE"
                )
        })
        .collect();
    let word = prop_oneof![
        prop::sample::select(vec![
            "fuzz:a",
            "fuzz:b",
            "0",
            "1",
            "-1",
            "2",
            "-5",
            "100",
            "1.5",
            "inf",
            "-inf",
            "+inf",
            "(1",
            "(-inf",
            "[a",
            "(b",
            "-",
            "+",
            "nan",
            "WITHSCORES",
            "LIMIT",
            "BYSCORE",
            "BYLEX",
            "REV",
            "NX",
            "XX",
            "GT",
            "LT",
            "CH",
            "INCR",
            "COUNT",
            "MATCH",
            "TYPE",
            "RANK",
            "MAXLEN",
            "LEFT",
            "RIGHT",
            "BEFORE",
            "AFTER",
            "EX",
            "PX",
            "KEEPTTL",
            "GET",
            "9223372036854775807",
            "-9223372036854775808",
            "99999999999999999999",
            "",
        ])
        .prop_map(|w| w.as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 0..8),
    ];
    (
        prop::sample::select(names),
        prop::collection::vec(word, 0..7),
    )
        .prop_map(|(name, mut args)| {
            args.insert(0, name.as_bytes().to_vec());
            args
        })
}

fn run(input: &[u8], chunks: &[usize]) -> (Vec<u8>, Flow) {
    let mut session = server().session();
    let mut buf = BytesMut::new();
    let mut out = BytesMut::new();
    let mut at = 0usize;
    let mut flow = Flow::More;
    for &n in chunks.iter().chain(std::iter::once(&usize::MAX)) {
        let end = at.saturating_add(n).min(input.len());
        buf.extend_from_slice(&input[at..end]);
        at = end;
        flow = feed(&mut session, &mut buf, &mut out);
        if flow == Flow::Close || at == input.len() {
            break;
        }
    }
    (out.to_vec(), flow)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = run(&bytes, &[]);
    }

    #[test]
    fn random_bytes_after_a_star_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = run(&[b"*".as_slice(), &bytes].concat(), &[]);
    }

    #[test]
    fn frames_split_anywhere_give_the_same_replies(
        commands in prop::collection::vec(command(), 1..6),
        chunks in prop::collection::vec(0usize..64, 0..12),
    ) {
        let input: Vec<u8> = commands.iter().flat_map(|c| encode(c)).collect();
        let (whole, flow) = run(&input, &[]);
        prop_assert_eq!(flow, Flow::More);
        let (split, _) = run(&input, &chunks);
        prop_assert_eq!(&whole, &split);
        // One reply per command, none an error but the unknown ones.
                let mut replies = Vec::new();
        let mut at = 0;
        while at < whole.len() {
            let (frame, n) = redis_protocol::resp2::decode::decode(&whole[at..])
                .unwrap()
                .expect("complete replies");
            replies.push(frame);
            at += n;
        }
        prop_assert_eq!(replies.len(), commands.len());
        let errors = replies
            .iter()
            .filter(|f| matches!(f, redis_protocol::resp2::types::OwnedFrame::Error(_)))
            .count();
        let unknown = commands.iter().filter(|c| c[0] == b"NO.SUCH.COMMAND").count();
        prop_assert_eq!(errors, unknown);
    }

    #[test]
    fn any_command_with_any_arguments_answers_once(
        commands in prop::collection::vec(typed_command(), 1..12),
    ) {
        let input: Vec<u8> = commands.iter().flat_map(|c| encode(c)).collect();
        let (out, flow) = run(&input, &[]);
        prop_assert_eq!(flow, Flow::More);
        let mut replies = 0;
        let mut at = 0;
        while at < out.len() {
            let (_, n) = redis_protocol::resp2::decode::decode(&out[at..])
                .unwrap()
                .expect("complete replies");
            replies += 1;
            at += n;
        }
        prop_assert_eq!(replies, commands.len());
    }

    #[test]
    fn truncated_frames_wait_and_never_answer_early(
        command in command(),
        cut in any::<prop::sample::Index>(),
    ) {
        let input = encode(&command);
        let cut = cut.index(input.len());
        let (out, flow) = run(&input[..cut], &[]);
        prop_assert_eq!(flow, Flow::More);
        prop_assert!(out.is_empty(), "answered a partial frame: {:?}", String::from_utf8_lossy(&out));
    }
}
