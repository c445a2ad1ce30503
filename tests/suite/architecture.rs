//! The domain crate's arrows point down: no module imports one that imports it back, the
//! domain and the HTTP plumbing import nothing above them, and no family imports another.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The modules a source text names as `crate::<module>` (also inside `crate::{a, b::c}`).
fn imports(text: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = BTreeSet::new();
    for rest in text.split("crate::").skip(1) {
        if let Some(group) = rest.strip_prefix('{') {
            let group = group.split('}').next().unwrap_or_default();
            out.extend(group.split(',').map(ident).filter(|m| !m.is_empty()));
        } else {
            out.insert(ident(rest));
        }
    }
    out
}

/// Module → modules it imports, at the level of `shared/src/<module>` and, inside
/// `dialects`, of each family (`dialects/contacts`).
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = otp_tests::repo_root().join("shared/src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(&src).unwrap().with_extension("");
        let parts: Vec<String> = relative
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        if parts == ["lib"] {
            continue;
        }
        let node = match parts.as_slice() {
            [top, family, ..] if top == "dialects" && family != "mod" => {
                format!("dialects/{family}")
            }
            [top, ..] => top.clone(),
            [] => unreachable!(),
        };
        let text = std::fs::read_to_string(&file).unwrap();
        let mut targets = imports(&text);
        // Inside `dialects`, name the family or shared module imported.
        if node.starts_with("dialects") {
            for rest in text.split("crate::dialects::").skip(1) {
                let sub: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                targets.insert(format!("dialects/{sub}"));
            }
            if text.contains("use super::") && node != "dialects" {
                targets.insert("dialects".into());
            }
        }
        targets.remove(&node);
        graph.entry(node).or_default().extend(targets);
    }
    graph
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let graph = graph();
    fn reaches(
        graph: &BTreeMap<String, BTreeSet<String>>,
        from: &str,
        to: &str,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        graph
            .get(from)
            .into_iter()
            .flatten()
            .any(|next| next == to || (seen.insert(next.clone()) && reaches(graph, next, to, seen)))
    }
    for (module, targets) in &graph {
        for target in targets {
            assert!(
                !reaches(&graph, target, module, &mut BTreeSet::new()),
                "cycle: {module} imports {target}, which leads back to {module}\n{graph:#?}"
            );
        }
    }
}

#[test]
fn lower_layers_import_nothing_above_them() {
    let graph = graph();
    let allowed: &[(&str, &[&str])] = &[
        ("domain", &[]),
        ("ports", &["domain"]),
        ("config", &["domain"]),
        ("http", &["domain"]),
        ("adapters", &["domain", "ports"]),
        ("service", &["app", "config", "domain", "ports"]),
        ("runtime", &["http"]),
    ];
    for (module, may) in allowed {
        let uses = graph.get(*module).cloned().unwrap_or_default();
        let extra: Vec<_> = uses.iter().filter(|m| !may.contains(&m.as_str())).collect();
        assert!(extra.is_empty(), "{module} imports {extra:?}");
    }
}

#[test]
fn no_family_imports_another() {
    let graph = graph();
    let families: Vec<&String> = graph
        .keys()
        .filter(|k| {
            k.starts_with("dialects/")
                && ![
                    "dialects/problem",
                    "dialects/auth",
                    "dialects/header_contract",
                    "dialects/idempotency",
                ]
                .contains(&k.as_str())
        })
        .collect();
    assert!(families.len() >= 2, "{families:?}");
    for family in &families {
        for other in &families {
            assert!(
                family == other || !graph[*family].contains(*other),
                "{family} imports {other}"
            );
        }
    }
}
