//! Real peers the store talks to, started by the tests on free loopback ports: an SMTP server
//! (aiosmtpd, from PyPI) and an HTTP receiver of webhooks that checks every signature itself.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// A free loopback port (bound and released: a moment's race, fine on a test machine).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The Python with aiosmtpd and localstripe: `STOREFRONT_TEST_PYTHON`, else the venv `.ci/run`
/// makes.
fn python() -> PathBuf {
    let python = std::env::var_os("STOREFRONT_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ci-venv/bin/python"));
    let has_aiosmtpd = Command::new(&python)
        .args(["-c", "import aiosmtpd"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        has_aiosmtpd,
        "the mail tests need aiosmtpd (a real SMTP server, from PyPI): run\n  python3 -m venv target/ci-venv && target/ci-venv/bin/pip install aiosmtpd==1.4.6 localstripe==1.15.10\nor set STOREFRONT_TEST_PYTHON to a Python that has it (.ci/run does both)"
    );
    python
}

/// localstripe, a Stripe-compatible server from PyPI, on a free loopback port.
pub struct LocalStripe {
    child: Child,
    pub port: u16,
}

impl LocalStripe {
    pub fn start() -> LocalStripe {
        LocalStripe::start_on(free_port())
    }

    pub fn start_on(port: u16) -> LocalStripe {
        let python = python();
        let has_it = Command::new(&python)
            .args(["-c", "import localstripe"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            has_it,
            "the payment tests need localstripe (a Stripe-compatible server, from PyPI): run\n  python3 -m venv target/ci-venv && target/ci-venv/bin/pip install localstripe==1.15.10\nor set STOREFRONT_TEST_PYTHON to a Python that has it (.ci/run does both)"
        );
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/stripe_server.py");
        let child = Command::new(python)
            .arg(script)
            .arg(port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("localstripe starts");
        let stripe = LocalStripe { child, port };
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "localstripe did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        stripe
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops it (an outage); `start_on(port)` brings an empty one back.
    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn client() -> reqwest::blocking::Client {
        reqwest::blocking::Client::new()
    }

    /// A GET of the Stripe API, as the merchant's dashboard would see it.
    pub fn get(&self, path: &str) -> Value {
        let url = format!("{}{path}", self.url());
        std::thread::scope(|s| {
            s.spawn(|| {
                LocalStripe::client()
                    .get(url)
                    .bearer_auth("sk_test_storefront")
                    .send()
                    .and_then(|r| r.json())
                    .expect("localstripe answers")
            })
            .join()
            .unwrap()
        })
    }

    /// A POST of the Stripe API (form-encoded).
    pub fn post(&self, path: &str, form: &[(&str, &str)]) -> Value {
        let url = format!("{}{path}", self.url());
        std::thread::scope(|s| {
            s.spawn(|| {
                let text = LocalStripe::client()
                    .post(url)
                    .bearer_auth("sk_test_storefront")
                    .form(form)
                    .send()
                    .and_then(|r| r.text())
                    .expect("localstripe answers");
                serde_json::from_str(&text).unwrap_or(Value::Null)
            })
            .join()
            .unwrap()
        })
    }

    /// Every PaymentIntent it holds.
    pub fn intents(&self) -> Vec<Value> {
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let path = match &after {
                Some(a) => format!("/v1/payment_intents?limit=100&starting_after={a}"),
                None => "/v1/payment_intents?limit=100".to_owned(),
            };
            let page = self.get(&path);
            let data = page["data"].as_array().cloned().unwrap_or_default();
            after = data.last().and_then(|i| i["id"].as_str()).map(str::to_owned);
            all.extend(data);
            if page["has_more"] != true || after.is_none() {
                return all;
            }
        }
    }
}

impl Drop for LocalStripe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// aiosmtpd on `port`, appending each mail it accepts to a JSON Lines file.
pub struct SmtpSink {
    child: Child,
    pub port: u16,
    file: PathBuf,
}

impl SmtpSink {
    pub fn start(port: u16, file: &Path) -> SmtpSink {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py");
        let mut child = Command::new(python())
            .arg(script)
            .arg(port.to_string())
            .arg(file)
            .stdout(Stdio::piped())
            .spawn()
            .expect("the SMTP sink starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "the SMTP sink did not start");
        SmtpSink {
            child,
            port,
            file: file.to_owned(),
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every mail received so far (also those before a restart on the same file).
    pub fn mails(&self) -> Vec<Value> {
        read_mails(&self.file)
    }
}

pub fn read_mails(file: &Path) -> Vec<Value> {
    // The sink may be halfway through a line: only whole lines count.
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .split_inclusive('\n')
        .filter(|l| l.ends_with('\n'))
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One webhook as received.
#[derive(Clone, Debug)]
pub struct Received {
    pub event_id: String,
    pub body: Value,
    pub signature_ok: bool,
    /// The status answered.
    pub answered: u16,
}

/// How the receiver answers.
#[derive(Clone, Copy, Debug)]
pub enum Mode {
    /// 204 to everything.
    Accept,
    /// 500 to the first N requests, then 204.
    FailFirst(usize),
    /// Reads the request and never answers.
    Hang,
}

/// An HTTP server that takes webhooks, checks `Storefront-Signature` with its own HMAC, and
/// records every request.
pub struct Receiver {
    pub url: String,
    pub got: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
}

impl Receiver {
    pub fn start(secret: &str, mode: Mode) -> Receiver {
        Receiver::start_on(TcpListener::bind("127.0.0.1:0").unwrap(), secret, mode)
    }

    pub fn start_on(listener: TcpListener, secret: &str, mode: Mode) -> Receiver {
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(AtomicUsize::new(0));
        let (secret, record, stopping) = (secret.to_owned(), got.clone(), stop.clone());
        listener.set_nonblocking(true).unwrap();
        std::thread::spawn(move || {
            while !stopping.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (secret, record, seen, stopping) =
                            (secret.clone(), record.clone(), seen.clone(), stopping.clone());
                        std::thread::spawn(move || serve(stream, &secret, mode, &record, &seen, &stopping));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Receiver { url, got, stop }
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn serve(
    stream: TcpStream,
    secret: &str,
    mode: Mode,
    got: &Mutex<Vec<Received>>,
    seen: &AtomicUsize,
    stop: &AtomicBool,
) {
    stream.set_nonblocking(false).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let line = line.trim_end().to_owned();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
            }
        }
        let header = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let length: usize = header("content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let n = seen.fetch_add(1, Ordering::SeqCst);
        let answered = match mode {
            Mode::Accept => 204,
            Mode::FailFirst(k) if n < k => 500,
            Mode::FailFirst(_) => 204,
            Mode::Hang => {
                while !stop.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(50));
                }
                return;
            }
        };
        got.lock().unwrap().push(Received {
            event_id: header("storefront-event-id").unwrap_or_default(),
            signature_ok: signature_matches(secret, header("storefront-signature").as_deref(), &body),
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
            answered,
        });
        let reason = if answered == 204 {
            "No Content"
        } else {
            "Internal Server Error"
        };
        let mut out = reader.get_ref();
        let _ = write!(out, "HTTP/1.1 {answered} {reason}\r\ncontent-length: 0\r\n\r\n");
    }
}

/// The receiver's own check: `t=…,v1=HEX(HMAC-SHA256(secret, "t.body"))`, within five minutes.
fn signature_matches(secret: &str, header: Option<&str>, body: &[u8]) -> bool {
    let Some(header) = header else { return false };
    let parts: Vec<(&str, &str)> = header.split(',').filter_map(|p| p.split_once('=')).collect();
    let Some(t) = parts.iter().find(|(k, _)| *k == "t").map(|(_, v)| *v) else {
        return false;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    if t.parse::<u64>().map_or(true, |t| t.abs_diff(now) > 300) {
        return false;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    let expected = hex::encode(mac.finalize().into_bytes());
    parts.iter().any(|(k, v)| *k == "v1" && *v == expected)
}

/// Signs a body as a supplier would: `t=NOW,v1=…`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{now}.").as_bytes());
    mac.update(body);
    format!("t={now},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// An HTTP server answering every GET with `body` (a supplier's stock file); returns its URL.
pub fn serve_text(body: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/stock.csv", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let mut out = &stream;
            let _ = write!(
                out,
                "HTTP/1.1 200 OK\r\ncontent-type: text/csv\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}
