//! The host loop: runs an unlocked wallet's state machines in the browser,
//! the way wallet-core's `testkit::Party` does in miniature.
//!
//! - The wallet lives in memory; after every change the whole state is
//!   written to IndexedDB (one short transaction) **before** the actions
//!   that change asked for are performed.
//! - Each unfinished record has one worker task, which does what
//!   wallet-core's [`Agenda`] says next for that record (the policy every
//!   host shares: actions in order, timers, resumes, polls, retry backoff,
//!   the guard against polls that answer at once). Polls are long-polls
//!   (`wait = 25`), raced against the agenda's next time and a "kick" (a
//!   user action); the loser of a race is dropped, which aborts its
//!   request. Answers are applied, saved, and reported to the agenda.
//! - Timers are due on the relay clock; one that came due while the page
//!   was closed fires on load. A failed request is retried after the
//!   agenda's delay; the connection banner says so.
//! - A second task watches the wallet's receiving addresses for plain
//!   incoming transfers, checks each (§7) and starts its receive.

use crate::browser::{BrowserEntropy, now_ms, sleep};
use crate::clock::RelayClock;
use crate::errors::UiError;
use crate::net::{FetchTransport, NetStatus};
use crate::store::{LeaseDecision, Store, WalletMeta};
use futures::FutureExt;
use futures::future::LocalBoxFuture;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wallet_core::client::RelayClient;
use wallet_core::deposit;
use wallet_core::driver::{Executor, Outcome};
use wallet_core::entropy::Entropy;
use wallet_core::keys::WalletKeys;
use wallet_core::machine::receive::Receive;
use wallet_core::machine::{Action, Event};
use wallet_core::restore;
use wallet_core::wallet::agenda::{Agenda, Next, retry_delay_ms};
use wallet_core::wallet::{Record, Wallet};
use wallet_core::wire::{ConfigResponse, DepositRequest};
use wallet_core::{Error, Id, XOnly};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, spawn_local};

/// Seconds a long-poll waits at the relay.
pub const LONG_POLL_SECS: u64 = 25;

/// The relay as the page sees it: client, connection status, clock, config.
pub struct Env {
    pub relay: RelayClient<FetchTransport>,
    pub net: Rc<NetStatus>,
    pub clock: Cell<RelayClock>,
    pub config: RefCell<Option<ConfigResponse>>,
}

impl Env {
    pub fn new() -> Rc<Env> {
        let net = Rc::new(NetStatus::default());
        Rc::new(Env {
            relay: RelayClient::new(FetchTransport::same_origin(net.clone())),
            net,
            clock: Cell::new(RelayClock::default()),
            config: RefCell::new(None),
        })
    }

    /// Reads `/info/config` and measures the relay clock offset.
    pub async fn refresh_config(&self) -> Result<ConfigResponse, Error> {
        let sent = now_ms();
        let c = self.relay.config().await?;
        self.clock
            .set(RelayClock::measure(c.server_time, sent, now_ms()));
        *self.config.borrow_mut() = Some(c.clone());
        Ok(c)
    }

    /// The relay's clock now, in seconds.
    pub fn now(&self) -> u64 {
        self.clock.get().now_secs(now_ms())
    }

    /// The relay's clock now, in milliseconds (the agenda's time).
    fn now_ms(&self) -> u64 {
        self.clock.get().relay_ms(now_ms()).max(0.0) as u64
    }

    /// Device milliseconds until relay time `at_ms`; 0 if past.
    fn ms_until(&self, at_ms: u64) -> f64 {
        at_ms.saturating_sub(self.now_ms()) as f64
    }

    pub fn max_batch_size(&self) -> usize {
        self.config
            .borrow()
            .as_ref()
            .map(|c| c.max_batch_size as usize)
            .unwrap_or(1000)
    }
}

/// A wake-up a sleeping task can be given early.
#[derive(Default)]
struct Signal {
    resolvers: RefCell<Vec<js_sys::Function>>,
}

impl Signal {
    fn kick(&self) {
        for r in self.resolvers.borrow_mut().drain(..) {
            let _ = r.call0(&JsValue::NULL);
        }
    }

    /// Resolves after `ms` or on the next kick, whichever is first.
    async fn wait(&self, ms: f64) {
        let mut resolver = None;
        let p = js_sys::Promise::new(&mut |resolve, _| resolver = Some(resolve));
        let mut timer = None;
        if let Some(r) = &resolver {
            self.resolvers.borrow_mut().push(r.clone());
            if let Some(w) = web_sys::window() {
                timer = w
                    .set_timeout_with_callback_and_timeout_and_arguments_0(
                        r,
                        ms.clamp(0.0, 2_000_000_000.0) as i32,
                    )
                    .ok();
            }
        }
        let _ = JsFuture::from(p).await;
        // Forget this waiter (it may have ended by its timer, not a kick).
        if let Some(r) = resolver {
            let r: &JsValue = r.as_ref();
            self.resolvers
                .borrow_mut()
                .retain(|x| AsRef::<JsValue>::as_ref(x) != r);
        }
        if let (Some(t), Some(w)) = (timer, web_sys::window()) {
            w.clear_timeout_with_handle(t);
        }
    }
}

/// A small map by record id: a few entries per wallet, so a list searched
/// in order (each `BTreeMap` value type costs the wasm a few KB of tree code).
pub struct ByRecord<V>(Vec<(String, V)>);

impl<V> Default for ByRecord<V> {
    fn default() -> Self {
        ByRecord(Vec::new())
    }
}

impl<V> ByRecord<V> {
    pub fn get(&self, rid: &str) -> Option<&V> {
        self.0.iter().find(|(r, _)| r == rid).map(|(_, v)| v)
    }
    fn get_mut(&mut self, rid: &str) -> Option<&mut V> {
        self.0.iter_mut().find(|(r, _)| r == rid).map(|(_, v)| v)
    }
    fn insert(&mut self, rid: String, v: V) {
        match self.get_mut(&rid) {
            Some(old) => *old = v,
            None => self.0.push((rid, v)),
        }
    }
    fn remove(&mut self, rid: &str) {
        self.0.retain(|(r, _)| r != rid);
    }
    fn values(&self) -> impl Iterator<Item = &V> {
        self.0.iter().map(|(_, v)| v)
    }
}

/// An unlocked wallet being driven by this tab.
pub struct Host {
    pub env: Rc<Env>,
    pub store: Store,
    pub keys: Rc<WalletKeys>,
    pub wallet: RefCell<Wallet>,
    pub meta: RefCell<WalletMeta>,
    pub tab: String,
    agenda: RefCell<Agenda>,
    signals: RefCell<ByRecord<Rc<Signal>>>,
    incoming: Rc<Signal>,
    stopped: Cell<bool>,
    /// Why the host stopped or struggles (a sentence), for the page.
    pub problem: RefCell<Option<UiError>>,
    /// Set when another tab took the wallet over.
    pub lost_lease: Cell<bool>,
    /// The §7 report of each plain receive checked in this session, by
    /// record id (a received coin's record no longer carries it).
    pub reports: RefCell<ByRecord<wallet_core::verify::Report>>,
    notify: Rc<dyn Fn()>,
}

impl Host {
    /// Starts driving `wallet` (already loaded) with `keys`; the caller
    /// holds the lease. Resumes every unfinished record at once.
    pub fn start(
        env: Rc<Env>,
        store: Store,
        keys: WalletKeys,
        mut wallet: Wallet,
        meta: WalletMeta,
        tab: String,
        notify: Rc<dyn Fn()>,
    ) -> Rc<Host> {
        if wallet.relay_pubkey.is_none() {
            wallet.relay_pubkey = env.config.borrow().as_ref().map(|c| c.relay_pubkey);
        }
        let host = Rc::new(Host {
            env,
            store,
            keys: Rc::new(keys),
            wallet: RefCell::new(wallet),
            meta: RefCell::new(meta),
            tab,
            agenda: RefCell::default(),
            signals: RefCell::default(),
            incoming: Rc::default(),
            stopped: Cell::new(false),
            problem: RefCell::new(None),
            lost_lease: Cell::new(false),
            reports: RefCell::default(),
            notify,
        });
        // When the relay answers again, nothing waits out its retry delay.
        let weak = Rc::downgrade(&host);
        host.env.net.on_change(Rc::new(move || {
            if let Some(h) = weak.upgrade()
                && !h.env.net.unreachable()
            {
                h.relay_back();
            }
        }));
        let h = host.clone();
        spawn_local(async move {
            let now = h.env.now();
            let resumed = h.wallet.borrow_mut().resume_all(now);
            if h.persist().await {
                for (rid, actions) in resumed {
                    h.enqueue(&rid, actions);
                    h.ensure_worker(&rid);
                }
            }
            h.changed();
        });
        spawn_local(host.clone().watch_incoming());
        spawn_local(host.clone().keep_lease());
        host
    }

    /// The relay answered after failures: every worker and the incoming
    /// watcher go again now instead of at the end of their backoff.
    fn relay_back(&self) {
        if self.stopped.get() {
            return;
        }
        self.agenda.borrow_mut().retry_now();
        for s in self.signals.borrow().values() {
            s.kick();
        }
        self.incoming.kick();
    }

    /// Stops every task; nothing is written after this.
    pub fn stop(&self) {
        self.stopped.set(true);
        for s in self.signals.borrow().values() {
            s.kick();
        }
        self.incoming.kick();
    }

    pub fn is_stopped(&self) -> bool {
        self.stopped.get()
    }

    /// Gives the wallet up (lock): stop, then release the lease.
    pub async fn shutdown(&self) {
        self.stop();
        let name = self.meta.borrow().name.clone();
        let _ = self.store.release(&name, &self.tab).await;
    }

    fn changed(&self) {
        (self.notify)();
    }

    pub fn relay_pubkey(&self) -> Option<XOnly> {
        self.wallet
            .borrow()
            .relay_pubkey
            .or_else(|| self.env.config.borrow().as_ref().map(|c| c.relay_pubkey))
    }

    /// Writes the wallet; retries until it succeeds or the host stops.
    /// Returns whether the state is safely stored.
    async fn persist(&self) -> bool {
        loop {
            if self.stopped.get() {
                return false;
            }
            {
                let mut w = self.wallet.borrow_mut();
                if w.relay_pubkey.is_none() {
                    w.relay_pubkey = self.env.config.borrow().as_ref().map(|c| c.relay_pubkey);
                }
            }
            let text = match serde_json::to_string(&*self.wallet.borrow()) {
                Ok(t) => t,
                Err(_) => return false,
            };
            let name = self.meta.borrow().name.clone();
            match self.store.save_text(&name, &text).await {
                Ok(()) => {
                    if self
                        .problem
                        .borrow()
                        .as_ref()
                        .is_some_and(|p| matches!(p, UiError::StorageFailed | UiError::StorageFull))
                    {
                        *self.problem.borrow_mut() = None;
                    }
                    return true;
                }
                Err(e) => {
                    *self.problem.borrow_mut() = Some(e);
                    self.changed();
                    sleep(3_000.0).await;
                }
            }
        }
    }

    fn enqueue(&self, rid: &str, actions: Vec<Action>) {
        self.agenda.borrow_mut().add(rid, actions);
    }

    /// Applies events to record `rid`, saves, then queues the actions.
    async fn feed(&self, rid: &str, events: Vec<Event>) -> bool {
        if self.stopped.get() {
            return false;
        }
        let now = self.env.now();
        let mut actions = Vec::new();
        {
            let mut w = self.wallet.borrow_mut();
            if w.relay_pubkey.is_none() {
                // Known once /info/config answered: receipts are checked
                // against it, and equivocation detected.
                w.relay_pubkey = self.env.config.borrow().as_ref().map(|c| c.relay_pubkey);
            }
            for e in events {
                if let Ok(a) = w.apply(rid, e, now) {
                    actions.extend(a);
                }
            }
        }
        if !self.persist().await {
            return false;
        }
        self.enqueue(rid, actions);
        self.changed();
        true
    }

    /// A user intent (abort, confirm) for record `rid`.
    pub fn user_event(self: &Rc<Self>, rid: &str, event: Event) {
        let h = self.clone();
        let rid = rid.to_string();
        spawn_local(async move {
            if h.feed(&rid, vec![event]).await {
                h.ensure_worker(&rid);
            }
        });
    }

    /// Saves a record just started with `actions`, then runs it.
    async fn started(self: &Rc<Self>, rid: &str, actions: Vec<Action>) -> Result<(), UiError> {
        if !self.persist().await {
            return Err(self
                .problem
                .borrow()
                .clone()
                .unwrap_or(UiError::StorageFailed));
        }
        self.enqueue(rid, actions);
        self.ensure_worker(rid);
        self.changed();
        Ok(())
    }

    fn ensure_worker(self: &Rc<Self>, rid: &str) {
        if self.stopped.get() {
            return;
        }
        if let Some(s) = self.signals.borrow().get(rid) {
            s.kick();
            return;
        }
        let signal = Rc::new(Signal::default());
        self.signals
            .borrow_mut()
            .insert(rid.to_string(), signal.clone());
        spawn_local(self.clone().run(rid.to_string(), signal));
    }

    async fn perform(&self, action: &Action, wait: Option<u64>) -> Outcome {
        let Some(relay_pubkey) = self.relay_pubkey() else {
            return Outcome::Retry(Error::Transport("relay key unknown".into()));
        };
        let keys = self.keys.clone();
        let snapshot = self.wallet.borrow().clone();
        let mut exec = Executor {
            relay: &self.env.relay,
            keys: &keys,
            rng: BrowserEntropy,
            relay_pubkey,
            wait,
        };
        exec.perform(action, self.env.now(), &snapshot).await
    }

    /// One record's worker (see the module comment).
    async fn run(self: Rc<Self>, rid: String, signal: Rc<Signal>) {
        while !self.stopped.get() {
            let now_ms = self.env.now_ms();
            let next = self
                .agenda
                .borrow_mut()
                .next_for(&rid, &self.wallet.borrow(), now_ms);
            match next {
                Next::Act { action, .. } => match self.perform(&action, Some(LONG_POLL_SECS)).await
                {
                    Outcome::Events(events) => {
                        self.agenda.borrow_mut().done(&rid);
                        self.feed(&rid, events).await;
                    }
                    Outcome::Retry(_) => {
                        let now_ms = self.env.now_ms();
                        self.agenda.borrow_mut().failed(&rid, action, now_ms);
                        self.changed();
                    }
                },
                Next::Feed { events, .. } => {
                    self.feed(&rid, events).await;
                }
                Next::Resume { .. } => {
                    self.feed(&rid, vec![Event::Resume]).await;
                }
                Next::Poll { polls, until_ms } => self.race(&rid, &signal, polls, until_ms).await,
                Next::Sleep { until_ms } => signal.wait(self.env.ms_until(until_ms)).await,
                Next::Idle => break,
            }
        }
        self.signals.borrow_mut().remove(&rid);
        self.changed();
    }

    /// Races record `rid`'s long-polls against `until_ms` and a kick;
    /// reports the answer (if one came first) to the agenda.
    async fn race(
        &self,
        rid: &str,
        signal: &Rc<Signal>,
        polls: Vec<(String, Action)>,
        until_ms: u64,
    ) {
        let started_ms = self.env.now_ms();
        let mut racers: Vec<LocalBoxFuture<'_, Option<Outcome>>> = polls
            .iter()
            .map(|(_, a)| {
                async move { Some(self.perform(a, Some(LONG_POLL_SECS)).await) }.boxed_local()
            })
            .collect();
        let sig = signal.clone();
        let wait_ms = self.env.ms_until(until_ms);
        racers.push(
            async move {
                sig.wait(wait_ms).await;
                None
            }
            .boxed_local(),
        );
        let (first, _, rest) = futures::future::select_all(racers).await;
        drop(rest);
        match first {
            Some(Outcome::Events(events)) => {
                self.agenda.borrow_mut().polled(rid, started_ms);
                self.feed(rid, events).await;
            }
            Some(Outcome::Retry(_)) => {
                let now_ms = self.env.now_ms();
                self.agenda.borrow_mut().poll_failed(rid, now_ms);
                self.changed();
            }
            None => {}
        }
    }

    /// Renews the lease; when another tab took the wallet over, stops.
    async fn keep_lease(self: Rc<Self>) {
        loop {
            sleep(crate::store::LEASE_RENEW_MS).await;
            if self.stopped.get() {
                return;
            }
            let name = self.meta.borrow().name.clone();
            match self.store.lease(&name, &self.tab, now_ms(), false).await {
                Ok(LeaseDecision::Held(_)) => {}
                Ok(LeaseDecision::Other(_)) => {
                    self.lost_lease.set(true);
                    self.stop();
                    self.changed();
                    return;
                }
                Err(e) => {
                    *self.problem.borrow_mut() = Some(e);
                    self.changed();
                }
            }
        }
    }

    // ----- user operations -----

    /// A fresh receiving address (remembered, so it is watched).
    pub async fn new_address(&self) -> Result<String, UiError> {
        let now = self.env.now();
        let a = self.wallet.borrow_mut().new_address(&self.keys, now)?;
        if !self.persist().await {
            return Err(UiError::StorageFailed);
        }
        self.incoming.kick();
        self.changed();
        Ok(a.encode())
    }

    /// Demo coins: the relay's demo network credits `amount` to a fresh key.
    pub async fn deposit(&self, amount: u64) -> Result<(), UiError> {
        let relay_pubkey = self
            .relay_pubkey()
            .ok_or(UiError::Core(Error::Transport("relay key unknown".into())))?;
        let index = self.wallet.borrow_mut().take_index();
        // The index is saved as used before its key signs anything.
        if !self.persist().await {
            return Err(UiError::StorageFailed);
        }
        let k = self.keys.address(index)?;
        let now = self.env.now();
        let req = DepositRequest::signed(&k, amount, now, BrowserEntropy.bytes());
        let resp = self.env.relay.deposit(&req).await?;
        let coin = deposit::check(&resp, &k, index, amount, &relay_pubkey)
            .map_err(|_| UiError::Core(Error::KeyUpdateInvalid))?;
        self.wallet
            .borrow_mut()
            .add_deposit(coin, resp.receipt, now);
        self.persist().await;
        self.changed();
        Ok(())
    }

    /// Sends coin `id` to `address`.
    pub async fn send(self: &Rc<Self>, id: &Id, address: &str) -> Result<String, UiError> {
        let network = self.wallet.borrow().network;
        let to = wallet_core::Address::decode(address)?;
        if to.network != network {
            return Err(UiError::Core(Error::WrongNetwork {
                expected: network.name().into(),
                found: to.network.name().into(),
            }));
        }
        let now = self.env.now();
        let (rid, actions) = self.wallet.borrow_mut().start_send(id, to, now)?;
        self.started(&rid, actions).await?;
        Ok(rid)
    }

    /// Creates a swap invite giving `coins` for at least `want`.
    pub async fn create_invite(&self, coins: &[Id], want: u64) -> Result<String, UiError> {
        let now = self.env.now();
        let batch_id = BrowserEntropy.uuid_v4();
        let timeout = self
            .env
            .config
            .borrow()
            .as_ref()
            .map(|c| c.batch_timeout)
            .unwrap_or(120);
        // The invite stays valid for a day; the swap's own deadline starts
        // when the first coin joins.
        let expires = now + 86_400.max(timeout);
        let invite = self
            .wallet
            .borrow_mut()
            .create_invite(&self.keys, coins, want, batch_id, expires, now)?;
        if !self.persist().await {
            return Err(UiError::StorageFailed);
        }
        self.changed();
        Ok(invite.encode())
    }

    pub async fn cancel_invite(&self, batch_id: &Id) -> Result<(), UiError> {
        self.wallet.borrow_mut().cancel_invite(batch_id)?;
        self.persist().await;
        self.changed();
        Ok(())
    }

    /// Joins an invite with `coins`: returns the join answer and starts the swap.
    pub async fn join_invite(
        self: &Rc<Self>,
        code: &str,
        coins: &[Id],
    ) -> Result<(String, String), UiError> {
        let now = self.env.now();
        let manual = self.meta.borrow().manual_confirm;
        let max = self.env.max_batch_size();
        let (answer, rid, actions) = self.wallet.borrow_mut().join_invite(
            &self.keys,
            code.trim(),
            coins,
            manual,
            max,
            now,
        )?;
        self.started(&rid, actions).await?;
        Ok((answer.encode(), rid))
    }

    /// The creator accepts a join answer: the swap starts.
    pub async fn accept_answer(self: &Rc<Self>, code: &str) -> Result<String, UiError> {
        let now = self.env.now();
        let manual = self.meta.borrow().manual_confirm;
        let max = self.env.max_batch_size();
        let (rid, actions) =
            self.wallet
                .borrow_mut()
                .accept_answer(code.trim(), manual, max, now)?;
        self.started(&rid, actions).await?;
        Ok(rid)
    }

    pub async fn set_manual_confirm(&self, on: bool) -> Result<(), UiError> {
        let meta = {
            let mut m = self.meta.borrow_mut();
            m.manual_confirm = on;
            m.clone()
        };
        self.store.save_meta(&meta).await?;
        self.changed();
        Ok(())
    }

    pub async fn set_notify(&self, on: bool) -> Result<(), UiError> {
        let meta = {
            let mut m = self.meta.borrow_mut();
            m.notify = on;
            m.clone()
        };
        self.store.save_meta(&meta).await?;
        self.changed();
        Ok(())
    }

    /// Watches the receiving addresses for plain incoming transfers.
    async fn watch_incoming(self: Rc<Self>) {
        let mut attempt = 0u32;
        loop {
            if self.stopped.get() {
                return;
            }
            let started = now_ms();
            let (addresses, busy) = {
                let w = self.wallet.borrow();
                let addrs: Vec<u32> = w.addresses.iter().rev().take(8).map(|a| a.index).collect();
                let busy = w
                    .records
                    .values()
                    .any(|r| matches!(r, Record::Swap(_)) && !r.is_final());
                (addrs, busy)
            };
            if addresses.is_empty() {
                self.incoming.wait(10_000.0).await;
                continue;
            }
            let mut failed = false;
            for (i, index) in addresses.iter().enumerate() {
                // Long-poll only the newest address, and only when no swap
                // needs the browser's few connections to the relay.
                let wait = (i == 0 && !busy).then_some(LONG_POLL_SECS);
                let poll = self.check_address(*index, wait).boxed_local();
                let kick = self.incoming.wait(60_000.0).map(|_| Ok(())).boxed_local();
                let (r, _, _) = futures::future::select_all([poll, kick]).await;
                if self.stopped.get() {
                    return;
                }
                if let Err(e) = r {
                    let _ = e;
                    failed = true;
                    break;
                }
            }
            attempt = if failed { attempt + 1 } else { 0 };
            let min_period = if failed {
                retry_delay_ms(attempt) as f64
            } else if busy {
                8_000.0
            } else {
                3_000.0
            };
            let elapsed = now_ms() - started;
            if elapsed < min_period {
                self.incoming.wait(min_period - elapsed).await;
            }
        }
    }

    /// Checks one address for new plain transfers and starts their receives.
    async fn check_address(self: &Rc<Self>, index: u32, wait: Option<u64>) -> Result<(), Error> {
        let Some(relay_pubkey) = self.relay_pubkey() else {
            return Ok(());
        };
        let snapshot = self.wallet.borrow().clone();
        let skip: Vec<Id> = snapshot
            .records
            .keys()
            .filter_map(|k| wallet_core::wallet::parse_receive_rid(k))
            .filter(|(_, i)| *i == index)
            .map(|(id, _)| id)
            .chain(snapshot.coins.keys().copied())
            .collect();
        let keys = self.keys.clone();
        let mut exec = Executor {
            relay: &self.env.relay,
            keys: &keys,
            rng: BrowserEntropy,
            relay_pubkey,
            wait,
        };
        let found = exec
            .check_incoming(index, self.env.now(), &snapshot, &skip)
            .await?;
        for (msg, report) in found {
            if self.stopped.get() {
                return Ok(());
            }
            let now = self.env.now();
            let rec = Receive::new(msg, report.clone(), index, now);
            let (rid, actions) = self.wallet.borrow_mut().start_receive(rec);
            self.reports.borrow_mut().insert(rid.clone(), report);
            let _ = self.started(&rid, actions).await;
        }
        Ok(())
    }

    /// Finds the coins of a restored phrase again (`wallet_core::restore`:
    /// `/info/owner` per address index until `GAP_LIMIT` in a row own
    /// nothing; a coin is kept only if its relay record checks out).
    pub async fn find_coins(&self, progress: &dyn Fn(u32, usize)) -> Result<usize, UiError> {
        let relay_pubkey = self
            .relay_pubkey()
            .ok_or(UiError::Core(Error::Transport("relay key unknown".into())))?;
        // Each callback borrows the wallet only for its own call, never
        // across the scan's awaits.
        let out = restore::scan(
            &self.env.relay,
            &self.keys,
            &relay_pubkey,
            restore::GAP_LIMIT,
            |id| self.wallet.borrow().coins.contains_key(id),
            |found| self.wallet.borrow_mut().add_found(found),
            progress,
        )
        .await?;
        let found = out.found;
        let index = out.next_index;
        {
            let mut w = self.wallet.borrow_mut();
            w.next_index = w.next_index.max(index);
        }
        if !self.persist().await {
            return Err(UiError::StorageFailed);
        }
        self.changed();
        Ok(found)
    }
}
