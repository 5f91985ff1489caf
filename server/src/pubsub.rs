//! Pub/sub: who listens to which channels and patterns, and the messages
//! `PUBLISH` sends them.
//!
//! Each session has an inbox (an unbounded channel); subscribing puts the
//! inbox under the channel or pattern here. The connection's loop waits on
//! its socket and its inbox at once, so a message reaches a subscriber while
//! it waits for its next request.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use crate::reply::Out;
use crate::types::glob_match;

/// A published message, as one subscriber receives it.
#[derive(Debug, Clone)]
pub struct Message {
    /// The pattern it matched (`PSUBSCRIBE`), if it came through one.
    pub pattern: Option<Arc<[u8]>>,
    /// The channel it was published to.
    pub channel: Arc<[u8]>,
    /// What was published.
    pub payload: Arc<[u8]>,
}

impl Message {
    /// Writes it as Redis does: `message channel payload`, or `pmessage
    /// pattern channel payload`; a push frame in RESP3.
    pub fn write(&self, out: &mut Out<'_>) {
        match &self.pattern {
            None => {
                out.push(3);
                out.bulk(b"message");
            }
            Some(p) => {
                out.push(4);
                out.bulk(b"pmessage");
                out.bulk(p);
            }
        }
        out.bulk(&self.channel);
        out.bulk(&self.payload);
    }
}

/// Where a session's messages go.
pub type Inbox = UnboundedSender<Message>;

/// Every subscription of every session, by channel and by pattern.
#[derive(Default)]
pub struct Registry {
    channels: HashMap<Vec<u8>, HashMap<u64, Inbox>>,
    patterns: HashMap<Vec<u8>, HashMap<u64, Inbox>>,
}

fn add(map: &mut HashMap<Vec<u8>, HashMap<u64, Inbox>>, name: &[u8], id: u64, inbox: &Inbox) {
    map.entry(name.to_vec())
        .or_default()
        .insert(id, inbox.clone());
}

fn remove(map: &mut HashMap<Vec<u8>, HashMap<u64, Inbox>>, name: &[u8], id: u64) {
    if let Some(subscribers) = map.get_mut(name) {
        subscribers.remove(&id);
        if subscribers.is_empty() {
            map.remove(name);
        }
    }
}

impl Registry {
    /// Session `id` listens to `channel`.
    pub fn subscribe(&mut self, channel: &[u8], id: u64, inbox: &Inbox) {
        add(&mut self.channels, channel, id, inbox);
    }

    /// Session `id` no longer listens to `channel`.
    pub fn unsubscribe(&mut self, channel: &[u8], id: u64) {
        remove(&mut self.channels, channel, id);
    }

    /// Session `id` listens to channels matching `pattern`.
    pub fn psubscribe(&mut self, pattern: &[u8], id: u64, inbox: &Inbox) {
        add(&mut self.patterns, pattern, id, inbox);
    }

    /// Session `id` no longer listens to `pattern`.
    pub fn punsubscribe(&mut self, pattern: &[u8], id: u64) {
        remove(&mut self.patterns, pattern, id);
    }

    /// Sends `payload` to `channel`'s subscribers and to those of every
    /// matching pattern; how many received it.
    pub fn publish(&self, channel: &[u8], payload: &[u8]) -> usize {
        let channel: Arc<[u8]> = channel.into();
        let payload: Arc<[u8]> = payload.into();
        let mut received = 0;
        if let Some(subscribers) = self.channels.get(&*channel) {
            let message = Message {
                pattern: None,
                channel: channel.clone(),
                payload: payload.clone(),
            };
            for inbox in subscribers.values() {
                received += usize::from(inbox.send(message.clone()).is_ok());
            }
        }
        for (pattern, subscribers) in &self.patterns {
            if !glob_match(pattern, &channel) {
                continue;
            }
            let message = Message {
                pattern: Some(pattern.as_slice().into()),
                channel: channel.clone(),
                payload: payload.clone(),
            };
            for inbox in subscribers.values() {
                received += usize::from(inbox.send(message.clone()).is_ok());
            }
        }
        received
    }

    /// The channels with subscribers (matching `pattern`, if given), sorted.
    pub fn channels(&self, pattern: Option<&[u8]>) -> Vec<Vec<u8>> {
        let mut names: Vec<Vec<u8>> = self
            .channels
            .keys()
            .filter(|c| pattern.is_none_or(|p| glob_match(p, c)))
            .cloned()
            .collect();
        names.sort();
        names
    }

    /// How many sessions subscribe to `channel`.
    pub fn numsub(&self, channel: &[u8]) -> usize {
        self.channels.get(channel).map_or(0, HashMap::len)
    }

    /// How many patterns have subscribers.
    pub fn numpat(&self) -> usize {
        self.patterns.len()
    }
}
