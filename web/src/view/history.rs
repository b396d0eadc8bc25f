//! The history tab: one item per deposit, transfer or swap (wallet-core's
//! `history_items`), with its date and time, its words (`money_text`) and
//! its receipts' checks; and the relay's equivocation proofs if any.

use super::widgets::on_click;
use crate::app::{App, Msg};
use crate::browser;
use crate::view::money_text;
use wallet_core::wallet::Wallet;
use wallet_core::wallet::history_items::{ItemKind, history_items};
use yew::prelude::*;

impl App {
    pub(crate) fn history_tab(&self, ctx: &Context<Self>, wallet: &Wallet) -> Html {
        let link = ctx.link();
        let relay = wallet.relay_pubkey;
        let items = history_items(&wallet.history);
        html! {
            <>
            <section class="card">
                <h2>{"History"}</h2>
                if wallet.history.is_empty() {
                    <p class="empty" data-testid="history" data-count="0">{"Nothing yet. Deposits, transfers and swaps appear here with the relay's signed receipts."}</p>
                } else {
                    <ul class="history" data-testid="history" data-count={items.len().to_string()}>
                        { for items.iter().rev().map(|item| {
                            let when = money_text::date_time(item.time, browser::utc_offset_minutes(item.time));
                            html! {
                                <li class="entry" data-kind={money_text::item_kind(item)} data-gave={item.gave.to_string()} data-got={item.got.to_string()} data-came-back={item.came_back.to_string()} data-time={item.time.to_string()}>
                                    <time class="when" data-testid="history-time">{when}</time>
                                    <span class="what" data-testid="history-text">{money_text::history_text(item)}</span>
                                    { for item.entries.iter().filter_map(|index| wallet.history.get(*index).map(|entry| (*index, entry))).filter(|(_, entry)| entry.receipt.is_some() || item.kind != ItemKind::Swap).map(|(index, entry)| {
                                        let verified = entry.receipt.as_ref().map(|receipt| relay.is_some_and(|key| receipt.verify(&key)));
                                        html! {
                                            <span class="proof">
                                                { match verified {
                                                    Some(true) => html! { <span class="receipt ok" data-testid="receipt-status" data-valid="true">{"receipt verified ✓"}</span> },
                                                    Some(false) => html! { <span class="receipt bad" data-testid="receipt-status" data-valid="false">{"receipt does NOT verify"}</span> },
                                                    None => html! { <span class="receipt none">{"no receipt (the receiver gets it)"}</span> },
                                                } }
                                                if entry.receipt.is_some() {
                                                    <button type="button" class="link" onclick={link.callback(move |_| Msg::ExportReceipt(index))}>{"Export receipt"}</button>
                                                }
                                            </span>
                                        }
                                    }) }
                                </li>
                            }
                        }) }
                    </ul>
                    <p class="muted">{"Each receipt is checked on this device against the relay's key; exported receipts can be checked by anyone offline."}</p>
                }
            </section>
            if !wallet.equivocations.is_empty() {
                <section class="card alert" data-testid="equivocations">
                    <h2>{"Relay misbehaviour detected"}</h2>
                    <p>{format!("The relay signed conflicting receipts {} time(s). This is proof that it rewrote a coin's history; export it and stop using this relay.", wallet.equivocations.len())}</p>
                    <button type="button" class="danger" onclick={on_click(link, || Msg::ExportProofs)}>{"Export proofs"}</button>
                </section>
            }
            </>
        }
    }
}
