//! Commands and hooks, called in the host with generated words: a command's
//! arguments (as many as its arity allows), a hook's command, arguments and
//! key (or its event's payload). They have no native comparison; a trap or
//! a limit fails them, an error reply or an abort does not.

use std::sync::Arc;

use ferrite_plugin_host::entries::{CommandEntry, HookEntry, HookEvent};
use ferrite_plugin_host::{CallError, HookCall, Host, Plugin};

use super::generate::Rng;
use super::value::redis_quote;
use super::{Failure, Outcome, call_options, host_failure, minimal_report};

/// Calls a shrink may spend.
const SHRINK_BUDGET: usize = 1000;

/// Commands a hook that runs for every command is tried with.
const COMMON_COMMANDS: &[&str] = &[
    "SET", "GET", "DEL", "INCR", "MSET", "HSET", "LPUSH", "SADD", "ZADD", "EXPIRE", "RENAME",
];

/// Words that mean something to a command parser.
const WORD_EDGES: &[&[u8]] = &[
    b"",
    b"0",
    b"-1",
    b"1",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"18446744073709551616",
    b"3.5",
    b"inf",
    b"-inf",
    b"nan",
    b"1e308",
    b" ",
    b"\0",
    b"\xff\xfe",
    b"NX",
    b"EX",
    b"key:1",
];

/// One call's input.
#[derive(Debug, Clone, PartialEq)]
struct Input {
    /// The command (a hook's), or the event's name.
    command: String,
    words: Vec<Vec<u8>>,
    /// The index of the key among `words`, for a hook.
    key: Option<usize>,
}

fn word(rng: &mut Rng, max_len: usize) -> Vec<u8> {
    let len = |rng: &mut Rng| rng.below(max_len as u64 + 1) as usize;
    let mut w: Vec<u8> = match rng.below(6) {
        0 => rng.pick(WORD_EDGES).to_vec(),
        1 => rng
            .between(i128::from(i64::MIN), i128::from(u64::MAX))
            .to_string()
            .into_bytes(),
        2 => {
            let n = len(rng);
            (0..n)
                .map(|_| *rng.pick(b"abcdefghijklmnopqrstuvwxyz0123456789:_"))
                .collect()
        }
        3 => {
            let n = len(rng);
            (0..n).map(|_| rng.between(0x20, 0x7e) as u8).collect()
        }
        4 => {
            let n = len(rng);
            (0..n).map(|_| rng.below(256) as u8).collect()
        }
        _ => {
            let n = len(rng);
            (0..n)
                .map(|_| char::from_u32(rng.between(0x80, 0x10_ffff) as u32).unwrap_or('\u{fffd}'))
                .collect::<String>()
                .into_bytes()
        }
    };
    w.truncate(max_len.max(1) * 4);
    w
}

/// The arguments a command of `arity` (counting its name) takes: exactly
/// or at least `n`, and at most `n + max_len`.
fn argument_count(rng: &mut Rng, arity: i64, max_len: usize) -> usize {
    let n = (arity.unsigned_abs() as usize).saturating_sub(1);
    if arity >= 0 {
        n
    } else {
        n + rng.below(max_len as u64 + 1) as usize
    }
}

/// The fewest words a command of `arity` takes.
fn fewest(arity: i64) -> usize {
    (arity.unsigned_abs() as usize).saturating_sub(1)
}

/// Simpler inputs than `input`, simplest first; `min_words` is the fewest
/// words it may have (`None`: exactly as many as now).
fn candidates(input: &Input, min_words: Option<usize>) -> Vec<Input> {
    let mut out = Vec::new();
    let with = |f: &dyn Fn(&mut Input)| {
        let mut c = input.clone();
        f(&mut c);
        c
    };
    if input.key.is_some() {
        out.push(with(&|c| c.key = None));
    }
    if let Some(min) = min_words {
        for i in (0..input.words.len()).rev() {
            if input.words.len() > min {
                out.push(with(&|c| {
                    c.words.remove(i);
                    c.key = match c.key {
                        Some(k) if k == i => None,
                        Some(k) if k > i => Some(k - 1),
                        k => k,
                    };
                }));
            }
        }
    }
    for (i, w) in input.words.iter().enumerate() {
        if !w.is_empty() {
            out.push(with(&|c| c.words[i].clear()));
            if w.len() > 1 {
                out.push(with(&|c| c.words[i].truncate(w.len() / 2)));
            }
            for (j, &b) in w.iter().enumerate() {
                if b != b'a' {
                    out.push(with(&|c| c.words[i][j] = b'a'));
                }
            }
        }
    }
    out
}

/// Shrinks `input` while `fails`; returns it and the steps taken.
fn shrink(
    input: Input,
    min_words: Option<usize>,
    mut fails: impl FnMut(&Input) -> bool,
) -> (Input, usize) {
    let mut current = input;
    let (mut calls, mut steps) = (0, 0);
    'outer: loop {
        for c in candidates(&current, min_words) {
            if calls >= SHRINK_BUDGET {
                break 'outer;
            }
            calls += 1;
            if fails(&c) {
                current = c;
                steps += 1;
                continue 'outer;
            }
        }
        break;
    }
    (current, steps)
}

fn quoted(words: &[Vec<u8>]) -> String {
    words
        .iter()
        .map(|w| format!(" {}", redis_quote(w)))
        .collect()
}

/// Runs inputs until one fails; shrinks it and describes it.
fn run(
    cases: u32,
    rng: &mut Rng,
    generate: impl Fn(&mut Rng) -> Input,
    min_words: Option<usize>,
    call: impl Fn(&Input) -> Result<(), CallError>,
    show: impl Fn(&Input) -> (String, String),
) -> (Outcome, u64) {
    let mut inputs = 0u64;
    for case in 0..cases {
        let input = generate(rng);
        inputs += 1;
        let Err(e) = call(&input) else { continue };
        let failure = host_failure(&e);
        let mut last: Failure = failure.clone();
        let (minimal, steps) = shrink(input, min_words, |c| {
            inputs += 1;
            match call(c) {
                Err(e) if host_failure(&e).kind == failure.kind => {
                    last = host_failure(&e);
                    true
                }
                _ => false,
            }
        });
        let (shown, reproduce) = show(&minimal);
        let report = minimal_report(&last.text, case, steps, &shown, &reproduce);
        return (Outcome::Failed { report }, inputs);
    }
    (
        Outcome::Passed {
            inputs: cases,
            compared: 0,
            host_api: None,
        },
        inputs,
    )
}

/// Fuzzes custom command `command`.
pub fn fuzz_command(
    host: &Host,
    plugin: &Arc<Plugin>,
    command: &CommandEntry,
    max_len: usize,
    cases: u32,
    seed: u64,
) -> (Outcome, u64) {
    let mut rng = Rng::new(seed);
    let min_words = (command.arity < 0).then(|| fewest(command.arity));
    run(
        cases,
        &mut rng,
        |rng| {
            let n = argument_count(rng, command.arity, max_len);
            Input {
                command: command.name.clone(),
                words: (0..n).map(|_| word(rng, max_len)).collect(),
                key: None,
            }
        },
        min_words,
        |input| {
            let args: Vec<&[u8]> = input.words.iter().map(Vec::as_slice).collect();
            host.call_command(plugin, command, &args, &call_options(seed))
                .result
                .map(drop)
                .map_err(|e| e.for_function(&command.name))
        },
        |input| {
            let line = format!("{}{}", input.command, quoted(&input.words));
            (
                line.clone(),
                format!("`cargo ferrite-plugin run`, then in redis-cli: {line}"),
            )
        },
    )
}

/// Fuzzes `hook`.
pub fn fuzz_hook(
    host: &Host,
    plugin: &Arc<Plugin>,
    hook: &HookEntry,
    max_len: usize,
    cases: u32,
    seed: u64,
) -> (Outcome, u64) {
    let mut rng = Rng::new(seed);
    let on_event = hook.event == HookEvent::OnEvent;
    run(
        cases,
        &mut rng,
        |rng| {
            if on_event {
                let names: Vec<&str> = hook.commands.iter().map(String::as_str).collect();
                let name = if names.is_empty() {
                    "event"
                } else {
                    *rng.pick(&names)
                };
                return Input {
                    command: name.to_string(),
                    words: vec![word(rng, max_len)],
                    key: None,
                };
            }
            let command = if hook.commands.is_empty() {
                rng.pick(COMMON_COMMANDS).to_string()
            } else {
                rng.pick(&hook.commands).clone()
            };
            let n = rng.below(max_len as u64 + 1) as usize;
            let words: Vec<Vec<u8>> = (0..n).map(|_| word(rng, max_len)).collect();
            let key = if words.is_empty() || (hook.event != HookEvent::OnKeyWrite && rng.one_in(4))
            {
                None
            } else if hook.event == HookEvent::OnKeyWrite {
                Some(rng.below(words.len() as u64) as usize)
            } else {
                Some(0)
            };
            Input {
                command,
                words,
                key,
            }
        },
        (!on_event).then_some(0),
        |input| {
            let args: Vec<&[u8]> = input.words.iter().map(Vec::as_slice).collect();
            let call = HookCall {
                event: hook.event,
                command: &input.command,
                args: &args,
                key: input.key,
            };
            host.call_hook(plugin, hook, &call, &call_options(seed))
                .result
                .map(drop)
                .map_err(|e| e.for_function(&hook.function))
        },
        |input| {
            if on_event {
                let payload = input.words.first().map_or(&[][..], Vec::as_slice);
                return (
                    format!(
                        "event {} with the payload {}",
                        input.command,
                        redis_quote(payload)
                    ),
                    format!(
                        "a plugin's `events::emit({:?}, payload)` with that payload",
                        input.command
                    ),
                );
            }
            let line = format!("{}{}", input.command, quoted(&input.words));
            let key = input
                .key
                .and_then(|k| input.words.get(k))
                .map_or(String::new(), |k| format!(" (key {})", redis_quote(k)));
            (
                format!("{} {line}{key}", hook.event.as_str()),
                format!("`cargo ferrite-plugin run`, then in redis-cli: {line}"),
            )
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argument_counts_follow_the_arity() {
        let mut rng = Rng::new(5);
        for _ in 0..100 {
            assert_eq!(argument_count(&mut rng, 3, 16), 2);
            let n = argument_count(&mut rng, -2, 16);
            assert!((1..=17).contains(&n), "{n}");
            assert_eq!(argument_count(&mut rng, 1, 16), 0);
            assert!(word(&mut rng, 4).len() <= 64);
        }
    }

    #[test]
    fn words_shrink_but_keep_the_arity() {
        let input = Input {
            command: "X".into(),
            words: vec![b"hello".to_vec(), b"world".to_vec(), b"zz".to_vec()],
            key: Some(1),
        };
        let (min, steps) = shrink(input.clone(), Some(2), |c| {
            c.words.iter().any(|w| w.len() >= 2)
        });
        assert!(steps > 0);
        assert_eq!(min.words.len(), 2);
        assert_eq!(min.key, None);
        assert!(min.words.contains(&b"aa".to_vec()), "{min:?}");
        let (min, _) = shrink(input, None, |_| true);
        assert_eq!(min.words, vec![Vec::<u8>::new(); 3]);
    }
}
