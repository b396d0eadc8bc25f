//! What the user reads: sentences for humans, JSON values for scripts.
//! Every view is built from wallet-core's records as they are; nothing here
//! decides anything.

use serde_json::{Value, json};
use wallet_core::Id;
use wallet_core::machine::Action;
use wallet_core::machine::receive::{Receive, ReceivePhase};
use wallet_core::machine::send::{Send, SendPhase};
use wallet_core::machine::swap::{GetState, GiveState, Swap, SwapPhase};
use wallet_core::verify::Report;
use wallet_core::wallet::{HistoryEntry, HistoryKind, PendingInvite, Record};

/// The first 8 characters of an id, as humans see it.
pub fn short(id: &Id) -> String {
    id.to_string().chars().take(8).collect()
}

pub fn sat(amount: u64) -> String {
    format!("{amount} sat")
}

/// `YYYY-MM-DD HH:MM:SSZ` for Unix seconds (UTC).
pub fn utc(t: u64) -> String {
    let days = (t / 86_400) as i64;
    let secs = t % 86_400;
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// `1m 05s` style.
pub fn duration(secs: u64) -> String {
    if secs >= 3600 {
        format!("{}h {:02}m {:02}s", secs / 3600, secs / 60 % 60, secs % 60)
    } else if secs >= 60 {
        format!("{}m {:02}s", secs / 60, secs % 60)
    } else {
        format!("{secs}s")
    }
}

pub fn action_name(a: &Action) -> &'static str {
    match a {
        Action::Register { .. } => "register",
        Action::Upload { .. } => "upload",
        Action::FetchIncoming { .. } => "fetch_incoming",
        Action::Unlock { .. } => "unlock",
        Action::WatchBatch { .. } => "watch_batch",
        Action::Receive { .. } => "receive",
        Action::Abort { .. } => "abort",
        Action::Reclaim { .. } => "reclaim",
        Action::ArmTimer { .. } => "arm_timer",
    }
}

pub fn phase_name(p: SwapPhase) -> Value {
    serde_json::to_value(p).unwrap_or(Value::Null)
}

// ----- verification reports -----

pub fn report_json(r: &Report) -> Value {
    json!({
        "all_passed": r.all_passed(),
        "checks": r.checks.iter().map(|c| json!({
            "id": c.id.as_str(),
            "title": c.id.title(),
            "passed": c.passed,
            "ran": c.ran,
            "detail": c.detail,
        })).collect::<Vec<_>>(),
        "equivocation": r.equivocation.is_some(),
    })
}

/// The §7 report, one line per check.
pub fn report_text(r: &Report, indent: &str) -> String {
    let mut out = String::new();
    for c in &r.checks {
        let mark = if c.passed {
            "ok  "
        } else if c.ran {
            "FAIL"
        } else {
            "skip"
        };
        out.push_str(&format!("{indent}[{mark}] {}", c.id.title()));
        if !c.passed {
            out.push_str(&format!(": {}", c.detail));
        }
        out.push('\n');
    }
    if r.equivocation.is_some() {
        out.push_str(&format!(
            "{indent}[FAIL] The relay signed two different owners for one step of this coin: keep this wallet file, it is the proof.\n"
        ));
    }
    out
}

fn report_summary(r: &Report) -> String {
    let passed = r.checks.iter().filter(|c| c.passed).count();
    if r.all_passed() {
        format!("all {passed} checks passed")
    } else {
        let failed: Vec<&str> = r.failures().iter().map(|c| c.id.title()).collect();
        format!(
            "{passed} of {} checks passed; failed: {}",
            r.checks.len(),
            failed.join(", ")
        )
    }
}

// ----- transitions (progress lines) -----

/// What changed from `old` to `new`, as (sentence, JSON event) pairs.
pub fn transition(old: Option<&Record>, new: &Record, rid: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    match (old, new) {
        (old, Record::Swap(b)) => {
            let a = match old {
                Some(Record::Swap(a)) => Some(a),
                _ => None,
            };
            let id = short(&b.batch_id);
            for (i, g) in b.gets.iter().enumerate() {
                let before = a.and_then(|a| a.gets.get(i)).map(|g| &g.state);
                let was_awaiting = before.is_none_or(|s| *s == GetState::Awaiting);
                match &g.state {
                    GetState::Checked { report, .. } | GetState::Rejected { report }
                        if was_awaiting =>
                    {
                        out.push((
                            format!(
                                "Swap {id}: incoming coin {} ({}): {}.",
                                short(&g.statechain_id),
                                sat(g.amount),
                                report_summary(report)
                            ),
                            json!({"event": "checked", "record": rid, "coin": g.statechain_id, "report": report_json(report)}),
                        ));
                    }
                    GetState::Received { coin, .. }
                        if !matches!(before, Some(GetState::Received { .. })) =>
                    {
                        out.push((
                            format!(
                                "Swap {id}: received coin {} ({}).",
                                short(&coin.statechain_id),
                                sat(coin.amount)
                            ),
                            json!({"event": "received", "record": rid, "coin": coin.statechain_id, "amount": coin.amount}),
                        ));
                    }
                    _ => {}
                }
            }
            for (i, g) in b.gives.iter().enumerate() {
                let before = a.and_then(|a| a.gives.get(i)).map(|g| &g.state);
                if let GiveState::Reclaimed { coin } = &g.state
                    && !matches!(before, Some(GiveState::Reclaimed { .. }))
                {
                    out.push((
                        format!(
                            "Swap {id}: coin {} ({}) is yours again.",
                            short(&coin.statechain_id),
                            sat(coin.amount)
                        ),
                        json!({"event": "reclaimed", "record": rid, "coin": coin.statechain_id, "amount": coin.amount}),
                    ));
                }
            }
            if a.is_none_or(|a| a.phase != b.phase) {
                out.push((
                    format!("Swap {id}: {}.", b.phase.label()),
                    json!({"event": "swap_phase", "record": rid, "batch_id": b.batch_id, "phase": phase_name(b.phase)}),
                ));
            }
            if let Some(n) = &b.note
                && a.is_none_or(|a| a.note.as_ref() != Some(n))
            {
                out.push((
                    format!("Swap {id}: {n}"),
                    json!({"event": "note", "record": rid, "note": n}),
                ));
            }
        }
        (old, Record::Send(b)) => {
            let changed = !matches!(old, Some(Record::Send(a)) if a.phase == b.phase);
            if changed {
                match &b.phase {
                    SendPhase::Sent => out.push((
                        format!(
                            "Sent coin {} ({}) to {}. The receiver completes it with `lockstep receive`.",
                            short(&b.coin.statechain_id),
                            sat(b.coin.amount),
                            b.to
                        ),
                        json!({"event": "sent", "record": rid, "coin": b.coin.statechain_id}),
                    )),
                    SendPhase::Failed { code } => out.push((
                        format!(
                            "Sending coin {} failed: {} The coin stays yours.",
                            short(&b.coin.statechain_id),
                            code.user_message()
                        ),
                        json!({"event": "send_failed", "record": rid, "coin": b.coin.statechain_id, "code": code}),
                    )),
                    _ => {}
                }
            }
        }
        (old, Record::Receive(b)) => {
            let same = matches!(old, Some(Record::Receive(a)) if std::mem::discriminant(&a.phase) == std::mem::discriminant(&b.phase));
            if !same {
                let id = short(&b.statechain_id);
                match &b.phase {
                    ReceivePhase::Receiving { report, msg } => out.push((
                        format!(
                            "Incoming coin {id} ({}): {}; completing the transfer.",
                            sat(msg.amount),
                            report_summary(report)
                        ),
                        json!({"event": "checked", "record": rid, "coin": b.statechain_id, "report": report_json(report)}),
                    )),
                    ReceivePhase::Rejected { report } => out.push((
                        format!(
                            "Incoming coin {id} REJECTED: {}. It was not accepted.\n{}",
                            report_summary(report),
                            report_text(report, "  ").trim_end()
                        ),
                        json!({"event": "rejected", "record": rid, "coin": b.statechain_id, "report": report_json(report)}),
                    )),
                    ReceivePhase::Received { coin, .. } => out.push((
                        format!("Received coin {id} ({}).", sat(coin.amount)),
                        json!({"event": "received", "record": rid, "coin": b.statechain_id, "amount": coin.amount}),
                    )),
                    ReceivePhase::Failed { code, .. } => out.push((
                        format!(
                            "Receiving coin {id} failed: {}",
                            code.user_message()
                        ),
                        json!({"event": "receive_failed", "record": rid, "coin": b.statechain_id, "code": code}),
                    )),
                }
            }
        }
    }
    out
}

// ----- swap views -----

fn state_tag<T: serde::Serialize>(s: &T, key: &str) -> Value {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.get(key).cloned())
        .unwrap_or(Value::Null)
}

pub fn swap_json(s: &Swap, relay_now: u64) -> Value {
    json!({
        "batch_id": s.batch_id,
        "phase": phase_name(s.phase),
        "phase_label": s.phase.label(),
        "final": s.phase.is_final(),
        "committed": matches!(s.phase, SwapPhase::Committed | SwapPhase::Completed),
        "batch_time": s.batch_time,
        "deadline": s.deadline,
        "relay_time": relay_now,
        "seconds_left": s.seconds_left(relay_now),
        "manual_confirm": s.manual_confirm,
        "confirmed": s.confirmed,
        "abort_requested": s.abort_requested,
        "note": s.note,
        "gives": s.gives.iter().map(|g| json!({
            "coin": g.coin.statechain_id,
            "amount": g.coin.amount,
            "to": g.to.encode(),
            "state": state_tag(&g.state, "state"),
        })).collect::<Vec<_>>(),
        "gets": s.gets.iter().map(|g| json!({
            "coin": g.statechain_id,
            "amount": g.amount,
            "state": state_tag(&g.state, "state"),
            "report": g.state.report().map(report_json),
        })).collect::<Vec<_>>(),
    })
}

pub fn swap_text(s: &Swap, relay_now: u64, clock: &str) -> String {
    let mut out = format!("Swap {} (batch {})\n", short(&s.batch_id), s.batch_id);
    out.push_str(&format!("  state:    {}\n", s.phase.label()));
    match (s.deadline, s.phase) {
        (_, SwapPhase::Completed | SwapPhase::Committed) => {
            out.push_str("  deadline: none any more: the swap committed\n")
        }
        (_, SwapPhase::BackedOut | SwapPhase::BackingOut) => {}
        (Some(d), _) if d >= relay_now => out.push_str(&format!(
            "  deadline: {} left ({}, {clock})\n",
            duration(d - relay_now),
            utc(d)
        )),
        (Some(d), _) => out.push_str(&format!(
            "  deadline: passed {} ago ({})\n",
            duration(relay_now - d),
            utc(d)
        )),
        (None, _) => out.push_str("  deadline: starts when the first coin enters the swap\n"),
    }
    for g in &s.gives {
        out.push_str(&format!(
            "  you give: {} {:>14}  {}\n",
            g.coin.statechain_id,
            sat(g.coin.amount),
            g.state.label()
        ));
    }
    for g in &s.gets {
        out.push_str(&format!(
            "  you get:  {} {:>14}  {}\n",
            g.statechain_id,
            sat(g.amount),
            g.state.label()
        ));
        if let Some(r) = g.state.report() {
            out.push_str(&report_text(r, "            "));
        }
    }
    if s.awaits_confirmation() {
        out.push_str("  waiting for you: run `lockstep swap confirm` to unlock\n");
    }
    if s.abort_requested && s.phase.before_commit() {
        out.push_str("  abort requested\n");
    }
    if let Some(n) = &s.note {
        out.push_str(&format!("  note:     {n}\n"));
    }
    out
}

pub fn invite_json(batch_id: &Id, p: &PendingInvite) -> Value {
    json!({"batch_id": batch_id, "phase": "invited", "final": false, "invite": p.code, "created_at": p.created_at})
}

pub fn invite_text(batch_id: &Id, p: &PendingInvite) -> String {
    format!(
        "Invite {} (batch {batch_id})\n  state:    waiting for a join answer (`lockstep swap accept <answer>`)\n  invite:   {}\n",
        short(batch_id),
        p.code
    )
}

// ----- other records, history -----

pub fn send_json(s: &Send) -> Value {
    json!({
        "coin": s.coin.statechain_id,
        "amount": s.coin.amount,
        "to": s.to.encode(),
        "phase": state_tag(&s.phase, "phase"),
    })
}

pub fn receive_json(r: &Receive) -> Value {
    let report = r.phase.report().map(report_json);
    json!({
        "coin": r.statechain_id,
        "index": r.index,
        "phase": state_tag(&r.phase, "phase"),
        "report": report,
    })
}

pub fn history_kind(k: HistoryKind) -> &'static str {
    match k {
        HistoryKind::Deposit => "deposit",
        HistoryKind::Sent => "sent",
        HistoryKind::Received => "received",
        HistoryKind::SwapGave => "swap_gave",
        HistoryKind::SwapGot => "swap_got",
        HistoryKind::Recovered => "recovered",
    }
}

pub fn history_json(h: &HistoryEntry) -> Value {
    json!({
        "time": h.time,
        "kind": history_kind(h.kind),
        "coin": h.statechain_id,
        "amount": h.amount,
        "batch_id": h.batch_id,
        "counterparty": h.counterparty,
        "receipt": h.receipt,
    })
}

pub fn history_text(h: &HistoryEntry) -> String {
    let sign = match h.kind {
        HistoryKind::Sent | HistoryKind::SwapGave => "-",
        HistoryKind::Recovered => " ",
        _ => "+",
    };
    let mut line = format!(
        "{}  {:<10} {sign}{:>14}  coin {}",
        utc(h.time),
        history_kind(h.kind),
        sat(h.amount),
        h.statechain_id
    );
    if let Some(b) = h.batch_id {
        line.push_str(&format!("  swap {}", short(&b)));
    }
    if let Some(r) = &h.receipt {
        line.push_str(&format!("  receipt seq {}", r.seq));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00Z");
        assert_eq!(utc(1_700_000_000), "2023-11-14 22:13:20Z");
    }

    #[test]
    fn durations() {
        assert_eq!(duration(5), "5s");
        assert_eq!(duration(65), "1m 05s");
        assert_eq!(duration(3_725), "1h 02m 05s");
    }
}
