//! Names that are WIT keywords are not mistakes: they are escaped with `%`.

use ferrite_plugin::prelude::*;

#[derive(Record)]
pub struct Entry {
    pub list: Vec<u32>,
    pub record: String,
    pub r#type: bool,
}

#[derive(Enum)]
pub enum Kind {
    Record,
    List,
    Variant,
}

#[derive(Enum)]
#[ferrite_plugin(name = "result-ish")]
pub enum Outcome {
    #[ferrite_plugin(name = "fine")]
    Ok(u32),
    Err(String),
}

#[ferrite_plugin::function]
pub fn list(record: Entry, r#type: Kind) -> Result<Outcome, PluginError> {
    let _ = (record, r#type);
    Ok(Outcome::Ok(1))
}

#[ferrite_plugin::function(name = "type")]
pub fn type_of(_unused: u8) {}

fn main() {
    assert!(matches!(list(Entry { list: vec![], record: String::new(), r#type: true }, Kind::List), Ok(Outcome::Ok(1))));
    type_of(0);
}
