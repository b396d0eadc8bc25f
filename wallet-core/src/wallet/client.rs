//! The relay-client interface: request builders and response parsing for
//! every endpoint of §8, over a one-method [`Transport`] that the web app
//! implements with `fetch`, native tools with an HTTP client, and tests with
//! the in-memory relay ([`crate::sim`]).

use crate::error::{Error, ErrorCode};
use crate::receipt::Receipt;
use crate::types::{Id, XOnly};
use crate::wire::{
    self, BatchCoinRequest, BatchInfo, BatchStatus, ConfigResponse, DepositRequest,
    DepositResponse, ErrorBody, MessageEntry, MessagesResponse, OkResponse, OwnerResponse,
    ReceiverRequest, ReceiverResponse, SenderRequest, SenderResponse, StatechainInfo,
    UpdateMsgRequest, WithdrawRequest,
};
use serde::de::DeserializeOwned;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// A request to the relay, relative to its base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: Method,
    /// Path and query, e.g. `/transfer/batch/{id}?wait=10&since=3`.
    pub path: String,
    pub body: Option<String>,
}

/// How long any request may go unanswered before a host gives up on it
/// (and shows the relay as unreachable), beyond the time a long-poll asked
/// the relay to wait.
pub const REQUEST_TIMEOUT_MS: u64 = 10_000;

impl HttpRequest {
    /// The seconds this request asks the relay to hold it (`wait=`), if any.
    pub fn wait_secs(&self) -> Option<u64> {
        let (_, query) = self.path.split_once('?')?;
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix("wait="))
            .and_then(|v| v.parse().ok())
    }

    /// How long a host lets this request run: [`REQUEST_TIMEOUT_MS`], plus
    /// the wait of a long-poll.
    pub fn timeout_ms(&self) -> u64 {
        REQUEST_TIMEOUT_MS + self.wait_secs().unwrap_or(0).min(60) * 1000
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Sends one request. Fails only when no HTTP answer arrived; HTTP errors
/// are answers and are parsed by [`parse`].
// `async fn` in a public trait: the wasm host's futures are not `Send`, so
// no `Send` bound is wanted here.
#[allow(async_fn_in_trait)]
pub trait Transport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, Error>;
}

impl<T: Transport + ?Sized> Transport for &T {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        (**self).send(request).await
    }
}

/// Turns an answer into `T` or the relay's error as [`Error::Relay`].
pub fn parse<T: DeserializeOwned>(response: &HttpResponse) -> Result<T, Error> {
    if response.status == 200 {
        return wire::decode(&response.body)
            .map_err(|e| Error::Transport(format!("unexpected answer from the relay: {e}")));
    }
    match wire::decode::<ErrorBody>(&response.body) {
        Ok(b) => Err(Error::Relay {
            code: b.error.code,
            message: b.error.message,
        }),
        Err(_) => Err(Error::Transport(format!(
            "the relay answered HTTP {}",
            response.status
        ))),
    }
}

fn get(path: String) -> HttpRequest {
    HttpRequest {
        method: Method::Get,
        path,
        body: None,
    }
}

fn post<B: serde::Serialize>(path: &str, body: &B) -> HttpRequest {
    HttpRequest {
        method: Method::Post,
        path: path.to_string(),
        body: Some(wire::encode(body)),
    }
}

/// Builders for every endpoint; [`RelayClient`] pairs them with [`parse`].
pub mod requests {
    use super::*;

    pub fn config() -> HttpRequest {
        get("/info/config".into())
    }
    pub fn deposit(r: &DepositRequest) -> HttpRequest {
        post("/deposit/init", r)
    }
    pub fn statechain(id: &Id) -> HttpRequest {
        get(format!("/info/statechain/{id}"))
    }
    pub fn owner(auth: &XOnly) -> HttpRequest {
        get(format!("/info/owner/{auth}"))
    }
    pub fn sender(r: &SenderRequest) -> HttpRequest {
        post("/transfer/sender", r)
    }
    pub fn update_msg(r: &UpdateMsgRequest) -> HttpRequest {
        post("/transfer/update_msg", r)
    }
    pub fn messages(auth: &XOnly, wait: Option<u64>, after: Option<u64>) -> HttpRequest {
        let query = query(&[("wait", wait), ("after", after)]);
        get(format!("/transfer/get_msg_addr/{auth}{query}"))
    }
    pub fn batch(id: &Id, wait: Option<u64>, since: Option<u64>) -> HttpRequest {
        let query = query(&[("wait", wait), ("since", since)]);
        get(format!("/transfer/batch/{id}{query}"))
    }

    /// `?a=1&b=2` from the parameters that are present, or nothing.
    fn query(params: &[(&str, Option<u64>)]) -> String {
        let q: Vec<String> = params
            .iter()
            .filter_map(|(k, v)| v.map(|v| format!("{k}={v}")))
            .collect();
        if q.is_empty() {
            String::new()
        } else {
            format!("?{}", q.join("&"))
        }
    }
    pub fn unlock(r: &BatchCoinRequest) -> HttpRequest {
        post("/transfer/unlock", r)
    }
    pub fn abort(r: &BatchCoinRequest) -> HttpRequest {
        post("/transfer/abort", r)
    }
    pub fn receiver(r: &ReceiverRequest) -> HttpRequest {
        post("/transfer/receiver", r)
    }
    pub fn receipt(id: &Id, seq: u64) -> HttpRequest {
        get(format!("/transfer/receipt/{id}/{seq}"))
    }
    pub fn withdraw(r: &WithdrawRequest) -> HttpRequest {
        post("/withdraw", r)
    }
}

/// Most pages of messages a wallet reads for one key in one look (100 000
/// messages): the bound on what a flood of junk can make it download.
pub const MAX_MESSAGE_PAGES: usize = 1000;

/// Typed access to a relay over any [`Transport`].
#[derive(Debug, Clone)]
pub struct RelayClient<T> {
    pub transport: T,
}

impl<T: Transport> RelayClient<T> {
    pub fn new(transport: T) -> Self {
        RelayClient { transport }
    }

    async fn call<R: DeserializeOwned>(&self, request: HttpRequest) -> Result<R, Error> {
        parse(&self.transport.send(request).await?)
    }

    pub async fn config(&self) -> Result<ConfigResponse, Error> {
        self.call(requests::config()).await
    }
    pub async fn deposit(&self, r: &DepositRequest) -> Result<DepositResponse, Error> {
        self.call(requests::deposit(r)).await
    }
    pub async fn statechain(&self, id: &Id) -> Result<StatechainInfo, Error> {
        self.call(requests::statechain(id)).await
    }
    pub async fn owner(&self, auth: &XOnly) -> Result<OwnerResponse, Error> {
        self.call(requests::owner(auth)).await
    }
    pub async fn sender(&self, r: &SenderRequest) -> Result<SenderResponse, Error> {
        self.call(requests::sender(r)).await
    }
    pub async fn update_msg(&self, r: &UpdateMsgRequest) -> Result<OkResponse, Error> {
        self.call(requests::update_msg(r)).await
    }
    /// One page of messages for `auth`: those after cursor `after`.
    pub async fn messages(
        &self,
        auth: &XOnly,
        wait: Option<u64>,
        after: Option<u64>,
    ) -> Result<MessagesResponse, Error> {
        self.call(requests::messages(auth, wait, after)).await
    }

    /// Every message for `auth`, page after page (§8: a flood of junk for
    /// one key can make the list long, never one answer large). Only the
    /// first request long-polls (`wait`); at most `max_pages` are read, so
    /// a flood cannot keep a wallet paging forever either.
    pub async fn all_messages(
        &self,
        auth: &XOnly,
        wait: Option<u64>,
        max_pages: usize,
    ) -> Result<Vec<MessageEntry>, Error> {
        let mut page = self.messages(auth, wait, None).await?;
        let mut all = std::mem::take(&mut page.messages);
        let mut pages = 1;
        while let Some(after) = page.next {
            if pages == max_pages {
                break;
            }
            page = self.messages(auth, None, Some(after)).await?;
            // A relay that does not move on would keep a wallet paging forever.
            if page.messages.first().is_none_or(|m| m.cursor <= after) {
                break;
            }
            all.append(&mut page.messages);
            pages += 1;
        }
        Ok(all)
    }
    pub async fn batch(
        &self,
        id: &Id,
        wait: Option<u64>,
        since: Option<u64>,
    ) -> Result<BatchInfo, Error> {
        self.call(requests::batch(id, wait, since)).await
    }
    pub async fn unlock(&self, r: &BatchCoinRequest) -> Result<BatchStatus, Error> {
        self.call(requests::unlock(r)).await
    }
    pub async fn abort(&self, r: &BatchCoinRequest) -> Result<BatchStatus, Error> {
        self.call(requests::abort(r)).await
    }
    pub async fn receiver(&self, r: &ReceiverRequest) -> Result<ReceiverResponse, Error> {
        self.call(requests::receiver(r)).await
    }
    pub async fn receipt(&self, id: &Id, seq: u64) -> Result<Receipt, Error> {
        self.call(requests::receipt(id, seq)).await
    }
    pub async fn withdraw(&self, r: &WithdrawRequest) -> Result<Receipt, Error> {
        self.call(requests::withdraw(r)).await
    }
}

/// The relay's code when `e` is a relay refusal.
pub fn relay_code(e: &Error) -> Option<ErrorCode> {
    match e {
        Error::Relay { code, .. } => Some(*code),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn get(path: &str) -> HttpRequest {
        HttpRequest {
            method: Method::Get,
            path: path.into(),
            body: None,
        }
    }

    #[test]
    fn a_request_times_out_after_ten_seconds_beyond_its_wait() {
        assert_eq!(get("/info/config").timeout_ms(), 10_000);
        assert_eq!(
            get("/transfer/batch/x?wait=25&since=3").timeout_ms(),
            35_000
        );
        assert_eq!(
            get("/transfer/batch/x?since=3&wait=10").wait_secs(),
            Some(10)
        );
        // A nonsense or huge wait does not make a request wait forever.
        assert_eq!(get("/x?wait=lots").timeout_ms(), 10_000);
        assert_eq!(get("/x?wait=99999").timeout_ms(), 70_000);
        assert_eq!(get("/x?await=5").wait_secs(), None);
    }

    #[test]
    fn error_answers_become_relay_errors() {
        let r = HttpResponse {
            status: 409,
            body: br#"{"error":{"code":"batch_locked","message":"m"}}"#.to_vec(),
        };
        let e = parse::<OkResponse>(&r).unwrap_err();
        assert_eq!(relay_code(&e), Some(ErrorCode::BatchLocked));
        let garbage = HttpResponse {
            status: 502,
            body: b"<html>".to_vec(),
        };
        assert!(matches!(
            parse::<OkResponse>(&garbage),
            Err(Error::Transport(_))
        ));
    }

    #[test]
    fn batch_query_string() {
        let id = Id::parse("67e55044-10b1-426f-9247-bb680e5fe0c8").unwrap();
        assert_eq!(
            requests::batch(&id, Some(10), Some(3)).path,
            format!("/transfer/batch/{id}?wait=10&since=3")
        );
        assert_eq!(
            requests::batch(&id, None, None).path,
            format!("/transfer/batch/{id}")
        );
    }
}
