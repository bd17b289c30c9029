//! The files for the real kube-scheduler-simulator (`simulator/kube-scheduler-simulator/`),
//! tested without Docker: the compose override and the scheduler config parse, the guest URL
//! names a guest `make build` produces, `import-simulator` posts what `run --output` wrote, and
//! the targets say what to do when Docker is missing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad results

mod cli_support;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::process::Command;

use cli_support::*;
use serde_json::Value;
use simulator_framework::SchedulerConfig;

fn dir() -> std::path::PathBuf {
    root().join("simulator/kube-scheduler-simulator")
}

fn yaml(name: &str) -> Value {
    let text = std::fs::read_to_string(dir().join(name)).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn compose_override_adds_the_static_webserver() {
    let compose = yaml("compose.wasm.yml");
    let web = &compose["services"]["static-webserver"];
    assert_eq!(web["image"], "nginx:alpine");
    assert_eq!(
        web["networks"],
        serde_json::json!(["simulator-internal-network"])
    );
    let volume = web["volumes"][0].as_str().unwrap();
    assert!(volume.starts_with("${WASM_STATIC_DIR:?"), "{volume}");
    assert!(volume.ends_with("}:/usr/share/nginx/html:ro"), "{volume}");
    // The Makefile fragment points WASM_STATIC_DIR at the repository's static/.
    let mk = std::fs::read_to_string(dir().join("simulator.mk")).unwrap();
    assert!(mk.contains("WASM_STATIC_DIR=$(SIM_ROOT)/static"), "{mk}");
    assert!(mk.contains("-f compose.yml -f compose.local.yml -f $(SIM_WASM_DIR)/compose.wasm.yml"));
    assert!(mk.contains("SIMULATOR_REV      ?= b3c7a44969378b6134e74968988a43e08293de11"));
}

#[test]
fn scheduler_config_registers_the_wasm_plugin_from_a_built_guest() {
    let text = std::fs::read_to_string(dir().join("scheduler-config.yaml")).unwrap();
    let config = SchedulerConfig::from_text(&text, "scheduler-config.yaml").unwrap();
    let profile = config.profile(None).unwrap();
    assert!(profile.warnings.is_empty(), "{:?}", profile.warnings);
    assert_eq!(profile.wasm.len(), 1);
    let (name, args) = &profile.wasm[0];
    assert_eq!(name, "WasmRegexScheduling");
    assert_eq!(args.guest_url, "http://static-webserver/regex_v1.wasm");
    // `make build` produces that file (and regex_v2.wasm, the documented switch).
    let makefile = std::fs::read_to_string(root().join("Makefile")).unwrap();
    for module in ["regex_v1", "regex_v2"] {
        assert!(
            makefile.contains(&format!(":{module}")),
            "the Makefile does not build {module}"
        );
        require_guest(module);
        assert!(text.contains(&format!("http://static-webserver/{module}.wasm")));
    }
}

/// A request as the test listener saw it.
struct Seen {
    request_line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Accepts `n` requests on a loopback port, answering 200; returns the URL and a handle to the
/// requests.
fn listen(n: usize) -> (String, std::thread::JoinHandle<Vec<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for _ in 0..n {
            let (mut stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut headers = Vec::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some((k, v)) = line.split_once(':') {
                    headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
                }
            }
            let get = |k: &str| headers.iter().find(|(h, _)| h == k).map(|(_, v)| v.clone());
            if get("expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue")) {
                stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").unwrap();
            }
            let len: usize = get("content-length").map_or(0, |v| v.parse().unwrap());
            let mut body = vec![0; len];
            reader.read_exact(&mut body).unwrap();
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
                .unwrap();
            seen.push(Seen {
                request_line: request_line.trim_end().to_string(),
                headers,
                body,
            });
        }
        seen
    });
    (url, handle)
}

fn make(args: &[&str]) -> std::process::Output {
    Command::new("make")
        .current_dir(root())
        .args([
            "--no-print-directory",
            "-f",
            "simulator/kube-scheduler-simulator/simulator.mk",
        ])
        .args(args)
        .output()
        .expect("make")
}

#[test]
fn import_posts_the_scenario_run_wrote() {
    require_guest("regex_v1");
    let tmp = TempDir::new("import");
    let placed = tmp.path("placed.json").display().to_string();
    let o = run(&[
        "run",
        "simulator/scenarios/demo.json",
        "--output",
        &placed,
        "--guest-url-base",
        "http://static-webserver/",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let written = std::fs::read(&placed).unwrap();

    let (url, handle) = listen(2);
    let o = make(&[
        "import-simulator",
        &format!("SIMULATOR_API={url}"),
        &format!("SIMULATOR_SCENARIO={placed}"),
    ]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let seen = handle.join().unwrap();
    assert_eq!(seen[0].request_line, "PUT /api/v1/reset HTTP/1.1");
    assert_eq!(seen[1].request_line, "POST /api/v1/import HTTP/1.1");
    assert!(
        seen[1]
            .headers
            .contains(&("content-type".into(), "application/json".into()))
    );
    assert_eq!(seen[1].body, written);
    assert_eq!(
        stdout(&o),
        format!("reset {url}\nimported {placed} into {url}: open http://localhost:3000\n")
    );

    // What was posted: the demo with its placements and guest URLs the simulator can fetch.
    let posted: Value = serde_json::from_slice(&seen[1].body).unwrap();
    let node_of = |name: &str| {
        posted["pods"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["metadata"]["name"] == name)
            .map(|p| p["spec"]["nodeName"].clone())
            .unwrap()
    };
    assert_eq!(node_of("pod-kubecon"), "kubecon-1");
    assert_eq!(node_of("pod-cncf"), Value::Null);
    assert_eq!(node_of("pod-plain"), "node-default");
    assert_eq!(
        posted["schedulerConfig"]["profiles"][0]["pluginConfig"][0]["args"]["guestURL"],
        "http://static-webserver/regex_v1.wasm"
    );
    assert_eq!(posted["nodes"].as_array().unwrap().len(), 3);
}

#[test]
fn reset_says_when_the_simulator_is_not_running() {
    // A port nothing listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let api = format!("http://127.0.0.1:{port}");
    let o = make(&["reset-simulator", &format!("SIMULATOR_API={api}")]);
    assert!(!o.status.success());
    assert!(
        stdout(&o).contains(&format!("kube-scheduler-simulator does not answer at {api}: start it with 'make start-simulator-wasm'.")),
        "{}{}",
        stdout(&o),
        stderr(&o)
    );
}

#[test]
fn targets_point_to_make_run_without_docker() {
    for target in ["start-simulator-wasm", "stop-simulator"] {
        let o = make(&[target, "DOCKER=/nonexistent/docker"]);
        assert!(!o.status.success());
        assert_eq!(
            stdout(&o),
            "Docker is not installed: kube-scheduler-simulator runs in Docker containers.\nWithout Docker, 'make run' schedules the same demo locally (simulator run).\n",
            "{target}: {}",
            stderr(&o)
        );
        // A docker CLI without an engine (`false info` fails like `docker info` does then).
        let o = make(&[target, "DOCKER=false"]);
        assert!(!o.status.success());
        assert_eq!(
            stdout(&o),
            "No Docker engine is reachable ('false info' failed): start Docker and try again.\nWithout Docker, 'make run' schedules the same demo locally (simulator run).\n",
            "{target}: {}",
            stderr(&o)
        );
    }
}
