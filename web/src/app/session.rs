//! An open wallet's session: unlocking it, taking this tab's lease on it
//! (or waiting while another tab holds it), running it, and locking it.

use super::{App, Msg, Screen, Tab, input, send};
use crate::browser;
use crate::errors::UiError;
use crate::host::Host;
use crate::secrets;
use crate::store::{LeaseDecision, WalletMeta};
use std::rc::Rc;
use wallet_core::keys::{Mnemonic, WalletKeys};
use wallet_core::wallet::attention::running_swap;
use yew::prelude::*;

/// A wallet whose vault just opened.
pub struct Unlocked {
    pub(super) meta: WalletMeta,
    pub(super) keys: WalletKeys,
    pub(super) phrase: Mnemonic,
    pub(super) find_coins: bool,
}

impl App {
    pub(super) fn unlock_submit(&mut self, ctx: &Context<Self>) -> bool {
        let Screen::Unlock(name) = self.screen.clone() else {
            return false;
        };
        let password = input(&self.refs.password);
        let store = self.store();
        self.run_blocking(ctx, "Unlocking…", async move {
            let Some(store) = store else {
                return Msg::Done(Err(UiError::StorageUnavailable));
            };
            let opened = async {
                let (meta, vault, _) = store.load(&name).await?;
                let phrase = secrets::open_phrase(&vault, &password)?;
                Ok::<_, UiError>((meta, phrase))
            }
            .await;
            match opened {
                Ok((meta, phrase)) => Msg::Unlocked(Box::new(Unlocked {
                    meta,
                    keys: WalletKeys::from_mnemonic(&phrase),
                    phrase,
                    find_coins: false,
                })),
                Err(e) => Msg::Done(Err(e)),
            }
        });
        true
    }

    pub(super) fn open_unlocked(&mut self, ctx: &Context<Self>, unlocked: Unlocked) -> bool {
        self.busy = Some("Opening the wallet…".into());
        let name = unlocked.meta.name.clone();
        self.unlocked = Some(unlocked);
        self.take_lease(ctx, name, false);
        true
    }

    pub(super) fn take_over(&mut self, ctx: &Context<Self>) -> bool {
        if let Screen::Held(name) = self.screen.clone() {
            if self.unlocked.is_none() {
                self.screen = Screen::Unlock(name);
                return true;
            }
            self.take_lease(ctx, name, true);
        }
        true
    }

    pub(super) fn retry_lease(&mut self, ctx: &Context<Self>) -> bool {
        if let (Screen::Held(name), Some(_)) = (self.screen.clone(), &self.unlocked) {
            self.take_lease(ctx, name, false);
        }
        false
    }

    pub(super) fn lease_decided(
        &mut self,
        ctx: &Context<Self>,
        decision: Result<LeaseDecision, UiError>,
    ) -> bool {
        match decision {
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
                        Ok(Some(wallet)) => wallet,
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
        }
        true
    }

    pub(super) fn running(
        &mut self,
        ctx: &Context<Self>,
        host: Rc<Host>,
        find_coins: bool,
    ) -> bool {
        self.busy = None;
        self.error = None;
        self.tab = Tab::Coins;
        self.open_swap = None;
        self.host = Some(host.clone());
        self.screen = Screen::Wallet;
        self.notices = Some(crate::notices::Notices::start(
            &host.wallet.borrow(),
            self.env.now(),
        ));
        if let Some(code) = self.linked_invite.clone() {
            self.tab = Tab::Swap;
            let _ = self.preview(&code);
        }
        // A swap that waits on the user (an answer to send, a go-ahead to
        // give) opens first: it is why they came back.
        if let Some(swap) = running_swap(&host.wallet.borrow()).filter(|swap| swap.waits_on_user) {
            self.tab = Tab::Swap;
            self.open_swap = Some(swap.rid);
        }
        self.refresh_list(ctx);
        if find_coins {
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
                let progress = move |checked: u32, found: usize| {
                    link.send_message(Msg::Busy(Some(format!(
                        "Looking for this phrase's coins at the relay… ({checked} addresses checked, {found} coins found)"
                    ))))
                };
                let result = host.find_coins(&progress).await;
                Msg::Done(result.map(|found| match found {
                    0 => "No coins were found for this phrase.".to_string(),
                    1 => "1 coin was found again.".to_string(),
                    found => format!("{found} coins were found again."),
                }))
            });
        }
        true
    }

    pub(super) fn lock(&mut self, ctx: &Context<Self>) -> bool {
        if let Some(host) = self.host.take() {
            wasm_bindgen_futures::spawn_local(async move { host.shutdown().await });
        }
        self.phrase = None;
        self.shown_phrase = None;
        self.acted = None;
        self.unlocked = None;
        self.create_ticks.clear();
        self.join_ticks.clear();
        self.send_pick = None;
        self.last_address = None;
        self.last_invite = None;
        self.notices = None;
        crate::notices::reset_title();
        self.join_preview = None;
        self.error = None;
        self.info = None;
        self.screen = Screen::Welcome;
        self.refresh_list(ctx);
        true
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
}
