//! The money view's journeys (issue 10 §3): exporting a backup (its text
//! caught as the page hands it to the browser's download) and importing
//! it, new-password forms, showing the phrase again.

use crate::page::{Page, STEP, testid_css};
use fantoccini::Locator;
use serde_json::Value;
use std::path::Path;

impl Page {
    /// From now on, keeps the text of every file the page offers for
    /// download (the wallet saves through an object URL of a Blob).
    pub async fn catch_downloads(&self) {
        self.js(
            "if (!window.__saved) { window.__saved = []; const made = URL.createObjectURL; URL.createObjectURL = b => { b.text().then(t => window.__saved.push(t)); return made.call(URL, b); }; } return true;",
            vec![],
        )
        .await;
    }

    /// The files saved since [`Page::catch_downloads`], as text.
    pub async fn saved_files(&self) -> Vec<String> {
        let v = self.js("return window.__saved || [];", vec![]).await;
        serde_json::from_value(v).unwrap_or_default()
    }

    /// Settings: types the backup password (and `again` in the second
    /// field) and presses Export backup.
    pub async fn try_export_backup(&self, password: &str, again: &str) {
        self.tab("settings").await;
        self.fill("export-password", password).await;
        self.fill("export-password2", again).await;
        self.click("Export backup").await;
    }

    /// Settings: exports a backup with `password` and returns the file.
    pub async fn export_backup(&self, password: &str) -> String {
        self.catch_downloads().await;
        let before = self.saved_files().await.len();
        self.try_export_backup(password, password).await;
        self.wait("the backup file", STEP, || async {
            self.saved_files().await.into_iter().nth(before)
        })
        .await
    }

    /// Welcome screen: imports the backup file at `file` with its password.
    pub async fn import_backup(&self, file: &Path, password: &str, name: &str) {
        self.click("Import backup file").await;
        let css = testid_css("backup-file");
        let input = self
            .wait("the file field", STEP, || async {
                self.client.find(Locator::Css(&css)).await.ok()
            })
            .await;
        input
            .send_keys(&file.display().to_string())
            .await
            .expect("choose the backup file");
        self.fill("password", password).await;
        self.fill("wallet-name-input", name).await;
        self.click("Import wallet").await;
    }

    /// The error line shown beside the form at `place` (`data-place`).
    pub async fn error_at(&self, place: &str) -> Option<String> {
        let v = self
            .js(
                "const e = document.querySelector(\"[data-testid='error'][data-place='\" + arguments[0] + \"']\"); return e ? e.textContent : null;",
                vec![Value::String(place.to_string())],
            )
            .await;
        v.as_str().map(|s| s.trim().to_string())
    }

    /// Waits for the error beside the form at `place` and returns it.
    pub async fn wait_error_at(&self, place: &str) -> String {
        self.wait(&format!("an error beside {place}"), STEP, || async {
            self.error_at(place).await
        })
        .await
    }
}
