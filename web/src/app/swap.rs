//! The swap tab: picking coins, making and cancelling invites, starting a
//! swap from the join answer, joining an invite (also from a link), and the
//! user's confirm / abort.

use super::{App, Msg, Screen, Tab, input, parse_amount, send};
use crate::browser;
use crate::errors::UiError;
use wallet_core::Id;
use wallet_core::invite::Invite;
use wallet_core::machine::Event;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

impl App {
    pub(super) fn toggle_coin(&mut self, id: Id) -> bool {
        match self.selected.iter().position(|chosen| *chosen == id) {
            Some(index) => {
                self.selected.remove(index);
            }
            None => self.selected.push(id),
        }
        true
    }

    pub(super) fn create_invite(&mut self, ctx: &Context<Self>) -> bool {
        let Some(host) = self.host.clone() else {
            return false;
        };
        let Some(coins) = self.chosen_coins() else {
            return true;
        };
        let want = match parse_amount(&input(&self.refs.want)) {
            Ok(want) => want,
            Err(e) => {
                self.fail(e);
                return true;
            }
        };
        send(ctx, async move {
            Msg::InviteMade(host.create_invite(&coins, want).await)
        });
        true
    }

    /// The coins ticked to give, in order: `None` (and the error shown) if
    /// none is.
    fn chosen_coins(&mut self) -> Option<Vec<Id>> {
        let mut coins = self.selected.clone();
        wallet_core::util::sort_small(&mut coins);
        if coins.is_empty() {
            self.fail(UiError::NoCoinChosen);
            return None;
        }
        Some(coins)
    }

    pub(super) fn invite_made(&mut self, result: Result<String, UiError>) -> bool {
        match result {
            Ok(code) => {
                self.selected.clear();
                self.error = None;
                self.last_invite = Some(code);
            }
            Err(e) => self.fail(e),
        }
        true
    }

    pub(super) fn cancel_invite(&mut self, ctx: &Context<Self>, id: Id) -> bool {
        if let Some(host) = self.host.clone() {
            self.last_invite = None;
            send(ctx, async move {
                Msg::Done(
                    host.cancel_invite(&id)
                        .await
                        .map(|_| "The invite was cancelled; its coins are free again.".to_string()),
                )
            });
        }
        true
    }

    pub(super) fn accept_answer(&mut self, ctx: &Context<Self>) -> bool {
        let Some(host) = self.host.clone() else {
            return false;
        };
        let code = input(&self.refs.answer);
        send(ctx, async move {
            Msg::SwapStarted(host.accept_answer(&code).await)
        });
        true
    }

    pub(super) fn swap_started(&mut self, result: Result<String, UiError>) -> bool {
        match result {
            Ok(rid) => {
                self.error = None;
                self.last_invite = None;
                self.open_swap = Some(rid);
            }
            Err(e) => self.fail(e),
        }
        true
    }

    pub(super) fn read_invite(&mut self) -> bool {
        let code = input(&self.refs.invite);
        match Invite::decode(code.trim(), self.network()) {
            Ok(invite) => {
                self.error = None;
                self.join_preview = Some(invite);
            }
            Err(e) => {
                self.join_preview = None;
                self.fail(e.into());
            }
        }
        true
    }

    pub(super) fn join(&mut self, ctx: &Context<Self>) -> bool {
        let Some(host) = self.host.clone() else {
            return false;
        };
        let Some(coins) = self.chosen_coins() else {
            return true;
        };
        let code = input(&self.refs.invite);
        send(ctx, async move {
            Msg::Joined(host.join_invite(&code, &coins).await)
        });
        true
    }

    pub(super) fn joined(&mut self, result: Result<(String, String), UiError>) -> bool {
        match result {
            Ok((answer, rid)) => {
                self.selected.clear();
                self.join_preview = None;
                self.linked_invite = None;
                browser::clear_hash();
                self.error = None;
                self.last_answer = Some((rid.clone(), answer));
                self.open_swap = Some(rid);
            }
            Err(e) => self.fail(e),
        }
        true
    }

    pub(super) fn show_swap(&mut self, rid: String) -> bool {
        self.tab = Tab::Swap;
        self.error = None;
        self.open_swap = Some(rid);
        true
    }

    pub(super) fn user_event(&mut self, rid: String, event: Box<Event>) -> bool {
        if let Some(host) = &self.host {
            host.user_event(&rid, *event);
        }
        true
    }

    /// The address fragment changed: an invite link opened in this tab. An
    /// open wallet shows it at once; otherwise it waits for one to open.
    pub(super) fn follow_invite_link(&mut self) -> bool {
        let Some(code) = browser::linked_invite() else {
            return false;
        };
        if self.screen == Screen::Wallet {
            self.tab = Tab::Swap;
            self.open_swap = None;
            self.join_preview = Invite::decode(&code, self.network()).ok();
            if let Some(text_area) = self.refs.invite.cast::<HtmlTextAreaElement>() {
                text_area.set_value(&code);
            }
        }
        self.linked_invite = Some(code);
        true
    }
}
