//! One test per rule of PROTOCOL §6.3 and per error code of §8, against a
//! real relay over HTTP with native wallet-core clients.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::Value;
use wallet_core::descriptor::Descriptor;
use wallet_core::keyshare;
use wallet_core::receipt::{CoinStatus, Receipt};
use wallet_core::types::Scalar;
use wallet_core::wire::{
    BatchCoinRequest, ConfigResponse, MessagesResponse, OwnerResponse, ReceiverResponse,
    UpdateMsgRequest, WithdrawRequest,
};

#[tokio::test]
async fn info_config_has_the_spec_fields() {
    let r = TestRelay::start().await;
    let c: ConfigResponse = r.get("/info/config").await.ok();
    assert_eq!(c.relay_pubkey, r.relay_pubkey());
    assert_eq!(
        (c.batch_timeout, c.auth_window, c.max_batch_size, c.version),
        (120, 300, 1000, 1)
    );
    assert!(c.server_time.abs_diff(r.now()) <= 1);
}

#[tokio::test]
async fn plain_transfer_end_to_end() {
    let r = TestRelay::start().await;
    let (alice, bob) = (keys(), keys());
    let coin = r.deposit(&alice, 1234).await;
    let before = r.info(&coin).await;
    assert_eq!(
        (before.seq, before.amount, before.owner_auth_pubkey),
        (0, 1234, alice.auth_pubkey())
    );
    assert!(before.pending.is_none());

    let sent = r.send(coin, &alice, &bob, None).await;
    let pending = r.info(&coin).await.pending.unwrap();
    assert_eq!(pending.new_user_auth_key, bob.auth_pubkey());
    assert!(pending.has_msg && !pending.locked && pending.batch_id.is_none());

    // The receiver's checks of §7.
    let msg = r.fetch(coin, &bob).await;
    assert_eq!(msg, sent);
    assert!(keyshare::t1_matches(
        &msg.t1,
        &alice.user_pubkey(),
        &pending.x1_pub
    ));
    assert_eq!(
        keyshare::owner_user_pubkey(&before.aggregated_pubkey, &before.server_pubkey),
        Some(alice.user_pubkey())
    );

    let done: ReceiverResponse = r.receiver(&msg, &bob).await.ok();
    assert!(done.receipt.verify(&r.relay_pubkey()));
    assert_eq!(
        keyshare::aggregate(&bob.user_pubkey(), &done.server_pubkey),
        Some(before.aggregated_pubkey)
    );

    let after = r.info(&coin).await;
    assert_eq!(
        (after.seq, after.owner_auth_pubkey, after.owner_user_pubkey),
        (1, bob.auth_pubkey(), bob.user_pubkey())
    );
    assert_eq!(after.server_pubkey, done.server_pubkey);
    assert!(after.pending.is_none());
    assert_eq!(after.chain.len(), 2);
    assert!(
        after
            .chain
            .iter()
            .all(|e| e.receipt.verify(&r.relay_pubkey()))
    );
    assert_eq!(after.chain[0].transfer_sig, None);
    assert_eq!(after.chain[1].transfer_sig, Some(msg.transfer_sig));
    assert_eq!(after.chain[1].receipt, done.receipt);

    let rc: Receipt = r.get(&format!("/transfer/receipt/{coin}/1")).await.ok();
    assert_eq!(rc, done.receipt);
    r.get(&format!("/transfer/receipt/{coin}/2"))
        .await
        .err("not_found");
    let owned: OwnerResponse = r
        .get(&format!("/info/owner/{}", bob.auth_pubkey()))
        .await
        .ok();
    assert_eq!(owned.statechain_ids, vec![coin]);
    let gone: OwnerResponse = r
        .get(&format!("/info/owner/{}", alice.auth_pubkey()))
        .await
        .ok();
    assert!(gone.statechain_ids.is_empty());
    // The message is gone once the transfer completes.
    let m: MessagesResponse = r
        .get(&format!("/transfer/get_msg_addr/{}", bob.auth_pubkey()))
        .await
        .ok();
    assert!(m.messages.is_empty());

    // And the new owner can send it on.
    let carol = keys();
    let msg2 = r.send(coin, &bob, &carol, None).await;
    r.receiver(&msg2, &carol).await.ok::<ReceiverResponse>();
    assert_eq!(r.info(&coin).await.seq, 2);
}

#[tokio::test]
async fn two_party_swap_commits() {
    let r = TestRelay::start().await;
    let s = Swap::new(&r).await;
    let (ma, mb) = s.join_both(&r).await;
    let b = r.batch(s.id()).await;
    assert_eq!(state(&b), "open");
    assert_eq!(b["descriptor_hash"], s.d.hash().to_string());
    assert_eq!(
        b["deadline"].as_u64().unwrap(),
        b["batch_time"].as_u64().unwrap() + 120
    );
    assert_eq!(b["members"].as_array().unwrap().len(), 2);
    assert!(r.info(&s.coin_a).await.pending.unwrap().locked);

    let st: Value = r.unlock(s.coin_a, s.id(), &s.a_to).await.ok();
    assert_eq!(
        (state(&st), st["joined"].as_u64(), st["locked"].as_u64()),
        ("open", Some(2), Some(1))
    );
    assert!(st.get("members").is_none());
    let st: Value = r.unlock(s.coin_b, s.id(), &s.b_to).await.ok();
    assert_eq!((state(&st), st["locked"].as_u64()), ("committed", Some(0)));

    r.receiver(&ma, &s.a_to).await.ok::<ReceiverResponse>();
    r.receiver(&mb, &s.b_to).await.ok::<ReceiverResponse>();
    assert_eq!(
        r.info(&s.coin_a).await.owner_auth_pubkey,
        s.a_to.auth_pubkey()
    );
    assert_eq!(
        r.info(&s.coin_b).await.owner_auth_pubkey,
        s.b_to.auth_pubkey()
    );
    let chain = r.info(&s.coin_a).await.chain;
    assert_eq!(chain[1].batch_id, Some(s.id()));
    assert_eq!(chain[1].receipt.batch_id, Some(s.id()));
}

#[tokio::test]
async fn missing_coin_attack_never_commits_and_the_sender_recovers() {
    let r = TestRelay::start().await;
    let s = Swap::new(&r).await;
    // Alice joins; Bob never sends his coin but unlocks hers.
    let ma = r.send(s.coin_a, &s.alice, &s.a_to, Some(&s.d)).await;
    let st: Value = r.unlock(s.coin_a, s.id(), &s.a_to).await.ok();
    assert_eq!(
        (state(&st), st["joined"].as_u64(), st["locked"].as_u64()),
        ("open", Some(1), Some(0))
    );
    r.receiver(&ma, &s.a_to).await.err("coin_locked");
    // Alice cannot take it back while the batch is open...
    r.sender(s.coin_a, &s.alice, &keys(), None)
        .await
        .err("batch_locked");
    // ...but can once the deadline passes.
    r.clock.advance(121);
    assert_eq!(state(&r.batch(s.id()).await), "expired");
    r.receiver(&ma, &s.a_to).await.err("batch_expired");
    let home = keys();
    let back = r.send(s.coin_a, &s.alice, &home, None).await;
    r.receiver(&back, &home).await.ok::<ReceiverResponse>();
    assert_eq!(
        r.info(&s.coin_a).await.owner_auth_pubkey,
        home.auth_pubkey()
    );
}

#[tokio::test]
async fn substituted_recipient_is_not_in_descriptor() {
    let r = TestRelay::start().await;
    let (a, b, c) = (keys(), keys(), keys());
    let (ca, cb, cc) = (
        r.deposit(&a, 100).await,
        r.deposit(&b, 200).await,
        r.deposit(&c, 300).await,
    );
    // A→B, B→C, C→A agreed; C tries to send its coin back to itself.
    let d = descriptor(random_id(), &[(ca, &b, 100), (cb, &c, 200), (cc, &a, 300)]);
    r.sender(ca, &a, &b, Some(&d)).await.ok::<Value>();
    r.sender(cc, &c, &c, Some(&d))
        .await
        .err("not_in_descriptor");
    // A coin that is not a line at all.
    let (x, y) = (keys(), keys());
    let cx = r.deposit(&x, 100).await;
    r.sender(cx, &x, &y, Some(&d))
        .await
        .err("not_in_descriptor");
    assert_eq!(r.batch(d.batch_id()).await["joined"], Value::Null);
    let b = r.batch(d.batch_id()).await;
    let joined = b["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["joined"] == true)
        .count();
    assert_eq!(joined, 1);
}

#[tokio::test]
async fn descriptor_mismatch() {
    let r = TestRelay::start().await;
    let s = Swap::new(&r).await;
    r.sender(s.coin_a, &s.alice, &s.a_to, Some(&s.d))
        .await
        .ok::<Value>();
    // Bob signs a different descriptor for the same batch id.
    let other = descriptor(
        s.id(),
        &[(s.coin_a, &s.bob, 5000), (s.coin_b, &s.b_to, 7000)],
    );
    r.sender(s.coin_b, &s.bob, &s.b_to, Some(&other))
        .await
        .err("descriptor_mismatch");
    assert!(r.info(&s.coin_b).await.pending.is_none());
}

#[tokio::test]
async fn amount_mismatch_leaves_no_batch_behind() {
    let r = TestRelay::start().await;
    let s = Swap::new(&r).await;
    let d = descriptor(
        random_id(),
        &[(s.coin_a, &s.a_to, 4999), (s.coin_b, &s.b_to, 7000)],
    );
    r.sender(s.coin_a, &s.alice, &s.a_to, Some(&d))
        .await
        .err("amount_mismatch");
    r.get(&format!("/transfer/batch/{}", d.batch_id()))
        .await
        .err("not_found");
    assert!(r.info(&s.coin_a).await.pending.is_none());
}

#[tokio::test]
async fn deadline_before_commit_expires_and_senders_recover() {
    let r = TestRelay::start().await;
    let s = Swap::new(&r).await;
    let (ma, _mb) = s.join_both(&r).await;
    r.unlock(s.coin_a, s.id(), &s.a_to).await.ok::<Value>();
    // Exactly at the deadline is still before it.
    let deadline = r.batch(s.id()).await["deadline"].as_u64().unwrap();
    r.clock.advance(deadline - r.now());
    assert_eq!(state(&r.batch(s.id()).await), "open");
    r.clock.advance(1);
    assert_eq!(state(&r.batch(s.id()).await), "expired");
    r.unlock(s.coin_b, s.id(), &s.b_to)
        .await
        .err("batch_expired");
    r.abort(s.coin_b, s.id(), &s.bob).await.err("batch_expired");
    r.receiver(&ma, &s.a_to).await.err("batch_expired");
    // A late joiner cannot enter an expired batch (fresh coin, same batch id).
    let home = keys();
    let back = r.send(s.coin_b, &s.bob, &home, None).await;
    r.receiver(&back, &home).await.ok::<ReceiverResponse>();
}

#[tokio::test]
async fn deadline_after_commit_receiver_still_completes() {
    let r = TestRelay::start().await;
    let s = Swap::new(&r).await;
    let (ma, mb) = s.commit(&r).await;
    r.clock.advance(10_000);
    assert_eq!(state(&r.batch(s.id()).await), "committed");
    // Messages were signed long ago; receivers sign fresh requests now.
    r.receiver(&ma, &s.a_to).await.ok::<ReceiverResponse>();
    r.receiver(&mb, &s.b_to).await.ok::<ReceiverResponse>();
}

#[tokio::test]
async fn batch_completed_forbids_take_back_and_abort() {
    let r = TestRelay::start().await;
    let s = Swap::new(&r).await;
    s.commit(&r).await;
    r.sender(s.coin_a, &s.alice, &keys(), None)
        .await
        .err("batch_completed");
    r.abort(s.coin_a, s.id(), &s.alice)
        .await
        .err("batch_completed");
    r.post(
        "/withdraw",
        &WithdrawRequest::signed(s.coin_a, &s.alice, r.now(), aux()),
    )
    .await
    .err("batch_completed");
    r.clock.advance(500);
    r.abort(s.coin_b, s.id(), &s.b_to)
        .await
        .err("batch_completed");
    // A coin joining a committed batch: not possible either.
    let (x, y) = (keys(), keys());
    let cx = r.deposit(&x, 1).await;
    let d2 = descriptor(s.id(), &[(cx, &y, 1)]);
    r.sender(cx, &x, &y, Some(&d2))
        .await
        .err("descriptor_mismatch");
}

async fn abort_by(signer_is_owner: bool) {
    let r = TestRelay::start().await;
    let s = Swap::new(&r).await;
    let (ma, _) = s.join_both(&r).await;
    r.unlock(s.coin_a, s.id(), &s.a_to).await.ok::<Value>();
    let signer = if signer_is_owner { &s.bob } else { &s.b_to };
    let st: Value = r.abort(s.coin_b, s.id(), signer).await.ok();
    assert_eq!(state(&st), "aborted");
    // Aborting again succeeds and changes nothing.
    let again: Value = r.abort(s.coin_a, s.id(), &s.alice).await.ok();
    assert_eq!(
        (state(&again), &again["version"]),
        ("aborted", &st["version"])
    );
    r.unlock(s.coin_b, s.id(), &s.b_to)
        .await
        .err("batch_aborted");
    r.receiver(&ma, &s.a_to).await.err("batch_aborted");
    // Joining an aborted batch is refused; recovering at once is allowed.
    let home = keys();
    r.sender(s.coin_a, &s.alice, &s.a_to, Some(&s.d))
        .await
        .err("batch_aborted");
    let back = r.send(s.coin_a, &s.alice, &home, None).await;
    r.receiver(&back, &home).await.ok::<ReceiverResponse>();
    // A stranger cannot abort.
    let s2 = Swap::new(&r).await;
    s2.join_both(&r).await;
    r.abort(s2.coin_a, s2.id(), &keys())
        .await
        .err("bad_signature");
    assert_eq!(state(&r.batch(s2.id()).await), "open");
}

#[tokio::test]
async fn abort_by_owner() {
    abort_by(true).await;
}

#[tokio::test]
async fn abort_by_pending_receiver() {
    abort_by(false).await;
}

#[tokio::test]
async fn unauthorised_unlock_is_bad_signature() {
    let r = TestRelay::start().await;
    let s = Swap::new(&r).await;
    s.join_both(&r).await;
    // The sender, the other party, a stranger: none may unlock.
    r.unlock(s.coin_a, s.id(), &s.alice)
        .await
        .err("bad_signature");
    r.unlock(s.coin_a, s.id(), &s.bob)
        .await
        .err("bad_signature");
    r.unlock(s.coin_a, s.id(), &keys())
        .await
        .err("bad_signature");
    assert_eq!(r.batch(s.id()).await["members"][0]["locked"], true);
    assert_eq!(r.batch(s.id()).await["members"][1]["locked"], true);
}

#[tokio::test]
async fn no_pending_transfer() {
    let r = TestRelay::start().await;
    let s = Swap::new(&r).await;
    r.unlock(s.coin_a, s.id(), &s.a_to)
        .await
        .err("no_pending_transfer");
    let m = r.message(
        &r.info(&s.coin_a).await,
        &s.alice,
        &s.a_to,
        None,
        &Scalar::from_bytes(&[9; 32]).unwrap(),
    );
    r.receiver(&m, &s.a_to).await.err("no_pending_transfer");
    r.post(
        "/transfer/update_msg",
        &UpdateMsgRequest::signed(s.coin_a, &s.alice, vec![1, 2, 3], r.now(), aux()),
    )
    .await
    .err("no_pending_transfer");
    // Pending, but not in that batch.
    r.sender(s.coin_a, &s.alice, &s.a_to, None)
        .await
        .ok::<Value>();
    r.sender(s.coin_b, &s.bob, &s.b_to, Some(&s.d))
        .await
        .ok::<Value>();
    r.unlock(s.coin_a, s.id(), &s.a_to)
        .await
        .err("no_pending_transfer");
}

#[tokio::test]
async fn not_found() {
    let r = TestRelay::start().await;
    let (a, b) = (keys(), keys());
    let ghost = random_id();
    r.get(&format!("/info/statechain/{ghost}"))
        .await
        .err("not_found");
    r.get(&format!("/transfer/batch/{ghost}"))
        .await
        .err("not_found");
    r.get(&format!("/transfer/receipt/{ghost}/0"))
        .await
        .err("not_found");
    r.sender(ghost, &a, &b, None).await.err("not_found");
    r.unlock(ghost, ghost, &b).await.err("not_found");
    r.abort(ghost, ghost, &a).await.err("not_found");
    r.post(
        "/withdraw",
        &WithdrawRequest::signed(ghost, &a, r.now(), aux()),
    )
    .await
    .err("not_found");
    // An unknown batch on a known coin, after authentication.
    let coin = r.deposit(&a, 10).await;
    r.sender(coin, &a, &b, None).await.ok::<Value>();
    r.unlock(coin, ghost, &b).await.err("not_found");
    r.abort(coin, ghost, &a).await.err("not_found");
    r.get("/no/such/path").await.err("not_found");
    r.get("/info/nothing").await.err("not_found");
}

#[tokio::test]
async fn replayed_request_and_refusals_consume_nothing() {
    let r = TestRelay::start().await;
    let (a, b) = (keys(), keys());
    let coin = r.deposit(&a, 10).await;
    let req = r.sender_req(coin, &a, &b, None);
    r.post("/transfer/sender", &req).await.ok::<Value>();
    r.post("/transfer/sender", &req)
        .await
        .err("replayed_request");

    // A receiver refused for no_message does not use up its signature.
    let info = r.info(&coin).await;
    let x1: Value = r.sender(coin, &a, &b, None).await.ok();
    let x1 = Scalar::parse(x1["x1"].as_str().unwrap()).unwrap();
    let msg = r.message(&info, &a, &b, None, &x1);
    let rreq = r.receiver_req(&msg, &b);
    r.post("/transfer/receiver", &rreq).await.err("no_message");
    r.upload(coin, &a, &b, None, &x1).await;
    r.post("/transfer/receiver", &rreq)
        .await
        .ok::<ReceiverResponse>();
    r.post("/transfer/receiver", &rreq)
        .await
        .err("replayed_request");

    // Deposits too.
    let d = wallet_core::wire::DepositRequest::signed(&a, 5, r.now(), aux());
    r.post("/deposit/init", &d).await.ok::<Value>();
    r.post("/deposit/init", &d).await.err("replayed_request");
}

#[tokio::test]
async fn replay_protection_survives_a_restart() {
    let r = TestRelay::start().await;
    let (a, b) = (keys(), keys());
    let coin = r.deposit(&a, 10).await;
    let key = r.relay_pubkey();
    let req = r.sender_req(coin, &a, &b, None);
    r.post("/transfer/sender", &req).await.ok::<Value>();
    let r = r.restart().await;
    assert_eq!(
        r.relay_pubkey(),
        key,
        "the relay key is kept in the database"
    );
    r.post("/transfer/sender", &req)
        .await
        .err("replayed_request");
    assert_eq!(
        r.info(&coin).await.pending.unwrap().new_user_auth_key,
        b.auth_pubkey()
    );
}

#[tokio::test]
async fn stale_request() {
    let r = TestRelay::start().await;
    let (a, b) = (keys(), keys());
    let coin = r.deposit(&a, 10).await;
    for ts in [r.now() - 301, r.now() + 301] {
        let req = wallet_core::wire::SenderRequest::signed(coin, &a, &address(&b), None, ts, aux());
        r.post("/transfer/sender", &req).await.err("stale_request");
    }
    let ok = wallet_core::wire::SenderRequest::signed(
        coin,
        &a,
        &address(&b),
        None,
        r.now() - 299,
        aux(),
    );
    r.post("/transfer/sender", &ok).await.ok::<Value>();
    let d = wallet_core::wire::DepositRequest::signed(&a, 5, r.now() - 1000, aux());
    r.post("/deposit/init", &d).await.err("stale_request");
}

#[tokio::test]
async fn bad_signature() {
    let r = TestRelay::start().await;
    let (a, b, mallory) = (keys(), keys(), keys());
    let coin = r.deposit(&a, 10).await;
    // Someone else's key sends the coin.
    r.sender(coin, &mallory, &mallory, None)
        .await
        .err("bad_signature");
    // A deposit signed by another key than the one it names.
    let mut d = wallet_core::wire::DepositRequest::signed(&a, 5, r.now(), aux());
    d.auth_pubkey = b.auth_pubkey();
    r.post("/deposit/init", &d).await.err("bad_signature");
    // A forged transfer_sig.
    let msg = r.send(coin, &a, &b, None).await;
    let mut forged = msg.clone();
    forged.transfer_sig = mallory.auth.sign("anything", aux());
    r.receiver(&forged, &b).await.err("bad_signature");
    // The receiver call signed by someone other than the pending receiver.
    r.receiver(&msg, &mallory).await.err("bad_signature");
    r.receiver(&msg, &b).await.ok::<ReceiverResponse>();
    // A repeat after success signed by anyone but the new owner.
    r.receiver(&msg, &a).await.err("bad_signature");
}

#[tokio::test]
async fn wrong_t2_is_key_update_invalid_and_changes_nothing() {
    let r = TestRelay::start().await;
    let (a, b) = (keys(), keys());
    let coin = r.deposit(&a, 10).await;
    let msg = r.send(coin, &a, &b, None).await;
    let before = r.info(&coin).await;
    let bad = wallet_core::wire::ReceiverRequest::signed(
        coin,
        Scalar::from_bytes(&[5; 32]).unwrap(),
        msg.transfer_sig,
        &b,
        r.now(),
        aux(),
    );
    r.post("/transfer/receiver", &bad)
        .await
        .err("key_update_invalid");
    assert_eq!(r.info(&coin).await, before);
    r.receiver(&msg, &b).await.ok::<ReceiverResponse>();
}

#[tokio::test]
async fn idempotent_repeats() {
    let r = TestRelay::start().await;
    // Sender: same new owner, same x1.
    let (a, b) = (keys(), keys());
    let coin = r.deposit(&a, 10).await;
    let x1: Value = r.sender(coin, &a, &b, None).await.ok();
    let again: Value = r.sender(coin, &a, &b, None).await.ok();
    assert_eq!(x1, again);
    // A different new owner replaces the pending transfer (and its message).
    let x1 = Scalar::parse(x1["x1"].as_str().unwrap()).unwrap();
    r.upload(coin, &a, &b, None, &x1).await;
    let c = keys();
    let other: Value = r.sender(coin, &a, &c, None).await.ok();
    assert_ne!(other["x1"], again["x1"]);
    let m: MessagesResponse = r
        .get(&format!("/transfer/get_msg_addr/{}", b.auth_pubkey()))
        .await
        .ok();
    assert!(m.messages.is_empty());

    // Batched sender repeat; unlock of an unlocked coin, before and after commit.
    let s = Swap::new(&r).await;
    let xa: Value = r.sender(s.coin_a, &s.alice, &s.a_to, Some(&s.d)).await.ok();
    let xa2: Value = r.sender(s.coin_a, &s.alice, &s.a_to, Some(&s.d)).await.ok();
    assert_eq!(xa, xa2);
    let v1: Value = r.unlock(s.coin_a, s.id(), &s.a_to).await.ok();
    let v2: Value = r.unlock(s.coin_a, s.id(), &s.a_to).await.ok();
    assert_eq!(v1["version"], v2["version"]);
    let xa = Scalar::parse(xa["x1"].as_str().unwrap()).unwrap();
    let ma = r
        .upload(s.coin_a, &s.alice, &s.a_to, Some(s.id()), &xa)
        .await;
    let mb = r.send(s.coin_b, &s.bob, &s.b_to, Some(&s.d)).await;
    r.unlock(s.coin_b, s.id(), &s.b_to).await.ok::<Value>();
    let after: Value = r.unlock(s.coin_a, s.id(), &s.a_to).await.ok();
    assert_eq!(state(&after), "committed");

    // Receiver repeat: same S2 and receipt, nothing changes.
    let first: ReceiverResponse = r.receiver(&ma, &s.a_to).await.ok();
    let info = r.info(&s.coin_a).await;
    let second: ReceiverResponse = r.receiver(&ma, &s.a_to).await.ok();
    assert_eq!(first, second);
    assert_eq!(r.info(&s.coin_a).await, info);
    r.receiver(&mb, &s.b_to).await.ok::<ReceiverResponse>();
}

#[tokio::test]
async fn no_message() {
    let r = TestRelay::start().await;
    let (a, b) = (keys(), keys());
    let coin = r.deposit(&a, 10).await;
    let info = r.info(&coin).await;
    let x1: Value = r.sender(coin, &a, &b, None).await.ok();
    let msg = r.message(
        &info,
        &a,
        &b,
        None,
        &Scalar::parse(x1["x1"].as_str().unwrap()).unwrap(),
    );
    r.receiver(&msg, &b).await.err("no_message");
}

#[tokio::test]
async fn coin_locked() {
    let r = TestRelay::start().await;
    let s = Swap::new(&r).await;
    let (ma, mb) = s.join_both(&r).await;
    r.receiver(&ma, &s.a_to).await.err("coin_locked");
    r.unlock(s.coin_a, s.id(), &s.a_to).await.ok::<Value>();
    r.receiver(&ma, &s.a_to).await.err("coin_locked");
    r.receiver(&mb, &s.b_to).await.err("coin_locked");
}

#[tokio::test]
async fn batch_locked() {
    let r = TestRelay::start().await;
    let s = Swap::new(&r).await;
    s.join_both(&r).await;
    r.sender(s.coin_a, &s.alice, &keys(), None)
        .await
        .err("batch_locked");
    let other = descriptor(random_id(), &[(s.coin_a, &s.a_to, 5000)]);
    r.sender(s.coin_a, &s.alice, &s.a_to, Some(&other))
        .await
        .err("batch_locked");
    r.post(
        "/withdraw",
        &WithdrawRequest::signed(s.coin_a, &s.alice, r.now(), aux()),
    )
    .await
    .err("batch_locked");
}

#[tokio::test]
async fn withdrawn() {
    let r = TestRelay::start().await;
    let (a, b) = (keys(), keys());
    let coin = r.deposit(&a, 10).await;
    r.sender(coin, &a, &b, None).await.ok::<Value>();
    let rc: Receipt = r
        .post(
            "/withdraw",
            &WithdrawRequest::signed(coin, &a, r.now(), aux()),
        )
        .await
        .ok();
    assert!(rc.verify(&r.relay_pubkey()));
    assert_eq!(
        (rc.seq, rc.status, rc.batch_id, rc.owner_auth_pubkey),
        (1, CoinStatus::Withdrawn, None, a.auth_pubkey())
    );
    let info = r.info(&coin).await;
    assert_eq!((info.seq, info.status), (1, CoinStatus::Withdrawn));
    assert!(info.pending.is_none());
    assert_eq!(info.chain.len(), 2);
    assert_eq!(info.chain[1].transfer_sig, None);
    assert_eq!(info.chain[1].receipt, rc);
    r.sender(coin, &a, &b, None).await.err("withdrawn");
    r.post(
        "/withdraw",
        &WithdrawRequest::signed(coin, &a, r.now(), aux()),
    )
    .await
    .err("withdrawn");
    r.post(
        "/transfer/update_msg",
        &UpdateMsgRequest::signed(coin, &a, vec![1], r.now(), aux()),
    )
    .await
    .err("withdrawn");
}

#[tokio::test]
async fn payload_too_large() {
    let r = TestRelay::with(|c| c.max_message_bytes = 1000).await;
    let (a, b) = (keys(), keys());
    let coin = r.deposit(&a, 10).await;
    r.sender(coin, &a, &b, None).await.ok::<Value>();
    let big = UpdateMsgRequest::signed(coin, &a, vec![7; 1001], r.now(), aux());
    r.post("/transfer/update_msg", &big)
        .await
        .err("payload_too_large");
    let fits = UpdateMsgRequest::signed(coin, &a, vec![7; 1000], r.now(), aux());
    r.post("/transfer/update_msg", &fits).await.ok::<Value>();
    // A body over the limit (2 * 1000 + 64 KiB) is refused before parsing.
    r.post_raw(
        "/transfer/update_msg",
        "application/json",
        vec![b' '; 70 * 1024],
    )
    .await
    .err("payload_too_large");
}

#[tokio::test]
async fn rate_limited() {
    let r = TestRelay::with(|c| c.rate_limit = 1).await;
    let mut codes = Vec::new();
    for _ in 0..5 {
        codes.push(r.get("/info/config").await.status);
    }
    assert_eq!(&codes[..2], &[200, 200]);
    assert!(codes.contains(&429));
    let resp = r.get("/info/config").await;
    resp.err("rate_limited");
}

#[tokio::test]
async fn deposit_amount_bounds() {
    let r = TestRelay::with(|c| c.max_demo_amount = 1000).await;
    let a = keys();
    for amount in [0, 1001] {
        let d = wallet_core::wire::DepositRequest::signed(&a, amount, r.now(), aux());
        r.post("/deposit/init", &d).await.err("bad_request");
    }
    r.deposit(&a, 1000).await;
    r.deposit(&a, 1).await;
}

#[tokio::test]
async fn long_poll_for_messages_and_batches() {
    let r = std::sync::Arc::new(TestRelay::start().await);
    let (a, b) = (keys(), keys());
    let coin = r.deposit(&a, 10).await;
    let path = format!("/transfer/get_msg_addr/{}?wait=10", b.auth_pubkey());
    let start = std::time::Instant::now();
    let waiter = {
        let r = r.clone();
        tokio::spawn(async move { r.get(&path).await.ok::<MessagesResponse>() })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    r.send(coin, &a, &b, None).await;
    let got = waiter.await.unwrap();
    assert_eq!(got.messages.len(), 1);
    assert!(start.elapsed() < std::time::Duration::from_secs(5));

    // With nothing to wait for, `wait` runs out.
    let start = std::time::Instant::now();
    let none: MessagesResponse = r
        .get(&format!(
            "/transfer/get_msg_addr/{}?wait=1",
            keys().auth_pubkey()
        ))
        .await
        .ok();
    assert!(none.messages.is_empty() && start.elapsed() >= std::time::Duration::from_millis(900));

    // Batch: answers once `version` exceeds `since`.
    let s = Swap::new(&r).await;
    r.sender(s.coin_a, &s.alice, &s.a_to, Some(&s.d))
        .await
        .ok::<Value>();
    let v = r.batch(s.id()).await["version"].as_u64().unwrap();
    let path = format!("/transfer/batch/{}?wait=10&since={v}", s.id());
    let waiter = {
        let r = r.clone();
        tokio::spawn(async move { r.get(&path).await.ok::<Value>() })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    r.sender(s.coin_b, &s.bob, &s.b_to, Some(&s.d))
        .await
        .ok::<Value>();
    let b = waiter.await.unwrap();
    assert!(b["version"].as_u64().unwrap() > v);
    assert_eq!(b["members"][0]["joined"], true);
    assert_eq!(b["members"][1]["joined"], true);
}

#[tokio::test]
async fn many_concurrent_receivers_one_key_update() {
    let r = std::sync::Arc::new(TestRelay::start().await);
    let (a, b) = (keys(), keys());
    let coin = r.deposit(&a, 10).await;
    let msg = r.send(coin, &a, &b, None).await;
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (r, msg, b) = (r.clone(), msg.clone(), b.clone());
        tasks.push(tokio::spawn(async move {
            r.receiver(&msg, &b).await.ok::<ReceiverResponse>()
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    assert!(
        answers.windows(2).all(|w| w[0] == w[1]),
        "every receiver sees the one key update"
    );
    let info = r.info(&coin).await;
    assert_eq!((info.seq, info.chain.len()), (1, 2));
    assert_eq!(info.server_pubkey, answers[0].server_pubkey);
}

#[tokio::test]
async fn unlock_racing_abort_has_one_final_state() {
    let r = std::sync::Arc::new(TestRelay::start().await);
    for _ in 0..5 {
        let s = Swap::new(&r).await;
        s.join_both(&r).await;
        r.unlock(s.coin_a, s.id(), &s.a_to).await.ok::<Value>();
        let unlock = {
            let r = r.clone();
            let (c, b, k) = (s.coin_b, s.id(), s.b_to.clone());
            tokio::spawn(async move { r.unlock(c, b, &k).await })
        };
        let abort = {
            let r = r.clone();
            let (c, b, k) = (s.coin_a, s.id(), s.alice.clone());
            tokio::spawn(async move { r.abort(c, b, &k).await })
        };
        let (u, a) = (unlock.await.unwrap(), abort.await.unwrap());
        let fin = state(&r.batch(s.id()).await).to_string();
        match fin.as_str() {
            "committed" => {
                assert_eq!(u.status, 200);
                a.err("batch_completed");
            }
            "aborted" => {
                assert_eq!(a.status, 200);
                u.err("batch_aborted");
            }
            other => panic!("final state {other}"),
        }
    }
}

#[tokio::test]
async fn static_dir_serves_the_wallet_with_spa_fallback() {
    let web = tempfile::tempdir().unwrap();
    std::fs::write(web.path().join("index.html"), "<html>wallet</html>").unwrap();
    std::fs::write(web.path().join("app.js"), "console.log(1)").unwrap();
    let dir = web.path().to_path_buf();
    let r = TestRelay::with(move |c| c.static_dir = Some(dir)).await;
    let get = |p: &str| r.http.get(format!("{}{p}", r.base)).send();
    let root = get("/").await.unwrap();
    assert_eq!(root.status(), 200);
    assert_eq!(root.text().await.unwrap(), "<html>wallet</html>");
    assert_eq!(
        get("/app.js").await.unwrap().text().await.unwrap(),
        "console.log(1)"
    );
    assert_eq!(
        get("/swap/123").await.unwrap().text().await.unwrap(),
        "<html>wallet</html>"
    );
    // The API keeps JSON 404s.
    r.get("/info/nope").await.err("not_found");
    r.get("/info/config").await.ok::<Value>();
}

#[tokio::test]
async fn cors_and_request_ids() {
    let r = TestRelay::start().await;
    let resp = r
        .http
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/transfer/sender", r.base),
        )
        .header("origin", "https://wallet.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    let resp = r
        .http
        .get(format!("{}/info/config", r.base))
        .header("x-request-id", "abc-1")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-request-id"], "abc-1");
    let resp = r
        .http
        .get(format!("{}/info/config", r.base))
        .send()
        .await
        .unwrap();
    assert!(resp.headers().contains_key("x-request-id"));
}

#[tokio::test]
async fn unlock_request_shape_is_the_spec_one() {
    // Sanity: the wire builders produce what the relay accepts.
    let r = TestRelay::start().await;
    let s = Swap::new(&r).await;
    s.join_both(&r).await;
    let req = BatchCoinRequest::unlock(s.coin_a, s.id(), &s.a_to, r.now(), aux());
    let v = serde_json::to_value(&req).unwrap();
    assert_eq!(v.as_object().unwrap().len(), 4);
    r.post("/transfer/unlock", &req).await.ok::<Value>();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_commit_folds_concurrent_requests_into_one_fsync() {
    let r = std::sync::Arc::new(TestRelay::start().await);
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let r = r.clone();
            tokio::spawn(async move { r.deposit(&keys(), 1).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let relay::store::AnyStore::Sqlite(store) = &r.relay.as_ref().unwrap().state.0.store else {
        panic!("sqlite expected");
    };
    let commits = store
        .stats
        .commits
        .load(std::sync::atomic::Ordering::Relaxed);
    let requests = store
        .stats
        .requests
        .load(std::sync::atomic::Ordering::Relaxed);
    assert!(requests >= 65, "{requests}");
    assert!(
        commits < requests,
        "{commits} commits for {requests} requests: no grouping"
    );
}

// ----- §6.3 short joins, and the work done before the writer -----

#[tokio::test]
async fn a_short_join_names_an_existing_batch_by_its_hash() {
    let r = TestRelay::start().await;
    let s = Swap::new(&r).await;
    // The first join must carry the lines: a short one finds no batch, and
    // the refusal leaves nothing behind.
    r.sender_short(s.coin_a, &s.alice, &s.a_to, &s.d)
        .await
        .err("not_found");
    assert!(r.info(&s.coin_a).await.pending.is_none());
    r.sender(s.coin_a, &s.alice, &s.a_to, Some(&s.d))
        .await
        .ok::<Value>();
    let x1: Value = r.sender_short(s.coin_b, &s.bob, &s.b_to, &s.d).await.ok();
    let b = r.batch(s.id()).await;
    assert!(
        b["members"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["joined"] == true)
    );
    // The idempotent repeat, short too, returns the same x1.
    let again: Value = r.sender_short(s.coin_b, &s.bob, &s.b_to, &s.d).await.ok();
    assert_eq!(x1, again);
    // And the batch commits as usual.
    r.unlock(s.coin_a, s.id(), &s.a_to).await.ok::<Value>();
    let done: Value = r.unlock(s.coin_b, s.id(), &s.b_to).await.ok();
    assert_eq!(state(&done), "committed");
}

#[tokio::test]
async fn a_short_join_is_checked_like_a_full_one() {
    let r = TestRelay::start().await;
    let s = Swap::new(&r).await;
    r.sender(s.coin_a, &s.alice, &s.a_to, Some(&s.d))
        .await
        .ok::<Value>();
    // Another hash for the same batch id.
    let other = descriptor(
        s.id(),
        &[(s.coin_a, &s.a_to, 5000), (s.coin_b, &s.b_to, 7001)],
    );
    r.sender_short(s.coin_b, &s.bob, &s.b_to, &other)
        .await
        .err("descriptor_mismatch");
    // Another new owner than the line's.
    r.sender_short(s.coin_b, &s.bob, &keys(), &s.d)
        .await
        .err("not_in_descriptor");
    // A coin that is not a line.
    let x = keys();
    let cx = r.deposit(&x, 7000).await;
    r.sender_short(cx, &x, &s.b_to, &s.d)
        .await
        .err("not_in_descriptor");
    // Past the deadline.
    r.advance(200).await;
    r.sender_short(s.coin_b, &s.bob, &s.b_to, &s.d)
        .await
        .err("batch_expired");
}

#[tokio::test]
async fn a_batch_field_with_both_or_neither_form_is_bad_request() {
    let r = TestRelay::start().await;
    let s = Swap::new(&r).await;
    let mut body =
        serde_json::to_value(r.sender_req(s.coin_a, &s.alice, &s.a_to, Some(&s.d))).unwrap();
    body["batch"]["descriptor_hash"] = serde_json::json!(s.d.hash().to_string());
    r.post("/transfer/sender", &body).await.err("bad_request");
    body["batch"] = serde_json::json!({ "batch_id": s.id().to_string() });
    r.post("/transfer/sender", &body).await.err("bad_request");
    body["batch"] = serde_json::json!({ "descriptor_hash": s.d.hash().to_string() });
    r.post("/transfer/sender", &body).await.err("bad_request");
}

#[tokio::test]
async fn descriptor_lines_are_bounded_while_parsing() {
    let r = TestRelay::with(|c| c.max_batch_size = 3).await;
    let (owner, to) = (keys(), keys());
    let coin = r.deposit(&owner, 10).await;
    let mut lines = vec![(coin, &to, 10)];
    let extra: Vec<_> = (0..3).map(|_| random_id()).collect();
    for id in &extra {
        lines.push((*id, &to, 1));
    }
    let d = Descriptor::new(
        random_id(),
        lines
            .iter()
            .map(|(c, k, a)| wallet_core::BatchTransfer {
                statechain_id: *c,
                new_user_auth_key: k.auth_pubkey(),
                amount: *a,
            })
            .collect(),
        1000,
    )
    .unwrap();
    let resp = r.sender(coin, &owner, &to, Some(&d)).await;
    resp.err("bad_request");
    assert!(
        resp.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("more than 3"),
        "{}",
        resp.body
    );
}

/// A junk-signed request (here a maximal join) is refused before it is
/// queued for the single SQLite writer: the writer never runs it.
#[tokio::test]
async fn a_junk_signed_join_never_reaches_the_writer() {
    let r = TestRelay::start().await;
    let (owner, thief, to) = (keys(), keys(), keys());
    let coin = r.deposit(&owner, 10).await;
    let mut lines: Vec<wallet_core::BatchTransfer> = (0..999)
        .map(|_| wallet_core::BatchTransfer {
            statechain_id: random_id(),
            new_user_auth_key: wallet_core::keys::AuthKey::from_scalar(
                &Scalar::from_bytes(&aux()).unwrap(),
            )
            .public(),
            amount: 1,
        })
        .collect();
    lines.push(wallet_core::BatchTransfer {
        statechain_id: coin,
        new_user_auth_key: to.auth_pubkey(),
        amount: 10,
    });
    let d = Descriptor::new(random_id(), lines, 1000).unwrap();
    let before = r.writer_requests().unwrap();
    // Signed by a key that does not own the coin.
    r.sender(coin, &thief, &to, Some(&d))
        .await
        .err("bad_signature");
    assert_eq!(
        r.writer_requests().unwrap(),
        before,
        "the writer never saw it"
    );
    // A well-signed one goes through the writer as usual.
    r.sender(coin, &owner, &to, Some(&d)).await.ok::<Value>();
    assert_eq!(r.writer_requests().unwrap(), before + 1);
}
