//! The swap tab: the swap list, creating and joining invites, and one
//! swap in detail.

use super::field_tools::FieldTools;
use super::widgets::{Checks, CopyButton, Qr};
use super::widgets::{on_click, on_submit};
use crate::app::{App, Msg, Place, Tab};
use crate::browser;
use crate::clock::swap_countdown;
use crate::view::{overpay_warning, review_line, sats, short_id};
use wallet_core::invite::Invite;
use wallet_core::machine::Event;
use wallet_core::machine::swap::{GetState, Swap, SwapPhase};
use wallet_core::wallet::{Record, Wallet};
use yew::prelude::*;

impl App {
    /// The coins to give: for a new invite, or (`join`) for joining the
    /// previewed one. Each has its own ticks.
    fn coin_picker(&self, ctx: &Context<Self>, wallet: &Wallet, join: bool) -> Html {
        let link = ctx.link();
        let available = wallet.available();
        if available.is_empty() {
            return html! { <p class="empty">{"No coin is free to swap. Get demo coins first."}</p> };
        }
        html! {
            <fieldset class="picker" data-testid="coin-picker">
                <legend>{"Coins to give"}</legend>
                { for available.iter().map(|coin| {
                    let id = coin.statechain_id;
                    let ticks = if join { &self.join_ticks } else { &self.create_ticks };
                    html! {
                        <label class="check-line">
                            <input type="checkbox" data-coin={id.to_string()} checked={ticks.contains(&id)}
                                onchange={link.callback(move |_| if join { Msg::ToggleJoinCoin(id) } else { Msg::ToggleCoin(id) })}/>
                            {format!(" {} · {}", sats(coin.amount), short_id(&id))}
                        </label>
                    }
                }) }
            </fieldset>
        }
    }

    pub(crate) fn swap_tab(&self, ctx: &Context<Self>, wallet: &Wallet) -> Html {
        let link = ctx.link();
        if let Some(rid) = &self.open_swap
            && let Some(Record::Swap(swap)) = wallet.records.get(rid)
        {
            // Kept in the record (after a reload too); only worth sending
            // while the swap can still run. It goes inside the swap's card,
            // after its state, countdown and actions: on a phone those lead
            // the screen.
            let answer = swap.answer_to_share().map(|code| {
                html! {
                    <div class="answer">
                        <h3>{"Your join answer"}</h3>
                        <p>{"Send this answer back to the person who invited you: the swap runs once they paste it. Your side has started."}</p>
                        <div class="share">
                            <Qr text={code.to_string()} testid="answer-qr"/>
                            <div class="share-text">
                                <code class="code" tabindex="0" data-testid="join-answer">{code.to_string()}</code>
                                <CopyButton text={code.to_string()} label="Copy answer"/>
                            </div>
                        </div>
                    </div>
                }
            });
            return self.swap_detail(ctx, rid, swap, answer.unwrap_or_default());
        }
        let swaps: Vec<(&String, &Swap)> = wallet
            .records
            .iter()
            .filter_map(|(rid, record)| match record {
                Record::Swap(swap) => Some((rid, swap.as_ref())),
                _ => None,
            })
            .collect();
        let now = self.env.now();
        html! {
            <>
            if !swaps.is_empty() {
                <section class="card">
                    <h2>{"Your swaps"}</h2>
                    <ul class="swaps" data-testid="swap-list">
                        { for swaps.iter().rev().map(|(rid, swap)| {
                            let countdown = swap_countdown(swap, now);
                            let open_rid = (*rid).clone();
                            html! {
                                <li class="swap-line">
                                    <span class="state">{swap.phase.label()}</span>
                                    <span class={classes!("countdown", countdown.state)}>{countdown.text}</span>
                                    <button type="button" class="secondary small" onclick={link.callback(move |_| Msg::OpenSwap(open_rid.clone()))}>{"Open swap"}</button>
                                </li>
                            }
                        }) }
                    </ul>
                </section>
            }
            <div class="stack">
            <section class="card">
                <h2>{"Create a swap invite"}</h2>
                <p class="muted">{"Choose the coins you give and the amount you want in return. Send the invite to the other person; they answer with a join code you paste below."}</p>
                if let Some(code) = &self.last_invite {
                    <div class="share">
                        <Qr text={code.clone()} testid="invite-qr"/>
                        <div class="share-text">
                            <code class="code" tabindex="0" data-testid="invite-code">{code.clone()}</code>
                            <div class="row wrap">
                                <CopyButton text={code.clone()} label="Copy invite"/>
                                <CopyButton text={browser::invite_link(code)} label="Copy link"/>
                            </div>
                        </div>
                    </div>
                } else {
                    <form onsubmit={on_submit(link, || Msg::CreateInvite)}>
                        { self.coin_picker(ctx, wallet, false) }
                        <label>{"Amount wanted (sat)"}<input ref={self.refs.want.clone()} inputmode="numeric" data-testid="want-amount" placeholder="e.g. 7000"/></label>
                        <button type="submit">{"Create invite"}</button>
                    </form>
                }
                { self.error_at(ctx, Place::Invite) }
                if !wallet.invites.is_empty() {
                    <h3>{"Waiting for an answer"}</h3>
                    <ul class="invites">
                        { for wallet.invites.iter().map(|(id, pending)| {
                            let id = *id;
                            html! { <li>
                                <span>{format!("Invite {}", short_id(&id))}</span>
                                // Copyable again after a reload (the one just made shows above).
                                if self.last_invite.as_ref() != Some(&pending.code) {
                                    <CopyButton text={pending.code.clone()} label="Copy invite"/>
                                }
                                <button type="button" class="secondary small" onclick={link.callback(move |_| Msg::CancelInvite(id))}>{"Cancel invite"}</button>
                            </li> }
                        }) }
                    </ul>
                    <form onsubmit={on_submit(link, || Msg::AcceptAnswer)}>
                        <label>{"Paste the join answer (lsj1…)"}<textarea ref={self.refs.answer.clone()} rows="3" data-testid="answer-input" spellcheck="false"/></label>
                        <FieldTools target={self.refs.answer.clone()} what="answer"/>
                        <button type="submit">{"Start swap"}</button>
                    </form>
                    { self.error_at(ctx, Place::Answer) }
                }
            </section>
            <section class={classes!("card", (self.linked_invite.is_some() || self.join_preview.is_some()).then_some("first"))}>
                <h2>{"Join a swap invite"}</h2>
                <form onsubmit={on_submit(link, || Msg::JoinPreview)}>
                    <label>{"Paste the invite (lsi1…)"}<textarea ref={self.refs.invite.clone()} rows="3" data-testid="invite-input" spellcheck="false" defaultvalue={self.linked_invite.clone().unwrap_or_default()}
                        oninput={link.callback(|_| Msg::InviteEdited)}/></label>
                    <FieldTools target={self.refs.invite.clone()} what="invite"/>
                    <button type="submit" class="secondary">{"Read invite"}</button>
                </form>
                if let Some(preview) = &self.join_preview {
                    { self.join_preview_box(ctx, wallet, &preview.invite) }
                }
                { self.error_at(ctx, Place::Join) }
            </section>
            </div>
            </>
        }
    }

    /// The read invite's terms; then, unless this wallet made it, the join
    /// picker, the review line and Join.
    fn join_preview_box(&self, ctx: &Context<Self>, wallet: &Wallet, invite: &Invite) -> Html {
        let link = ctx.link();
        let gets = u64::try_from(invite.gives_total()).unwrap_or(u64::MAX);
        let count = invite.gives().len();
        let terms = format!(
            "They give {} in {} coin{} and want at least {} in return.",
            sats(gets),
            count,
            if count == 1 { "" } else { "s" },
            sats(invite.want())
        );
        let own = wallet.is_own_invite(invite);
        let gives: u64 = self.ticked(true).iter().map(|(_, amount)| amount).sum();
        html! {
            <div class="preview" data-testid="invite-preview" data-batch={invite.batch_id().to_string()}
                data-gives={gets.to_string()} data-want={invite.want().to_string()}>
                <p>{terms}</p>
                if own {
                    <p class="note" data-testid="own-invite">{wallet_core::Error::OwnInvite.to_string()}</p>
                } else {
                    <form onsubmit={on_submit(link, || Msg::Join)}>
                        { self.coin_picker(ctx, wallet, true) }
                        if gives > 0 {
                            <p class="review" data-testid="review-line">{review_line(gives, gets)}</p>
                            if let Some(warning) = overpay_warning(gives, gets) {
                                <p class="note" data-testid="review-warning" role="alert">{warning}</p>
                            }
                        }
                        <button type="submit">{"Join swap"}</button>
                    </form>
                }
            </div>
        }
    }

    /// One swap: its state, countdown and actions first (what a phone
    /// shows without scrolling), then `answer` (the join answer to send,
    /// if any), the lines with their checks folded, and what happens next.
    fn swap_detail(&self, ctx: &Context<Self>, rid: &str, swap: &Swap, answer: Html) -> Html {
        let link = ctx.link();
        let now = self.env.now();
        let countdown = swap_countdown(swap, now);
        let rid_abort = rid.to_string();
        let rid_confirm = rid.to_string();
        html! {
            <section class="card swap" data-testid="swap" data-batch={swap.batch_id.to_string()}>
                <div class="row spread">
                    <h2>{"Swap"}</h2>
                    <button type="button" class="secondary small" onclick={on_click(link, || Msg::Tab(Tab::Swap))}>{"All swaps"}</button>
                </div>
                <div class="swap-head">
                    <div>
                        <div class="label">{"State"}</div>
                        <div class="swap-state" data-testid="swap-state" data-phase={format!("{:?}", swap.phase).to_ascii_lowercase()}>{swap.phase.label()}</div>
                    </div>
                    <div>
                        <div class="label">{"Deadline (relay clock)"}</div>
                        <div class={classes!("countdown", "big", countdown.state)} data-testid="countdown" data-state={countdown.state}>{countdown.text}</div>
                    </div>
                </div>
                if let Some(note) = &swap.note {
                    <p class="note" data-testid="swap-note">{note}</p>
                }
                if swap.awaits_confirmation() || swap.can_abort() {
                    <div class="row wrap" data-testid="swap-actions">
                        if swap.awaits_confirmation() {
                            <button type="button" onclick={link.callback(move |_| Msg::UserEvent(rid_confirm.clone(), Box::new(Event::UserConfirm)))}>{"Confirm and unlock"}</button>
                        }
                        if swap.can_abort() {
                            <button type="button" class="danger" onclick={link.callback(move |_| Msg::UserEvent(rid_abort.clone(), Box::new(Event::UserAbort)))}>{"Abort swap"}</button>
                        }
                    </div>
                }
                { answer }
                <h3>{"You give"}</h3>
                <ul class="lines">
                    { for swap.gives.iter().map(|give| html! {
                        <li class="line" data-coin={give.coin.statechain_id.to_string()}>
                            <span class="amount">{sats(give.coin.amount)}</span>
                            <span class="id">{short_id(&give.coin.statechain_id)}</span>
                            <span class="state" data-testid="give-state">{give.state.label()}</span>
                        </li>
                    }) }
                </ul>
                <h3>{"You get"}</h3>
                <ul class="lines">
                    { for swap.gets.iter().map(|get| html! {
                        <li class="line" data-coin={get.statechain_id.to_string()}>
                            <span class="amount">{sats(get.amount)}</span>
                            <span class="id">{short_id(&get.statechain_id)}</span>
                            <span class="state" data-testid="get-state">{get.state.label()}</span>
                            if let Some(report) = get.state.report() {
                                <Checks report={report.clone()}/>
                            } else {
                                { match &get.state {
                                    GetState::Received { .. } => html! {
                                        <p class="muted pass" data-testid="verification" data-passed="true">{"Every check passed before this wallet unlocked; the relay's receipt for the coin verifies."}</p>
                                    },
                                    GetState::Forgone => html! {
                                        <p class="muted" data-testid="verification" data-passed="none">{"The swap did not complete, so this coin stayed with its sender."}</p>
                                    },
                                    _ => html! {
                                        <p class="muted" data-testid="verification" data-passed="pending">{"The checks run when the other side's coin arrives."}</p>
                                    },
                                } }
                            }
                        </li>
                    }) }
                </ul>
                <p class="muted">{
                    match swap.phase {
                        phase if phase.before_commit() => "Until every party unlocks, the swap can still back out: if it is aborted or its deadline passes, your coins come back to you by themselves.",
                        SwapPhase::Committed | SwapPhase::Completed => "The swap committed: every transfer completes, even after the deadline.",
                        _ => "The swap did not complete: every coin you gave comes back to you under a fresh key, with no action needed.",
                    }
                }</p>
            </section>
        }
    }
}
