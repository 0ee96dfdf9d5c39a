//! The retraining loop end to end — train, suggest, label, add, retrain,
//! compare — and interruption at any moment losing nothing.

use crate::util::*;
use std::collections::HashSet;
use std::path::Path;

/// Fast training settings: the loop is under test here, not the search.
const FAST: &[&str] = &[
    "--alpha",
    "0.3",
    "--ngram-max",
    "1",
    "--min-df",
    "1",
    "--folds",
    "3",
];

fn train(labels: &Path, out: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "train",
        "--labels",
        labels.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--force",
    ];
    args.extend_from_slice(FAST);
    args.extend_from_slice(extra);
    stance(&args).assert_ok()
}

fn normalized(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(['’', '‘'], "'")
        .replace(['“', '”'], "\"")
}

#[test]
fn the_loop_adds_every_label_once_and_loses_none() {
    let dir = tempdir();
    let gold = read_csv(small_labels());
    let held_back = ["003_139156a821428acc", "004_4314468864023e90"];
    // Start from every row except the seed sentences of two articles.
    let labels = dir.path().join("labels.csv");
    let mut w = csv::Writer::from_path(&labels).unwrap();
    w.write_record(["text", "label", "tone", "article", "outlet", "source"])
        .unwrap();
    let start: Vec<&Vec<String>> = gold
        .iter()
        .filter(|r| !held_back.contains(&r[3].as_str()))
        .collect();
    for r in &start {
        w.write_record(*r).unwrap();
    }
    w.flush().unwrap();
    drop(w);
    let before = std::fs::read(&labels).unwrap();

    let old = dir.path().join("old.json");
    train(&labels, &old, &[]);

    // Suggest: only sentences not yet labeled, i.e. from the held-back articles.
    let todo = dir.path().join("todo.csv");
    let err = stance(&[
        "suggest",
        "data/articles",
        "--model",
        old.to_str().unwrap(),
        "--labels",
        labels.to_str().unwrap(),
        "--n",
        "15",
        "--out",
        todo.to_str().unwrap(),
    ])
    .assert_ok_stderr();
    assert!(err.contains("wrote 15 sentence(s)"), "{err}");
    let mut reader = csv::Reader::from_path(&todo).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "text",
            "article",
            "outlet",
            "predicted",
            "p_conciliatory",
            "p_hawkish",
            "p_neutral",
            "label"
        ]
    );
    let suggested: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(suggested.len(), 15);
    for s in &suggested {
        assert!(
            held_back.contains(&&s[1]),
            "suggested an already labeled sentence: {}",
            &s[0]
        );
        assert_eq!(&s[7], "", "the label column starts empty");
    }
    // Least sure first: margins between the top two probabilities ascend.
    let margins: Vec<f64> = suggested
        .iter()
        .map(|s| {
            let mut p: Vec<f64> = (4..7).map(|i| s[i].parse().unwrap()).collect();
            p.sort_by(|a, b| b.total_cmp(a));
            p[0] - p[1]
        })
        .collect();
    assert!(
        margins.windows(2).all(|w| w[0] <= w[1] + 1e-4),
        "{margins:?}"
    );

    // A person labels them (here: the gold labels); one row is left blank.
    let mut w = csv::Writer::from_path(&todo).unwrap();
    w.write_record(&header).unwrap();
    for (i, s) in suggested.iter().enumerate() {
        let label = if i == 0 {
            String::new()
        } else {
            gold.iter().find(|g| g[0] == s[0]).unwrap()[1].clone()
        };
        let mut row: Vec<String> = s.iter().map(String::from).collect();
        row[7] = label;
        w.write_record(&row).unwrap();
    }
    w.flush().unwrap();
    drop(w);

    let out = stance(&[
        "labels",
        "add",
        todo.to_str().unwrap(),
        "--into",
        labels.to_str().unwrap(),
    ])
    .assert_ok();
    assert!(
        out.contains("added 14 row(s)") && out.contains("skipped 1 without a label"),
        "{out}"
    );
    // Adding the same file again adds nothing.
    let out = stance(&[
        "labels",
        "add",
        todo.to_str().unwrap(),
        "--into",
        labels.to_str().unwrap(),
    ])
    .assert_ok();
    assert!(
        out.contains("added 0 row(s)") && out.contains("14 already present"),
        "{out}"
    );

    let after = std::fs::read(&labels).unwrap();
    assert!(
        after.starts_with(&before),
        "existing rows are kept byte for byte"
    );
    let rows = read_csv(labels.to_str().unwrap());
    assert_eq!(rows.len(), start.len() + 14, "no row lost, none duplicated");
    let unique: HashSet<String> = rows.iter().map(|r| normalized(&r[0])).collect();
    assert_eq!(unique.len(), rows.len());
    for s in suggested.iter().skip(1) {
        let row = rows.iter().find(|r| r[0] == s[0]).unwrap();
        assert_eq!(row[3], s[1], "article kept");
        assert_eq!(row[5], "added", "source filled in");
    }

    // Retrain and compare with the old model.
    let new = dir.path().join("new.json");
    let out = train(
        &labels,
        &new,
        &[
            "--compare",
            old.to_str().unwrap(),
            "--articles",
            "data/articles",
        ],
    );
    assert!(
        out.contains(&format!(
            "on the {} of {} sentences it was trained on",
            start.len(),
            rows.len()
        )),
        "{out}"
    );
    assert!(
        out.contains("macro-F1") && out.contains("dominant label changed in"),
        "{out}"
    );
    assert!(out.contains("(5 articles)"), "{out}");
    let card = std::fs::read_to_string(dir.path().join("new.md")).unwrap();
    assert!(
        card.contains("## Training data")
            && card.contains("What it has learned")
            && card.contains("stance train --labels")
    );
    assert!(
        card.contains(&format!("| {} |", rows.len())),
        "row count in the card"
    );
}

#[test]
fn labels_add_lists_every_bad_row_and_writes_nothing() {
    let dir = tempdir();
    let labels = dir.path().join("labels.csv");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/labels.csv"),
        &labels,
    )
    .unwrap();
    let before = std::fs::read(&labels).unwrap();
    let new = dir.path().join("new.csv");
    std::fs::write(&new, "text,label\nFresh sentence one.,hawkish\nAnother.,bellicose\n,neutral\n\"The meeting will include foreign ministers from Turkey, Qatar, Saudi Arabia and Iran.\",hawkish\n").unwrap();
    let err = stance(&[
        "labels",
        "add",
        new.to_str().unwrap(),
        "--into",
        labels.to_str().unwrap(),
    ])
    .assert_fails();
    assert!(
        err.contains("new.csv:3: unknown label \"bellicose\""),
        "{err}"
    );
    assert!(err.contains("new.csv:4: empty text"), "{err}");
    assert!(
        err.contains("new.csv:5:") && err.contains("labeled 'hawkish' here but 'neutral'"),
        "{err}"
    );
    assert!(
        err.contains("3 bad row(s)") && err.contains("nothing was added"),
        "{err}"
    );
    assert_eq!(std::fs::read(&labels).unwrap(), before);
}

#[test]
fn labels_stats_counts_by_label_and_source() {
    let out = stance(&["labels", "stats"]).assert_ok();
    // The counts, recomputed from the file.
    let rows = read_csv("data/labels.csv");
    let n = rows.len();
    assert!(out.contains(&format!("{n} rows, {n} labeled")), "{out}");
    let count = |source: &str| {
        rows.iter()
            .filter(|r| r[1] == "hawkish" && r[5] == source)
            .count()
            .to_string()
    };
    let hawkish = out.lines().find(|l| l.starts_with("hawkish")).unwrap();
    let numbers: Vec<&str> = hawkish.split_whitespace().skip(1).collect();
    let total = rows
        .iter()
        .filter(|r| r[1] == "hawkish")
        .count()
        .to_string();
    assert_eq!(
        numbers,
        [count("article"), count("authored"), count("seed"), total],
        "{out}"
    );
}

const FIXED_TIME: &str = "1476230400";

/// The shortest training there is: fixed settings without cross-validation,
/// the stance head only, on the first 200 rows of `data/labels.csv` (about
/// a tenth of a second), so that many interrupted runs stay fast.
const QUICK: &[&str] = &[
    "--no-cv",
    "--task",
    "stance",
    "--alpha",
    "0.3",
    "--ngram-max",
    "1",
    "--min-df",
    "1",
];

/// How a run is stopped.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Stop {
    /// SIGKILL: nothing can be cleaned up; only the rename protects the file.
    Kill,
    /// SIGINT (Ctrl-C): the run removes its temporary files and exits with 130.
    Interrupt,
}

fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect()
}

/// Stop `stance` at `runs` random moments of its run (seeded; spread over
/// the whole run and denser near its end, where the write happens);
/// afterwards the file it would replace must be either untouched or
/// completely replaced, and loadable.
fn stop_at_many_moments(
    args: &[&str],
    guarded: &Path,
    valid: impl Fn(&[u8]) -> bool,
    runs: usize,
    stop: Stop,
    seed: u64,
) {
    use rand::{Rng, SeedableRng};
    let dir = guarded.parent().unwrap();
    let original = std::fs::read(guarded).unwrap();
    // A fixed creation time, so that every complete run writes the same bytes.
    let start = std::time::Instant::now();
    stance(args)
        .env("SOURCE_DATE_EPOCH", FIXED_TIME)
        .assert_ok();
    let full_run = start.elapsed();
    let replaced = std::fs::read(guarded).unwrap();
    assert_ne!(original, replaced, "a complete run must change the file");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut untouched = 0;
    for i in 0..runs {
        std::fs::write(guarded, &original).unwrap();
        for leftover in temp_files(dir) {
            // SIGKILL leaves them: nothing can remove them then.
            std::fs::remove_file(dir.join(leftover)).unwrap();
        }
        // u uniform in [0, 1): 1 - u² is denser near 1, the end of the run.
        let u: f64 = rng.random();
        let delay = full_run.mul_f64((1.0 - u * u) * 1.1);
        let mut child = spawn(args, &[("SOURCE_DATE_EPOCH", FIXED_TIME)]);
        std::thread::sleep(delay);
        match stop {
            Stop::Kill => {
                let _ = child.kill();
            }
            Stop::Interrupt => {
                let _ = std::process::Command::new("kill")
                    .args(["-s", "INT", &child.id().to_string()])
                    .status();
            }
        }
        let status = child.wait().unwrap();
        let now = std::fs::read(guarded).unwrap();
        assert!(
            now == original || now == replaced,
            "{stop:?} {i} after {delay:?} left a damaged file"
        );
        assert!(valid(&now), "{stop:?} {i}: file does not load");
        if stop == Stop::Interrupt {
            use std::os::unix::process::ExitStatusExt;
            match status.code() {
                // Interrupted: the handler ran.
                Some(130) => {}
                // Finished before the signal.
                Some(0) => assert!(now == replaced, "{i}: exit 0 without the new file"),
                // Killed by the signal before the handler was installed.
                None => assert_eq!(status.signal(), Some(2), "{i}"),
                Some(code) => panic!("{i}: interrupted run exited with {code}"),
            }
            assert_eq!(temp_files(dir), Vec::<String>::new(), "{i} after {delay:?}");
        }
        if now == original {
            untouched += 1;
        }
    }
    eprintln!(
        "{stop:?} at {runs} moments of a {full_run:?} run: {untouched} left the old file, {} the new one",
        runs - untouched
    );
    assert!(
        untouched > 0,
        "no stop landed before the rename; the test did not test anything"
    );
}

/// A model trained with [`QUICK`] settings, and the arguments that train it.
fn trained_model(dir: &Path) -> (std::path::PathBuf, Vec<String>) {
    let labels = dir.join("labels.csv");
    let mut w = csv::Writer::from_path(&labels).unwrap();
    w.write_record(["text", "label"]).unwrap();
    for r in read_csv("data/labels.csv").iter().take(200) {
        w.write_record([&r[0], &r[1]]).unwrap();
    }
    w.flush().unwrap();
    let model = dir.join("m.json");
    let mut args: Vec<String> = [
        "train",
        "--labels",
        labels.to_str().unwrap(),
        "--out",
        model.to_str().unwrap(),
        "--force",
    ]
    .map(String::from)
    .to_vec();
    args.extend(QUICK.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    stance(&refs).assert_ok();
    (model, args)
}

fn model_loads(bytes: &[u8]) -> bool {
    stance::model::store::from_bytes(bytes, Path::new("m.json")).is_ok()
}

#[test]
fn killing_train_never_damages_the_previous_model() {
    let dir = tempdir();
    let (model, args) = trained_model(dir.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    stop_at_many_moments(&args, &model, model_loads, 100, Stop::Kill, 1);
}

#[test]
fn interrupting_train_never_damages_the_previous_model_nor_leaves_temporary_files() {
    let dir = tempdir();
    let (model, args) = trained_model(dir.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    stop_at_many_moments(&args, &model, model_loads, 30, Stop::Interrupt, 2);
}

/// Rows added by the `labels add` runs: enough for a run of a few tenths of
/// a second.
const ADDED: usize = 20_000;

/// A label file and a large file of new rows to add to it, so that `labels
/// add` runs long enough to be stopped.
fn labels_to_add(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let labels = dir.join("labels.csv");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/labels.csv"),
        &labels,
    )
    .unwrap();
    let new = dir.join("new.csv");
    let mut w = csv::Writer::from_path(&new).unwrap();
    w.write_record(["text", "label"]).unwrap();
    for i in 0..ADDED {
        w.write_record([
            format!("Generated sentence number {i} about talks with Moscow."),
            "neutral".to_string(),
        ])
        .unwrap();
    }
    w.flush().unwrap();
    (labels, new)
}

fn rows(bytes: &[u8]) -> usize {
    csv::Reader::from_reader(bytes)
        .records()
        .filter(|r| r.is_ok())
        .count()
}

/// The label file holds its rows before the run, or those and every added row.
fn rows_ok(labels: &Path) -> impl Fn(&[u8]) -> bool {
    let before = rows(&std::fs::read(labels).unwrap());
    move |bytes| {
        let n = rows(bytes);
        n == before || n == before + ADDED
    }
}

#[test]
fn killing_labels_add_never_damages_the_label_file() {
    let dir = tempdir();
    let (labels, new) = labels_to_add(dir.path());
    let args = [
        "labels",
        "add",
        new.to_str().unwrap(),
        "--into",
        labels.to_str().unwrap(),
    ];
    stop_at_many_moments(&args, &labels, rows_ok(&labels), 100, Stop::Kill, 3);
}

#[test]
fn interrupting_labels_add_never_damages_the_label_file_nor_leaves_temporary_files() {
    let dir = tempdir();
    let (labels, new) = labels_to_add(dir.path());
    let args = [
        "labels",
        "add",
        new.to_str().unwrap(),
        "--into",
        labels.to_str().unwrap(),
    ];
    stop_at_many_moments(&args, &labels, rows_ok(&labels), 30, Stop::Interrupt, 4);
}
