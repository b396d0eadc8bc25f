//! The history tab: every entry with its receipt's check, and the relay's
//! equivocation proofs if any.

use super::widgets::on_click;
use crate::app::{App, Msg};
use crate::view::{self, sats, short_id};
use wallet_core::wallet::Wallet;
use yew::prelude::*;

impl App {
    pub(crate) fn history_tab(&self, ctx: &Context<Self>, wallet: &Wallet) -> Html {
        let link = ctx.link();
        let relay = wallet.relay_pubkey;
        html! {
            <>
            <section class="card">
                <h2>{"History"}</h2>
                if wallet.history.is_empty() {
                    <p class="empty" data-testid="history" data-count="0">{"Nothing yet. Deposits, transfers and swaps appear here with the relay's signed receipts."}</p>
                } else {
                    <ul class="history" data-testid="history" data-count={wallet.history.len().to_string()}>
                        { for wallet.history.iter().enumerate().rev().map(|(index, entry)| {
                            let verified = entry.receipt.as_ref().map(|receipt| relay.is_some_and(|key| receipt.verify(&key)));
                            let sign = if view::history_incoming(entry.kind) { "+" } else if entry.kind == wallet_core::wallet::HistoryKind::Recovered { "" } else { "−" };
                            html! {
                                <li class="entry" data-kind={format!("{:?}", entry.kind).to_ascii_lowercase()}>
                                    <span class="kind">{view::history_label(entry.kind)}</span>
                                    <span class="amount">{format!("{sign}{}", sats(entry.amount))}</span>
                                    <span class="id">{short_id(&entry.statechain_id)}</span>
                                    { match verified {
                                        Some(true) => html! { <span class="receipt ok" data-testid="receipt-status" data-valid="true">{"receipt verified ✓"}</span> },
                                        Some(false) => html! { <span class="receipt bad" data-testid="receipt-status" data-valid="false">{"receipt does NOT verify"}</span> },
                                        None => html! { <span class="receipt none">{"no receipt (the receiver gets it)"}</span> },
                                    } }
                                    if entry.receipt.is_some() {
                                        <button type="button" class="link" onclick={link.callback(move |_| Msg::ExportReceipt(index))}>{"Export receipt"}</button>
                                    }
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
