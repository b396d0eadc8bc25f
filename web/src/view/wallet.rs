//! The open wallet: its balance and the tab bar; each tab is drawn in its
//! own file.

use crate::app::{App, Msg, Tab};
use crate::view::money_text::balance_line;
use crate::view::sats;
use wallet_core::wallet::Record;
use yew::prelude::*;

impl App {
    pub(crate) fn wallet_view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let Some(host) = &self.host else {
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
        let wallet = host.wallet.borrow();
        let split = wallet.balance_split();
        let active_swaps = wallet
            .records
            .values()
            .filter(|record| matches!(record, Record::Swap(_)) && !record.is_final())
            .count();
        html! {
            <>
                <section class="balance-card">
                    <div class="label">{"Balance"}</div>
                    <div class="balance" data-testid="balance" data-sats={wallet.balance().to_string()}>{sats(wallet.balance())}</div>
                    <div class="balance-split" data-testid="balance-split" data-available={split.available.to_string()} data-locked={split.in_swaps.to_string()}>{balance_line(&split)}</div>
                    <div class="muted">{format!("{} coin{} · demo coins", wallet.coins.len(), if wallet.coins.len() == 1 { "" } else { "s" })}</div>
                </section>
                <nav class="tabs" role="tablist">
                    { for tabs.iter().map(|(tab, label)| {
                        let tab = *tab;
                        let text = if tab == Tab::Swap && active_swaps > 0 { format!("{label} ({active_swaps})") } else { label.to_string() };
                        html! {
                            <button type="button" role="tab" class={classes!("tab", (self.tab == tab).then_some("active"))}
                                data-testid={format!("tab-{}", label.to_lowercase())}
                                onclick={link.callback(move |_| Msg::Tab(tab))}>{text}</button>
                        }
                    }) }
                </nav>
                { match self.tab {
                    Tab::Coins => self.coins_tab(ctx, &wallet),
                    Tab::Receive => self.receive_tab(ctx, &wallet),
                    Tab::Send => self.send_tab(ctx, &wallet),
                    Tab::Swap => self.swap_tab(ctx, &wallet),
                    Tab::History => self.history_tab(ctx, &wallet),
                    Tab::Settings => self.settings_tab(ctx, &wallet),
                } }
            </>
        }
    }
}
