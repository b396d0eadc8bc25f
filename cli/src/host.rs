//! The host loop: the real version of wallet-core's `testkit::Party`.
//!
//! Every step goes `apply(record, event) → persist → perform actions`:
//! [`Host::feed`] writes the wallet file (atomically) before the actions a
//! step returned are queued, so a crash anywhere repeats an idempotent
//! action instead of losing state; on start, [`Host::resume`] re-issues what
//! every unfinished record needs. Actions are performed by wallet-core's
//! [`Executor`]; this file only schedules them: a queue of actions to do
//! now, timers (relay clock), and, when nothing is left to do, concurrent
//! long-polls on every waiting record, raced against the next timer, a poll
//! interval and the stop signal (no busy loop).

use crate::error::{CliError, Exit};
use crate::render;
use crate::store::{DataDir, OsEntropy, Store, WalletLock};
use cli::http::Http;
use futures_util::future::{FutureExt, LocalBoxFuture, select_all};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::watch;
use wallet_core::Error;
use wallet_core::client::{MAX_MESSAGE_PAGES, RelayClient};
use wallet_core::driver::{Executor, Outcome};
use wallet_core::keys::WalletKeys;
use wallet_core::machine::receive::Receive;
use wallet_core::machine::{Action, Event, TimerTag};
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
    queue: VecDeque<(String, Action)>,
    timers: Vec<(String, TimerTag)>,
    pub log: Log,
    /// The wallet lock, held while this process acts on the wallet.
    lock: Option<WalletLock>,
    /// For the daemon: let go of the lock while waiting, so other commands
    /// can use the wallet between events; re-read the file after.
    share: Option<(DataDir, String)>,
}

pub fn device_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
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
            queue: VecDeque::new(),
            timers: Vec::new(),
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
                self.queue.clear();
                self.timers.clear();
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
        for a in actions {
            match a {
                Action::ArmTimer { tag } => {
                    if !self.timers.iter().any(|(r, t)| r == rid && *t == tag) {
                        self.timers.push((rid.to_string(), tag));
                    }
                }
                a => {
                    if !self.queue.iter().any(|(r, q)| r == rid && *q == a) {
                        self.queue.push_back((rid.to_string(), a));
                    }
                }
            }
        }
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

    fn deliver_timers(&mut self) -> Result<(), CliError> {
        let now = self.now();
        let due: Vec<_> = self
            .timers
            .iter()
            .filter(|(_, t)| t.at <= now)
            .cloned()
            .collect();
        self.timers.retain(|(_, t)| t.at > now);
        for (rid, tag) in due {
            self.feed(&rid, Event::Timer { tag })?;
        }
        Ok(())
    }

    fn handle(&mut self, rid: &str, outcome: Outcome) -> Result<Option<Error>, CliError> {
        match outcome {
            Outcome::Events(events) => {
                for e in events {
                    self.feed(rid, e)?;
                }
                Ok(None)
            }
            Outcome::Retry(e) => Ok(Some(e)),
        }
    }

    /// Performs queued actions, and in the waiting modes waits for more,
    /// until `mode` says to stop. `observer` is called after each change and
    /// every `tick` while waiting (for live views).
    pub async fn drive(
        &mut self,
        mode: &Mode,
        stop: &Stop,
        tick: Option<Duration>,
        observer: &mut dyn FnMut(&Host),
    ) -> Result<End, CliError> {
        self.resume()?;
        let mut failures: u32 = 0;
        let mut quiet_wakes: u32 = 0;
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
            self.deliver_timers()?;
            if let Some((rid, action)) = self.queue.pop_front() {
                let now = self.now();
                let outcome = self
                    .executor(None)
                    .perform(&action, now, &self.wallet)
                    .await;
                match self.handle(&rid, outcome)? {
                    None => failures = 0,
                    Some(e) => {
                        failures += 1;
                        self.queue.push_back((rid, action));
                        if *mode == Mode::Blocked && failures > ONE_SHOT_RETRIES {
                            let mut err = CliError::from(e);
                            err.message.push_str(
                                " The wallet saved its progress: run this command again, or `lockstep daemon`, to continue.",
                            );
                            return Err(err);
                        }
                        let secs = 1u64 << failures.min(5);
                        self.log.say(
                            &format!("{} Retrying in {secs} s.", CliError::from(e.clone())),
                            json!({"event": "retry", "in_seconds": secs, "error": e.code()}),
                        );
                        if stop.sleep(Duration::from_secs(secs)).await {
                            return Ok(End::Stopped);
                        }
                    }
                }
                observer(self);
                continue;
            }
            // Nothing left to do now.
            let poll = match mode {
                Mode::Blocked => return Ok(End::Blocked),
                Mode::Forever { poll, .. } | Mode::UntilFinal { poll, .. } => *poll,
            };
            if Instant::now() >= next_poll {
                next_poll = Instant::now() + poll;
                self.on_poll(mode).await?;
                if !self.queue.is_empty() {
                    continue;
                }
            }
            let started = Instant::now();
            if self.share.is_some() {
                self.lock = None;
            }
            let wake = self.wait(stop, next_poll, tick, observer).await;
            if !matches!(wake, Wake::Stop) && !self.retake(stop).await? {
                return Ok(End::Stopped);
            }
            match wake {
                Wake::Stop => return Ok(End::Stopped),
                Wake::Timer => self.deliver_timers()?,
                Wake::Poll => {}
                Wake::Done(rid, action, outcome) => {
                    let had_events = matches!(&outcome, Outcome::Events(e) if !e.is_empty());
                    if let Some(e) = self.handle(&rid, outcome)? {
                        failures += 1;
                        let secs = 1u64 << failures.min(5);
                        self.log.say(
                            &format!("{} Retrying in {secs} s.", CliError::from(e.clone())),
                            json!({"event": "retry", "in_seconds": secs, "error": e.code(), "action": render::action_name(&action)}),
                        );
                        if stop.sleep(Duration::from_secs(secs)).await {
                            return Ok(End::Stopped);
                        }
                    } else {
                        failures = 0;
                    }
                    // A long-poll that answers at once with nothing new
                    // (a message this wallet cannot use, say) must not spin.
                    if !had_events && started.elapsed() < Duration::from_millis(500) {
                        quiet_wakes += 1;
                        let secs = u64::from(quiet_wakes.min(5));
                        if stop.sleep(Duration::from_secs(secs)).await {
                            return Ok(End::Stopped);
                        }
                    } else {
                        quiet_wakes = 0;
                    }
                }
            }
            observer(self);
        }
    }

    /// Periodic work while waiting: clock resync, new incoming coins, and
    /// actions a refusal left waiting (a receive before its batch commits).
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
        let pending: Vec<(String, Action)> = self
            .wallet
            .records
            .iter()
            .filter(|(_, r)| !r.is_final())
            .flat_map(|(rid, r)| r.outstanding().into_iter().map(move |a| (rid.clone(), a)))
            .filter(|(_, a)| !a.is_poll())
            .collect();
        for (rid, a) in pending {
            self.enqueue(&rid, vec![a]);
        }
        Ok(())
    }

    /// Waits for the first of: a long-poll answering, the next timer, the
    /// next poll, the stop signal. Calls `observer` every `tick` meanwhile.
    async fn wait(
        &self,
        stop: &Stop,
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
        if let Some(at) = self.timers.iter().map(|(_, t)| t.at).min() {
            let secs = at.saturating_sub(now);
            futs.push(
                tokio::time::sleep(Duration::from_secs(secs) + Duration::from_millis(200))
                    .map(|_| Wake::Timer)
                    .boxed_local(),
            );
        }
        for (rid, r) in &self.wallet.records {
            if r.is_final() {
                continue;
            }
            for a in r.outstanding().into_iter().filter(Action::is_poll) {
                let rid = rid.clone();
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
