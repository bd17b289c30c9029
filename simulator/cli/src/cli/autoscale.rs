//! `simulator autoscale eval` and `simulator autoscale webhook`.

use std::io::Read as _;
use std::process::ExitCode;

use fleet_autoscaling::go::time::Instant;
use fleet_autoscaling::webhook::WebhookHandler;
use tiny_http::{Method, Request, Response};

use super::http::{start, with_header};
use super::{CliError, EvalArgs, WebhookArgs, read_file};

pub fn eval(args: &EvalArgs) -> Result<ExitCode, CliError> {
    let text = read_file(&args.file)?;
    let (out, ok) = fleet_autoscaling::conformance::eval_text(&text, args.json)
        .map_err(|e| CliError(format!("{}: {e}", args.file.display())))?;
    print!("{out}");
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn now() -> Instant {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Instant::from_unix(
        i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        d.subsec_nanos(),
    )
}

fn json_response(status: u16, body: String) -> Response<std::io::Cursor<Vec<u8>>> {
    with_header(
        Response::from_string(body).with_status_code(status),
        "Content-Type",
        "application/json",
    )
}

fn error_body(message: &str) -> String {
    serde_json::json!({ "error": message }).to_string()
}

fn handle(handler: &WebhookHandler, args: &WebhookArgs, mut req: Request) {
    let line = format!("\"{} {}\"", req.method(), req.url());
    let path = req.url().split('?').next().unwrap_or_default().to_string();
    if path != args.path {
        eprintln!("{line} 404");
        let _ = req.respond(json_response(
            404,
            error_body(&format!(
                "not found: the webhook answers POST {}",
                args.path
            )),
        ));
        return;
    }
    if *req.method() != Method::Post {
        eprintln!("{line} 405");
        let resp = with_header(
            json_response(405, error_body("method not allowed: use POST")),
            "Allow",
            "POST",
        );
        let _ = req.respond(resp);
        return;
    }
    let limit = args.max_body_bytes;
    let too_large = || {
        json_response(
            413,
            error_body(&format!("request body is larger than {limit} bytes")),
        )
    };
    if req.body_length().is_some_and(|n| n as u64 > limit) {
        eprintln!("{line} 413");
        let _ = req.respond(too_large());
        return;
    }
    let mut body = Vec::new();
    if let Err(e) = req
        .as_reader()
        .take(limit.saturating_add(1))
        .read_to_end(&mut body)
    {
        eprintln!("{line} 400 ({e})");
        let _ = req.respond(json_response(
            400,
            error_body(&format!("cannot read the body: {e}")),
        ));
        return;
    }
    if body.len() as u64 > limit {
        eprintln!("{line} 413");
        let _ = req.respond(too_large());
        return;
    }
    match handler.handle(&body, now()) {
        Ok(review) => {
            let (fleet, status) = review
                .request
                .as_ref()
                .map(|r| (format!("{}/{}", r.namespace, r.name), r.status.clone()))
                .unwrap_or_default();
            let decision = review.response.as_ref().map_or_else(String::new, |r| {
                format!("replicas={} scale={} uid={}", r.replicas, r.scale, r.uid)
            });
            eprintln!(
                "{line} 200 fleet={fleet} replicas={} ready={} reserved={} allocated={} -> {decision}",
                status.replicas,
                status.ready_replicas,
                status.reserved_replicas,
                status.allocated_replicas
            );
            match serde_json::to_string(&review) {
                Ok(text) => {
                    let _ = req.respond(json_response(200, text));
                }
                Err(e) => {
                    let _ = req.respond(json_response(500, error_body(&e.to_string())));
                }
            }
        }
        Err(e) => {
            eprintln!("{line} {} {}", e.status, e.body);
            let _ = req.respond(json_response(e.status, e.body));
        }
    }
}

pub fn webhook(args: &WebhookArgs) -> Result<ExitCode, CliError> {
    let name = args.policy.display().to_string();
    let fas = fleet_autoscaling::load::load_fleet_autoscaler(&read_file(&args.policy)?)
        .map_err(|e| CliError(format!("{name}: {e}")))?;
    let handler = WebhookHandler::new(&fas).map_err(|errors| {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        CliError(format!(
            "{name}: invalid FleetAutoscaler: {}",
            list.join("; ")
        ))
    })?;
    if !args.path.starts_with('/') {
        return Err(CliError(format!(
            "--path must start with /, not {:?}",
            args.path
        )));
    }
    let (server, bound) = start(&args.addr, "the webhook")?;
    println!(
        "webhook autoscaler ({} policy from {name}) on http://{bound}{} (Ctrl-C to stop)",
        policy_type(&fas),
        args.path
    );
    for req in server.incoming_requests() {
        handle(&handler, args, req);
    }
    println!("stopped");
    Ok(ExitCode::SUCCESS)
}

fn policy_type(fas: &fleet_autoscaling::FleetAutoscaler) -> String {
    serde_json::to_value(&fas.spec.policy)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(String::from))
        .unwrap_or_else(|| "?".into())
}
