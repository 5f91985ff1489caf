//! Custom commands and hooks: which exports they are, and their options.
//!
//! `#[ferrite_plugin::command]` and `#[ferrite_plugin::hook]` export functions
//! named `ferrite-command-*` and `ferrite-hook-*` with fixed signatures;
//! `cargo ferrite-plugin build` records what each one is in the component's
//! `ferrite-plugin-entries` custom section, one line per entry:
//!
//! ```text
//! command GK.SUM -2 ferrite-command-gk-sum
//! hook guard before_command SET,DEL ferrite-hook-guard
//! hook audit after_command * ferrite-hook-audit
//! hook shipped on_event order.paid ferrite-hook-shipped
//! ```
//!
//! The host reads the section at load and checks it against the exports and
//! the manifest like everything else it loads.

/// The component-level custom section holding the entries.
pub const ENTRIES_SECTION: &str = "ferrite-plugin-entries";
/// The prefix of command exports.
pub const COMMAND_PREFIX: &str = "ferrite-command-";
/// The prefix of hook exports.
pub const HOOK_PREFIX: &str = "ferrite-hook-";

/// When a hook runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HookEvent {
    /// Before a command; may refuse it.
    BeforeCommand,
    /// After a command ran.
    AfterCommand,
    /// For each key a command wrote.
    OnKeyWrite,
    /// A custom event a plugin emitted.
    OnEvent,
}

impl HookEvent {
    /// Its spelling in the attribute and the section (`before_command`).
    pub fn as_str(self) -> &'static str {
        match self {
            HookEvent::BeforeCommand => "before_command",
            HookEvent::AfterCommand => "after_command",
            HookEvent::OnKeyWrite => "on_key_write",
            HookEvent::OnEvent => "on_event",
        }
    }

    /// The WIT enum case (`before-command`).
    pub fn wit_case(self) -> &'static str {
        match self {
            HookEvent::BeforeCommand => "before-command",
            HookEvent::AfterCommand => "after-command",
            HookEvent::OnKeyWrite => "on-key-write",
            HookEvent::OnEvent => "on-event",
        }
    }

    /// Parses `before_command` etc.
    pub fn parse(text: &str) -> Option<HookEvent> {
        match text {
            "before_command" => Some(HookEvent::BeforeCommand),
            "after_command" => Some(HookEvent::AfterCommand),
            "on_key_write" => Some(HookEvent::OnKeyWrite),
            "on_event" => Some(HookEvent::OnEvent),
            _ => None,
        }
    }
}

/// A custom command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandEntry {
    /// Its name, upper-case (`GK.SUM`).
    pub name: String,
    /// Redis arity: counting the name, `N` exactly, `-N` at least.
    pub arity: i64,
    /// The export that runs it.
    pub export: String,
}

impl CommandEntry {
    /// Whether `argc` arguments (counting the name) fit the arity.
    pub fn accepts(&self, argc: usize) -> bool {
        let n = self.arity.unsigned_abs() as usize;
        if self.arity >= 0 {
            argc == n
        } else {
            argc >= n
        }
    }
}

/// An event hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookEntry {
    /// The Rust function's name (`guard`), as plugin.toml lists it.
    pub function: String,
    /// When it runs.
    pub event: HookEvent,
    /// The commands it runs for, upper-case; empty for all. For `on_event`,
    /// the names of the events it receives (never empty).
    pub commands: Vec<String>,
    /// The export that runs it.
    pub export: String,
}

/// Whether `name` is a valid custom event name: 1 to 128 ASCII letters,
/// digits and `.:_-`.
pub fn is_event_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".:_-".contains(&b))
}

impl HookEntry {
    /// Whether the hook runs for `command` (upper-case), or for `on_event`
    /// receives the event `command`.
    pub fn wants(&self, command: &str) -> bool {
        self.commands.is_empty() || self.commands.iter().any(|c| c == command)
    }
}

/// A component's commands and hooks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entries {
    /// Its custom commands.
    pub commands: Vec<CommandEntry>,
    /// Its hooks.
    pub hooks: Vec<HookEntry>,
}

impl Entries {
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.commands.is_empty() && self.hooks.is_empty()
    }

    /// The section's text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for c in &self.commands {
            out.push_str(&format!("command {} {} {}\n", c.name, c.arity, c.export));
        }
        for h in &self.hooks {
            let filter = if h.commands.is_empty() {
                "*".to_string()
            } else {
                h.commands.join(",")
            };
            out.push_str(&format!(
                "hook {} {} {filter} {}\n",
                h.function,
                h.event.as_str(),
                h.export
            ));
        }
        out
    }

    /// Parses the section's text.
    pub fn parse(text: &str) -> Result<Entries, String> {
        let mut out = Entries::default();
        for (i, line) in text.lines().enumerate() {
            let words: Vec<&str> = line.split(' ').collect();
            let bad = || format!("line {} (`{line}`) is malformed", i + 1);
            match words.as_slice() {
                ["command", name, arity, export] if export.starts_with(COMMAND_PREFIX) => {
                    let arity: i64 = arity.parse().map_err(|_| bad())?;
                    if arity == 0 || name.is_empty() || *name != name.to_ascii_uppercase() {
                        return Err(bad());
                    }
                    out.commands.push(CommandEntry {
                        name: name.to_string(),
                        arity,
                        export: export.to_string(),
                    });
                }
                ["hook", function, event, filter, export] if export.starts_with(HOOK_PREFIX) => {
                    let event = HookEvent::parse(event).ok_or_else(bad)?;
                    if event == HookEvent::OnEvent
                        && (*filter == "*" || !filter.split(',').all(is_event_name))
                    {
                        return Err(bad());
                    }
                    out.hooks.push(HookEntry {
                        function: function.to_string(),
                        event,
                        commands: if *filter == "*" {
                            Vec::new()
                        } else {
                            filter.split(',').map(str::to_string).collect()
                        },
                        export: export.to_string(),
                    });
                }
                _ => return Err(bad()),
            }
        }
        Ok(out)
    }

    /// The entries recorded in `component` (none if it has no section).
    pub fn of(component: &[u8]) -> Result<Entries, String> {
        for payload in wasmparser::Parser::new(0).parse_all(component) {
            let Ok(payload) = payload else { break };
            if let wasmparser::Payload::CustomSection(s) = payload
                && s.name() == ENTRIES_SECTION
            {
                let text = std::str::from_utf8(s.data())
                    .map_err(|_| format!("its `{ENTRIES_SECTION}` section is not UTF-8"))?;
                return Entries::parse(text)
                    .map_err(|e| format!("its `{ENTRIES_SECTION}` section: {e}"));
            }
        }
        Ok(Entries::default())
    }
}

/// Whether an export is a command or hook entry point (not a function).
pub fn is_entry_export(name: &str) -> bool {
    name.starts_with(COMMAND_PREFIX) || name.starts_with(HOOK_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_through_text() {
        let e = Entries {
            commands: vec![CommandEntry {
                name: "GK.SUM".into(),
                arity: -2,
                export: "ferrite-command-gk-sum".into(),
            }],
            hooks: vec![
                HookEntry {
                    function: "guard".into(),
                    event: HookEvent::BeforeCommand,
                    commands: vec!["SET".into(), "DEL".into()],
                    export: "ferrite-hook-guard".into(),
                },
                HookEntry {
                    function: "audit".into(),
                    event: HookEvent::OnKeyWrite,
                    commands: vec![],
                    export: "ferrite-hook-audit".into(),
                },
                HookEntry {
                    function: "shipped".into(),
                    event: HookEvent::OnEvent,
                    commands: vec!["order.paid".into()],
                    export: "ferrite-hook-shipped".into(),
                },
            ],
        };
        assert_eq!(Entries::parse(&e.to_text()).unwrap(), e);
        assert!(e.commands[0].accepts(2) && e.commands[0].accepts(5) && !e.commands[0].accepts(1));
        assert!(e.hooks[0].wants("SET") && !e.hooks[0].wants("GET") && e.hooks[1].wants("GET"));
        for bad in [
            "command gk.sum -2 ferrite-command-x",
            "command X 0 ferrite-command-x",
            "hook g later * ferrite-hook-g",
            "hook g on_event * ferrite-hook-g",
            "hook g on_event a,b\u{7f} ferrite-hook-g",
            "x",
        ] {
            assert!(Entries::parse(bad).is_err(), "{bad}");
        }
    }
}
