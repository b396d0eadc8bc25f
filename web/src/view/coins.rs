//! The coins tab (coin list, demo deposit, transfers in progress), the
//! receive tab and the send tab.

use super::field_tools::FieldTools;
use super::widgets::{Checks, CopyButton, Qr};
use super::widgets::{on_click, on_submit};
use crate::app::{App, DEMO_DEFAULT, Msg, Place};
use crate::view::{self, review_line, sats, short_id};
use wallet_core::wallet::{Record, Wallet};
use yew::prelude::*;

impl App {
    pub(crate) fn coins_tab(&self, ctx: &Context<Self>, wallet: &Wallet) -> Html {
        let link = ctx.link();
        let now = self.env.now();
        let coins = view::coin_views(wallet, now);
        let max = self
            .env
            .config
            .borrow()
            .as_ref()
            .map(|config| config.max_demo_amount)
            .unwrap_or(100_000_000);
        html! {
            <>
            <section class="card">
                <h2>{"Coins"}</h2>
                if coins.is_empty() {
                    <p class="empty" data-testid="coin-list" data-count="0">{"No coins yet. Get demo coins below, or receive some from someone."}</p>
                } else {
                    <ul class="coins" data-testid="coin-list" data-count={coins.len().to_string()}>
                        { for coins.iter().map(|coin| {
                            let open = coin.swap.as_ref().map(|(rid, _)| { let rid = rid.clone(); link.callback(move |_| Msg::OpenSwap(rid.clone())) });
                            html! {
                                <li class={classes!("coin", coin.state)} data-coin={coin.id.to_string()} data-state={coin.state} data-sats={coin.amount.to_string()}>
                                    <span class="amount">{sats(coin.amount)}</span>
                                    <span class="id" title={coin.id.to_string()}>{short_id(&coin.id)}</span>
                                    <span class="state">{&coin.label}</span>
                                    if let Some((_, countdown)) = &coin.swap {
                                        <span class={classes!("countdown", countdown.state)} data-testid="coin-countdown" data-state={countdown.state}>{&countdown.text}</span>
                                    }
                                    if let Some(open) = open {
                                        <button type="button" class="link" onclick={open}>{"View swap"}</button>
                                    }
                                </li>
                            }
                        }) }
                    </ul>
                }
            </section>
            <section class="card">
                <h2>{"Get demo coins"}</h2>
                <p class="muted">{format!("The relay's demo network credits demo coins for testing; they have no value. Up to {} per deposit.", sats(max))}</p>
                <form class="inline" onsubmit={on_submit(link, || Msg::Deposit)}>
                    <input ref={self.refs.amount.clone()} inputmode="numeric" data-testid="deposit-amount" placeholder={format!("e.g. {DEMO_DEFAULT}")} aria-label="Amount in satoshis"/>
                    <button type="submit" disabled={self.busy.is_some()}>{"Get demo coins"}</button>
                </form>
                { self.error_at(ctx, Place::Deposit) }
            </section>
            { self.activity(ctx, wallet) }
            </>
        }
    }

    /// Plain transfers in progress or recently finished.
    fn activity(&self, _ctx: &Context<Self>, wallet: &Wallet) -> Html {
        let records: Vec<_> = wallet
            .records
            .iter()
            .filter(|(_, record)| !matches!(record, Record::Swap(_)))
            .rev()
            .take(6)
            .collect();
        if records.is_empty() {
            return html! {};
        }
        html! {
            <section class="card">
                <h2>{"Transfers"}</h2>
                <ul class="records" data-testid="transfers">
                    { for records.into_iter().map(|(rid, record)| {
                        let (text, state) = view::record_summary(record);
                        // A received coin's record no longer carries its
                        // report: the host kept it for this session.
                        let report = match record {
                            Record::Receive(receive) => receive.phase.report().cloned().or_else(|| {
                                self.host
                                    .as_ref()
                                    .and_then(|host| host.reports.borrow().get(rid).cloned())
                            }),
                            _ => None,
                        };
                        html! {
                            <li class={classes!("record", state)} data-record={rid.clone()} data-state={state}>
                                <span>{text}</span>
                                if let Some(report) = report {
                                    <Checks report={report}/>
                                }
                            </li>
                        }
                    }) }
                </ul>
            </section>
        }
    }

    pub(crate) fn receive_tab(&self, ctx: &Context<Self>, wallet: &Wallet) -> Html {
        let link = ctx.link();
        let address = self
            .last_address
            .clone()
            .or_else(|| wallet.addresses.last().map(|entry| entry.address.clone()));
        html! {
            <section class="card">
                <h2>{"Receive"}</h2>
                <p class="muted">{"Give this address to the sender. The wallet watches it, checks every incoming coin (§7 of the protocol) and completes the transfer by itself. Use a fresh address for each payment."}</p>
                if let Some(address) = address {
                    <div class="share">
                        <Qr text={address.clone()} testid="address-qr"/>
                        <div class="share-text">
                            <code class="code" tabindex="0" data-testid="address">{address.clone()}</code>
                            <div class="row">
                                <CopyButton text={address.clone()} label="Copy address"/>
                                <button type="button" class="secondary" onclick={on_click(link, || Msg::NewAddress)}>{"New address"}</button>
                            </div>
                        </div>
                    </div>
                } else {
                    <p class="empty">{"No receiving address yet."}</p>
                    <button type="button" onclick={on_click(link, || Msg::NewAddress)}>{"New address"}</button>
                }
            </section>
        }
    }

    pub(crate) fn send_tab(&self, ctx: &Context<Self>, wallet: &Wallet) -> Html {
        let link = ctx.link();
        let available = wallet.available();
        // The coin the select shows: the one picked, or the first.
        let chosen = available
            .iter()
            .find(|coin| Some(coin.statechain_id) == self.send_pick)
            .or(available.first());
        html! {
            <section class="card">
                <h2>{"Send a coin"}</h2>
                if available.is_empty() {
                    <p class="empty">{"No coin is free to send. Coins in a swap or an open invite come free when it ends."}</p>
                } else {
                    <form onsubmit={on_submit(link, || Msg::Send)}>
                        <label>{"Coin"}
                            <select ref={self.refs.send_coin.clone()} data-testid="send-coin" onchange={link.callback(|_| Msg::PickSendCoin)}>
                                { for available.iter().map(|coin| html! {
                                    <option value={coin.statechain_id.to_string()} selected={chosen.is_some_and(|chosen| chosen.statechain_id == coin.statechain_id)}>{format!("{} · {}", sats(coin.amount), short_id(&coin.statechain_id))}</option>
                                }) }
                            </select>
                        </label>
                        <label>{"To address"}<input ref={self.refs.address.clone()} data-testid="send-address" placeholder="tml1…" autocomplete="off" spellcheck="false"/></label>
                        <FieldTools target={self.refs.address.clone()} what="address"/>
                        <p class="muted">{"A statecoin moves whole: the receiver gets the entire coin."}</p>
                        if let Some(coin) = chosen {
                            <p class="review" data-testid="review-line">{review_line(coin.amount, 0)}</p>
                        }
                        <button type="submit" disabled={self.busy.is_some()}>{"Send coin"}</button>
                    </form>
                }
                { self.error_at(ctx, Place::Send) }
            </section>
        }
    }
}
