//! The bad-input catalogue: every malformed request gets a 4xx JSON error
//! body with the spec's code, never a 5xx, and changes nothing.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::{Value, json};
use wallet_core::wire::{BatchCoinRequest, ReceiverRequest, UpdateMsgRequest, WithdrawRequest};

const N: &str = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
const OFF_CURVE_X: &str = "eefdea4cdb677750a420fee807eacf21eb9898ae79b9768766e4faa04a2d4a34";

/// Everything the relay would show about the state we set up.
async fn snapshot(
    r: &TestRelay,
    coin: &wallet_core::Id,
    batch: &wallet_core::Id,
    owner: &str,
) -> Vec<Value> {
    vec![
        r.get(&format!("/info/statechain/{coin}")).await.body,
        without(
            &r.get(&format!("/transfer/batch/{batch}")).await.body,
            "server_time",
        ),
        r.get(&format!("/info/owner/{owner}")).await.body,
    ]
}

fn set(v: &Value, key: &str, new: Value) -> Value {
    let mut v = v.clone();
    v[key] = new;
    v
}

fn without(v: &Value, key: &str) -> Value {
    let mut v = v.clone();
    v.as_object_mut().unwrap().remove(key);
    v
}

#[tokio::test]
async fn bad_input_catalogue() {
    let r = TestRelay::with(|c| c.max_batch_size = 3).await;
    let (a, b) = (keys(), keys());
    let coin = r.deposit(&a, 100).await;
    let other = r.deposit(&b, 100).await;
    let d = descriptor(random_id(), &[(coin, &b, 100), (other, &a, 100)]);
    r.sender(coin, &a, &b, Some(&d)).await.ok::<Value>();
    let before = snapshot(&r, &coin, &d.batch_id(), &a.auth_pubkey().to_string()).await;

    // Valid bodies to corrupt, one per POST endpoint.
    let deposit = serde_json::to_value(wallet_core::wire::DepositRequest::signed(
        &a,
        5,
        r.now(),
        aux(),
    ))
    .unwrap();
    let sender = serde_json::to_value(r.sender_req(other, &b, &a, Some(&d))).unwrap();
    let update = serde_json::to_value(UpdateMsgRequest::signed(
        coin,
        &a,
        vec![1, 2, 3],
        r.now(),
        aux(),
    ))
    .unwrap();
    let unlock = serde_json::to_value(BatchCoinRequest::unlock(
        coin,
        d.batch_id(),
        &b,
        r.now(),
        aux(),
    ))
    .unwrap();
    let abort = serde_json::to_value(BatchCoinRequest::abort(
        coin,
        d.batch_id(),
        &a,
        r.now(),
        aux(),
    ))
    .unwrap();
    let sig = r.sender_req(coin, &a, &b, None).auth_sig;
    let receiver = serde_json::to_value(ReceiverRequest::signed(
        coin,
        wallet_core::Scalar::from_bytes(&[1; 32]).unwrap(),
        sig,
        &b,
        r.now(),
        aux(),
    ))
    .unwrap();
    let withdraw = serde_json::to_value(WithdrawRequest::signed(coin, &a, r.now(), aux())).unwrap();

    let endpoints: Vec<(&str, &Value)> = vec![
        ("/deposit/init", &deposit),
        ("/transfer/sender", &sender),
        ("/transfer/update_msg", &update),
        ("/transfer/unlock", &unlock),
        ("/transfer/abort", &abort),
        ("/transfer/receiver", &receiver),
        ("/withdraw", &withdraw),
    ];

    let mut cases: Vec<(&str, String, Vec<u8>, &str)> = Vec::new();
    for (path, valid) in &endpoints {
        let text = |v: Value| serde_json::to_vec(&v).unwrap();
        let j = "application/json";
        for raw in [
            "",
            "not json",
            "{",
            "[]",
            "null",
            "1",
            "\"x\"",
            "{}",
            "{\"a\":1}",
        ] {
            cases.push((path, j.into(), raw.as_bytes().to_vec(), "bad_request"));
        }
        let mut truncated = text((*valid).clone());
        truncated.truncate(truncated.len() / 2);
        cases.push((path, j.into(), truncated, "bad_request"));
        cases.push((
            path,
            "text/plain".into(),
            text((*valid).clone()),
            "bad_request",
        ));
        cases.push((
            path,
            "application/x-www-form-urlencoded".into(),
            b"a=b".to_vec(),
            "bad_request",
        ));
        cases.push((
            path,
            j.into(),
            text(set(valid, "surprise", json!(1))),
            "bad_request",
        ));
        cases.push((
            path,
            j.into(),
            text(without(valid, "auth_sig")),
            "bad_request",
        ));
        cases.push((path, j.into(), text(without(valid, "ts")), "bad_request"));
        cases.push((
            path,
            j.into(),
            text(set(valid, "ts", json!("123"))),
            "bad_request",
        ));
        cases.push((
            path,
            j.into(),
            text(set(valid, "ts", json!(-1))),
            "bad_request",
        ));
        cases.push((
            path,
            j.into(),
            text(set(valid, "ts", json!(1.5))),
            "bad_request",
        ));
        cases.push((
            path,
            j.into(),
            text(set(valid, "ts", json!(1e30))),
            "bad_request",
        ));
        let s = valid["auth_sig"].as_str().unwrap().to_string();
        cases.push((
            path,
            j.into(),
            text(set(valid, "auth_sig", json!(s.to_uppercase()))),
            "bad_request",
        ));
        cases.push((
            path,
            j.into(),
            text(set(valid, "auth_sig", json!(&s[1..]))),
            "bad_request",
        ));
        cases.push((
            path,
            j.into(),
            text(set(valid, "auth_sig", json!(format!("zz{}", &s[2..])))),
            "bad_request",
        ));
        cases.push((
            path,
            j.into(),
            text(set(valid, "auth_sig", json!(format!("{s}00")))),
            "bad_request",
        ));
        cases.push((
            path,
            j.into(),
            text(set(valid, "auth_sig", json!(null))),
            "bad_request",
        ));
        if valid.get("statechain_id").is_some() {
            let id = valid["statechain_id"].as_str().unwrap().to_string();
            for bad in [
                id.to_uppercase(),
                id.replace('-', ""),
                format!("{{{id}}}"),
                format!("urn:uuid:{id}"),
                "x".into(),
            ] {
                cases.push((
                    path,
                    j.into(),
                    text(set(valid, "statechain_id", json!(bad))),
                    "bad_request",
                ));
            }
            cases.push((
                path,
                j.into(),
                text(set(valid, "statechain_id", json!(7))),
                "bad_request",
            ));
        }
    }
    let j = "application/json";
    let text = |v: Value| serde_json::to_vec(&v).unwrap();
    // Points, x-only keys and amounts.
    let uncompressed = format!("04{}", &deposit["user_pubkey"].as_str().unwrap()[2..]);
    cases.push((
        "/deposit/init",
        j.into(),
        text(set(&deposit, "user_pubkey", json!(uncompressed))),
        "bad_request",
    ));
    cases.push((
        "/deposit/init",
        j.into(),
        text(set(
            &deposit,
            "user_pubkey",
            json!(format!("02{OFF_CURVE_X}")),
        )),
        "bad_request",
    ));
    cases.push((
        "/deposit/init",
        j.into(),
        text(set(&deposit, "auth_pubkey", json!(OFF_CURVE_X))),
        "bad_request",
    ));
    cases.push((
        "/deposit/init",
        j.into(),
        text(set(&deposit, "amount", json!(-5))),
        "bad_request",
    ));
    cases.push((
        "/deposit/init",
        j.into(),
        text(set(&deposit, "amount", json!(5.0))),
        "bad_request",
    ));
    cases.push((
        "/deposit/init",
        j.into(),
        text(set(&deposit, "amount", json!("5"))),
        "bad_request",
    ));
    cases.push((
        "/deposit/init",
        j.into(),
        text(set(&deposit, "amount", json!(0))),
        "bad_request",
    ));
    cases.push((
        "/transfer/sender",
        j.into(),
        text(set(
            &sender,
            "new_user_pubkey",
            json!(format!("03{OFF_CURVE_X}")),
        )),
        "bad_request",
    ));
    cases.push((
        "/transfer/sender",
        j.into(),
        text(set(&sender, "new_user_auth_key", json!("00"))),
        "bad_request",
    ));
    // Scalars.
    for t2 in [
        "00".repeat(32),
        N.to_string(),
        "ab".into(),
        N.to_uppercase(),
    ] {
        cases.push((
            "/transfer/receiver",
            j.into(),
            text(set(&receiver, "t2", json!(t2))),
            "bad_request",
        ));
    }
    // Hex message.
    for m in ["abc", "zz", "AB"] {
        cases.push((
            "/transfer/update_msg",
            j.into(),
            text(set(&update, "enc_msg", json!(m))),
            "bad_request",
        ));
    }
    // Descriptors: empty, duplicated, oversized, malformed lines.
    let mut batch = sender["batch"].clone();
    batch["transfers"] = json!([]);
    cases.push((
        "/transfer/sender",
        j.into(),
        text(set(&sender, "batch", batch.clone())),
        "bad_request",
    ));
    let line = sender["batch"]["transfers"][0].clone();
    batch["transfers"] = json!([line, line]);
    cases.push((
        "/transfer/sender",
        j.into(),
        text(set(&sender, "batch", batch.clone())),
        "bad_request",
    ));
    let many: Vec<Value> = (0..4).map(|_| json!({"statechain_id": random_id().to_string(), "new_user_auth_key": a.auth_pubkey().to_string(), "amount": 1})).collect();
    batch["transfers"] = json!(many);
    cases.push((
        "/transfer/sender",
        j.into(),
        text(set(&sender, "batch", batch.clone())),
        "bad_request",
    ));
    batch["transfers"] = json!([{"statechain_id": coin.to_string(), "new_user_auth_key": a.auth_pubkey().to_string(), "amount": 1, "x": 2}]);
    cases.push((
        "/transfer/sender",
        j.into(),
        text(set(&sender, "batch", batch.clone())),
        "bad_request",
    ));
    cases.push((
        "/transfer/sender",
        j.into(),
        text(set(&sender, "batch", json!("no"))),
        "bad_request",
    ));
    cases.push((
        "/transfer/sender",
        j.into(),
        text(set(
            &sender,
            "batch",
            json!({"batch_id": "x", "transfers": []}),
        )),
        "bad_request",
    ));
    // Oversized bodies.
    let limit = r.config.body_limit();
    cases.push((
        "/transfer/update_msg",
        j.into(),
        vec![b'{'; limit + 1],
        "payload_too_large",
    ));
    cases.push((
        "/deposit/init",
        j.into(),
        vec![b' '; limit * 3],
        "payload_too_large",
    ));

    for (path, ct, body, code) in &cases {
        let resp = r.post_raw(path, ct, body.clone()).await;
        assert!(
            resp.status >= 400 && resp.status < 500 && resp.body["error"]["code"] == *code,
            "{path} {ct} {:?} → {} {}",
            String::from_utf8_lossy(&body[..body.len().min(200)]),
            resp.status,
            resp.body
        );
        resp.err(code);
    }

    // Bad paths and query strings.
    let id = coin.to_string();
    for path in [
        "/info/statechain/not-a-uuid".to_string(),
        format!("/info/statechain/{}", id.to_uppercase()),
        "/info/owner/zz".into(),
        format!("/info/owner/{OFF_CURVE_X}"),
        "/transfer/get_msg_addr/123".into(),
        format!("/transfer/get_msg_addr/{}?wait=abc", a.auth_pubkey()),
        format!("/transfer/get_msg_addr/{}?wait=-1", a.auth_pubkey()),
        format!("/transfer/batch/{}?since=x&wait=1", d.batch_id()),
        format!("/transfer/receipt/{id}/x"),
        format!("/transfer/receipt/{id}/-1"),
        format!("/transfer/receipt/{id}/99999999999999999999999"),
        "/transfer/batch/%ff%fe".into(),
    ] {
        r.get(&path).await.err("bad_request");
    }
    // Unknown ids and routes are 404s.
    let ghost = random_id();
    for path in [
        format!("/info/statechain/{ghost}"),
        format!("/transfer/batch/{ghost}"),
        format!("/transfer/receipt/{ghost}/0"),
        format!("/transfer/receipt/{id}/5"),
        "/".into(),
        "/transfer".into(),
        "/info/statechain".into(),
        "/info/statechain/".into(),
        "/transfer/receipt/a/b/c".into(),
    ] {
        r.get(&path).await.err("not_found");
    }
    // Wrong methods: 405 as JSON.
    for (m, path) in [
        (reqwest::Method::GET, "/transfer/sender"),
        (reqwest::Method::DELETE, "/info/config"),
        (reqwest::Method::PUT, "/withdraw"),
    ] {
        let resp = r
            .http
            .request(m, format!("{}{path}", r.base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 405);
        let v: Value = resp.json().await.unwrap();
        assert_eq!(v["error"]["code"], "bad_request");
    }

    assert_eq!(
        snapshot(&r, &coin, &d.batch_id(), &a.auth_pubkey().to_string()).await,
        before,
        "bad input changed nothing"
    );
    // And every valid body still works afterwards (nothing was consumed).
    r.post("/transfer/update_msg", &update).await.ok::<Value>();
}

/// Random corruptions of valid bodies: never a 5xx, never a panic.
#[tokio::test]
async fn random_corruptions_never_5xx() {
    let r = TestRelay::start().await;
    let (a, b) = (keys(), keys());
    let coin = r.deposit(&a, 100).await;
    let d = descriptor(random_id(), &[(coin, &b, 100)]);
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        (
            "/deposit/init",
            serde_json::to_vec(&wallet_core::wire::DepositRequest::signed(
                &a,
                5,
                r.now(),
                aux(),
            ))
            .unwrap(),
        ),
        (
            "/transfer/sender",
            serde_json::to_vec(&r.sender_req(coin, &a, &b, Some(&d))).unwrap(),
        ),
        (
            "/transfer/update_msg",
            serde_json::to_vec(&UpdateMsgRequest::signed(
                coin,
                &a,
                vec![9; 40],
                r.now(),
                aux(),
            ))
            .unwrap(),
        ),
        (
            "/transfer/unlock",
            serde_json::to_vec(&BatchCoinRequest::unlock(
                coin,
                d.batch_id(),
                &b,
                r.now(),
                aux(),
            ))
            .unwrap(),
        ),
        (
            "/withdraw",
            serde_json::to_vec(&WithdrawRequest::signed(coin, &a, r.now(), aux())).unwrap(),
        ),
    ];
    let mut seed = u64::from_le_bytes(aux()[..8].try_into().unwrap());
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for i in 0..400 {
        let (path, body) = &bodies[i % bodies.len()];
        let mut body = body.clone();
        for _ in 0..=(next() % 4) {
            let pos = (next() as usize) % body.len();
            match next() % 3 {
                0 => body[pos] = (next() % 256) as u8,
                1 => {
                    body.remove(pos);
                }
                _ => body.insert(pos, b"{}[]\",:0aZ\\"[(next() % 11) as usize]),
            }
        }
        let resp = r.post_raw(path, "application/json", body).await;
        assert!(resp.status < 500);
    }
}
