//! Fuzzing of the relay's request decoders, as bounded property tests
//! (cargo-fuzz needs a nightly toolchain; proptest runs on stable and in
//! the ordinary `cargo test`).
//!
//! Every POST endpoint's body decoder and the path and query parsing of
//! every GET endpoint get random bytes, byte-level mutations of valid
//! bodies, structural mutations (a field removed, retyped, replaced by a
//! random JSON value, or an unknown field added, at any depth) and odd
//! content types. The requests go through the relay's whole router
//! in-process (extractors, guard, handlers, a real SQLite store). For every
//! answer:
//! - never a panic and never a 5xx;
//! - an error is `{"error": {"code", "message"}}` with a §8 code and that
//!   code's status (405 for a wrong method, code `bad_request`);
//! - a body that wallet-core's decoder refuses is answered `bad_request`;
//! - a refused request changes nothing the relay shows (coins, batch,
//!   owners), and at the end every original valid body is still accepted
//!   (a refused request consumed no signature);
//! - whatever decodes re-encodes to the same value, and valid requests
//!   (fresh keys, random fields) round-trip through the decoder and reach
//!   the rules: a deposit is accepted, the rest name unknown coins (404).
//!
//! The number of cases per property is `LOCKSTEP_FUZZ_CASES` (default 256);
//! CI runs the default, `LOCKSTEP_FUZZ_CASES=20000 cargo test --release -p
//! relay --test fuzz_decoders` fuzzes for longer.
#![allow(clippy::unwrap_used)]

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, header};
use common::*;
use http_body_util::BodyExt;
use proptest::prelude::*;
use proptest::test_runner::{Config as PtConfig, TestCaseError, TestRunner};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use std::cell::RefCell;
use std::fmt::Debug;
use tower::ServiceExt;
use wallet_core::ErrorCode;
use wallet_core::address::{Address, Network};
use wallet_core::descriptor::{BatchTransfer, Descriptor};
use wallet_core::keys::{AddressKeys, WalletKeys};
use wallet_core::types::{HexBytes, Id, Point, Scalar, Sig, XOnly};
use wallet_core::wire::{
    self, BatchCoinRequest, DepositRequest, ReceiverRequest, SenderRequest, UpdateMsgRequest,
    WithdrawRequest,
};

fn cases() -> u32 {
    std::env::var("LOCKSTEP_FUZZ_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(256)
}

fn runner() -> TestRunner {
    TestRunner::new(PtConfig {
        cases: cases(),
        failure_persistence: None,
        max_shrink_iters: 512,
        ..PtConfig::default()
    })
}

/// Runs a property; on failure panics with proptest's minimal input.
fn check<S: Strategy>(name: &str, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: Debug,
{
    if let Err(e) = runner().run(&strategy, test) {
        panic!("{name}: {e}");
    }
}

// ----- the endpoints -----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ep {
    Deposit,
    Sender,
    UpdateMsg,
    Unlock,
    Abort,
    Receiver,
    Withdraw,
}

const EPS: [Ep; 7] = [
    Ep::Deposit,
    Ep::Sender,
    Ep::UpdateMsg,
    Ep::Unlock,
    Ep::Abort,
    Ep::Receiver,
    Ep::Withdraw,
];

impl Ep {
    fn path(self) -> &'static str {
        match self {
            Ep::Deposit => "/deposit/init",
            Ep::Sender => "/transfer/sender",
            Ep::UpdateMsg => "/transfer/update_msg",
            Ep::Unlock => "/transfer/unlock",
            Ep::Abort => "/transfer/abort",
            Ep::Receiver => "/transfer/receiver",
            Ep::Withdraw => "/withdraw",
        }
    }

    /// The request `body` decodes to for this endpoint, re-encoded (one
    /// canonical text per request), or `None` if wallet-core's decoder
    /// refuses it. Whatever it takes must re-encode to the same value.
    fn decodes(self, body: &[u8]) -> Result<Option<String>, TestCaseError> {
        match self {
            Ep::Deposit => round_trip::<DepositRequest>(body),
            Ep::Sender => round_trip::<SenderRequest>(body),
            Ep::UpdateMsg => round_trip::<UpdateMsgRequest>(body),
            Ep::Unlock | Ep::Abort => round_trip::<BatchCoinRequest>(body),
            Ep::Receiver => round_trip::<ReceiverRequest>(body),
            Ep::Withdraw => round_trip::<WithdrawRequest>(body),
        }
    }
}

fn round_trip<T: DeserializeOwned + Serialize + PartialEq + Debug>(
    body: &[u8],
) -> Result<Option<String>, TestCaseError> {
    let Ok(value) = wire::decode::<T>(body) else {
        return Ok(None);
    };
    let text = wire::encode(&value);
    let again = wire::decode::<T>(text.as_bytes())
        .map_err(|e| TestCaseError::fail(format!("re-encoded {text} does not decode: {e}")))?;
    prop_assert_eq!(again, value, "re-encoding changed the value");
    Ok(Some(text))
}

// ----- talking to the router in-process -----

struct Answer {
    status: u16,
    /// The error code, for an error.
    code: Option<String>,
}

async fn call(
    app: &Router,
    method: Method,
    uri: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Result<Answer, TestCaseError> {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(ct) = content_type {
        req = req.header(header::CONTENT_TYPE, ct);
    }
    let req = req
        .body(Body::from(body))
        .map_err(|e| TestCaseError::reject(format!("not an HTTP request: {e}")))?;
    let resp = app
        .clone()
        .oneshot(req)
        .await
        .unwrap_or_else(|never| match never {});
    let status = resp.status().as_u16();
    let ct = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let shown = String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).to_string();
    prop_assert!(status < 500, "{uri}: 5xx {status} {shown}");
    prop_assert_eq!(
        ct.as_deref(),
        Some("application/json"),
        "{}: {} {}",
        uri,
        status,
        shown
    );
    let v: Value = serde_json::from_slice(&bytes)
        .map_err(|e| TestCaseError::fail(format!("{uri}: {status}: not JSON ({e}): {shown}")))?;
    if status == 200 {
        return Ok(Answer { status, code: None });
    }
    prop_assert!((400..500).contains(&status), "{uri}: status {status}");
    let code = v["error"]["code"].as_str().unwrap_or_default().to_string();
    prop_assert!(v["error"]["message"].is_string(), "{uri}: {shown}");
    prop_assert_eq!(v.as_object().map(Map::len), Some(1), "{}: {}", uri, shown);
    let Some(c) = ErrorCode::from_str_code(&code) else {
        return Err(TestCaseError::fail(format!(
            "{uri}: unknown code in {shown}"
        )));
    };
    prop_assert!(
        !matches!(c, ErrorCode::Internal | ErrorCode::Unavailable),
        "{uri}: {shown}"
    );
    if status == 405 {
        prop_assert_eq!(c, ErrorCode::BadRequest, "{}: 405 {}", uri, shown);
    } else {
        prop_assert_eq!(c.http_status(), status, "{}: {}", uri, shown);
    }
    Ok(Answer {
        status,
        code: Some(code),
    })
}

// ----- the fixture: a relay with a coin in a batch, and valid bodies -----

struct Fixture {
    rt: tokio::runtime::Runtime,
    r: TestRelay,
    app: Router,
    /// One valid body per endpoint, each acceptable as the relay stands
    /// (the receiver's only up to its rules: the batch is not committed).
    valid: Vec<(Ep, Value)>,
    /// What the relay shows about the fixture, to compare after a refusal.
    watch: Vec<String>,
    baseline: RefCell<Vec<Value>>,
    /// Requests that were accepted (200) while fuzzing.
    accepted: RefCell<Vec<Ep>>,
    /// How many answers of each status and code, to show what was reached.
    seen: RefCell<std::collections::BTreeMap<String, usize>>,
}

impl Fixture {
    fn new() -> Fixture {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (r, valid, watch) = rt.block_on(async {
            let r = TestRelay::with(|c| c.max_batch_size = 4).await;
            let (a, b) = (keys(), keys());
            let coin = r.deposit(&a, 100).await;
            let other = r.deposit(&b, 200).await;
            let spare = r.deposit(&a, 300).await;
            let d = descriptor(random_id(), &[(coin, &b, 100), (other, &a, 200)]);
            r.sender(coin, &a, &b, Some(&d)).await.ok::<Value>();
            let valid = vec![
                (
                    Ep::Deposit,
                    to_json(&DepositRequest::signed(&keys(), 5, r.now(), aux())),
                ),
                (Ep::Sender, to_json(&r.sender_req(other, &b, &a, Some(&d)))),
                (
                    Ep::UpdateMsg,
                    to_json(&UpdateMsgRequest::signed(
                        coin,
                        &a,
                        vec![7; 80],
                        r.now(),
                        aux(),
                    )),
                ),
                (
                    Ep::Unlock,
                    to_json(&BatchCoinRequest::unlock(
                        coin,
                        d.batch_id(),
                        &b,
                        r.now(),
                        aux(),
                    )),
                ),
                (
                    Ep::Receiver,
                    to_json(&ReceiverRequest::signed(
                        coin,
                        Scalar::from_bytes(&[1; 32]).unwrap(),
                        a.auth.sign(
                            &wallet_core::signing::transfer(
                                &coin,
                                1,
                                &b.user_pubkey(),
                                &b.auth_pubkey(),
                                Some(&d.batch_id()),
                            ),
                            aux(),
                        ),
                        &b,
                        r.now(),
                        aux(),
                    )),
                ),
                (
                    Ep::Withdraw,
                    to_json(&WithdrawRequest::signed(spare, &a, r.now(), aux())),
                ),
                // Last: it aborts the batch.
                (
                    Ep::Abort,
                    to_json(&BatchCoinRequest::abort(
                        coin,
                        d.batch_id(),
                        &a,
                        r.now(),
                        aux(),
                    )),
                ),
            ];
            let watch = vec![
                format!("/info/statechain/{coin}"),
                format!("/info/statechain/{other}"),
                format!("/info/statechain/{spare}"),
                format!("/transfer/batch/{}", d.batch_id()),
                format!("/info/owner/{}", a.auth_pubkey()),
                format!("/info/owner/{}", b.auth_pubkey()),
            ];
            (r, valid, watch)
        });
        let app = relay::http::router(r.relay.as_ref().unwrap().state.clone());
        let f = Fixture {
            rt,
            r,
            app,
            valid,
            watch,
            baseline: RefCell::new(Vec::new()),
            accepted: RefCell::new(Vec::new()),
            seen: RefCell::default(),
        };
        let snap = f.rt.block_on(f.snapshot());
        *f.baseline.borrow_mut() = snap;
        f
    }

    fn valid(&self, ep: Ep) -> &Value {
        &self.valid.iter().find(|(e, _)| *e == ep).unwrap().1
    }

    /// The ids, keys and numbers of the fixture, as path segments.
    fn known(&self) -> Vec<String> {
        let mut k: Vec<String> = self
            .watch
            .iter()
            .filter_map(|p| p.rsplit('/').next())
            .map(str::to_string)
            .collect();
        k.extend(["0", "1", "2"].map(String::from));
        k
    }

    fn original(&self, ep: Ep) -> Vec<u8> {
        serde_json::to_vec(self.valid(ep)).unwrap()
    }

    async fn snapshot(&self) -> Vec<Value> {
        let mut out = Vec::new();
        for path in &self.watch {
            let req = Request::get(path.as_str()).body(Body::empty()).unwrap();
            let resp = self.app.clone().oneshot(req).await.unwrap();
            let bytes = resp.into_body().collect().await.unwrap().to_bytes();
            let mut v: Value = serde_json::from_slice(&bytes).unwrap();
            if let Some(o) = v.as_object_mut() {
                o.remove("server_time");
            }
            out.push(v);
        }
        out
    }

    /// Posts `body` to `ep` and checks the answer against the decoder and
    /// against the relay's state.
    fn post(&self, ep: Ep, content_type: Option<&str>, body: Vec<u8>) -> Result<(), TestCaseError> {
        let json_ct = content_type.is_some_and(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/json")
        });
        let decoded = ep.decodes(&body)?;
        if json_ct && decoded.is_some() && decoded == ep.decodes(&self.original(ep))? {
            // The valid request itself, spelled differently: kept unsent for
            // the final check.
            return Ok(());
        }
        let decodes = decoded.is_some();
        self.rt.block_on(async {
            let a = call(&self.app, Method::POST, ep.path(), content_type, body).await?;
            self.count(&a);
            if !json_ct || !decodes {
                prop_assert_eq!(
                    a.code.as_deref(),
                    Some("bad_request"),
                    "{} refused by the decoder (or not JSON), yet answered {}",
                    ep.path(),
                    a.status
                );
            }
            let now = self.snapshot().await;
            if a.code.is_some() {
                prop_assert!(
                    now == *self.baseline.borrow(),
                    "{} refused with {:?}, yet the relay changed",
                    ep.path(),
                    a.code
                );
            } else {
                self.accepted.borrow_mut().push(ep);
                *self.baseline.borrow_mut() = now;
            }
            Ok(())
        })
    }

    fn count(&self, a: &Answer) {
        let key = format!("{} {}", a.status, a.code.as_deref().unwrap_or("ok"));
        *self.seen.borrow_mut().entry(key).or_default() += 1;
    }

    /// Every original valid body is still accepted, unless fuzzing itself
    /// got a request accepted (which may legitimately consume or change).
    fn finish(&self) {
        eprintln!("answers: {:?}", self.seen.borrow());
        let accepted = self.accepted.borrow();
        if !accepted.is_empty() {
            eprintln!("fuzzing got {accepted:?} accepted; skipping the final replay check");
            return;
        }
        self.rt.block_on(async {
            for (ep, body) in &self.valid {
                let resp = self.r.post(ep.path(), body).await;
                match ep {
                    // The batch is not committed: the receiver's rules refuse.
                    Ep::Receiver => resp.err("coin_locked"),
                    _ => assert_eq!(
                        resp.status,
                        200,
                        "{}: a valid body is refused after fuzzing: {}",
                        ep.path(),
                        resp.body
                    ),
                }
            }
        });
    }
}

fn to_json<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap()
}

// ----- strategies -----

fn ep() -> impl Strategy<Value = Ep> {
    prop::sample::select(EPS.to_vec())
}

/// Field names: the real ones (so replacements hit them), and others.
fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "statechain_id", "user_pubkey", "auth_pubkey", "amount", "ts", "auth_sig",
            "new_user_pubkey", "new_user_auth_key", "batch", "batch_id", "transfers",
            "enc_msg", "t2", "transfer_sig",
        ])
        .prop_map(str::to_string),
        1 => "[a-zA-Z_]{0,12}",
        1 => ".{0,6}",
    ]
}

/// Strings shaped like the protocol's values, near-misses included.
fn wire_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9a-f]{0,140}",
        "[0-9a-fA-F]{64}",
        "(02|03|04)[0-9a-f]{64}",
        "[0-9a-f]{128}",
        "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
        "[0-9a-fA-F-]{30,40}",
        "\\PC{0,24}",
        "[ -~]{0,24}",
    ]
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (0u64..=1_000_000_000).prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        wire_string().prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((field_name(), inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// One structural change at the node numbered `at` (modulo the node count).
#[derive(Debug, Clone)]
enum Edit {
    Replace(usize, Value),
    Remove(usize),
    AddField(usize, String, Value),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), json_value()).prop_map(|(i, v)| Edit::Replace(i, v)),
        any::<usize>().prop_map(Edit::Remove),
        (any::<usize>(), field_name(), json_value()).prop_map(|(i, k, v)| Edit::AddField(i, k, v)),
    ]
}

/// JSON pointers of every node of `v`, the root first.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match v {
        Value::Object(o) => {
            for (k, child) in o {
                pointers(
                    child,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                pointers(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn apply(v: &mut Value, e: &Edit) {
    let mut ptrs = Vec::new();
    pointers(v, String::new(), &mut ptrs);
    let pick = |i: usize| ptrs[i % ptrs.len()].clone();
    match e {
        Edit::Replace(i, new) => {
            if let Some(node) = v.pointer_mut(&pick(*i)) {
                *node = new.clone();
            }
        }
        Edit::Remove(i) => {
            let p = pick(*i);
            let Some((parent, last)) = p.rsplit_once('/') else {
                *v = Value::Null;
                return;
            };
            let key = last.replace("~1", "/").replace("~0", "~");
            match v.pointer_mut(parent) {
                Some(Value::Object(o)) => {
                    o.remove(&key);
                }
                Some(Value::Array(a)) => {
                    if let Ok(n) = key.parse::<usize>()
                        && n < a.len()
                    {
                        a.remove(n);
                    }
                }
                _ => {}
            }
        }
        Edit::AddField(i, k, new) => match v.pointer_mut(&pick(*i)) {
            Some(Value::Object(o)) => {
                o.insert(k.clone(), new.clone());
            }
            Some(Value::Array(a)) => a.push(new.clone()),
            _ => {}
        },
    }
}

/// One byte-level change: overwrite, delete, insert a JSON-ish byte, or
/// duplicate a slice.
#[derive(Debug, Clone)]
enum Mutation {
    Set(usize, u8),
    Delete(usize),
    Insert(usize, u8),
    Splice(usize, usize, usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let jsonish = prop::sample::select(b"{}[]\",:0123456789-+.eEaftnulx\\ \t\n".to_vec());
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        any::<usize>().prop_map(Mutation::Delete),
        (any::<usize>(), jsonish).prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<usize>(), any::<usize>(), any::<usize>())
            .prop_map(|(a, b, c)| Mutation::Splice(a, b, c)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(body: &mut Vec<u8>, m: &Mutation) {
    if body.is_empty() {
        return;
    }
    let n = body.len();
    match *m {
        Mutation::Set(i, b) => body[i % n] = b,
        Mutation::Delete(i) => {
            body.remove(i % n);
        }
        Mutation::Insert(i, b) => body.insert(i % (n + 1), b),
        Mutation::Splice(from, len, to) => {
            let from = from % n;
            let len = len % 32;
            let piece: Vec<u8> = body[from..(from + len).min(n)].to_vec();
            let to = to % (n + 1);
            body.splice(to..to, piece);
        }
        Mutation::Truncate(i) => body.truncate(i % n),
    }
}

// ----- the properties -----

#[test]
fn fuzz_post_bodies_bytes() {
    let f = Fixture::new();
    // Random bytes, JSON-ish or not.
    check(
        "random bodies",
        (
            ep(),
            prop_oneof![
                prop::collection::vec(any::<u8>(), 0..256),
                "\\PC{0,200}".prop_map(String::into_bytes),
                json_value().prop_map(|v| serde_json::to_vec(&v).unwrap()),
            ],
        ),
        |(ep, body)| f.post(ep, Some("application/json"), body),
    );
    // Byte-level mutations of valid bodies.
    check(
        "mutated bodies",
        (ep(), prop::collection::vec(mutation(), 1..6)),
        |(ep, muts)| {
            let mut body = f.original(ep);
            for m in &muts {
                mutate(&mut body, m);
            }
            f.post(ep, Some("application/json"), body)
        },
    );
    // Odd content types on a valid body.
    check(
        "content types",
        (
            ep(),
            prop::option::of(prop::sample::select(vec![
                "text/plain",
                "application/x-www-form-urlencoded",
                "application/jsonx",
                "application/json-patch+json",
                "multipart/form-data; boundary=x",
                "",
                "json",
            ])),
        ),
        |(ep, ct)| f.post(ep, ct, f.original(ep)),
    );
    f.finish();
}

#[test]
fn fuzz_post_bodies_structure() {
    let f = Fixture::new();
    check(
        "structural edits",
        (ep(), prop::collection::vec(edit(), 1..4)),
        |(ep, edits)| {
            let mut v = f.valid(ep).clone();
            for e in &edits {
                apply(&mut v, e);
            }
            f.post(
                ep,
                Some("application/json"),
                serde_json::to_vec(&v).unwrap(),
            )
        },
    );
    f.finish();
}

/// A path segment: near-valid ids and keys, or anything, percent-encoded
/// so that the request line is valid.
fn segment(known: Vec<String>) -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(known),
        wire_string(),
        "\\PC{0,40}",
        prop::collection::vec(any::<u8>(), 0..40)
            .prop_map(|b| b.iter().map(|c| format!("%{c:02x}")).collect::<String>()),
        "[0-9]{0,25}",
        "-[0-9]{1,5}",
    ]
    .prop_map(|s| encode_segment(&s))
}

/// Percent-encodes all but unreserved characters and well-formed `%XX`
/// escapes (kept, so that escapes of invalid UTF-8 get through).
fn encode_segment(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::new();
    for (i, &c) in b.iter().enumerate() {
        let escape = c == b'%'
            && b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
            && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
        if c.is_ascii_alphanumeric() || b"-._~".contains(&c) || escape {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}

/// Query strings; `wait` only ever asks for no wait (or is malformed), so
/// no case blocks on a long-poll.
fn query() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        Just("0".to_string()),
        Just(String::new()),
        "[0-9]{20,25}",
        "-[0-9]{1,3}",
        "[a-z+.%]{1,5}".prop_map(|s| encode_segment(&s)),
        "0[xX][0-9]{1,3}",
    ];
    let since = prop_oneof![any::<u64>().prop_map(|n| n.to_string()), "[ -~]{0,8}"]
        .prop_map(|s| encode_segment(&s));
    let pair = prop_oneof![
        value.prop_map(|v| format!("wait={v}")),
        since.prop_map(|v| format!("since={v}")),
        "[a-z]{0,6}=[a-z0-9]{0,6}".prop_filter("no real wait", |p| !p.starts_with("wait=")),
        "[=&]{1,3}",
    ];
    prop::collection::vec(pair, 0..4).prop_map(|p| {
        if p.is_empty() {
            String::new()
        } else {
            format!("?{}", p.join("&"))
        }
    })
}

#[test]
fn fuzz_paths_and_queries() {
    let f = Fixture::new();
    check(
        "GET paths and queries",
        (0usize..7, segment(f.known()), segment(f.known()), query()),
        |(route, a, b, q)| {
            let uri = match route {
                0 => format!("/info/statechain/{a}{q}"),
                1 => format!("/info/owner/{a}{q}"),
                2 => format!("/transfer/get_msg_addr/{a}{q}"),
                3 => format!("/transfer/batch/{a}{q}"),
                4 => format!("/transfer/receipt/{a}/{b}{q}"),
                5 => format!("/{a}/{b}{q}"),
                _ => format!("/transfer/{a}{q}"),
            };
            f.rt.block_on(async {
                let ans = call(&f.app, Method::GET, &uri, None, Vec::new()).await?;
                f.count(&ans);
                // A segment the route's parser refuses is bad_request.
                let decoded = percent_decode(&a);
                let refused = match route {
                    0 | 3 => decoded.as_deref().is_none_or(|s| Id::parse(s).is_err()),
                    1 | 2 => decoded.as_deref().is_none_or(|s| XOnly::parse(s).is_err()),
                    _ => false,
                };
                if refused && !a.is_empty() {
                    prop_assert_eq!(ans.code.as_deref(), Some("bad_request"), "{}", uri);
                }
                Ok(())
            })
        },
    );
    f.finish();
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

// ----- valid values and requests round-trip -----

fn address_keys(seed: u64, index: u32) -> AddressKeys {
    let mut s = [0u8; 64];
    for (i, chunk) in s.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(
            &(seed ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)).to_le_bytes(),
        );
    }
    WalletKeys::from_seed(&s).address(index).unwrap()
}

fn id(bytes: [u8; 16]) -> Id {
    Id::new_v4(bytes)
}

#[test]
fn fuzz_wire_values_round_trip() {
    // Every text that parses prints back as itself (one canonical form).
    check("wire values", wire_string(), |s| {
        if let Ok(v) = Id::parse(&s) {
            prop_assert_eq!(v.to_string(), s.clone());
        }
        if let Ok(v) = XOnly::parse(&s) {
            prop_assert_eq!(v.to_string(), s.clone());
        }
        if let Ok(v) = Point::parse(&s) {
            prop_assert_eq!(v.to_string(), s.clone());
        }
        if let Ok(v) = Scalar::parse(&s) {
            prop_assert_eq!(v.to_string(), s.clone());
        }
        if let Ok(v) = Sig::parse(&s) {
            prop_assert_eq!(v.to_string(), s.clone());
        }
        if let Ok(v) = HexBytes::parse(&s) {
            prop_assert_eq!(wallet_core::hex::encode(&v.0), s.clone());
        }
        Ok(())
    });
}

#[test]
fn fuzz_valid_requests_round_trip() {
    let f = Fixture::new();
    let window = f.r.config.auth_window;
    let max_amount = f.r.config.max_demo_amount;
    check(
        "valid requests",
        (
            ep(),
            any::<u64>(),
            0u32..1000,
            any::<[u8; 16]>(),
            any::<[u8; 16]>(),
            prop::collection::vec((any::<[u8; 16]>(), 1u64..=u64::MAX), 1..4),
            prop::collection::vec(any::<u8>(), 0..600),
            1..=max_amount,
            0..=2 * (window - 10),
            any::<[u8; 32]>(),
        ),
        |(ep, seed, index, coin, batch, lines, msg, amount, skew, aux)| {
            let k = address_keys(seed, index);
            let to = address_keys(seed.wrapping_add(1), index);
            let to_addr = Address {
                network: Network::Demo,
                user_pubkey: to.user_pubkey(),
                auth_pubkey: to.auth_pubkey(),
            };
            let ts = f.r.now() - (window - 10) + skew;
            let coin = id(coin);
            let body = match ep {
                Ep::Deposit => wire::encode(&DepositRequest::signed(&k, amount, ts, aux)),
                Ep::Sender => {
                    let mut transfers: Vec<BatchTransfer> = lines
                        .iter()
                        .map(|(c, a)| BatchTransfer {
                            statechain_id: id(*c),
                            new_user_auth_key: to.auth_pubkey(),
                            amount: *a,
                        })
                        .collect();
                    transfers.sort_by_key(|t| t.statechain_id.to_string());
                    transfers.dedup_by_key(|t| t.statechain_id);
                    let d = Descriptor::new(id(batch), transfers, 4).unwrap();
                    let batch = (seed % 2 == 0).then_some(&d);
                    wire::encode(&SenderRequest::signed(coin, &k, &to_addr, batch, ts, aux))
                }
                Ep::UpdateMsg => wire::encode(&UpdateMsgRequest::signed(coin, &k, msg, ts, aux)),
                Ep::Unlock => wire::encode(&BatchCoinRequest::unlock(coin, id(batch), &k, ts, aux)),
                Ep::Abort => wire::encode(&BatchCoinRequest::abort(coin, id(batch), &k, ts, aux)),
                Ep::Receiver => {
                    let t2 = Scalar::from_bytes(&aux)
                        .unwrap_or_else(|_| Scalar::from_bytes(&[1; 32]).unwrap());
                    let sig = k.auth.sign("any", aux);
                    wire::encode(&ReceiverRequest::signed(coin, t2, sig, &k, ts, aux))
                }
                Ep::Withdraw => wire::encode(&WithdrawRequest::signed(coin, &k, ts, aux)),
            };
            prop_assert!(
                ep.decodes(body.as_bytes())?.is_some(),
                "a valid {ep:?} body does not decode"
            );
            let ans = f.rt.block_on(call(
                &f.app,
                Method::POST,
                ep.path(),
                Some("application/json"),
                body.into_bytes(),
            ))?;
            // Past the decoder: a fresh deposit is accepted, every other
            // request names a coin the relay never saw.
            match ep {
                Ep::Deposit => prop_assert_eq!(ans.status, 200, "{:?}", ans.code),
                _ => prop_assert_eq!(ans.code.as_deref(), Some("not_found")),
            }
            Ok(())
        },
    );
}
