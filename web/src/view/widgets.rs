//! Small components: a QR code, a copy button, the §7 checks.

use crate::app::{App, Msg};
use crate::browser;
use wallet_core::verify::Report;
use yew::html::Scope;
use yew::prelude::*;

/// A form's submit handler: the page does not reload, `msg` goes to the
/// app. One function for every form (a closure per form is a copy of this
/// code per form in the wasm).
/// A button's click handler sending `msg` (one function for every button
/// whose message carries nothing of the click).
pub(crate) fn on_click(link: &Scope<App>, msg: fn() -> Msg) -> Callback<MouseEvent> {
    link.callback(move |_: MouseEvent| msg())
}

pub(crate) fn on_submit(link: &Scope<App>, msg: fn() -> Msg) -> Callback<SubmitEvent> {
    link.callback(move |e: SubmitEvent| {
        e.prevent_default();
        msg()
    })
}

#[derive(Properties, PartialEq)]
pub struct QrProps {
    pub text: AttrValue,
    #[prop_or_default]
    pub testid: AttrValue,
}

/// A QR code of `text`, drawn as SVG once the encoder has loaded (the first
/// code on a page waits for it: `crate::qr`).
#[component]
pub fn Qr(props: &QrProps) -> Html {
    // The code drawn and the text it was drawn for: a text changed while
    // the encoder loads shows "drawing" until its own code is there.
    let drawn = use_state(|| None::<(AttrValue, crate::qr::Drawn)>);
    {
        let drawn = drawn.clone();
        use_effect_with(props.text.clone(), move |text| {
            let text = text.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let code = crate::qr::draw(&text).await;
                drawn.set(Some((text, code)));
            });
        });
    }
    let code = drawn
        .as_ref()
        .filter(|(text, _)| *text == props.text)
        .map(|(_, code)| code);
    match code {
        Some(crate::qr::Drawn::Code(side, path)) => html! {
            <svg class="qr" data-testid={props.testid.clone()} viewBox={format!("0 0 {side} {side}")}
                 role="img" aria-label="QR code" shape-rendering="crispEdges">
                <rect width={side.to_string()} height={side.to_string()} fill="#fff"/>
                <path d={path.clone()} fill="#111"/>
            </svg>
        },
        Some(crate::qr::Drawn::TooLong) => {
            html! { <p class="muted">{"Too long for a QR code: copy the text instead."}</p> }
        }
        Some(crate::qr::Drawn::Unavailable) => {
            html! { <p class="muted">{"The QR code could not be drawn here: copy the text instead."}</p> }
        }
        None => html! { <p class="muted qr-drawing">{"Drawing the QR code…"}</p> },
    }
}

#[derive(Properties, PartialEq)]
pub struct CopyProps {
    pub text: AttrValue,
    #[prop_or(AttrValue::Static("Copy"))]
    pub label: AttrValue,
}

/// A button that copies `text` and says so.
#[component]
pub fn CopyButton(props: &CopyProps) -> Html {
    let copied = use_state(|| None::<bool>);
    let onclick = {
        let text = props.text.to_string();
        let copied = copied.clone();
        Callback::from(move |_: MouseEvent| {
            let text = text.clone();
            let copied = copied.clone();
            wasm_bindgen_futures::spawn_local(async move {
                copied.set(Some(browser::copy_text(&text).await));
            });
        })
    };
    let label = match *copied {
        Some(true) => "Copied".to_string(),
        Some(false) => "Copy failed: select the text".to_string(),
        None => props.label.to_string(),
    };
    html! { <button type="button" class="secondary" {onclick}>{label}</button> }
}

#[derive(Properties, PartialEq)]
pub struct ChecksProps {
    pub report: Report,
}

/// Every §7 check with its result and sentence, folded into one line
/// ("16 of 16 checks passed") that opens on demand; unfolded when a check
/// failed.
#[component]
pub fn Checks(props: &ChecksProps) -> Html {
    let (summary, open) = crate::view::checks_summary(&props.report);
    html! {
        <details class="checks-box" {open}>
        <summary data-testid="checks-summary">{summary}</summary>
        <ul class="checks" data-testid="verification"
            data-passed={props.report.all_passed().to_string()}>
            { for props.report.checks.iter().map(|check| {
                let (class, mark) = if check.passed { ("pass", "✓") } else if check.ran { ("fail", "✗") } else { ("skip", "–") };
                html! {
                    <li class={classes!("check", class)} data-check={check.id.as_str()}>
                        <span class="mark" aria-hidden="true">{mark}</span>
                        <span class="title">{check.id.title()}</span>
                        <span class="detail">{&check.detail}</span>
                    </li>
                }
            }) }
            if props.report.equivocation.is_some() {
                <li class="check fail"><span class="mark">{"✗"}</span>
                    <span class="title">{"Relay misbehaviour"}</span>
                    <span class="detail">{"The relay signed two different owners for one step of this coin's history. The proof is kept in History; export it."}</span></li>
            }
        </ul>
        </details>
    }
}
