//! The scenario suite of [`crate::testkit`] against the in-memory relay
//! (the same suite runs against the real relay in relay/tests/scenarios.rs),
//! and checks that the sim answers over "HTTP" as the relay does.

use super::*;
use crate::client::parse;
use crate::keys::{AddressKeys, Mnemonic, WalletKeys};
use crate::testkit::{Crash, World, scenarios};
use crate::wire::{
    ConfigResponse, DepositRequest, DepositResponse, MessagesResponse, OkResponse, SenderRequest,
    SenderResponse, StatechainInfo, UpdateMsgRequest,
};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

// ----- the scenarios -----

#[test]
fn plain_transfer_between_two_wallets() {
    block_on(scenarios::plain_transfer(&SimWorld::new(1), 1));
}

#[test]
fn two_party_swap_completes_for_both() {
    block_on(scenarios::happy_swap(&SimWorld::new(2), 10));
}

#[test]
fn missing_coin_backs_out_after_the_deadline() {
    block_on(scenarios::missing_coin(&SimWorld::new(3), 20));
}

#[test]
fn abort_by_creator_returns_both_coins() {
    block_on(scenarios::abort_by(&SimWorld::new(4), 30, true));
}

#[test]
fn abort_by_joiner_returns_both_coins() {
    block_on(scenarios::abort_by(&SimWorld::new(5), 40, false));
}

#[test]
fn slow_receiver_completes_after_the_deadline() {
    block_on(scenarios::slow_receiver(&SimWorld::new(6), 50));
}

/// Runs the swap with party A (`who_is_a`) or B crashing at its 1st, 2nd,
/// … action until the crash point is past its last action; returns the
/// number of crash points. One relay for the whole loop, as over HTTP.
fn crash_everywhere_in_a_swap(seed: u64, who_is_a: bool, kind: Crash) -> usize {
    let w = SimWorld::new(seed);
    let mut points = 0;
    for at in 1.. {
        let seed = seed + 2 * at as u64;
        if !block_on(scenarios::crash_during_swap(&w, seed, who_is_a, at, kind)) {
            break;
        }
        points += 1;
    }
    points
}

// Joining, verifying, unlocking, commit and receive all crashed in: at
// least 6 crash points for each party and kind (as against the relay).

#[test]
fn creator_crash_before_acting_at_every_action_of_a_swap_loses_no_coin() {
    let points = crash_everywhere_in_a_swap(1000, true, Crash::BeforeAct);
    assert!(points >= 6, "only {points} crash points");
}

#[test]
fn creator_crash_after_acting_at_every_action_of_a_swap_loses_no_coin() {
    let points = crash_everywhere_in_a_swap(2000, true, Crash::AfterAct);
    assert!(points >= 6, "only {points} crash points");
}

#[test]
fn joiner_crash_before_acting_at_every_action_of_a_swap_loses_no_coin() {
    let points = crash_everywhere_in_a_swap(3000, false, Crash::BeforeAct);
    assert!(points >= 6, "only {points} crash points");
}

#[test]
fn joiner_crash_after_acting_at_every_action_of_a_swap_loses_no_coin() {
    let points = crash_everywhere_in_a_swap(4000, false, Crash::AfterAct);
    assert!(points >= 6, "only {points} crash points");
}

fn crash_everywhere_in_a_backout(seed: u64, kind: Crash) -> usize {
    let w = SimWorld::new(seed);
    let mut points = 0;
    for at in 1.. {
        let seed = seed + 2 * at as u64;
        if !block_on(scenarios::crash_during_backout(&w, seed, at, kind)) {
            break;
        }
        points += 1;
    }
    points
}

#[test]
fn crash_before_acting_at_every_action_of_a_backout_loses_no_coin() {
    let points = crash_everywhere_in_a_backout(5000, Crash::BeforeAct);
    assert!(points >= 4, "only {points} crash points");
}

#[test]
fn crash_after_acting_at_every_action_of_a_backout_loses_no_coin() {
    let points = crash_everywhere_in_a_backout(6000, Crash::AfterAct);
    assert!(points >= 4, "only {points} crash points");
}

// ----- the sim answers as the relay does -----

fn post(path: &str, body: &str) -> HttpRequest {
    HttpRequest {
        method: Method::Post,
        path: path.into(),
        body: Some(body.into()),
    }
}

fn get(path: &str) -> HttpRequest {
    HttpRequest {
        method: Method::Get,
        path: path.into(),
        body: None,
    }
}

/// The status and the §8 error code of a refusal.
fn refusal(r: &HttpResponse) -> (u16, ErrorCode) {
    let body: ErrorBody = wire::decode(&r.body)
        .unwrap_or_else(|e| panic!("HTTP {} without a JSON error body: {e}", r.status));
    (r.status, body.error.code)
}

fn keys(seed: u64, index: u32) -> AddressKeys {
    let mnemonic = Mnemonic::from_entropy(SeededEntropy::new(seed).bytes());
    WalletKeys::from_mnemonic(&mnemonic)
        .address(index)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn deposit(sim: &SimRelay, owner: &AddressKeys, amount: u64, aux: u8) -> DepositResponse {
    let req = DepositRequest::signed(owner, amount, sim.now(), [aux; 32]);
    parse(&sim.handle(&post("/deposit/init", &wire::encode(&req))))
        .unwrap_or_else(|e| panic!("deposit: {e}"))
}

fn statechain(sim: &SimRelay, id: &Id) -> StatechainInfo {
    parse(&sim.handle(&get(&format!("/info/statechain/{id}"))))
        .unwrap_or_else(|e| panic!("info: {e}"))
}

#[test]
fn malformed_bodies_are_400_bad_request() {
    let sim = SimRelay::new(7);
    for body in ["", "{", "[]", "{\"statechain_id\":1}", "null"] {
        for e in Endpoint::ALL {
            let r = sim.handle(&post(e.path(), body));
            assert_eq!(refusal(&r), (400, ErrorCode::BadRequest), "{body} to {e:?}");
        }
    }
    // An unknown field is refused, like every other syntax error.
    let owner = keys(1, 0);
    let mut req = serde_json::to_value(DepositRequest::signed(&owner, 10, sim.now(), [1; 32]))
        .unwrap_or_else(|e| panic!("{e}"));
    req["extra"] = serde_json::json!(1);
    let r = sim.handle(&post("/deposit/init", &req.to_string()));
    assert_eq!(refusal(&r), (400, ErrorCode::BadRequest));
    // Bad path parameters and query parameters too.
    for path in [
        "/info/statechain/not-a-uuid",
        "/info/owner/zz",
        "/transfer/receipt/67e55044-10b1-426f-9247-bb680e5fe0c8/-1",
        "/transfer/batch/67e55044-10b1-426f-9247-bb680e5fe0c8?wait=soon",
        "/transfer/batch/67e55044-10b1-426f-9247-bb680e5fe0c8?since=-3",
    ] {
        assert_eq!(
            refusal(&sim.handle(&get(path))),
            (400, ErrorCode::BadRequest),
            "{path}"
        );
    }
}

#[test]
fn unknown_paths_are_404_and_wrong_methods_405() {
    let sim = SimRelay::new(8);
    for path in [
        "/",
        "/nope",
        "/info",
        "/info/config/",
        "/info/statechain/",
        "/transfer/batch//",
        "/deposit/init/x",
    ] {
        assert_eq!(
            refusal(&sim.handle(&get(path))),
            (404, ErrorCode::NotFound),
            "{path}"
        );
    }
    assert_eq!(
        refusal(&sim.handle(&post("/nope", "{}"))),
        (404, ErrorCode::NotFound)
    );
    // A known path with the other method: 405 before anything is parsed.
    assert_eq!(
        refusal(&sim.handle(&get("/transfer/sender"))),
        (405, ErrorCode::BadRequest)
    );
    assert_eq!(
        refusal(&sim.handle(&post("/info/statechain/not-a-uuid", "{}"))),
        (405, ErrorCode::BadRequest)
    );
    // A well-formed unknown id is 404, not 400 (PROTOCOL-NOTES reading 1).
    let ghost = format!("/info/statechain/{}", SeededEntropy::new(1).uuid_v4());
    assert_eq!(
        refusal(&sim.handle(&get(&ghost))),
        (404, ErrorCode::NotFound)
    );
}

#[test]
fn a_replayed_request_is_409_replayed_request() {
    let sim = SimRelay::new(9);
    let owner = keys(2, 0);
    let req = post(
        "/deposit/init",
        &wire::encode(&DepositRequest::signed(&owner, 500, sim.now(), [2; 32])),
    );
    assert_eq!(sim.handle(&req).status, 200);
    assert_eq!(
        refusal(&sim.handle(&req)),
        (409, ErrorCode::ReplayedRequest)
    );
    // Stale once the window has passed, whatever the memory says.
    sim.advance(sim.limits().auth_window + 1);
    assert_eq!(refusal(&sim.handle(&req)), (401, ErrorCode::StaleRequest));
}

#[test]
fn a_refused_request_changes_nothing_and_consumes_no_signature() {
    let sim = SimRelay::new(10);
    let owner = keys(3, 0);
    let to = keys(4, 0);
    let coin = deposit(&sim, &owner, 900, 3).statechain_id;
    let before = statechain(&sim, &coin);
    // A message with no pending transfer: authenticated, its signature
    // remembered inside the transaction, then refused by the rule.
    let msg = UpdateMsgRequest::signed(coin, &owner, vec![7; 40], sim.now(), [4; 32]);
    let msg = post("/transfer/update_msg", &wire::encode(&msg));
    assert_eq!(
        refusal(&sim.handle(&msg)),
        (409, ErrorCode::NoPendingTransfer)
    );
    assert_eq!(statechain(&sim, &coin), before, "nothing changed");
    // Once a transfer is pending, the very same signed request is accepted:
    // the refusal did not consume its signature.
    let address = crate::address::Address {
        network: crate::address::Network::Demo,
        user_pubkey: to.user_pubkey(),
        auth_pubkey: to.auth_pubkey(),
    };
    let sender = SenderRequest::signed(coin, &owner, &address, None, sim.now(), [5; 32]);
    let _: SenderResponse = parse(&sim.handle(&post("/transfer/sender", &wire::encode(&sender))))
        .unwrap_or_else(|e| panic!("sender: {e}"));
    let _: OkResponse = parse(&sim.handle(&msg)).unwrap_or_else(|e| panic!("update_msg: {e}"));
    let inbox: MessagesResponse = parse(&sim.handle(&get(&format!(
        "/transfer/get_msg_addr/{}?wait=30",
        to.auth_pubkey()
    ))))
    .unwrap_or_else(|e| panic!("messages: {e}"));
    assert_eq!(inbox.messages.len(), 1, "answered at once, without waiting");
    assert_eq!(inbox.messages[0].enc_msg.0, vec![7; 40]);
}

#[test]
fn oversized_bodies_and_messages_are_413() {
    let limits = Limits {
        max_message_bytes: 32,
        ..Limits::default()
    };
    let sim = SimRelay::with_limits(11, limits);
    let owner = keys(5, 0);
    let coin = deposit(&sim, &owner, 100, 6).statechain_id;
    let big = UpdateMsgRequest::signed(coin, &owner, vec![1; 33], sim.now(), [7; 32]);
    let r = sim.handle(&post("/transfer/update_msg", &wire::encode(&big)));
    assert_eq!(refusal(&r), (413, ErrorCode::PayloadTooLarge));
    let huge = " ".repeat(decode::body_limit(&limits) + 1);
    let r = sim.handle(&post("/transfer/update_msg", &huge));
    assert_eq!(refusal(&r), (413, ErrorCode::PayloadTooLarge));
}

#[test]
fn config_names_the_relay_key_its_clock_and_limits() {
    let sim = SimRelay::new(12);
    sim.advance(42);
    let c: ConfigResponse =
        parse(&sim.handle(&get("/info/config"))).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.relay_pubkey, sim.relay_pubkey());
    assert_eq!(c.server_time, SimClock::START + 42);
    assert_eq!(c.auth_window, Limits::default().auth_window);
    assert_eq!(c.version, serve::VERSION);
}

#[test]
fn the_same_seed_gives_the_same_relay() {
    let (a, b, c) = (SimRelay::new(13), SimRelay::new(13), SimRelay::new(14));
    assert_eq!(a.relay_pubkey(), b.relay_pubkey());
    assert_ne!(a.relay_pubkey(), c.relay_pubkey());
    let owner = keys(6, 0);
    assert_eq!(
        deposit(&a, &owner, 10, 8).statechain_id,
        deposit(&b, &owner, 10, 8).statechain_id
    );
}

#[test]
fn the_world_moves_the_relay_clock() {
    let w = SimWorld::new(15);
    let t = w.now();
    w.advance(10);
    assert_eq!(w.sim.now(), t + 10);
    let c = block_on(w.relay().config()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.server_time, t + 10);
}

#[test]
fn pruning_forgets_only_expired_signatures() {
    let sim = SimRelay::new(16);
    let owner = keys(7, 0);
    deposit(&sim, &owner, 10, 9);
    assert_eq!(sim.prune(), 0);
    sim.advance(sim.limits().auth_window + 2);
    assert_eq!(sim.prune(), 1);
}

/// `block_on` panics exactly when the first poll pends (`now_or_never` is
/// `None`); a test cannot watch a panic in the browser, where it aborts.
#[test]
fn only_a_future_ready_at_once_completes() {
    assert_eq!(now_or_never(std::future::ready(3)), Some(3));
    assert_eq!(block_on(async { 4 }), 4);
    assert_eq!(now_or_never(std::future::pending::<()>()), None);
}

// ----- §8: messages page; finished ones are deleted -----

/// `count` coins of `amount` sent to `to`, each with a message of `size`
/// bytes (junk: nobody can open it; the relay does not look).
fn flood(sim: &SimRelay, to: &AddressKeys, count: usize, size: usize, seed: u64) -> Vec<Id> {
    let address = crate::address::Address {
        network: crate::address::Network::Demo,
        user_pubkey: to.user_pubkey(),
        auth_pubkey: to.auth_pubkey(),
    };
    let owner = keys(seed, 0);
    (0..count)
        .map(|i| {
            let aux = |k: u8| {
                let mut a = [k; 32];
                a[..8].copy_from_slice(&(i as u64).to_be_bytes());
                a
            };
            let coin = {
                let req = DepositRequest::signed(&owner, 1, sim.now(), aux(1));
                let r: DepositResponse =
                    parse(&sim.handle(&post("/deposit/init", &wire::encode(&req))))
                        .unwrap_or_else(|e| panic!("deposit: {e}"));
                r.statechain_id
            };
            let req = SenderRequest::signed(coin, &owner, &address, None, sim.now(), aux(2));
            let _: SenderResponse =
                parse(&sim.handle(&post("/transfer/sender", &wire::encode(&req))))
                    .unwrap_or_else(|e| panic!("sender: {e}"));
            let req =
                UpdateMsgRequest::signed(coin, &owner, vec![i as u8; size], sim.now(), aux(3));
            let _: OkResponse =
                parse(&sim.handle(&post("/transfer/update_msg", &wire::encode(&req))))
                    .unwrap_or_else(|e| panic!("update_msg: {e}"));
            coin
        })
        .collect()
}

fn page(sim: &SimRelay, to: &AddressKeys, after: Option<u64>) -> MessagesResponse {
    let query = after.map(|a| format!("?after={a}")).unwrap_or_default();
    parse(&sim.handle(&get(&format!(
        "/transfer/get_msg_addr/{}{query}",
        to.auth_pubkey()
    ))))
    .unwrap_or_else(|e| panic!("messages: {e}"))
}

#[test]
fn messages_come_in_pages_of_at_most_100_in_upload_order() {
    let sim = SimRelay::new(20);
    let to = keys(21, 0);
    let coins = flood(&sim, &to, 230, 40, 22);
    let mut seen = Vec::new();
    let mut after = None;
    let mut pages = 0;
    loop {
        let p = page(&sim, &to, after);
        pages += 1;
        assert!(p.messages.len() <= wire::MESSAGES_PER_PAGE);
        seen.extend(p.messages.iter().map(|m| (m.cursor, m.statechain_id)));
        match p.next {
            Some(n) => {
                assert_eq!(Some(n), p.messages.last().map(|m| m.cursor));
                after = Some(n);
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert!(
        seen.windows(2).all(|w| w[0].0 < w[1].0),
        "strictly increasing cursors"
    );
    let ids: Vec<Id> = seen.iter().map(|(_, id)| *id).collect();
    assert_eq!(ids, coins, "upload order, each once");
    // The client pages through everything, and a bound on pages holds.
    let all = block_on(sim.client().all_messages(&to.auth_pubkey(), Some(30), 1000))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(all.len(), 230);
    let two = block_on(sim.client().all_messages(&to.auth_pubkey(), None, 2))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(two.len(), 200);
}

#[test]
fn a_page_holds_at_most_4_mib_of_messages() {
    let sim = SimRelay::new(23);
    let to = keys(24, 0);
    let size = sim.limits().max_message_bytes;
    assert_eq!(size, 65_536, "the revision 2 default");
    flood(&sim, &to, 70, size, 25);
    let first = page(&sim, &to, None);
    let bytes: usize = first.messages.iter().map(|m| m.enc_msg.0.len()).sum();
    assert!(bytes <= wire::MESSAGE_PAGE_BYTES, "{bytes} bytes");
    assert_eq!(first.messages.len(), wire::MESSAGE_PAGE_BYTES / size);
    let rest = page(&sim, &to, first.next);
    assert_eq!(first.messages.len() + rest.messages.len(), 70);
    assert_eq!(rest.next, None);
}

#[test]
fn messages_of_finished_or_replaced_transfers_are_deleted() {
    let sim = SimRelay::new(26);
    let to = keys(27, 0);
    let other = keys(28, 0);
    let coins = flood(&sim, &to, 3, 40, 29);
    let owner = keys(29, 0);
    // Replaced: the sender registers the coin anew (to someone else).
    let address = crate::address::Address {
        network: crate::address::Network::Demo,
        user_pubkey: other.user_pubkey(),
        auth_pubkey: other.auth_pubkey(),
    };
    let req = SenderRequest::signed(coins[0], &owner, &address, None, sim.now(), [9; 32]);
    let _: SenderResponse = parse(&sim.handle(&post("/transfer/sender", &wire::encode(&req))))
        .unwrap_or_else(|e| panic!("sender: {e}"));
    // Finished: withdrawn (the transfer is over; nothing can receive it).
    let req = crate::wire::WithdrawRequest::signed(coins[1], &owner, sim.now(), [10; 32]);
    assert_eq!(
        sim.handle(&post("/withdraw", &wire::encode(&req))).status,
        200
    );
    let left = page(&sim, &to, None);
    assert_eq!(
        left.messages
            .iter()
            .map(|m| m.statechain_id)
            .collect::<Vec<_>>(),
        vec![coins[2]]
    );
    // A later message gets a later cursor than any given before.
    let more = flood(&sim, &to, 1, 40, 30);
    let after = page(&sim, &to, Some(left.messages[0].cursor));
    assert_eq!(after.messages.len(), 1);
    assert_eq!(after.messages[0].statechain_id, more[0]);
}

/// §7.2 (rev 2) on the driver's path every host uses: the sender registers
/// the transfer to this wallet's auth key `A2` but to another user key, and
/// uploads a message naming this wallet's `O2`. The check fails on
/// `PendingToMe`, and a receive started from it does nothing.
#[test]
fn a_transfer_pending_to_my_auth_key_with_another_user_key_is_rejected() {
    use crate::driver::Executor;
    use crate::machine::receive::{Receive, ReceivePhase};
    use crate::verify::CheckId;
    let sim = SimRelay::new(31);
    let owner = keys(32, 0);
    let me = keys(33, 0);
    let stranger = keys(34, 0);
    let coin = deposit(&sim, &owner, 800, 11).statechain_id;
    // Registered to (stranger's O, my A2).
    let twisted = crate::address::Address {
        network: crate::address::Network::Demo,
        user_pubkey: stranger.user_pubkey(),
        auth_pubkey: me.auth_pubkey(),
    };
    let sender = SenderRequest::signed(coin, &owner, &twisted, None, sim.now(), [12; 32]);
    let r: SenderResponse = parse(&sim.handle(&post("/transfer/sender", &wire::encode(&sender))))
        .unwrap_or_else(|e| panic!("sender: {e}"));
    // The message claims to be for my O2, and is sealed to it.
    let info = statechain(&sim, &coin);
    let seq = info.seq + 1;
    let transfer_sig = owner.auth.sign(
        &crate::signing::transfer(&coin, seq, &me.user_pubkey(), &me.auth_pubkey(), None),
        [13; 32],
    );
    let msg = crate::message::TransferMessage {
        version: 1,
        statechain_id: coin,
        amount: 800,
        aggregated_pubkey: info.aggregated_pubkey,
        sender_user_pubkey: owner.user_pubkey(),
        recipient_user_pubkey: me.user_pubkey(),
        recipient_auth_pubkey: me.auth_pubkey(),
        batch_id: None,
        seq,
        t1: crate::keyshare::t1(&owner.user, &r.x1).unwrap_or_else(|e| panic!("{e}")),
        transfer_sig,
    };
    let enc = msg.seal(
        &me.user_pubkey(),
        &Scalar::from_bytes(&[14; 32]).unwrap_or_else(|e| panic!("{e}")),
        [15; 12],
    );
    let up = UpdateMsgRequest::signed(coin, &owner, enc, sim.now(), [16; 32]);
    let _: OkResponse = parse(&sim.handle(&post("/transfer/update_msg", &wire::encode(&up))))
        .unwrap_or_else(|e| panic!("update_msg: {e}"));
    // My wallet (keys(33) at index 0) looks for incoming transfers.
    let wallet_keys =
        WalletKeys::from_mnemonic(&Mnemonic::from_entropy(SeededEntropy::new(33).bytes()));
    let wallet = crate::wallet::Wallet::new("me", crate::address::Network::Demo);
    let client = sim.client();
    let mut exec = Executor {
        relay: &client,
        keys: &wallet_keys,
        rng: SeededEntropy::new(35),
        relay_pubkey: sim.relay_pubkey(),
        wait: None,
    };
    let found =
        block_on(exec.check_incoming(0, sim.now(), &wallet, &[])).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found.len(), 1);
    let (msg, report) = found.into_iter().next().unwrap_or_else(|| panic!("none"));
    let failed: Vec<CheckId> = report.failures().iter().map(|c| c.id).collect();
    assert_eq!(failed, vec![CheckId::PendingToMe]);
    let rec = Receive::new(msg, report, 0, sim.now());
    assert!(matches!(rec.phase, ReceivePhase::Rejected { .. }));
    assert!(rec.outstanding().is_empty(), "nothing is sent to the relay");
}
