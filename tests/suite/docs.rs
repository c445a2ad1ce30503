//! The documentation stays true to the code: the configuration table (`docs/configuration.md`)
//! lists exactly the variables the code reads, the API contract lists every route, every
//! link between the documents lands, and nothing points outside the repository.

use otp_core::ROUTES;
use otp_tests::repo_file as read;

const CONFIGURATION: &str = "docs/configuration.md";

/// The README and every document under `docs/`.
fn documents() -> Vec<String> {
    let dir = otp_tests::repo_root().join("docs");
    let mut docs: Vec<String> = std::fs::read_dir(&dir)
        .expect("docs/")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".md"))
        .map(|name| format!("docs/{name}"))
        .collect();
    docs.sort();
    docs.insert(0, "README.md".into());
    docs
}

/// The anchors GitHub gives a document's headings.
fn anchors(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix('#'))
        .map(|h| h.trim_start_matches('#').trim().to_lowercase())
        .map(|h| {
            h.chars()
                .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_' || *c == ' ')
                .map(|c| if c == ' ' { '-' } else { c })
                .collect()
        })
        .collect()
}

/// Every `"OTP_…"` string literal of a source text.
fn variables_in(source: &str) -> Vec<String> {
    source
        .split("\"OTP_")
        .skip(1)
        .filter_map(|rest| {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                .collect();
            rest[name.len()..]
                .starts_with('"')
                .then(|| format!("OTP_{name}"))
        })
        .collect()
}

#[test]
fn the_configuration_table_lists_exactly_the_variables_read() {
    let mut read_by_code: Vec<String> = [
        "shared/src/config/mod.rs",
        "shared/aws/src/wiring.rs",
        "shared/aws/src/emf.rs",
    ]
    .iter()
    .flat_map(|file| variables_in(&read(file)))
    .collect();
    read_by_code.sort();
    read_by_code.dedup();
    assert!(read_by_code.len() >= 15, "{read_by_code:?}");
    let readme = read(CONFIGURATION);
    let mut documented: Vec<String> = readme
        .lines()
        .filter_map(|line| line.strip_prefix("| `OTP_"))
        .filter_map(|rest| rest.split('`').next())
        .map(|name| format!("OTP_{name}"))
        .collect();
    documented.sort();
    documented.dedup();
    assert_eq!(
        documented, read_by_code,
        "docs/configuration.md rows (left) vs variables the code reads (right)"
    );
}

#[test]
fn the_configuration_table_lists_exactly_the_sam_parameters() {
    let template = read("template.yaml");
    let section = template
        .split("\nParameters:\n")
        .nth(1)
        .and_then(|rest| rest.split("\nConditions:\n").next())
        .expect("template.yaml has Parameters then Conditions");
    let mut parameters: Vec<&str> = section
        .lines()
        .filter_map(|l| l.strip_prefix("  ")?.strip_suffix(':'))
        .filter(|name| !name.starts_with(' '))
        .collect();
    parameters.sort();
    let readme = read(CONFIGURATION);
    let rows: Vec<Vec<&str>> = readme
        .split("| variable | SAM parameter | default | meaning |")
        .nth(1)
        .expect("the configuration table")
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| l.split(" | ").collect())
        .collect();
    let mut documented: Vec<&str> = rows
        .iter()
        .filter_map(|cells| cells.get(1)?.strip_prefix('`')?.strip_suffix('`'))
        .collect();
    documented.sort();
    assert_eq!(
        documented, parameters,
        "docs/configuration.md SAM parameter column (left) vs template.yaml Parameters (right)"
    );
    // A variable's parameter is the one the template sets it from.
    for cells in &rows {
        let variable = cells[0].trim_start_matches("| ").trim_matches('`');
        let Some(parameter) = cells[1].strip_prefix('`').and_then(|p| p.strip_suffix('`')) else {
            continue;
        };
        if !variable.starts_with("OTP_") {
            continue;
        }
        let set = template
            .lines()
            .filter_map(|l| l.trim().strip_prefix(&format!("{variable}: ")))
            .any(|value| {
                value.contains(&format!("Ref {parameter}"))
                    || value.contains(&format!("${{{parameter}}}"))
            });
        assert!(
            set,
            "template.yaml does not set {variable} from {parameter}"
        );
    }
}

#[test]
fn the_api_contract_documents_every_route() {
    let api = read("docs/api.md");
    for route in ROUTES {
        assert!(
            api.contains(&format!("`{} {}`", route.method, route.path)),
            "docs/api.md lacks `{} {}`",
            route.method,
            route.path
        );
    }
}

#[test]
fn the_docs_stand_alone() {
    let docs = documents();
    assert!(docs.len() >= 8, "{docs:?}");
    for file in &docs {
        let text = read(file);
        let outside = match file.starts_with("docs/") {
            true => text.contains("../../") || text.contains("../shared/seeds"),
            false => text.contains("../"),
        };
        assert!(
            !outside && !text.contains("SPEC.md"),
            "{file} points outside the repository"
        );
    }
}

#[test]
fn every_link_between_the_documents_lands() {
    for file in documents() {
        let text = read(&file);
        let base = std::path::Path::new(&file).parent().unwrap().to_path_buf();
        for link in text.split("](").skip(1) {
            let target = link.split(')').next().unwrap_or("");
            if target.starts_with("http") || target.is_empty() {
                continue;
            }
            let (path, anchor) = target.split_once('#').unwrap_or((target, ""));
            let resolved = match path {
                "" => file.clone(),
                p => {
                    let joined = base.join(p);
                    let mut parts: Vec<String> = Vec::new();
                    for c in joined.components() {
                        match c {
                            std::path::Component::ParentDir => {
                                parts.pop();
                            }
                            std::path::Component::Normal(n) => {
                                parts.push(n.to_string_lossy().into_owned())
                            }
                            _ => {}
                        }
                    }
                    parts.join("/")
                }
            };
            assert!(
                otp_tests::repo_root().join(&resolved).exists(),
                "{file}: link to {target} lands nowhere"
            );
            if !anchor.is_empty() {
                assert!(
                    anchors(&read(&resolved)).iter().any(|a| a == anchor),
                    "{file}: {resolved} has no heading #{anchor}"
                );
            }
        }
    }
}
