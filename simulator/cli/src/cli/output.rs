//! `simulator run`'s output: a table per pod, or JSON lines (schema in simulator/README.md).

use std::fmt;
use std::io::{self, Write};

use http_server::escape_controls as esc;
use serde_json::{Map, Value, json};
use simulator_framework::{
    CycleResult, Framework, NodePlugin, Outcome, PluginKind, Point, Profile,
};
use simulator_host::code_name;

/// Pods per outcome.
#[derive(Debug, Default)]
pub struct Counts {
    pub scheduled: usize,
    pub unschedulable: usize,
    pub errors: usize,
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} scheduled, {} unschedulable, {} errors",
            self.scheduled, self.unschedulable, self.errors
        )
    }
}

/// What the run header describes.
pub struct Header<'a> {
    pub framework: &'a Framework,
    pub nodes: usize,
    pub pods: usize,
}

/// The profile and its plugins, before the first pod.
pub fn print_header(w: &mut dyn Write, h: &Header<'_>) -> io::Result<()> {
    let fw = h.framework;
    let p = fw.profile();
    writeln!(
        w,
        "Profile {:?}: {} node{}, {} pod{} to schedule",
        p.scheduler_name,
        h.nodes,
        plural(h.nodes),
        h.pods,
        plural(h.pods)
    )?;
    let scorers = fw.plugins_at(Point::Score);
    for wp in fw.wasm_plugins() {
        let exports = wp.plugin.exports();
        let hooks: Vec<String> = exports.hooks().iter().map(ToString::to_string).collect();
        let weight = if scorers.contains(&wp.name.as_str()) {
            format!(", score weight {}", fw.weight(&wp.name))
        } else {
            String::new()
        };
        writeln!(
            w,
            "  wasm plugin   {}  {}  (exports {}; groups {}{weight})",
            esc(&wp.name),
            esc(&wp.guest_url),
            hooks.join(" "),
            exports.groups()
        )?;
    }
    let mut emulated = Vec::new();
    let mut framework = Vec::new();
    for (name, kind) in &p.kinds {
        match kind {
            PluginKind::InTree(_) => emulated.push(name.clone()),
            PluginKind::Framework(_) => framework.push(name.clone()),
            _ => {}
        }
    }
    sort_by_default_order(&mut emulated);
    sort_by_default_order(&mut framework);
    if !emulated.is_empty() {
        let list: Vec<String> = emulated
            .iter()
            .map(|n| {
                if scorers.contains(&n.as_str()) {
                    format!("{n} (weight {})", fw.weight(n))
                } else {
                    n.clone()
                }
            })
            .collect();
        writeln!(w, "  emulated      {}", list.join(", "))?;
    }
    if !framework.is_empty() {
        writeln!(w, "  framework     {}", framework.join(", "))?;
    }
    if !p.not_emulated.is_empty() {
        writeln!(
            w,
            "  not emulated  {} (left out of every cycle)",
            p.not_emulated.join(", ")
        )?;
    }
    Ok(())
}

/// `text` with control characters escaped line by line, the lines after the first indented by
/// `indent`: multi-line reasons (a trap's stack) stay readable, and no line of them can start at
/// column 0 or drive the terminal.
fn esc_lines(text: &str, indent: &str) -> String {
    text.split('\n')
        .map(|l| esc(l).into_owned())
        .collect::<Vec<_>>()
        .join(&format!("\n{indent}"))
}

fn sort_by_default_order(names: &mut [String]) {
    names.sort_by_key(|n| {
        simulator_framework::KNOWN_IN_TREE
            .iter()
            .position(|k| k == n)
            .unwrap_or(usize::MAX)
    });
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn opt(v: Option<i64>) -> String {
    v.map_or(String::new(), |s| s.to_string())
}

fn weighted(p: &NodePlugin) -> String {
    match (p.normalized, p.weight) {
        (Some(n), Some(w)) => format!("{} (×{w})", n.saturating_mul(w)),
        _ => String::new(),
    }
}

/// A pod's table.
pub fn print_table(w: &mut dyn Write, r: &CycleResult, logs: bool) -> io::Result<()> {
    writeln!(w)?;
    let verdict = match (r.outcome, &r.node) {
        (Outcome::Scheduled, Some(n)) => format!("scheduled on {}", esc(n)),
        (o, _) => o.as_str().to_string(),
    };
    writeln!(w, "Pod {}: {verdict}", esc(&r.pod))?;

    // Pod-level statuses worth showing: every wasm plugin's, and any other that is not plain
    // Success/Skip or that limited the nodes.
    for s in &r.stages {
        let wasm = s.wasm;
        let plain = s.code == 0 || s.code == 5;
        if !(wasm || !plain || s.node_names.is_some()) {
            continue;
        }
        let point = if s.unreserve {
            "Unreserve".to_string()
        } else {
            s.point.to_string()
        };
        let mut line = format!("  {point:<10} {:<24} {}", esc(&s.plugin), code_name(s.code));
        if wasm && !s.exported {
            line.push_str(" (not exported: the host's default)");
        }
        if let Some(n) = &s.node_names {
            let names: Vec<_> = n.iter().map(|n| esc(n)).collect();
            line.push_str(&format!("  nodes [{}]", names.join(" ")));
        }
        if !s.reason.is_empty() {
            line.push_str(&format!("  {}", esc_lines(&s.reason, "  ")));
        }
        writeln!(w, "{}", line.trim_end())?;
    }

    if !r.nodes.is_empty() {
        let mut rows: Vec<[String; 7]> = vec![[
            "NODE".into(),
            "PLUGIN".into(),
            "FILTER".into(),
            "SCORE".into(),
            "NORMALIZED".into(),
            "WEIGHTED".into(),
            "REASON".into(),
        ]];
        for n in &r.nodes {
            for (i, p) in n.plugins.iter().enumerate() {
                rows.push([
                    if i == 0 {
                        esc(&n.node).into_owned()
                    } else {
                        String::new()
                    },
                    esc(&p.plugin).into_owned(),
                    p.code.map_or("-".into(), code_name),
                    opt(p.score),
                    opt(p.normalized),
                    weighted(p),
                    esc(&p.reason).into_owned(),
                ]);
            }
            if n.plugins.is_empty() {
                rows.push([
                    esc(&n.node).into_owned(),
                    "(no filter plugin)".into(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                ]);
            }
            if let Some(t) = n.total {
                rows.push([
                    String::new(),
                    "total".into(),
                    String::new(),
                    String::new(),
                    String::new(),
                    t.to_string(),
                    String::new(),
                ]);
            }
        }
        let mut width = [0usize; 7];
        for row in &rows {
            for (w, c) in width.iter_mut().zip(row.iter()) {
                *w = (*w).max(c.chars().count());
            }
        }
        for row in &rows {
            let mut line = String::new();
            for (c, (cell, w)) in row.iter().zip(width.iter()).enumerate() {
                let pad = w.saturating_sub(cell.chars().count());
                line.push_str("  ");
                // Score columns are right-aligned.
                if (3..=5).contains(&c) {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(cell);
                } else {
                    line.push_str(cell);
                    if c < 6 {
                        line.push_str(&" ".repeat(pad));
                    }
                }
            }
            writeln!(w, "{}", line.trim_end())?;
        }
    }
    if r.outcome == Outcome::Scheduled {
        let best = r.nodes.iter().filter_map(|n| n.total).max();
        let ties: Vec<String> = r
            .nodes
            .iter()
            .filter(|n| n.total.is_some() && n.total == best && Some(&n.node) != r.node.as_ref())
            .map(|n| esc(&n.node).into_owned())
            .collect();
        if r.feasible_nodes == 1 {
            writeln!(w, "  only one node passed Filter: chosen without scoring")?;
        } else if !ties.is_empty() {
            writeln!(
                w,
                "  tie with {} (total {}): ties go to the node listed first in the scenario",
                ties.join(", "),
                best.unwrap_or_default()
            )?;
        }
    }
    if let Some(n) = &r.nominated_node {
        writeln!(w, "  nominated node: {}", esc(n))?;
    }
    writeln!(w, "  {}", esc_lines(&r.reason, "  "))?;
    if logs {
        for (plugin, line) in &r.logs {
            writeln!(
                w,
                "  log {}: {}",
                esc(plugin),
                esc_lines(&line.to_string(), "    ")
            )?;
        }
    }
    Ok(())
}

fn code_json(code: Option<i32>) -> Value {
    code.map_or(Value::Null, |c| Value::from(code_name(c)))
}

/// A pod's JSON line.
pub fn print_json(w: &mut dyn Write, r: &CycleResult) -> io::Result<()> {
    let mut nodes = Map::new();
    let mut totals = Map::new();
    for n in &r.nodes {
        let mut plugins = Map::new();
        for p in &n.plugins {
            plugins.insert(
                p.plugin.clone(),
                json!({
                    "code": code_json(p.code),
                    "reason": p.reason,
                    "score": p.score,
                    "normalized": p.normalized,
                    "weight": p.weight,
                }),
            );
        }
        nodes.insert(n.node.clone(), Value::Object(plugins));
        if let Some(t) = n.total {
            totals.insert(n.node.clone(), Value::from(t));
        }
    }
    let stages: Vec<Value> = r
        .stages
        .iter()
        .map(|s| {
            let mut v = json!({
                "point": if s.unreserve { "Unreserve".to_string() } else { s.point.to_string() },
                "plugin": s.plugin,
                "code": code_name(s.code),
                "reason": s.reason,
            });
            if let (Some(names), Some(obj)) = (&s.node_names, v.as_object_mut()) {
                obj.insert("nodeNames".into(), json!(names));
            }
            v
        })
        .collect();
    let logs: Vec<Value> = r
        .logs
        .iter()
        .map(|(p, l)| json!({"plugin": p, "line": l.to_string()}))
        .collect();
    let line = json!({
        "pod": r.pod,
        "result": r.outcome.as_str(),
        "node": r.node,
        "reason": r.reason,
        "nodes": nodes,
        "totals": totals,
        "feasibleNodes": r.feasible_nodes,
        "nominatedNode": r.nominated_node,
        "stages": stages,
        "logs": logs,
    });
    writeln!(w, "{line}")
}

/// The final JSON line.
pub fn print_json_summary(w: &mut dyn Write, c: &Counts, p: &Profile) -> io::Result<()> {
    let line = json!({"summary": {
        "scheduled": c.scheduled,
        "unschedulable": c.unschedulable,
        "errors": c.errors,
        "profile": p.scheduler_name,
        "notEmulated": p.not_emulated,
        "warnings": p.warnings,
    }});
    writeln!(w, "{line}")
}
