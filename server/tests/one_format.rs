//! One format: a data directory that followed a simulated node holds its
//! files byte for byte, and a node booted from the directory is the node
//! the simulator boots from its own disk. A directory that is not ours is
//! refused and left untouched.

use std::path::PathBuf;

use raft_core::NodeId;
use server::{DataDir, DataDirError};
use sim::disk::{Disk, FileRecords};
use sim::host::{Host, Outbox};
use sim::world::{ClusterSpec, World};

/// A fresh directory under the system's temporary directory.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let path =
            std::env::temp_dir().join(format!("raftsim-data-dir-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Boots a copy of `host` from `disk` after a power loss that keeps every
/// record: the node as recovery rebuilds it.
fn booted(host: &Host, disk: Disk) -> Host {
    let mut copy = host.clone();
    copy.crash_keeping(FileRecords {
        meta: usize::MAX,
        log: usize::MAX,
    });
    copy.disk = disk;
    copy.boot(&mut Outbox::default());
    copy
}

fn summary(host: &Host) -> String {
    let node = host.node().expect("booted");
    let log = node.log();
    format!(
        "term {:?} vote {:?} commit {:?} snapshot {:?} entries {:?} state {:?}",
        node.term(),
        node.vote(),
        log.committed(),
        log.snapshot(),
        log.entries(),
        host.kv().digest()
    )
}

#[test]
fn a_directory_follows_a_simulated_node_byte_for_byte_and_boots_it() {
    let dir = TempDir::new("follow");
    let spec = ClusterSpec {
        clients: 4,
        snapshot_every_entries: Some(5),
        ..ClusterSpec::default()
    };
    let mut world = World::new(spec, 11);
    let mut data = DataDir::open(&dir.0, NodeId(1)).expect("a fresh directory");
    let (mut rewrites_seen, mut steps) = (0, 0);
    let mut compactions = 0;
    while world.now_ns < 3_000_000_000 {
        world.step().expect("a healthy cluster");
        data.follow(&world.hosts[0].disk).expect("written");
        // The real files hold the page cache's bytes after every step.
        let model = &world.hosts[0].disk;
        for (name, file) in [
            ("meta", &model.meta),
            ("log", &model.log),
            ("snapshot", &model.snapshot),
        ] {
            let real = std::fs::read(dir.0.join(name)).unwrap_or_default();
            assert_eq!(real, file.bytes(), "{name} after step {steps}");
        }
        data.sync().expect("synced");
        steps += 1;
        if world.hosts[0].compactions > compactions {
            compactions = world.hosts[0].compactions;
            rewrites_seen += 1;
        }
    }
    assert!(
        steps > 1000 && rewrites_seen > 3,
        "{steps} steps, {rewrites_seen} compactions"
    );
    let host = &world.hosts[0];
    // Reopened, the directory holds the page cache's bytes.
    let reopened = DataDir::open(&dir.0, NodeId(1)).expect("ours").disk();
    assert_eq!(reopened.meta.bytes(), host.disk.meta.bytes());
    assert_eq!(reopened.log.bytes(), host.disk.log.bytes());
    assert_eq!(reopened.snapshot.bytes(), host.disk.snapshot.bytes());
    assert!(
        !reopened.snapshot.bytes().is_empty(),
        "a snapshot was taken"
    );
    // And the node booted from it is the node booted from the model.
    let from_model = booted(host, host.disk.clone());
    let from_dir = booted(host, reopened);
    assert!(from_model.boot_error.is_none() && from_dir.boot_error.is_none());
    assert_eq!(summary(&from_dir), summary(&from_model));
    assert!(
        from_dir.node().expect("booted").log().committed().0 > 20,
        "{}",
        summary(&from_dir)
    );
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(&dir.0)
        .expect("listed")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".writing")), "{names:?}");
}

#[test]
fn a_directory_that_is_not_ours_is_refused_and_left_untouched() {
    let foreign = TempDir::new("foreign");
    std::fs::create_dir_all(&foreign.0).expect("created");
    std::fs::write(foreign.0.join("CURRENT"), b"MANIFEST-000001\n").expect("written");
    let err = DataDir::open(&foreign.0, NodeId(1)).expect_err("refused");
    assert!(matches!(err, DataDirError::Foreign(_)), "{err}");
    assert!(
        err.to_string().contains("not a raftsim data directory"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(foreign.0.join("CURRENT")).expect("still there"),
        b"MANIFEST-000001\n"
    );
    assert!(!foreign.0.join(server::data_dir::MANIFEST).exists());

    let other = TempDir::new("other-node");
    DataDir::open(&other.0, NodeId(2)).expect("created for node 2");
    let err = DataDir::open(&other.0, NodeId(1)).expect_err("node 1 is not node 2");
    assert!(err.to_string().contains("for node 2"), "{err}");

    let corrupt = TempDir::new("corrupt");
    DataDir::open(&corrupt.0, NodeId(1)).expect("created");
    std::fs::write(corrupt.0.join(server::data_dir::MANIFEST), b"{ not json").expect("written");
    let err = DataDir::open(&corrupt.0, NodeId(1)).expect_err("unreadable manifest");
    assert!(err.to_string().contains("unreadable"), "{err}");
}

#[test]
fn appends_are_appended_and_other_changes_replace_the_file() {
    let dir = TempDir::new("appends");
    let mut data = DataDir::open(&dir.0, NodeId(1)).expect("fresh");
    let mut disk = Disk::default();
    disk.log.append_record(b"one");
    disk.log.append_record(b"two");
    data.follow(&disk).expect("appended");
    let log = dir.0.join("log");
    let written = std::fs::read(&log).expect("the log");
    assert_eq!(written, disk.log.bytes());
    disk.log.append_record(b"three");
    data.follow(&disk).expect("appended");
    data.sync().expect("synced");
    let grown = std::fs::read(&log).expect("the log");
    assert!(grown.starts_with(&written) && grown.len() > written.len());
    // Dropping durable records is not an append: the file is replaced.
    disk.log.synced_to(disk.log.len());
    disk.log.drop_durable_records(|payload| payload == b"one");
    data.follow(&disk).expect("replaced");
    assert_eq!(std::fs::read(&log).expect("the log"), disk.log.bytes());
    let records: Vec<Vec<u8>> = DataDir::open(&dir.0, NodeId(1))
        .expect("ours")
        .disk()
        .log
        .recover_records();
    assert_eq!(records, vec![b"two".to_vec(), b"three".to_vec()]);
}

#[test]
fn a_damaged_record_is_refused_untouched_and_a_torn_tail_is_not() {
    let dir = TempDir::new("damaged");
    let mut data = DataDir::open(&dir.0, NodeId(1)).expect("fresh");
    let mut disk = Disk::default();
    for record in [b"one", b"two", b"six"] {
        disk.log.append_record(record);
    }
    data.follow(&disk).expect("appended");
    data.sync().expect("synced");
    drop(data);
    let log = dir.0.join("log");
    let whole = std::fs::read(&log).expect("the log");

    // A write cut short by a crash: recovery cuts it, as in the simulator.
    std::fs::write(&log, &whole[..whole.len() - 2]).expect("torn");
    let disk = DataDir::open(&dir.0, NodeId(1))
        .expect("a torn tail is a crash's")
        .disk();
    assert_eq!(
        disk.log.clone().recover_records(),
        vec![b"one".to_vec(), b"two".to_vec()]
    );

    // A bit flipped in the middle record: refused, the file left as it is.
    let mut damaged = whole.clone();
    damaged[11 + 8 + 1] ^= 0x40;
    std::fs::write(&log, &damaged).expect("damaged");
    let err = DataDir::open(&dir.0, NodeId(1)).expect_err("damage is refused");
    assert!(matches!(err, DataDirError::Corrupt(_, 11)), "{err}");
    assert!(
        err.to_string()
            .contains("byte 11 is whole but fails its CRC"),
        "{err}"
    );
    assert_eq!(std::fs::read(&log).expect("the log"), damaged);
}

#[test]
fn boots_are_counted_durably_and_a_garbled_count_is_refused() {
    let dir = TempDir::new("boots");
    for expected in 1..=3 {
        let mut data = DataDir::open(&dir.0, NodeId(1)).expect("opens");
        assert_eq!(data.count_boot().expect("counted"), expected);
    }
    std::fs::write(dir.0.join("boots"), b"three\n").expect("written");
    let mut data = DataDir::open(&dir.0, NodeId(1)).expect("opens");
    let err = data.count_boot().expect_err("not a number");
    assert!(err.to_string().contains("not a boot count"), "{err}");
    assert_eq!(
        std::fs::read(dir.0.join("boots")).expect("still there"),
        b"three\n",
        "left as found"
    );
}

/// A file that exists but cannot be read is an error to report, never a
/// file to start afresh (only a missing file is new).
#[test]
fn an_unreadable_file_is_an_error_not_an_empty_one() {
    for name in [server::data_dir::MANIFEST, "log", "boots"] {
        let dir = TempDir::new(&format!("unreadable-{name}"));
        DataDir::open(&dir.0, NodeId(1)).expect("created");
        let path = dir.0.join(name);
        let _ = std::fs::remove_file(&path);
        std::fs::create_dir(&path).expect("a directory where a file belongs");
        let err = DataDir::open(&dir.0, NodeId(1)).and_then(|mut d| d.count_boot().map(|_| d));
        let err = err.expect_err("refused");
        assert!(matches!(err, DataDirError::Io(..)), "{name}: {err}");
        assert!(err.to_string().contains(name), "{name}: {err}");
        assert!(path.is_dir(), "{name}: left as found");
    }
}
