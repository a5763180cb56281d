//! Running an external renderer (kustomize, helm): argument vectors only, never a shell, with a
//! deadline and a cap on what it may print.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::error::RenderError;

/// How long one renderer may run. Real charts render in seconds; a template that loops for
/// ever (a repository is input, not code we trust) must not hang a CI job.
const DEADLINE: Duration = Duration::from_secs(300);

/// How much a renderer may print. The largest real charts (CRD bundles included) print tens of
/// megabytes; more than this is an attack or a mistake, and would exhaust memory later.
pub const MAX_OUTPUT: usize = 128 * 1024 * 1024;

/// Whether a program is on PATH.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| is_executable(&dir.join(program)))
    })
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    p.is_file()
        && std::fs::metadata(p)
            .map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o111 != 0)
            .unwrap_or(false)
}

/// Windows has no execute bit; a program there is `NAME.exe` (the windows/amd64 release build).
#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file() || p.with_extension("exe").is_file()
}

/// Runs `program args...` in `cwd` and returns its stdout; a failure carries the last lines of
/// stderr and the argument vector, so users can re-run it.
pub fn run(program: &str, args: &[String], cwd: &Path) -> Result<String, RenderError> {
    let command: Vec<String> = std::iter::once(program.to_string())
        .chain(args.iter().cloned())
        .collect();
    let failed = |message: String| RenderError::ToolFailed {
        command: command.clone(),
        message,
    };
    let mut child = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| failed(e.to_string()))?;
    // Both pipes are drained on their own threads, so a renderer that fills one never blocks.
    let capped = |pipe: Option<Box<dyn Read + Send>>, cap: usize| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let over = match pipe {
                Some(p) => {
                    let n = p.take(cap as u64 + 1).read_to_end(&mut buf);
                    n.is_ok_and(|n| n > cap)
                }
                None => false,
            };
            (buf, over)
        })
    };
    let stdout = capped(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
        MAX_OUTPUT,
    );
    let stderr = capped(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
        1024 * 1024,
    );
    let started = Instant::now();
    let mut stdout = Some(stdout);
    let mut out: Option<Vec<u8>> = None;
    let status = loop {
        // A renderer that printed past the cap is stopped at once: it would otherwise block on
        // a pipe nobody reads until the deadline.
        if let Some(handle) = stdout.take_if(|h| h.is_finished()) {
            let (buf, over) = handle.join().unwrap_or_default();
            if over {
                let _ = child.kill();
                let _ = child.wait();
                return Err(failed(format!(
                    "printed more than the limit of {} MiB",
                    MAX_OUTPUT / (1024 * 1024)
                )));
            }
            out = Some(buf);
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > DEADLINE => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(failed(format!(
                    "did not finish within {} s and was stopped",
                    DEADLINE.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(failed(e.to_string())),
        }
    };
    let out = match (out, stdout) {
        (Some(buf), _) => buf,
        (None, Some(handle)) => {
            let (buf, over) = handle.join().unwrap_or_default();
            if over {
                return Err(failed(format!(
                    "printed more than the limit of {} MiB",
                    MAX_OUTPUT / (1024 * 1024)
                )));
            }
            buf
        }
        (None, None) => Vec::new(),
    };
    let (err, _) = stderr.join().unwrap_or_default();
    if !status.success() {
        let stderr = String::from_utf8_lossy(&err);
        let tail: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        return Err(failed(tail[tail.len().saturating_sub(3)..].join(" / ")));
    }
    String::from_utf8(out).map_err(|_| failed("output is not UTF-8".into()))
}
