//! Architecture invariants that a reading of the sources can check
//! (ARCHITECTURE.md): the checkers never reach into the world or a host.

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
