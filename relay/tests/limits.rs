//! Bounded resources in the HTTP layer (DESIGN "Abuse"): long-polls per
//! client, one shared waiter per key, connection timeouts, the client's
//! address behind trusted proxies. Every test is bounded by `within`.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use relay::limits::ClientKey;
use serde_json::Value;
use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wallet_core::wire::MessagesResponse;

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

#[tokio::test]
async fn many_long_polls_on_one_key_share_one_read_per_wake_up() {
    within(40, "test", async {
        const N: usize = 50;
        let r = Arc::new(TestRelay::with(|c| c.max_waits_per_ip = 1000).await);
        let s = state(&r);
        let stats = &s.0.waiters.stats;
        let (a, b) = (keys(), keys());
        let coin = r.deposit(&a, 10).await;
        let path = format!("/transfer/get_msg_addr/{}?wait=25", b.auth_pubkey());
        let tasks: Vec<_> = (0..N)
            .map(|_| {
                let (r, path) = (r.clone(), path.clone());
                tokio::spawn(async move { r.get(&path).await.ok::<MessagesResponse>() })
            })
            .collect();
        until(|| stats.waiting.load(Ordering::Relaxed) == N).await;
        assert_eq!(s.0.waiters.keys(), 1, "one shared waiter");
        let snapshot = || {
            (
                stats.wakeups.load(Ordering::Relaxed),
                stats.probes.load(Ordering::Relaxed),
                stats.reads.load(Ordering::Relaxed),
            )
        };
        let (w0, p0, r0) = snapshot();
        // Commits that change other keys (deposits, messages for someone
        // else) wake nobody here, and on SQLite nothing polls: waiting
        // costs no read until this key changes.
        for _ in 0..10 {
            r.deposit(&keys(), 1).await;
        }
        r.flood(&keys(), &keys(), 3, 16).await;
        tokio::time::sleep(Duration::from_millis(600)).await;
        let (w1, p1, r1) = snapshot();
        eprintln!(
            "{} wake-ups, {} probes, {} request reads",
            w1 - w0,
            p1 - p0,
            r1 - r0
        );
        assert_eq!((w1 - w0, p1 - p0, r1 - r0), (0, 0, 0));

        // The message: one probe for all of them, then each reads its
        // answer once.
        let start = Instant::now();
        r.send(coin, &a, &b, None).await;
        for t in tasks {
            let got = t.await.unwrap();
            assert_eq!(got.messages.len(), 1);
            assert_eq!(got.messages[0].statechain_id, coin);
        }
        assert!(start.elapsed() < Duration::from_secs(5));
        let (w2, p2, r2) = snapshot();
        assert!(
            w2 - w1 <= 2 && p2 - p1 <= 2,
            "{} wake-ups, {} probes",
            w2 - w1,
            p2 - p1
        );
        assert!(r2 - r1 <= N as u64 + 5, "{} request reads", r2 - r1);
        // The shared waiter ends with its last request.
        until(|| s.0.waiters.keys() == 0).await;
    })
    .await;
}

#[tokio::test]
async fn long_polls_with_different_cursors_and_versions_get_their_own_answers() {
    within(40, "test", async {
        let r = Arc::new(TestRelay::start().await);
        let s = state(&r);
        let stats = &s.0.waiters.stats;
        let (owner, to) = (keys(), keys());
        let coins = r.flood(&owner, &to, 2, 16).await;
        let page = r.messages(&to, None).await;
        let (c1, c2) = (page.messages[0].cursor, page.messages[1].cursor);
        let poll = |after: u64| {
            let (r, path) = (
                r.clone(),
                format!(
                    "/transfer/get_msg_addr/{}?wait=20&after={after}",
                    to.auth_pubkey()
                ),
            );
            tokio::spawn(async move { r.get(&path).await.ok::<MessagesResponse>() })
        };
        // Has one already: answered at once, not waiting.
        let behind = poll(c1).await.unwrap();
        assert_eq!(behind.messages.len(), 1);
        // Caught up, and far ahead (a cursor the key never reached): both wait.
        let (current, ahead) = (poll(c2), poll(c2 + 1000));
        until(|| stats.waiting.load(Ordering::Relaxed) == 2).await;
        let third = r.flood(&owner, &to, 1, 16).await;
        let got = current.await.unwrap();
        assert_eq!(got.messages.len(), 1);
        assert_eq!(got.messages[0].statechain_id, third[0]);
        // The one ahead has nothing above its cursor yet: still waiting.
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert!(!ahead.is_finished());
        ahead.abort();
        assert_eq!(coins.len(), 2);

        // Batches: waiters with different `since` on one batch.
        let sw = Swap::new(&r).await;
        r.sender(sw.coin_a, &sw.alice, &sw.a_to, Some(&sw.d))
            .await
            .ok::<Value>();
        let v = r.batch(sw.id()).await["version"].as_u64().unwrap();
        let watch = |since: u64| {
            let (r, path) = (
                r.clone(),
                format!("/transfer/batch/{}?wait=20&since={since}", sw.id()),
            );
            tokio::spawn(async move { r.get(&path).await.ok::<Value>() })
        };
        assert!(v >= 1);
        let old = watch(v - 1).await.unwrap();
        assert_eq!(old["version"].as_u64(), Some(v), "already newer: at once");
        let waiting: Vec<_> = (0..10).map(|_| watch(v)).collect();
        until(|| stats.waiting.load(Ordering::Relaxed) == 10).await;
        r.sender(sw.coin_b, &sw.bob, &sw.b_to, Some(&sw.d))
            .await
            .ok::<Value>();
        for w in waiting {
            let b = w.await.unwrap();
            assert!(b["version"].as_u64().unwrap() > v);
            assert_eq!(b["members"][1]["joined"], true);
        }
        // An expiry is a change of state with no write: seen by the re-check.
        let w = watch(v + 100);
        until(|| stats.waiting.load(Ordering::Relaxed) == 1).await;
        r.advance(r.config.batch_timeout + 1).await;
        let b = w.await.unwrap();
        assert_eq!(b["state"], "expired");
    })
    .await;
}

/// Reads from `stream` until EOF or error; `None` if still open after `secs`.
async fn closed_within(stream: &mut TcpStream, secs: f64) -> Option<Duration> {
    let start = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        let left = Duration::from_secs_f64(secs).checked_sub(start.elapsed())?;
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(start.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::test]
async fn slow_and_idle_connections_are_closed_and_others_served() {
    within(30, "test", async {
        let r = TestRelay::with(|c| {
            c.header_timeout = 1;
            c.idle_timeout = 3;
        })
        .await;
        let addr = r.relay.as_ref().unwrap().addr;

        // Half a request line, then nothing: closed after the header timeout.
        let mut slow = TcpStream::connect(addr).await.unwrap();
        slow.write_all(b"GET /info/con").await.unwrap();
        let start = Instant::now();
        // Meanwhile the relay serves others.
        let (closed, other) = tokio::join!(closed_within(&mut slow, 3.5), r.get("/info/config"));
        other.ok::<Value>();
        closed.expect("closed");
        let closed = start.elapsed();
        // The header timeout (1 s), not the idle one (3 s).
        assert!(
            closed >= Duration::from_millis(800) && closed < Duration::from_millis(2500),
            "{closed:?}"
        );

        // A trickle does not extend it: the head must be complete in time.
        let mut trickle = TcpStream::connect(addr).await.unwrap();
        let start = Instant::now();
        for b in b"GET /info/config HTTP/1.1\r\nHost: x\r\n".iter().cycle() {
            if trickle.write_all(&[*b]).await.is_err()
                || closed_within(&mut trickle, 0.1).await.is_some()
            {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_millis(2500),
                "trickle not closed"
            );
        }
        assert!(start.elapsed() >= Duration::from_millis(800));

        // A kept-alive connection idle after its response: open past the
        // header timeout, closed after the idle one.
        let mut idle = TcpStream::connect(addr).await.unwrap();
        idle.write_all(b"GET /info/config HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&got).contains("\"version\"") {
            let n = idle.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed before the answer");
            got.extend_from_slice(&buf[..n]);
        }
        assert!(String::from_utf8_lossy(&got).starts_with("HTTP/1.1 200"));
        assert!(
            closed_within(&mut idle, 1.5).await.is_none(),
            "open past the header timeout"
        );
        closed_within(&mut idle, 2.5)
            .await
            .expect("closed when idle");

        // A fresh connection that sends nothing: closed after the idle timeout.
        let mut silent = TcpStream::connect(addr).await.unwrap();
        let at = closed_within(&mut silent, 4.5)
            .await
            .expect("silent closed");
        assert!(at >= Duration::from_millis(2700), "{at:?}");

        // A long-poll is a request in progress: no timeout cuts it.
        let start = Instant::now();
        let none: MessagesResponse = r
            .get(&format!(
                "/transfer/get_msg_addr/{}?wait=4",
                keys().auth_pubkey()
            ))
            .await
            .ok();
        assert!(none.messages.is_empty() && start.elapsed() >= Duration::from_secs(4));
    })
    .await;
}

#[tokio::test]
async fn shutdown_ends_long_polls_and_idle_connections_promptly() {
    within(20, "test", async {
        let r = Arc::new(TestRelay::start().await);
        let s = state(&r);
        let addr = r.relay.as_ref().unwrap().addr;
        let _silent = TcpStream::connect(addr).await.unwrap();
        let mut half = TcpStream::connect(addr).await.unwrap();
        half.write_all(b"GET /info").await.unwrap();
        let poll = {
            let (r, path) = (
                r.clone(),
                format!("/transfer/get_msg_addr/{}?wait=25", keys().auth_pubkey()),
            );
            tokio::spawn(async move { r.get(&path).await.ok::<MessagesResponse>() })
        };
        until(|| s.0.waiters.stats.waiting.load(Ordering::Relaxed) == 1).await;
        let start = Instant::now();
        s.0.shutdown.send_replace(true);
        assert!(poll.await.unwrap().messages.is_empty());
        let mut r = Arc::try_unwrap(r).ok().unwrap();
        let relay = r.relay.take().unwrap();
        relay.shutdown().await.unwrap();
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "{:?}",
            start.elapsed()
        );
        assert!(
            TcpStream::connect(addr).await.is_err(),
            "no longer accepting"
        );
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

/// A large body costs its client more of its rate than a small one (one
/// token per 4 KiB on top of the request's own): a client sending
/// maximal bodies is stopped after about a tenth as many requests, before
/// the relay parses them, and another client is not affected.
#[tokio::test]
async fn large_bodies_spend_a_client_s_rate_faster() {
    within(30, "test", async {
        let r = TestRelay::with(|c| c.rate_limit = 20).await;
        let post = |http: reqwest::Client, body: Vec<u8>| {
            let url = format!("{}/transfer/update_msg", r.base);
            async move {
                let resp = http
                    .post(url)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                let status = resp.status().as_u16();
                let retry = resp
                    .headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap().to_string());
                (status, retry, resp.json::<Value>().await.unwrap())
            }
        };
        // About 128 KiB of (malformed) JSON: 32 extra tokens a request.
        let big = format!("{{\"x\":\"{}\"}}", "a".repeat(128 * 1024)).into_bytes();
        let heavy = client_from("127.0.0.5");
        let mut statuses = Vec::new();
        for _ in 0..6 {
            statuses.push(post(heavy.clone(), big.clone()).await);
        }
        // The burst is 40 tokens: one such body passes (to be refused as
        // malformed), then the client is over its rate.
        assert_eq!(statuses[0].0, 400);
        assert_rate_limited(statuses.last().unwrap());
        let refused = statuses.iter().filter(|s| s.0 == 429).count();
        assert!(
            refused >= 3,
            "{:?}",
            statuses.iter().map(|s| s.0).collect::<Vec<_>>()
        );
        // Small requests from another client still pass.
        let light = client_from("127.0.0.6");
        for _ in 0..5 {
            let (status, _, _) = post(light.clone(), b"{}".to_vec()).await;
            assert_eq!(status, 400);
        }
    })
    .await;
}
