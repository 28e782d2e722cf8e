//! How long a large run's picture takes to open: seed 7 with 5 nodes and 4
//! clients for 60 simulated seconds (50 s of faults, 10 s healed), its page
//! opened in headless Chromium 3 times. Quoted: the page's size, the median
//! wall time from navigation to the load event (parsing the data and the
//! first drawing happen before it), and the viewer's own time to its first
//! picture as the page measures it. Skips, saying why, without Chromium.
//!
//! `cargo bench --bench picture_open`

// The browser test's driver; this bench uses only part of it.
#[allow(dead_code)]
#[path = "../tests/picture/browser.rs"]
mod browser;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

const ROUNDS: usize = 3;

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    if !Path::new(browser::CHROMIUM).exists() {
        println!(
            "picture_open: SKIPPED, {} is not installed",
            browser::CHROMIUM
        );
        return;
    }
    let dir = std::env::temp_dir().join(format!("raftsim-picture-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let page = dir.join("seed7.html");
    let args = [
        "--seed",
        "7",
        "--nodes",
        "5",
        "--clients",
        "4",
        "--duration",
        "50s",
    ];
    let status = Command::new(env!("CARGO_BIN_EXE_raftsim"))
        .args(args)
        .args(["--heal", "10s", "--html", page.to_str().expect("UTF-8")])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("raftsim runs");
    assert!(status.code().is_some_and(|c| c <= 1), "{status}");
    let bytes = std::fs::metadata(&page).expect("the page").len();
    let (mut loads, mut drawn, mut parse) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let profile = dir.join(format!("profile-{round}"));
        let mut chromium = browser::Browser::start(&profile, 1400, 800).expect("Chromium");
        let started = Instant::now();
        chromium.open(&page).expect("the page loads");
        loads.push(started.elapsed().as_secs_f64());
        let ready = chromium
            .eval("raftsimPicture.readyMs")
            .expect("the viewer ran");
        drawn.push(ready.as_f64().expect("a time"));
        let parsed = chromium
            .eval("raftsimPicture.timing.parsedMs")
            .expect("the viewer ran");
        parse.push(parsed.as_f64().expect("a time"));
        println!(
            "{}",
            chromium
                .eval("JSON.stringify(raftsimPicture.timing)")
                .expect("timing")
        );
        assert!(chromium.errors.is_empty(), "{:?}", chromium.errors);
    }
    println!(
        "picture_open: seed 7, 5 nodes, 60 simulated s: page {:.1} MB; open to load event {:.2} s (median of {ROUNDS}); viewer ready {:.0} ms after navigation, of which parsing the data {:.0} ms",
        bytes as f64 / 1e6,
        median(loads),
        median(drawn),
        median(parse),
    );
    let _ = std::fs::remove_dir_all(&dir);
}
