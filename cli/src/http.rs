//! The relay transport over HTTP(S): wallet-core's [`Transport`] on reqwest.

use std::time::Duration;
use wallet_core::Error;
use wallet_core::client::{HttpRequest, HttpResponse, Method, Transport};

pub struct Http {
    client: reqwest::Client,
    base: String,
}

impl Http {
    pub fn new(base: &str) -> Result<Http, Error> {
        let base = base.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(Error::Transport(format!(
                "the relay URL {base} does not start with http:// or https://"
            )));
        }
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            // Long-polls last at most 30 s at the relay.
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("lockstep-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Transport(e.to_string()))?;
        Ok(Http { client, base })
    }

    pub fn base(&self) -> &str {
        &self.base
    }
}

impl Transport for Http {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, Error> {
        let url = format!("{}{}", self.base, req.path);
        let builder = match req.method {
            Method::Get => self.client.get(url),
            Method::Post => self
                .client
                .post(url)
                .header("content-type", "application/json")
                .body(req.body.unwrap_or_default()),
        };
        let resp = builder
            .send()
            .await
            .map_err(|e| Error::Transport(describe(&e)))?;
        let status = resp.status().as_u16();
        let body = resp
            .bytes()
            .await
            .map_err(|e| Error::Transport(describe(&e)))?;
        Ok(HttpResponse {
            status,
            body: body.to_vec(),
        })
    }
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "no answer in time".into()
    } else if e.is_connect() {
        "connection refused or no route".into()
    } else {
        e.to_string()
    }
}
