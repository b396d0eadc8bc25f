//! The settings tab: manual confirmation, the backup file, lock and delete.

use super::widgets::{on_click, on_submit};
use crate::app::{App, Msg};
use crate::clock::format_duration;
use wallet_core::wallet::Wallet;
use yew::prelude::*;

impl App {
    pub(crate) fn settings_tab(&self, ctx: &Context<Self>, _wallet: &Wallet) -> Html {
        let link = ctx.link();
        let Some(host) = &self.host else {
            return html! {};
        };
        let manual = host.meta.borrow().manual_confirm;
        let relay = host
            .relay_pubkey()
            .map(|key| key.to_string())
            .unwrap_or_default();
        let timeout = self
            .env
            .config
            .borrow()
            .as_ref()
            .map(|config| format_duration(config.batch_timeout))
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
                <form class="inline" onsubmit={on_submit(link, || Msg::ExportBackup)}>
                    <input ref={self.refs.export_password.clone()} type="password" data-testid="export-password" placeholder="Password for the file" aria-label="Password for the backup file" autocomplete="new-password"/>
                    <button type="submit">{"Export backup"}</button>
                </form>
            </section>
            <section class="card">
                <h2>{"This wallet"}</h2>
                <p class="muted mono">{format!("Relay key: {relay}")}</p>
                <div class="row wrap">
                    <button type="button" class="secondary" onclick={on_click(link, || Msg::Lock)}>{"Lock wallet"}</button>
                    if self.confirm_delete {
                        <button type="button" class="danger" onclick={on_click(link, || Msg::Delete(true))}>{"Really delete it from this browser"}</button>
                    } else {
                        <button type="button" class="danger" onclick={on_click(link, || Msg::Delete(false))}>{"Delete wallet"}</button>
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
