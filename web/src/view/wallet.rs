//! The open wallet: its balance and the tab bar; each tab is drawn in its
//! own file.

use crate::app::{App, Msg, Tab};
use crate::view::sats;
use wallet_core::wallet::Record;
use yew::prelude::*;

impl App {
    pub(crate) fn wallet_view(&self, ctx: &Context<Self>) -> Html {
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
}
