//! Architecture invariants that a reading of the sources can check
//! (ARCHITECTURE.md): the checkers never reach into the world or a host,
//! and the simulator drives raft-core only through `sut::RaftNode`.

use std::path::Path;

/// Every `use` line of the Rust files under `dir`, with its file.
fn use_lines(dir: &Path) -> Vec<(String, String)> {
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(dir).expect("the directory exists") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            lines.extend(use_lines(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("a source file");
            for line in text.lines() {
                if line.trim_start().starts_with("use ") || line.contains("crate::") {
                    lines.push((path.display().to_string(), line.to_string()));
                }
            }
        }
    }
    lines
}

#[test]
fn the_checkers_never_import_the_world_or_a_host() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/checker");
    let lines = use_lines(&dir);
    assert!(lines.len() > 10, "the checker sources were read");
    let reaching: Vec<_> = lines
        .iter()
        .filter(|(_, line)| {
            [
                "crate::world",
                "crate::host",
                "crate::stepper",
                "crate::explore",
            ]
            .iter()
            .any(|module| line.contains(module))
        })
        .collect();
    assert!(reaching.is_empty(), "checker reaches up: {reaching:#?}");
}

#[test]
fn only_the_raft_core_node_names_raw_node() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut naming = Vec::new();
    let mut stack = vec![dir];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("the directory exists") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs")
                && !path.ends_with("sut/raft_core_node.rs")
            {
                let text = std::fs::read_to_string(&path).expect("a source file");
                if text.contains("RawNode") {
                    naming.push(path.display().to_string());
                }
            }
        }
    }
    assert!(
        naming.is_empty(),
        "these drive raft-core around the trait: {naming:#?}"
    );
}

#[test]
fn lincheck_depends_on_no_other_raftsim_crate() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../lincheck/Cargo.toml");
    let text = std::fs::read_to_string(manifest).expect("lincheck's manifest");
    for crate_name in ["sim", "raft-core", "raftsim"] {
        assert!(
            !text
                .lines()
                .any(|l| l.starts_with(&format!("{crate_name} "))
                    || l.starts_with(&format!("{crate_name}."))),
            "lincheck depends on {crate_name}"
        );
    }
}

/// The `use` lines of `dir` (under `src/`) that name one of `modules`.
fn reaching(dir: &str, modules: &[&str]) -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
    let lines = use_lines(&dir);
    assert!(!lines.is_empty(), "the sources under {dir:?} were read");
    lines
        .into_iter()
        .filter(|(_, line)| modules.iter().any(|module| line.contains(module)))
        .collect()
}

#[test]
fn the_host_never_sees_the_world_or_a_driver() {
    let found = reaching(
        "host",
        &[
            "crate::world",
            "crate::stepper",
            "crate::run",
            "crate::explore",
        ],
    );
    assert!(found.is_empty(), "the host reaches up: {found:#?}");
}

#[test]
fn the_explorer_never_imports_the_random_driver() {
    let found = reaching("explore", &["crate::run", "crate::swarm", "crate::stepper"]);
    assert!(
        found.is_empty(),
        "the explorer reaches the random driver: {found:#?}"
    );
}

#[test]
fn only_the_world_owns_checkers() {
    // The drivers read the verdicts `World::apply` and `World::step` return;
    // none builds checkers of its own (checker unit tests aside).
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut owners = Vec::new();
    fn walk(dir: &Path, owners: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("the directory exists") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                walk(&path, owners);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("a source file");
                if text.contains("Checkers::new(") {
                    owners.push(path.display().to_string());
                }
            }
        }
    }
    walk(&src, &mut owners);
    owners.retain(|path| !path.contains("/checker/"));
    assert_eq!(owners.len(), 1, "{owners:#?}");
    assert!(owners[0].contains("src/world"), "{owners:#?}");
}
