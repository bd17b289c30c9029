//! One pod's scheduling and binding cycle (kube-scheduler 1.33's `schedulingCycle`,
//! `schedulePod`, `findNodesThatFitPod`, `prioritizeNodes`, `selectHost` and `bindingCycle`).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Duration;

use serde_json::Value;

use super::hooks::St;
use super::{
    CycleResult, Framework, FrameworkPlugin, NodeEvaluation, NodePlugin, Outcome, Point,
    PreparedPod, Slot, StageStatus,
};
use simulator_host::{Hook, Status, WasmPlugin};

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

/// What PreFilter decided.
enum PreFilterOutcome {
    /// Go on to Filter.
    Continue(PreFilterState),
    /// The pod is unschedulable with this status (PostFilter still runs).
    Rejected(St),
}

/// What PreFilter leaves for Filter.
struct PreFilterState {
    /// Plugins whose PreFilter returned Skip: their Filter is not called this cycle.
    skip_filter: HashSet<String>,
    /// The intersection of the node sets PreFilter plugins returned, if any returned one.
    merged: Option<BTreeSet<String>>,
    /// The plugins that returned node sets, in call order.
    plugins_with_nodes: Vec<String>,
}

impl PreFilterState {
    /// The status of a node outside the PreFilter node sets (kube-scheduler's default status of
    /// nodes not in the diagnosis map).
    fn absent_status(&self) -> St {
        match &self.merged {
            None => St {
                code: Status::UNSCHEDULABLE_AND_UNRESOLVABLE,
                reasons: Vec::new(),
            },
            Some(_) => {
                let mut names = self.plugins_with_nodes.clone();
                names.sort();
                St::new(
                    Status::UNSCHEDULABLE_AND_UNRESOLVABLE,
                    format!("node(s) didn't satisfy plugin(s) {}", go_list(&names)),
                )
            }
        }
    }
}

/// What Filter found.
struct FilterState {
    /// Feasible nodes (indices into the scenario's nodes), in the order they were found.
    feasible: Vec<usize>,
    /// Rejected nodes with the status that rejected them.
    explicit: Vec<(String, St)>,
    /// Every evaluated node, by index.
    evaluations: HashMap<usize, NodeEvaluation>,
    /// How many candidate nodes were looked at.
    processed: usize,
}

/// One node's Filter verdict.
enum NodeVerdict {
    Feasible,
    Rejected(St),
    Failed(Stop),
}

/// The message of a pod rejected on the one node it was assigned (binding cycle).
fn one_node_fit_error(node: &str, st: &St) -> String {
    fit_error(
        1,
        None,
        &[(node.to_string(), st.clone())],
        &St::success(),
        "",
    )
}

impl CycleResult {
    fn new(pod: &str) -> CycleResult {
        CycleResult {
            pod: pod.to_string(),
            outcome: Outcome::Error,
            node: None,
            reason: String::new(),
            nodes: Vec::new(),
            stages: Vec::new(),
            nominated_node: None,
            feasible_nodes: 0,
            logs: Vec::new(),
        }
    }

    fn stage(&mut self, point: Point, plugin: &str, st: &St) {
        self.stages.push(StageStatus {
            point,
            plugin: plugin.to_string(),
            code: st.code,
            reason: st.message(),
            node_names: None,
            unreserve: false,
            wasm: false,
            exported: true,
        });
    }

    fn stop(&mut self, stop: Stop) {
        match stop {
            Stop::Unschedulable(m) => {
                self.outcome = Outcome::Unschedulable;
                self.reason = m;
            }
            Stop::Error(m) => {
                self.outcome = Outcome::Error;
                self.reason = m;
            }
        }
    }
}

impl Framework {
    fn slots(&self, point: Point) -> Vec<Slot> {
        self.points.get(&point).cloned().unwrap_or_default()
    }

    /// Runs `pod`'s scheduling cycle and, when a node is chosen, its binding cycle. A bound pod
    /// counts on its node for the following cycles, and its placement is in [`Framework::pods`].
    /// With a [`crate::ControlPlane`], the pod is admitted by it first and the binding is reported
    /// to it.
    pub fn schedule(&mut self, pod: &PreparedPod) -> CycleResult {
        let admitted = self.admit(pod);
        let pod = admitted.as_ref().unwrap_or(pod);
        let mut r = CycleResult::new(&pod.key);
        let chosen = self.scheduling_cycle(pod, &mut r);
        match chosen.and_then(|node| self.binding_cycle(pod, &node, &mut r).map(|()| node)) {
            Ok(node) => {
                self.bind_to(pod, &node);
                self.control_plane_bound(pod, &node);
                r.outcome = Outcome::Scheduled;
                r.reason = format!("Successfully assigned {} to {node}", pod.key);
                r.node = Some(node);
            }
            Err(stop) => r.stop(stop),
        }
        self.collect_logs(&mut r);
        r
    }

    /// Runs only `pod`'s scheduling cycle up to host selection (PreFilter, Filter, PostFilter,
    /// PreScore, Score, NormalizeScore), binds nothing and leaves the cluster as it was: the same
    /// call can be repeated, e.g. to time one cycle. A chosen node is reported as `Scheduled`
    /// with the reason `would be assigned to <node>`.
    pub fn evaluate(&mut self, pod: &PreparedPod) -> CycleResult {
        let start = self.next_start_node_index;
        let mut r = CycleResult::new(&pod.key);
        match self.scheduling_cycle(pod, &mut r) {
            Ok(node) => {
                r.outcome = Outcome::Scheduled;
                r.reason = format!("would be assigned to {node}");
                r.node = Some(node);
            }
            Err(stop) => r.stop(stop),
        }
        self.next_start_node_index = start;
        self.collect_logs(&mut r);
        r
    }

    /// Completes `r`: which stages are wasm guests' and whether they export the hook, and the
    /// klog lines the guests printed during the cycle.
    fn collect_logs(&self, r: &mut CycleResult) {
        for s in &mut r.stages {
            if let Some(w) = self.wasm.iter().find(|w| w.name == s.plugin) {
                s.wasm = true;
                s.exported = guest_exports(&w.plugin, s.point, s.unreserve);
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
    }

    /// PreFilter to host selection: the chosen node.
    fn scheduling_cycle(&mut self, pod: &PreparedPod, r: &mut CycleResult) -> Result<String, Stop> {
        self.pre_enqueue(pod)?;
        let num_all = self.nodes.len();
        if num_all == 0 {
            // kube-scheduler's schedulePod returns ErrNoNodesAvailable before any plugin runs;
            // schedulingCycle makes it UnschedulableAndUnresolvable with that text.
            return Err(Stop::Unschedulable(
                "no nodes available to schedule pods".into(),
            ));
        }
        let pre = match self.run_pre_filter(pod, r)? {
            PreFilterOutcome::Continue(pre) => pre,
            PreFilterOutcome::Rejected(st) => {
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
        };
        let mut fit = self.find_nodes_that_fit(pod, &pre, r)?;
        r.feasible_nodes = fit.feasible.len();
        match fit.feasible[..] {
            [] => {
                r.nodes = sorted_evaluations(fit.evaluations);
                let map: BTreeMap<String, i32> = fit
                    .explicit
                    .iter()
                    .map(|(n, st)| (n.clone(), st.code))
                    .collect();
                let post = self.post_filter(pod, &map, r);
                Err(Stop::Unschedulable(fit_error(
                    num_all,
                    None,
                    &fit.explicit,
                    &pre.absent_status(),
                    &post,
                )))
            }
            [only] => {
                r.nodes = sorted_evaluations(fit.evaluations);
                Ok(self.node_infos[only].name().to_string())
            }
            _ => {
                let result = self.prioritize(pod, &fit.feasible, &mut fit.evaluations, r);
                r.nodes = sorted_evaluations(fit.evaluations);
                result
            }
        }
    }

    /// PreEnqueue: SchedulingGates keeps a gated pod out of the cycle.
    fn pre_enqueue(&self, pod: &PreparedPod) -> Result<(), Stop> {
        let gated = pod
            .json
            .pointer("/spec/schedulingGates")
            .and_then(Value::as_array)
            .is_some_and(|g| !g.is_empty());
        if gated
            && self
                .plugins_at(Point::PreEnqueue)
                .contains(&FrameworkPlugin::SchedulingGates.name())
        {
            return Err(Stop::Unschedulable(
                "Scheduling is blocked due to non-empty scheduling gates".into(),
            ));
        }
        Ok(())
    }

    /// PreFilter, in plugin order: Skip, node sets and their intersection, rejection.
    fn run_pre_filter(
        &self,
        pod: &PreparedPod,
        r: &mut CycleResult,
    ) -> Result<PreFilterOutcome, Stop> {
        let mut pre = PreFilterState {
            skip_filter: HashSet::new(),
            merged: None,
            plugins_with_nodes: Vec::new(),
        };
        let mut reject: Option<St> = None;
        for slot in self.slots(Point::PreFilter) {
            let (st, names) = self.hooks(slot.imp).pre_filter(pod);
            r.stages.push(StageStatus {
                point: Point::PreFilter,
                plugin: slot.name.clone(),
                code: st.code,
                reason: st.message(),
                node_names: names.as_ref().map(|n| n.iter().cloned().collect()),
                unreserve: false,
                wasm: false,
                exported: true,
            });
            if st.is_skip() {
                pre.skip_filter.insert(slot.name.clone());
                continue;
            }
            if st.code == Status::UNSCHEDULABLE_AND_UNRESOLVABLE {
                return Ok(PreFilterOutcome::Rejected(st));
            }
            if st.code == Status::UNSCHEDULABLE {
                reject = Some(st);
                continue;
            }
            if !st.is_success() {
                return Err(Stop::Error(format!(
                    "running PreFilter plugin {:?}: {}",
                    slot.name,
                    st.message()
                )));
            }
            if let Some(names) = names
                && let Some(empty) = pre.intersect(&slot.name, names)
            {
                return Ok(PreFilterOutcome::Rejected(empty));
            }
        }
        Ok(match reject {
            Some(st) => PreFilterOutcome::Rejected(st),
            None => PreFilterOutcome::Continue(pre),
        })
    }

    /// Filter on the candidate nodes (in node-tree order, from where the previous cycle stopped)
    /// until enough feasible nodes are found; moves the start index on.
    fn find_nodes_that_fit(
        &mut self,
        pod: &PreparedPod,
        pre: &PreFilterState,
        r: &mut CycleResult,
    ) -> Result<FilterState, Stop> {
        let candidates: Vec<usize> = match &pre.merged {
            None => self.tree_order.clone(),
            Some(set) => self
                .tree_order
                .iter()
                .copied()
                .filter(|&i| set.contains(self.node_infos[i].name()))
                .collect(),
        };
        let fit =
            self.filter_candidates(pod, pre, &candidates)
                .map_err(|(evaluations, stop)| {
                    r.nodes = sorted_evaluations(evaluations);
                    stop
                })?;
        if !candidates.is_empty() {
            self.next_start_node_index =
                (self.next_start_node_index + fit.processed) % self.nodes.len().max(1);
        }
        Ok(fit)
    }

    /// The Filter loop of [`Framework::find_nodes_that_fit`]; on a failed plugin, the evaluations
    /// so far and why.
    fn filter_candidates(
        &self,
        pod: &PreparedPod,
        pre: &PreFilterState,
        candidates: &[usize],
    ) -> Result<FilterState, (HashMap<usize, NodeEvaluation>, Stop)> {
        let to_find =
            num_feasible_nodes_to_find(self.profile.percentage_of_nodes_to_score, candidates.len());
        let filters: Vec<Slot> = self
            .slots(Point::Filter)
            .into_iter()
            .filter(|s| !pre.skip_filter.contains(&s.name))
            .collect();
        let mut fit = FilterState {
            feasible: Vec::new(),
            explicit: Vec::new(),
            evaluations: HashMap::new(),
            processed: 0,
        };
        let n = candidates.len();
        for k in 0..n {
            if fit.feasible.len() >= to_find {
                break;
            }
            let idx = candidates[(self.next_start_node_index + k) % n];
            fit.processed += 1;
            let (eval, verdict) = self.filter_node(pod, idx, &filters);
            match verdict {
                NodeVerdict::Feasible => fit.feasible.push(idx),
                NodeVerdict::Rejected(st) => fit.explicit.push((eval.node.clone(), st)),
                NodeVerdict::Failed(stop) => {
                    fit.evaluations.insert(idx, eval);
                    return Err((fit.evaluations, stop));
                }
            }
            fit.evaluations.insert(idx, eval);
        }
        Ok(fit)
    }

    /// The Filter plugins on one node, in order, until one does not accept it.
    fn filter_node(
        &self,
        pod: &PreparedPod,
        idx: usize,
        filters: &[Slot],
    ) -> (NodeEvaluation, NodeVerdict) {
        let node = &self.node_infos[idx];
        let mut eval = NodeEvaluation {
            node: node.name().to_string(),
            plugins: Vec::new(),
            feasible: true,
            total: None,
        };
        for slot in filters {
            let st = self.hooks(slot.imp).filter(pod, node);
            eval.plugins.push(NodePlugin {
                plugin: slot.name.clone(),
                code: Some(st.code),
                reason: st.message(),
                score: None,
                normalized: None,
                weight: None,
            });
            if st.is_success() {
                continue;
            }
            if !st.is_rejected() {
                let stop = Stop::Error(format!(
                    "running {:?} filter plugin: {}",
                    slot.name,
                    st.message()
                ));
                return (eval, NodeVerdict::Failed(stop));
            }
            eval.feasible = false;
            return (eval, NodeVerdict::Rejected(st));
        }
        (eval, NodeVerdict::Feasible)
    }

    /// PostFilter: returns the message kube-scheduler adds to the FitError.
    fn post_filter(
        &self,
        pod: &PreparedPod,
        node_to_status: &BTreeMap<String, i32>,
        r: &mut CycleResult,
    ) -> String {
        let mut reasons: Vec<String> = Vec::new();
        for slot in self.slots(Point::PostFilter) {
            let Some((st, result)) = self.hooks(slot.imp).post_filter(pod, node_to_status) else {
                continue;
            };
            r.stage(Point::PostFilter, &slot.name, &st);
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
        &self,
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
        let skip_score = self.run_pre_score(pod, &names, r)?;
        let scorers: Vec<Slot> = scorers
            .into_iter()
            .filter(|s| !skip_score.contains(&s.name))
            .collect();
        let raw = self.score_table(pod, feasible, &scorers)?;
        let mut table = raw.clone();
        self.normalize_scores(pod, &names, &scorers, &mut table)?;
        let totals = self.weigh(feasible, &scorers, &raw, &table, evaluations)?;
        self.select_host(feasible, &totals, evaluations)
    }

    /// PreScore, in plugin order: the plugins that returned Skip (their Score is not called).
    fn run_pre_score(
        &self,
        pod: &PreparedPod,
        names: &[String],
        r: &mut CycleResult,
    ) -> Result<HashSet<String>, Stop> {
        let mut skip_score = HashSet::new();
        for slot in self.slots(Point::PreScore) {
            let st = self.hooks(slot.imp).pre_score(pod, names);
            r.stage(Point::PreScore, &slot.name, &st);
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
        Ok(skip_score)
    }

    /// Score: one row per scorer, one raw score per feasible node.
    fn score_table(
        &self,
        pod: &PreparedPod,
        feasible: &[usize],
        scorers: &[Slot],
    ) -> Result<Vec<Vec<i64>>, Stop> {
        let mut table: Vec<Vec<i64>> = Vec::with_capacity(scorers.len());
        for slot in scorers {
            let hooks = self.hooks(slot.imp);
            let mut scores = Vec::with_capacity(feasible.len());
            for &idx in feasible {
                let score = hooks.score(pod, &self.node_infos[idx]).map_err(|st| {
                    Stop::Error(format!(
                        "running Score plugins: plugin {:?} failed with: {}",
                        slot.name,
                        st.message()
                    ))
                })?;
                scores.push(score);
            }
            table.push(scores);
        }
        Ok(table)
    }

    /// NormalizeScore of each scorer that has it, in place.
    fn normalize_scores(
        &self,
        pod: &PreparedPod,
        names: &[String],
        scorers: &[Slot],
        table: &mut [Vec<i64>],
    ) -> Result<(), Stop> {
        for (slot, scores) in scorers.iter().zip(table.iter_mut()) {
            if let Some(st) = self.hooks(slot.imp).normalize_score(pod, names, scores)
                && !st.is_success()
            {
                return Err(Stop::Error(format!(
                    "running Normalize on Score plugins: plugin {:?} failed with: {}",
                    slot.name,
                    st.message()
                )));
            }
        }
        Ok(())
    }

    /// Checks the normalized scores (0..=100), records each on its node's row and sums them
    /// weighted: the total per feasible node.
    fn weigh(
        &self,
        feasible: &[usize],
        scorers: &[Slot],
        raw: &[Vec<i64>],
        table: &[Vec<i64>],
        evaluations: &mut HashMap<usize, NodeEvaluation>,
    ) -> Result<Vec<i64>, Stop> {
        let mut totals = vec![0i64; feasible.len()];
        for (p, slot) in scorers.iter().enumerate() {
            let weight = self.weight(&slot.name);
            for (k, &idx) in feasible.iter().enumerate() {
                let s = table[p][k];
                if let Some(e) = evaluations.get_mut(&idx) {
                    e.plugins.push(NodePlugin {
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
        Ok(totals)
    }

    /// The node with the highest total (ties: the first in scenario order); records the totals.
    fn select_host(
        &self,
        feasible: &[usize],
        totals: &[i64],
        evaluations: &mut HashMap<usize, NodeEvaluation>,
    ) -> Result<String, Stop> {
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

    fn unreserve(&self, pod: &PreparedPod, node: &str, r: &mut CycleResult) {
        for slot in self.slots(Point::Reserve).into_iter().rev() {
            if let Some(st) = self.hooks(slot.imp).unreserve(pod, node) {
                r.stages.push(StageStatus {
                    point: Point::Reserve,
                    plugin: slot.name.clone(),
                    code: st.code,
                    reason: st.message(),
                    node_names: None,
                    unreserve: true,
                    wasm: false,
                    exported: true,
                });
            }
        }
    }

    /// Reserve, Permit, PreBind, Bind, PostBind. Any failure before PostBind runs Unreserve.
    fn binding_cycle(
        &self,
        pod: &PreparedPod,
        node: &str,
        r: &mut CycleResult,
    ) -> Result<(), Stop> {
        let bound = self
            .reserve(pod, node, r)
            .and_then(|()| self.permit(pod, node, r))
            .and_then(|()| self.pre_bind(pod, node, r))
            .and_then(|()| self.bind(pod, node, r));
        if bound.is_err() {
            self.unreserve(pod, node, r);
        }
        bound?;
        self.post_bind(pod, node, r);
        Ok(())
    }

    /// Reserve, in plugin order.
    fn reserve(&self, pod: &PreparedPod, node: &str, r: &mut CycleResult) -> Result<(), Stop> {
        for slot in self.slots(Point::Reserve) {
            let Some(st) = self.hooks(slot.imp).reserve(pod, node) else {
                continue;
            };
            r.stage(Point::Reserve, &slot.name, &st);
            if !st.is_success() {
                return Err(if st.is_rejected() {
                    Stop::Unschedulable(one_node_fit_error(node, &st))
                } else {
                    Stop::Error(format!(
                        "running Reserve plugin {:?}: {}",
                        slot.name,
                        st.message()
                    ))
                });
            }
        }
        Ok(())
    }

    /// Permit, in plugin order. Nothing allows a waiting pod in the simulator: it is rejected
    /// when the shortest timeout expires.
    fn permit(&self, pod: &PreparedPod, node: &str, r: &mut CycleResult) -> Result<(), Stop> {
        let mut waits: Vec<(String, Duration)> = Vec::new();
        for slot in self.slots(Point::Permit) {
            let Some((st, timeout)) = self.hooks(slot.imp).permit(pod, node) else {
                continue;
            };
            r.stage(Point::Permit, &slot.name, &st);
            if st.is_success() {
                continue;
            }
            if st.is_rejected() {
                return Err(Stop::Unschedulable(one_node_fit_error(node, &st)));
            }
            if st.code == Status::WAIT {
                waits.push((slot.name.clone(), timeout.min(Duration::from_secs(15 * 60))));
                continue;
            }
            return Err(Stop::Error(format!(
                "running Permit plugin {:?}: {}",
                slot.name,
                st.message()
            )));
        }
        match waits.iter().min_by_key(|(_, t)| *t) {
            Some((plugin, timeout)) => Err(Stop::Unschedulable(format!(
                "rejected due to timeout after waiting {} at plugin {plugin}",
                go_duration(*timeout)
            ))),
            None => Ok(()),
        }
    }

    /// PreBind, in plugin order.
    fn pre_bind(&self, pod: &PreparedPod, node: &str, r: &mut CycleResult) -> Result<(), Stop> {
        for slot in self.slots(Point::PreBind) {
            let Some(st) = self.hooks(slot.imp).pre_bind(pod, node) else {
                continue;
            };
            r.stage(Point::PreBind, &slot.name, &st);
            if !st.is_success() {
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
        Ok(())
    }

    /// Bind: the first binder that does not Skip binds.
    fn bind(&self, pod: &PreparedPod, node: &str, r: &mut CycleResult) -> Result<(), Stop> {
        for slot in self.slots(Point::Bind) {
            let Some(st) = self.hooks(slot.imp).bind(pod, node) else {
                continue;
            };
            r.stage(Point::Bind, &slot.name, &st);
            if st.is_skip() {
                continue;
            }
            if !st.is_success() {
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
            return Ok(());
        }
        Err(Stop::Error(
            "no bind plugin bound the pod: every bind plugin returned Skip (or none is enabled)"
                .into(),
        ))
    }

    /// PostBind, in plugin order (informational: failures change nothing).
    fn post_bind(&self, pod: &PreparedPod, node: &str, r: &mut CycleResult) {
        for slot in self.slots(Point::PostBind) {
            if let Some(st) = self.hooks(slot.imp).post_bind(pod, node) {
                r.stage(Point::PostBind, &slot.name, &st);
            }
        }
    }
}

impl PreFilterState {
    /// Intersects a PreFilter plugin's node set into the merged one; an empty intersection
    /// rejects the pod with this status.
    fn intersect(&mut self, plugin: &str, names: BTreeSet<String>) -> Option<St> {
        self.plugins_with_nodes.push(plugin.to_string());
        let merged = match self.merged.take() {
            None => names,
            Some(m) => m.intersection(&names).cloned().collect(),
        };
        let empty = merged.is_empty();
        self.merged = Some(merged);
        if !empty {
            return None;
        }
        let msg = if self.plugins_with_nodes.len() == 1 {
            format!(
                "node(s) didn't satisfy plugin {}",
                self.plugins_with_nodes[0]
            )
        } else {
            format!(
                "node(s) didn't satisfy plugin(s) {} simultaneously",
                go_list(&self.plugins_with_nodes)
            )
        };
        Some(St::new(Status::UNSCHEDULABLE_AND_UNRESOLVABLE, msg))
    }
}

/// Whether the wasm plugin exports the hook behind a pod-level stage (the host answers Success
/// for PreFilter, PostFilter, PreScore, PreBind and PostBind when it does not).
fn guest_exports(plugin: &WasmPlugin, point: Point, unreserve: bool) -> bool {
    let hook = match point {
        Point::PreFilter => Hook::PreFilter,
        Point::PostFilter => Hook::PostFilter,
        Point::PreScore => Hook::PreScore,
        Point::Reserve if unreserve => Hook::Unreserve,
        Point::Reserve => Hook::Reserve,
        Point::Permit => Hook::Permit,
        Point::PreBind => Hook::PreBind,
        Point::Bind => Hook::Bind,
        Point::PostBind => Hook::PostBind,
        _ => return true,
    };
    plugin.exports().has(hook)
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
