//! {{description}}

use std::time::Duration;

use ferrite_plugin::prelude::*;

/// How long a page's counter lives after its first hit.
const WINDOW: Duration = Duration::from_secs(3600);

/// Counts a hit on `page` and returns the count in the current hour.
///
/// Needs `keys = true` in plugin.toml.
#[ferrite_plugin::function]
pub fn hit(page: String) -> Result<i64, PluginError> {
    let key = format!("hits:{page}");
    let n = kv::incr_by(&key, 1)?;
    if n == 1 {
        kv::expire(&key, WINDOW)?;
    }
    Ok(n)
}

/// The hits on `page` so far (0 if none).
#[ferrite_plugin::function]
pub fn hits(page: String) -> Result<i64, PluginError> {
    match kv::get_string(format!("hits:{page}"))? {
        Some(n) => n.parse().map_err(|_| PluginError::invalid_argument(format!("`hits:{page}` is not a number"))),
        None => Ok(0),
    }
}

/// Each test gets a fresh keyspace.
#[ferrite_plugin::test]
fn counts_hits_per_page() {
    assert_eq!(hit("home".into()).unwrap(), 1);
    assert_eq!(hit("home".into()).unwrap(), 2);
    assert_eq!(hits("home".into()).unwrap(), 2);
    assert_eq!(hits("about".into()).unwrap(), 0);
}

/// `fixtures/seed.json` preloads the keyspace.
#[ferrite_plugin::test(kv = "fixtures/seed.json")]
fn continues_from_seeded_counts() {
    assert_eq!(hit("home".into()).unwrap(), 42);
}
