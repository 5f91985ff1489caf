//! {{description}}
//!
//! Page statistics over the server's keyspace, one data type each: an hourly
//! counter (a string that expires), unique visitors (a set), pages ranked by
//! hits (a sorted set), the pages seen last (a list) and per-user stats (a
//! hash). Any other command is a `server::call` away, as `redis.call` is
//! from Lua.

use std::time::Duration;

use ferrite_plugin::prelude::*;

/// How long a page's hourly counter lives after its first hit.
const WINDOW: Duration = Duration::from_secs(3600);

/// How many recent pages are kept.
const RECENT: usize = 10;

/// Counts a visit of `user` to `page` and returns the page's hits this hour.
///
/// Needs `keys = true` in plugin.toml.
#[ferrite_plugin::function]
pub fn hit(page: String, user: String) -> Result<i64, PluginError> {
    let key = format!("hits:{page}");
    let n = kv::incr_by(&key, 1)?;
    if n == 1 {
        kv::expire(&key, WINDOW)?;
    }
    kv::sadd(format!("visitors:{page}"), &[&user])?;
    kv::zincr_by("pages:by-hits", 1.0, &page)?;
    kv::lpush("pages:recent", &[&page])?;
    server::call(&["LTRIM", "pages:recent", "0", &(RECENT - 1).to_string()])?;
    kv::hincr_by(format!("user:{user}"), "hits", 1)?;
    kv::hset(format!("user:{user}"), "last-page", &page)?;
    Ok(n)
}

/// The hits on `page` this hour (0 if none).
#[ferrite_plugin::function]
pub fn hits(page: String) -> Result<i64, PluginError> {
    match kv::get_string(format!("hits:{page}"))? {
        Some(n) => n.parse().map_err(|_| PluginError::invalid_argument(format!("`hits:{page}` is not a number"))),
        None => Ok(0),
    }
}

/// How many different users visited `page`.
#[ferrite_plugin::function]
pub fn visitors(page: String) -> Result<u64, PluginError> {
    kv::scard(format!("visitors:{page}"))
}

/// The `n` pages with the most hits, most first, with their hits.
#[ferrite_plugin::function]
pub fn top(n: u32) -> Result<Vec<(String, u64)>, PluginError> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let reply = server::call(&["ZREVRANGE", "pages:by-hits", "0", &(n - 1).to_string(), "WITHSCORES"])?;
    // Replies are RESP3's: each member comes with its score as a pair.
    let pairs = reply.as_array().unwrap_or_default();
    Ok(pairs
        .iter()
        .filter_map(|pair| {
            let [page, hits] = pair.as_array()? else {
                return None;
            };
            Some((page.as_str()?.to_string(), hits.as_double()? as u64))
        })
        .collect())
}

/// The pages seen last, newest first.
#[ferrite_plugin::function]
pub fn recent() -> Result<Vec<String>, PluginError> {
    let pages = kv::lrange("pages:recent", 0, -1)?;
    Ok(pages.into_iter().map(|p| String::from_utf8_lossy(&p).into_owned()).collect())
}

/// The last page `user` visited, if any.
#[ferrite_plugin::function]
pub fn last_page(user: String) -> Result<Option<String>, PluginError> {
    let page = kv::hget(format!("user:{user}"), "last-page")?;
    Ok(page.map(|p| String::from_utf8_lossy(&p).into_owned()))
}

/// Each test gets a fresh keyspace.
#[ferrite_plugin::test]
fn counts_hits_and_visitors_per_page() {
    assert_eq!(hit("home".into(), "ada".into()).unwrap(), 1);
    assert_eq!(hit("home".into(), "ada".into()).unwrap(), 2);
    assert_eq!(hit("home".into(), "bob".into()).unwrap(), 3);
    assert_eq!(hits("home".into()).unwrap(), 3);
    assert_eq!(hits("about".into()).unwrap(), 0);
    assert_eq!(visitors("home".into()).unwrap(), 2);
    // The hourly counter expires; the others do not.
    assert!(matches!(kv::ttl("hits:home").unwrap(), kv::Ttl::Expires(d) if d <= WINDOW));
    assert_eq!(kv::ttl("pages:by-hits").unwrap(), kv::Ttl::Persistent);
}

#[ferrite_plugin::test]
fn ranks_pages_and_keeps_the_recent_ones() {
    for (page, times) in [("home", 3), ("about", 1), ("docs", 2)] {
        for _ in 0..times {
            hit(page.into(), "ada".into()).unwrap();
        }
    }
    assert_eq!(
        top(2).unwrap(),
        [("home".to_string(), 3), ("docs".to_string(), 2)]
    );
    for i in 0..20 {
        hit(format!("p{i}"), "bob".into()).unwrap();
    }
    let recent = recent().unwrap();
    assert_eq!(recent.len(), RECENT);
    assert_eq!(recent[0], "p19");
    assert_eq!(last_page("bob".into()).unwrap().as_deref(), Some("p19"));
    assert_eq!(last_page("eve".into()).unwrap(), None);
}

/// `fixtures/seed.json` preloads the keyspace.
#[ferrite_plugin::test(kv = "fixtures/seed.json")]
fn continues_from_seeded_counts() {
    assert_eq!(hit("home".into(), "ada".into()).unwrap(), 42);
}
