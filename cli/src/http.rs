//! The relay transport over HTTP(S): wallet-core's [`Transport`] on reqwest.

use std::time::Duration;
use wallet_core::Error;
use wallet_core::client::{HttpRequest, HttpResponse, Method, Transport};

#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    base: String,
    /// Sent with every request: see [`Http::with_header`].
    headers: Vec<(String, String)>,
}

impl Http {
    /// The CLI's transport: its own client, with connect and answer
    /// timeouts.
    pub fn new(base: &str) -> Result<Http, Error> {
        let base = checked_base(base)?;
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            // Long-polls last at most 30 s at the relay.
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("lockstep-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Transport(e.to_string()))?;
        Ok(Http::on(client, base))
    }

    /// The transport over a client of the caller's (its pool, timeouts and
    /// user agent): the relay's tests and the benchmark.
    pub fn with_client(client: reqwest::Client, base: &str) -> Result<Http, Error> {
        Ok(Http::on(client, checked_base(base)?))
    }

    fn on(client: reqwest::Client, base: String) -> Http {
        Http {
            client,
            base,
            headers: Vec::new(),
        }
    }

    /// The same transport, sending `name: value` with every request (in
    /// place of any value given for `name` before); e.g. the benchmark's
    /// `X-Forwarded-For`, one per simulated client. A name or value that
    /// is not a valid header fails each request.
    pub fn with_header(mut self, name: &str, value: &str) -> Http {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn base(&self) -> &str {
        &self.base
    }
}

impl Transport for Http {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, Error> {
        let url = format!("{}{}", self.base, req.path);
        let mut builder = match req.method {
            Method::Get => self.client.get(url),
            Method::Post => self
                .client
                .post(url)
                .header("content-type", "application/json")
                .body(req.body.unwrap_or_default()),
        };
        for (name, value) in &self.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
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

/// The relay URL without a trailing `/`, if it is HTTP(S).
fn checked_base(base: &str) -> Result<String, Error> {
    let base = base.trim_end_matches('/').to_string();
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(Error::Transport(format!(
            "the relay URL {base} does not start with http:// or https://"
        )));
    }
    Ok(base)
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
