//! PROTOCOL §6.2 (revision 2) against the in-memory relay: a take-back of
//! a coin from a batch and the commit of that batch never both succeed,
//! whatever the clocks do. Two relay processes share one store whose wall
//! clocks disagree, jump past the deadline and step back; the racing
//! requests (take-backs, withdrawals, unlocks, aborts) come in every order
//! through either process. The sim's store has no clock of its own, so
//! only what the rules write down (a recorded expiry) can keep the batch
//! atomic here: this is the worst case the revision guards against.

use super::*;
use crate::address::{Address, Network};
use crate::descriptor::Descriptor;
use crate::entropy::{Entropy, SeededEntropy};
use crate::keys::{AddressKeys, Mnemonic, WalletKeys};
use crate::wire::{BatchCoinRequest, BatchState, DepositRequest, SenderRequest, WithdrawRequest};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// Six address keys: Alice's, Bob's, their receiving and recovery keys.
/// One wallet for every race (a phrase costs 2048 PBKDF2 rounds); each race
/// has a relay of its own, so sharing keys shares nothing else.
fn keys() -> [AddressKeys; 6] {
    let mnemonic = Mnemonic::from_entropy(SeededEntropy::new(1).bytes());
    let w = WalletKeys::from_mnemonic(&mnemonic);
    std::array::from_fn(|i| w.address(i as u32).unwrap_or_else(|e| panic!("{e}")))
}

fn address(k: &AddressKeys) -> Address {
    Address {
        network: Network::Demo,
        user_pubkey: k.user_pubkey(),
        auth_pubkey: k.auth_pubkey(),
    }
}

/// Which process a request goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum P {
    One,
    Two,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Sets a process's wall clock just before or just past the deadline.
    Clock {
        p: P,
        past: bool,
    },
    /// Alice sends coin A back to herself, with no batch.
    TakeBackA(P),
    /// Bob sends coin B back to himself, with no batch.
    TakeBackB(P),
    /// Alice withdraws coin A.
    WithdrawA(P),
    /// Bob (receiver of A) unlocks it; Alice (receiver of B) unlocks B.
    UnlockA(P),
    UnlockB(P),
    /// Alice aborts the batch.
    Abort(P),
}

/// Two parties in one batch: Alice gives coin A to Bob's `a_to`, Bob gives
/// coin B to Alice's `b_to`; both coins have joined.
struct Race {
    one: SimRelay,
    two: SimRelay,
    alice: AddressKeys,
    bob: AddressKeys,
    a_to: AddressKeys,
    b_to: AddressKeys,
    alice_back: AddressKeys,
    bob_back: AddressKeys,
    coin_a: Id,
    coin_b: Id,
    d: Descriptor,
    deadline: u64,
    aux: u64,
    /// A take-back or withdrawal of either coin out of the batch succeeded.
    took_back: bool,
    /// An unlock answered `committed`.
    committed: bool,
}

impl Race {
    fn new(seed: u64, keys: &[AddressKeys; 6]) -> Race {
        let one = SimRelay::new(seed);
        let two = one.another_process(seed + 1);
        let k = |i: usize| keys[i].clone();
        let (alice, bob) = (k(0), k(1));
        let deposit = |owner: &AddressKeys, amount, aux| {
            let req = DepositRequest::signed(owner, amount, one.now(), [aux; 32]);
            match one.execute(&Op::Deposit(req)) {
                Ok(Reply::Deposit(r)) => r.statechain_id,
                other => panic!("deposit: {other:?}"),
            }
        };
        let (coin_a, coin_b) = (deposit(&alice, 5000, 1), deposit(&bob, 7000, 2));
        let (a_to, b_to) = (k(2), k(3));
        let line = |statechain_id, to: &AddressKeys, amount| crate::descriptor::BatchTransfer {
            statechain_id,
            new_user_auth_key: to.auth_pubkey(),
            amount,
        };
        let d = Descriptor::new(
            SeededEntropy::new(seed).uuid_v4(),
            vec![line(coin_a, &a_to, 5000), line(coin_b, &b_to, 7000)],
            10,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut r = Race {
            one,
            two,
            alice,
            bob,
            a_to,
            b_to,
            alice_back: k(4),
            bob_back: k(5),
            coin_a,
            coin_b,
            d,
            deadline: 0,
            aux: seed << 16,
            took_back: false,
            committed: false,
        };
        let (alice, bob, a_to, b_to, d) = (
            r.alice.clone(),
            r.bob.clone(),
            r.a_to.clone(),
            r.b_to.clone(),
            r.d.clone(),
        );
        r.sender(P::One, coin_a, &alice, &a_to, Some(&d))
            .unwrap_or_else(|e| panic!("join A: {e}"));
        r.sender(P::One, coin_b, &bob, &b_to, Some(&d))
            .unwrap_or_else(|e| panic!("join B: {e}"));
        r.deadline = r.batch().deadline;
        r
    }

    fn relay(&self, p: P) -> &SimRelay {
        match p {
            P::One => &self.one,
            P::Two => &self.two,
        }
    }

    fn aux(&mut self) -> [u8; 32] {
        self.aux += 1;
        let mut a = [0u8; 32];
        a[..8].copy_from_slice(&self.aux.to_be_bytes());
        a
    }

    fn sender(
        &mut self,
        p: P,
        coin: Id,
        owner: &AddressKeys,
        to: &AddressKeys,
        batch: Option<&Descriptor>,
    ) -> Result<Reply, ServeError> {
        let relay = self.relay(p).clone();
        let req = SenderRequest::signed(coin, owner, &address(to), batch, relay.now(), self.aux());
        let op = decode::sender(req, &relay.limits()).map_err(ServeError::Refused)?;
        relay.execute(&op)
    }

    fn batch(&self) -> crate::wire::BatchInfo {
        match self.one.read(&Read::Batch(self.d.batch_id())) {
            Ok(ReadReply::Batch(b)) => *b,
            other => panic!("batch: {other:?}"),
        }
    }

    fn run(&mut self, step: Step) {
        let batch_id = self.d.batch_id();
        match step {
            Step::Clock { p, past } => {
                let t = if past {
                    self.deadline + 5
                } else {
                    self.deadline - 5
                };
                self.relay(p).set_wall_clock(t);
            }
            Step::TakeBackA(p) => {
                let (alice, back) = (self.alice.clone(), self.alice_back.clone());
                let ok = self.sender(p, self.coin_a, &alice, &back, None).is_ok();
                self.took_back |= ok;
            }
            Step::TakeBackB(p) => {
                let (bob, back) = (self.bob.clone(), self.bob_back.clone());
                let ok = self.sender(p, self.coin_b, &bob, &back, None).is_ok();
                self.took_back |= ok;
            }
            Step::WithdrawA(p) => {
                let relay = self.relay(p).clone();
                let aux = self.aux();
                let req = WithdrawRequest::signed(self.coin_a, &self.alice, relay.now(), aux);
                self.took_back |= relay.execute(&Op::Withdraw(req)).is_ok();
            }
            Step::UnlockA(p) | Step::UnlockB(p) => {
                let (coin, signer) = match step {
                    Step::UnlockA(_) => (self.coin_a, self.a_to.clone()),
                    _ => (self.coin_b, self.b_to.clone()),
                };
                let relay = self.relay(p).clone();
                let aux = self.aux();
                let req = BatchCoinRequest::unlock(coin, batch_id, &signer, relay.now(), aux);
                if let Ok(Reply::Status(s)) = relay.execute(&Op::Unlock(req)) {
                    self.committed |= s.state == BatchState::Committed;
                }
            }
            Step::Abort(p) => {
                let relay = self.relay(p).clone();
                let aux = self.aux();
                let req =
                    BatchCoinRequest::abort(self.coin_a, batch_id, &self.alice, relay.now(), aux);
                let _ = relay.execute(&Op::Abort(req));
            }
        }
        let stored_committed = self.batch().state == BatchState::Committed;
        assert_eq!(self.committed, stored_committed, "after {step:?}");
        assert!(
            !(self.took_back && self.committed),
            "a take-back and a commit both succeeded (last step {step:?})"
        );
    }

    /// No coin is stuck: once both clocks are past the deadline, either the
    /// batch committed (and neither sender can take its coin back) or each
    /// sender gets its coin back.
    fn settle(&mut self) {
        self.run(Step::Clock {
            p: P::One,
            past: true,
        });
        self.run(Step::Clock {
            p: P::Two,
            past: true,
        });
        for (coin, owner, back) in [
            (self.coin_a, self.alice.clone(), self.alice_back.clone()),
            (self.coin_b, self.bob.clone(), self.bob_back.clone()),
        ] {
            let info = match self.one.read(&Read::Statechain(coin)) {
                Ok(ReadReply::Statechain(i)) => i,
                other => panic!("statechain: {other:?}"),
            };
            let still_in_batch = info
                .pending
                .as_ref()
                .is_some_and(|p| p.batch_id == Some(self.d.batch_id()));
            if !still_in_batch || info.status == crate::receipt::CoinStatus::Withdrawn {
                assert!(!self.committed, "a coin of a committed batch left it");
                continue;
            }
            let r = self.sender(P::Two, coin, &owner, &back, None);
            if self.committed {
                assert_eq!(
                    r.map_err(|e| e.code()).err(),
                    Some(ErrorCode::BatchCompleted),
                    "a committed batch keeps its coins"
                );
            } else {
                assert!(r.is_ok(), "the sender recovers its coin: {r:?}");
            }
        }
    }
}

#[test]
fn a_take_back_through_a_fast_process_then_an_unlock_through_a_slow_one_does_not_commit() {
    let mut r = Race::new(100, &keys());
    r.run(Step::UnlockA(P::One));
    r.run(Step::Clock {
        p: P::One,
        past: true,
    });
    r.run(Step::TakeBackA(P::One));
    assert!(
        r.took_back,
        "past the deadline the sender may take its coin back"
    );
    // The other process's clock is behind: the batch looks open to it.
    r.run(Step::UnlockB(P::Two));
    assert!(!r.committed);
    assert_eq!(
        r.batch().state,
        BatchState::Expired,
        "the expiry was recorded"
    );
    r.settle();
}

#[test]
fn a_relay_whose_clock_steps_back_keeps_deciding_with_the_latest_time() {
    let mut r = Race::new(200, &keys());
    r.run(Step::UnlockA(P::One));
    let before = r.one.now();
    r.run(Step::Clock {
        p: P::One,
        past: true,
    });
    let ahead = r.one.now();
    assert!(ahead > before);
    r.run(Step::Clock {
        p: P::One,
        past: false,
    });
    assert_eq!(r.one.now(), ahead, "now never goes backwards");
    // Still past the deadline for this process: no unlock can commit.
    r.run(Step::UnlockB(P::One));
    assert!(!r.committed);
    let c = r.one.config().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        c.server_time, ahead,
        "the time it reports is the one it decides with"
    );
}

#[test]
fn a_recorded_expiry_is_final_whatever_a_later_clock_says() {
    let mut r = Race::new(300, &keys());
    r.run(Step::UnlockA(P::Two));
    r.run(Step::Clock {
        p: P::One,
        past: true,
    });
    r.run(Step::WithdrawA(P::One));
    assert!(r.took_back, "a withdrawal past the deadline is allowed");
    assert_eq!(r.batch().state, BatchState::Expired);
    for step in [
        Step::UnlockB(P::Two),
        Step::Abort(P::Two),
        Step::UnlockA(P::Two),
    ] {
        r.run(step);
    }
    assert!(!r.committed);
    assert_eq!(
        r.batch().state,
        BatchState::Expired,
        "neither committed nor aborted"
    );
}

#[test]
fn take_backs_and_commits_never_both_succeed_in_any_order_on_any_clock() {
    use Step::*;
    // Native: many random schedules; in the browser, fewer (same code).
    let schedules = if cfg!(target_arch = "wasm32") {
        40
    } else {
        400
    };
    let mut rng = SeededEntropy::new(7);
    let mut commits = 0;
    let mut take_backs = 0;
    let keys = keys();
    for n in 0..schedules {
        let mut r = Race::new(1000 + n, &keys);
        let len = 3 + usize::from(rng.bytes::<1>()[0] % 6);
        for _ in 0..len {
            let b = rng.bytes::<2>();
            let p = if b[1] & 1 == 0 { P::One } else { P::Two };
            let step = match b[0] % 9 {
                0 | 1 => Clock {
                    p,
                    past: b[1] & 2 == 0,
                },
                2 => TakeBackA(p),
                3 => TakeBackB(p),
                4 => WithdrawA(p),
                5 | 6 => UnlockA(p),
                7 => UnlockB(p),
                _ => Abort(p),
            };
            r.run(step);
        }
        commits += usize::from(r.committed);
        take_backs += usize::from(r.took_back);
        r.settle();
    }
    // The schedules really reach both outcomes.
    assert!(
        commits > 0 && take_backs > 0,
        "{commits} commits, {take_backs} take-backs"
    );
}
