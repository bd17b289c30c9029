//! GET/HEAD of the files in one directory, refusing every path that leaves it.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use http::{HeaderValue, Method, StatusCode, header};
use tokio_util::io::ReaderStream;

use crate::Error;
use crate::log::LogNote;
use crate::server::text;

/// Bytes per file read while sending a file.
const READ_CHUNK: usize = 256 * 1024;

/// Why a path is not served.
#[derive(Debug, PartialEq, Eq)]
enum Refusal {
    /// 400: the path does not decode.
    BadRequest(&'static str),
    /// 403: the path tries to leave the directory.
    Forbidden(&'static str),
    /// 404.
    NotFound,
}

/// A router serving the regular files under `dir` for GET and HEAD (405 with `Allow: GET, HEAD`
/// otherwise), always with `Content-Length`, and `Content-Type` by extension (`.wasm` is
/// `application/wasm`). Refused with 403: `..` or `.` segments (also `%2e%2e`), encoded `/`, `\`
/// or NUL, absolute paths (`//etc/passwd`) and symlinks that resolve outside `dir`; a malformed
/// `%`-escape is 400, anything else missing (or a directory) 404. Each refusal's reason is in the
/// log line. Errors if `dir` is not a directory.
pub fn static_dir(dir: impl AsRef<Path>) -> Result<Router, Error> {
    let dir = dir.as_ref();
    let root =
        std::fs::canonicalize(dir).map_err(|e| Error::new(format!("{}: {e}", dir.display())))?;
    if !root.is_dir() {
        return Err(Error::new(format!("{}: not a directory", dir.display())));
    }
    Ok(Router::new().fallback(move |req: Request| {
        let root = root.clone();
        async move { get_file(&root, req).await }
    }))
}

async fn get_file(root: &Path, req: Request) -> Response {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "use GET or HEAD");
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let refused = |status, msg: &str, note: String| {
        let mut r = text(status, msg);
        r.extensions_mut().insert(LogNote(note));
        r
    };
    let path = match resolve(root, req.uri().path()) {
        Ok(p) => p,
        Err(Refusal::NotFound) => return text(StatusCode::NOT_FOUND, "no such file"),
        Err(Refusal::Forbidden(why)) => {
            return refused(StatusCode::FORBIDDEN, why, format!("refused: {why}"));
        }
        Err(Refusal::BadRequest(why)) => return refused(StatusCode::BAD_REQUEST, why, why.into()),
    };
    let file = match tokio::fs::File::open(&path).await {
        Ok(f) => f,
        Err(e) => return refused(StatusCode::NOT_FOUND, "no such file", e.to_string()),
    };
    let len = match file.metadata().await {
        Ok(m) => m.len(),
        Err(e) => return refused(StatusCode::NOT_FOUND, "no such file", e.to_string()),
    };
    let body = if *req.method() == Method::HEAD {
        Body::empty()
    } else {
        // 256 KiB reads: tokio runs each file read on its blocking pool, so small reads cost a
        // thread hand-off per 4 KiB (1,100 req/s for a 100 KiB file with the default, see
        // RATIONALE.md); memory stays bounded per download.
        Body::from_stream(ReaderStream::with_capacity(file, READ_CHUNK))
    };
    let mut r = Response::new(body);
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(&path)),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    r.extensions_mut().insert(LogNote(format!("{len} bytes")));
    r
}

/// Maps a request path (still %-encoded) to a file inside `root` (canonical), refusing anything
/// that leaves it.
fn resolve(root: &Path, path: &str) -> Result<PathBuf, Refusal> {
    let Some(rel) = path.strip_prefix('/') else {
        return Err(Refusal::BadRequest("the path must start with /"));
    };
    if rel.starts_with('/') {
        return Err(Refusal::Forbidden("absolute path"));
    }
    let mut out = root.to_path_buf();
    for raw in rel.split('/') {
        let seg = percent_decode(raw).ok_or(Refusal::BadRequest("malformed %-escape"))?;
        if seg.contains(['/', '\\', '\0']) {
            return Err(Refusal::Forbidden("encoded separator"));
        }
        match seg.as_str() {
            "" => {}
            "." | ".." => return Err(Refusal::Forbidden("path traversal")),
            s => out.push(s),
        }
    }
    let canonical = std::fs::canonicalize(&out).map_err(|_| Refusal::NotFound)?;
    if !canonical.starts_with(root) {
        return Err(Refusal::Forbidden("outside the served directory"));
    }
    if !canonical.is_file() {
        return Err(Refusal::NotFound);
    }
    Ok(canonical)
}

/// Decodes `%XX` escapes; `None` for a malformed escape or bytes that are not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        Some("yaml" | "yml") => "application/yaml",
        Some("html") => "text/html; charset=utf-8",
        Some("txt" | "md") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn decodes() {
        assert_eq!(percent_decode("%2e%2E/a%20b").as_deref(), Some("../a b"));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%2"), None);
        assert_eq!(percent_decode("%ff"), None);
    }

    #[test]
    fn refuses_traversal() {
        let dir = std::env::temp_dir().join(format!("http-server-static-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("g.wasm"), b"\0asm").unwrap();
        let root = std::fs::canonicalize(&dir).unwrap();
        assert_eq!(resolve(&root, "/g.wasm").unwrap(), root.join("g.wasm"));
        assert_eq!(
            resolve(&root, "/sub/../g.wasm"),
            Err(Refusal::Forbidden("path traversal"))
        );
        assert_eq!(
            resolve(&root, "/%2e%2e/etc/passwd"),
            Err(Refusal::Forbidden("path traversal"))
        );
        assert_eq!(
            resolve(&root, "/..%2fetc"),
            Err(Refusal::Forbidden("encoded separator"))
        );
        assert_eq!(
            resolve(&root, "//etc/passwd"),
            Err(Refusal::Forbidden("absolute path"))
        );
        assert_eq!(resolve(&root, "/nope.wasm"), Err(Refusal::NotFound));
        assert_eq!(resolve(&root, "/sub"), Err(Refusal::NotFound));
        assert_eq!(
            resolve(&root, "/a%zz"),
            Err(Refusal::BadRequest("malformed %-escape"))
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
