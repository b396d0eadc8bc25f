//! The page's state and messages: wallet list, create / restore / import,
//! unlock, and the wallet itself (coins, receive, send, swap, history,
//! settings). `App::update` handles the page-wide messages itself and hands
//! every other one to its handler, in the file of its screen under `app/`;
//! the pages are drawn by `view/`.
//!
//! Stable hooks for tests (documented in the README): primary actions are
//! `<button>`s with visible text, and key values carry `data-testid`.

mod coins;
mod new_wallet;
mod session;
mod settings;
mod swap;

pub(crate) use coins::DEMO_DEFAULT;
use coins::parse_amount;
pub use session::Unlocked;

use crate::browser;
use crate::errors::UiError;
use crate::host::{Env, Host};
use crate::store::{LeaseDecision, Store, WalletMeta};
use std::rc::Rc;
use wallet_core::Id;
use wallet_core::address::Network;
use wallet_core::invite::Invite;
use wallet_core::keys::Mnemonic;
use wallet_core::machine::Event;
use wallet_core::wallet::agenda::{CONFIG_EVERY_MS, probe_due};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

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

/// One enum for the whole page, grouped by the file that handles each
/// message. (Flat rather than one enum per screen: every button builds a
/// `Msg`, and a nested one costs wasm size in each of them.)
pub enum Msg {
    // ---- the page (handled in `update`)
    /// IndexedDB opened (or could not).
    StorageOpened(Result<Store, UiError>),
    /// The wallets stored in this browser.
    Listed(Vec<WalletMeta>),
    /// Whether the relay's config could be fetched.
    Config(bool),
    /// The open wallet or the connection changed: redraw.
    Changed,
    /// A second passed: redraw the countdowns.
    Tick,
    /// The user touched the page (a click or a key): the notices counted
    /// in the tab title are seen.
    Looked,
    Go(Screen),
    Tab(Tab),
    Error(Option<String>),
    Info(Option<String>),
    Busy(Option<String>),
    /// A background task ended: what to tell the user, or its error.
    Done(Result<String, UiError>),
    // ---- creating a wallet (`app/new_wallet.rs`)
    /// The create form: name and password, then a new phrase to write down.
    CreateSubmit,
    /// The user wrote the phrase down: ask for three of its words.
    PhraseWritten,
    /// The three words typed: check them, then create the wallet.
    ConfirmSubmit,
    RestoreSubmit,
    ImportSubmit,
    // ---- the session (`app/session.rs`)
    /// The unlock form: open the vault with the password.
    UnlockSubmit,
    /// The vault opened: take the lease, then drive the wallet.
    Unlocked(Box<Unlocked>),
    /// Whether this tab got the wallet's lease.
    Lease(Result<LeaseDecision, UiError>),
    TakeOver,
    /// Try the lease again (the other tab may have closed).
    RetryLease,
    /// The wallet runs: its host, and whether to look for the phrase's coins.
    Running(Rc<Host>, bool),
    Lock,
    // ---- coins, receive, send (`app/coins.rs`)
    /// Ask the relay for demo coins (the amount typed).
    Deposit,
    NewAddress,
    Address(Result<String, UiError>),
    Send,
    /// Another coin was chosen on the send tab.
    PickSendCoin,
    // ---- swaps (`app/swap.rs`)
    /// Tick or untick a coin to give in a new invite.
    ToggleCoin(Id),
    /// Tick or untick a coin to give when joining the previewed invite.
    ToggleJoinCoin(Id),
    CreateInvite,
    InviteMade(Result<String, UiError>),
    CancelInvite(Id),
    /// The inviter pasted the join answer: start the swap.
    AcceptAnswer,
    /// The answer was accepted: the swap (this record id) runs.
    SwapStarted(Result<String, UiError>),
    /// Read the pasted invite and show what it offers.
    JoinPreview,
    /// The invite text was edited: the preview no longer matches it.
    InviteEdited,
    Join,
    /// Joined: the answer to send back, and the swap's record id.
    Joined(Result<(String, String), UiError>),
    /// Show one swap (by record id).
    OpenSwap(String),
    UserEvent(String, Box<Event>),
    /// The address fragment changed (an invite link opened in this tab).
    HashChanged,
    // ---- settings, backup, exports (`app/settings.rs`)
    /// Whether new swaps wait for the user's confirmation.
    SetManual(bool),
    /// Turn browser notifications on (asking the browser) or off.
    SetNotify(bool),
    ExportBackup,
    /// Download the receipt of this history entry.
    ExportReceipt(usize),
    ExportProofs,
    /// Delete the wallet: `false` asks, `true` deletes.
    Delete(bool),
    // ---- passwords and the phrase (`app/settings.rs`)
    /// A new-password field changed: redraw its strength hint.
    PasswordTyped,
    /// Settings: open the vault with the password typed, to show the phrase.
    ShowPhrase,
    PhraseShown(Result<Mnemonic, UiError>),
    HidePhrase,
}

/// Where the user acted: a failure is shown next to that form or button
/// rather than at the top of the page.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Place {
    Deposit,
    Send,
    Backup,
    Phrase,
    /// Creating an invite.
    Invite,
    /// Pasting the join answer to an invite.
    Answer,
    /// Reading an invite and joining it.
    Join,
}

/// A read invite: its text, kept so that Join acts on exactly what was
/// previewed (never on the text field, which may have changed since).
pub(crate) struct JoinPreview {
    pub(crate) code: String,
    pub(crate) invite: Invite,
}

/// Ticks or unticks `id` in a coin picker's list.
fn toggle(ticks: &mut Vec<Id>, id: Id) -> bool {
    match ticks.iter().position(|ticked| *ticked == id) {
        Some(index) => {
            ticks.remove(index);
        }
        None => ticks.push(id),
    }
    true
}

#[derive(Default)]
pub(crate) struct Refs {
    pub(crate) name: NodeRef,
    pub(crate) password: NodeRef,
    pub(crate) password2: NodeRef,
    pub(crate) phrase: NodeRef,
    pub(crate) words: [NodeRef; 3],
    pub(crate) file: NodeRef,
    pub(crate) amount: NodeRef,
    pub(crate) address: NodeRef,
    pub(crate) send_coin: NodeRef,
    pub(crate) want: NodeRef,
    pub(crate) invite: NodeRef,
    pub(crate) answer: NodeRef,
    pub(crate) export_password: NodeRef,
    pub(crate) export_password2: NodeRef,
    pub(crate) phrase_password: NodeRef,
}

pub(crate) fn input(field: &NodeRef) -> String {
    if let Some(text_input) = field.cast::<HtmlInputElement>() {
        return text_input.value();
    }
    if let Some(text_area) = field.cast::<HtmlTextAreaElement>() {
        return text_area.value();
    }
    if let Some(select) = field.cast::<web_sys::HtmlSelectElement>() {
        return select.value();
    }
    String::new()
}

fn clear(field: &NodeRef) {
    if let Some(text_input) = field.cast::<HtmlInputElement>() {
        text_input.set_value("");
    }
    if let Some(text_area) = field.cast::<HtmlTextAreaElement>() {
        text_area.set_value("");
    }
}

/// Runs `future` and delivers its message. Boxed, so Yew's `send_future` is
/// instantiated once rather than once per call site (wasm size).
fn send(ctx: &Context<App>, future: impl std::future::Future<Output = Msg> + 'static) {
    let future: futures::future::LocalBoxFuture<'static, Msg> = Box::pin(future);
    ctx.link().send_future(future);
}

pub struct App {
    pub(crate) env: Rc<Env>,
    pub(crate) store: Option<Store>,
    pub(crate) storage_error: Option<UiError>,
    pub(crate) wallets: Vec<WalletMeta>,
    pub(crate) screen: Screen,
    pub(crate) tab: Tab,
    pub(crate) host: Option<Rc<Host>>,
    /// Unlocked but not yet driving (lease held elsewhere).
    unlocked: Option<Unlocked>,
    /// The phrase of the open wallet (for the backup file).
    phrase: Option<Mnemonic>,
    pub(crate) error: Option<String>,
    pub(crate) info: Option<String>,
    pub(crate) busy: Option<String>,
    pub(crate) online: bool,
    pub(crate) config_ok: bool,
    pub(crate) refs: Refs,
    /// Coins ticked to give in a new invite (a list: few, and one tree
    /// type less).
    pub(crate) create_ticks: Vec<Id>,
    /// Coins ticked to give when joining the previewed invite; cleared
    /// whenever the preview changes.
    pub(crate) join_ticks: Vec<Id>,
    /// The coin chosen on the send tab (`None`: the first one listed).
    pub(crate) send_pick: Option<Id>,
    pub(crate) last_address: Option<String>,
    pub(crate) last_invite: Option<String>,
    /// What the open wallet's notices stand at (tab title, notifications).
    notices: Option<crate::notices::Notices>,
    /// The invite last read, exactly as joining will use it.
    pub(crate) join_preview: Option<JoinPreview>,
    pub(crate) open_swap: Option<String>,
    /// An invite that arrived as a link (`#join=lsi1…`), to join once a
    /// wallet is open.
    pub(crate) linked_invite: Option<String>,
    pub(crate) confirm_delete: bool,
    /// The form the user last acted on, where its failure shows.
    pub(crate) acted: Option<Place>,
    /// The recovery phrase shown again in Settings (after the password).
    pub(crate) shown_phrase: Option<Mnemonic>,
    /// The last screen drawn: a new one takes the focus to its heading.
    focus: crate::focus::Focus,
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
            .map(|config| config.network)
            .unwrap_or(Network::Demo)
    }

    /// Gives the notices the open wallet's changes and the time deserve
    /// (wallet-core's `attention` decides which).
    fn attend(&mut self) {
        if let (Some(host), Some(notices)) = (&self.host, &mut self.notices) {
            let notify = host.meta.borrow().notify;
            notices.update(&host.wallet.borrow(), self.env.now(), notify);
        }
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
        // The first coin's §7 check runs on code the engine has already
        // optimised (wallet_core::verify::warm_up), at no cost to the first
        // screen: after it, when the page is idle.
        wasm_bindgen_futures::spawn_local(async {
            browser::idle(2_000.0).await;
            // Its answer (right or wrong) is wallet-core's tests' concern.
            let _ = wallet_core::verify::warm_up();
        });
        let config_env = env.clone();
        let link = ctx.link().clone();
        wasm_bindgen_futures::spawn_local(async move {
            // The relay may be down at first: keep trying, then keep the
            // clock in step every few minutes; and when the relay has been
            // silent for a few seconds, look (wallet-core's `probe_due`): a
            // relay that hangs shows within seconds, and one that answers
            // again clears the banner (and wakes the retries) as soon.
            // Only a config read every few minutes resets the clock offset
            // (a probe answered late, after a hang, would skew it).
            let mut was_fetched = false;
            let mut last_probe = None;
            let mut last_config: Option<u64> = None;
            loop {
                let now = browser::now_ms() as u64;
                let last_answer = config_env.net.last_ok_ms.get();
                let last_answer = (last_answer > 0.0).then_some(last_answer as u64);
                if probe_due(now, last_answer, last_probe) {
                    last_probe = Some(now);
                    let fetched = if last_config.is_none_or(|at| now - at >= CONFIG_EVERY_MS) {
                        let fetched = config_env.refresh_config().await.is_ok();
                        if fetched {
                            last_config = Some(now);
                        }
                        fetched
                    } else {
                        config_env.relay.config().await.is_ok()
                    };
                    if fetched != was_fetched || !was_fetched {
                        link.send_message(Msg::Config(fetched));
                    }
                    was_fetched = fetched;
                }
                browser::sleep(500.0).await;
            }
        });
        let mut listeners = Vec::new();
        if let Some(window) = web_sys::window() {
            for event in ["online", "offline"] {
                let link = ctx.link().clone();
                let listener = Closure::<dyn FnMut()>::new(move || link.send_message(Msg::Changed));
                let _ = window
                    .add_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
                listeners.push(listener);
            }
        }
        if let Some(window) = web_sys::window() {
            for event in ["pointerdown", "keydown"] {
                let link = ctx.link().clone();
                let listener = Closure::<dyn FnMut()>::new(move || link.send_message(Msg::Looked));
                let _ = window
                    .add_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
                listeners.push(listener);
            }
        }
        if let Some(window) = web_sys::window() {
            let link = ctx.link().clone();
            let listener = Closure::<dyn FnMut()>::new(move || link.send_message(Msg::HashChanged));
            let _ = window
                .add_event_listener_with_callback("hashchange", listener.as_ref().unchecked_ref());
            listeners.push(listener);
        }
        let link = ctx.link().clone();
        let tick = Closure::<dyn FnMut()>::new(move || link.send_message(Msg::Tick));
        let interval = web_sys::window().and_then(|window| {
            window
                .set_interval_with_callback_and_timeout_and_arguments_0(
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
            create_ticks: Vec::new(),
            join_ticks: Vec::new(),
            send_pick: None,
            last_address: None,
            last_invite: None,
            notices: None,
            join_preview: None,
            open_swap: None,
            linked_invite: browser::linked_invite(),
            confirm_delete: false,
            acted: None,
            shown_phrase: None,
            focus: Default::default(),
            tab_id: browser::tab_id(),
            _listeners: listeners,
            _interval: interval,
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        self.online = browser::online();
        match msg {
            // the page
            Msg::StorageOpened(Ok(store)) => {
                self.store = Some(store);
                self.screen = Screen::Welcome;
                self.refresh_list(ctx);
                true
            }
            Msg::StorageOpened(Err(e)) => {
                self.storage_error = Some(e);
                self.screen = Screen::NoStorage;
                true
            }
            Msg::Listed(wallets) => {
                self.wallets = wallets;
                true
            }
            Msg::Config(ok) => {
                self.config_ok = ok;
                true
            }
            Msg::Changed => {
                if let Some(host) = &self.host
                    && host.lost_lease.get()
                {
                    let name = host.meta.borrow().name.clone();
                    self.host = None;
                    self.screen = Screen::Held(name);
                }
                self.attend();
                true
            }
            // Redraw only where time shows: countdowns (the wallet list's
            // too), banners.
            Msg::Tick => {
                self.attend();
                self.screen == Screen::Wallet
                    || !self.online
                    || (self.screen == Screen::Welcome
                        && self.wallets.iter().any(|wallet| wallet.swap.is_some()))
            }
            Msg::Looked => {
                if let Some(notices) = &mut self.notices {
                    notices.looked();
                }
                false
            }
            Msg::Go(screen) => {
                self.acted = None;
                self.error = None;
                self.info = None;
                self.screen = screen;
                true
            }
            Msg::Tab(tab) => {
                self.acted = None;
                self.shown_phrase = None;
                self.error = None;
                self.info = None;
                self.tab = tab;
                self.open_swap = None;
                self.confirm_delete = false;
                true
            }
            Msg::Error(e) => {
                self.error = e;
                true
            }
            Msg::Info(info) => {
                self.info = info;
                true
            }
            Msg::Busy(busy) => {
                self.busy = busy;
                true
            }
            Msg::Done(result) => {
                self.busy = None;
                match result {
                    Ok(info) => {
                        self.error = None;
                        self.info = Some(info);
                    }
                    Err(e) => self.fail(e),
                }
                self.refresh_list(ctx);
                true
            }
            // creating a wallet: app/new_wallet.rs
            Msg::CreateSubmit => self.create_submit(),
            Msg::PhraseWritten => self.phrase_written(),
            Msg::ConfirmSubmit => self.confirm_submit(ctx),
            Msg::RestoreSubmit => self.restore_submit(ctx),
            Msg::ImportSubmit => self.import_submit(ctx),
            // the session: app/session.rs
            Msg::UnlockSubmit => self.unlock_submit(ctx),
            Msg::Unlocked(unlocked) => self.open_unlocked(ctx, *unlocked),
            Msg::Lease(result) => self.lease_decided(ctx, result),
            Msg::TakeOver => self.take_over(ctx),
            Msg::RetryLease => self.retry_lease(ctx),
            Msg::Running(host, find_coins) => self.running(ctx, host, find_coins),
            Msg::Lock => self.lock(ctx),
            // coins, receive, send: app/coins.rs
            Msg::Deposit => self.deposit(ctx),
            Msg::NewAddress => self.new_address(ctx),
            Msg::Address(result) => self.address_made(result),
            Msg::Send => self.send_coin(ctx),
            Msg::PickSendCoin => self.pick_send_coin(),
            // swaps: app/swap.rs
            Msg::ToggleCoin(id) => toggle(&mut self.create_ticks, id),
            Msg::ToggleJoinCoin(id) => toggle(&mut self.join_ticks, id),
            Msg::CreateInvite => self.create_invite(ctx),
            Msg::InviteMade(result) => self.invite_made(result),
            Msg::CancelInvite(id) => self.cancel_invite(ctx, id),
            Msg::AcceptAnswer => self.accept_answer(ctx),
            Msg::SwapStarted(result) => self.swap_started(result),
            Msg::JoinPreview => self.read_invite(),
            Msg::InviteEdited => self.invite_edited(),
            Msg::Join => self.join(ctx),
            Msg::Joined(result) => self.joined(result),
            Msg::OpenSwap(rid) => self.show_swap(rid),
            Msg::UserEvent(rid, event) => self.user_event(rid, event),
            Msg::HashChanged => self.follow_invite_link(),
            // settings, backup, exports: app/settings.rs
            Msg::SetManual(on) => self.set_manual(ctx, on),
            Msg::SetNotify(on) => self.set_notify(ctx, on),
            Msg::ExportBackup => self.export_backup(ctx),
            Msg::ExportReceipt(index) => self.export_receipt(index),
            Msg::ExportProofs => self.export_proofs(),
            Msg::Delete(really) => self.delete(ctx, really),
            // passwords and the phrase: app/settings.rs
            Msg::PasswordTyped => true,
            Msg::ShowPhrase => self.show_phrase(ctx),
            Msg::PhraseShown(result) => self.phrase_shown(result),
            Msg::HidePhrase => {
                self.shown_phrase = None;
                true
            }
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        self.frame(ctx)
    }

    fn rendered(&mut self, _ctx: &Context<Self>, _first_render: bool) {
        let key = crate::focus::ScreenKey::new(&self.screen, self.tab, self.open_swap.as_deref());
        self.focus.rendered(key);
    }
}
