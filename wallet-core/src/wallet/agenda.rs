//! The host agenda: one scheduling policy for every host (the web wallet,
//! the CLI, the testkit's parties). Pure: it takes the machines' actions,
//! what happened to them and the time, and answers what to do next. The
//! host performs that (a relay request, feeding an event, sleeping) and
//! reports back.
//!
//! The policy, per record:
//! - actions that change something at the relay ([`Action::is_poll`] false)
//!   are performed one at a time, in the order the machine asked for them,
//!   each once however often it was asked for;
//! - timers are delivered (as [`Event::Timer`]) once the relay clock reaches
//!   them;
//! - when nothing is queued the record is resumed ([`Event::Resume`]), which
//!   re-issues what its phase waits on; a resume that asked for nothing is
//!   repeated after [`IDLE_RESUME_MS`];
//! - polls (the actions that only look) are long-polled, all at once; a
//!   record's next poll starts no sooner than [`POLL_GUARD_MS`] after its
//!   previous one, so a poll the relay answers at once cannot spin;
//! - a request that failed is retried after [`retry_delay_ms`] (1 s,
//!   doubling, at most [`RETRY_CAP_MS`]); the record waits, others go on.
//!
//! Times are the relay's clock in milliseconds (timers are armed in relay
//! seconds).

use super::model::{Record, Wallet};
use crate::machine::{Action, Event, TimerTag};

/// The first retry of a failed request waits this long; each further
/// failure doubles it.
pub const RETRY_FIRST_MS: u64 = 1_000;
/// The longest wait between retries.
pub const RETRY_CAP_MS: u64 = 16_000;
/// A record's polls start at least this long after its previous ones.
pub const POLL_GUARD_MS: u64 = 1_000;
/// A record whose resume asked for nothing is resumed again after this.
pub const IDLE_RESUME_MS: u64 = 5_000;
/// The longest [`Next::Sleep`] or poll race: a host looks again at least
/// this often.
pub const MAX_WAIT_MS: u64 = 60_000;

/// How long to wait before retry number `attempt` (1 for the first).
pub fn retry_delay_ms(attempt: u32) -> u64 {
    let doublings = attempt.saturating_sub(1).min(16);
    (RETRY_FIRST_MS << doublings).min(RETRY_CAP_MS)
}

/// A relay silent this long (no answer to any request) is asked a small
/// question (`/info/config`): a long-poll in flight may hold its answer
/// for its whole wait, so without a look of its own a host would notice a
/// hung relay only when that long-poll times out (its wait plus
/// [`crate::client::REQUEST_TIMEOUT_MS`], 35 s), or never when nothing is
/// in flight.
pub const PROBE_SILENCE_MS: u64 = 3_000;
/// At most one probe this often while the relay is silent or failing.
pub const PROBE_EVERY_MS: u64 = 2_000;
/// A relay that answers is asked for its config (and clock) this often.
pub const CONFIG_EVERY_MS: u64 = 300_000;

/// Whether a host should ask the relay a small question now: it never got
/// an answer, or the last answer is [`PROBE_SILENCE_MS`] old and the last
/// look [`PROBE_EVERY_MS`] old, or the config is [`CONFIG_EVERY_MS`] old.
/// Device milliseconds; `last_answer_ms` is the last answer to any request
/// (`None`: none yet), `last_probe_ms` when the last probe started.
pub fn probe_due(now_ms: u64, last_answer_ms: Option<u64>, last_probe_ms: Option<u64>) -> bool {
    let since_probe = last_probe_ms.map_or(u64::MAX, |t| now_ms.saturating_sub(t));
    let silent = last_answer_ms.map_or(u64::MAX, |t| now_ms.saturating_sub(t));
    since_probe >= CONFIG_EVERY_MS || (silent >= PROBE_SILENCE_MS && since_probe >= PROBE_EVERY_MS)
}

/// What the host does next.
#[derive(Debug, Clone, PartialEq)]
// One value per step, moved once: boxing the action would only add an
// allocation.
#[allow(clippy::large_enum_variant)]
pub enum Next {
    /// Perform `action` for record `rid` to its answer, then report
    /// [`Agenda::done`] or [`Agenda::failed`].
    Act { rid: String, action: Action },
    /// Feed these events (due timers) to record `rid`.
    Feed { rid: String, events: Vec<Event> },
    /// Feed [`Event::Resume`] to record `rid` and add what it returns.
    Resume { rid: String },
    /// Long-poll these, all at once, until the first answers or `until_ms`
    /// (then look again). Report an answer with [`Agenda::polled`] or
    /// [`Agenda::poll_failed`]; the polls not answered are simply dropped.
    Poll {
        polls: Vec<(String, Action)>,
        until_ms: u64,
    },
    /// Nothing to do before `until_ms` (or before something new is added).
    Sleep { until_ms: u64 },
    /// Every record is final and nothing is queued.
    Idle,
}

/// One record's part of the agenda.
#[derive(Default)]
struct Entry {
    rid: String,
    /// In order; a handful at most (a `Vec` costs the web wallet less code
    /// than a `VecDeque`).
    acts: Vec<Action>,
    polls: Vec<Action>,
    timers: Vec<TimerTag>,
    failures: u32,
    /// Requests for this record wait until then after a failure.
    retry_at: u64,
    /// Polls of this record wait until then.
    poll_at: u64,
    /// When a resume of this record last asked for nothing.
    idle_since: Option<u64>,
}

impl Entry {
    fn new(rid: &str) -> Entry {
        Entry {
            rid: rid.to_string(),
            ..Entry::default()
        }
    }

    fn due_timers(&self, now_ms: u64) -> bool {
        self.timers
            .iter()
            .any(|t| t.at.saturating_mul(1000) <= now_ms)
    }

    /// One more failure in a row: requests wait [`retry_delay_ms`].
    /// Returns the failures in a row and the delay in ms.
    fn back_off(&mut self, now_ms: u64) -> (u32, u64) {
        self.failures += 1;
        let delay = retry_delay_ms(self.failures);
        self.retry_at = now_ms + delay;
        (self.failures, delay)
    }

    /// When this record may be resumed (it has nothing queued).
    fn resume_at(&self) -> u64 {
        let idle = self.idle_since.map_or(0, |t| t + IDLE_RESUME_MS);
        idle.max(self.retry_at).max(self.poll_at)
    }

    /// The earliest time this record has something to do (`u64::MAX`:
    /// nothing); while its polls are out (`polling`), only its timers and
    /// actions count.
    fn wake_at(&self, open: bool, polling: bool) -> u64 {
        let mut at = u64::MAX;
        for t in &self.timers {
            at = at.min(t.at.saturating_mul(1000));
        }
        if !self.acts.is_empty() {
            at = at.min(self.retry_at);
        } else if !polling {
            if !self.polls.is_empty() {
                at = at.min(self.retry_at.max(self.poll_at));
            } else if open {
                at = at.min(self.resume_at());
            }
        }
        at
    }
}

/// The queued actions, polls and timers of a wallet's records, and when
/// each may go next. One per host; see the module documentation.
#[derive(Default)]
pub struct Agenda {
    entries: Vec<Entry>,
}

impl Agenda {
    pub fn new() -> Agenda {
        Agenda::default()
    }

    fn entry(&mut self, rid: &str) -> &mut Entry {
        let i = match self.entries.iter().position(|e| e.rid == rid) {
            Some(i) => i,
            None => {
                self.entries.push(Entry::new(rid));
                self.entries.len() - 1
            }
        };
        &mut self.entries[i]
    }

    fn get_mut(&mut self, rid: &str) -> Option<&mut Entry> {
        self.entries.iter_mut().find(|e| e.rid == rid)
    }

    /// Adds what a machine step of record `rid` asked for: timers are
    /// armed, polls and actions queued (each at most once).
    pub fn add(&mut self, rid: &str, actions: Vec<Action>) {
        let e = self.entry(rid);
        for a in actions {
            match a {
                Action::ArmTimer { tag } => {
                    if !e.timers.contains(&tag) {
                        e.timers.push(tag);
                    }
                }
                a if a.is_poll() => {
                    e.idle_since = None;
                    if !e.polls.contains(&a) {
                        e.polls.push(a);
                    }
                }
                a => {
                    e.idle_since = None;
                    if !e.acts.contains(&a) {
                        e.acts.push(a);
                    }
                }
            }
        }
    }

    /// The action of `rid` was performed and answered.
    pub fn done(&mut self, rid: &str) {
        if let Some(e) = self.get_mut(rid) {
            e.failures = 0;
            e.retry_at = 0;
        }
    }

    /// The action of `rid` could not be performed (the relay was not
    /// reached): it goes first again, after a delay. Returns the number of
    /// failures in a row and the delay in ms.
    pub fn failed(&mut self, rid: &str, action: Action, now_ms: u64) -> (u32, u64) {
        let e = self.entry(rid);
        if !e.acts.contains(&action) {
            e.acts.insert(0, action);
        }
        e.back_off(now_ms)
    }

    /// A poll of `rid` that started at `started_ms` answered.
    pub fn polled(&mut self, rid: &str, started_ms: u64) {
        if let Some(e) = self.get_mut(rid) {
            e.failures = 0;
            e.retry_at = 0;
            e.poll_at = started_ms + POLL_GUARD_MS;
        }
    }

    /// A poll of `rid` failed; the record waits before it polls again.
    /// Returns the number of failures in a row and the delay in ms.
    pub fn poll_failed(&mut self, rid: &str, now_ms: u64) -> (u32, u64) {
        self.entry(rid).back_off(now_ms)
    }

    /// The relay answered again after failures: every record waiting to
    /// retry may go at once (a host that noticed the relay is back).
    pub fn retry_now(&mut self) {
        for e in &mut self.entries {
            e.failures = 0;
            e.retry_at = 0;
        }
    }

    /// Something outside the agenda may have changed (a user acted, another
    /// party moved): idle records are resumed and polls may start at once.
    pub fn wake(&mut self) {
        for e in &mut self.entries {
            e.idle_since = None;
            e.poll_at = 0;
        }
    }

    /// Forgets everything (the wallet was reloaded; resume it afresh).
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Whether a failed action waits for its retry.
    pub fn retrying(&self) -> bool {
        self.entries
            .iter()
            .any(|e| e.failures > 0 && !e.acts.is_empty())
    }

    /// The queued actions, by record, in the order they will go.
    pub fn acts(&self) -> impl Iterator<Item = (&str, &Action)> {
        self.entries
            .iter()
            .flat_map(|e| e.acts.iter().map(move |a| (e.rid.as_str(), a)))
    }

    /// What to do next for any record of `wallet`.
    pub fn next(&mut self, wallet: &Wallet, now_ms: u64) -> Next {
        let open: Vec<&str> = open_records(wallet).collect();
        self.next_among(&open, None, now_ms)
    }

    /// What to do next for record `rid` of `wallet` alone (a host that
    /// runs one worker per record).
    pub fn next_for(&mut self, rid: &str, wallet: &Wallet, now_ms: u64) -> Next {
        let open = wallet.records.get(rid).is_some_and(|r| !r.is_final());
        let open: &[&str] = if open { &[rid] } else { &[] };
        self.next_among(open, Some(rid), now_ms)
    }

    /// What to do next. `open` names the unfinished records; `only`, when
    /// set, limits the answer to that record.
    fn next_among(&mut self, open: &[&str], only: Option<&str>, now_ms: u64) -> Next {
        for rid in open {
            self.entry(rid);
        }
        let is_open = |rid: &str| open.contains(&rid);
        let mine = |e: &Entry| only.is_none_or(|r| r == e.rid);
        // A finished record keeps its entry only while actions are queued.
        // `open` speaks only of the records in view: another record's
        // entry (its timers, its polls) is not this call's to drop.
        self.entries
            .retain(|e| !mine(e) || is_open(&e.rid) || !e.acts.is_empty());
        let ready = |e: &Entry| e.retry_at <= now_ms;

        if let Some(e) = self
            .entries
            .iter_mut()
            .find(|e| mine(e) && ready(e) && !e.acts.is_empty())
        {
            let action = e.acts.remove(0);
            return Next::Act {
                rid: e.rid.clone(),
                action,
            };
        }
        if let Some(e) = self
            .entries
            .iter_mut()
            .find(|e| mine(e) && e.due_timers(now_ms))
        {
            let mut events = Vec::new();
            e.timers.retain(|&tag| {
                let due = tag.at.saturating_mul(1000) <= now_ms;
                if due {
                    events.push(Event::Timer { tag });
                }
                !due
            });
            return Next::Feed {
                rid: e.rid.clone(),
                events,
            };
        }
        if let Some(e) = self.entries.iter_mut().find(|e| {
            mine(e)
                && is_open(&e.rid)
                && e.acts.is_empty()
                && e.polls.is_empty()
                && e.resume_at() <= now_ms
        }) {
            // Set now; cleared as soon as the resume asks for something.
            e.idle_since = Some(now_ms);
            return Next::Resume { rid: e.rid.clone() };
        }
        let polling = |e: &Entry| !e.polls.is_empty() && ready(e) && e.poll_at <= now_ms;
        let mut wake = u64::MAX;
        for e in self.entries.iter().filter(|e| mine(e)) {
            wake = wake.min(e.wake_at(is_open(&e.rid), polling(e)));
        }
        let until_ms = wake.clamp(now_ms, now_ms + MAX_WAIT_MS);
        let mut polls = Vec::new();
        for e in self.entries.iter_mut().filter(|e| mine(e)) {
            if polling(e) {
                polls.extend(e.polls.drain(..).map(|a| (e.rid.clone(), a)));
            }
        }
        if !polls.is_empty() {
            return Next::Poll { polls, until_ms };
        }
        if wake == u64::MAX && !open.iter().any(|r| only.is_none_or(|o| o == *r)) {
            return Next::Idle;
        }
        Next::Sleep { until_ms }
    }
}

/// The ids of `wallet`'s unfinished records.
fn open_records(wallet: &Wallet) -> impl Iterator<Item = &str> {
    wallet
        .records
        .iter()
        .filter(|(_, r)| !Record::is_final(r))
        .map(|(rid, _)| rid.as_str())
}

#[cfg(test)]
#[path = "agenda_tests.rs"]
mod tests;
