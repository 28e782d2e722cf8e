//! A headless Chromium driven through its DevTools protocol over a pipe
//! (`--remote-debugging-pipe`: JSON messages ended by a NUL byte on file
//! descriptors 3 and 4), enough to open a page, evaluate script in it,
//! click at a point and take a screenshot, and to collect every console
//! error and uncaught exception the page raised.
//!
//! Why not a crate: the crates that drive Chromium generate the whole
//! protocol's types and bring a websocket stack and an async runtime, a
//! large build in a CI run bounded at 15 minutes on 2 cores, for the five
//! commands used here.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long any one answer may take before the test gives up (a browser
/// that hangs fails the test instead of hanging it).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

/// Where Debian's package puts Chromium.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// A page open in a headless Chromium.
pub struct Browser {
    child: Child,
    commands: ChildStdin,
    messages: Receiver<Value>,
    next_id: u64,
    session: String,
    /// Console errors and exceptions, as text.
    pub errors: Vec<String>,
    /// Events seen and not yet waited for, by method name.
    seen: Vec<String>,
}

impl Browser {
    /// Starts Chromium headless with a fresh profile in `profile` and a
    /// `width` x `height` page; `Err` says why it could not.
    pub fn start(profile: &Path, width: u32, height: u32) -> Result<Browser, String> {
        // The shell hands our pipes to Chromium as descriptors 3 (commands
        // in) and 4 (answers out), the protocol's convention.
        let command = format!(
            "exec {CHROMIUM} --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
             --disable-background-networking --disable-component-update --disable-sync \
             --user-data-dir='{}' --remote-debugging-pipe 3<&0 4>&1 </dev/null >/dev/null 2>/dev/null",
            profile.display()
        );
        let mut child = Command::new("sh")
            .args(["-c", &command])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {CHROMIUM}: {e}"))?;
        let commands = child.stdin.take().expect("piped");
        let answers = child.stdout.take().expect("piped");
        let (send, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(answers);
            let mut buf = Vec::new();
            while reader.read_until(0, &mut buf).is_ok_and(|n| n > 0) {
                if buf.last() == Some(&0) {
                    buf.pop();
                }
                if let Ok(message) = serde_json::from_slice::<Value>(&buf) {
                    if send.send(message).is_err() {
                        break;
                    }
                }
                buf.clear();
            }
        });
        let mut browser = Browser {
            child,
            commands,
            messages,
            next_id: 0,
            session: String::new(),
            errors: Vec::new(),
            seen: Vec::new(),
        };
        let target = browser.call("Target.createTarget", json!({"url": "about:blank"}))?;
        let target_id = target["targetId"]
            .as_str()
            .ok_or("no target id")?
            .to_string();
        let attached = browser.call(
            "Target.attachToTarget",
            json!({"targetId": target_id, "flatten": true}),
        )?;
        browser.session = attached["sessionId"]
            .as_str()
            .ok_or("no session id")?
            .to_string();
        for domain in ["Runtime.enable", "Log.enable", "Page.enable"] {
            browser.call(domain, json!({}))?;
        }
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
        )?;
        Ok(browser)
    }

    /// Opens `path` and waits for its load event.
    pub fn open(&mut self, path: &Path) -> Result<(), String> {
        let url = format!("file://{}", path.display());
        self.call("Page.navigate", json!({"url": url}))?;
        self.wait_for("Page.loadEventFired")
    }

    /// The value of `expression` evaluated in the page (JSON).
    pub fn eval(&mut self, expression: &str) -> Result<Value, String> {
        let result = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
        )?;
        if let Some(thrown) = result.get("exceptionDetails") {
            return Err(format!("`{expression}` threw: {thrown}"));
        }
        Ok(result["result"]["value"].clone())
    }

    /// A left click at page point (`x`, `y`), as a mouse would make it.
    pub fn click(&mut self, x: f64, y: f64) -> Result<(), String> {
        for kind in ["mouseMoved", "mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
            )?;
        }
        Ok(())
    }

    /// A PNG of the page as shown, base64-encoded.
    pub fn screenshot_base64(&mut self) -> Result<String, String> {
        let shot = self.call("Page.captureScreenshot", json!({"format": "png"}))?;
        shot["data"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| "no screenshot data".to_string())
    }

    /// Sends one command (to the page's session once attached) and waits
    /// for its answer, noting the events that arrive meanwhile.
    fn call(&mut self, method: &str, params: Value) -> Result<Value, String> {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method});
        message["params"] = params;
        if !self.session.is_empty() {
            message["sessionId"] = json!(self.session);
        }
        let mut bytes = serde_json::to_vec(&message).expect("JSON");
        bytes.push(0);
        self.commands
            .write_all(&bytes)
            .and_then(|()| self.commands.flush())
            .map_err(|e| format!("{method}: the browser went away: {e}"))?;
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        loop {
            let message = self.next_message(deadline, method)?;
            if message["id"].as_u64() == Some(id) {
                if let Some(error) = message.get("error") {
                    return Err(format!("{method}: {error}"));
                }
                return Ok(message["result"].clone());
            }
            self.note(&message);
        }
    }

    fn wait_for(&mut self, event: &str) -> Result<(), String> {
        if let Some(at) = self.seen.iter().position(|m| m == event) {
            self.seen.remove(at);
            return Ok(());
        }
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        loop {
            let message = self.next_message(deadline, event)?;
            if message["method"].as_str() == Some(event) {
                return Ok(());
            }
            self.note(&message);
        }
    }

    fn next_message(&self, deadline: Instant, waiting: &str) -> Result<Value, String> {
        let left = deadline.saturating_duration_since(Instant::now());
        self.messages.recv_timeout(left).map_err(|e| match e {
            RecvTimeoutError::Timeout => format!("no answer to {waiting} in {ANSWER_TIMEOUT:?}"),
            RecvTimeoutError::Disconnected => format!("the browser closed while {waiting}"),
        })
    }

    /// Keeps the errors an event reports, and its name.
    fn note(&mut self, message: &Value) {
        let Some(method) = message["method"].as_str() else {
            return;
        };
        let params = &message["params"];
        match method {
            "Runtime.exceptionThrown" => self.errors.push(format!(
                "exception: {}",
                params["exceptionDetails"]["exception"]["description"]
            )),
            "Runtime.consoleAPICalled" if params["type"] == "error" => {
                self.errors
                    .push(format!("console.error: {}", params["args"]));
            }
            "Log.entryAdded" if params["entry"]["level"] == "error" => {
                self.errors
                    .push(format!("log: {}", params["entry"]["text"]));
            }
            _ => {}
        }
        self.seen.push(method.to_string());
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.call("Browser.close", json!({}));
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
