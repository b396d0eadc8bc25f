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
            // Each request also has its own answer timeout (see `send`).
            .timeout(Duration::from_secs(70))
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
        // The wallets' one answer timeout (wallet-core): 10 s beyond a
        // long-poll's wait, so a relay that hangs is noticed in seconds.
        let timeout = Duration::from_millis(req.timeout_ms());
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
            .timeout(timeout)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;

    /// The header lines of one request to a one-shot HTTP server.
    fn one_request() -> (String, std::thread::JoinHandle<Vec<String>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}/", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut lines = Vec::new();
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line.trim().is_empty() {
                    break;
                }
                lines.push(line.trim().to_ascii_lowercase());
            }
            conn.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}")
                .unwrap();
            lines
        });
        (base, server)
    }

    #[tokio::test]
    async fn with_header_sends_one_value_per_name() {
        let (base, server) = one_request();
        let http = Http::with_client(reqwest::Client::new(), &base)
            .unwrap()
            .with_header("x-forwarded-for", "10.1.0.1")
            .with_header("X-Forwarded-For", "10.1.0.2");
        let resp = http
            .send(HttpRequest {
                method: Method::Get,
                path: "/info/config".into(),
                body: None,
            })
            .await
            .unwrap();
        assert_eq!((resp.status, resp.body), (200, b"{}".to_vec()));
        let lines = server.join().unwrap();
        assert_eq!(lines[0], "get /info/config http/1.1");
        let forwarded: Vec<&String> = lines
            .iter()
            .filter(|l| l.starts_with("x-forwarded-for:"))
            .collect();
        assert_eq!(forwarded, ["x-forwarded-for: 10.1.0.2"]);
    }

    #[test]
    fn the_relay_url_is_http() {
        assert!(Http::new("ftp://relay").is_err());
        let http = Http::with_client(reqwest::Client::new(), "https://relay.example/").unwrap();
        assert_eq!(http.base(), "https://relay.example");
    }
}
