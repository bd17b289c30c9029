//! Load test (numbers, not pass/fail): N keep-alive connections send requests back to back for
//! T seconds; prints throughput, latency percentiles and errors.
//!
//! ```text
//! cargo run --release -p http-server --example load -- [--connections 20] [--seconds 10]
//!     [--log on] [--addr HOST:PORT --path /x [--body-file F]]
//! ```
//!
//! Without `--addr` it starts this crate's server in-process (request logs off) with a trivial
//! `POST /echo` handler and drives that (`--log on`: with its request log lines, to stderr); with `--addr` it drives any plain-HTTP server (e.g.
//! `simulator autoscale webhook`), POSTing `--body-file` (GET when there is none).

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use http_server::axum::Router;
use http_server::axum::body::Bytes;
use http_server::axum::routing::post;
use http_server::{Config, Server};

struct Args {
    connections: usize,
    seconds: u64,
    addr: Option<String>,
    path: String,
    body: Option<Vec<u8>>,
    log: bool,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        connections: 20,
        seconds: 10,
        addr: None,
        path: "/echo".into(),
        body: None,
        log: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--connections" => a.connections = v.parse().map_err(|e| format!("{flag}: {e}"))?,
            "--seconds" => a.seconds = v.parse().map_err(|e| format!("{flag}: {e}"))?,
            "--addr" => a.addr = Some(v),
            "--path" => a.path = v,
            "--log" => a.log = v == "on",
            "--body-file" => a.body = Some(std::fs::read(&v).map_err(|e| format!("{v}: {e}"))?),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(a)
}

/// One request on a keep-alive connection; the status, once the whole body is read.
fn exchange(
    w: &mut TcpStream,
    r: &mut BufReader<TcpStream>,
    request: &[u8],
) -> std::io::Result<u16> {
    w.write_all(request)?;
    let mut line = String::new();
    r.read_line(&mut line)?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
    let mut len = 0usize;
    loop {
        line.clear();
        r.read_line(&mut line)?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            len = v.trim().parse().map_err(std::io::Error::other)?;
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body)?;
    Ok(status)
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("load: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (addr, _server) = match &args.addr {
        Some(a) => (a.clone(), None),
        None => {
            let config = Config {
                addr: "127.0.0.1:0".into(),
                log_requests: args.log,
                ..Config::default()
            };
            let server = match Server::bind(config) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("load: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let addr = server.local_addr().to_string();
            let router = Router::new().route(
                "/echo",
                post(|body: Bytes| async move { format!("{} bytes", body.len()) }),
            );
            let handle = std::thread::spawn(move || server.run(router));
            (addr, Some(handle))
        }
    };
    let body = args.body.clone().unwrap_or_else(|| {
        if args.addr.is_none() {
            br#"{"kind":"FleetAutoscaleReview","request":{"uid":"x"}}"#.to_vec()
        } else {
            Vec::new()
        }
    });
    let method = if body.is_empty() { "GET" } else { "POST" };
    let mut request = format!(
        "{method} {} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        args.path,
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&body);
    let duration = Duration::from_secs(args.seconds);
    let start = Instant::now();
    let workers: Vec<_> = (0..args.connections)
        .map(|_| {
            let (addr, request) = (addr.clone(), request.clone());
            std::thread::spawn(move || {
                let mut lat = Vec::new();
                let (mut errors, mut non_2xx) = (0u64, 0u64);
                let mut conn: Option<(TcpStream, BufReader<TcpStream>)> = None;
                while start.elapsed() < duration {
                    if conn.is_none() {
                        match TcpStream::connect(&addr).and_then(|s| {
                            s.set_nodelay(true)?;
                            Ok((s.try_clone()?, BufReader::new(s)))
                        }) {
                            Ok(c) => conn = Some(c),
                            Err(_) => {
                                errors += 1;
                                std::thread::sleep(Duration::from_millis(10));
                                continue;
                            }
                        }
                    }
                    let Some((w, r)) = conn.as_mut() else {
                        continue;
                    };
                    let t = Instant::now();
                    match exchange(w, r, &request) {
                        Ok(status) => {
                            lat.push(t.elapsed());
                            if !(200..300).contains(&status) {
                                non_2xx += 1;
                            }
                        }
                        Err(_) => {
                            errors += 1;
                            conn = None;
                        }
                    }
                }
                (lat, errors, non_2xx)
            })
        })
        .collect();
    let mut all = Vec::new();
    let (mut errors, mut non_2xx) = (0, 0);
    for w in workers {
        match w.join() {
            Ok((lat, e, n)) => {
                all.extend(lat);
                errors += e;
                non_2xx += n;
            }
            Err(_) => errors += 1,
        }
    }
    let secs = start.elapsed().as_secs_f64();
    all.sort();
    let pct = |p: f64| {
        let i = ((all.len() as f64 * p).ceil() as usize).clamp(1, all.len().max(1)) - 1;
        all.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "{} connections x {:.1} s against {addr}{} ({method}, {} body bytes): {} requests, \
         {:.0} req/s, p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms, {errors} errors, {non_2xx} non-2xx",
        args.connections,
        secs,
        args.path,
        body.len(),
        all.len(),
        all.len() as f64 / secs,
        pct(0.50),
        pct(0.99),
        pct(1.0),
    );
    if errors > 0 || non_2xx > 0 || all.is_empty() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
