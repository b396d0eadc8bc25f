//! Scenario kit: parties that run wallets end to end against any relay
//! [`Transport`], used by wallet-core's tests (against the in-memory relay,
//! natively and in Chromium) and by the relay's tests (over real HTTP).
//!
//! A [`Party`] is a host in miniature: it persists (serializes) its wallet
//! after every step, asks the [`Agenda`] what to do next (the same policy
//! the web wallet and the CLI follow), performs it, feeds the answers back,
//! and can "crash" at any point — dropping everything not persisted — and
//! resume.
//!
//! [`incoming`]: a coin with a real history as a receiver sees it, for the
//! §7 verification tests and benchmark.

pub mod incoming;

use crate::address::{Address, Network};
use crate::client::{RelayClient, Transport};
use crate::driver::{Executor, Outcome};
use crate::entropy::{Entropy, SeededEntropy};
use crate::error::Error;
use crate::keys::{Mnemonic, WalletKeys};
use crate::machine::{Action, Event, OwnedCoin};
use crate::types::{Id, XOnly};
use crate::wallet::agenda::{Agenda, Next};
use crate::wallet::{Record, Wallet};
use crate::wire::DepositRequest;

/// The relay and its clock, as a scenario sees them.
#[allow(async_fn_in_trait)]
pub trait World {
    type T: Transport;
    fn relay(&self) -> &RelayClient<Self::T>;
    /// The relay's clock.
    fn now(&self) -> u64;
    /// Moves the relay's clock forward (a test clock, never a sleep).
    fn advance(&self, secs: u64);
}

/// Where a crash interrupts a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crash {
    /// After persisting a record, before performing its action.
    BeforeAct,
    /// After the relay acted, before the answer was persisted.
    AfterAct,
}

/// One wallet and its host loop.
pub struct Party {
    pub name: String,
    pub keys: WalletKeys,
    /// The persisted wallet: the only thing that survives a crash.
    stored: String,
    pub wallet: Wallet,
    agenda: Agenda,
    rng: SeededEntropy,
    relay_pubkey: XOnly,
    /// Actions performed so far (to place crashes).
    pub performed: usize,
    pub crash_at: Option<(usize, Crash)>,
    pub crashes: usize,
}

impl Party {
    pub fn new(name: &str, seed: u64, relay_pubkey: XOnly) -> Party {
        let mut rng = SeededEntropy::new(seed);
        let keys = WalletKeys::from_mnemonic(&Mnemonic::from_entropy(rng.bytes()));
        let mut wallet = Wallet::new(name, Network::Demo);
        wallet.relay_pubkey = Some(relay_pubkey);
        let stored = serde_json::to_string(&wallet).unwrap_or_default();
        Party {
            name: name.into(),
            keys,
            stored,
            wallet,
            agenda: Agenda::new(),
            rng,
            relay_pubkey,
            performed: 0,
            crash_at: None,
            crashes: 0,
        }
    }

    fn persist(&mut self) {
        self.stored = serde_json::to_string(&self.wallet)
            .unwrap_or_else(|e| panic!("wallet serializes: {e}"));
    }

    /// Loses everything but the persisted wallet, reloads it and resumes.
    pub fn crash_and_resume(&mut self, now: u64) {
        self.crashes += 1;
        self.agenda.clear();
        self.wallet =
            serde_json::from_str(&self.stored).unwrap_or_else(|e| panic!("wallet loads: {e}"));
        for (rid, actions) in self.wallet.resume_all(now) {
            self.enqueue(&rid, actions);
        }
        self.persist();
    }

    /// Queues what a machine step asked for.
    pub fn enqueue(&mut self, rid: &str, actions: Vec<Action>) {
        self.agenda.add(rid, actions);
    }

    /// Deposits a demo coin of `amount` at a fresh address.
    pub async fn deposit<W: World>(&mut self, world: &W, amount: u64) -> Result<OwnedCoin, Error> {
        let index = self.wallet.take_index();
        let k = self.keys.address(index)?;
        let now = world.now();
        let resp = world
            .relay()
            .deposit(&DepositRequest::signed(&k, amount, now, self.rng.bytes()))
            .await?;
        let coin = crate::deposit::check(&resp, &k, index, amount, &self.relay_pubkey)?;
        self.wallet.add_deposit(coin.clone(), resp.receipt, now);
        self.persist();
        Ok(coin)
    }

    pub fn start(&mut self, rid: &str, actions: Vec<Action>) {
        self.persist();
        self.enqueue(rid, actions);
    }

    /// Feeds an event (user intent) to a record.
    pub fn feed(&mut self, rid: &str, event: Event, now: u64) -> Result<(), Error> {
        let actions = self.wallet.apply(rid, event, now)?;
        self.persist();
        self.enqueue(rid, actions);
        Ok(())
    }

    /// Performs one queued action (polling when idle). Returns whether the
    /// persisted wallet changed: polls that learn nothing new are not progress.
    pub async fn step<W: World>(&mut self, world: &W) -> bool {
        let before = self.stored.clone();
        let crashes = self.crashes;
        self.step_inner(world).await;
        self.stored != before || self.crashes != crashes
    }

    /// Follows the agenda up to one relay request (or one round of polls,
    /// each a quick look: no long-polls here). Every step starts a new
    /// round: the other parties may have moved since, so idle records are
    /// resumed and polls may go at once.
    async fn step_inner<W: World>(&mut self, world: &W) {
        let now = world.now();
        self.agenda.wake();
        loop {
            match self.agenda.next(&self.wallet, now * 1000) {
                Next::Act { rid, action } => {
                    self.perform(world, &rid, action, now).await;
                    return;
                }
                Next::Poll { polls, .. } => {
                    for (rid, action) in polls {
                        if !self.perform(world, &rid, action, now).await {
                            return;
                        }
                    }
                    return;
                }
                Next::Feed { rid, events } => {
                    for e in events {
                        let _ = self.feed(&rid, e, now);
                    }
                }
                Next::Resume { rid } => {
                    let _ = self.feed(&rid, Event::Resume, now);
                }
                Next::Sleep { .. } | Next::Idle => return,
            }
        }
    }

    /// Performs one action and feeds its answer back; `false` if the party
    /// crashed (as `crash_at` asked) instead.
    async fn perform<W: World>(&mut self, world: &W, rid: &str, action: Action, now: u64) -> bool {
        self.performed += 1;
        if self.crash_at == Some((self.performed, Crash::BeforeAct)) {
            self.crash_and_resume(now);
            return false;
        }
        let mut exec = Executor {
            relay: world.relay(),
            keys: &self.keys,
            rng: &mut self.rng,
            relay_pubkey: self.relay_pubkey,
            wait: None,
        };
        let outcome = exec.perform(&action, now, &self.wallet).await;
        if self.crash_at == Some((self.performed, Crash::AfterAct)) {
            self.crash_and_resume(now);
            return false;
        }
        match outcome {
            Outcome::Events(events) => {
                if action.is_poll() {
                    self.agenda.polled(rid, now * 1000);
                } else {
                    self.agenda.done(rid);
                }
                for e in events {
                    if let Err(e) = self.feed(rid, e, now) {
                        panic!("{}: feeding an event failed: {e}", self.name);
                    }
                }
                true
            }
            Outcome::Retry(e) => panic!("{}: {action:?} could not reach the relay: {e}", self.name),
        }
    }

    pub fn record(&self, rid: &str) -> Option<&Record> {
        self.wallet.records.get(rid)
    }

    pub fn is_final(&self, rid: &str) -> bool {
        self.record(rid).is_some_and(Record::is_final)
    }

    /// This wallet's address at a fresh index.
    pub fn fresh_address(&mut self, now: u64) -> Result<Address, Error> {
        self.wallet.new_address(&self.keys, now)
    }

    pub fn random_id(&mut self) -> Id {
        self.rng.uuid_v4()
    }

    /// Checks with the relay that every coin in the wallet is really owned
    /// by the wallet's key at the coin's index, with the same `seq`.
    pub async fn assert_owns_its_coins<W: World>(&self, world: &W) {
        for c in self.wallet.coins.values() {
            let info = world
                .relay()
                .statechain(&c.statechain_id)
                .await
                .unwrap_or_else(|e| panic!("info: {e}"));
            let k = self.keys.address(c.index).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                info.owner_auth_pubkey,
                k.auth_pubkey(),
                "{}: relay owner of {}",
                self.name,
                c.statechain_id
            );
            assert_eq!(
                info.owner_user_pubkey,
                k.user_pubkey(),
                "{}: user key of {}",
                self.name,
                c.statechain_id
            );
            assert_eq!(info.seq, c.seq, "{}: seq of {}", self.name, c.statechain_id);
        }
    }
}

/// A flood of junk for one address (PROTOCOL §8's attack): `n` demo coins
/// of 1 sat, each registered to `to` with `size` random bytes as its
/// message (nobody can open it; the relay does not look), in upload order.
/// Returns the junk coins.
pub async fn junk_messages<T: Transport>(
    relay: &RelayClient<T>,
    to: &Address,
    n: usize,
    size: usize,
    now: impl Fn() -> u64,
    seed: u64,
) -> Result<Vec<Id>, Error> {
    let mut rng = SeededEntropy::new(seed);
    let owner = WalletKeys::from_mnemonic(&Mnemonic::from_entropy(rng.bytes())).address(0)?;
    let mut coins = Vec::with_capacity(n);
    for _ in 0..n {
        let dep = relay
            .deposit(&DepositRequest::signed(&owner, 1, now(), rng.bytes()))
            .await?;
        let coin = dep.statechain_id;
        relay
            .sender(&crate::wire::SenderRequest::signed(
                coin,
                &owner,
                to,
                None,
                now(),
                rng.bytes(),
            ))
            .await?;
        let mut junk = vec![0u8; size];
        rng.fill(&mut junk);
        relay
            .update_msg(&crate::wire::UpdateMsgRequest::signed(
                coin,
                &owner,
                junk,
                now(),
                rng.bytes(),
            ))
            .await?;
        coins.push(coin);
    }
    Ok(coins)
}

/// Runs the parties in turn until `done` holds or nothing moves for a while.
/// `advance_when_idle` moves the relay clock by that many seconds each idle
/// round (to let deadlines pass); returns whether `done` held.
pub async fn run_until<W: World>(
    world: &W,
    parties: &mut [&mut Party],
    advance_when_idle: u64,
    done: impl Fn(&[&mut Party]) -> bool,
) -> bool {
    let mut idle_rounds = 0;
    for _ in 0..2_000 {
        if done(parties) {
            return true;
        }
        let mut moved = false;
        for p in parties.iter_mut() {
            moved |= p.step(world).await;
        }
        if moved {
            idle_rounds = 0;
        } else {
            idle_rounds += 1;
            if idle_rounds > 50 {
                return done(parties);
            }
            world.advance(advance_when_idle);
        }
    }
    done(parties)
}

/// End-to-end swap scenarios, run against any [`World`].
pub mod scenarios {
    use super::*;
    use crate::machine::swap::SwapPhase;

    fn swap_phase(p: &Party, rid: &str) -> Option<SwapPhase> {
        match p.record(rid) {
            Some(Record::Swap(s)) => Some(s.phase),
            _ => None,
        }
    }

    /// Two funded parties and their agreed swap: A gives 5 000 for B's 7 000.
    pub struct Setup {
        pub a: Party,
        pub b: Party,
        pub rid: String,
        pub coin_a: OwnedCoin,
        pub coin_b: OwnedCoin,
    }

    /// Funds both parties; A creates the invite, B joins (B's swap starts),
    /// A accepts (A's swap starts) if `start_a`.
    pub async fn setup<W: World>(w: &W, seed: u64, manual_confirm: bool, start_a: bool) -> Setup {
        setup_confirming(w, seed, manual_confirm, manual_confirm, start_a).await
    }

    /// [`setup`], with each party's own choice of manual confirmation.
    pub async fn setup_confirming<W: World>(
        w: &W,
        seed: u64,
        manual_a: bool,
        manual_b: bool,
        start_a: bool,
    ) -> Setup {
        let relay_pubkey = w
            .relay()
            .config()
            .await
            .unwrap_or_else(|e| panic!("config: {e}"))
            .relay_pubkey;
        let mut a = Party::new("A", seed, relay_pubkey);
        let mut b = Party::new("B", seed + 1, relay_pubkey);
        let coin_a = a
            .deposit(w, 5_000)
            .await
            .unwrap_or_else(|e| panic!("deposit: {e}"));
        let coin_b = b
            .deposit(w, 7_000)
            .await
            .unwrap_or_else(|e| panic!("deposit: {e}"));
        let now = w.now();
        let batch_id = a.random_id();
        let invite = a
            .wallet
            .create_invite(
                &a.keys,
                &[coin_a.statechain_id],
                7_000,
                batch_id,
                now + 600,
                now,
            )
            .unwrap_or_else(|e| panic!("invite: {e}"));
        let (answer, rid, actions) = b
            .wallet
            .join_invite(
                &b.keys,
                &invite.encode(),
                &[coin_b.statechain_id],
                manual_b,
                1000,
                now,
            )
            .unwrap_or_else(|e| panic!("join: {e}"));
        b.start(&rid, actions);
        if start_a {
            let (rid_a, actions) = a
                .wallet
                .accept_answer(&answer.encode(), manual_a, 1000, now)
                .unwrap_or_else(|e| panic!("accept: {e}"));
            assert_eq!(rid_a, rid, "both sides name the swap by its batch");
            a.start(&rid_a, actions);
        }
        Setup {
            a,
            b,
            rid,
            coin_a,
            coin_b,
        }
    }

    /// Every coin is in exactly one wallet, the relay agrees, nothing is lost.
    pub async fn assert_conserved<W: World>(w: &W, s: &Setup) {
        let total = s.a.wallet.balance() + s.b.wallet.balance();
        assert_eq!(total, 12_000, "no coin lost or duplicated");
        for c in s.a.wallet.coins.keys() {
            assert!(
                !s.b.wallet.coins.contains_key(c),
                "coin {c} in both wallets"
            );
        }
        s.a.assert_owns_its_coins(w).await;
        s.b.assert_owns_its_coins(w).await;
    }

    fn both_final(rid: &str) -> impl Fn(&[&mut Party]) -> bool + '_ {
        move |ps: &[&mut Party]| ps.iter().all(|p| p.is_final(rid))
    }

    /// The happy path: both complete; each holds the other's coin.
    pub async fn happy_swap<W: World>(w: &W, seed: u64) -> Setup {
        let mut s = setup(w, seed, false, true).await;
        let rid = s.rid.clone();
        assert!(
            run_until(w, &mut [&mut s.a, &mut s.b], 1, both_final(&rid)).await,
            "swap did not finish"
        );
        assert_eq!(swap_phase(&s.a, &rid), Some(SwapPhase::Completed));
        assert_eq!(swap_phase(&s.b, &rid), Some(SwapPhase::Completed));
        assert!(s.a.wallet.coins.contains_key(&s.coin_b.statechain_id));
        assert!(s.b.wallet.coins.contains_key(&s.coin_a.statechain_id));
        assert_eq!(s.a.wallet.balance(), 7_000);
        assert_eq!(s.b.wallet.balance(), 5_000);
        // Every receipt in the history verifies under the relay key.
        for p in [&s.a, &s.b] {
            let relay = p.wallet.relay_pubkey.unwrap_or_else(|| panic!("relay key"));
            assert!(
                p.wallet
                    .history
                    .iter()
                    .filter_map(|h| h.receipt.as_ref())
                    .all(|r| r.verify(&relay))
            );
        }
        assert_conserved(w, &s).await;
        s
    }

    /// The counterparty never sends its coin: the deadline passes, the batch
    /// never commits, and A's coin comes back by itself under a fresh key.
    pub async fn missing_coin<W: World>(w: &W, seed: u64) -> Setup {
        let mut s = setup(w, seed, false, true).await;
        let rid = s.rid.clone();
        // B joined on paper but its wallet never runs.
        assert!(
            run_until(w, &mut [&mut s.a], 10, both_final(&rid)).await,
            "A did not back out"
        );
        assert_eq!(swap_phase(&s.a, &rid), Some(SwapPhase::BackedOut));
        let back = &s.a.wallet.coins[&s.coin_a.statechain_id];
        assert_ne!(back.index, s.coin_a.index, "recovered to a fresh address");
        assert_eq!(s.a.wallet.balance(), 5_000);
        s.a.assert_owns_its_coins(w).await;
        s
    }

    /// With manual confirmation both stop before unlocking; then one side
    /// aborts, the other sees it, and both get their coins back.
    pub async fn abort_by<W: World>(w: &W, seed: u64, aborter_is_a: bool) -> Setup {
        let mut s = setup(w, seed, true, true).await;
        let rid = s.rid.clone();
        let checked = |ps: &[&mut Party]| {
            ps.iter().all(|p| match p.record(&rid) {
                Some(Record::Swap(sw)) => sw
                    .gets
                    .iter()
                    .all(|g| matches!(g.state, crate::machine::swap::GetState::Checked { .. })),
                _ => false,
            })
        };
        assert!(
            run_until(w, &mut [&mut s.a, &mut s.b], 0, checked).await,
            "both should verify"
        );
        let now = w.now();
        let aborter = if aborter_is_a { &mut s.a } else { &mut s.b };
        aborter
            .feed(&rid, Event::UserAbort, now)
            .unwrap_or_else(|e| panic!("abort: {e}"));
        assert!(
            run_until(w, &mut [&mut s.a, &mut s.b], 1, both_final(&rid)).await,
            "abort did not finish"
        );
        assert_eq!(swap_phase(&s.a, &rid), Some(SwapPhase::BackedOut));
        assert_eq!(swap_phase(&s.b, &rid), Some(SwapPhase::BackedOut));
        assert_eq!(s.a.wallet.balance(), 5_000);
        assert_eq!(s.b.wallet.balance(), 7_000);
        assert_conserved(w, &s).await;
        s
    }

    /// Both unlock and the batch commits; B is away until long after the
    /// deadline, then completes its receive all the same.
    pub async fn slow_receiver<W: World>(w: &W, seed: u64) -> Setup {
        let mut s = setup(w, seed, false, true).await;
        let rid = s.rid.clone();
        let committed = |ps: &[&mut Party]| {
            ps.iter().all(|p| {
                matches!(
                    swap_phase(p, &rid),
                    Some(SwapPhase::Committed | SwapPhase::Completed)
                )
            })
        };
        assert!(
            run_until(w, &mut [&mut s.a, &mut s.b], 1, committed).await,
            "no commit"
        );
        w.advance(3_600);
        assert!(run_until(w, &mut [&mut s.a, &mut s.b], 1, both_final(&rid)).await);
        assert_eq!(swap_phase(&s.b, &rid), Some(SwapPhase::Completed));
        assert_conserved(w, &s).await;
        s
    }

    /// First half of "a commit reaches a wallet that is backing out":
    /// B (automatic) unlocks A's coin; A (manual) has checked B's coin but
    /// not confirmed. The relay's clock jumps `jump` seconds, past the
    /// deadline; B sees the batch reported expired and starts backing out,
    /// and is stopped before its take-back reaches the relay. The caller
    /// then puts the relay's clock back (a restarted relay process whose
    /// clock was behind) and runs [`commit_reaches_a_wallet_backing_out`].
    pub async fn backing_out_after_a_reported_expiry<W: World>(w: &W, seed: u64) -> (Setup, u64) {
        let mut s = setup_confirming(w, seed, true, false, true).await;
        let rid = s.rid.clone();
        let ready = |ps: &[&mut Party]| {
            let a_checked = match ps[0].record(&rid) {
                Some(Record::Swap(sw)) => sw
                    .gets
                    .iter()
                    .all(|g| matches!(g.state, crate::machine::swap::GetState::Checked { .. })),
                _ => false,
            };
            a_checked && swap_phase(ps[1], &rid) == Some(SwapPhase::AwaitingCommit)
        };
        assert!(
            run_until(w, &mut [&mut s.a, &mut s.b], 0, ready).await,
            "B should unlock and A check"
        );
        let deadline = match s.b.record(&rid) {
            Some(Record::Swap(sw)) => sw.deadline.unwrap_or_else(|| panic!("no deadline")),
            _ => panic!("no swap"),
        };
        let jump = deadline + 5 - w.now();
        w.advance(jump);
        for _ in 0..50 {
            if swap_phase(&s.b, &rid) == Some(SwapPhase::BackingOut) {
                break;
            }
            s.b.step(w).await;
        }
        assert_eq!(swap_phase(&s.b, &rid), Some(SwapPhase::BackingOut));
        assert!(
            s.b.agenda
                .acts()
                .any(|(_, a)| matches!(a, Action::Reclaim { .. })),
            "the take-back is still to do"
        );
        (s, jump)
    }

    /// Second half: A confirms and its unlock commits the batch; then B's
    /// take-back is refused as `batch_completed`, and B follows the commit
    /// and receives A's coin. Both complete; nothing is lost or stuck.
    pub async fn commit_reaches_a_wallet_backing_out<W: World>(w: &W, s: &mut Setup) {
        let rid = s.rid.clone();
        let now = w.now();
        s.a.feed(&rid, Event::UserConfirm, now)
            .unwrap_or_else(|e| panic!("confirm: {e}"));
        assert!(
            run_until(w, &mut [&mut s.a, &mut s.b], 1, both_final(&rid)).await,
            "both should complete"
        );
        assert_eq!(swap_phase(&s.a, &rid), Some(SwapPhase::Completed));
        assert_eq!(swap_phase(&s.b, &rid), Some(SwapPhase::Completed));
        assert!(s.b.wallet.coins.contains_key(&s.coin_a.statechain_id));
        assert!(s.a.wallet.coins.contains_key(&s.coin_b.statechain_id));
        assert_conserved(w, s).await;
    }

    /// A happy swap in which party `who` crashes at its `at`-th action.
    /// Returns `false` when `at` is past the party's last action.
    pub async fn crash_during_swap<W: World>(
        w: &W,
        seed: u64,
        who_is_a: bool,
        at: usize,
        kind: Crash,
    ) -> bool {
        let mut s = setup(w, seed, false, true).await;
        let rid = s.rid.clone();
        let p = if who_is_a { &mut s.a } else { &mut s.b };
        p.crash_at = Some((at, kind));
        assert!(
            run_until(w, &mut [&mut s.a, &mut s.b], 1, both_final(&rid)).await,
            "swap with a crash at {at} ({kind:?}) did not finish"
        );
        assert_eq!(swap_phase(&s.a, &rid), Some(SwapPhase::Completed));
        assert_eq!(swap_phase(&s.b, &rid), Some(SwapPhase::Completed));
        assert_conserved(w, &s).await;
        let p = if who_is_a { &s.a } else { &s.b };
        p.crashes > 0
    }

    /// A backs out (B never runs) and crashes at its `at`-th action.
    pub async fn crash_during_backout<W: World>(w: &W, seed: u64, at: usize, kind: Crash) -> bool {
        let mut s = setup(w, seed, false, true).await;
        let rid = s.rid.clone();
        s.a.crash_at = Some((at, kind));
        assert!(
            run_until(w, &mut [&mut s.a], 10, both_final(&rid)).await,
            "backout with a crash at {at} did not finish"
        );
        assert_eq!(swap_phase(&s.a, &rid), Some(SwapPhase::BackedOut));
        assert_eq!(s.a.wallet.balance(), 5_000);
        s.a.assert_owns_its_coins(w).await;
        s.a.crashes > 0
    }

    /// Plain send from A to a fresh address of B, then B receives it.
    pub async fn plain_transfer<W: World>(w: &W, seed: u64) {
        let relay_pubkey = w
            .relay()
            .config()
            .await
            .unwrap_or_else(|e| panic!("config: {e}"))
            .relay_pubkey;
        let mut a = Party::new("A", seed, relay_pubkey);
        let mut b = Party::new("B", seed + 1, relay_pubkey);
        let coin = a
            .deposit(w, 3_000)
            .await
            .unwrap_or_else(|e| panic!("deposit: {e}"));
        let now = w.now();
        let to = b.fresh_address(now).unwrap_or_else(|e| panic!("{e}"));
        let (rid, actions) = a
            .wallet
            .start_send(&coin.statechain_id, to, now)
            .unwrap_or_else(|e| panic!("{e}"));
        a.start(&rid, actions);
        assert!(run_until(w, &mut [&mut a], 0, |ps| ps[0].is_final(&rid)).await);
        assert_eq!(a.wallet.balance(), 0);
        // B's host finds the message at its address, checks it and receives.
        let index = b.wallet.addresses[0].index;
        let mut exec = Executor {
            relay: w.relay(),
            keys: &b.keys,
            rng: SeededEntropy::new(seed + 9),
            relay_pubkey,
            wait: None,
        };
        let expect = vec![crate::machine::Expected {
            statechain_id: coin.statechain_id,
            amount: 3_000,
        }];
        let events = match exec
            .perform(
                &Action::FetchIncoming {
                    index,
                    expect,
                    batch: None,
                },
                w.now(),
                &b.wallet,
            )
            .await
        {
            Outcome::Events(e) => e,
            Outcome::Retry(e) => panic!("fetch: {e}"),
        };
        let Some(Event::Checked { msg, report, .. }) = events.into_iter().next() else {
            panic!("no message for B")
        };
        assert!(report.all_passed(), "{:?}", report.failures());
        // The host's way to find transfers it did not expect: the same
        // message, checked the same way; a coin it already handles is skipped.
        let found = exec
            .check_incoming(index, w.now(), &b.wallet, &[])
            .await
            .unwrap_or_else(|e| panic!("check_incoming: {e}"));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, *msg);
        assert!(found[0].1.all_passed(), "{:?}", found[0].1.failures());
        let skipped = exec
            .check_incoming(index, w.now(), &b.wallet, &[coin.statechain_id])
            .await
            .unwrap_or_else(|e| panic!("check_incoming: {e}"));
        assert!(skipped.is_empty());
        let rec = crate::machine::receive::Receive::new(*msg, report, index, w.now());
        let (rid_b, actions) = b.wallet.start_receive(rec);
        b.start(&rid_b, actions);
        assert!(run_until(w, &mut [&mut b], 0, |ps| ps[0].is_final(&rid_b)).await);
        assert_eq!(b.wallet.balance(), 3_000);
        b.assert_owns_its_coins(w).await;
    }
}

/// A made-up coin (the relay has never seen it) at `wallet`'s next fresh
/// address, added to its coins: for tests of what a wallet does with the
/// coins it holds.
///
/// # Panics
/// If the address cannot be derived (it always can for a fresh index).
pub fn held_coin(
    wallet: &mut Wallet,
    keys: &WalletKeys,
    rng: &mut SeededEntropy,
    amount: u64,
) -> OwnedCoin {
    let index = wallet.take_index();
    let coin = OwnedCoin {
        statechain_id: rng.uuid_v4(),
        amount,
        aggregated_pubkey: keys
            .address(index)
            .unwrap_or_else(|e| panic!("address {index}: {e}"))
            .user_pubkey(),
        seq: 0,
        index,
    };
    wallet.coins.insert(coin.statechain_id, coin.clone());
    coin
}
