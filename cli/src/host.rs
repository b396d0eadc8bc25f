//! The host loop: the real version of wallet-core's `testkit::Party`.
//!
//! Every step goes `apply(record, event) → persist → perform actions`:
//! [`Host::feed`] writes the wallet file (atomically) before the actions a
//! step returned are queued, so a crash anywhere repeats an idempotent
//! action instead of losing state; on start, [`Host::resume`] re-issues what
//! every unfinished record needs. What to do next is wallet-core's
//! [`Agenda`] (the policy every host shares: order, timers, resumes, retry
//! backoff, the guard against polls that answer at once); actions are
//! performed by wallet-core's [`Executor`]. This file does the I/O: it
//! performs what the agenda says, races the long-polls against the
//! agenda's next time, a poll interval and the stop signal (no busy loop),
//! and reports the answers back.

use crate::error::{CliError, Exit};
use crate::render;
use crate::store::{DataDir, OsEntropy, Store, WalletLock};
use cli::http::Http;
use futures_util::future::{FutureExt, LocalBoxFuture, select_all};
use serde_json::{Value, json};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::watch;
use wallet_core::Error;
use wallet_core::client::{MAX_MESSAGE_PAGES, RelayClient};
use wallet_core::driver::{Executor, Outcome};
use wallet_core::keys::WalletKeys;
use wallet_core::machine::receive::Receive;
use wallet_core::machine::{Action, Event};
use wallet_core::wallet::agenda::{Agenda, Next};
use wallet_core::wallet::{Record, Wallet};
use wallet_core::wire::ConfigResponse;

/// Seconds a long-poll waits at the relay (it clamps to 30).
const LONG_POLL: u64 = 25;
/// Retries of one action before a one-shot command gives up.
const ONE_SHOT_RETRIES: u32 = 3;

/// Where progress goes: sentences on stderr, and/or JSON lines on stdout.
#[derive(Debug, Clone, Copy)]
pub struct Log {
    pub human: bool,
    pub events: bool,
    /// Prefix sentences with the time (for the daemon's long-running log).
    pub stamp: bool,
}

impl Log {
    pub fn say(&self, human: &str, mut event: Value) {
        if self.human {
            if self.stamp {
                eprintln!("{}  {human}", render::utc(device_now()));
            } else {
                eprintln!("{human}");
            }
        }
        if self.events {
            if let Value::Object(m) = &mut event {
                m.insert("time".into(), json!(device_now()));
            }
            println!("{event}");
        }
    }
}

/// The stop signal (ctrl-c, SIGTERM), as a watch channel.
#[derive(Clone)]
pub struct Stop(pub watch::Receiver<bool>);

impl Stop {
    pub fn requested(&self) -> bool {
        *self.0.borrow()
    }
    pub async fn wait(&self) {
        let mut rx = self.0.clone();
        let _ = rx.wait_for(|s| *s).await;
    }
    /// Sleeps `d` unless stopped first; returns whether it was stopped.
    pub async fn sleep(&self, d: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(d) => self.requested(),
            _ = self.wait() => true,
        }
    }
}

/// How long [`Host::drive`] goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Until nothing more can happen without the other party (no waiting).
    Blocked,
    /// Until stopped: waits for the other parties, timers and new coins.
    Forever { receive: bool, poll: Duration },
    /// Until record `rid` is final (or stopped).
    UntilFinal { rid: String, poll: Duration },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Blocked,
    Final,
    Stopped,
}

// One value per wait, moved once: boxing the outcome would only add an allocation.
#[allow(clippy::large_enum_variant)]
enum Wake {
    Stop,
    Timer,
    Poll,
    Done(String, Action, Outcome),
}

pub struct Host {
    pub store: Store,
    pub wallet: Wallet,
    pub keys: WalletKeys,
    pub relay: RelayClient<Http>,
    pub config: ConfigResponse,
    /// Relay clock minus device clock, seconds.
    offset: i64,
    synced_at: Instant,
    agenda: Agenda,
    pub log: Log,
    /// The wallet lock, held while this process acts on the wallet.
    lock: Option<WalletLock>,
    /// For the daemon: let go of the lock while waiting, so other commands
    /// can use the wallet between events; re-read the file after.
    share: Option<(DataDir, String)>,
}

pub fn device_now() -> u64 {
    device_now_ms() / 1000
}

fn device_now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Fetches the relay's configuration and its clock offset.
pub async fn relay_config(relay: &RelayClient<Http>) -> Result<(ConfigResponse, i64), CliError> {
    let before = device_now();
    let config = relay.config().await.map_err(|e| {
        let mut err = CliError::from(e);
        if err.exit == Exit::Unreachable {
            err.message = format!(
                "The relay at {} cannot be reached ({}). Check --relay / LOCKSTEP_RELAY and that the relay is running.",
                relay.transport.base(),
                err.message
            );
        }
        err
    })?;
    let offset = config.server_time as i64 - before as i64;
    Ok((config, offset))
}

impl Host {
    /// Connects an opened wallet to its relay: checks network and relay
    /// key (remembered on first contact) and measures the clock offset.
    pub async fn connect(
        store: Store,
        mut wallet: Wallet,
        keys: WalletKeys,
        relay: RelayClient<Http>,
        lock: WalletLock,
        log: Log,
    ) -> Result<Host, CliError> {
        let (config, offset) = relay_config(&relay).await?;
        if config.network != wallet.network {
            return Err(CliError::usage(format!(
                "The relay at {} runs the {} network, but this wallet is on {}.",
                relay.transport.base(),
                config.network.name(),
                wallet.network.name()
            )));
        }
        match wallet.relay_pubkey {
            Some(k) if k != config.relay_pubkey => {
                return Err(CliError::usage(format!(
                    "This wallet's coins live on the relay with key {k}, but the relay at {} has key {}. Use --relay to name the wallet's relay.",
                    relay.transport.base(),
                    config.relay_pubkey
                )));
            }
            Some(_) => {}
            None => wallet.relay_pubkey = Some(config.relay_pubkey),
        }
        let mut host = Host {
            store,
            wallet,
            keys,
            relay,
            config,
            offset,
            synced_at: Instant::now(),
            agenda: Agenda::new(),
            log,
            lock: Some(lock),
            share: None,
        };
        host.persist()?;
        Ok(host)
    }

    /// Lets go of the wallet lock while waiting for events (the daemon), so
    /// other commands can use the wallet in between.
    pub fn share_lock(&mut self, data: DataDir, name: String) {
        self.share = Some((data, name));
    }

    /// Takes the lock back after a wait and, if another command changed the
    /// wallet meanwhile, carries on from the file. `false`: stopped first.
    async fn retake(&mut self, stop: &Stop) -> Result<bool, CliError> {
        let Some((data, name)) = self.share.clone() else {
            return Ok(true);
        };
        if self.lock.is_some() {
            return Ok(true);
        }
        loop {
            if let Ok(lock) = data.try_lock(&name)? {
                self.lock = Some(lock);
                break;
            }
            if stop.sleep(Duration::from_millis(100)).await {
                return Ok(false);
            }
        }
        match self.store.reread()? {
            Some(w) if self.store.is_current(&w) => {}
            Some(w) => {
                self.store.mark_saved(&w);
                self.wallet = w;
                self.agenda.clear();
                self.log.say(
                    "The wallet changed on disk (another lockstep command); carrying on from it.",
                    json!({"event": "reloaded"}),
                );
                self.resume()?;
            }
            None => {
                return Err(CliError::storage(
                    "The wallet file was replaced (another password or a re-import); restart the daemon.",
                ));
            }
        }
        Ok(true)
    }

    /// The relay's clock (device clock plus the measured offset).
    pub fn now(&self) -> u64 {
        (device_now() as i64 + self.offset).max(0) as u64
    }

    /// The relay's clock in milliseconds (the agenda's time).
    fn now_ms(&self) -> u64 {
        (device_now_ms() as i64 + self.offset * 1000).max(0) as u64
    }

    pub fn persist(&mut self) -> Result<(), CliError> {
        self.store.save(&self.wallet)
    }

    fn executor(&self, wait: Option<u64>) -> Executor<'_, Http, OsEntropy> {
        Executor {
            relay: &self.relay,
            keys: &self.keys,
            rng: OsEntropy,
            relay_pubkey: self.config.relay_pubkey,
            wait,
        }
    }

    fn enqueue(&mut self, rid: &str, actions: Vec<Action>) {
        self.agenda.add(rid, actions);
    }

    /// A record was just created (and is in `wallet`): persist, then queue
    /// its first actions.
    pub fn start(&mut self, rid: &str, actions: Vec<Action>) -> Result<(), CliError> {
        self.persist()?;
        if let Some(r) = self.wallet.records.get(rid) {
            for (h, j) in render::transition(None, r, rid) {
                self.log.say(&h, j);
            }
        }
        self.enqueue(rid, actions);
        Ok(())
    }

    /// Feeds an event to a record: step, persist, then queue the actions.
    pub fn feed(&mut self, rid: &str, event: Event) -> Result<(), CliError> {
        let now = self.now();
        let old = self.wallet.records.get(rid).cloned();
        let actions = self.wallet.apply(rid, event, now)?;
        self.persist()?;
        if let Some(new) = self.wallet.records.get(rid) {
            for (h, j) in render::transition(old.as_ref(), new, rid) {
                self.log.say(&h, j);
            }
        }
        self.enqueue(rid, actions);
        Ok(())
    }

    /// Re-issues what every unfinished record needs (after a start or crash).
    pub fn resume(&mut self) -> Result<(), CliError> {
        let now = self.now();
        let resumed = self.wallet.resume_all(now);
        self.persist()?;
        for (rid, actions) in resumed {
            self.enqueue(&rid, actions);
        }
        Ok(())
    }

    fn feed_all(&mut self, rid: &str, events: Vec<Event>) -> Result<(), CliError> {
        for e in events {
            self.feed(rid, e)?;
        }
        Ok(())
    }

    fn say_retry(&self, e: &Error, action: &Action, delay_ms: u64) {
        let secs = delay_ms.div_ceil(1000);
        self.log.say(
            &format!("{} Retrying in {secs} s.", CliError::from(e.clone())),
            json!({"event": "retry", "in_seconds": secs, "error": e.code(), "action": render::action_name(action)}),
        );
    }

    /// Performs what the agenda says, and in the waiting modes waits for
    /// more, until `mode` says to stop. `observer` is called after each
    /// change and every `tick` while waiting (for live views).
    pub async fn drive(
        &mut self,
        mode: &Mode,
        stop: &Stop,
        tick: Option<Duration>,
        observer: &mut dyn FnMut(&Host),
    ) -> Result<End, CliError> {
        self.resume()?;
        let poll_every = match mode {
            Mode::Blocked => None,
            Mode::Forever { poll, .. } | Mode::UntilFinal { poll, .. } => Some(*poll),
        };
        let mut next_poll = Instant::now();
        loop {
            if stop.requested() {
                return Ok(End::Stopped);
            }
            if let Mode::UntilFinal { rid, .. } = mode
                && self.wallet.records.get(rid).is_none_or(Record::is_final)
            {
                observer(self);
                return Ok(End::Final);
            }
            if let Some(every) = poll_every
                && Instant::now() >= next_poll
            {
                next_poll = Instant::now() + every;
                self.on_poll(mode).await?;
            }
            let now_ms = self.now_ms();
            let (polls, until_ms) = match self.agenda.next(&self.wallet, now_ms) {
                Next::Act { rid, action } => {
                    let outcome = self
                        .executor(None)
                        .perform(&action, self.now(), &self.wallet)
                        .await;
                    match outcome {
                        Outcome::Events(events) => {
                            self.agenda.done(&rid);
                            self.feed_all(&rid, events)?;
                        }
                        Outcome::Retry(e) => {
                            let (failures, delay) =
                                self.agenda.failed(&rid, action.clone(), self.now_ms());
                            if poll_every.is_none() && failures > ONE_SHOT_RETRIES {
                                let mut err = CliError::from(e);
                                err.message.push_str(
                                    " The wallet saved its progress: run this command again, or `lockstep daemon`, to continue.",
                                );
                                return Err(err);
                            }
                            self.say_retry(&e, &action, delay);
                        }
                    }
                    observer(self);
                    continue;
                }
                Next::Feed { rid, events } => {
                    self.feed_all(&rid, events)?;
                    observer(self);
                    continue;
                }
                Next::Resume { rid } => {
                    self.feed(&rid, Event::Resume)?;
                    continue;
                }
                Next::Poll { polls, until_ms } => (polls, until_ms),
                Next::Sleep { until_ms } => (Vec::new(), until_ms),
                Next::Idle => (Vec::new(), now_ms + 60_000),
            };
            if poll_every.is_none() {
                // A one-shot command looks once at what it waits on (no
                // long-poll) and stops when nothing is left but waiting.
                if polls.is_empty() {
                    if self.agenda.retrying() {
                        let wait = Duration::from_millis(until_ms.saturating_sub(now_ms));
                        if stop.sleep(wait).await {
                            return Ok(End::Stopped);
                        }
                        continue;
                    }
                    return Ok(End::Blocked);
                }
                if self.look_once(polls).await? {
                    // Something changed: what it asks for may go at once.
                    self.agenda.wake();
                }
                observer(self);
                continue;
            }
            if self.share.is_some() {
                self.lock = None;
            }
            let started_ms = self.now_ms();
            let wake = self
                .wait(stop, polls, until_ms, next_poll, tick, observer)
                .await;
            if !matches!(wake, Wake::Stop) && !self.retake(stop).await? {
                return Ok(End::Stopped);
            }
            match wake {
                Wake::Stop => return Ok(End::Stopped),
                Wake::Timer | Wake::Poll => {}
                Wake::Done(rid, _, Outcome::Events(events)) => {
                    self.agenda.polled(&rid, started_ms);
                    self.feed_all(&rid, events)?;
                }
                Wake::Done(rid, action, Outcome::Retry(e)) => {
                    let (_, delay) = self.agenda.poll_failed(&rid, self.now_ms());
                    self.say_retry(&e, &action, delay);
                }
            }
            observer(self);
        }
    }

    /// Performs each poll once without waiting at the relay; returns
    /// whether the wallet changed.
    async fn look_once(&mut self, polls: Vec<(String, Action)>) -> Result<bool, CliError> {
        let before = serde_json::to_string(&self.wallet).unwrap_or_default();
        for (rid, action) in polls {
            let started_ms = self.now_ms();
            let outcome = self
                .executor(None)
                .perform(&action, self.now(), &self.wallet)
                .await;
            match outcome {
                Outcome::Events(events) => {
                    self.agenda.polled(&rid, started_ms);
                    self.feed_all(&rid, events)?;
                }
                Outcome::Retry(e) => {
                    let (_, delay) = self.agenda.poll_failed(&rid, self.now_ms());
                    self.say_retry(&e, &action, delay);
                }
            }
        }
        Ok(serde_json::to_string(&self.wallet).unwrap_or_default() != before)
    }

    /// Periodic work while waiting: clock resync and new incoming coins
    /// (the agenda's resumes re-issue what a refusal left waiting).
    async fn on_poll(&mut self, mode: &Mode) -> Result<(), CliError> {
        if self.synced_at.elapsed() > Duration::from_secs(600)
            && let Ok((config, offset)) = relay_config(&self.relay).await
        {
            self.config = config;
            self.offset = offset;
            self.synced_at = Instant::now();
        }
        if let Mode::Forever { receive: true, .. } = mode
            && let Err(e) = self.receive_pass().await
        {
            self.log.say(
                &format!("Checking for incoming coins failed: {e}"),
                json!({"event": "error", "code": e.code, "message": e.message}),
            );
        }
        Ok(())
    }

    /// Waits for the first of: a long-poll answering, the agenda's next
    /// time `until_ms` (relay clock), the next poll, the stop signal. Calls
    /// `observer` every `tick` meanwhile.
    async fn wait(
        &self,
        stop: &Stop,
        polls: Vec<(String, Action)>,
        until_ms: u64,
        next_poll: Instant,
        tick: Option<Duration>,
        observer: &mut dyn FnMut(&Host),
    ) -> Wake {
        let now = self.now();
        let mut futs: Vec<LocalBoxFuture<'_, Wake>> = Vec::new();
        futs.push(stop.wait().map(|_| Wake::Stop).boxed_local());
        futs.push(
            tokio::time::sleep_until(next_poll.into())
                .map(|_| Wake::Poll)
                .boxed_local(),
        );
        let until = Duration::from_millis(until_ms.saturating_sub(self.now_ms()));
        futs.push(tokio::time::sleep(until).map(|_| Wake::Timer).boxed_local());
        for (rid, a) in polls {
            futs.push(
                async move {
                    let outcome = self
                        .executor(Some(LONG_POLL))
                        .perform(&a, now, &self.wallet)
                        .await;
                    Wake::Done(rid, a, outcome)
                }
                .boxed_local(),
            );
        }
        let race = select_all(futs);
        match tick {
            None => race.await.0,
            Some(every) => {
                let ticker = async {
                    loop {
                        tokio::time::sleep(every).await;
                        observer(self);
                    }
                };
                tokio::select! {
                    (w, _, _) = race => w,
                    _ = ticker => Wake::Poll,
                }
            }
        }
    }

    /// Looks for plain incoming transfers at every address this wallet
    /// handed out, verifies each (§7) and starts its receive. Returns the
    /// new records' ids.
    pub async fn receive_pass(&mut self) -> Result<Vec<String>, CliError> {
        let mut started = Vec::new();
        for entry in self.wallet.addresses.clone() {
            // Cheap first look: most addresses have nothing waiting.
            let msgs = self
                .relay
                .all_messages(&entry.auth_pubkey, None, MAX_MESSAGE_PAGES)
                .await?;
            let skip: Vec<wallet_core::Id> = msgs
                .iter()
                .map(|m| m.statechain_id)
                .filter(|id| {
                    self.wallet
                        .records
                        .contains_key(&wallet_core::wallet::receive_rid(id, entry.index))
                })
                .collect();
            if msgs.len() == skip.len() {
                continue;
            }
            let now = self.now();
            let checked = self
                .executor(None)
                .check_incoming(entry.index, now, &self.wallet, &skip)
                .await?;
            for (msg, report) in checked {
                let rec = Receive::new(msg, report, entry.index, now);
                let (rid, actions) = self.wallet.start_receive(rec);
                self.start(&rid, actions)?;
                started.push(rid);
            }
        }
        Ok(started)
    }
}
