//! One test's world: a relay serving the web wallet, one chromedriver, and
//! the browser sessions opened on it; torn down (sessions closed, driver
//! stopped by pid, relay shut down) even when the test body panics.

use crate::page::Page;
use fantoccini::ClientBuilder;
use relay::clock::SystemClock;
use relay::config::Config;
use serde_json::{Value, json};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Tests run one at a time: each drives two or three Chromium instances,
/// which is all two cores can keep responsive.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lives in the workspace")
        .to_path_buf()
}

pub struct Stack {
    /// The relay (and page) URL, `http://127.0.0.1:PORT`.
    pub base: String,
    pub data_dir: PathBuf,
    /// The web build the relay serves (`dist/`, or `LOCKSTEP_DIST`).
    pub dist: PathBuf,
    relay: tokio::sync::Mutex<Option<relay::Relay>>,
    /// The relay as a process of its own ([`run_with_relay_process`]), so
    /// that a test can stop it (SIGSTOP) like a relay that hangs.
    relay_process: std::sync::Mutex<Option<RelayProcess>>,
    driver: std::sync::Mutex<Option<Driver>>,
    driver_url: String,
    sessions: std::sync::Mutex<Vec<fantoccini::Client>>,
    artifacts: PathBuf,
    shots: AtomicUsize,
    _dir: tempfile::TempDir,
}

/// Runs one end-to-end test: starts the stack (relay with this batch
/// timeout in seconds), runs `body`, tears everything down, then passes
/// the body's panic on.
pub async fn run<F, Fut>(test: &str, batch_timeout: u64, body: F)
where
    F: FnOnce(Arc<Stack>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let _serial = SERIAL.lock().await;
    let stack = Arc::new(Stack::start(test, batch_timeout, false).await);
    run_stack(test, stack, body).await
}

/// [`run`], with the relay as a process of its own (the `relay` binary,
/// `cargo build -p relay`), which the test may pause and resume by its pid
/// ([`Stack::pause_relay`], [`Stack::resume_relay`]).
pub async fn run_with_relay_process<F, Fut>(test: &str, batch_timeout: u64, body: F)
where
    F: FnOnce(Arc<Stack>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let _serial = SERIAL.lock().await;
    let stack = Arc::new(Stack::start(test, batch_timeout, true).await);
    run_stack(test, stack, body).await
}

async fn run_stack<F, Fut>(test: &str, stack: Arc<Stack>, body: F)
where
    F: FnOnce(Arc<Stack>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let outcome = tokio::spawn(body(stack.clone())).await;
    stack.teardown().await;
    match outcome {
        Ok(()) => {}
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("{test}: the test task ended without finishing: {e}"),
    }
}

impl Stack {
    async fn start(test: &str, batch_timeout: u64, own_process: bool) -> Stack {
        let root = workspace_root();
        let dist = std::env::var_os("LOCKSTEP_DIST")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("dist"));
        assert!(
            dist.join("index.html").is_file(),
            "no web build in {}: run `bash scripts/build-web.sh` first (scripts/test.sh does)",
            dist.display()
        );
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::defaults();
        config.listen = "127.0.0.1:0".parse().unwrap();
        config.database = format!("sqlite://{}", dir.path().join("relay.db").display());
        config.rate_limit = 0;
        config.batch_timeout = batch_timeout;
        config.static_dir = Some(dist.clone());
        let (relay, relay_process, base) = if own_process {
            let process = RelayProcess::start(dir.path(), &dist, batch_timeout).await;
            let base = format!("http://{}", process.addr);
            (None, Some(process), base)
        } else {
            let relay = relay::start(config, Arc::new(SystemClock))
                .await
                .expect("the relay starts");
            let base = format!("http://{}", relay.addr);
            (Some(relay), None, base)
        };
        let (driver, driver_url) = start_chromedriver().await;
        let artifacts = std::env::var_os("LOCKSTEP_ARTIFACTS")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("artifacts"))
            .join("e2e")
            .join(test);
        let _ = std::fs::remove_dir_all(&artifacts);
        std::fs::create_dir_all(&artifacts).unwrap();
        Stack {
            base,
            data_dir: dir.path().to_path_buf(),
            dist,
            relay: tokio::sync::Mutex::new(relay),
            relay_process: std::sync::Mutex::new(relay_process),
            driver: std::sync::Mutex::new(Some(driver)),
            driver_url,
            sessions: std::sync::Mutex::new(Vec::new()),
            artifacts,
            shots: AtomicUsize::new(0),
            _dir: dir,
        }
    }

    /// A new browser session (a fresh profile: its own IndexedDB), named
    /// for screenshots, with the wallet page loaded.
    pub async fn browser(self: &Arc<Self>, name: &str) -> Page {
        self.browser_with(name, &[]).await
    }

    /// [`Stack::browser`] with more Chromium flags (a fake camera, say).
    pub async fn browser_with(self: &Arc<Self>, name: &str, extra_args: &[String]) -> Page {
        let page = self.session_with(name, extra_args).await;
        page.open().await;
        page
    }

    /// A new browser session as [`Stack::browser`], on no page yet (to set
    /// up the browser, e.g. network emulation, before the first load).
    pub async fn session(self: &Arc<Self>, name: &str) -> Page {
        self.session_with(name, &[]).await
    }

    async fn session_with(self: &Arc<Self>, name: &str, extra_args: &[String]) -> Page {
        let mut caps = json!({
            // The console (CSP violations included) for Page::console_errors.
            "goog:loggingPrefs": { "browser": "ALL" },
            "goog:chromeOptions": {
                "binary": chromium(),
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    // Background tabs are not throttled: each session is
                    // the only tab of its window, but be explicit.
                    "--disable-background-timer-throttling",
                    "--disable-renderer-backgrounding",
                    "--window-size=1100,1000",
                ]
            }
        });
        if let Some(args) = caps["goog:chromeOptions"]["args"].as_array_mut() {
            args.extend(extra_args.iter().cloned().map(Value::String));
        }
        let Value::Object(caps) = caps else {
            unreachable!("a JSON object literal")
        };
        let mut builder =
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        builder.capabilities(caps);
        let client = builder
            .connect(&self.driver_url)
            .await
            .expect("chromedriver opens a Chromium session");
        self.sessions.lock().unwrap().push(client.clone());
        Page::new(client, name, self.clone())
    }

    /// Saves a PNG of the page as `NN-<party>-<what>.png`.
    pub(crate) async fn screenshot(&self, client: &fantoccini::Client, party: &str, what: &str) {
        let n = self.shots.fetch_add(1, Ordering::SeqCst);
        match client.screenshot().await {
            Ok(png) => {
                let path = self.artifacts.join(format!("{n:02}-{party}-{what}.png"));
                if let Err(e) = std::fs::write(&path, png) {
                    eprintln!("e2e: cannot save {}: {e}", path.display());
                }
            }
            Err(e) => eprintln!("e2e: no screenshot of {party}/{what}: {e}"),
        }
    }

    /// POSTs `body` to chromedriver's `path` in the session of `client`
    /// (a command WebDriver itself lacks); the answer's status and JSON.
    async fn driver_post(
        &self,
        client: &fantoccini::Client,
        path: &str,
        body: String,
    ) -> (reqwest::StatusCode, Value) {
        let id = client
            .session_id()
            .await
            .ok()
            .flatten()
            .expect("a WebDriver session id");
        let resp = reqwest::Client::new()
            .post(format!("{}/session/{id}/{path}", self.driver_url))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("chromedriver answers {path}: {e}"));
        let status = resp.status();
        let body = serde_json::from_str(&resp.text().await.unwrap_or_default())
            .unwrap_or_else(|e| panic!("{path}: chromedriver's answer is not JSON ({e})"));
        (status, body)
    }

    /// The browser console's entries since the last call (chromedriver's
    /// log endpoint: it drains what it returns), as `LEVEL message`.
    pub(crate) async fn browser_log(&self, client: &fantoccini::Client) -> Vec<String> {
        let (_, body) = self
            .driver_post(client, "se/log", r#"{"type":"browser"}"#.to_string())
            .await;
        let Some(entries) = body["value"].as_array() else {
            panic!("chromedriver gave no browser log: {body}");
        };
        entries
            .iter()
            .map(|e| {
                format!(
                    "{} {}",
                    e["level"].as_str().unwrap_or("?"),
                    e["message"].as_str().unwrap_or("")
                )
            })
            .collect()
    }

    /// Runs a Chrome DevTools Protocol command in this session through
    /// chromedriver's `goog/cdp/execute` (the emulations WebDriver has no
    /// command for: screen size, colour scheme, network); returns its result.
    pub(crate) async fn cdp(&self, client: &fantoccini::Client, cmd: &str, params: Value) -> Value {
        let body = json!({ "cmd": cmd, "params": params }).to_string();
        let (status, body) = self.driver_post(client, "goog/cdp/execute", body).await;
        assert!(status.is_success(), "{cmd} failed ({status}): {body}");
        body["value"].clone()
    }

    /// `GET` a relay path as JSON (for checks against the relay's own word).
    pub async fn relay_get(&self, path: &str) -> Value {
        let addr = self.base.trim_start_matches("http://").to_string();
        let body = try_http_get(&addr, path)
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {body}"))
    }

    async fn teardown(&self) {
        let sessions: Vec<_> = self.sessions.lock().unwrap().drain(..).collect();
        for s in sessions {
            let _ = tokio::time::timeout(Duration::from_secs(10), s.close()).await;
        }
        drop(self.driver.lock().unwrap().take());
        if let Some(r) = self.relay.lock().await.take() {
            let _ = r.shutdown().await;
        }
        drop(self.relay_process.lock().unwrap().take());
    }

    /// Stops the relay process (SIGSTOP): it accepts connections (the
    /// kernel does) and answers nothing, like a relay that hangs.
    pub fn pause_relay(&self) {
        self.signal_relay("-STOP");
    }

    /// Lets the stopped relay process go on (SIGCONT).
    pub fn resume_relay(&self) {
        self.signal_relay("-CONT");
    }

    /// Ends the relay process (SIGKILL): nothing listens on its port any
    /// more, as for a device that is offline.
    pub fn stop_relay(&self) {
        let process = self.relay_process.lock().unwrap().take();
        assert!(
            process.is_some(),
            "a relay process: use run_with_relay_process"
        );
        drop(process);
    }

    fn signal_relay(&self, signal: &str) {
        let guard = self.relay_process.lock().unwrap();
        let process = guard
            .as_ref()
            .expect("a relay process: use run_with_relay_process");
        process.signal(signal);
    }
}

/// The `relay` binary: `$LOCKSTEP_RELAY`, else beside this test's own
/// binary in the target directory (`cargo build -p relay` puts it there).
fn relay_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("LOCKSTEP_RELAY") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    // target/<profile>/deps/<test> → target/<profile>/relay
    let bin = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join("relay"))
        .expect("a target directory");
    assert!(
        bin.is_file(),
        "no relay binary at {}: run `cargo build -p relay` first (or set LOCKSTEP_RELAY)",
        bin.display()
    );
    bin
}

/// The relay in a process of its own, killed by its pid when dropped.
struct RelayProcess {
    child: Child,
    addr: String,
}

impl RelayProcess {
    async fn start(dir: &Path, dist: &Path, batch_timeout: u64) -> RelayProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let addr = format!("127.0.0.1:{port}");
        let bin = relay_bin();
        let child = Command::new(&bin)
            .arg("--listen")
            .arg(&addr)
            .arg("--database")
            .arg(format!("sqlite://{}", dir.join("relay.db").display()))
            .arg("--rate-limit=0")
            .arg(format!("--batch-timeout={batch_timeout}"))
            .arg("--static-dir")
            .arg(dist)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {} ({e})", bin.display()));
        let process = RelayProcess { child, addr };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Ok(body)) = tokio::time::timeout(
                Duration::from_secs(2),
                try_http_get(&process.addr, "/info/config"),
            )
            .await
                && body.contains("relay_pubkey")
            {
                return process;
            }
            if Instant::now() > deadline {
                panic!("the relay did not answer on {} within 20 s", process.addr);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(signal)
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {signal} {}", self.child.id());
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        // SIGKILL ends a stopped process too.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_string())
}

/// The chromedriver process, stopped (by its pid) when dropped.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// chromedriver on a free loopback port, answering `/status`.
async fn start_chromedriver() -> (Driver, String) {
    let bin = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".to_string());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(&bin)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {bin} ({e}): run `bash scripts/setup.sh`"));
    let driver = Driver(child);
    let addr = format!("127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(Ok(body)) =
            tokio::time::timeout(Duration::from_secs(2), try_http_get(&addr, "/status")).await
            && body.contains("\"ready\"")
        {
            return (driver, format!("http://{addr}"));
        }
        if Instant::now() > deadline {
            panic!("{bin} did not answer on {addr} within 20 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn try_http_get(addr: &str, path: &str) -> Result<String, reqwest::Error> {
    reqwest::get(format!("http://{addr}{path}"))
        .await?
        .text()
        .await
}
