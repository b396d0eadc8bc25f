//! HTTP: the §8 endpoints, strict extractors that turn every malformed
//! request into a JSON 4xx, and the guard (who the client is, rate limit,
//! concurrency limit, request timeout) around them. Long-polls are in
//! [`crate::long_poll`], the per-client limits in [`crate::limits`], the
//! connection loop in [`crate::serve_conn`].

use crate::config::Config;
use crate::error::{ApiError, json_response};
use crate::limits::{
    Client, ClientKey, RateLimiter, TrustedProxies, WaitCounts, WaitSlot, body_tokens,
};
use crate::long_poll::{self, Waiters};
use crate::store::AnyStore;
use crate::web_files::WebFiles;
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, RawPathParams, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{Semaphore, watch};
use tower_http::cors::{Any, CorsLayer};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use wallet_core::serve::decode;
use wallet_core::serve::{Ctx, Op, Read, ReadReply};
use wallet_core::types::{Id, XOnly};
use wallet_core::wire::{
    self, BatchCoinRequest, DepositRequest, ReceiverRequest, UpdateMsgRequest, WithdrawRequest,
};

pub use crate::long_poll::{MAX_WAIT_SECS, POLL_INTERVAL};

pub struct Inner {
    pub store: AnyStore,
    pub ctx: Arc<Ctx>,
    pub config: Config,
    /// `true` once the relay is shutting down: long-polls answer at once.
    pub shutdown: watch::Sender<bool>,
    pub limiter: RateLimiter,
    /// Long-polls held per client (`--max-waits-per-ip`).
    pub waits: WaitCounts,
    /// One shared waiter per key or batch being long-polled.
    pub waiters: Waiters,
    trusted: TrustedProxies,
    slots: Arc<Semaphore>,
    static_files: Option<WebFiles>,
}

#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl AppState {
    pub fn new(store: AnyStore, ctx: Arc<Ctx>, config: Config) -> AppState {
        let static_files = config.static_dir.as_deref().map(WebFiles::new);
        AppState(Arc::new(Inner {
            store,
            ctx,
            limiter: RateLimiter::new(config.rate_limit),
            waits: WaitCounts::new(config.max_waits_per_ip),
            waiters: Waiters::default(),
            trusted: TrustedProxies::new(config.trusted_proxies.clone()),
            slots: Arc::new(Semaphore::new(config.max_concurrency.max(1))),
            static_files,
            config,
            shutdown: watch::channel(false).0,
        }))
    }
}

// ----- extractors -----

/// A JSON body decoded strictly (unknown fields refused) into a wire type.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let bytes = json_body_bytes(req, state).await?;
        Ok(JsonBody(decode::json::<T>(&bytes)?))
    }
}

/// A `/transfer/sender` body as an [`Op`]: its descriptor's lines bounded
/// while parsing, the descriptor hashed once.
pub struct SenderBody(pub Op);

impl FromRequest<AppState> for SenderBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let bytes = json_body_bytes(req, state).await?;
        Ok(SenderBody(decode::sender_body(
            &bytes,
            &state.0.ctx.limits,
        )?))
    }
}

/// The body of a JSON request: Content-Type checked, size bounded while
/// it streams in.
async fn json_body_bytes(req: Request, state: &AppState) -> Result<axum::body::Bytes, ApiError> {
    let mime = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim)
        .unwrap_or("");
    if !mime.eq_ignore_ascii_case("application/json") {
        return Err(ApiError::bad_request(
            "the body must be JSON with Content-Type: application/json",
        ));
    }
    let client = req.extensions().get::<Client>().copied();
    let limit = state.0.config.body_limit();
    let too_large = || ApiError::from(decode::too_large(limit));
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let bytes = Limited::new(req.into_body(), limit)
        .collect()
        .await
        .map_err(|e| {
            if e.is::<LengthLimitError>() {
                too_large()
            } else {
                ApiError::bad_request("the body could not be read")
            }
        })?
        .to_bytes();
    // A large body costs its client more of its rate (limits::body_tokens),
    // before it is parsed: parsing work is bounded per client.
    if let Some(c) = client
        && !state.0.limiter.charge(c.key, body_tokens(bytes.len()))
    {
        return Err(ApiError::RateLimited(
            "this address has sent too much data; retry shortly".into(),
            1,
        ));
    }
    Ok(bytes)
}

/// Path parameters as text; each handler parses its own.
pub struct Params(pub Vec<String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let raw = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::bad_request("the path is malformed"))?;
        Ok(Params(raw.iter().map(|(_, v)| v.to_string()).collect()))
    }
}

/// The client the guard decided on, if the request came over a connection
/// (it always does, but for the router driven directly in tests).
pub struct ClientOf(pub Option<ClientKey>);

impl<S: Send + Sync> FromRequestParts<S> for ClientOf {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientOf(parts.extensions.get::<Client>().map(|c| c.key)))
    }
}

fn param(p: &Params, i: usize) -> Result<&str, ApiError> {
    p.0.get(i)
        .map(String::as_str)
        .ok_or_else(|| ApiError::bad_request("missing path parameter"))
}

fn parse_id(text: &str) -> Result<Id, ApiError> {
    Ok(decode::id(text)?)
}

fn parse_xonly(text: &str) -> Result<XOnly, ApiError> {
    Ok(decode::xonly(text)?)
}

/// A non-negative integer query parameter, if present.
fn query_u64(uri: &Uri, name: &str) -> Result<Option<u64>, ApiError> {
    Ok(decode::query_u64(uri.query(), name)?)
}

// ----- responses -----

fn json<T: Serialize>(value: &T) -> Response {
    json_response(StatusCode::OK, wire::encode(value))
}

/// A [`wallet_core::serve::Reply`] or [`ReadReply`]: its wire response.
fn reply<T: Serialize>(r: T) -> Response {
    json(&r)
}

// ----- handlers -----

type Answer = Result<Response, ApiError>;

async fn run(s: &AppState, op: Op) -> Answer {
    let name = op.name();
    let r = s.0.store.execute(s.0.ctx.clone(), op).await;
    match &r {
        // Committed: wake the long-polls waiting on what it changed.
        Ok(done) => s.0.waiters.notify(&done.changes()),
        Err(e) => tracing::info!(endpoint = name, error = %e, "refused"),
    }
    r.map(reply)
}

async fn read(s: &AppState, q: Read) -> Result<ReadReply, ApiError> {
    s.0.store.read(s.0.ctx.clone(), q).await
}

async fn info_config(State(s): State<AppState>) -> Answer {
    Ok(json(&s.0.store.config(s.0.ctx.clone()).await?))
}

async fn deposit_init(
    State(s): State<AppState>,
    JsonBody(req): JsonBody<DepositRequest>,
) -> Answer {
    run(&s, Op::Deposit(req)).await
}

async fn info_statechain(State(s): State<AppState>, p: Params) -> Answer {
    let id = parse_id(param(&p, 0)?)?;
    read(&s, Read::Statechain(id)).await.map(reply)
}

async fn info_owner(State(s): State<AppState>, p: Params) -> Answer {
    let auth = parse_xonly(param(&p, 0)?)?;
    read(&s, Read::Owner(auth)).await.map(reply)
}

async fn transfer_sender(State(s): State<AppState>, SenderBody(op): SenderBody) -> Answer {
    run(&s, op).await
}

async fn transfer_update_msg(
    State(s): State<AppState>,
    JsonBody(req): JsonBody<UpdateMsgRequest>,
) -> Answer {
    let op = decode::update_msg(req, &s.0.ctx.limits)?;
    run(&s, op).await
}

async fn transfer_unlock(
    State(s): State<AppState>,
    JsonBody(req): JsonBody<BatchCoinRequest>,
) -> Answer {
    run(&s, Op::Unlock(req)).await
}

async fn transfer_abort(
    State(s): State<AppState>,
    JsonBody(req): JsonBody<BatchCoinRequest>,
) -> Answer {
    run(&s, Op::Abort(req)).await
}

async fn transfer_receiver(
    State(s): State<AppState>,
    JsonBody(req): JsonBody<ReceiverRequest>,
) -> Answer {
    run(&s, Op::Receiver(req)).await
}

async fn withdraw(State(s): State<AppState>, JsonBody(req): JsonBody<WithdrawRequest>) -> Answer {
    run(&s, Op::Withdraw(req)).await
}

async fn transfer_receipt(State(s): State<AppState>, p: Params) -> Answer {
    let id = parse_id(param(&p, 0)?)?;
    let seq = decode::seq(param(&p, 1)?)?;
    read(&s, Read::Receipt(id, seq)).await.map(reply)
}

/// A place among the client's long-polls (`--max-waits-per-ip`) when
/// the request waits (`wait` > 0).
fn hold_wait(s: &AppState, client: &ClientOf, wait: u64) -> Result<Option<WaitSlot>, TooManyWaits> {
    match client.0 {
        Some(key) if wait > 0 => match s.0.waits.acquire(key) {
            Some(slot) => Ok(Some(slot)),
            None => {
                tracing::info!(client = %key, "too many long-polls");
                Err(TooManyWaits)
            }
        },
        _ => Ok(None),
    }
}

/// The client holds `--max-waits-per-ip` long-polls already: 429 at once.
struct TooManyWaits;

impl IntoResponse for TooManyWaits {
    fn into_response(self) -> Response {
        // One of the client's own long-polls answers within 30 s, usually sooner.
        crate::limits::too_many(
            "too many long-polls from this address at once; retry when one has answered",
            2,
        )
    }
}

async fn transfer_get_msg_addr(
    State(s): State<AppState>,
    client: ClientOf,
    p: Params,
    uri: Uri,
) -> Answer {
    let auth = parse_xonly(param(&p, 0)?)?;
    let wait = query_u64(&uri, "wait")?.unwrap_or(0);
    let after = query_u64(&uri, "after")?.unwrap_or(0);
    let _slot = match hold_wait(&s, &client, wait) {
        Ok(slot) => slot,
        Err(refused) => return Ok(refused.into_response()),
    };
    long_poll::messages(&s, auth, after, wait).await.map(reply)
}

async fn transfer_batch(
    State(s): State<AppState>,
    client: ClientOf,
    p: Params,
    uri: Uri,
) -> Answer {
    let id = parse_id(param(&p, 0)?)?;
    let wait = query_u64(&uri, "wait")?.unwrap_or(0);
    let since = query_u64(&uri, "since")?;
    // Without `since` there is nothing to wait for: answered at once.
    let wait = if since.is_some() { wait } else { 0 };
    let _slot = match hold_wait(&s, &client, wait) {
        Ok(slot) => slot,
        Err(refused) => return Ok(refused.into_response()),
    };
    long_poll::batch(&s, id, since, wait).await.map(reply)
}

async fn not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

const API_PREFIXES: [&str; 4] = ["/info", "/transfer", "/deposit", "/withdraw"];

/// Unknown API paths are JSON 404s; anything else is the wallet, when served.
async fn fallback(State(s): State<AppState>, req: Request) -> Response {
    let path = req.uri().path();
    let api = API_PREFIXES.iter().any(|p| {
        path == *p
            || path
                .strip_prefix(p)
                .is_some_and(|rest| rest.starts_with('/'))
    });
    match &s.0.static_files {
        Some(files) if !api => {
            if req.method() != Method::GET && req.method() != Method::HEAD {
                return ApiError::MethodNotAllowed.into_response();
            }
            files.serve(req).await
        }
        _ => ApiError::not_found("no such endpoint").into_response(),
    }
}

// ----- guard: client, rate limit, concurrency, timeout -----

async fn guard(State(s): State<AppState>, mut req: Request, next: Next) -> Response {
    if let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied() {
        let ip = s.0.trusted.client_ip(peer.ip(), req.headers());
        let key = ClientKey::of(ip);
        req.extensions_mut().insert(Client { ip, key });
        if !s.0.limiter.allow(key) {
            return crate::limits::too_many(
                "too many requests from this address; retry shortly",
                1,
            );
        }
    }
    let limit = Duration::from_secs(s.0.config.request_timeout.max(1));
    let Ok(Ok(_slot)) = tokio::time::timeout(limit, s.0.slots.clone().acquire_owned()).await else {
        return ApiError::Unavailable("the relay is busy; retry shortly".into()).into_response();
    };
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => ApiError::Unavailable("the request took too long; retry".into()).into_response(),
    }
}

/// `x-request-id`: a per-process random prefix and a counter.
#[derive(Clone)]
struct MakeId {
    prefix: u32,
    next: Arc<AtomicU64>,
}

impl MakeRequestId for MakeId {
    fn make_request_id<B>(&mut self, _req: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{:08x}-{n}", self.prefix))
            .ok()
            .map(RequestId::new)
    }
}

/// The whole application: routes, fallbacks and middleware.
pub fn router(state: AppState) -> Router {
    let prefix = crate::random::random::<4>()
        .map(u32::from_le_bytes)
        .unwrap_or(0);
    let make_id = MakeId {
        prefix,
        next: Arc::new(AtomicU64::new(1)),
    };
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &axum::http::Request<Body>| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path())
        })
        .on_response(DefaultOnResponse::new().level(tracing::Level::INFO));
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods(Any)
        .allow_headers(Any)
        .expose_headers(Any);
    Router::new()
        .route("/info/config", get(info_config))
        .route("/info/statechain/{id}", get(info_statechain))
        .route("/info/owner/{auth}", get(info_owner))
        .route("/deposit/init", post(deposit_init))
        .route("/transfer/sender", post(transfer_sender))
        .route("/transfer/update_msg", post(transfer_update_msg))
        .route("/transfer/get_msg_addr/{auth}", get(transfer_get_msg_addr))
        .route("/transfer/batch/{id}", get(transfer_batch))
        .route("/transfer/unlock", post(transfer_unlock))
        .route("/transfer/abort", post(transfer_abort))
        .route("/transfer/receiver", post(transfer_receiver))
        .route("/transfer/receipt/{id}/{seq}", get(transfer_receipt))
        .route("/withdraw", post(withdraw))
        .method_not_allowed_fallback(not_allowed)
        .fallback(fallback)
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .layer(cors)
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(trace)
        .layer(SetRequestIdLayer::x_request_id(make_id))
        .with_state(state)
}
