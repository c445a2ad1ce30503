//! The domain crate's arrows point down: no module imports one that imports it back, the
//! domain and the HTTP plumbing import nothing above them, and no family imports another.
//! Imports are read from the sources parsed as Rust (`syn`): items, not text.

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

/// A module path (`["dialects", "contacts", "send"]`) → its node in the graph: a top-level
/// module of `shared/src`, or inside `dialects` one family or shared module (`dialects/contacts`).
fn node(path: &[String]) -> Option<String> {
    match path {
        [top, sub, ..] if top == "dialects" => Some(format!("dialects/{sub}")),
        [top, ..] => Some(top.clone()),
        [] => None,
    }
}

/// The modules one file refers to, read as Rust: every `use` and every path in its items
/// (types, calls, patterns), `crate::`, `super::` and `self::` resolved from the file's own
/// module. Comments and strings are not items, so they count for nothing; macro bodies are
/// opaque to the parser, so an import must be a `use` or a path outside a macro.
struct References<'a> {
    module: &'a [String],
    modules: &'a BTreeSet<Vec<String>>,
    /// The modules referred to, as paths (`["service", "shield"]`).
    found: BTreeSet<Vec<String>>,
}

impl References<'_> {
    /// Records an absolute or relative path; what does not start at `crate`, `super` or `self`
    /// is another crate or a local name.
    fn record(&mut self, segments: &[String]) {
        let mut base: Vec<String> = match segments.first().map(String::as_str) {
            Some("crate") => Vec::new(),
            Some("self") => self.module.to_vec(),
            Some("super") => self.module[..self.module.len().saturating_sub(1)].to_vec(),
            _ => return,
        };
        let mut rest = &segments[1..];
        while rest.first().is_some_and(|s| s == "super") {
            base.pop();
            rest = &rest[1..];
        }
        base.extend(rest.iter().cloned());
        // The longest prefix that is a module: the rest names an item in it.
        while !base.is_empty() && !self.modules.contains(&base) {
            base.pop();
        }
        if !base.is_empty() {
            self.found.insert(base);
        }
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                prefix.push(n.ident.to_string());
                self.record(&prefix.clone());
                prefix.pop();
            }
            syn::UseTree::Rename(r) => {
                prefix.push(r.ident.to_string());
                self.record(&prefix.clone());
                prefix.pop();
            }
            syn::UseTree::Glob(_) => self.record(&prefix.clone()),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t);
                }
            }
        }
    }
}

impl<'ast> syn::visit::Visit<'ast> for References<'_> {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &item.tree);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        self.record(&segments);
        syn::visit::visit_path(self, path);
    }
}

/// Every module of `shared/src` (as a path, `["service", "shield"]`) → the modules it refers
/// to. Test modules are left out.
fn module_graph() -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let src = otp_tests::repo_root().join("shared/src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let module_of = |file: &Path| -> Vec<String> {
        let relative = file.strip_prefix(&src).unwrap().with_extension("");
        let mut parts: Vec<String> = relative
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        if parts.last().is_some_and(|l| l == "mod" || l == "lib") {
            parts.pop();
        }
        parts
    };
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(f)).collect();
    let mut graph = BTreeMap::new();
    for file in &files {
        let module = module_of(file);
        let text = std::fs::read_to_string(file).unwrap();
        let mut ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        // `#[cfg(test)]` modules test the module; they are not part of its layer.
        ast.items.retain(|item| {
            !matches!(item, syn::Item::Mod(m) if m.attrs.iter().any(|a| a.path().is_ident("cfg")))
        });
        let mut refs = References {
            module: &module,
            modules: &modules,
            found: BTreeSet::new(),
        };
        syn::visit::Visit::visit_file(&mut refs, &ast);
        let mut found = refs.found;
        found.remove(&module);
        graph.insert(module, found);
    }
    graph
}

/// Module → modules it imports, at the level of `shared/src/<module>` and, inside
/// `dialects`, of each family (`dialects/contacts`).
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, targets) in module_graph() {
        let Some(from) = node(&module) else { continue };
        let mut to: BTreeSet<String> = targets.iter().filter_map(|t| node(t)).collect();
        to.remove(&from);
        graph.entry(from).or_default().extend(to);
    }
    graph
}

#[test]
fn no_two_sibling_modules_import_each_other() {
    let graph = module_graph();
    let siblings = |a: &[String], b: &[String]| {
        a != b && a.len() == b.len() && a[..a.len() - 1] == b[..b.len() - 1]
    };
    for (module, targets) in &graph {
        for target in targets.iter().filter(|t| siblings(module, t)) {
            assert!(
                !graph.get(target).is_some_and(|back| back.contains(module)),
                "{} and {} import each other",
                module.join("::"),
                target.join("::")
            );
        }
    }
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
