//! `static_dir` over loopback: content types, Content-Length, HEAD, 404/405, and every path that
//! leaves the directory refused with 403 (the behaviour of `simulator serve`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use http_server::{Config, static_dir};

#[test]
fn serves_files_with_type_and_length() {
    let dir = TempDir::new("static");
    let wasm = b"\0asm\x01\0\0\0".repeat(1000);
    std::fs::write(dir.path("g.wasm"), &wasm).unwrap();
    std::fs::write(dir.path("a.json"), "{}").unwrap();
    std::fs::create_dir(dir.path("sub")).unwrap();
    let server = TestServer::start(Config::default(), static_dir(&dir.0).unwrap());
    let r = server.get("/g.wasm");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/wasm"));
    assert_eq!(r.header("content-length"), Some("8000"));
    assert_eq!(r.body, wasm);
    let r = server.request("HEAD", "/g.wasm?v=1", b"");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length"), Some("8000"));
    assert!(r.body.is_empty());
    let r = server.get("/a.json");
    assert_eq!(
        (r.header("content-type"), r.text().as_str()),
        (Some("application/json"), "{}")
    );
    assert_eq!(server.get("/nope.wasm").status, 404);
    assert_eq!(server.get("/").status, 404);
    assert_eq!(server.get("/sub").status, 404);
    assert_eq!(server.get("/a%zz").status, 400);
    let r = server.request("POST", "/g.wasm", b"");
    assert_eq!((r.status, r.header("allow")), (405, Some("GET, HEAD")));
    // The built-in routes come first.
    assert_eq!(server.get("/healthz").text(), "ok");
}

#[test]
fn refuses_paths_out_of_the_directory() {
    let outside = TempDir::new("outside");
    std::fs::write(outside.path("secret.txt"), "secret\n").unwrap();
    let served = TempDir::new("served");
    std::fs::write(served.path("guest.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::os::unix::fs::symlink(outside.path("secret.txt"), served.path("link.txt")).unwrap();
    std::os::unix::fs::symlink(&outside.0, served.path("linkdir")).unwrap();
    let server = TestServer::start(Config::default(), static_dir(&served.0).unwrap());
    assert_eq!(server.get("/guest.wasm").status, 200);
    for (target, why) in [
        ("/../secret.txt", "path traversal"),
        ("/%2e%2e/secret.txt", "path traversal"),
        ("/%2E%2E%2Fsecret.txt", "encoded separator"),
        ("/sub/..%2f..%2fsecret.txt", "encoded separator"),
        ("//etc/passwd", "absolute path"),
        ("/link.txt", "outside the served directory"),
        ("/linkdir/secret.txt", "outside the served directory"),
        ("/./guest.wasm", "path traversal"),
    ] {
        let r = server.get(target);
        assert_eq!(
            (r.status, r.text()),
            (403, format!("403 forbidden: {why}\n")),
            "{target}"
        );
    }
}

#[test]
fn a_missing_directory_is_an_error() {
    let dir = TempDir::new("gone");
    let missing = dir.path("missing");
    assert_eq!(
        static_dir(&missing).unwrap_err().to_string(),
        format!(
            "{}: No such file or directory (os error 2)",
            missing.display()
        )
    );
    std::fs::write(dir.path("file"), "").unwrap();
    assert_eq!(
        static_dir(dir.path("file")).unwrap_err().to_string(),
        format!("{}: not a directory", dir.path("file").display())
    );
}
