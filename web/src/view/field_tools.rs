//! Paste and Scan QR beside a field where a code is entered (an invite, a
//! join answer, an address): the clipboard's text or a scanned code goes
//! into the field as if typed; a refusal is said beside the buttons.

use crate::browser;
use crate::scan::{self, Decoder, ScanError};
use std::cell::Cell;
use std::rc::Rc;
use yew::prelude::*;

/// Said when the browser will not hand over the clipboard.
pub const PASTE_BLOCKED: &str = "Paste is blocked by the browser: long-press the field and paste";

#[derive(Properties, PartialEq)]
pub struct FieldToolsProps {
    /// The `<input>` or `<textarea>` filled.
    pub target: NodeRef,
    /// What the field takes, for labels and test ids: `invite`, `answer`,
    /// `address`.
    pub what: AttrValue,
}

#[component]
pub fn FieldTools(props: &FieldToolsProps) -> Html {
    let note = use_state(|| None::<String>);
    let scanning = use_state(|| false);
    let video = use_node_ref();
    let what = props.what.clone();

    let on_paste = {
        let (target, note) = (props.target.clone(), note.setter());
        Callback::from(move |_: MouseEvent| {
            let (target, note) = (target.clone(), note.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match browser::paste_text().await {
                    Some(text) if !text.trim().is_empty() => {
                        if let Some(field) = target.get() {
                            browser::set_field(&field, text.trim());
                        }
                        note.set(None);
                    }
                    Some(_) => note.set(Some("The clipboard is empty.".into())),
                    None => note.set(Some(PASTE_BLOCKED.into())),
                }
            });
        })
    };
    let on_scan = {
        let (scanning, note) = (scanning.setter(), note.setter());
        Callback::from(move |_: MouseEvent| {
            note.set(None);
            scanning.set(true);
        })
    };
    let on_cancel = {
        let scanning = scanning.setter();
        Callback::from(move |_: MouseEvent| scanning.set(false))
    };
    {
        let (video, target) = (video.clone(), props.target.clone());
        let (scanning_set, note) = (scanning.setter(), note.setter());
        use_effect_with(*scanning, move |on| {
            let stop = Rc::new(Cell::new(false));
            if *on {
                let stop = stop.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let result = read_code(&video, &stop).await;
                    if stop.get() {
                        return; // cancelled (or unmounted): nothing changes
                    }
                    match result {
                        Ok(Some(text)) => {
                            if let Some(field) = target.get() {
                                browser::set_field(&field, text.trim());
                            }
                        }
                        Ok(None) => {}
                        Err(e) => note.set(Some(e.to_string())),
                    }
                    scanning_set.set(false);
                });
            }
            move || stop.set(true)
        });
    }

    html! {
        <div class="field-tools">
            <div class="row wrap">
                <button type="button" class="secondary small" onclick={on_paste}
                    data-testid={format!("paste-{what}")} aria-label={format!("Paste the {what}")}>{"Paste"}</button>
                <button type="button" class="secondary small" onclick={on_scan}
                    data-testid={format!("scan-{what}")} aria-label={format!("Scan QR code of the {what}")}>{"Scan QR"}</button>
            </div>
            if let Some(text) = &*note {
                <p class="field-note" role="status" data-testid={format!("tools-note-{what}")}>{text.clone()}</p>
            }
            if *scanning {
                <div class="scan-overlay" role="dialog" aria-modal="true" aria-label="Scan a QR code">
                    <div class="scan-box">
                        <video ref={video} autoplay=true muted=true playsinline=true data-testid="scan-video"/>
                        <p>{format!("Point the camera at the {what}'s QR code.")}</p>
                        <button type="button" class="secondary" onclick={on_cancel}>{"Cancel"}</button>
                    </div>
                </div>
            }
        </div>
    }
}

/// Opens the camera into `video` and reads frames until a code is found
/// (`Some`) or `stop` is set (`None`); the camera is closed either way.
async fn read_code(video: &NodeRef, stop: &Cell<bool>) -> Result<Option<String>, ScanError> {
    let stream = scan::open_camera().await?;
    let found = async {
        let el: web_sys::HtmlVideoElement = video.cast().ok_or(ScanError::Decoder)?;
        el.set_src_object(Some(&stream));
        let _ = el.play();
        let decoder = Decoder::new()?;
        while !stop.get() {
            if let Some(text) = decoder.detect(&el).await? {
                return Ok(Some(text));
            }
            browser::sleep(150.0).await;
        }
        Ok(None)
    }
    .await;
    scan::close_camera(&stream);
    found
}
