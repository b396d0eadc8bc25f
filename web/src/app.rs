//! The page: wallet list, create / restore / import, unlock, and the
//! wallet itself (coins, receive, send, swap, history, settings).
//!
//! Stable hooks for tests (documented in the README): primary actions are
//! `<button>`s with visible text, and key values carry `data-testid`.

use crate::browser::{self, BrowserEntropy};
use crate::clock::{format_duration, swap_countdown};
use crate::errors::UiError;
use crate::host::{Env, Host};
use crate::secrets;
use crate::store::{LeaseDecision, Store, WalletMeta};
use crate::view::{self, sats, short_id};
use std::rc::Rc;
use wallet_core::address::Network;
use wallet_core::entropy::Entropy;
use wallet_core::invite::Invite;
use wallet_core::keys::{Mnemonic, WalletKeys};
use wallet_core::machine::Event;
use wallet_core::machine::swap::{GetState, Swap, SwapPhase};
use wallet_core::vault::KdfParams;
use wallet_core::verify::Report;
use wallet_core::wallet::{Record, Wallet};
use wallet_core::{Error, Id};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

// ---------- small components ----------

#[derive(Properties, PartialEq)]
pub struct QrProps {
    pub text: AttrValue,
    #[prop_or_default]
    pub testid: AttrValue,
}

/// A QR code of `text`, drawn as SVG.
#[component]
pub fn Qr(props: &QrProps) -> Html {
    match crate::qr::svg_path(&props.text) {
        Some((side, d)) => html! {
            <svg class="qr" data-testid={props.testid.clone()} viewBox={format!("0 0 {side} {side}")}
                 role="img" aria-label="QR code" shape-rendering="crispEdges">
                <rect width={side.to_string()} height={side.to_string()} fill="#fff"/>
                <path d={d} fill="#111"/>
            </svg>
        },
        None => html! { <p class="muted">{"Too long for a QR code: copy the text instead."}</p> },
    }
}

#[derive(Properties, PartialEq)]
pub struct CopyProps {
    pub text: AttrValue,
    #[prop_or(AttrValue::Static("Copy"))]
    pub label: AttrValue,
}

/// A button that copies `text` and says so.
#[component]
pub fn CopyButton(props: &CopyProps) -> Html {
    let copied = use_state(|| None::<bool>);
    let onclick = {
        let text = props.text.to_string();
        let copied = copied.clone();
        Callback::from(move |_: MouseEvent| {
            let text = text.clone();
            let copied = copied.clone();
            wasm_bindgen_futures::spawn_local(async move {
                copied.set(Some(browser::copy_text(&text).await));
            });
        })
    };
    let label = match *copied {
        Some(true) => "Copied".to_string(),
        Some(false) => "Copy failed: select the text".to_string(),
        None => props.label.to_string(),
    };
    html! { <button type="button" class="secondary" {onclick}>{label}</button> }
}

#[derive(Properties, PartialEq)]
pub struct ChecksProps {
    pub report: Report,
}

/// Every §7 check with its result and sentence.
#[component]
pub fn Checks(props: &ChecksProps) -> Html {
    html! {
        <ul class="checks" data-testid="verification"
            data-passed={props.report.all_passed().to_string()}>
            { for props.report.checks.iter().map(|c| {
                let (class, mark) = if c.passed { ("pass", "✓") } else if c.ran { ("fail", "✗") } else { ("skip", "–") };
                html! {
                    <li class={classes!("check", class)} data-check={c.id.as_str()}>
                        <span class="mark" aria-hidden="true">{mark}</span>
                        <span class="title">{c.id.title()}</span>
                        <span class="detail">{&c.detail}</span>
                    </li>
                }
            }) }
            if props.report.equivocation.is_some() {
                <li class="check fail"><span class="mark">{"✗"}</span>
                    <span class="title">{"Relay misbehaviour"}</span>
                    <span class="detail">{"The relay signed two different owners for one step of this coin's history. The proof is kept in History; export it."}</span></li>
            }
        </ul>
    }
}

// ---------- the app ----------

#[derive(Clone, PartialEq)]
pub enum Screen {
    Loading,
    NoStorage,
    Welcome,
    Create,
    ShowPhrase {
        name: String,
        password: String,
        phrase: Mnemonic,
    },
    ConfirmPhrase {
        name: String,
        password: String,
        phrase: Mnemonic,
        positions: [usize; 3],
    },
    Restore,
    Import,
    Unlock(String),
    /// Another tab holds the wallet; this tab has it unlocked and may take over.
    Held(String),
    Wallet,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Coins,
    Receive,
    Send,
    Swap,
    History,
    Settings,
}

/// A wallet whose vault just opened.
pub struct Unlocked {
    meta: WalletMeta,
    keys: WalletKeys,
    phrase: Mnemonic,
    find_coins: bool,
}

pub enum Msg {
    /// IndexedDB opened (or could not).
    StorageOpened(Result<Store, UiError>),
    Listed(Vec<WalletMeta>),
    Config(bool),
    Changed,
    Tick,
    Go(Screen),
    Tab(Tab),
    Error(Option<String>),
    Info(Option<String>),
    Busy(Option<String>),
    CreateSubmit,
    PhraseWritten,
    ConfirmSubmit,
    RestoreSubmit,
    ImportSubmit,
    UnlockSubmit,
    /// The vault opened: take the lease, then drive the wallet.
    Unlocked(Box<Unlocked>),
    /// Whether this tab got the wallet's lease.
    Lease(Result<LeaseDecision, UiError>),
    TakeOver,
    /// Try the lease again (the other tab may have closed).
    RetryLease,
    /// The address fragment changed (an invite link opened in this tab).
    HashChanged,
    /// The wallet runs: its host, and whether to look for the phrase's coins.
    Running(Rc<Host>, bool),
    Lock,
    Deposit,
    NewAddress,
    Address(Result<String, UiError>),
    Send,
    ToggleCoin(Id),
    CreateInvite,
    InviteMade(Result<String, UiError>),
    CancelInvite(Id),
    Accept,
    JoinPreview,
    Join,
    Joined(Result<(String, String), UiError>),
    OpenSwap(String),
    /// The inviter pasted the join answer: the swap with this record id runs.
    SwapStarted(Result<String, UiError>),
    UserEvent(String, Box<Event>),
    SetManual(bool),
    ExportBackup,
    ExportReceipt(usize),
    ExportProofs,
    Delete(bool),
    Done(Result<String, UiError>),
}

#[derive(Default)]
struct Refs {
    name: NodeRef,
    password: NodeRef,
    password2: NodeRef,
    phrase: NodeRef,
    words: [NodeRef; 3],
    file: NodeRef,
    amount: NodeRef,
    address: NodeRef,
    send_coin: NodeRef,
    want: NodeRef,
    invite: NodeRef,
    answer: NodeRef,
    export_password: NodeRef,
}

fn input(r: &NodeRef) -> String {
    if let Some(i) = r.cast::<HtmlInputElement>() {
        return i.value();
    }
    if let Some(t) = r.cast::<HtmlTextAreaElement>() {
        return t.value();
    }
    if let Some(s) = r.cast::<web_sys::HtmlSelectElement>() {
        return s.value();
    }
    String::new()
}

fn clear(r: &NodeRef) {
    if let Some(i) = r.cast::<HtmlInputElement>() {
        i.set_value("");
    }
    if let Some(t) = r.cast::<HtmlTextAreaElement>() {
        t.set_value("");
    }
}

/// Runs `f` and delivers its message. Boxed, so Yew's `send_future` is
/// instantiated once rather than once per call site (wasm size).
fn send(ctx: &Context<App>, f: impl std::future::Future<Output = Msg> + 'static) {
    let f: futures::future::LocalBoxFuture<'static, Msg> = Box::pin(f);
    ctx.link().send_future(f);
}

/// The demo deposit when its field is left empty (shown as the
/// placeholder: a `value=` would be reset on every re-render, since Yew
/// treats it as controlled, and wipe what the user typed).
const DEMO_DEFAULT: u64 = 10_000;

fn parse_amount(text: &str) -> Result<u64, UiError> {
    let t: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '_')
        .collect();
    match t.parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(UiError::BadAmount),
    }
}

pub struct App {
    env: Rc<Env>,
    store: Option<Store>,
    storage_error: Option<UiError>,
    wallets: Vec<WalletMeta>,
    screen: Screen,
    tab: Tab,
    host: Option<Rc<Host>>,
    /// Unlocked but not yet driving (lease held elsewhere).
    unlocked: Option<Unlocked>,
    /// The phrase of the open wallet (for the backup file).
    phrase: Option<Mnemonic>,
    error: Option<String>,
    info: Option<String>,
    busy: Option<String>,
    online: bool,
    config_ok: bool,
    refs: Refs,
    /// Coins ticked on the swap page (a list: few, and one tree type less).
    selected: Vec<Id>,
    last_address: Option<String>,
    last_invite: Option<String>,
    /// The join answer this wallet made, with its swap's record id.
    last_answer: Option<(String, String)>,
    join_preview: Option<Invite>,
    open_swap: Option<String>,
    /// An invite that arrived as a link (`#join=lsi1…`), to join once a
    /// wallet is open.
    linked_invite: Option<String>,
    confirm_delete: bool,
    tab_id: String,
    _listeners: Vec<Closure<dyn FnMut()>>,
    _interval: Option<i32>,
}

impl App {
    fn store(&self) -> Option<Store> {
        self.store.clone()
    }

    fn fail(&mut self, e: UiError) {
        self.busy = None;
        self.error = Some(e.to_string());
    }

    fn network(&self) -> Network {
        self.env
            .config
            .borrow()
            .as_ref()
            .map(|c| c.network)
            .unwrap_or(Network::Demo)
    }

    fn refresh_list(&self, ctx: &Context<Self>) {
        if let Some(store) = self.store() {
            send(ctx, async move {
                Msg::Listed(store.list().await.unwrap_or_default())
            });
        }
    }

    /// Shows `busy_text`, then runs `job` once the page has drawn it: the
    /// job blocks the page (Argon2), so the message must be up first.
    fn run_blocking(
        &mut self,
        ctx: &Context<Self>,
        busy_text: &str,
        job: impl std::future::Future<Output = Msg> + 'static,
    ) {
        self.busy = Some(busy_text.to_string());
        self.error = None;
        send(ctx, async move {
            browser::sleep(50.0).await;
            job.await
        });
    }
}

impl Component for App {
    type Message = Msg;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        let env = Env::new();
        let link = ctx.link().clone();
        env.net
            .on_change(Rc::new(move || link.send_message(Msg::Changed)));
        send(ctx, async {
            let store = Store::open().await;
            if store.is_ok() {
                browser::request_persistent_storage().await;
            }
            Msg::StorageOpened(store)
        });
        let e = env.clone();
        let link = ctx.link().clone();
        wasm_bindgen_futures::spawn_local(async move {
            // The relay may be down at first: keep trying, then keep the
            // clock in step every few minutes.
            let mut ok = false;
            loop {
                let r = e.refresh_config().await.is_ok();
                if r != ok || !ok {
                    link.send_message(Msg::Config(r));
                }
                ok = r;
                browser::sleep(if ok { 300_000.0 } else { 3_000.0 }).await;
            }
        });
        let mut listeners = Vec::new();
        if let Some(w) = web_sys::window() {
            for ev in ["online", "offline"] {
                let link = ctx.link().clone();
                let c = Closure::<dyn FnMut()>::new(move || link.send_message(Msg::Changed));
                let _ = w.add_event_listener_with_callback(ev, c.as_ref().unchecked_ref());
                listeners.push(c);
            }
        }
        if let Some(w) = web_sys::window() {
            let link = ctx.link().clone();
            let c = Closure::<dyn FnMut()>::new(move || link.send_message(Msg::HashChanged));
            let _ = w.add_event_listener_with_callback("hashchange", c.as_ref().unchecked_ref());
            listeners.push(c);
        }
        let link = ctx.link().clone();
        let tick = Closure::<dyn FnMut()>::new(move || link.send_message(Msg::Tick));
        let interval = web_sys::window().and_then(|w| {
            w.set_interval_with_callback_and_timeout_and_arguments_0(
                tick.as_ref().unchecked_ref(),
                1000,
            )
            .ok()
        });
        listeners.push(tick);
        App {
            env,
            store: None,
            storage_error: None,
            wallets: Vec::new(),
            screen: Screen::Loading,
            tab: Tab::Coins,
            host: None,
            unlocked: None,
            phrase: None,
            error: None,
            info: None,
            busy: None,
            online: browser::online(),
            config_ok: false,
            refs: Refs::default(),
            selected: Vec::new(),
            last_address: None,
            last_invite: None,
            last_answer: None,
            join_preview: None,
            open_swap: None,
            linked_invite: browser::linked_invite(),
            confirm_delete: false,
            tab_id: browser::tab_id(),
            _listeners: listeners,
            _interval: interval,
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        self.online = browser::online();
        match msg {
            Msg::StorageOpened(Ok(store)) => {
                self.store = Some(store);
                self.screen = Screen::Welcome;
                self.refresh_list(ctx);
            }
            Msg::StorageOpened(Err(e)) => {
                self.storage_error = Some(e);
                self.screen = Screen::NoStorage;
            }
            Msg::Listed(l) => {
                self.wallets = l;
            }
            Msg::Config(ok) => self.config_ok = ok,
            Msg::Changed => {
                if let Some(h) = &self.host
                    && h.lost_lease.get()
                {
                    let name = h.meta.borrow().name.clone();
                    self.host = None;
                    self.screen = Screen::Held(name);
                }
            }
            Msg::Tick => {
                // Redraw only where time shows: countdowns, banners.
                return self.screen == Screen::Wallet || !self.online;
            }
            Msg::Go(s) => {
                self.error = None;
                self.info = None;
                self.screen = s;
            }
            Msg::Tab(t) => {
                self.error = None;
                self.info = None;
                self.tab = t;
                self.open_swap = None;
                self.confirm_delete = false;
            }
            Msg::Error(e) => self.error = e,
            Msg::Info(i) => self.info = i,
            Msg::Busy(b) => self.busy = b,
            Msg::CreateSubmit => {
                let name = input(&self.refs.name).trim().to_string();
                let (pw, pw2) = (input(&self.refs.password), input(&self.refs.password2));
                if let Err(e) = self.check_new(&name, &pw, &pw2) {
                    self.fail(e);
                    return true;
                }
                let phrase = Mnemonic::from_entropy(BrowserEntropy.bytes());
                self.error = None;
                self.screen = Screen::ShowPhrase {
                    name,
                    password: pw,
                    phrase,
                };
            }
            Msg::PhraseWritten => {
                if let Screen::ShowPhrase {
                    name,
                    password,
                    phrase,
                } = self.screen.clone()
                {
                    self.screen = Screen::ConfirmPhrase {
                        name,
                        password,
                        phrase,
                        positions: secrets::confirm_positions(&mut BrowserEntropy),
                    };
                }
            }
            Msg::ConfirmSubmit => {
                let Screen::ConfirmPhrase {
                    name,
                    password,
                    phrase,
                    positions,
                } = self.screen.clone()
                else {
                    return false;
                };
                let typed: Vec<String> = self.refs.words.iter().map(input).collect();
                if let Err(e) = secrets::check_words(&phrase, &positions, &typed) {
                    self.fail(e);
                    return true;
                }
                let store = self.store();
                let network = self.network();
                self.run_blocking(
                    ctx,
                    "Encrypting the wallet with your password…",
                    async move {
                        create_wallet(
                            store,
                            name,
                            password,
                            phrase,
                            unnamed_wallet(network),
                            false,
                        )
                        .await
                    },
                );
            }
            Msg::RestoreSubmit => {
                let name = input(&self.refs.name).trim().to_string();
                let (pw, pw2) = (input(&self.refs.password), input(&self.refs.password2));
                if let Err(e) = self.check_new(&name, &pw, &pw2) {
                    self.fail(e);
                    return true;
                }
                let phrase = match Mnemonic::parse(&input(&self.refs.phrase)) {
                    Ok(p) => p,
                    Err(e) => {
                        self.fail(e.into());
                        return true;
                    }
                };
                let store = self.store();
                let network = self.network();
                self.run_blocking(
                    ctx,
                    "Encrypting the wallet with your password…",
                    async move {
                        create_wallet(store, name, pw, phrase, unnamed_wallet(network), true).await
                    },
                );
            }
            Msg::ImportSubmit => {
                let file = self.refs.file.cast::<HtmlInputElement>();
                let pw = input(&self.refs.password);
                let name = input(&self.refs.name).trim().to_string();
                let store = self.store();
                self.run_blocking(ctx, "Opening the backup…", async move {
                    let Some(file) = file else {
                        return Msg::Done(Err(UiError::BadBackup));
                    };
                    let Some(text) = browser::read_file(&file).await else {
                        return Msg::Done(Err(UiError::BadBackup));
                    };
                    let r =
                        secrets::parse_backup(&text).and_then(|f| secrets::open_backup(&f, &pw));
                    match r {
                        Ok(mut r) => {
                            if !name.is_empty() {
                                r.name = name;
                            }
                            r.wallet.name = r.name.clone();
                            create_wallet(store, r.name, pw, r.phrase, r.wallet, false).await
                        }
                        Err(e) => Msg::Done(Err(e)),
                    }
                });
            }
            Msg::UnlockSubmit => {
                let Screen::Unlock(name) = self.screen.clone() else {
                    return false;
                };
                let pw = input(&self.refs.password);
                let store = self.store();
                self.run_blocking(ctx, "Unlocking…", async move {
                    let Some(store) = store else {
                        return Msg::Done(Err(UiError::StorageUnavailable));
                    };
                    let r = async {
                        let (meta, vault, _) = store.load(&name).await?;
                        let phrase = secrets::open_phrase(&vault, &pw)?;
                        Ok::<_, UiError>((meta, phrase))
                    }
                    .await;
                    match r {
                        Ok((meta, phrase)) => Msg::Unlocked(Box::new(Unlocked {
                            meta,
                            keys: WalletKeys::from_mnemonic(&phrase),
                            phrase,
                            find_coins: false,
                        })),
                        Err(e) => Msg::Done(Err(e)),
                    }
                });
            }
            Msg::Unlocked(unlocked) => {
                self.busy = Some("Opening the wallet…".into());
                let name = unlocked.meta.name.clone();
                self.unlocked = Some(*unlocked);
                self.take_lease(ctx, name, false);
            }
            Msg::TakeOver => {
                if let Screen::Held(name) = self.screen.clone() {
                    if self.unlocked.is_none() {
                        self.screen = Screen::Unlock(name);
                        return true;
                    }
                    self.take_lease(ctx, name, true);
                }
            }
            Msg::HashChanged => {
                let Some(code) = browser::linked_invite() else {
                    return false;
                };
                if self.screen == Screen::Wallet {
                    self.tab = Tab::Swap;
                    self.open_swap = None;
                    self.join_preview = Invite::decode(&code, self.network()).ok();
                    if let Some(t) = self.refs.invite.cast::<HtmlTextAreaElement>() {
                        t.set_value(&code);
                    }
                }
                self.linked_invite = Some(code);
            }
            Msg::RetryLease => {
                if let (Screen::Held(name), Some(_)) = (self.screen.clone(), &self.unlocked) {
                    self.take_lease(ctx, name, false);
                }
                return false;
            }
            Msg::Lease(r) => match r {
                Ok(LeaseDecision::Held(_)) => {
                    let Some(Unlocked {
                        meta,
                        keys,
                        phrase,
                        find_coins,
                    }) = self.unlocked.take()
                    else {
                        return false;
                    };
                    let Some(store) = self.store() else {
                        return false;
                    };
                    let env = self.env.clone();
                    let link = ctx.link().clone();
                    let tab = self.tab_id.clone();
                    self.phrase = Some(phrase);
                    send(ctx, async move {
                        // Read the state fresh: another tab may have moved it on.
                        let wallet = match store.load_state(&meta.name).await {
                            Ok(Some(w)) => w,
                            Ok(None) => return Msg::Done(Err(UiError::StorageFailed)),
                            Err(e) => return Msg::Done(Err(e)),
                        };
                        let notify = Rc::new(move || link.send_message(Msg::Changed));
                        let host = Host::start(env, store, keys, wallet, meta, tab, notify);
                        Msg::Running(host, find_coins)
                    });
                }
                Ok(LeaseDecision::Other(_)) => {
                    self.busy = None;
                    if let Some(unlocked) = &self.unlocked {
                        self.screen = Screen::Held(unlocked.meta.name.clone());
                        // A closed tab's lease lapses by itself: keep trying.
                        send(ctx, async {
                            browser::sleep(3_000.0).await;
                            Msg::RetryLease
                        });
                    }
                }
                Err(e) => self.fail(e),
            },
            Msg::Running(host, find) => {
                self.busy = None;
                self.error = None;
                self.tab = Tab::Coins;
                self.open_swap = None;
                self.host = Some(host.clone());
                self.screen = Screen::Wallet;
                if let Some(code) = &self.linked_invite {
                    self.tab = Tab::Swap;
                    self.join_preview = Invite::decode(code, self.network()).ok();
                }
                self.refresh_list(ctx);
                if find {
                    self.busy = Some("Looking for this phrase's coins at the relay…".into());
                    let link = ctx.link().clone();
                    send(ctx, async move {
                        // The relay key is needed; wait for the config.
                        for _ in 0..20 {
                            if host.relay_pubkey().is_some() {
                                break;
                            }
                            browser::sleep(500.0).await;
                        }
                        let progress = move |i: u32, n: usize| {
                            link.send_message(Msg::Busy(Some(format!(
                                "Looking for this phrase's coins at the relay… ({i} addresses checked, {n} coins found)"
                            ))))
                        };
                        let r = host.find_coins(&progress).await;
                        Msg::Done(r.map(|n| match n {
                            0 => "No coins were found for this phrase.".to_string(),
                            1 => "1 coin was found again.".to_string(),
                            n => format!("{n} coins were found again."),
                        }))
                    });
                }
            }
            Msg::Lock => {
                if let Some(h) = self.host.take() {
                    wasm_bindgen_futures::spawn_local(async move { h.shutdown().await });
                }
                self.phrase = None;
                self.unlocked = None;
                self.selected.clear();
                self.last_address = None;
                self.last_invite = None;
                self.last_answer = None;
                self.join_preview = None;
                self.error = None;
                self.info = None;
                self.screen = Screen::Welcome;
                self.refresh_list(ctx);
            }
            Msg::Deposit => {
                let Some(h) = self.host.clone() else {
                    return false;
                };
                let text = input(&self.refs.amount);
                let amount = match text.trim() {
                    "" => Ok(DEMO_DEFAULT),
                    t => parse_amount(t),
                };
                let amount = match amount {
                    Ok(a) => a,
                    Err(e) => {
                        self.fail(e);
                        return true;
                    }
                };
                self.busy = Some("Asking the relay for demo coins…".into());
                send(ctx, async move {
                    Msg::Done(
                        h.deposit(amount)
                            .await
                            .map(|_| format!("{} of demo coins arrived.", sats(amount))),
                    )
                });
            }
            Msg::NewAddress => {
                if let Some(h) = self.host.clone() {
                    send(ctx, async move { Msg::Address(h.new_address().await) });
                }
            }
            Msg::Address(r) => match r {
                Ok(a) => self.last_address = Some(a),
                Err(e) => self.fail(e),
            },
            Msg::Send => {
                let Some(h) = self.host.clone() else {
                    return false;
                };
                let to = input(&self.refs.address).trim().to_string();
                let coin = match Id::parse(&input(&self.refs.send_coin)) {
                    Ok(c) => c,
                    Err(_) => {
                        self.fail(UiError::NoCoinChosen);
                        return true;
                    }
                };
                self.busy = Some("Sending…".into());
                let addr_ref = self.refs.address.clone();
                send(ctx, async move {
                    let r = h.send(&coin, &to).await;
                    if r.is_ok() {
                        clear(&addr_ref);
                    }
                    Msg::Done(r.map(|_| {
                        "The coin is on its way; it leaves the wallet once the relay has the transfer."
                            .to_string()
                    }))
                });
            }
            Msg::ToggleCoin(id) => match self.selected.iter().position(|s| *s == id) {
                Some(i) => {
                    self.selected.remove(i);
                }
                None => self.selected.push(id),
            },
            Msg::CreateInvite => {
                let Some(h) = self.host.clone() else {
                    return false;
                };
                let mut coins = self.selected.clone();
                wallet_core::util::sort_small(&mut coins);
                if coins.is_empty() {
                    self.fail(UiError::NoCoinChosen);
                    return true;
                }
                let want = match parse_amount(&input(&self.refs.want)) {
                    Ok(a) => a,
                    Err(e) => {
                        self.fail(e);
                        return true;
                    }
                };
                send(ctx, async move {
                    Msg::InviteMade(h.create_invite(&coins, want).await)
                });
            }
            Msg::InviteMade(r) => match r {
                Ok(code) => {
                    self.selected.clear();
                    self.error = None;
                    self.last_invite = Some(code);
                }
                Err(e) => self.fail(e),
            },
            Msg::CancelInvite(id) => {
                if let Some(h) = self.host.clone() {
                    self.last_invite = None;
                    send(ctx, async move {
                        Msg::Done(h.cancel_invite(&id).await.map(|_| {
                            "The invite was cancelled; its coins are free again.".to_string()
                        }))
                    });
                }
            }
            Msg::Accept => {
                let Some(h) = self.host.clone() else {
                    return false;
                };
                let code = input(&self.refs.answer);
                send(ctx, async move {
                    Msg::SwapStarted(h.accept_answer(&code).await)
                });
            }
            Msg::JoinPreview => {
                let code = input(&self.refs.invite);
                match Invite::decode(code.trim(), self.network()) {
                    Ok(i) => {
                        self.error = None;
                        self.join_preview = Some(i);
                    }
                    Err(e) => {
                        self.join_preview = None;
                        self.fail(e.into());
                    }
                }
            }
            Msg::Join => {
                let Some(h) = self.host.clone() else {
                    return false;
                };
                let mut coins = self.selected.clone();
                wallet_core::util::sort_small(&mut coins);
                if coins.is_empty() {
                    self.fail(UiError::NoCoinChosen);
                    return true;
                }
                let code = input(&self.refs.invite);
                send(ctx, async move {
                    Msg::Joined(h.join_invite(&code, &coins).await)
                });
            }
            Msg::Joined(r) => match r {
                Ok((answer, rid)) => {
                    self.selected.clear();
                    self.join_preview = None;
                    self.linked_invite = None;
                    browser::clear_hash();
                    self.error = None;
                    self.last_answer = Some((rid.clone(), answer));
                    self.open_swap = Some(rid);
                }
                Err(e) => self.fail(e),
            },
            Msg::SwapStarted(r) => match r {
                Ok(rid) => {
                    self.error = None;
                    self.last_invite = None;
                    self.open_swap = Some(rid);
                }
                Err(e) => self.fail(e),
            },
            Msg::OpenSwap(rid) => {
                self.tab = Tab::Swap;
                self.error = None;
                self.open_swap = Some(rid);
            }
            Msg::UserEvent(rid, ev) => {
                if let Some(h) = &self.host {
                    h.user_event(&rid, *ev);
                }
            }
            Msg::SetManual(on) => {
                if let Some(h) = self.host.clone() {
                    send(ctx, async move {
                        Msg::Done(h.set_manual_confirm(on).await.map(|_| {
                            if on {
                                "New swaps will wait for your confirmation before unlocking."
                            } else {
                                "New swaps unlock by themselves once every check passes."
                            }
                            .to_string()
                        }))
                    });
                }
            }
            Msg::ExportBackup => {
                let (Some(h), Some(phrase)) = (self.host.clone(), self.phrase.clone()) else {
                    return false;
                };
                let pw = input(&self.refs.export_password);
                let pw_ref = self.refs.export_password.clone();
                self.run_blocking(ctx, "Encrypting the backup…", async move {
                    let wallet = h.wallet.borrow().clone();
                    let manual = h.meta.borrow().manual_confirm;
                    let r = secrets::export_backup(
                        &phrase,
                        &wallet,
                        manual,
                        &pw,
                        KdfParams::DEFAULT,
                        &mut BrowserEntropy,
                    )
                    .and_then(|text| {
                        let file = format!("lockstep-{}.backup.json", wallet.name);
                        if browser::download(&file, &text, "application/json") {
                            clear(&pw_ref);
                            Ok(format!(
                                "The backup {file} was saved. Keep it with the password you used."
                            ))
                        } else {
                            Err(UiError::Browser("save the file"))
                        }
                    });
                    Msg::Done(r)
                });
            }
            Msg::ExportReceipt(i) => {
                if let Some(h) = &self.host {
                    let w = h.wallet.borrow();
                    if let Some(r) = w.history.get(i).and_then(|e| e.receipt.as_ref()) {
                        let text = serde_json::to_string_pretty(r).unwrap_or_default();
                        let file = format!("receipt-{}-{}.json", short_id(&r.statechain_id), r.seq);
                        browser::download(&file, &text, "application/json");
                    }
                }
                return false;
            }
            Msg::ExportProofs => {
                if let Some(h) = &self.host {
                    let w = h.wallet.borrow();
                    let text = serde_json::to_string_pretty(&w.equivocations).unwrap_or_default();
                    browser::download("equivocation-proofs.json", &text, "application/json");
                }
                return false;
            }
            Msg::Delete(really) => {
                if !really {
                    self.confirm_delete = true;
                    return true;
                }
                let Some(h) = self.host.take() else {
                    return false;
                };
                let store = self.store();
                let name = h.meta.borrow().name.clone();
                h.stop();
                self.phrase = None;
                self.confirm_delete = false;
                self.screen = Screen::Welcome;
                send(ctx, async move {
                    let r = match store {
                        Some(s) => s.delete(&name).await,
                        None => Err(UiError::StorageUnavailable),
                    };
                    Msg::Done(
                        r.map(|_| format!("The wallet \"{name}\" was deleted from this browser.")),
                    )
                });
            }
            Msg::Done(r) => {
                self.busy = None;
                match r {
                    Ok(info) => {
                        self.error = None;
                        self.info = Some(info);
                    }
                    Err(e) => self.fail(e),
                }
                self.refresh_list(ctx);
            }
        }
        true
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        html! {
            <div class="app">
                <header class="top">
                    <div class="brand" onclick={link.callback(|_| Msg::Lock)}>
                        <span class="logo" aria-hidden="true">{"⇄"}</span>{" Lockstep"}
                    </div>
                    { self.header_right(ctx) }
                </header>
                { self.banners(ctx) }
                <main>
                    if let Some(e) = &self.error {
                        <div class="error" role="alert" data-testid="error">
                            <span>{e}</span>
                            <button type="button" class="link" aria-label="Dismiss" onclick={link.callback(|_| Msg::Error(None))}>{"Dismiss"}</button>
                        </div>
                    }
                    if let Some(i) = &self.info {
                        <div class="info" role="status" data-testid="info">
                            <span>{i}</span>
                            <button type="button" class="link" onclick={link.callback(|_| Msg::Info(None))}>{"Dismiss"}</button>
                        </div>
                    }
                    if let Some(b) = &self.busy {
                        <div class="busy" role="status" data-testid="busy"><span class="spinner" aria-hidden="true"></span>{b}</div>
                    }
                    { self.screen_view(ctx) }
                </main>
                <footer class="foot">{"Demo network: coins here have no value. "}
                    { self.env.clock.get().skew_note().unwrap_or_default() }
                </footer>
            </div>
        }
    }
}

/// A new, empty wallet; `create_wallet` gives it its name.
fn unnamed_wallet(network: Network) -> Wallet {
    Wallet::new("", network)
}

/// Seals the phrase, stores the new wallet, and opens it.
async fn create_wallet(
    store: Option<Store>,
    name: String,
    password: String,
    phrase: Mnemonic,
    mut wallet: Wallet,
    find_coins: bool,
) -> Msg {
    let Some(store) = store else {
        return Msg::Done(Err(UiError::StorageUnavailable));
    };
    wallet.name = name.clone();
    let sealed =
        match secrets::seal_phrase(&phrase, &password, KdfParams::DEFAULT, &mut BrowserEntropy) {
            Ok(s) => s,
            Err(e) => return Msg::Done(Err(e)),
        };
    let meta = WalletMeta {
        name,
        created_ms: browser::now_ms(),
        manual_confirm: false,
    };
    if let Err(e) = store.create(&meta, &sealed, &wallet).await {
        return Msg::Done(Err(e));
    }
    Msg::Unlocked(Box::new(Unlocked {
        meta,
        keys: WalletKeys::from_mnemonic(&phrase),
        phrase,
        find_coins,
    }))
}

impl App {
    fn check_new(&self, name: &str, pw: &str, pw2: &str) -> Result<(), UiError> {
        if name.is_empty() {
            return Err(UiError::NameMissing);
        }
        if self.wallets.iter().any(|w| w.name == name) {
            return Err(UiError::NameTaken);
        }
        if pw.is_empty() {
            return Err(UiError::Core(Error::EmptyPassword));
        }
        if pw != pw2 {
            return Err(UiError::PasswordsDiffer);
        }
        Ok(())
    }

    fn take_lease(&mut self, ctx: &Context<Self>, name: String, take_over: bool) {
        let Some(store) = self.store() else {
            return;
        };
        let tab = self.tab_id.clone();
        send(ctx, async move {
            Msg::Lease(store.lease(&name, &tab, browser::now_ms(), take_over).await)
        });
    }

    fn header_right(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        match (&self.screen, &self.host) {
            (Screen::Wallet, Some(h)) => {
                let name = h.meta.borrow().name.clone();
                html! {
                    <div class="who">
                        <span class="wallet-name" data-testid="wallet-name">{name}</span>
                        <button type="button" class="secondary small" onclick={link.callback(|_| Msg::Lock)}>{"Lock"}</button>
                    </div>
                }
            }
            _ => html! {},
        }
    }

    fn banners(&self, _ctx: &Context<Self>) -> Html {
        let offline = !self.online;
        let unreachable = !offline
            && (self.env.net.unreachable()
                || (!self.config_ok && self.screen != Screen::Loading && self.store.is_some()));
        let problem = self.host.as_ref().and_then(|h| h.problem.borrow().clone());
        html! {
            <>
                if offline {
                    <div class="banner offline" role="status" data-testid="offline-banner">
                        {"You are offline. Swaps and transfers continue by themselves when the connection returns; deadlines keep running at the relay."}
                    </div>
                }
                if unreachable {
                    <div class="banner unreachable" role="status" data-testid="relay-banner">
                        {"The relay cannot be reached right now. The wallet keeps retrying by itself; nothing is lost meanwhile."}
                    </div>
                }
                if let Some(p) = problem {
                    <div class="banner storage" role="alert" data-testid="storage-banner">{p.to_string()}</div>
                }
            </>
        }
    }

    fn screen_view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        match &self.screen {
            Screen::Loading => html! { <section class="card"><p>{"Loading…"}</p></section> },
            Screen::NoStorage => html! {
                <section class="card">
                    <h1>{"Storage unavailable"}</h1>
                    <p class="banner storage" data-testid="storage-banner">{self.storage_error.clone().unwrap_or(UiError::StorageUnavailable).to_string()}</p>
                </section>
            },
            Screen::Welcome => self.welcome(ctx),
            Screen::Create => html! {
                <section class="card narrow">
                    <h1>{"Create a wallet"}</h1>
                    <form onsubmit={link.callback(|e: SubmitEvent| { e.prevent_default(); Msg::CreateSubmit })}>
                        <label>{"Wallet name"}<input ref={self.refs.name.clone()} name="name" data-testid="wallet-name-input" placeholder="e.g. Alice" autocomplete="off"/></label>
                        <label>{"Password"}<input ref={self.refs.password.clone()} type="password" name="password" data-testid="password" autocomplete="new-password"/></label>
                        <label>{"Password again"}<input ref={self.refs.password2.clone()} type="password" name="password2" data-testid="password2" autocomplete="new-password"/></label>
                        <p class="muted">{"The password encrypts the wallet on this device. It cannot be recovered; the recovery phrase you get next can restore the wallet anywhere."}</p>
                        <div class="row">
                            <button type="submit">{"Create wallet"}</button>
                            <button type="button" class="secondary" onclick={link.callback(|_| Msg::Go(Screen::Welcome))}>{"Back"}</button>
                        </div>
                    </form>
                </section>
            },
            Screen::ShowPhrase { phrase, .. } => html! {
                <section class="card narrow">
                    <h1>{"Your recovery phrase"}</h1>
                    <p>{"Write these 12 words down, in order, and keep them offline. Anyone with them owns your coins; without them a lost device means lost coins."}</p>
                    <ol class="phrase" data-testid="phrase">
                        { for phrase.words().into_iter().map(|w| html! { <li>{w}</li> }) }
                    </ol>
                    <div class="row">
                        <button type="button" onclick={link.callback(|_| Msg::PhraseWritten)}>{"I have written it down"}</button>
                    </div>
                </section>
            },
            Screen::ConfirmPhrase { positions, .. } => html! {
                <section class="card narrow">
                    <h1>{"Confirm your phrase"}</h1>
                    <p>{"Type these words from the phrase you wrote down."}</p>
                    <form onsubmit={link.callback(|e: SubmitEvent| { e.prevent_default(); Msg::ConfirmSubmit })}>
                        { for positions.iter().enumerate().map(|(i, p)| html! {
                            <label>{format!("Word {p}")}
                                <input ref={self.refs.words[i].clone()} data-testid={format!("confirm-word-{p}")} autocomplete="off" autocapitalize="none"/>
                            </label>
                        }) }
                        <div class="row">
                            <button type="submit">{"Confirm and open the wallet"}</button>
                            <button type="button" class="secondary" onclick={link.callback(|_| Msg::Go(Screen::Welcome))}>{"Cancel"}</button>
                        </div>
                    </form>
                </section>
            },
            Screen::Restore => html! {
                <section class="card narrow">
                    <h1>{"Restore from a recovery phrase"}</h1>
                    <form onsubmit={link.callback(|e: SubmitEvent| { e.prevent_default(); Msg::RestoreSubmit })}>
                        <label>{"Recovery phrase (12 words)"}<textarea ref={self.refs.phrase.clone()} data-testid="restore-phrase" rows="3" autocomplete="off" autocapitalize="none" spellcheck="false"/></label>
                        <label>{"Wallet name"}<input ref={self.refs.name.clone()} data-testid="wallet-name-input" autocomplete="off"/></label>
                        <label>{"New password"}<input ref={self.refs.password.clone()} type="password" data-testid="password" autocomplete="new-password"/></label>
                        <label>{"Password again"}<input ref={self.refs.password2.clone()} type="password" data-testid="password2" autocomplete="new-password"/></label>
                        <p class="muted">{"The wallet asks the relay which coins the phrase's addresses own and adds them back."}</p>
                        <div class="row">
                            <button type="submit">{"Restore wallet"}</button>
                            <button type="button" class="secondary" onclick={link.callback(|_| Msg::Go(Screen::Welcome))}>{"Back"}</button>
                        </div>
                    </form>
                </section>
            },
            Screen::Import => html! {
                <section class="card narrow">
                    <h1>{"Import a backup file"}</h1>
                    <form onsubmit={link.callback(|e: SubmitEvent| { e.prevent_default(); Msg::ImportSubmit })}>
                        <label>{"Backup file"}<input ref={self.refs.file.clone()} type="file" accept=".json,application/json" data-testid="backup-file"/></label>
                        <label>{"The backup's password"}<input ref={self.refs.password.clone()} type="password" data-testid="password" autocomplete="current-password"/></label>
                        <label>{"Wallet name (leave empty to keep the backup's)"}<input ref={self.refs.name.clone()} data-testid="wallet-name-input" autocomplete="off"/></label>
                        <div class="row">
                            <button type="submit">{"Import wallet"}</button>
                            <button type="button" class="secondary" onclick={link.callback(|_| Msg::Go(Screen::Welcome))}>{"Back"}</button>
                        </div>
                    </form>
                </section>
            },
            Screen::Unlock(name) => html! {
                <section class="card narrow">
                    <h1>{format!("Unlock “{name}”")}</h1>
                    <form onsubmit={link.callback(|e: SubmitEvent| { e.prevent_default(); Msg::UnlockSubmit })}>
                        <label>{"Password"}<input ref={self.refs.password.clone()} type="password" data-testid="password" autocomplete="current-password"/></label>
                        <div class="row">
                            <button type="submit">{"Unlock"}</button>
                            <button type="button" class="secondary" onclick={link.callback(|_| Msg::Go(Screen::Welcome))}>{"Back"}</button>
                        </div>
                    </form>
                </section>
            },
            Screen::Held(name) => html! {
                <section class="card narrow">
                    <h1>{format!("“{name}” is open elsewhere")}</h1>
                    <p class="banner held" data-testid="held-banner">{UiError::HeldElsewhere.to_string()}</p>
                    <p class="muted">{"If the other tab was closed, this one takes over by itself within a few seconds."}</p>
                    <div class="row">
                        <button type="button" onclick={link.callback(|_| Msg::TakeOver)}>{"Take over here"}</button>
                        <button type="button" class="secondary" onclick={link.callback(|_| Msg::Lock)}>{"Back"}</button>
                    </div>
                </section>
            },
            Screen::Wallet => self.wallet_view(ctx),
        }
    }

    fn welcome(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        html! {
            <section class="card narrow">
                <h1>{"Your wallets"}</h1>
                if self.linked_invite.is_some() {
                    <p class="note" data-testid="linked-invite">{"You opened a swap invite link. Open or create a wallet, then choose the coins to join with."}</p>
                }
                if self.wallets.is_empty() {
                    <p class="empty">{"No wallet in this browser yet. Create one, restore one from its recovery phrase, or import a backup file."}</p>
                } else {
                    <ul class="wallet-list" data-testid="wallet-list">
                        { for self.wallets.iter().map(|w| {
                            let name = w.name.clone();
                            html! {
                                <li>
                                    <span class="name">{&w.name}</span>
                                    <button type="button" onclick={link.callback(move |_| Msg::Go(Screen::Unlock(name.clone())))}>{format!("Open {}", w.name)}</button>
                                </li>
                            }
                        }) }
                    </ul>
                }
                <div class="row wrap">
                    <button type="button" onclick={link.callback(|_| Msg::Go(Screen::Create))}>{"Create a new wallet"}</button>
                    <button type="button" class="secondary" onclick={link.callback(|_| Msg::Go(Screen::Restore))}>{"Restore from phrase"}</button>
                    <button type="button" class="secondary" onclick={link.callback(|_| Msg::Go(Screen::Import))}>{"Import backup file"}</button>
                </div>
            </section>
        }
    }

    fn wallet_view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let Some(h) = &self.host else {
            return html! {};
        };
        let tabs = [
            (Tab::Coins, "Coins"),
            (Tab::Receive, "Receive"),
            (Tab::Send, "Send"),
            (Tab::Swap, "Swap"),
            (Tab::History, "History"),
            (Tab::Settings, "Settings"),
        ];
        let w = h.wallet.borrow();
        let active_swaps = w
            .records
            .values()
            .filter(|r| matches!(r, Record::Swap(_)) && !r.is_final())
            .count();
        html! {
            <>
                <section class="balance-card">
                    <div class="label">{"Balance"}</div>
                    <div class="balance" data-testid="balance" data-sats={w.balance().to_string()}>{sats(w.balance())}</div>
                    <div class="muted">{format!("{} coin{} · demo coins", w.coins.len(), if w.coins.len() == 1 { "" } else { "s" })}</div>
                </section>
                <nav class="tabs" role="tablist">
                    { for tabs.iter().map(|(t, label)| {
                        let t = *t;
                        let text = if t == Tab::Swap && active_swaps > 0 { format!("{label} ({active_swaps})") } else { label.to_string() };
                        html! {
                            <button type="button" role="tab" class={classes!("tab", (self.tab == t).then_some("active"))}
                                data-testid={format!("tab-{}", label.to_lowercase())}
                                onclick={link.callback(move |_| Msg::Tab(t))}>{text}</button>
                        }
                    }) }
                </nav>
                { match self.tab {
                    Tab::Coins => self.coins_tab(ctx, &w),
                    Tab::Receive => self.receive_tab(ctx, &w),
                    Tab::Send => self.send_tab(ctx, &w),
                    Tab::Swap => self.swap_tab(ctx, &w),
                    Tab::History => self.history_tab(ctx, &w),
                    Tab::Settings => self.settings_tab(ctx, &w),
                } }
            </>
        }
    }

    fn coins_tab(&self, ctx: &Context<Self>, w: &Wallet) -> Html {
        let link = ctx.link();
        let now = self.env.now();
        let coins = view::coin_views(w, now);
        let max = self
            .env
            .config
            .borrow()
            .as_ref()
            .map(|c| c.max_demo_amount)
            .unwrap_or(100_000_000);
        html! {
            <>
            <section class="card">
                <h2>{"Coins"}</h2>
                if coins.is_empty() {
                    <p class="empty" data-testid="coin-list" data-count="0">{"No coins yet. Get demo coins below, or receive some from someone."}</p>
                } else {
                    <ul class="coins" data-testid="coin-list" data-count={coins.len().to_string()}>
                        { for coins.iter().map(|c| {
                            let open = c.swap.as_ref().map(|(rid, _)| { let rid = rid.clone(); link.callback(move |_| Msg::OpenSwap(rid.clone())) });
                            html! {
                                <li class={classes!("coin", c.state)} data-coin={c.id.to_string()} data-state={c.state} data-sats={c.amount.to_string()}>
                                    <span class="amount">{sats(c.amount)}</span>
                                    <span class="id" title={c.id.to_string()}>{short_id(&c.id)}</span>
                                    <span class="state">{&c.label}</span>
                                    if let Some((_, cd)) = &c.swap {
                                        <span class={classes!("countdown", cd.state)} data-testid="coin-countdown" data-state={cd.state}>{&cd.text}</span>
                                    }
                                    if let Some(open) = open {
                                        <button type="button" class="link" onclick={open}>{"View swap"}</button>
                                    }
                                </li>
                            }
                        }) }
                    </ul>
                }
            </section>
            <section class="card">
                <h2>{"Get demo coins"}</h2>
                <p class="muted">{format!("The relay's demo network credits demo coins for testing; they have no value. Up to {} per deposit.", sats(max))}</p>
                <form class="inline" onsubmit={link.callback(|e: SubmitEvent| { e.prevent_default(); Msg::Deposit })}>
                    <input ref={self.refs.amount.clone()} inputmode="numeric" data-testid="deposit-amount" placeholder={DEMO_DEFAULT.to_string()} aria-label="Amount in satoshis"/>
                    <button type="submit" disabled={self.busy.is_some()}>{"Get demo coins"}</button>
                </form>
            </section>
            { self.activity(ctx, w) }
            </>
        }
    }

    /// Plain transfers in progress or recently finished.
    fn activity(&self, _ctx: &Context<Self>, w: &Wallet) -> Html {
        let recs: Vec<_> = w
            .records
            .iter()
            .filter(|(_, r)| !matches!(r, Record::Swap(_)))
            .rev()
            .take(6)
            .collect();
        if recs.is_empty() {
            return html! {};
        }
        html! {
            <section class="card">
                <h2>{"Transfers"}</h2>
                <ul class="records" data-testid="transfers">
                    { for recs.into_iter().map(|(rid, r)| {
                        let (text, state) = view::record_summary(r);
                        // A received coin's record no longer carries its
                        // report: the host kept it for this session.
                        let report = match r {
                            Record::Receive(rc) => rc.phase.report().cloned().or_else(|| {
                                self.host
                                    .as_ref()
                                    .and_then(|h| h.reports.borrow().get(rid).cloned())
                            }),
                            _ => None,
                        };
                        let failed = report.as_ref().is_some_and(|r| !r.all_passed());
                        html! {
                            <li class={classes!("record", state)} data-record={rid.clone()} data-state={state}>
                                <span>{text}</span>
                                if let Some(report) = report {
                                    <details class="checks-box" open={failed}>
                                        <summary>{if failed { "A check failed: the coin was refused" } else { "Every check passed (§7)" }}</summary>
                                        <Checks report={report}/>
                                    </details>
                                }
                            </li>
                        }
                    }) }
                </ul>
            </section>
        }
    }

    fn receive_tab(&self, ctx: &Context<Self>, w: &Wallet) -> Html {
        let link = ctx.link();
        let address = self
            .last_address
            .clone()
            .or_else(|| w.addresses.last().map(|a| a.address.clone()));
        html! {
            <section class="card">
                <h2>{"Receive"}</h2>
                <p class="muted">{"Give this address to the sender. The wallet watches it, checks every incoming coin (§7 of the protocol) and completes the transfer by itself. Use a fresh address for each payment."}</p>
                if let Some(a) = address {
                    <div class="share">
                        <Qr text={a.clone()} testid="address-qr"/>
                        <div class="share-text">
                            <code class="code" data-testid="address">{a.clone()}</code>
                            <div class="row">
                                <CopyButton text={a.clone()} label="Copy address"/>
                                <button type="button" class="secondary" onclick={link.callback(|_| Msg::NewAddress)}>{"New address"}</button>
                            </div>
                        </div>
                    </div>
                } else {
                    <p class="empty">{"No receiving address yet."}</p>
                    <button type="button" onclick={link.callback(|_| Msg::NewAddress)}>{"New address"}</button>
                }
            </section>
        }
    }

    fn send_tab(&self, ctx: &Context<Self>, w: &Wallet) -> Html {
        let link = ctx.link();
        let available = w.available();
        html! {
            <section class="card">
                <h2>{"Send a coin"}</h2>
                if available.is_empty() {
                    <p class="empty">{"No coin is free to send. Coins in a swap or an open invite come free when it ends."}</p>
                } else {
                    <form onsubmit={link.callback(|e: SubmitEvent| { e.prevent_default(); Msg::Send })}>
                        <label>{"Coin"}
                            <select ref={self.refs.send_coin.clone()} data-testid="send-coin">
                                { for available.iter().map(|c| html! {
                                    <option value={c.statechain_id.to_string()}>{format!("{} · {}", sats(c.amount), short_id(&c.statechain_id))}</option>
                                }) }
                            </select>
                        </label>
                        <label>{"To address"}<input ref={self.refs.address.clone()} data-testid="send-address" placeholder="tml1…" autocomplete="off" spellcheck="false"/></label>
                        <p class="muted">{"A statecoin moves whole: the receiver gets the entire coin."}</p>
                        <button type="submit" disabled={self.busy.is_some()}>{"Send coin"}</button>
                    </form>
                }
            </section>
        }
    }

    fn coin_picker(&self, ctx: &Context<Self>, w: &Wallet) -> Html {
        let link = ctx.link();
        let available = w.available();
        if available.is_empty() {
            return html! { <p class="empty">{"No coin is free to swap. Get demo coins first."}</p> };
        }
        html! {
            <fieldset class="picker" data-testid="coin-picker">
                <legend>{"Coins to give"}</legend>
                { for available.iter().map(|c| {
                    let id = c.statechain_id;
                    html! {
                        <label class="check-line">
                            <input type="checkbox" data-coin={id.to_string()} checked={self.selected.contains(&id)}
                                onchange={link.callback(move |_| Msg::ToggleCoin(id))}/>
                            {format!(" {} · {}", sats(c.amount), short_id(&id))}
                        </label>
                    }
                }) }
            </fieldset>
        }
    }

    fn swap_tab(&self, ctx: &Context<Self>, w: &Wallet) -> Html {
        let link = ctx.link();
        if let Some(rid) = &self.open_swap
            && let Some(Record::Swap(s)) = w.records.get(rid)
        {
            // The answer is only worth sending while the swap can still run.
            let answer = self
                .last_answer
                .as_ref()
                .filter(|(r, _)| r == rid && s.phase.before_commit())
                .map(|(_, code)| code.clone());
            return html! {
                <>
                    if let Some(code) = answer {
                        <section class="card">
                            <h2>{"Your join answer"}</h2>
                            <p>{"Send this answer back to the person who invited you: the swap runs once they paste it. Your side has started."}</p>
                            <div class="share">
                                <Qr text={code.clone()} testid="answer-qr"/>
                                <div class="share-text">
                                    <code class="code" data-testid="join-answer">{code.clone()}</code>
                                    <CopyButton text={code.clone()} label="Copy answer"/>
                                </div>
                            </div>
                        </section>
                    }
                    { self.swap_detail(ctx, rid, s) }
                </>
            };
        }
        let swaps: Vec<(&String, &Swap)> = w
            .records
            .iter()
            .filter_map(|(k, r)| match r {
                Record::Swap(s) => Some((k, s.as_ref())),
                _ => None,
            })
            .collect();
        let now = self.env.now();
        html! {
            <>
            if !swaps.is_empty() {
                <section class="card">
                    <h2>{"Your swaps"}</h2>
                    <ul class="swaps" data-testid="swap-list">
                        { for swaps.iter().rev().map(|(rid, s)| {
                            let cd = swap_countdown(s, now);
                            let rid2 = (*rid).clone();
                            html! {
                                <li class="swap-line">
                                    <span class="state">{s.phase.label()}</span>
                                    <span class={classes!("countdown", cd.state)}>{cd.text}</span>
                                    <button type="button" class="secondary small" onclick={link.callback(move |_| Msg::OpenSwap(rid2.clone()))}>{"Open swap"}</button>
                                </li>
                            }
                        }) }
                    </ul>
                </section>
            }
            <div class="stack">
            <section class="card">
                <h2>{"Create a swap invite"}</h2>
                <p class="muted">{"Choose the coins you give and the amount you want in return. Send the invite to the other person; they answer with a join code you paste below."}</p>
                if let Some(code) = &self.last_invite {
                    <div class="share">
                        <Qr text={code.clone()} testid="invite-qr"/>
                        <div class="share-text">
                            <code class="code" data-testid="invite-code">{code.clone()}</code>
                            <div class="row wrap">
                                <CopyButton text={code.clone()} label="Copy invite"/>
                                <CopyButton text={browser::invite_link(code)} label="Copy link"/>
                            </div>
                        </div>
                    </div>
                } else {
                    <form onsubmit={link.callback(|e: SubmitEvent| { e.prevent_default(); Msg::CreateInvite })}>
                        { self.coin_picker(ctx, w) }
                        <label>{"Amount wanted (sat)"}<input ref={self.refs.want.clone()} inputmode="numeric" data-testid="want-amount" placeholder="e.g. 7000"/></label>
                        <button type="submit">{"Create invite"}</button>
                    </form>
                }
                if !w.invites.is_empty() {
                    <h3>{"Waiting for an answer"}</h3>
                    <ul class="invites">
                        { for w.invites.keys().map(|id| {
                            let id = *id;
                            html! { <li>
                                <span>{format!("Invite {}", short_id(&id))}</span>
                                <button type="button" class="secondary small" onclick={link.callback(move |_| Msg::CancelInvite(id))}>{"Cancel invite"}</button>
                            </li> }
                        }) }
                    </ul>
                    <form onsubmit={link.callback(|e: SubmitEvent| { e.prevent_default(); Msg::Accept })}>
                        <label>{"Paste the join answer (lsj1…)"}<textarea ref={self.refs.answer.clone()} rows="3" data-testid="answer-input" spellcheck="false"/></label>
                        <button type="submit">{"Start swap"}</button>
                    </form>
                }
            </section>
            <section class={classes!("card", (self.linked_invite.is_some() || self.join_preview.is_some()).then_some("first"))}>
                <h2>{"Join a swap invite"}</h2>
                <form onsubmit={link.callback(|e: SubmitEvent| { e.prevent_default(); Msg::JoinPreview })}>
                    <label>{"Paste the invite (lsi1…)"}<textarea ref={self.refs.invite.clone()} rows="3" data-testid="invite-input" spellcheck="false" defaultvalue={self.linked_invite.clone().unwrap_or_default()}/></label>
                    <button type="submit" class="secondary">{"Read invite"}</button>
                </form>
                if let Some(inv) = &self.join_preview {
                    <div class="preview" data-testid="invite-preview">
                        <p>{format!("They give {} in {} coin{} and want at least {} in return.",
                            sats(inv.gives_total() as u64), inv.gives().len(), if inv.gives().len() == 1 { "" } else { "s" }, sats(inv.want()))}</p>
                        <form onsubmit={link.callback(|e: SubmitEvent| { e.prevent_default(); Msg::Join })}>
                            { self.coin_picker(ctx, w) }
                            <button type="submit">{"Join swap"}</button>
                        </form>
                    </div>
                }
            </section>
            </div>
            </>
        }
    }

    fn swap_detail(&self, ctx: &Context<Self>, rid: &str, s: &Swap) -> Html {
        let link = ctx.link();
        let now = self.env.now();
        let cd = swap_countdown(s, now);
        let rid_abort = rid.to_string();
        let rid_confirm = rid.to_string();
        html! {
            <section class="card swap" data-testid="swap" data-batch={s.batch_id.to_string()}>
                <div class="row spread">
                    <h2>{"Swap"}</h2>
                    <button type="button" class="secondary small" onclick={link.callback(|_| Msg::Tab(Tab::Swap))}>{"All swaps"}</button>
                </div>
                <div class="swap-head">
                    <div>
                        <div class="label">{"State"}</div>
                        <div class="swap-state" data-testid="swap-state" data-phase={format!("{:?}", s.phase).to_ascii_lowercase()}>{s.phase.label()}</div>
                    </div>
                    <div>
                        <div class="label">{"Deadline (relay clock)"}</div>
                        <div class={classes!("countdown", "big", cd.state)} data-testid="countdown" data-state={cd.state}>{cd.text}</div>
                    </div>
                </div>
                if let Some(note) = &s.note {
                    <p class="note" data-testid="swap-note">{note}</p>
                }
                <h3>{"You give"}</h3>
                <ul class="lines">
                    { for s.gives.iter().map(|g| html! {
                        <li class="line" data-coin={g.coin.statechain_id.to_string()}>
                            <span class="amount">{sats(g.coin.amount)}</span>
                            <span class="id">{short_id(&g.coin.statechain_id)}</span>
                            <span class="state" data-testid="give-state">{g.state.label()}</span>
                        </li>
                    }) }
                </ul>
                <h3>{"You get"}</h3>
                <ul class="lines">
                    { for s.gets.iter().map(|g| html! {
                        <li class="line" data-coin={g.statechain_id.to_string()}>
                            <span class="amount">{sats(g.amount)}</span>
                            <span class="id">{short_id(&g.statechain_id)}</span>
                            <span class="state" data-testid="get-state">{g.state.label()}</span>
                            if let Some(r) = g.state.report() {
                                <Checks report={r.clone()}/>
                            } else {
                                { match &g.state {
                                    GetState::Received { .. } => html! {
                                        <p class="muted pass" data-testid="verification" data-passed="true">{"Every check passed before this wallet unlocked; the relay's receipt for the coin verifies."}</p>
                                    },
                                    GetState::Forgone => html! {
                                        <p class="muted" data-testid="verification" data-passed="none">{"The swap did not complete, so this coin stayed with its sender."}</p>
                                    },
                                    _ => html! {
                                        <p class="muted" data-testid="verification" data-passed="pending">{"The checks run when the other side's coin arrives."}</p>
                                    },
                                } }
                            }
                        </li>
                    }) }
                </ul>
                <div class="row">
                    if s.awaits_confirmation() {
                        <button type="button" onclick={link.callback(move |_| Msg::UserEvent(rid_confirm.clone(), Box::new(Event::UserConfirm)))}>{"Confirm and unlock"}</button>
                    }
                    if s.can_abort() {
                        <button type="button" class="danger" onclick={link.callback(move |_| Msg::UserEvent(rid_abort.clone(), Box::new(Event::UserAbort)))}>{"Abort swap"}</button>
                    }
                </div>
                <p class="muted">{
                    match s.phase {
                        p if p.before_commit() => "Until every party unlocks, the swap can still back out: if it is aborted or its deadline passes, your coins come back to you by themselves.",
                        SwapPhase::Committed | SwapPhase::Completed => "The swap committed: every transfer completes, even after the deadline.",
                        _ => "The swap did not complete: every coin you gave comes back to you under a fresh key, with no action needed.",
                    }
                }</p>
            </section>
        }
    }

    fn history_tab(&self, ctx: &Context<Self>, w: &Wallet) -> Html {
        let link = ctx.link();
        let relay = w.relay_pubkey;
        html! {
            <>
            <section class="card">
                <h2>{"History"}</h2>
                if w.history.is_empty() {
                    <p class="empty" data-testid="history" data-count="0">{"Nothing yet. Deposits, transfers and swaps appear here with the relay's signed receipts."}</p>
                } else {
                    <ul class="history" data-testid="history" data-count={w.history.len().to_string()}>
                        { for w.history.iter().enumerate().rev().map(|(i, e)| {
                            let verified = e.receipt.as_ref().map(|r| relay.is_some_and(|k| r.verify(&k)));
                            let sign = if view::history_incoming(e.kind) { "+" } else if e.kind == wallet_core::wallet::HistoryKind::Recovered { "" } else { "−" };
                            html! {
                                <li class="entry" data-kind={format!("{:?}", e.kind).to_ascii_lowercase()}>
                                    <span class="kind">{view::history_label(e.kind)}</span>
                                    <span class="amount">{format!("{sign}{}", sats(e.amount))}</span>
                                    <span class="id">{short_id(&e.statechain_id)}</span>
                                    { match verified {
                                        Some(true) => html! { <span class="receipt ok" data-testid="receipt-status" data-valid="true">{"receipt verified ✓"}</span> },
                                        Some(false) => html! { <span class="receipt bad" data-testid="receipt-status" data-valid="false">{"receipt does NOT verify"}</span> },
                                        None => html! { <span class="receipt none">{"no receipt (the receiver gets it)"}</span> },
                                    } }
                                    if e.receipt.is_some() {
                                        <button type="button" class="link" onclick={link.callback(move |_| Msg::ExportReceipt(i))}>{"Export receipt"}</button>
                                    }
                                </li>
                            }
                        }) }
                    </ul>
                    <p class="muted">{"Each receipt is checked on this device against the relay's key; exported receipts can be checked by anyone offline."}</p>
                }
            </section>
            if !w.equivocations.is_empty() {
                <section class="card alert" data-testid="equivocations">
                    <h2>{"Relay misbehaviour detected"}</h2>
                    <p>{format!("The relay signed conflicting receipts {} time(s). This is proof that it rewrote a coin's history; export it and stop using this relay.", w.equivocations.len())}</p>
                    <button type="button" class="danger" onclick={link.callback(|_| Msg::ExportProofs)}>{"Export proofs"}</button>
                </section>
            }
            </>
        }
    }

    fn settings_tab(&self, ctx: &Context<Self>, _w: &Wallet) -> Html {
        let link = ctx.link();
        let Some(h) = &self.host else {
            return html! {};
        };
        let manual = h.meta.borrow().manual_confirm;
        let relay = h.relay_pubkey().map(|k| k.to_string()).unwrap_or_default();
        let timeout = self
            .env
            .config
            .borrow()
            .as_ref()
            .map(|c| format_duration(c.batch_timeout))
            .unwrap_or_default();
        html! {
            <>
            <section class="card">
                <h2>{"Swaps"}</h2>
                <label class="check-line">
                    <input type="checkbox" data-testid="manual-confirm" checked={manual}
                        onchange={link.callback(move |_| Msg::SetManual(!manual))}/>
                    {" Ask me to confirm before unlocking (otherwise the wallet unlocks as soon as every check passes)"}
                </label>
                <p class="muted">{format!("Swaps on this relay must complete within {timeout} of the first coin joining.")}</p>
            </section>
            <section class="card">
                <h2>{"Backup"}</h2>
                <p class="muted">{"An encrypted file with the recovery phrase and the wallet's state (coins, swaps in progress, history). It opens only with the password you type here."}</p>
                <form class="inline" onsubmit={link.callback(|e: SubmitEvent| { e.prevent_default(); Msg::ExportBackup })}>
                    <input ref={self.refs.export_password.clone()} type="password" data-testid="export-password" placeholder="Password for the file" autocomplete="new-password"/>
                    <button type="submit">{"Export backup"}</button>
                </form>
            </section>
            <section class="card">
                <h2>{"This wallet"}</h2>
                <p class="muted mono">{format!("Relay key: {relay}")}</p>
                <div class="row wrap">
                    <button type="button" class="secondary" onclick={link.callback(|_| Msg::Lock)}>{"Lock wallet"}</button>
                    if self.confirm_delete {
                        <button type="button" class="danger" onclick={link.callback(|_| Msg::Delete(true))}>{"Really delete it from this browser"}</button>
                    } else {
                        <button type="button" class="danger" onclick={link.callback(|_| Msg::Delete(false))}>{"Delete wallet"}</button>
                    }
                </div>
                if self.confirm_delete {
                    <p class="note">{"Deleting removes the wallet from this browser only. Without its recovery phrase or a backup, its coins are lost."}</p>
                }
            </section>
            </>
        }
    }
}
