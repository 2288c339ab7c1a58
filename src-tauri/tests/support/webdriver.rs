//! Just enough of the W3C WebDriver protocol to drive the app through tauri-driver: sessions,
//! elements by CSS, clicks, keys, text, screenshots.

use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

/// The W3C element key in WebDriver replies.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Session {
    http: reqwest::blocking::Client,
    base: String,
}

#[derive(Clone)]
pub struct Element(String);

impl Session {
    pub fn start(driver: &str, capabilities: Value) -> Result<Session, String> {
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| e.to_string())?;
        let reply: Value = http
            .post(format!("{driver}/session"))
            .json(&json!({ "capabilities": { "alwaysMatch": capabilities } }))
            .send()
            .and_then(|r| r.json())
            .map_err(|e| format!("new session: {e}"))?;
        let id = reply["value"]["sessionId"]
            .as_str()
            .ok_or_else(|| format!("new session refused: {reply}"))?;
        Ok(Session {
            http,
            base: format!("{driver}/session/{id}"),
        })
    }

    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value, String> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let reply: Value = req.send().and_then(|r| r.json()).map_err(|e| format!("{path}: {e}"))?;
        if reply["value"].get("error").is_some() {
            return Err(format!("{path}: {}", reply["value"]));
        }
        Ok(reply["value"].clone())
    }

    pub fn find(&self, css: &str) -> Result<Element, String> {
        let v = self.call(
            reqwest::Method::POST,
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        )?;
        v[ELEMENT]
            .as_str()
            .map(|s| Element(s.to_string()))
            .ok_or_else(|| format!("no element {css}"))
    }

    /// Waits until `css` matches a displayed element.
    pub fn wait(&self, css: &str, timeout: Duration) -> Result<Element, String> {
        let start = Instant::now();
        loop {
            if let Ok(e) = self.find(css)
                && self.displayed(&e).unwrap_or(false)
            {
                return Ok(e);
            }
            if start.elapsed() > timeout {
                return Err(format!("{css} did not appear within {timeout:?}"));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn displayed(&self, e: &Element) -> Result<bool, String> {
        Ok(self
            .call(reqwest::Method::GET, &format!("/element/{}/displayed", e.0), None)?
            .as_bool()
            .unwrap_or(false))
    }

    pub fn click(&self, e: &Element) -> Result<(), String> {
        self.call(
            reqwest::Method::POST,
            &format!("/element/{}/click", e.0),
            Some(json!({})),
        )
        .map(|_| ())
    }

    pub fn type_into(&self, e: &Element, text: &str) -> Result<(), String> {
        self.call(
            reqwest::Method::POST,
            &format!("/element/{}/value", e.0),
            Some(json!({ "text": text })),
        )
        .map(|_| ())
    }

    pub fn text(&self, e: &Element) -> Result<String, String> {
        Ok(self
            .call(reqwest::Method::GET, &format!("/element/{}/text", e.0), None)?
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    pub fn screenshot(&self) -> Result<Vec<u8>, String> {
        let b64 = self.call(reqwest::Method::GET, "/screenshot", None)?;
        base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().unwrap_or_default())
            .map_err(|e| e.to_string())
    }

    pub fn end(&self) {
        let _ = self.http.delete(&self.base).send();
    }
}
