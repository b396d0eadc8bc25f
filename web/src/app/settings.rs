//! The settings tab (manual confirmation, backup file, deleting the
//! wallet) and the history tab's exports (receipts, equivocation proofs).

use super::{App, Msg, Place, Screen, clear, input, send};
use crate::browser::{self, BrowserEntropy};
use crate::errors::UiError;
use crate::secrets;
use crate::view::short_id;
use wallet_core::keys::Mnemonic;
use wallet_core::vault::KdfParams;
use wallet_core::wallet::password::check_new_password;
use yew::prelude::*;

impl App {
    pub(super) fn set_manual(&mut self, ctx: &Context<Self>, on: bool) -> bool {
        if let Some(host) = self.host.clone() {
            send(ctx, async move {
                Msg::Done(host.set_manual_confirm(on).await.map(|_| {
                    if on {
                        "New swaps will wait for your confirmation before unlocking."
                    } else {
                        "New swaps unlock by themselves once every check passes."
                    }
                    .to_string()
                }))
            });
        }
        true
    }

    /// Notifications on: the browser asks the user (this runs on their
    /// click, never on load); on only if they allow it.
    pub(super) fn set_notify(&mut self, ctx: &Context<Self>, on: bool) -> bool {
        if let Some(host) = self.host.clone() {
            send(ctx, async move {
                if on && !crate::notices::ask().await {
                    return Msg::Done(Err(UiError::Browser(
                        "show notifications: allow them for this page in the browser's site settings",
                    )));
                }
                Msg::Done(host.set_notify(on).await.map(|_| {
                    if on {
                        "Notifications are on: an answer or a coin that arrives, a swap that waits for you and a deadline that is near show even when this tab is in the background."
                    } else {
                        "Notifications are off; the tab title still counts what arrived."
                    }
                    .to_string()
                }))
            });
        }
        true
    }

    pub(super) fn export_backup(&mut self, ctx: &Context<Self>) -> bool {
        let (Some(host), Some(phrase)) = (self.host.clone(), self.phrase.clone()) else {
            return false;
        };
        self.acted = Some(Place::Backup);
        let password = input(&self.refs.export_password);
        let again = input(&self.refs.export_password2);
        // The rule for new passwords, and the same password twice; a
        // mismatch changes nothing.
        let checked = check_new_password(&password)
            .map_err(UiError::from)
            .and_then(|_| {
                (password == again)
                    .then_some(())
                    .ok_or(UiError::PasswordsDiffer)
            });
        if let Err(e) = checked {
            self.fail(e);
            return true;
        }
        let password_field = self.refs.export_password.clone();
        let again_field = self.refs.export_password2.clone();
        self.run_blocking(ctx, "Encrypting the backup…", async move {
            let wallet = host.wallet.borrow().clone();
            let manual = host.meta.borrow().manual_confirm;
            let result = secrets::export_backup(
                &phrase,
                &wallet,
                manual,
                &password,
                KdfParams::DEFAULT,
                &mut BrowserEntropy,
            )
            .and_then(|text| {
                let file = format!("lockstep-{}.backup.json", wallet.name);
                if browser::download(&file, &text, "application/json") {
                    clear(&password_field);
                    clear(&again_field);
                    Ok(format!(
                        "The backup {file} was saved. Keep it with the password you used."
                    ))
                } else {
                    Err(UiError::Browser("save the file"))
                }
            });
            Msg::Done(result)
        });
        true
    }

    /// Shows the recovery phrase again once the password typed opens the
    /// wallet's vault (the phrase in memory is not shown on its own: the
    /// password proves it is the owner at the screen).
    pub(super) fn show_phrase(&mut self, ctx: &Context<Self>) -> bool {
        let (Some(host), Some(store)) = (self.host.clone(), self.store()) else {
            return false;
        };
        self.acted = Some(Place::Phrase);
        let password = input(&self.refs.phrase_password);
        let field = self.refs.phrase_password.clone();
        let name = host.meta.borrow().name.clone();
        self.run_blocking(ctx, "Checking the password…", async move {
            let opened = async {
                let (_, vault, _) = store.load(&name).await?;
                secrets::open_phrase(&vault, &password)
            }
            .await;
            if opened.is_ok() {
                clear(&field);
            }
            Msg::PhraseShown(opened)
        });
        true
    }

    pub(super) fn phrase_shown(&mut self, result: Result<Mnemonic, UiError>) -> bool {
        self.busy = None;
        match result {
            Ok(phrase) => {
                self.error = None;
                self.shown_phrase = Some(phrase);
            }
            Err(e) => self.fail(e),
        }
        true
    }

    pub(super) fn export_receipt(&mut self, index: usize) -> bool {
        if let Some(host) = &self.host {
            let wallet = host.wallet.borrow();
            if let Some(receipt) = wallet
                .history
                .get(index)
                .and_then(|entry| entry.receipt.as_ref())
            {
                let text = serde_json::to_string_pretty(receipt).unwrap_or_default();
                let file = format!(
                    "receipt-{}-{}.json",
                    short_id(&receipt.statechain_id),
                    receipt.seq
                );
                browser::download(&file, &text, "application/json");
            }
        }
        false
    }

    pub(super) fn export_proofs(&mut self) -> bool {
        if let Some(host) = &self.host {
            let wallet = host.wallet.borrow();
            let text = serde_json::to_string_pretty(&wallet.equivocations).unwrap_or_default();
            browser::download("equivocation-proofs.json", &text, "application/json");
        }
        false
    }

    pub(super) fn delete(&mut self, ctx: &Context<Self>, really: bool) -> bool {
        if !really {
            self.confirm_delete = true;
            return true;
        }
        let Some(host) = self.host.take() else {
            return false;
        };
        let store = self.store();
        let name = host.meta.borrow().name.clone();
        host.stop();
        self.phrase = None;
        self.confirm_delete = false;
        self.screen = Screen::Welcome;
        send(ctx, async move {
            let result = match store {
                Some(store) => store.delete(&name).await,
                None => Err(UiError::StorageUnavailable),
            };
            Msg::Done(
                result.map(|_| format!("The wallet \"{name}\" was deleted from this browser.")),
            )
        });
        true
    }
}
