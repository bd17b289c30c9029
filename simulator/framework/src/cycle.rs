//! One pod's scheduling and binding cycle (kube-scheduler 1.33's `schedulingCycle`,
//! `schedulePod`, `findNodesThatFitPod`, `prioritizeNodes`, `selectHost` and `bindingCycle`).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Duration;

use serde_json::Value;

use super::{
    CycleResult, Framework, FrameworkPlugin, Impl, NodeEvaluation, NodePlugin, Outcome, Point,
    PreparedPod, Slot, StageStatus,
};
use crate::{NodeScore, SchedulerPanic, Status};

/// A framework status: a code and its reasons (a wasm plugin's status always has exactly one
/// reason, possibly empty, as the host builds it with `framework.NewStatus(code, reason)`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct St {
    code: i32,
    reasons: Vec<String>,
}

impl St {
    fn success() -> St {
        St {
            code: Status::SUCCESS,
            reasons: Vec::new(),
        }
    }

    fn new(code: i32, reason: impl Into<String>) -> St {
        St {
            code,
            reasons: vec![reason.into()],
        }
    }

    fn message(&self) -> String {
        self.reasons.join(", ")
    }

    fn is_success(&self) -> bool {
        self.code == Status::SUCCESS
    }

    fn is_skip(&self) -> bool {
        self.code == Status::SKIP
    }

    fn is_rejected(&self) -> bool {
        self.code == Status::UNSCHEDULABLE || self.code == Status::UNSCHEDULABLE_AND_UNRESOLVABLE
    }
}

impl From<Status> for St {
    fn from(s: Status) -> St {
        St {
            code: s.code,
            reasons: vec![s.reason],
        }
    }
}

impl From<intree_plugins::Status> for St {
    fn from(s: intree_plugins::Status) -> St {
        St {
            code: s.code.as_i32(),
            reasons: s.reasons,
        }
    }
}

fn panicked(e: SchedulerPanic) -> St {
    St::new(Status::ERROR, e.to_string())
}

/// Go's `%v` of a `[]string`: `[a b]`.
fn go_list(names: &[String]) -> String {
    format!("[{}]", names.join(" "))
}

/// Go's `time.Duration.String()` for whole milliseconds.
pub(crate) fn go_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 {
        return "0s".into();
    }
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let (h, m, s, frac) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if h > 0 || m > 0 {
        out.push_str(&format!("{m}m"));
    }
    out.push_str(&s.to_string());
    if frac > 0 {
        let f = format!("{frac:03}");
        out.push('.');
        out.push_str(f.trim_end_matches('0'));
    }
    out.push('s');
    out
}

/// kube-scheduler's `FitError.Error()`.
fn fit_error(
    num_all: usize,
    pre_filter_msg: Option<&str>,
    explicit: &[(String, St)],
    absent: &St,
    post_filter_msg: &str,
) -> String {
    let mut msg = format!("0/{num_all} nodes are available:");
    match pre_filter_msg {
        Some(m) if !m.is_empty() => msg.push_str(&format!(" {m}.")),
        _ => {
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for (_, st) in explicit {
                for r in &st.reasons {
                    *counts.entry(r).or_default() += 1;
                }
            }
            if explicit.len() < num_all {
                for r in &absent.reasons {
                    *counts.entry(r).or_default() += num_all - explicit.len();
                }
            }
            let mut items: Vec<String> = counts.iter().map(|(r, n)| format!("{n} {r}")).collect();
            items.sort();
            if !items.is_empty() {
                msg.push_str(&format!(" {}.", items.join(", ")));
            }
        }
    }
    if !post_filter_msg.is_empty() {
        msg.push_str(&format!(" {post_filter_msg}."));
    }
    msg
}

/// Why a cycle stopped before binding.
enum Stop {
    /// Unschedulable with this message (the pod's condition message).
    Unschedulable(String),
    /// Error with this message.
    Error(String),
}

/// `numFeasibleNodesToFind`.
fn num_feasible_nodes_to_find(percentage: i64, num_all: usize) -> usize {
    const MIN_FEASIBLE_NODES_TO_FIND: i64 = 100;
    const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND: i64 = 5;
    let n = i64::try_from(num_all).unwrap_or(i64::MAX);
    if n < MIN_FEASIBLE_NODES_TO_FIND {
        return num_all;
    }
    let mut pct = percentage;
    if pct == 0 {
        pct = (50 - n / 125).max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND);
    }
    let found = n.saturating_mul(pct) / 100;
    usize::try_from(found.max(MIN_FEASIBLE_NODES_TO_FIND)).unwrap_or(num_all)
}

impl Framework {
    fn slots(&self, point: Point) -> Vec<Slot> {
        self.points.get(&point).cloned().unwrap_or_default()
    }

    /// Runs `pod`'s scheduling cycle and, when a node is chosen, its binding cycle. A bound pod
    /// counts on its node for the following cycles.
    pub fn schedule(&mut self, pod: &PreparedPod) -> CycleResult {
        let mut r = CycleResult {
            pod: pod.key.clone(),
            outcome: Outcome::Error,
            node: None,
            reason: String::new(),
            nodes: Vec::new(),
            stages: Vec::new(),
            nominated_node: None,
            feasible_nodes: 0,
            logs: Vec::new(),
        };
        let stop = match self.scheduling_cycle(pod, &mut r) {
            Ok(node) => self.binding_cycle(pod, &node, &mut r).map(|()| node),
            Err(stop) => Err(stop),
        };
        match stop {
            Ok(node) => {
                self.bind_to(pod, &node);
                r.outcome = Outcome::Scheduled;
                r.reason = format!("Successfully assigned {} to {node}", pod.key);
                r.node = Some(node);
            }
            Err(Stop::Unschedulable(m)) => {
                r.outcome = Outcome::Unschedulable;
                r.reason = m;
            }
            Err(Stop::Error(m)) => {
                r.outcome = Outcome::Error;
                r.reason = m;
            }
        }
        for w in &self.wasm {
            r.logs.extend(
                w.plugin
                    .take_logs()
                    .into_iter()
                    .map(|l| (w.name.clone(), l)),
            );
        }
        r
    }

    /// Runs only `pod`'s scheduling cycle up to host selection (PreFilter, Filter, PostFilter,
    /// PreScore, Score, NormalizeScore), binds nothing and leaves the cluster as it was: the same
    /// call can be repeated, e.g. to time one cycle. A chosen node is reported as `Scheduled`
    /// with the reason `would be assigned to <node>`.
    pub fn evaluate(&mut self, pod: &PreparedPod) -> CycleResult {
        let start = self.next_start_node_index;
        let mut r = CycleResult {
            pod: pod.key.clone(),
            outcome: Outcome::Error,
            node: None,
            reason: String::new(),
            nodes: Vec::new(),
            stages: Vec::new(),
            nominated_node: None,
            feasible_nodes: 0,
            logs: Vec::new(),
        };
        match self.scheduling_cycle(pod, &mut r) {
            Ok(node) => {
                r.outcome = Outcome::Scheduled;
                r.reason = format!("would be assigned to {node}");
                r.node = Some(node);
            }
            Err(Stop::Unschedulable(m)) => {
                r.outcome = Outcome::Unschedulable;
                r.reason = m;
            }
            Err(Stop::Error(m)) => r.reason = m,
        }
        self.next_start_node_index = start;
        for w in &self.wasm {
            r.logs.extend(
                w.plugin
                    .take_logs()
                    .into_iter()
                    .map(|l| (w.name.clone(), l)),
            );
        }
        r
    }

    fn stage(r: &mut CycleResult, point: Point, plugin: &str, st: &St) {
        r.stages.push(StageStatus {
            point,
            plugin: plugin.to_string(),
            code: st.code,
            reason: st.message(),
            node_names: None,
            unreserve: false,
        });
    }

    /// PreFilter to host selection: the chosen node.
    fn scheduling_cycle(&mut self, pod: &PreparedPod, r: &mut CycleResult) -> Result<String, Stop> {
        let num_all = self.nodes.len();

        // PreEnqueue: SchedulingGates.
        if self
            .plugins_at(Point::PreEnqueue)
            .contains(&FrameworkPlugin::SchedulingGates.name())
            && pod
                .json
                .pointer("/spec/schedulingGates")
                .and_then(Value::as_array)
                .is_some_and(|g| !g.is_empty())
        {
            return Err(Stop::Unschedulable(
                "Scheduling is blocked due to non-empty scheduling gates".into(),
            ));
        }

        // PreFilter.
        let mut skip_filter: HashSet<String> = HashSet::new();
        let mut merged: Option<BTreeSet<String>> = None;
        let mut plugins_with_nodes: Vec<String> = Vec::new();
        let mut pre_filter_reject: Option<St> = None;
        for slot in self.slots(Point::PreFilter) {
            let (st, names) = match slot.imp {
                Impl::InTree(p) => {
                    let res = self.in_tree.pre_filter(p, &pod.info);
                    (St::from(res.status), res.node_names)
                }
                Impl::Wasm(i) => match self.wasm[i].plugin.pre_filter(&pod.object) {
                    Ok((st, names)) => (St::from(st), names.map(|n| n.into_iter().collect())),
                    Err(e) => (panicked(e), None),
                },
                Impl::Framework(_) => (St::success(), None),
            };
            r.stages.push(StageStatus {
                point: Point::PreFilter,
                plugin: slot.name.clone(),
                code: st.code,
                reason: st.message(),
                node_names: names.as_ref().map(|n| n.iter().cloned().collect()),
                unreserve: false,
            });
            if st.is_skip() {
                skip_filter.insert(slot.name.clone());
                continue;
            }
            if !st.is_success() {
                if st.code == Status::UNSCHEDULABLE_AND_UNRESOLVABLE {
                    pre_filter_reject = Some(st);
                    break;
                }
                if st.code == Status::UNSCHEDULABLE {
                    pre_filter_reject = Some(st);
                    continue;
                }
                return Err(Stop::Error(format!(
                    "running PreFilter plugin {:?}: {}",
                    slot.name,
                    st.message()
                )));
            }
            if let Some(names) = names {
                plugins_with_nodes.push(slot.name.clone());
                merged = Some(match merged {
                    None => names,
                    Some(m) => m.intersection(&names).cloned().collect(),
                });
                if merged.as_ref().is_some_and(BTreeSet::is_empty) {
                    let msg = if plugins_with_nodes.len() == 1 {
                        format!("node(s) didn't satisfy plugin {}", plugins_with_nodes[0])
                    } else {
                        format!(
                            "node(s) didn't satisfy plugin(s) {} simultaneously",
                            go_list(&plugins_with_nodes)
                        )
                    };
                    pre_filter_reject = Some(St::new(Status::UNSCHEDULABLE_AND_UNRESOLVABLE, msg));
                    break;
                }
            }
        }
        if let Some(st) = pre_filter_reject {
            let msg = st.message();
            let post = self.post_filter(pod, &BTreeMap::new(), r);
            return Err(Stop::Unschedulable(fit_error(
                num_all,
                Some(&msg),
                &[],
                &st,
                &post,
            )));
        }

        // Filter.
        let candidates: Vec<usize> = match &merged {
            None => self.tree_order.clone(),
            Some(set) => self
                .tree_order
                .iter()
                .copied()
                .filter(|&i| set.contains(self.node_infos[i].name()))
                .collect(),
        };
        let absent = match &merged {
            None => St {
                code: Status::UNSCHEDULABLE_AND_UNRESOLVABLE,
                reasons: Vec::new(),
            },
            Some(_) => {
                let mut names = plugins_with_nodes.clone();
                names.sort();
                St::new(
                    Status::UNSCHEDULABLE_AND_UNRESOLVABLE,
                    format!("node(s) didn't satisfy plugin(s) {}", go_list(&names)),
                )
            }
        };
        let to_find =
            num_feasible_nodes_to_find(self.profile.percentage_of_nodes_to_score, candidates.len());
        let filters: Vec<Slot> = self
            .slots(Point::Filter)
            .into_iter()
            .filter(|s| !skip_filter.contains(&s.name))
            .collect();
        let mut feasible: Vec<usize> = Vec::new();
        let mut explicit: Vec<(String, St)> = Vec::new();
        let mut evaluations: HashMap<usize, NodeEvaluation> = HashMap::new();
        let mut processed = 0;
        let n = candidates.len();
        for k in 0..n {
            if feasible.len() >= to_find {
                break;
            }
            let idx = candidates[(self.next_start_node_index + k) % n];
            processed += 1;
            let node_name = self.node_infos[idx].name().to_string();
            let mut eval = NodeEvaluation {
                node: node_name.clone(),
                plugins: Vec::new(),
                feasible: true,
                total: None,
            };
            for slot in &filters {
                let st = match slot.imp {
                    Impl::InTree(p) => {
                        St::from(self.in_tree.filter(p, &pod.info, &self.node_infos[idx]))
                    }
                    Impl::Wasm(i) => match self.wasm[i].plugin.filter(&pod.object, &node_name) {
                        Ok(s) => St::from(s),
                        Err(e) => panicked(e),
                    },
                    Impl::Framework(_) => St::success(),
                };
                eval.plugins.push(NodePlugin {
                    plugin: slot.name.clone(),
                    code: Some(st.code),
                    reason: st.message(),
                    score: None,
                    normalized: None,
                    weight: None,
                });
                if !st.is_success() {
                    if !st.is_rejected() {
                        evaluations.insert(idx, eval);
                        r.nodes = sorted_evaluations(evaluations);
                        return Err(Stop::Error(format!(
                            "running {:?} filter plugin: {}",
                            slot.name,
                            st.message()
                        )));
                    }
                    eval.feasible = false;
                    explicit.push((node_name.clone(), st));
                    break;
                }
            }
            if eval.feasible {
                feasible.push(idx);
            }
            evaluations.insert(idx, eval);
        }
        if n > 0 {
            self.next_start_node_index = (self.next_start_node_index + processed) % num_all.max(1);
        }
        r.feasible_nodes = feasible.len();

        if feasible.is_empty() {
            r.nodes = sorted_evaluations(evaluations);
            let map: BTreeMap<String, i32> = explicit
                .iter()
                .map(|(n, st)| (n.clone(), st.code))
                .collect();
            let post = self.post_filter(pod, &map, r);
            return Err(Stop::Unschedulable(fit_error(
                num_all, None, &explicit, &absent, &post,
            )));
        }
        if feasible.len() == 1 {
            r.nodes = sorted_evaluations(evaluations);
            return Ok(self.node_infos[feasible[0]].name().to_string());
        }

        // Scoring.
        let result = self.prioritize(pod, &feasible, &mut evaluations, r);
        r.nodes = sorted_evaluations(evaluations);
        result
    }

    /// PostFilter: returns the message kube-scheduler adds to the FitError.
    fn post_filter(
        &mut self,
        pod: &PreparedPod,
        node_to_status: &BTreeMap<String, i32>,
        r: &mut CycleResult,
    ) -> String {
        let slots = self.slots(Point::PostFilter);
        let mut reasons: Vec<String> = Vec::new();
        for slot in slots {
            let Impl::Wasm(i) = slot.imp else {
                continue;
            };
            let (result, st) = match self.wasm[i].plugin.post_filter(&pod.object, node_to_status) {
                Ok((res, st)) => (res, St::from(st)),
                Err(e) => (None, panicked(e)),
            };
            Self::stage(r, Point::PostFilter, &slot.name, &st);
            if let Some(res) = &result
                && res.nominating_mode == 1
                && !res.nominated_node_name.is_empty()
            {
                r.nominated_node = Some(res.nominated_node_name.clone());
            }
            if st.is_success() || st.code == Status::UNSCHEDULABLE_AND_UNRESOLVABLE {
                return st.message();
            }
            if !st.is_rejected() {
                return st.message();
            }
            reasons.extend(st.reasons);
        }
        reasons.join(", ")
    }

    /// PreScore, Score, NormalizeScore, weights, host selection.
    fn prioritize(
        &mut self,
        pod: &PreparedPod,
        feasible: &[usize],
        evaluations: &mut HashMap<usize, NodeEvaluation>,
        r: &mut CycleResult,
    ) -> Result<String, Stop> {
        let scorers = self.slots(Point::Score);
        if scorers.is_empty() {
            // Every node scores 1: the first feasible node in scenario order.
            let best = feasible.iter().copied().min().unwrap_or(0);
            for &i in feasible {
                if let Some(e) = evaluations.get_mut(&i) {
                    e.total = Some(1);
                }
            }
            return Ok(self.node_infos[best].name().to_string());
        }
        let names: Vec<String> = feasible
            .iter()
            .map(|&i| self.node_infos[i].name().to_string())
            .collect();
        let mut skip_score: HashSet<String> = HashSet::new();
        for slot in self.slots(Point::PreScore) {
            let st = match slot.imp {
                Impl::InTree(p) => St::from(self.in_tree.pre_score(p, &pod.info)),
                Impl::Wasm(i) => match self.wasm[i].plugin.pre_score(&pod.object, &names) {
                    Ok(s) => St::from(s),
                    Err(e) => panicked(e),
                },
                Impl::Framework(_) => St::success(),
            };
            Self::stage(r, Point::PreScore, &slot.name, &st);
            if st.is_skip() {
                skip_score.insert(slot.name.clone());
                continue;
            }
            if !st.is_success() {
                return Err(Stop::Error(format!(
                    "running PreScore plugin {:?}: {}",
                    slot.name,
                    st.message()
                )));
            }
        }
        let scorers: Vec<Slot> = scorers
            .into_iter()
            .filter(|s| !skip_score.contains(&s.name))
            .collect();
        let mut table: Vec<Vec<i64>> = Vec::with_capacity(scorers.len());
        for slot in &scorers {
            let mut scores = Vec::with_capacity(feasible.len());
            for (k, &idx) in feasible.iter().enumerate() {
                let res: Result<i64, St> = match slot.imp {
                    Impl::InTree(p) => self
                        .in_tree
                        .score(p, &pod.info, &self.node_infos[idx])
                        .map_err(St::from),
                    Impl::Wasm(i) => match self.wasm[i].plugin.score(&pod.object, &names[k]) {
                        Ok((s, st)) if st.is_success() => Ok(s),
                        Ok((_, st)) => Err(St::from(st)),
                        Err(e) => Err(panicked(e)),
                    },
                    Impl::Framework(_) => Ok(0),
                };
                match res {
                    Ok(s) => scores.push(s),
                    Err(st) => {
                        return Err(Stop::Error(format!(
                            "running Score plugins: plugin {:?} failed with: {}",
                            slot.name,
                            st.message()
                        )));
                    }
                }
            }
            table.push(scores);
        }
        let raw = table.clone();
        for (slot, scores) in scorers.iter().zip(table.iter_mut()) {
            match slot.imp {
                Impl::InTree(p) => {
                    if p.extension_points().normalize_score {
                        self.in_tree.normalize_score(p, scores);
                    }
                }
                Impl::Wasm(i) => {
                    if !self.wasm[i]
                        .plugin
                        .exports()
                        .exposes(crate::ExtensionPoint::NormalizeScore)
                    {
                        continue;
                    }
                    let mut list: Vec<NodeScore> = names
                        .iter()
                        .zip(scores.iter())
                        .map(|(n, s)| NodeScore::new(n.clone(), *s))
                        .collect();
                    let st = match self.wasm[i].plugin.normalize_score(&pod.object, &mut list) {
                        Ok(s) => St::from(s),
                        Err(e) => panicked(e),
                    };
                    if !st.is_success() {
                        return Err(Stop::Error(format!(
                            "running Normalize on Score plugins: plugin {:?} failed with: {}",
                            slot.name,
                            st.message()
                        )));
                    }
                    for (s, l) in scores.iter_mut().zip(list) {
                        *s = l.score;
                    }
                }
                Impl::Framework(_) => {}
            }
        }
        let mut totals = vec![0i64; feasible.len()];
        for (p, slot) in scorers.iter().enumerate() {
            let weight = self.weight(&slot.name);
            for (k, &idx) in feasible.iter().enumerate() {
                let s = table[p][k];
                if let Some(e) = evaluations.get_mut(&idx) {
                    e.plugins.push(crate::framework::NodePlugin {
                        plugin: slot.name.clone(),
                        code: None,
                        reason: String::new(),
                        score: Some(raw[p][k]),
                        normalized: Some(s),
                        weight: Some(weight),
                    });
                }
                if !(0..=100).contains(&s) {
                    return Err(Stop::Error(format!(
                        "applying score defaultWeights on Score plugins: plugin {:?} returns an invalid score {s}, it should in the range of [0, 100] after normalizing",
                        slot.name
                    )));
                }
                totals[k] = totals[k].saturating_add(s.saturating_mul(weight));
            }
        }
        // Merge score rows into the Filter rows of the same plugin.
        for &idx in feasible {
            if let Some(e) = evaluations.get_mut(&idx) {
                merge_rows(&mut e.plugins);
            }
        }
        let mut best: Option<(usize, i64)> = None;
        for (k, &idx) in feasible.iter().enumerate() {
            if let Some(e) = evaluations.get_mut(&idx) {
                e.total = Some(totals[k]);
            }
            let better = match best {
                None => true,
                Some((bi, bt)) => totals[k] > bt || (totals[k] == bt && idx < bi),
            };
            if better {
                best = Some((idx, totals[k]));
            }
        }
        let (idx, _) = best.ok_or_else(|| Stop::Error("empty priorityList".into()))?;
        Ok(self.node_infos[idx].name().to_string())
    }

    fn unreserve(&mut self, pod: &PreparedPod, node: &str, r: &mut CycleResult) {
        for slot in self.slots(Point::Reserve).into_iter().rev() {
            if let Impl::Wasm(i) = slot.imp {
                let st = match self.wasm[i].plugin.unreserve(&pod.object, node) {
                    Ok(()) => St::success(),
                    Err(e) => panicked(e),
                };
                r.stages.push(StageStatus {
                    point: Point::Reserve,
                    plugin: slot.name.clone(),
                    code: st.code,
                    reason: st.message(),
                    node_names: None,
                    unreserve: true,
                });
            }
        }
    }

    /// Reserve, Permit, PreBind, Bind, PostBind.
    fn binding_cycle(
        &mut self,
        pod: &PreparedPod,
        node: &str,
        r: &mut CycleResult,
    ) -> Result<(), Stop> {
        let one_node = |st: &St| {
            fit_error(
                1,
                None,
                &[(node.to_string(), st.clone())],
                &St::success(),
                "",
            )
        };

        // Reserve.
        for slot in self.slots(Point::Reserve) {
            let Impl::Wasm(i) = slot.imp else { continue };
            let st = match self.wasm[i].plugin.reserve(&pod.object, node) {
                Ok(s) => St::from(s),
                Err(e) => panicked(e),
            };
            Self::stage(r, Point::Reserve, &slot.name, &st);
            if !st.is_success() {
                self.unreserve(pod, node, r);
                return Err(if st.is_rejected() {
                    Stop::Unschedulable(one_node(&st))
                } else {
                    Stop::Error(format!(
                        "running Reserve plugin {:?}: {}",
                        slot.name,
                        st.message()
                    ))
                });
            }
        }

        // Permit.
        let mut waits: Vec<(String, Duration)> = Vec::new();
        for slot in self.slots(Point::Permit) {
            let Impl::Wasm(i) = slot.imp else { continue };
            let (st, timeout) = match self.wasm[i].plugin.permit(&pod.object, node) {
                Ok((s, t)) => (St::from(s), t),
                Err(e) => (panicked(e), Duration::ZERO),
            };
            Self::stage(r, Point::Permit, &slot.name, &st);
            if st.is_success() {
                continue;
            }
            if st.is_rejected() {
                self.unreserve(pod, node, r);
                return Err(Stop::Unschedulable(one_node(&st)));
            }
            if st.code == Status::WAIT {
                waits.push((slot.name.clone(), timeout.min(Duration::from_secs(15 * 60))));
                continue;
            }
            self.unreserve(pod, node, r);
            return Err(Stop::Error(format!(
                "running Permit plugin {:?}: {}",
                slot.name,
                st.message()
            )));
        }
        if let Some((plugin, timeout)) = waits.iter().min_by_key(|(_, t)| *t).cloned() {
            // Nothing allows a waiting pod in the simulator: it is rejected at its timeout.
            self.unreserve(pod, node, r);
            return Err(Stop::Unschedulable(format!(
                "rejected due to timeout after waiting {} at plugin {plugin}",
                go_duration(timeout)
            )));
        }

        // PreBind.
        for slot in self.slots(Point::PreBind) {
            let Impl::Wasm(i) = slot.imp else { continue };
            let st = match self.wasm[i].plugin.pre_bind(&pod.object, node) {
                Ok(s) => St::from(s),
                Err(e) => panicked(e),
            };
            Self::stage(r, Point::PreBind, &slot.name, &st);
            if !st.is_success() {
                self.unreserve(pod, node, r);
                return Err(if st.is_rejected() {
                    Stop::Unschedulable(st.message())
                } else {
                    Stop::Error(format!(
                        "running PreBind plugin {:?}: {}",
                        slot.name,
                        st.message()
                    ))
                });
            }
        }

        // Bind: the first binder that does not Skip.
        let mut bound = false;
        for slot in self.slots(Point::Bind) {
            let st = match slot.imp {
                Impl::Framework(FrameworkPlugin::DefaultBinder) => St::success(),
                Impl::Wasm(i) => match self.wasm[i].plugin.bind(&pod.object, node) {
                    Ok(s) => St::from(s),
                    Err(e) => panicked(e),
                },
                _ => continue,
            };
            Self::stage(r, Point::Bind, &slot.name, &st);
            if st.is_skip() {
                continue;
            }
            if !st.is_success() {
                self.unreserve(pod, node, r);
                return Err(if st.is_rejected() {
                    Stop::Unschedulable(st.message())
                } else {
                    Stop::Error(format!(
                        "running Bind plugin {:?}: {}",
                        slot.name,
                        st.message()
                    ))
                });
            }
            bound = true;
            break;
        }
        if !bound {
            self.unreserve(pod, node, r);
            return Err(Stop::Error(
                "no bind plugin bound the pod: every bind plugin returned Skip (or none is enabled)"
                    .into(),
            ));
        }

        // PostBind.
        for slot in self.slots(Point::PostBind) {
            let Impl::Wasm(i) = slot.imp else { continue };
            let st = match self.wasm[i].plugin.post_bind(&pod.object, node) {
                Ok(()) => St::success(),
                Err(e) => panicked(e),
            };
            Self::stage(r, Point::PostBind, &slot.name, &st);
        }
        Ok(())
    }
}

/// Puts each plugin's score on its Filter row when it has one (Filter rows keep their order;
/// score-only plugins follow).
fn merge_rows(rows: &mut Vec<NodePlugin>) {
    let mut out: Vec<NodePlugin> = Vec::with_capacity(rows.len());
    for row in rows.drain(..) {
        match out
            .iter_mut()
            .find(|o| o.plugin == row.plugin && o.score.is_none() && row.code.is_none())
        {
            Some(o) => {
                o.score = row.score;
                o.normalized = row.normalized;
                o.weight = row.weight;
            }
            None => out.push(row),
        }
    }
    *rows = out;
}

fn sorted_evaluations(map: HashMap<usize, NodeEvaluation>) -> Vec<NodeEvaluation> {
    let mut v: Vec<(usize, NodeEvaluation)> = map.into_iter().collect();
    v.sort_by_key(|(i, _)| *i);
    v.into_iter().map(|(_, e)| e).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_as_go_prints_them() {
        let d = |ms| go_duration(Duration::from_millis(ms));
        assert_eq!(d(0), "0s");
        assert_eq!(d(500), "500ms");
        assert_eq!(d(10_000), "10s");
        assert_eq!(d(1_500), "1.5s");
        assert_eq!(d(60_000), "1m0s");
        assert_eq!(d(3_600_000), "1h0m0s");
        assert_eq!(d(900_000), "15m0s");
    }

    #[test]
    fn fit_error_histogram() {
        let explicit = vec![
            ("a".to_string(), St::new(2, "x")),
            ("b".to_string(), St::new(2, "x")),
            ("c".to_string(), St::new(2, "w")),
        ];
        let absent = St::new(3, "node(s) didn't satisfy plugin(s) [P]");
        assert_eq!(
            fit_error(4, None, &explicit, &absent, ""),
            "0/4 nodes are available: 1 node(s) didn't satisfy plugin(s) [P], 1 w, 2 x."
        );
        assert_eq!(
            fit_error(3, Some("no"), &[], &absent, "post"),
            "0/3 nodes are available: no. post."
        );
    }

    #[test]
    fn feasible_nodes_to_find() {
        assert_eq!(num_feasible_nodes_to_find(0, 99), 99);
        assert_eq!(num_feasible_nodes_to_find(0, 1000), 420);
        assert_eq!(num_feasible_nodes_to_find(0, 200), 100);
        assert_eq!(num_feasible_nodes_to_find(10, 5000), 500);
        assert_eq!(num_feasible_nodes_to_find(0, 10_000), 500);
    }
}
