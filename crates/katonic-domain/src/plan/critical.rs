//! The critical path: the longest chain of expected durations through a DAG, which is how long an
//! install takes when every independent step runs in parallel. Generic over node indices so it
//! can be tested against brute force on arbitrary graphs.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A DAG's topological order and its longest path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Analysis {
    /// Every node, each after all of its dependencies.
    pub order: Vec<usize>,
    /// The longest path, first node first.
    pub path: Vec<usize>,
    /// Sum of the weights on `path`.
    pub length: u64,
}

/// Kahn's algorithm over `deps[i]` (the nodes `i` depends on). Among ready nodes the lowest
/// index goes first, so a graph declared in a sensible order keeps that order. `None` when the
/// graph has a cycle or a dependency out of range.
pub(super) fn topological_order(deps: &[Vec<usize>]) -> Option<Vec<usize>> {
    let n = deps.len();
    let mut waiting_on = vec![0usize; n];
    let mut dependents = vec![Vec::new(); n];
    for (node, node_deps) in deps.iter().enumerate() {
        for &d in node_deps {
            if d >= n {
                return None;
            }
            waiting_on[node] += 1;
            dependents[d].push(node);
        }
    }
    let mut ready: BinaryHeap<Reverse<usize>> = (0..n)
        .filter(|&i| waiting_on[i] == 0)
        .map(Reverse)
        .collect();
    let mut order = Vec::with_capacity(n);
    while let Some(Reverse(node)) = ready.pop() {
        order.push(node);
        for &next in &dependents[node] {
            waiting_on[next] -= 1;
            if waiting_on[next] == 0 {
                ready.push(Reverse(next));
            }
        }
    }
    // Nodes on a cycle never become ready.
    (order.len() == n).then_some(order)
}

/// Longest path by weight: in topological order, each node finishes at its weight plus the
/// latest finish among its dependencies; the path is traced back from the latest finish.
pub(super) fn analyse(weights: &[u32], deps: &[Vec<usize>]) -> Option<Analysis> {
    if weights.len() != deps.len() {
        return None;
    }
    let order = topological_order(deps)?;
    let mut finish = vec![0u64; weights.len()];
    let mut via: Vec<Option<usize>> = vec![None; weights.len()];
    for &node in &order {
        // The first dependency with the latest finish, so ties resolve the same way every time.
        let mut best: Option<usize> = None;
        for &d in &deps[node] {
            if best.is_none_or(|b| finish[d] > finish[b]) {
                best = Some(d);
            }
        }
        via[node] = best;
        finish[node] = u64::from(weights[node]) + best.map_or(0, |b| finish[b]);
    }
    let mut end: Option<usize> = None;
    for &node in &order {
        if end.is_none_or(|e| finish[node] > finish[e]) {
            end = Some(node);
        }
    }
    let mut path = Vec::new();
    let mut cursor = end;
    while let Some(node) = cursor {
        path.push(node);
        cursor = via[node];
    }
    path.reverse();
    let length = end.map_or(0, |e| finish[e]);
    Some(Analysis {
        order,
        path,
        length,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every path of the DAG (as node lists, dependency first), by exhaustive extension.
    fn all_paths(deps: &[Vec<usize>]) -> Vec<Vec<usize>> {
        fn extend(path: Vec<usize>, dependents: &[Vec<usize>], out: &mut Vec<Vec<usize>>) {
            let Some(&last) = path.last() else { return };
            for &next in &dependents[last] {
                let mut longer = path.clone();
                longer.push(next);
                extend(longer, dependents, out);
            }
            out.push(path);
        }
        let mut dependents = vec![Vec::new(); deps.len()];
        for (node, ds) in deps.iter().enumerate() {
            for &d in ds {
                dependents[d].push(node);
            }
        }
        let mut out = Vec::new();
        for start in 0..deps.len() {
            extend(vec![start], &dependents, &mut out);
        }
        out
    }

    /// A random DAG of up to 8 nodes: edges only from lower to higher rank, then the nodes are
    /// relabelled by a random permutation so the input order is not already topological.
    fn dag() -> impl Strategy<Value = (Vec<u32>, Vec<Vec<usize>>)> {
        (1usize..=8).prop_flat_map(|n| {
            (
                proptest::collection::vec(0u32..1_000, n),
                proptest::collection::vec(any::<bool>(), n * n),
                Just((0..n).collect::<Vec<usize>>()).prop_shuffle(),
            )
                .prop_map(move |(weights, edges, label)| {
                    let mut deps = vec![Vec::new(); n];
                    for from in 0..n {
                        for to in from + 1..n {
                            if edges[from * n + to] {
                                deps[label[to]].push(label[from]);
                            }
                        }
                    }
                    (weights, deps)
                })
        })
    }

    proptest! {
        #[test]
        fn longest_path_equals_brute_force((weights, deps) in dag()) {
            let analysis = analyse(&weights, &deps).expect("acyclic by construction");
            let weight = |p: &[usize]| p.iter().map(|&i| u64::from(weights[i])).sum::<u64>();
            let brute = all_paths(&deps).iter().map(|p| weight(p)).max().unwrap_or(0);
            prop_assert_eq!(analysis.length, brute);
            prop_assert_eq!(weight(&analysis.path), analysis.length);
            for pair in analysis.path.windows(2) {
                prop_assert!(deps[pair[1]].contains(&pair[0]), "not an edge: {:?}", pair);
            }
        }

        #[test]
        fn order_is_topological((weights, deps) in dag()) {
            let order = analyse(&weights, &deps).expect("acyclic by construction").order;
            let mut position = vec![usize::MAX; deps.len()];
            for (at, &node) in order.iter().enumerate() {
                position[node] = at;
            }
            prop_assert!(position.iter().all(|&p| p != usize::MAX), "every node once");
            for (node, ds) in deps.iter().enumerate() {
                for &d in ds {
                    prop_assert!(position[d] < position[node]);
                }
            }
        }
    }

    #[test]
    fn cycles_and_dangling_dependencies_are_refused() {
        assert_eq!(topological_order(&[vec![1], vec![0]]), None);
        assert_eq!(topological_order(&[vec![], vec![2], vec![1]]), None);
        assert_eq!(topological_order(&[vec![5]]), None);
        assert_eq!(analyse(&[1, 2], &[vec![]]), None);
    }

    #[test]
    fn diamond_takes_the_longer_branch() {
        // 0 -> {1 (10 s), 2 (30 s)} -> 3
        let deps = [vec![], vec![0], vec![0], vec![1, 2]];
        let analysis = analyse(&[5, 10, 30, 1], &deps).expect("acyclic");
        assert_eq!(analysis.path, vec![0, 2, 3]);
        assert_eq!(analysis.length, 36);
        assert_eq!(analysis.order, vec![0, 1, 2, 3]);
    }

    #[test]
    fn empty_graph_has_an_empty_path() {
        let analysis = analyse(&[], &[]).expect("empty is acyclic");
        assert!(analysis.path.is_empty() && analysis.order.is_empty());
        assert_eq!(analysis.length, 0);
    }
}
