//! The storage layer against the browser's real IndexedDB (headless
//! Chromium, wasm-bindgen-test): write, reload (close and reopen), resume
//! the state machines from what was stored, and the one-tab lease.
#![cfg(target_arch = "wasm32")]
// wasm_bindgen_test functions are tests, which clippy.toml lets unwrap.
#![allow(clippy::unwrap_used)]

use wallet_core::address::Network;
use wallet_core::entropy::{Entropy, SeededEntropy};
use wallet_core::keys::{Mnemonic, WalletKeys};
use wallet_core::machine::Action;
use wallet_core::machine::swap::SwapPhase;
use wallet_core::testkit::held_coin;
use wallet_core::vault::KdfParams;
use wallet_core::wallet::{Record, Wallet};
use wasm_bindgen_test::*;
use web::errors::UiError;
use web::store::{LeaseDecision, Store, WalletMeta};

wasm_bindgen_test_configure!(run_in_browser);

const CHEAP: KdfParams = KdfParams {
    m_cost: 64,
    t_cost: 1,
    p_cost: 1,
};

fn db_name(tag: &str) -> String {
    let b: [u8; 4] = web::browser::BrowserEntropy.bytes();
    format!("lockstep-test-{tag}-{}", wallet_core::hex::encode(&b))
}

fn meta(name: &str) -> WalletMeta {
    WalletMeta {
        name: name.into(),
        created_ms: 1.0,
        manual_confirm: false,
        notify: false,
        swap: None,
    }
}

/// Two wallets with a coin each, and the joiner's swap started (its
/// record persisted, its first actions not yet performed).
fn joined_swap(seed: u64) -> (Wallet, WalletKeys, String) {
    let mut rng = SeededEntropy::new(seed);
    let ka = WalletKeys::from_mnemonic(&Mnemonic::from_entropy(rng.bytes()));
    let kb = WalletKeys::from_mnemonic(&Mnemonic::from_entropy(rng.bytes()));
    let mut a = Wallet::new("alice", Network::Demo);
    let mut b = Wallet::new("bob", Network::Demo);
    let ca = held_coin(&mut a, &ka, &mut rng, 5_000);
    let cb = held_coin(&mut b, &kb, &mut rng, 7_000);
    let batch = SeededEntropy::new(seed + 100).uuid_v4();
    let invite = a
        .create_invite(&ka, &[ca.statechain_id], 7_000, batch, 10_000, 0)
        .unwrap();
    let (_answer, rid, actions) = b
        .join_invite(&kb, &invite.encode(), &[cb.statechain_id], false, 1000, 0)
        .unwrap();
    assert!(actions.iter().any(|a| matches!(a, Action::Register { .. })));
    (b, kb, rid)
}

#[wasm_bindgen_test]
async fn write_reload_resume() {
    let name = db_name("resume");
    let store = Store::open_named(&name).await.unwrap();
    let (wallet, _keys, rid) = joined_swap(1);
    let vault = web::secrets::seal_phrase(
        &Mnemonic::from_entropy([3; 16]),
        "pw",
        CHEAP,
        &mut SeededEntropy::new(5),
    )
    .unwrap();
    store.create(&meta("bob"), &vault, &wallet).await.unwrap();
    // Same name again: refused, and the first wallet is untouched.
    assert_eq!(
        store
            .create(&meta("bob"), "x", &Wallet::new("bob", Network::Demo))
            .await,
        Err(UiError::NameTaken)
    );
    // The list reads the running swap from the stored state (no secret in
    // it): Bob joined, so it waits on him to send his answer.
    let listed = store.list().await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].name, "bob");
    let swap = listed[0]
        .swap
        .as_ref()
        .expect("the running swap in the list");
    assert_eq!(swap.rid, rid);
    assert!(swap.waits_on_user, "{swap:?}");

    // Reload: close the database, open it again, read everything back.
    store.close();
    let store = Store::open_named(&name).await.unwrap();
    let (m, v, w) = store.load("bob").await.unwrap();
    assert_eq!(m, meta("bob"));
    assert_eq!(v, vault);
    assert_eq!(w, wallet);
    assert_eq!(
        web::secrets::open_phrase(&v, "pw").unwrap(),
        Mnemonic::from_entropy([3; 16])
    );

    // Resume: the stored swap asks for the same first actions again.
    let mut w = w;
    let resumed = w.resume_all(50);
    let (r, actions) = resumed
        .iter()
        .find(|(r, _)| *r == rid)
        .expect("the swap resumes");
    assert_eq!(r, &rid);
    assert!(actions.iter().any(|a| matches!(a, Action::Register { .. })));
    assert!(
        actions
            .iter()
            .any(|a| matches!(a, Action::WatchBatch { .. }))
    );

    // A deadline that passed while the page was closed: the resumed swap
    // arms a timer already due, which the host delivers at once.
    if let Some(Record::Swap(s)) = w.records.get_mut(&rid) {
        s.deadline = Some(100);
    }
    store.save(&w).await.unwrap();
    store.close();
    let store = Store::open_named(&name).await.unwrap();
    let mut w = store.load_state("bob").await.unwrap().unwrap();
    let resumed = w.resume_all(500);
    let timers: Vec<u64> = resumed
        .iter()
        .flat_map(|(_, a)| a.iter())
        .filter_map(|a| match a {
            Action::ArmTimer { tag } => Some(tag.at),
            _ => None,
        })
        .collect();
    assert_eq!(timers, vec![101]);
    match w.records.get(&rid) {
        Some(Record::Swap(s)) => assert_eq!(s.phase, SwapPhase::Joining),
        _ => panic!("swap record lost"),
    }

    // Delete removes every part.
    store.delete("bob").await.unwrap();
    assert!(store.list().await.unwrap().is_empty());
    assert_eq!(store.load_state("bob").await.unwrap(), None);
    store.close();
}

#[wasm_bindgen_test]
async fn every_change_is_one_write_and_the_last_wins() {
    let store = Store::open_named(&db_name("writes")).await.unwrap();
    let mut w = Wallet::new("carol", Network::Demo);
    store.create(&meta("carol"), "v", &w).await.unwrap();
    // Writes issued back to back land in order: the last one is stored.
    let mut pending = Vec::new();
    for i in 0..10 {
        w.next_index = i;
        let s = store.clone();
        let text = serde_json::to_string(&w).unwrap();
        pending.push(async move { s.save_text("carol", &text).await });
    }
    for r in futures::future::join_all(pending).await {
        r.unwrap();
    }
    assert_eq!(
        store.load_state("carol").await.unwrap().unwrap().next_index,
        9
    );
    store.close();
}

#[wasm_bindgen_test]
async fn one_tab_holds_a_wallet() {
    let store = Store::open_named(&db_name("lease")).await.unwrap();
    let t = 1_000_000.0;
    assert!(matches!(
        store.lease("w", "tab-a", t, false).await.unwrap(),
        LeaseDecision::Held(_)
    ));
    // Another tab is refused while the lease is live...
    assert!(matches!(
        store.lease("w", "tab-b", t + 1_000.0, false).await.unwrap(),
        LeaseDecision::Other(l) if l.tab == "tab-a"
    ));
    // ...until it takes over; then the first tab learns it lost it.
    assert!(matches!(
        store.lease("w", "tab-b", t + 2_000.0, true).await.unwrap(),
        LeaseDecision::Held(_)
    ));
    assert!(matches!(
        store.lease("w", "tab-a", t + 3_000.0, false).await.unwrap(),
        LeaseDecision::Other(l) if l.tab == "tab-b"
    ));
    // A released lease is free at once.
    store.release("w", "tab-b").await.unwrap();
    assert!(matches!(
        store.lease("w", "tab-a", t + 4_000.0, false).await.unwrap(),
        LeaseDecision::Held(_)
    ));
    store.close();
}

#[wasm_bindgen_test]
async fn clock_from_the_browser() {
    // The relay clock follows the device clock plus the measured offset.
    let now = web::browser::now_ms();
    let c = web::clock::RelayClock::measure(2_000_000_000, now, now);
    let relay = c.now_secs(web::browser::now_ms());
    assert!((2_000_000_000..2_000_000_002).contains(&relay));
    web::browser::sleep(1_100.0).await;
    assert!(c.now_secs(web::browser::now_ms()) > relay);
}
