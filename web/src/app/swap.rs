//! The swap tab: picking coins, making and cancelling invites, starting a
//! swap from the join answer, joining an invite (also from a link), and the
//! user's confirm / abort.

use super::{App, JoinPreview, Msg, Place, Screen, Tab, input, parse_amount, send};
use crate::browser;
use crate::errors::UiError;
use wallet_core::Id;
use wallet_core::invite::Invite;
use wallet_core::machine::Event;
use wallet_core::wallet::Wallet;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

impl App {
    pub(super) fn create_invite(&mut self, ctx: &Context<Self>) -> bool {
        let Some(host) = self.host.clone() else {
            return false;
        };
        self.acted = Some(Place::Invite);
        let Some(coins) = self.chosen_coins(false) else {
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

    /// The coins ticked to give (in the join picker, or the create one),
    /// those still free, in order: `None` (and the error shown) if none is.
    fn chosen_coins(&mut self, join: bool) -> Option<Vec<Id>> {
        let mut coins: Vec<Id> = self
            .ticked(join)
            .into_iter()
            .map(|(coin, _)| coin)
            .collect();
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
                self.create_ticks.clear();
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
        self.acted = Some(Place::Answer);
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
        self.acted = Some(Place::Join);
        let code = input(&self.refs.invite);
        match self.preview(&code) {
            Ok(()) => self.error = None,
            Err(e) => self.fail(e),
        }
        true
    }

    /// Shows `code`'s invite as the one Join acts on (or none, if it is
    /// not an invite); the join ticks start afresh either way.
    pub(super) fn preview(&mut self, code: &str) -> Result<(), UiError> {
        self.join_ticks.clear();
        self.join_preview = None;
        let code = code.trim();
        let invite = Invite::decode(code, self.network())?;
        self.join_preview = Some(JoinPreview {
            code: code.to_string(),
            invite,
        });
        Ok(())
    }

    /// The invite text changed after a Read: the preview (and Join) go
    /// until it is read again.
    pub(super) fn invite_edited(&mut self) -> bool {
        if self.join_preview.is_none() {
            return false;
        }
        self.join_preview = None;
        self.join_ticks.clear();
        true
    }

    pub(super) fn join(&mut self, ctx: &Context<Self>) -> bool {
        let Some(host) = self.host.clone() else {
            return false;
        };
        self.acted = Some(Place::Join);
        let Some(code) = self
            .join_preview
            .as_ref()
            .map(|preview| preview.code.clone())
        else {
            self.fail(UiError::InviteNotRead);
            return true;
        };
        let Some(coins) = self.chosen_coins(true) else {
            return true;
        };
        send(ctx, async move {
            Msg::Joined(host.join_invite(&code, &coins).await)
        });
        true
    }

    pub(super) fn joined(&mut self, result: Result<(String, String), UiError>) -> bool {
        match result {
            // The answer is kept in the swap's record: its page shows it
            // until the swap commits or backs out, after a reload too.
            Ok((_, rid)) => {
                self.join_ticks.clear();
                self.join_preview = None;
                self.linked_invite = None;
                browser::clear_hash();
                self.error = None;
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
            let _ = self.preview(&code);
            if let Some(text_area) = self.refs.invite.cast::<HtmlTextAreaElement>() {
                text_area.set_value(&code);
            }
        }
        self.linked_invite = Some(code);
        true
    }
}

impl App {
    /// The coins ticked in one picker (`join`, or the create one) that are
    /// still free to give, with their amounts: exactly what a join or an
    /// invite will use, and what the review line adds up.
    pub(crate) fn ticked(&self, join: bool) -> Vec<(Id, u64)> {
        let Some(host) = &self.host else {
            return Vec::new();
        };
        let wallet = host.wallet.borrow();
        ticked_in(
            &wallet,
            if join {
                &self.join_ticks
            } else {
                &self.create_ticks
            },
        )
    }
}

fn ticked_in(wallet: &Wallet, ticks: &[Id]) -> Vec<(Id, u64)> {
    wallet
        .available()
        .iter()
        .filter(|coin| ticks.contains(&coin.statechain_id))
        .map(|coin| (coin.statechain_id, coin.amount))
        .collect()
}
