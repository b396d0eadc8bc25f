//! Bounded resources in the HTTP layer (DESIGN "Abuse"): long-polls per
//! client, the client's address behind trusted proxies. Every test is
//! bounded by `within`.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use relay::limits::ClientKey;
use serde_json::Value;
use std::future::Future;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Fails the test if `f` takes longer than `secs`.
async fn within<T>(secs: u64, what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(secs), f)
        .await
        .unwrap_or_else(|_| panic!("{what}: not within {secs} s"))
}

/// Polls `cond` every 10 ms until it holds (bounded by the caller).
async fn until(mut cond: impl FnMut() -> bool) {
    while !cond() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn state(r: &TestRelay) -> relay::http::AppState {
    r.relay.as_ref().unwrap().state.clone()
}

/// A client whose connections come from `source` (any 127/8 address
/// reaches the relay on 127.0.0.1).
fn client_from(source: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(source.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

async fn get(http: &reqwest::Client, url: String) -> (u16, Option<String>, Value) {
    let resp = http.get(url).send().await.unwrap();
    let status = resp.status().as_u16();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let body = resp.json().await.unwrap();
    (status, retry, body)
}

fn assert_rate_limited((status, retry, body): &(u16, Option<String>, Value)) {
    assert_eq!(*status, 429, "{body}");
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    assert!(body["error"]["message"].is_string());
    assert!(retry.is_some(), "Retry-After");
}

fn key(ip: &str) -> ClientKey {
    ClientKey::of(ip.parse().unwrap())
}

#[tokio::test]
async fn long_polls_per_client_are_bounded_and_released() {
    within(30, "test", async {
        let mut r = TestRelay::with(|c| c.max_waits_per_ip = 3).await;
        let s = state(&r);
        let me = client_from("127.0.0.2");
        let poll = |wait: u64| {
            format!(
                "{}/transfer/get_msg_addr/{}?wait={wait}",
                r.base,
                keys().auth_pubkey()
            )
        };
        let mut held = Vec::new();
        for _ in 0..3 {
            let (me, url) = (me.clone(), poll(20));
            held.push(tokio::spawn(async move { get(&me, url).await }));
        }
        until(|| s.0.waits.held(key("127.0.0.2")) == 3).await;
        // One more is refused at once; without `wait` it is not a long-poll.
        let start = Instant::now();
        assert_rate_limited(&get(&me, poll(20)).await);
        assert!(start.elapsed() < Duration::from_secs(1));
        assert_eq!(get(&me, poll(0)).await.0, 200);
        assert_eq!(
            get(&me, format!("{}{}", r.base, "/info/config")).await.0,
            200
        );
        // A batch long-poll counts too; without `since` it does not wait.
        let sw = Swap::new(&r).await;
        r.sender(sw.coin_a, &sw.alice, &sw.a_to, Some(&sw.d))
            .await
            .ok::<Value>();
        let batch = format!("{}/transfer/batch/{}", r.base, sw.id());
        assert_rate_limited(&get(&me, format!("{batch}?wait=20&since=99")).await);
        assert_eq!(get(&me, format!("{batch}?wait=20")).await.0, 200);
        // Another client is not affected.
        let other = client_from("127.0.0.3");
        let url = poll(1);
        let (status, _, _) = get(&other, url).await;
        assert_eq!(status, 200);

        // A client that goes away gives its place back (the handler is dropped).
        held.pop().unwrap().abort();
        until(|| s.0.waits.held(key("127.0.0.2")) == 2).await;
        let (me2, url) = (me.clone(), poll(20));
        held.push(tokio::spawn(async move { get(&me2, url).await }));
        until(|| s.0.waits.held(key("127.0.0.2")) == 3).await;
        assert_rate_limited(&get(&me, poll(20)).await);

        // So does an answer: a message for one of the waiting keys.
        let (a, b) = (keys(), keys());
        let coin = r.deposit(&a, 10).await;
        let waiting_for_b = {
            let (me, url) = (
                client_from("127.0.0.4"),
                format!(
                    "{}/transfer/get_msg_addr/{}?wait=20",
                    r.base,
                    b.auth_pubkey()
                ),
            );
            tokio::spawn(async move { get(&me, url).await })
        };
        until(|| s.0.waits.held(key("127.0.0.4")) == 1).await;
        r.send(coin, &a, &b, None).await;
        assert_eq!(
            waiting_for_b.await.unwrap().2["messages"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        assert_eq!(s.0.waits.held(key("127.0.0.4")), 0);

        // And shutdown: long-polls answer, every count is gone.
        let relay = r.relay.take().unwrap();
        within(5, "shutdown", relay.shutdown()).await.unwrap();
        for h in held {
            if let Ok(answer) = h.await {
                assert_eq!(answer.0, 200);
            }
        }
        assert_eq!(s.0.waits.clients(), 0, "no entry left behind");
    })
    .await;
}

/// `n` requests with a random `X-Forwarded-For` each, from this client.
async fn statuses_with_random_forwarded_for(r: &TestRelay, n: usize) -> Vec<u16> {
    let mut out = Vec::new();
    for i in 0..n {
        let resp = r
            .http
            .get(format!("{}/info/config", r.base))
            .header("x-forwarded-for", format!("198.51.100.{}", i + 1))
            .send()
            .await
            .unwrap();
        out.push(resp.status().as_u16());
    }
    out
}

#[tokio::test]
async fn forwarded_for_is_believed_only_from_trusted_proxies() {
    within(30, "test", async {
        // No trusted proxy: inventing addresses does not dodge the limit.
        let r = TestRelay::with(|c| c.rate_limit = 1).await;
        let codes = statuses_with_random_forwarded_for(&r, 6).await;
        assert!(codes.contains(&429), "{codes:?}");

        // A trusted proxy that is not this peer: the header is ignored.
        let r = TestRelay::with(|c| {
            c.rate_limit = 1;
            c.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap()];
        })
        .await;
        let codes = statuses_with_random_forwarded_for(&r, 6).await;
        assert!(codes.contains(&429), "{codes:?}");

        // 127.0.0.1 trusted: each forwarded address is a client of its own.
        let r = TestRelay::with(|c| {
            c.rate_limit = 1;
            c.max_waits_per_ip = 1;
            c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        })
        .await;
        let codes = statuses_with_random_forwarded_for(&r, 6).await;
        assert!(codes.iter().all(|c| *c == 200), "{codes:?}");
        let as_client = |ip: &'static str| {
            let (http, url) = (r.http.clone(), format!("{}/info/config", r.base));
            async move {
                http.get(url)
                    .header("x-forwarded-for", format!("6.6.6.6, {ip}"))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        };
        let a: Vec<u16> = [
            as_client("192.0.2.1").await,
            as_client("192.0.2.1").await,
            as_client("192.0.2.1").await,
        ]
        .into();
        assert_eq!(a, [200, 200, 429], "one bucket for 192.0.2.1");
        assert_eq!(as_client("192.0.2.2").await, 200, "another for 192.0.2.2");
        // IPv6 clients share a bucket per /64.
        let b = [
            as_client("2001:db8:0:1::1").await,
            as_client("2001:db8:0:1::2").await,
            as_client("2001:db8:0:1::3").await,
            as_client("2001:db8:0:2::1").await,
        ];
        assert_eq!(b, [200, 200, 429, 200]);

        // The long-poll count is the forwarded client's too.
        let s = state(&r);
        let lp = |ip: &'static str| {
            let (http, url) = (
                r.http.clone(),
                format!(
                    "{}/transfer/get_msg_addr/{}?wait=20",
                    r.base,
                    keys().auth_pubkey()
                ),
            );
            async move {
                let resp = http
                    .get(url)
                    .header("x-forwarded-for", ip)
                    .send()
                    .await
                    .unwrap();
                resp.status().as_u16()
            }
        };
        let first = tokio::spawn(lp("203.0.113.1"));
        until(|| s.0.waits.held(key("203.0.113.1")) == 1).await;
        assert_eq!(lp("203.0.113.1").await, 429);
        let other = tokio::spawn(lp("203.0.113.2"));
        until(|| s.0.waits.held(key("203.0.113.2")) == 1).await;
        first.abort();
        other.abort();
    })
    .await;
}
