//! Paths into JSON documents: `a.b[0].c`, with `[*]` for every element.

use std::fmt;

use ferrite_plugin::PluginError;
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
    Every,
}

/// A parsed path.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    steps: Vec<Step>,
    text: String,
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Path {
    /// Parses `a.b[0].c`.
    pub fn parse(text: &str) -> Result<Path, PluginError> {
        let bad = |why: &str| PluginError::invalid_argument(format!("bad path `{text}`: {why}"));
        if text.is_empty() {
            return Err(bad("it is empty"));
        }
        let mut steps = Vec::new();
        for segment in text.split('.') {
            let (key, mut rest) = match segment.find('[') {
                Some(i) => (&segment[..i], &segment[i..]),
                None => (segment, ""),
            };
            if key.is_empty() && rest.is_empty() {
                return Err(bad("it has an empty key"));
            }
            if !key.is_empty() {
                steps.push(Step::Key(key.to_string()));
            }
            while let Some(inner) = rest.strip_prefix('[') {
                let end = inner.find(']').ok_or_else(|| bad("a `[` is not closed"))?;
                let index = &inner[..end];
                steps.push(if index == "*" {
                    Step::Every
                } else {
                    Step::Index(
                        index
                            .parse()
                            .map_err(|_| bad(&format!("`{index}` is not an array index")))?,
                    )
                });
                rest = &inner[end + 1..];
            }
            if !rest.is_empty() {
                return Err(bad(&format!("unexpected `{rest}`")));
            }
        }
        Ok(Path {
            steps,
            text: text.to_string(),
        })
    }

    /// Whether the path has a `[*]`.
    pub fn has_wildcard(&self) -> bool {
        self.steps.contains(&Step::Every)
    }

    /// Every value the path reaches.
    pub fn get<'a>(&self, doc: &'a Value) -> Vec<&'a Value> {
        let mut here = vec![doc];
        for step in &self.steps {
            here = here
                .into_iter()
                .flat_map(|v| -> Vec<&Value> {
                    match (step, v) {
                        (Step::Key(k), Value::Object(m)) => m.get(k).into_iter().collect(),
                        (Step::Index(i), Value::Array(a)) => a.get(*i).into_iter().collect(),
                        (Step::Every, Value::Array(a)) => a.iter().collect(),
                        _ => Vec::new(),
                    }
                })
                .collect();
        }
        here
    }

    /// Copies what the path reaches in `from` into the same places in `to`.
    pub fn copy(&self, from: &Value, to: &mut Value) {
        copy_steps(&self.steps, from, to);
    }

    /// Removes what the path reaches.
    pub fn remove(&self, doc: &mut Value) {
        if let Some((last, parents)) = self.steps.split_last() {
            for parent in walk_mut(parents, doc) {
                match (last, parent) {
                    (Step::Key(k), Value::Object(m)) => {
                        m.shift_remove(k);
                    }
                    (Step::Index(i), Value::Array(a)) if *i < a.len() => {
                        a.remove(*i);
                    }
                    (Step::Every, Value::Array(a)) => a.clear(),
                    _ => {}
                }
            }
        }
    }

    /// Takes the value at the path (no wildcards) out of `doc`.
    pub fn take(&self, doc: &mut Value) -> Option<Value> {
        let (last, parents) = self.steps.split_last()?;
        let parent = walk_mut(parents, doc).into_iter().next()?;
        match (last, parent) {
            (Step::Key(k), Value::Object(m)) => m.shift_remove(k),
            (Step::Index(i), Value::Array(a)) if *i < a.len() => Some(a.remove(*i)),
            _ => None,
        }
    }

    /// Puts `value` at the path (no wildcards), creating objects and arrays.
    pub fn insert(&self, doc: &mut Value, value: Value) -> Result<(), PluginError> {
        let mut here = doc;
        for step in &self.steps {
            here = slot(step, here).ok_or_else(|| {
                PluginError::invalid_argument(format!(
                    "`{self}` runs into a value that is neither an object nor an array"
                ))
            })?;
        }
        *here = value;
        Ok(())
    }
}

/// The child `step` names, created (as `null`) if missing; `None` if `v` is a
/// scalar that cannot have children.
fn slot<'a>(step: &Step, v: &'a mut Value) -> Option<&'a mut Value> {
    match step {
        Step::Key(k) => {
            if v.is_null() {
                *v = Value::Object(Map::new());
            }
            Some(v.as_object_mut()?.entry(k.clone()).or_insert(Value::Null))
        }
        Step::Index(i) => {
            if v.is_null() {
                *v = Value::Array(Vec::new());
            }
            let a = v.as_array_mut()?;
            if a.len() <= *i {
                a.resize(*i + 1, Value::Null);
            }
            Some(&mut a[*i])
        }
        Step::Every => None,
    }
}

fn copy_steps(steps: &[Step], from: &Value, to: &mut Value) {
    let Some((step, rest)) = steps.split_first() else {
        *to = from.clone();
        return;
    };
    match (step, from) {
        (Step::Key(k), Value::Object(m)) => {
            if let Some(child) = m.get(k)
                && let Some(dest) = slot(step, to)
            {
                copy_steps(rest, child, dest);
            }
        }
        (Step::Index(i), Value::Array(a)) => {
            if let Some(child) = a.get(*i)
                && let Some(dest) = slot(step, to)
            {
                copy_steps(rest, child, dest);
            }
        }
        (Step::Every, Value::Array(a)) => {
            for (i, child) in a.iter().enumerate() {
                if let Some(dest) = slot(&Step::Index(i), to) {
                    copy_steps(rest, child, dest);
                }
            }
        }
        _ => {}
    }
}

fn walk_mut<'a>(steps: &[Step], doc: &'a mut Value) -> Vec<&'a mut Value> {
    let mut here = vec![doc];
    for step in steps {
        here = here
            .into_iter()
            .flat_map(|v| -> Vec<&mut Value> {
                match (step, v) {
                    (Step::Key(k), Value::Object(m)) => m.get_mut(k).into_iter().collect(),
                    (Step::Index(i), Value::Array(a)) => a.get_mut(*i).into_iter().collect(),
                    (Step::Every, Value::Array(a)) => a.iter_mut().collect(),
                    _ => Vec::new(),
                }
            })
            .collect();
    }
    here
}
