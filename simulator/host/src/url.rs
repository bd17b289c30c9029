//! Fetching the guest from `guestURL` (docs/abi.md §5.2).

use std::io::Read as _;
use std::time::Duration;

/// Reads the guest's bytes from `url` as the real plugin does: the scheme is the text before the
/// first `:`; `file://` is stripped literally (so `file://./x.wasm` is relative), `http`/`https`
/// must answer 200.
pub fn fetch_guest(url: &str) -> Result<Vec<u8>, String> {
    let Some(colon) = url.find(':') else {
        return Err(format!("invalid URL: {url}"));
    };
    match &url[..colon] {
        "http" | "https" => http_get(url),
        "file" => {
            // Go slices url[7:] without a length check; a shorter URL panics the factory.
            let Some(path) = url.get(7..) else {
                return Err(format!(
                    "runtime error: slice bounds out of range [7:{}] (the real scheduler would panic here)",
                    url.len()
                ));
            };
            std::fs::read(path).map_err(|e| go_io_error("open", path, &e))
        }
        scheme => Err(format!("unsupported URL scheme: {scheme}")),
    }
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
            s.to_lowercase()
        }
    };
    format!("{op} {path}: {text}")
}

const MAX_GUEST_BYTES: u64 = 1 << 30;

fn http_get(url: &str) -> Result<Vec<u8>, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(300)))
        .build()
        .into();
    let mut resp = agent
        .get(url)
        .call()
        .map_err(|e| format!("Get {}: {e}", crate::gofmt::quote(url)))?;
    let code = resp.status().as_u16();
    if code != 200 {
        return Err(format!(
            "received {code} status code from {}",
            crate::gofmt::quote(url)
        ));
    }
    let mut body = Vec::new();
    resp.body_mut()
        .as_reader()
        .take(MAX_GUEST_BYTES)
        .read_to_end(&mut body)
        .map_err(|e| format!("Get {}: {e}", crate::gofmt::quote(url)))?;
    Ok(body)
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
}
