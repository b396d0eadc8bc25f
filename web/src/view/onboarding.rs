//! The screens before a wallet is open: loading, storage unavailable, the
//! wallet list, create (phrase shown, then confirmed), restore, import,
//! unlock, and "open elsewhere".

use super::widgets::{on_click, on_submit};
use crate::app::{App, Msg, Screen};
use crate::errors::UiError;
use wallet_core::wallet::password::MIN_PASSWORD_LEN;
use yew::prelude::*;

impl App {
    pub(crate) fn screen_view(&self, ctx: &Context<Self>) -> Html {
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
                    <form onsubmit={on_submit(link, || Msg::CreateSubmit)}>
                        <label>{"Wallet name"}<input ref={self.refs.name.clone()} name="name" data-testid="wallet-name-input" placeholder="e.g. Alice" autocomplete="off"/></label>
                        <label>{"Password"}<input ref={self.refs.password.clone()} type="password" name="password" data-testid="password" autocomplete="new-password" oninput={link.callback(|_| Msg::PasswordTyped)}/></label>
                        { self.password_hint(&self.refs.password) }
                        <label>{"Password again"}<input ref={self.refs.password2.clone()} type="password" name="password2" data-testid="password2" autocomplete="new-password"/></label>
                        <p class="muted">{format!("At least {MIN_PASSWORD_LEN} characters. The password encrypts the wallet on this device. It cannot be recovered; the recovery phrase you get next can restore the wallet anywhere.")}</p>
                        <div class="row">
                            <button type="submit">{"Create wallet"}</button>
                            <button type="button" class="secondary" onclick={on_click(link, || Msg::Go(Screen::Welcome))}>{"Back"}</button>
                        </div>
                    </form>
                </section>
            },
            Screen::ShowPhrase { phrase, .. } => html! {
                <section class="card narrow">
                    <h1>{"Your recovery phrase"}</h1>
                    <p>{"Write these 12 words down, in order, and keep them offline. Anyone with them owns your coins; without them a lost device means lost coins."}</p>
                    <ol class="phrase" data-testid="phrase">
                        { for phrase.words().into_iter().map(|word| html! { <li>{word}</li> }) }
                    </ol>
                    <div class="row">
                        <button type="button" onclick={on_click(link, || Msg::PhraseWritten)}>{"I have written it down"}</button>
                    </div>
                </section>
            },
            Screen::ConfirmPhrase { positions, .. } => html! {
                <section class="card narrow">
                    <h1>{"Confirm your phrase"}</h1>
                    <p>{"Type these words from the phrase you wrote down."}</p>
                    <form onsubmit={on_submit(link, || Msg::ConfirmSubmit)}>
                        { for positions.iter().enumerate().map(|(slot, position)| html! {
                            <label>{format!("Word {position}")}
                                <input ref={self.refs.words[slot].clone()} data-testid={format!("confirm-word-{position}")} autocomplete="off" autocapitalize="none"/>
                            </label>
                        }) }
                        <div class="row">
                            <button type="submit">{"Confirm and open the wallet"}</button>
                            <button type="button" class="secondary" onclick={on_click(link, || Msg::Go(Screen::Welcome))}>{"Cancel"}</button>
                        </div>
                    </form>
                </section>
            },
            Screen::Restore => html! {
                <section class="card narrow">
                    <h1>{"Restore from a recovery phrase"}</h1>
                    <form onsubmit={on_submit(link, || Msg::RestoreSubmit)}>
                        <label>{"Recovery phrase (12 words)"}<textarea ref={self.refs.phrase.clone()} data-testid="restore-phrase" rows="3" autocomplete="off" autocapitalize="none" spellcheck="false"/></label>
                        <label>{"Wallet name"}<input ref={self.refs.name.clone()} data-testid="wallet-name-input" autocomplete="off"/></label>
                        <label>{"New password"}<input ref={self.refs.password.clone()} type="password" data-testid="password" autocomplete="new-password" oninput={link.callback(|_| Msg::PasswordTyped)}/></label>
                        { self.password_hint(&self.refs.password) }
                        <label>{"Password again"}<input ref={self.refs.password2.clone()} type="password" data-testid="password2" autocomplete="new-password"/></label>
                        <p class="muted">{"The wallet asks the relay which coins the phrase's addresses own and adds them back."}</p>
                        <div class="row">
                            <button type="submit">{"Restore wallet"}</button>
                            <button type="button" class="secondary" onclick={on_click(link, || Msg::Go(Screen::Welcome))}>{"Back"}</button>
                        </div>
                    </form>
                </section>
            },
            Screen::Import => html! {
                <section class="card narrow">
                    <h1>{"Import a backup file"}</h1>
                    <form onsubmit={on_submit(link, || Msg::ImportSubmit)}>
                        <label>{"Backup file"}<input ref={self.refs.file.clone()} type="file" accept=".json,application/json" data-testid="backup-file"/></label>
                        <label>{"The backup's password"}<input ref={self.refs.password.clone()} type="password" data-testid="password" autocomplete="current-password"/></label>
                        <label>{"Wallet name (leave empty to keep the backup's)"}<input ref={self.refs.name.clone()} data-testid="wallet-name-input" autocomplete="off"/></label>
                        <div class="row">
                            <button type="submit">{"Import wallet"}</button>
                            <button type="button" class="secondary" onclick={on_click(link, || Msg::Go(Screen::Welcome))}>{"Back"}</button>
                        </div>
                    </form>
                </section>
            },
            Screen::Unlock(name) => html! {
                <section class="card narrow">
                    <h1>{format!("Unlock “{name}”")}</h1>
                    <form onsubmit={on_submit(link, || Msg::UnlockSubmit)}>
                        <label>{"Password"}<input ref={self.refs.password.clone()} type="password" data-testid="password" autocomplete="current-password"/></label>
                        <div class="row">
                            <button type="submit">{"Unlock"}</button>
                            <button type="button" class="secondary" onclick={on_click(link, || Msg::Go(Screen::Welcome))}>{"Back"}</button>
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
                        <button type="button" onclick={on_click(link, || Msg::TakeOver)}>{"Take over here"}</button>
                        <button type="button" class="secondary" onclick={on_click(link, || Msg::Lock)}>{"Back"}</button>
                    </div>
                </section>
            },
            Screen::Wallet => self.wallet_view(ctx),
        }
    }

    fn welcome(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let now = self.env.now();
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
                        { for self.wallets.iter().map(|wallet| {
                            let name = wallet.name.clone();
                            html! {
                                <li>
                                    <span class="name">{&wallet.name}</span>
                                    if let Some(swap) = &wallet.swap {
                                        <span class={classes!("swap-status", swap.waits_on_user.then_some("waits"))} data-testid="wallet-swap"
                                            data-waits={swap.waits_on_user.to_string()}>{crate::clock::swap_status_line(swap, now)}</span>
                                    }
                                    <button type="button" onclick={link.callback(move |_| Msg::Go(Screen::Unlock(name.clone())))}>{format!("Open {}", wallet.name)}</button>
                                </li>
                            }
                        }) }
                    </ul>
                }
                <div class="row wrap">
                    <button type="button" onclick={on_click(link, || Msg::Go(Screen::Create))}>{"Create a new wallet"}</button>
                    <button type="button" class="secondary" onclick={on_click(link, || Msg::Go(Screen::Restore))}>{"Restore from phrase"}</button>
                    <button type="button" class="secondary" onclick={on_click(link, || Msg::Go(Screen::Import))}>{"Import backup file"}</button>
                </div>
            </section>
        }
    }
}
