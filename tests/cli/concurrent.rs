//! Several `labels add` processes writing one label set at the same time:
//! they take turns on the set's lock, so no row is lost, none doubled, and
//! the rows already there stay byte for byte, even when one writer is
//! killed in the middle.

use crate::util::{spawn, tempdir};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The first `rows` rows of the bundled label set, as a label set of its own.
fn label_set(dir: &Path, rows: usize) -> PathBuf {
    let bundled =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("data/labels.csv"))
            .unwrap();
    let mut r = csv::Reader::from_reader(bundled.as_bytes());
    let headers = r.headers().unwrap().clone();
    let path = dir.join("labels.csv");
    let mut w = csv::Writer::from_path(&path).unwrap();
    w.write_record(&headers).unwrap();
    for record in r.records().take(rows) {
        w.write_record(&record.unwrap()).unwrap();
    }
    w.flush().unwrap();
    path
}

/// A file of new rows: `text` and `label`, each sentence `Writer {tag} row {i}.`
fn new_rows(dir: &Path, tag: &str, n: usize) -> PathBuf {
    let path = dir.join(format!("new-{tag}.csv"));
    let mut w = csv::Writer::from_path(&path).unwrap();
    w.write_record(["text", "label"]).unwrap();
    for i in 0..n {
        w.write_record([
            format!("Writer {tag} row {i} on talks with Moscow."),
            "neutral".into(),
        ])
        .unwrap();
    }
    w.flush().unwrap();
    path
}

fn add(new: &Path, into: &Path) -> Child {
    spawn(
        &[
            "labels",
            "add",
            new.to_str().unwrap(),
            "--into",
            into.to_str().unwrap(),
        ],
        &[],
    )
}

/// The texts of the label set's rows, after checking that it loads as a
/// label set and that it begins with `original`, byte for byte.
fn rows_after(set: &Path, original: &[u8]) -> Vec<String> {
    let bytes = std::fs::read(set).unwrap();
    assert!(
        bytes.starts_with(original),
        "the rows that were there are not kept byte for byte"
    );
    stance::labels::read(set, "label").expect("the label set loads");
    csv::Reader::from_reader(bytes.as_slice())
        .records()
        .map(|r| r.unwrap()[0].to_string())
        .collect()
}

fn count(texts: &[String], text: &str) -> usize {
    texts.iter().filter(|t| *t == text).count()
}

/// Fifty writers at once, each adding one distinct row, twenty times over:
/// every row is in the set exactly once afterwards.
#[test]
fn fifty_concurrent_label_adds_keep_every_row_exactly_once() {
    const WRITERS: usize = 50;
    const RUNS: usize = 20;
    let dir = tempdir();
    let set = label_set(dir.path(), 200);
    let news: Vec<PathBuf> = (0..WRITERS)
        .map(|w| new_rows(dir.path(), &w.to_string(), 1))
        .collect();
    let pristine = std::fs::read(&set).unwrap();
    let base = rows_after(&set, &pristine).len();
    for run in 0..RUNS {
        std::fs::write(&set, &pristine).unwrap();
        let children: Vec<Child> = news.iter().map(|n| add(n, &set)).collect();
        for mut c in children {
            let status = c.wait().unwrap();
            assert!(status.success(), "run {run}: a writer failed: {status}");
        }
        let texts = rows_after(&set, &pristine);
        assert_eq!(
            texts.len(),
            base + WRITERS,
            "run {run}: rows lost or doubled"
        );
        for w in 0..WRITERS {
            let text = format!("Writer {w} row 0 on talks with Moscow.");
            assert_eq!(count(&texts, &text), 1, "run {run}: writer {w}'s row");
        }
    }
}

/// One writer adding many rows is killed at a random moment while five
/// others add theirs: the five rows are there once each, the killed
/// writer's rows are all there or none, and the set loads.
#[test]
fn killing_one_writer_beside_concurrent_writers_loses_nothing_else() {
    use rand::{Rng, SeedableRng};
    const OTHERS: usize = 5;
    const BIG: usize = 20_000;
    const RUNS: usize = 20;
    let dir = tempdir();
    let set = label_set(dir.path(), 200);
    let big = new_rows(dir.path(), "big", BIG);
    let news: Vec<PathBuf> = (0..OTHERS)
        .map(|w| new_rows(dir.path(), &w.to_string(), 1))
        .collect();
    let pristine = std::fs::read(&set).unwrap();
    let base = rows_after(&set, &pristine).len();
    // How long the big writer takes alone, to spread the kills over it.
    let start = std::time::Instant::now();
    assert!(add(&big, &set).wait().unwrap().success());
    let full = start.elapsed();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(16);
    let (mut with_big, mut without_big) = (0, 0);
    for run in 0..RUNS {
        std::fs::write(&set, &pristine).unwrap();
        let mut victim = add(&big, &set);
        let others: Vec<Child> = news.iter().map(|n| add(n, &set)).collect();
        let u: f64 = rng.random();
        std::thread::sleep(full.mul_f64(u * 1.2));
        let _ = victim.kill();
        let _ = victim.wait();
        for mut c in others {
            assert!(c.wait().unwrap().success(), "run {run}: a writer failed");
        }
        let texts = rows_after(&set, &pristine);
        for w in 0..OTHERS {
            let text = format!("Writer {w} row 0 on talks with Moscow.");
            assert_eq!(count(&texts, &text), 1, "run {run}: writer {w}'s row");
        }
        let big_rows = texts
            .iter()
            .filter(|t| t.starts_with("Writer big "))
            .count();
        assert!(
            big_rows == 0 || big_rows == BIG,
            "run {run}: {big_rows} of the killed writer's {BIG} rows"
        );
        assert_eq!(texts.len(), base + OTHERS + big_rows, "run {run}");
        if big_rows == 0 {
            without_big += 1;
        } else {
            with_big += 1;
        }
    }
    eprintln!("{RUNS} kills: {without_big} before the big writer's rename, {with_big} after");
    assert!(
        without_big > 0,
        "no kill landed before the rename: nothing was tested"
    );
}

/// A writer that cannot get the lock within --wait gives up, says why, and
/// writes nothing; the held lock is the set's `.lock` sibling.
#[test]
fn a_writer_gives_up_after_wait_and_writes_nothing() {
    let dir = tempdir();
    let set = label_set(dir.path(), 20);
    let new = new_rows(dir.path(), "late", 1);
    let before = std::fs::read(&set).unwrap();
    // Hold the lock from this test process, as another writer would.
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(stance::labels::lock_path(&set))
        .unwrap();
    lock.lock().unwrap();
    let out = Command::new(assert_cmd::cargo::cargo_bin("stance"))
        .args([
            "labels",
            "add",
            new.to_str().unwrap(),
            "--into",
            set.to_str().unwrap(),
            "--wait",
            "2",
        ])
        .stdout(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("waiting for another writer"), "{stderr}");
    assert!(
        stderr.contains("labels.csv.lock") && stderr.contains("--wait"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(std::fs::read(&set).unwrap(), before);
    // Released, the same command goes through.
    lock.unlock().unwrap();
    let status = add(&new, &set).wait().unwrap();
    assert!(status.success());
    assert_eq!(
        count(
            &rows_after(&set, &before),
            "Writer late row 0 on talks with Moscow."
        ),
        1
    );
}
