//! `--html`: the picture of a run is one self-contained page whose data is
//! the run's trace, with the elements a reader needs (lanes, marks, the
//! violation and the operations it rejects); and it works in a real
//! browser: no console errors, a click on a mark shows its record.

mod browser;
#[path = "../common/mod.rs"]
mod common;

use std::path::Path;

use base64::Engine;
use common::{TempFile, assert_exit, raftsim};
use serde_json::Value;

/// A story with a crash, a restart and a partition, judged by time.
const CRASH_STORY: &str = "\
cluster 3 pre_vote=on check_quorum=on
clients 2 rate=100/s
expect leader within 2s
crash leader as old
expect leader in all - old within 3s
isolate 2
run 300ms
heal
restart old
expect converged within 5s
run 1s
";

/// The scenario whose get, with the rule break, reads before the new
/// leader commits its no-op: a linearizability violation.
const STALE_READ: &str = "scenarios/reads_before_new_leader_commits.scn";

/// The JSON lines inside a picture, checked to be the page's only data.
fn data_of(page: &str) -> Vec<Value> {
    assert!(page.starts_with("<!DOCTYPE html>"), "an HTML page");
    assert_eq!(page.matches("id=\"trace-data\"").count(), 1);
    for outside in ["src=\"http", "href=\"http", "<link", "@import"] {
        assert!(!page.contains(outside), "the page loads {outside}");
    }
    let start = page.find("id=\"trace-data\"").expect("the data");
    let start = page[start..].find('>').expect("its tag ends") + start + 1;
    let end = page[start..].find("</script>").expect("its end") + start;
    page[start..end]
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad line {l}: {e}")))
        .collect()
}

fn kinds<'a>(data: &'a [Value], kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    data.iter().filter(move |r| r["kind"] == kind)
}

fn write_story(name: &str, text: &str) -> TempFile {
    let file = TempFile::new(name);
    std::fs::write(&file.0, text).expect("write the scenario");
    file
}

#[test]
fn a_scenario_picture_holds_lanes_marks_arrows_and_operations() {
    let story = write_story("crash.scn", CRASH_STORY);
    let html = TempFile::new("crash.html");
    let trace = TempFile::new("crash.jsonl");
    let output = raftsim(&[
        "scenario",
        story.arg(),
        "--html",
        html.arg(),
        "--trace",
        trace.arg(),
    ]);
    assert_exit(&output, 0);
    let page = std::fs::read_to_string(&html.0).expect("the picture");
    let data = data_of(&page);
    // The same JSON lines as --trace.
    let traced = std::fs::read_to_string(&trace.0).expect("the trace");
    assert_eq!(data, common::json_lines(&traced));
    assert_eq!(data[0]["kind"], "header");
    assert_eq!(data.last().expect("lines")["kind"], "end");
    assert_eq!(data.last().expect("lines")["result"], "pass");
    // A lane per node: each node's state recorded, a leader among them.
    let nodes: std::collections::BTreeSet<u64> = kinds(&data, "node")
        .map(|r| r["node"].as_u64().expect("a node id"))
        .collect();
    assert_eq!(nodes, [1, 2, 3].into());
    assert!(kinds(&data, "node").any(|r| r["role"] == "leader"));
    assert!(kinds(&data, "node").any(|r| r["process"] == "down"));
    assert!(kinds(&data, "node").any(|r| r["syncing"] == true));
    // Marks: the crash, the restart, the partition and its heal.
    for kind in ["crash", "restart", "block", "heal"] {
        assert!(kinds(&data, kind).next().is_some(), "no {kind} record");
    }
    // Arrows: every delivery's packet was sent, earlier, between the same
    // peers.
    let mut sent = std::collections::HashMap::new();
    for send in kinds(&data, "send") {
        for id in send["packets"].as_array().expect("packets") {
            sent.insert(id.as_u64().expect("an id"), send);
        }
    }
    let mut delivered = 0;
    for deliver in kinds(&data, "deliver") {
        let send = sent[&deliver["packet"].as_u64().expect("a packet id")];
        assert!(send["time_ns"].as_u64() <= deliver["time_ns"].as_u64());
        assert_eq!(
            (&send["from"], &send["to"]),
            (&deliver["from"], &deliver["to"])
        );
        delivered += 1;
    }
    assert!(delivered > 100, "{delivered} deliveries");
    assert!(
        kinds(&data, "send").any(|s| s["fate"] == "cut"),
        "the partition cut no message"
    );
    // The clients' operations: each invoked, each ended or listed at the end.
    let invoked = kinds(&data, "invoke").count();
    assert!(invoked > 10, "{invoked} operations");
    assert_eq!(kinds(&data, "op").count(), invoked);
}

/// The picture of the stale-read scenario run with its rule break (exit 1:
/// the violation), written to a temp file named `name`.
fn stale_read_picture(name: &str) -> TempFile {
    let html = TempFile::new(name);
    let output = raftsim(&[
        "scenario",
        STALE_READ,
        "--break",
        "read-before-own-term-commit",
        "--html",
        html.arg(),
    ]);
    assert_exit(&output, 1);
    html
}

#[test]
fn a_violation_names_its_nodes_and_the_operations_it_rejects() {
    let html = stale_read_picture("stale.html");
    let data = data_of(&std::fs::read_to_string(&html.0).expect("the picture"));
    let end = data.last().expect("lines");
    assert_eq!(end["result"], "violation");
    assert_eq!(end["invariant"], "linearizability");
    let rejected: Vec<u64> = end["rejected_ops"]
        .as_array()
        .expect("rejected operations")
        .iter()
        .map(|p| p.as_u64().expect("a position"))
        .collect();
    // The get that read stale comes first; its op record says what it read.
    let stuck = kinds(&data, "op")
        .find(|op| op["position"].as_u64() == Some(rejected[0]))
        .expect("the rejected operation's record");
    assert!(
        stuck["op"].as_str().expect("an op").starts_with("get"),
        "{stuck}"
    );
    assert_eq!(stuck["read"], serde_json::json!([]));
}

#[test]
fn a_failing_seed_picture_marks_its_violation_and_nodes() {
    let html = TempFile::new("seed.html");
    let args = ["--seed", "2", "--duration", "2s", "--break", "skip-fsync"];
    let mut with_html = args.to_vec();
    with_html.extend(["--html", html.arg()]);
    assert_exit(&raftsim(&with_html), 1);
    let data = data_of(&std::fs::read_to_string(&html.0).expect("the picture"));
    let header = &data[0];
    assert_eq!(header["source"], "run");
    assert_eq!(header["plan"]["seed"], 2);
    let end = data.last().expect("lines");
    assert_eq!(end["result"], "violation");
    assert_eq!(end["invariant"], "persist-before-send");
    // A lane for every node of the plan, and the blamed nodes among them.
    let lanes: std::collections::BTreeSet<u64> = kinds(&data, "node")
        .map(|r| r["node"].as_u64().expect("a node id"))
        .collect();
    let voters = header["plan"]["cluster"]["nodes"].as_u64().expect("nodes");
    assert!((1..=voters).all(|n| lanes.contains(&n)), "{lanes:?}");
    for node in end["nodes"].as_array().expect("nodes") {
        assert!(lanes.contains(&node.as_u64().expect("an id")), "{node}");
    }
}

#[test]
fn check_and_shrink_draw_what_they_found() {
    let scn = TempFile::new("found.scn");
    let html = TempFile::new("found.html");
    let mut check = vec!["check", "--max-proposals", "0", "--max-drops", "0"];
    check.extend(["--max-crashes", "0", "--max-dups", "0", "--max-depth", "14"]);
    check.extend(["--break", "vote-without-log-check"]);
    let shrink = [
        "shrink",
        "--seed",
        "2",
        "--duration",
        "2s",
        "--break",
        "skip-fsync",
    ];
    for (command, invariant) in [
        (&check[..], "leader-completeness"),
        (&shrink[..], "persist-before-send"),
    ] {
        let mut args = command.to_vec();
        args.extend(["-o", scn.arg(), "--html", html.arg()]);
        let output = raftsim(&args);
        assert!(output.status.code().is_some_and(|c| c <= 1), "{args:?}");
        let data = data_of(&std::fs::read_to_string(&html.0).expect("the picture"));
        assert_eq!(data[0]["source"], "scenario");
        let end = data.last().expect("lines");
        assert_eq!(end["result"], "violation", "{args:?}: {end}");
        assert_eq!(end["invariant"], invariant, "{args:?}");
        assert!(!end["nodes"].as_array().expect("nodes").is_empty());
        std::fs::remove_file(&html.0).expect("the picture was written");
    }
}

/// The browser, or why not.
fn browser_or_skip() -> Option<browser::Browser> {
    if !Path::new(browser::CHROMIUM).exists() {
        println!(
            "SKIPPED: {} is not installed (`apt-get install chromium`; .ci/run installs it)",
            browser::CHROMIUM
        );
        return None;
    }
    let profile = std::env::temp_dir().join(format!("raftsim-chromium-{}", std::process::id()));
    match browser::Browser::start(&profile, 1400, 800) {
        Ok(browser) => Some(browser),
        Err(why) => panic!("Chromium is installed but could not be driven: {why}"),
    }
}

#[test]
fn the_picture_works_in_a_real_browser() {
    let Some(mut browser) = browser_or_skip() else {
        return;
    };
    let story = write_story("browser.scn", CRASH_STORY);
    let html = TempFile::new("browser.html");
    assert_exit(
        &raftsim(&["scenario", story.arg(), "--html", html.arg()]),
        0,
    );
    browser.open(&html.0).expect("the page loads");
    let lanes = browser
        .eval("raftsimPicture.lanes")
        .expect("the viewer ran");
    assert_eq!(
        lanes,
        serde_json::json!(["net", "n1", "n2", "n3", "c1", "c2"])
    );
    // Click the crash mark: its record appears in the details.
    let crash = browser
        .eval("raftsimPicture.find('crash')[0]")
        .expect("a crash mark");
    let (x, y) = (
        crash["x"].as_f64().expect("x"),
        crash["y"].as_f64().expect("y"),
    );
    browser.click(x, y).expect("a click");
    let details = browser
        .eval("document.getElementById('details').textContent")
        .expect("the details");
    let details = details.as_str().expect("text");
    assert!(details.starts_with("crash at "), "{details}");
    assert!(details.contains("\"kind\": \"crash\""), "{details}");
    // Zoomed in, messages are arrows one can click.
    browser
        .eval("raftsimPicture.setView(0, 30000000)")
        .expect("zoom");
    let arrows = browser
        .eval("raftsimPicture.find('message').length")
        .expect("arrows");
    assert!(arrows.as_u64() > Some(0), "no arrows in the first 30 ms");
    let shot = browser.screenshot_base64().expect("a screenshot");
    let png = base64::engine::general_purpose::STANDARD
        .decode(shot)
        .expect("base64");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    assert!(browser.errors.is_empty(), "errors: {:?}", browser.errors);
}

#[test]
fn a_violation_picture_has_no_errors_and_shows_the_rejected_read() {
    let Some(mut browser) = browser_or_skip() else {
        return;
    };
    let html = stale_read_picture("browser-stale.html");
    browser.open(&html.0).expect("the page loads");
    let verdict = browser
        .eval("document.getElementById('verdict').textContent")
        .expect("the verdict");
    assert_eq!(verdict, "violation (linearizability)");
    let counts = browser.eval("raftsimPicture.counts()").expect("counts");
    assert_eq!(counts["violation"], 1, "{counts}");
    assert_eq!(counts["rejected-op"], 2, "{counts}");
    let read = browser
        .eval("raftsimPicture.find('rejected-op').find((h) => h.title.includes('no order'))")
        .expect("the read");
    browser
        .click(
            read["x"].as_f64().expect("x"),
            read["y"].as_f64().expect("y"),
        )
        .expect("a click");
    let details = browser
        .eval("document.getElementById('details').textContent")
        .expect("the details");
    assert!(
        details
            .as_str()
            .is_some_and(|d| d.contains("no order of the operations fits it")),
        "{details}"
    );
    if let Ok(path) = std::env::var("RAFTSIM_SCREENSHOT") {
        let shot = browser.screenshot_base64().expect("a screenshot");
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot)
            .expect("base64");
        std::fs::write(&path, png).expect("write the screenshot");
    }
    assert!(browser.errors.is_empty(), "errors: {:?}", browser.errors);
}

#[test]
fn bad_picture_arguments_are_usage_errors() {
    use common::assert_usage_error;
    assert_usage_error(
        &["--seed", "1", "--trace", "same.out", "--html", "same.out"],
        "must name different files",
    );
    assert_usage_error(
        &["--seed", "1", "--html", "/nonexistent-dir/run.html"],
        "cannot write the picture /nonexistent-dir/run.html",
    );
    assert_usage_error(
        &["scenario", "scenarios", "--html", "all.html"],
        "--html writes one run; give it one scenario file",
    );
    assert_usage_error(
        &["scenario", STALE_READ, "--html", STALE_READ],
        "would overwrite a scenario file being run",
    );
}
