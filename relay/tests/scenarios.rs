//! wallet-core's end-to-end swap scenarios (`wallet_core::testkit`) run
//! against the real relay over HTTP: wallets driven by the same state
//! machines and driver the web app uses, with a test clock for deadlines
//! and crashes injected at every action.

mod common;

use cli::http::Http;
use common::TestRelay;
use wallet_core::client::RelayClient;
use wallet_core::testkit::{Crash, World, scenarios};

struct RealWorld {
    client: RelayClient<Http>,
    relay: TestRelay,
}

impl RealWorld {
    async fn start() -> RealWorld {
        RealWorld::on(TestRelay::start().await)
    }

    fn on(relay: TestRelay) -> RealWorld {
        let http = Http::with_client(relay.http.clone(), &relay.base)
            .unwrap_or_else(|e| panic!("the test relay's URL {}: {e}", relay.base));
        let client = RelayClient::new(http);
        RealWorld { client, relay }
    }
}

impl World for RealWorld {
    type T = Http;
    fn relay(&self) -> &RelayClient<Http> {
        &self.client
    }
    fn now(&self) -> u64 {
        self.relay.now()
    }
    fn advance(&self, secs: u64) {
        self.relay.clock.advance(secs);
    }
}

#[tokio::test]
async fn plain_transfer_between_two_wallets() {
    let w = RealWorld::start().await;
    scenarios::plain_transfer(&w, 1).await;
}

#[tokio::test]
async fn two_party_swap_completes_for_both() {
    let w = RealWorld::start().await;
    scenarios::happy_swap(&w, 10).await;
}

#[tokio::test]
async fn missing_coin_backs_out_after_the_deadline() {
    let w = RealWorld::start().await;
    scenarios::missing_coin(&w, 20).await;
}

#[tokio::test]
async fn abort_by_creator_returns_both_coins() {
    let w = RealWorld::start().await;
    scenarios::abort_by(&w, 30, true).await;
}

#[tokio::test]
async fn abort_by_joiner_returns_both_coins() {
    let w = RealWorld::start().await;
    scenarios::abort_by(&w, 40, false).await;
}

#[tokio::test]
async fn slow_receiver_completes_after_the_deadline() {
    let w = RealWorld::start().await;
    scenarios::slow_receiver(&w, 50).await;
}

/// PROTOCOL §6.2 rev 2, the wallet's side: B saw the batch reported
/// expired by a relay whose clock had jumped ahead, and started backing
/// out; the relay restarts with its clock back behind the deadline, A
/// unlocks and the batch commits. B's take-back is refused as
/// `batch_completed`; B follows the commit and receives A's coin.
#[tokio::test]
async fn a_wallet_backing_out_follows_a_later_commit_and_receives() {
    let w = RealWorld::start().await;
    let (mut s, jump) = scenarios::backing_out_after_a_reported_expiry(&w, 60).await;
    w.relay.clock.step_back(jump);
    let w = RealWorld::on(w.relay.restart().await);
    scenarios::commit_reaches_a_wallet_backing_out(&w, &mut s).await;
}

#[tokio::test]
async fn wallet_crash_at_every_action_of_a_swap_loses_no_coin() {
    let w = RealWorld::start().await;
    let mut seed = 1000;
    for who_is_a in [true, false] {
        for kind in [Crash::BeforeAct, Crash::AfterAct] {
            let mut points = 0;
            for at in 1.. {
                seed += 2;
                if !scenarios::crash_during_swap(&w, seed, who_is_a, at, kind).await {
                    break;
                }
                points += 1;
            }
            // Joining, verifying, unlocking, commit and receive all crashed in.
            assert!(points >= 6, "only {points} crash points for {kind:?}");
        }
    }
}

#[tokio::test]
async fn wallet_crash_at_every_action_of_a_backout_loses_no_coin() {
    let w = RealWorld::start().await;
    let mut seed = 5000;
    for kind in [Crash::BeforeAct, Crash::AfterAct] {
        let mut points = 0;
        for at in 1.. {
            seed += 2;
            if !scenarios::crash_during_backout(&w, seed, at, kind).await {
                break;
            }
            points += 1;
        }
        assert!(points >= 4, "only {points} crash points for {kind:?}");
    }
}
