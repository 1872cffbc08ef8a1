//! Collecting one principal's events while the scan runs: a [`Collector`] sees every batch
//! on the ingest workers and keeps the events whose principal matches, their strings
//! interned once.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use crate::event::{AccessEvent, ActionClass, AuthMethod, Batch, Format, PrincipalType};
use crate::pipeline::BatchObserver;

use super::MAX_RECORDS;

/// One event of a matching principal; strings are indexes into [`Store::strings`].
#[derive(Clone, Debug)]
pub(super) struct Rec {
    pub(super) time: i64,
    pub(super) bytes_out: u64,
    pub(super) ip: Option<IpAddr>,
    pub(super) principal: u32,
    pub(super) host: u32,
    pub(super) agent: u32,
    pub(super) bucket: u32,
    pub(super) object: u32,
    pub(super) action: u32,
    pub(super) status: u32,
    pub(super) detail: u32,
    pub(super) credential: u32,
    pub(super) account: u32,
    pub(super) class: ActionClass,
    pub(super) auth: AuthMethod,
    pub(super) principal_type: PrincipalType,
    pub(super) format: Format,
    pub(super) error: bool,
    pub(super) mfa: Option<bool>,
}

#[derive(Default)]
pub(super) struct Store {
    pub(super) strings: Vec<String>,
    pub(super) index: HashMap<String, u32>,
    pub(super) recs: Vec<Rec>,
    pub(super) dropped: u64,
}

impl Store {
    pub(super) fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.strings.len() as u32;
        self.strings.push(s.to_string());
        self.index.insert(s.to_string(), i);
        i
    }

    pub(super) fn text(&self, i: u32) -> &str {
        &self.strings[i as usize]
    }
}

/// Keeps the events whose principal contains the needle (exact matches are picked out after
/// the scan, when it is known whether there are any).
pub struct Collector {
    pub(super) needle: String,
    pub(super) store: Mutex<Store>,
}

impl Collector {
    pub fn new(needle: &str) -> Self {
        let mut store = Store::default();
        store.intern("");
        Collector {
            needle: needle.to_string(),
            store: Mutex::new(store),
        }
    }
}

impl BatchObserver for Collector {
    fn batch(&self, b: &Batch) {
        let mine: Vec<&AccessEvent> = b
            .events
            .iter()
            .filter(|e| b.str(e.principal).contains(self.needle.as_str()))
            .collect();
        if mine.is_empty() {
            return;
        }
        // One lock per batch, taken only when the batch holds the principal.
        let mut st = self.store.lock().unwrap_or_else(|e| e.into_inner());
        for e in mine {
            if st.recs.len() >= MAX_RECORDS {
                st.dropped += 1;
                continue;
            }
            let rec = Rec {
                time: e.time,
                bytes_out: e.bytes_out.unwrap_or(0),
                ip: e.source_ip,
                principal: st.intern(b.str(e.principal)),
                host: st.intern(b.str(e.source_host)),
                agent: st.intern(b.str(e.user_agent)),
                bucket: st.intern(b.str(e.bucket)),
                object: st.intern(b.str(e.object)),
                action: st.intern(b.str(e.action)),
                status: st.intern(b.str(e.status)),
                detail: st.intern(b.str(e.principal_detail)),
                credential: st.intern(b.str(e.credential)),
                account: st.intern(b.str(e.account)),
                class: e.action_class,
                auth: e.auth,
                principal_type: e.principal_type,
                format: e.format(),
                error: e.error,
                mfa: e.mfa,
            };
            st.recs.push(rec);
        }
    }
}
