//! Fetching the guest from `guestURL` (docs/abi.md §5.2).

use std::io::Read;
use std::time::Duration;

/// The most bytes read from any input: a guest (file or HTTP body), and, in the CLI, a scenario or
/// a scheduler configuration. 1 GiB: 3,000× the largest guest here (regex_v1, 325 KiB).
pub const MAX_INPUT_BYTES: u64 = 1 << 30;

/// Reads `r` to the end, failing once more than `max` bytes came (rather than growing without
/// bound on `/dev/zero` or an endless HTTP body). The error names the cap.
pub fn read_limited(r: impl Read, max: u64) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    r.take(max.saturating_add(1)).read_to_end(&mut body)?;
    if body.len() as u64 > max {
        return Err(std::io::Error::other(format!(
            "larger than {}, the most the simulator reads",
            crate::limits::bytes_text(max)
        )));
    }
    Ok(body)
}

/// Fails unless `wasm` starts with the wasm magic `\0asm`: one line naming what it starts with,
/// instead of the compiler's hex dump (an HTML error page or a text file given as a guest).
pub(crate) fn check_wasm_magic(wasm: &[u8]) -> Result<(), String> {
    if wasm.starts_with(b"\0asm") {
        return Ok(());
    }
    if wasm.is_empty() {
        return Err("not a wasm module: the file is empty".into());
    }
    let head = &wasm[..wasm.len().min(16)];
    let hex: Vec<String> = head.iter().map(|b| format!("{b:02x}")).collect();
    Err(format!(
        "not a wasm module: starts with {} ({}{}), not \"\\x00asm\"",
        crate::gofmt::quote(&String::from_utf8_lossy(head)),
        hex.join(" "),
        if wasm.len() > head.len() { " …" } else { "" }
    ))
}

/// Reads the guest's bytes from `url` as the real plugin does: the scheme is the text before the
/// first `:`; `file://` is stripped literally (so `file://./x.wasm` is relative), `http`/`https`
/// must answer 200. At most [`MAX_INPUT_BYTES`]; a file that does not start with the wasm magic
/// is refused after its first bytes.
pub fn fetch_guest(url: &str) -> Result<Vec<u8>, String> {
    fetch_guest_with(url, &HttpTimeouts::default())
}

/// How long fetching a guest over HTTP waits for each step.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HttpTimeouts {
    /// Resolving the host and connecting (TLS included).
    pub connect: Duration,
    /// From the request sent to the end of the response headers.
    pub response: Duration,
    /// Between two reads of the body.
    pub read: Duration,
    /// The whole download.
    pub total: Duration,
}

impl Default for HttpTimeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            response: Duration::from_secs(30),
            read: Duration::from_secs(30),
            total: Duration::from_secs(300),
        }
    }
}

pub(crate) fn fetch_guest_with(url: &str, timeouts: &HttpTimeouts) -> Result<Vec<u8>, String> {
    let Some(colon) = url.find(':') else {
        return Err(format!("invalid URL: {url}"));
    };
    match &url[..colon] {
        "http" | "https" => http_get(url, timeouts),
        "file" => {
            // Go slices url[7:] without a length check; a shorter URL panics the factory.
            let Some(path) = url.get(7..) else {
                return Err(format!(
                    "runtime error: slice bounds out of range [7:{}] (the real scheduler would panic here)",
                    url.len()
                ));
            };
            read_guest_file(path)
        }
        scheme => Err(format!("unsupported URL scheme: {scheme}")),
    }
}

/// Reads a guest file: its first 4 bytes must be the wasm magic (so `/dev/zero` fails at once),
/// the rest is read up to [`MAX_INPUT_BYTES`].
fn read_guest_file(path: &str) -> Result<Vec<u8>, String> {
    let mut f = std::fs::File::open(path).map_err(|e| go_io_error("open", path, &e))?;
    let mut head = Vec::with_capacity(4);
    (&mut f)
        .take(4)
        .read_to_end(&mut head)
        .map_err(|e| go_io_error("read", path, &e))?;
    if head.len() == 4 && check_wasm_magic(&head).is_err() {
        return Ok(head);
    }
    let rest = read_limited(f, MAX_INPUT_BYTES - head.len() as u64)
        .map_err(|e| go_io_error("read", path, &e))?;
    head.extend_from_slice(&rest);
    Ok(head)
}

/// Formats an I/O error like Go's `*fs.PathError`: `open <path>: no such file or directory`.
fn go_io_error(op: &str, path: &str, e: &std::io::Error) -> String {
    let text = match e.raw_os_error() {
        Some(2) => "no such file or directory".to_string(),
        Some(13) => "permission denied".to_string(),
        Some(20) => "not a directory".to_string(),
        Some(21) => return format!("read {path}: is a directory"),
        _ => {
            let s = e.to_string();
            let s = s.split(" (os error").next().unwrap_or(&s).to_string();
            if e.raw_os_error().is_some() {
                s.to_lowercase()
            } else {
                s
            }
        }
    };
    format!("{op} {path}: {text}")
}

/// What a timed-out download was waiting for.
fn timeout_text(t: ureq::Timeout, timeouts: &HttpTimeouts) -> String {
    use crate::limits::duration_text as d;
    match t {
        ureq::Timeout::Resolve | ureq::Timeout::Connect => {
            format!("timed out after {} waiting to connect", d(timeouts.connect))
        }
        ureq::Timeout::SendRequest | ureq::Timeout::PerWrite => format!(
            "timed out after {} waiting to send the request",
            d(timeouts.connect)
        ),
        ureq::Timeout::RecvResponse => format!(
            "timed out after {} waiting for the response headers (the server accepted the connection but did not answer)",
            d(timeouts.response)
        ),
        ureq::Timeout::PerRead => format!(
            "timed out after {} waiting for more of the response (the server stopped sending)",
            d(timeouts.read)
        ),
        other => format!(
            "timed out: the download took longer than {} ({other})",
            d(timeouts.total)
        ),
    }
}

fn http_get(url: &str, timeouts: &HttpTimeouts) -> Result<Vec<u8>, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_resolve(Some(timeouts.connect))
        .timeout_connect(Some(timeouts.connect))
        .timeout_send_request(Some(timeouts.connect))
        .timeout_recv_response(Some(timeouts.response))
        .timeout_per_read(Some(timeouts.read))
        .timeout_global(Some(timeouts.total))
        .build()
        .into();
    let quoted = crate::gofmt::quote(url);
    let fail = |e: ureq::Error| match e {
        ureq::Error::Timeout(t) => format!("Get {quoted}: {}", timeout_text(t, timeouts)),
        ureq::Error::Io(io) => match io.get_ref().and_then(|i| i.downcast_ref::<ureq::Error>()) {
            Some(ureq::Error::Timeout(t)) => {
                format!("Get {quoted}: {}", timeout_text(*t, timeouts))
            }
            _ => format!("Get {quoted}: {io}"),
        },
        e => format!("Get {quoted}: {e}"),
    };
    let mut resp = agent.get(url).call().map_err(fail)?;
    let code = resp.status().as_u16();
    if code != 200 {
        return Err(format!("received {code} status code from {quoted}"));
    }
    let reader = resp
        .body_mut()
        .with_config()
        .limit(MAX_INPUT_BYTES.saturating_add(1))
        .reader();
    read_limited(reader, MAX_INPUT_BYTES).map_err(|e| {
        match e.get_ref().and_then(|i| i.downcast_ref::<ureq::Error>()) {
            Some(ureq::Error::Timeout(t)) => {
                format!("Get {quoted}: {}", timeout_text(*t, timeouts))
            }
            _ => format!("Get {quoted}: {e}"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead as _, BufReader, Write as _};
    use std::net::TcpListener;

    #[test]
    fn schemes() {
        assert_eq!(fetch_guest("nothing").unwrap_err(), "invalid URL: nothing");
        assert_eq!(
            fetch_guest(r"c:\foo.wasm").unwrap_err(),
            "unsupported URL scheme: c"
        );
        assert_eq!(
            fetch_guest("file:///does/not/exist.wasm").unwrap_err(),
            "open /does/not/exist.wasm: no such file or directory"
        );
    }

    #[test]
    fn file_relative_path() {
        let dir = std::env::temp_dir().join(format!("sim-url-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("g.wasm");
        std::fs::write(&f, b"\0asm").unwrap();
        assert_eq!(
            fetch_guest(&format!("file://{}", f.display())).unwrap(),
            b"\0asm"
        );
        let cwd = std::env::current_dir().unwrap();
        let rel = pathdiff(&f, &cwd);
        assert_eq!(fetch_guest(&format!("file://{rel}")).unwrap(), b"\0asm");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn pathdiff(target: &std::path::Path, base: &std::path::Path) -> String {
        let ups = base.components().count() - 1;
        let mut s = "../".repeat(ups);
        s.push_str(target.to_str().unwrap().trim_start_matches('/'));
        s
    }

    /// Serves `status` + `body` once on a loopback port and returns the URL.
    fn serve_once(status: &'static str, body: &'static [u8]) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut line = String::new();
            while r.read_line(&mut line).unwrap() > 2 {
                line.clear();
            }
            write!(
                s,
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .unwrap();
            s.write_all(body).unwrap();
        });
        format!("http://{addr}/guest.wasm")
    }

    #[test]
    fn http_ok_and_not_found() {
        let url = serve_once("200 OK", b"\0asm\x01\0\0\0");
        assert_eq!(fetch_guest(&url).unwrap(), b"\0asm\x01\0\0\0");
        let url = serve_once("404 Not Found", b"nope");
        assert_eq!(
            fetch_guest(&url).unwrap_err(),
            format!("received 404 status code from \"{url}\"")
        );
    }

    #[test]
    fn dev_zero_is_refused_after_four_bytes() {
        // /dev/zero never ends: the magic check stops the read at once.
        assert_eq!(fetch_guest("file:///dev/zero").unwrap(), vec![0u8; 4]);
        assert_eq!(
            check_wasm_magic(&[0u8; 4]).unwrap_err(),
            r#"not a wasm module: starts with "\x00\x00\x00\x00" (00 00 00 00), not "\x00asm""#
        );
    }

    #[test]
    fn reads_are_capped() {
        let e = read_limited(std::io::repeat(7), 1000).unwrap_err();
        assert_eq!(
            e.to_string(),
            "larger than 1000 bytes, the most the simulator reads"
        );
        assert_eq!(read_limited(&[1u8, 2, 3][..], 3).unwrap(), [1, 2, 3]);
        let e = read_limited(std::io::repeat(0), 1 << 20).unwrap_err();
        assert_eq!(
            e.to_string(),
            "larger than 1 MiB, the most the simulator reads"
        );
    }

    #[test]
    fn a_server_that_never_answers_times_out_and_says_what_it_waited_for() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        // Accept and hold the connection without answering.
        let held = std::thread::spawn(move || listener.accept().map(|(s, _)| s));
        let timeouts = HttpTimeouts {
            response: Duration::from_millis(300),
            ..HttpTimeouts::default()
        };
        let url = format!("http://{addr}/guest.wasm");
        assert_eq!(
            fetch_guest_with(&url, &timeouts).unwrap_err(),
            format!(
                "Get \"{url}\": timed out after 300ms waiting for the response headers (the server accepted the connection but did not answer)"
            )
        );
        drop(held.join());
    }

    #[test]
    fn a_body_that_stalls_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut line = String::new();
            while r.read_line(&mut line).unwrap() > 2 {
                line.clear();
            }
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n\0asm")
                .unwrap();
            // Hold the connection open until the client gave up.
            let _ = rx.recv();
        });
        let timeouts = HttpTimeouts {
            read: Duration::from_millis(300),
            ..HttpTimeouts::default()
        };
        let url = format!("http://{addr}/guest.wasm");
        assert_eq!(
            fetch_guest_with(&url, &timeouts).unwrap_err(),
            format!(
                "Get \"{url}\": timed out after 300ms waiting for more of the response (the server stopped sending)"
            )
        );
        drop(tx);
    }
}
