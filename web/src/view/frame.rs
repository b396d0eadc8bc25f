//! The frame around every screen: the header, the connection and storage
//! banners, the error / info / busy lines, and the footer.

use super::widgets::on_click;
use crate::app::{App, Msg, Place, Screen};
use yew::prelude::*;

impl App {
    /// The whole page.
    pub(crate) fn frame(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        html! {
            <div class="app">
                <header class="top">
                    <div class="brand" onclick={on_click(link, || Msg::Lock)}>
                        <span class="logo" aria-hidden="true">{"⇄"}</span>{" Lockstep"}
                    </div>
                    { self.header_right(ctx) }
                </header>
                { self.banners(ctx) }
                <main>
                    if let (Some(error), None) = (&self.error, self.acted) {
                        <div class="error" role="alert" data-testid="error">
                            <span>{error}</span>
                            <button type="button" class="link" aria-label="Dismiss" onclick={on_click(link, || Msg::Error(None))}>{"Dismiss"}</button>
                        </div>
                    }
                    if let Some(info) = &self.info {
                        <div class="info" role="status" data-testid="info">
                            <span>{info}</span>
                            <button type="button" class="link" onclick={on_click(link, || Msg::Info(None))}>{"Dismiss"}</button>
                        </div>
                    }
                    if let Some(busy) = &self.busy {
                        <div class="busy" role="status" data-testid="busy"><span class="spinner" aria-hidden="true"></span>{busy}</div>
                    }
                    { self.screen_view(ctx) }
                </main>
                <footer class="foot">{"Demo network: coins here have no value. "}
                    { self.env.clock.get().skew_note().unwrap_or_default() }
                </footer>
            </div>
        }
    }

    /// The error line beside the form at `place`, when the user's last
    /// action there failed (the top of the page shows it otherwise).
    pub(crate) fn error_at(&self, ctx: &Context<Self>, place: Place) -> Html {
        match &self.error {
            Some(error) if self.acted == Some(place) => html! {
                <div class="error inline-error" role="alert" data-testid="error" data-place={format!("{place:?}").to_ascii_lowercase()}>
                    <span>{error}</span>
                    <button type="button" class="link" aria-label="Dismiss" onclick={on_click(ctx.link(), || Msg::Error(None))}>{"Dismiss"}</button>
                </div>
            },
            _ => html! {},
        }
    }

    fn header_right(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        match (&self.screen, &self.host) {
            (Screen::Wallet, Some(host)) => {
                let name = host.meta.borrow().name.clone();
                html! {
                    <div class="who">
                        <h1 class="wallet-name" data-testid="wallet-name">{name}</h1>
                        <button type="button" class="secondary small" onclick={on_click(link, || Msg::Lock)}>{"Lock"}</button>
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
        let problem = self
            .host
            .as_ref()
            .and_then(|host| host.problem.borrow().clone());
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
                if let Some(problem) = problem {
                    <div class="banner storage" role="alert" data-testid="storage-banner">{problem.to_string()}</div>
                }
            </>
        }
    }
}
