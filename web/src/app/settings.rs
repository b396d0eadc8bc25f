//! The settings tab (manual confirmation, backup file, deleting the
//! wallet) and the history tab's exports (receipts, equivocation proofs).

use super::{App, Msg, Screen, clear, input, send};
use crate::browser::{self, BrowserEntropy};
use crate::errors::UiError;
use crate::secrets;
use crate::view::short_id;
use wallet_core::vault::KdfParams;
use yew::prelude::*;

impl App {
    pub(super) fn set_manual(&mut self, ctx: &Context<Self>, on: bool) -> bool {
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
        true
    }

    pub(super) fn export_backup(&mut self, ctx: &Context<Self>) -> bool {
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
        true
    }

    pub(super) fn export_receipt(&mut self, i: usize) -> bool {
        if let Some(h) = &self.host {
            let w = h.wallet.borrow();
            if let Some(r) = w.history.get(i).and_then(|e| e.receipt.as_ref()) {
                let text = serde_json::to_string_pretty(r).unwrap_or_default();
                let file = format!("receipt-{}-{}.json", short_id(&r.statechain_id), r.seq);
                browser::download(&file, &text, "application/json");
            }
        }
        false
    }

    pub(super) fn export_proofs(&mut self) -> bool {
        if let Some(h) = &self.host {
            let w = h.wallet.borrow();
            let text = serde_json::to_string_pretty(&w.equivocations).unwrap_or_default();
            browser::download("equivocation-proofs.json", &text, "application/json");
        }
        false
    }

    pub(super) fn delete(&mut self, ctx: &Context<Self>, really: bool) -> bool {
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
            Msg::Done(r.map(|_| format!("The wallet \"{name}\" was deleted from this browser.")))
        });
        true
    }
}
