//! A loopback HTTP server for Git's "dumb" protocol in tests: it serves the files of a directory
//! (bare repositories after `git update-server-info`), optionally behind basic auth, and records
//! what it was asked. It listens on 127.0.0.1 only, on a free port, and stops when dropped or
//! after a bounded time, whichever comes first. Shared by the unit tests (through `#[path]`).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// No test needs a server longer than this; it stops by itself afterwards.
const MAX_LIFETIME: Duration = Duration::from_secs(300);
/// Nor more requests than this.
const MAX_REQUESTS: usize = 10_000;

/// One request seen by the server.
#[derive(Debug, Clone)]
pub struct Request {
    /// The path, query removed.
    pub path: String,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
}

/// A running server; dropping it stops it.
pub struct DumbHttp {
    port: u16,
    stop: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<Request>>>,
    thread: Option<JoinHandle<()>>,
}

impl DumbHttp {
    /// Serves `root`; with `auth`, every request must carry that basic-auth user and password.
    pub fn serve(root: &Path, auth: Option<(&str, &str)>) -> DumbHttp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("local addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let expected = auth.map(|(user, password)| {
            use base64::Engine as _;
            let pair = format!("{user}:{password}");
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            )
        });
        let root = root.to_path_buf();
        let thread = {
            let stop = Arc::clone(&stop);
            let requests = Arc::clone(&requests);
            std::thread::spawn(move || {
                let started = Instant::now();
                let mut served = 0;
                while !stop.load(Ordering::Relaxed)
                    && started.elapsed() < MAX_LIFETIME
                    && served < MAX_REQUESTS
                {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            served += 1;
                            let _ = handle(stream, &root, expected.as_deref(), &requests);
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
        };
        DumbHttp {
            port,
            stop,
            requests,
            thread: Some(thread),
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT/<rel>`.
    pub fn url(&self, rel: &str) -> String {
        format!("http://127.0.0.1:{}/{rel}", self.port)
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for DumbHttp {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn handle(
    stream: TcpStream,
    root: &Path,
    expected_auth: Option<&str>,
    requests: &Mutex<Vec<Request>>,
) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut authorization = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("authorization")
        {
            authorization = Some(value.trim().to_owned());
        }
    }
    let target = request_line.split_whitespace().nth(1).unwrap_or("/");
    let path = target.split('?').next().unwrap_or("/").to_owned();
    requests.lock().unwrap().push(Request {
        path: path.clone(),
        authorization: authorization.clone(),
    });
    let mut stream = stream;
    if let Some(expected) = expected_auth
        && authorization.as_deref() != Some(expected)
    {
        return respond(
            &mut stream,
            "401 Unauthorized",
            &[("WWW-Authenticate", "Basic realm=\"test\"")],
            b"",
        );
    }
    match safe_join(root, &path).and_then(|file| std::fs::read(file).ok()) {
        Some(body) => respond(&mut stream, "200 OK", &[], &body),
        None => respond(&mut stream, "404 Not Found", &[], b""),
    }
}

fn respond(
    stream: &mut TcpStream,
    status: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()
}

/// `root/<path>` when the path stays inside `root`.
fn safe_join(root: &Path, path: &str) -> Option<PathBuf> {
    let rel = Path::new(path.trim_start_matches('/'));
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    let full = root.join(rel);
    full.is_file().then_some(full)
}
