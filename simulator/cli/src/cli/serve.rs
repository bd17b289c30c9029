//! `simulator serve`: static files for `guestURL: http://…`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tiny_http::{Method, Request, Response};

use super::http::{percent_decode, start, with_header};
use super::{CliError, ServeArgs, io_text};

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

/// Maps a request target to a file inside `root` (already canonical), refusing anything that
/// leaves it: `..` or `.` segments (also `%2e%2e`), encoded slashes or backslashes, NUL bytes,
/// absolute paths (`//etc/passwd`), and symlinks that resolve outside `root`.
fn resolve(root: &Path, target: &str) -> Result<PathBuf, Refusal> {
    let mut path = target.split(['?', '#']).next().unwrap_or_default();
    for scheme in ["http://", "https://"] {
        if let Some(rest) = path.strip_prefix(scheme) {
            path = rest.find('/').map_or("/", |i| &rest[i..]);
        }
    }
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

fn text(status: u16, body: &str) -> Response<std::io::Cursor<Vec<u8>>> {
    with_header(
        Response::from_string(format!("{body}\n")).with_status_code(status),
        "Content-Type",
        "text/plain; charset=utf-8",
    )
}

fn handle(root: &Path, req: Request) {
    let peer = req
        .remote_addr()
        .map_or_else(|| "-".to_string(), ToString::to_string);
    let line = format!("{peer} \"{} {}\"", req.method(), req.url());
    if !matches!(req.method(), Method::Get | Method::Head) {
        eprintln!("{line} 405");
        let resp = with_header(text(405, "405 method not allowed"), "Allow", "GET, HEAD");
        let _ = req.respond(resp);
        return;
    }
    match resolve(root, req.url()) {
        Ok(path) => match File::open(&path) {
            Ok(file) => {
                let len = file.metadata().map(|m| m.len()).unwrap_or(0);
                eprintln!("{line} 200 {len} bytes");
                // Always Content-Length, never chunked: HEAD reports the size too.
                let resp = Response::from_file(file).with_chunked_threshold(usize::MAX);
                let resp = with_header(resp, "Content-Type", content_type(&path));
                let _ = req.respond(resp);
            }
            Err(e) => {
                eprintln!("{line} 404 ({})", io_text(&e));
                let _ = req.respond(text(404, "404 not found"));
            }
        },
        Err(Refusal::NotFound) => {
            eprintln!("{line} 404");
            let _ = req.respond(text(404, "404 not found"));
        }
        Err(Refusal::Forbidden(why)) => {
            eprintln!("{line} 403 refused: {why}");
            let _ = req.respond(text(403, &format!("403 forbidden: {why}")));
        }
        Err(Refusal::BadRequest(why)) => {
            eprintln!("{line} 400 {why}");
            let _ = req.respond(text(400, &format!("400 bad request: {why}")));
        }
    }
}

pub fn serve(args: &ServeArgs) -> Result<ExitCode, CliError> {
    let root = std::fs::canonicalize(&args.dir)
        .map_err(|e| CliError(format!("{}: {}", args.dir.display(), io_text(&e))))?;
    if !root.is_dir() {
        return Err(CliError(format!("{}: not a directory", args.dir.display())));
    }
    let (server, bound) = start(&args.addr, "serve")?;
    println!(
        "serving {} on http://{bound}/ (Ctrl-C to stop)",
        args.dir.display()
    );
    for req in server.incoming_requests() {
        handle(&root, req);
    }
    println!("stopped");
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_traversal() {
        let dir = std::env::temp_dir().join(format!("sim-serve-{}", std::process::id()));
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
            resolve(&root, "http://x/g.wasm?v=1").unwrap(),
            root.join("g.wasm")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
