//! Hostile places to write and interruptions: a read-only location, a full
//! device (as `--out` and as standard output), a reader that goes away
//! (`| head -1`), and SIGINT / SIGTERM in the middle of a run. Each ends with
//! a clear message and the right exit status, never a panic, never a
//! temporary file left behind, never a damaged previous output.

use crate::util::*;
use std::io::{BufRead, Read};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Fixed, fast training settings: outputs are under test here, not training.
const QUICK_TRAIN: &[&str] = &[
    "--no-cv",
    "--alpha",
    "1",
    "--ngram-max",
    "1",
    "--min-df",
    "2",
];

fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect()
}

fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("stance"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .env_remove("SOURCE_DATE_EPOCH");
    cmd
}

/// A directory where creating a file fails with "permission denied": one
/// with mode 0555, or, when running as root (whom modes do not stop), /sys,
/// where no one can create files. None, with a message, if neither works.
fn unwritable_dir(parent: &Path) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let dir = parent.join("read-only");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    let probe = dir.join("probe");
    if std::fs::File::create(&probe).is_err() {
        return Some(dir);
    }
    std::fs::remove_file(&probe).unwrap();
    let sys = Path::new("/sys");
    match std::fs::File::create(sys.join("stance-probe")) {
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Some(sys.to_path_buf()),
        _ => {
            eprintln!(
                "skipped: running as root, where a mode 0555 directory is writable, and /sys \
                 does not refuse new files here: no read-only location to test"
            );
            None
        }
    }
}

#[test]
fn a_read_only_location_is_refused_with_advice() {
    let dir = tempdir();
    let Some(ro) = unwritable_dir(dir.path()) else {
        return;
    };
    let out = ro.join("stance-out.csv");
    let model = ro.join("stance-model.json");
    let runs: Vec<Vec<&str>> = vec![
        vec!["classify", "data/articles", "--out", out.to_str().unwrap()],
        vec!["profile", "data/articles", "--out", out.to_str().unwrap()],
        train_args(model.to_str().unwrap(), QUICK_TRAIN),
    ];
    for args in runs {
        let started = Instant::now();
        let err = stance(&args).assert_fails();
        let target = args[args.iter().position(|a| *a == "--out").unwrap() + 1];
        assert!(
            err.contains(target)
                && err.contains("Permission denied")
                && err.contains(&format!("no permission to write in {}", ro.display()))
                && err.contains("choose another output path"),
            "{args:?}: {err}"
        );
        // Refused before the work, not after it.
        assert!(started.elapsed() < Duration::from_secs(20), "{args:?}");
        assert!(!Path::new(target).exists());
        assert!(
            temp_files(&ro).iter().all(|n| !n.contains("stance-")),
            "{args:?}"
        );
    }
}

fn assert_dev_full_intact() {
    let meta = std::fs::metadata("/dev/full").unwrap();
    assert!(
        meta.file_type().is_char_device(),
        "/dev/full was replaced by a regular file"
    );
}

#[test]
fn dev_full_as_output_file_fails_cleanly() {
    let dir = tempdir();
    let mut train = vec![
        "train",
        "--labels",
        small_labels(),
        "--out",
        "/dev/full",
        "--force",
    ];
    train.extend_from_slice(QUICK_TRAIN);
    let runs: Vec<Vec<&str>> = vec![
        vec!["classify", "data/articles", "--out", "/dev/full"],
        vec![
            "profile",
            "data/articles",
            "--format",
            "json",
            "--out",
            "/dev/full",
        ],
        train,
    ];
    for args in runs {
        let err = stance(&args).assert_fails();
        assert!(
            err.contains("/dev/full: No space left on device")
                && err.contains("the device is full: free some space or write somewhere else"),
            "{args:?}: {err}"
        );
        assert_dev_full_intact();
    }
    // Nothing was created beside it: no temporary file, no model card.
    assert!(!Path::new("/dev/full.md").exists());
    assert!(temp_files(Path::new("/dev"))
        .iter()
        .all(|n| !n.contains("full")));
    // Writing to /dev/null, the other device, works.
    stance(&["classify", "data/articles", "--out", "/dev/null"]).assert_ok();
    assert!(!std::fs::metadata("/dev/null").unwrap().is_file());
    drop(dir);
}

#[test]
fn dev_full_as_standard_output_fails_cleanly() {
    let dir = tempdir();
    let model = dir.path().join("m.json");
    let mut train = vec![
        "train",
        "--labels",
        small_labels(),
        "--out",
        model.to_str().unwrap(),
    ];
    train.extend_from_slice(QUICK_TRAIN);
    let runs: Vec<Vec<&str>> = vec![
        vec!["classify", "data/articles"],
        vec!["profile", "data/articles"],
        vec!["eval", "--test", "data/labels.csv"],
        vec!["labels", "stats"],
        train,
    ];
    for args in runs {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = command(&args).stdout(full).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(
            err.contains("writing to standard output: No space left on device")
                && err.contains("the device is full"),
            "{args:?}: {err}"
        );
    }
}

/// A JSONL corpus of `n` articles of ten sentences each.
fn big_corpus(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join("big.jsonl");
    let mut text = String::with_capacity(n * 900);
    for i in 0..n {
        let mut body = String::new();
        for j in 0..10 {
            body.push_str(&format!(
                "Sentence {j} of article {i}: Moscow rejected the sanctions while diplomats in Geneva talked about a ceasefire. "
            ));
        }
        text.push_str(&serde_json::json!({"id": format!("a{i}"), "outlet": format!("o{}", i % 7), "text": body}).to_string());
        text.push('\n');
    }
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_closed_pipe_ends_the_run_quietly() {
    let dir = tempdir();
    let corpus = big_corpus(dir.path(), 2_000);
    // `stance classify … | head -1`: the output is far larger than a pipe holds.
    for args in [
        vec!["classify", corpus.to_str().unwrap()],
        vec!["profile", corpus.to_str().unwrap()],
    ] {
        let mut child = command(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty(), "{args:?}");
        // The reader is gone now.
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(err.trim().is_empty(), "{args:?}: not quiet: {err}");
    }
    // Commands that print reports: the reader is gone before they write.
    for args in [
        vec!["labels", "stats"],
        vec!["eval", "--test", "data/labels.csv"],
    ] {
        let mut child = command(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("error"),
            "{args:?}: {err}"
        );
    }
}

fn send(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args(["-s", signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Start `args`, wait until its temporary output file exists in `dir` (the
/// run is then in the middle of writing), send `signal`, and return the
/// exit status and stderr.
fn interrupt_while_writing(args: &[&str], dir: &Path, signal: &str) -> (i32, String) {
    let mut child = command(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if !temp_files(dir).is_empty() {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "{args:?} ended ({status}) before it could be interrupted; make the input larger"
            );
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no temporary file appeared"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    // Well into the run, not at its first write.
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        child.try_wait().unwrap().is_none(),
        "{args:?} finished before the signal; make the input larger"
    );
    send(&child, signal);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!err.contains("panicked"), "{err}");
    (
        status
            .code()
            .unwrap_or_else(|| panic!("killed by signal {:?}: {err}", status.signal())),
        err,
    )
}

#[test]
fn sigint_or_sigterm_during_a_batch_leaves_no_temporary_file() {
    let dir = tempdir();
    let corpus = big_corpus(dir.path(), 30_000);
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let out = out_dir.join("result.csv");
    let previous = b"the previous output, to be kept\n";
    for (command, signal, code) in [("classify", "INT", 130), ("profile", "TERM", 143)] {
        std::fs::write(&out, previous).unwrap();
        let args = [
            command,
            corpus.to_str().unwrap(),
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ];
        let (status, err) = interrupt_while_writing(&args, &out_dir, signal);
        assert_eq!(status, code, "{command}: {err}");
        assert!(
            err.contains(&format!(
                "interrupted (SIG{signal}); 1 unfinished output file(s) removed"
            )),
            "{command}: {err}"
        );
        assert_eq!(temp_files(&out_dir), Vec::<String>::new(), "{command}");
        assert_eq!(std::fs::read(&out).unwrap(), previous, "{command}");
    }
}

#[test]
fn sigint_during_training_keeps_the_previous_model() {
    let dir = tempdir();
    let model = dir.path().join("m.json");
    let previous = b"{\"format\": \"the previous model, to be kept\"}\n";
    std::fs::write(&model, previous).unwrap();
    // The default search: long enough to be interrupted mid-training.
    let mut child = command(&[
        "train",
        "--labels",
        "data/labels.csv",
        "--out",
        model.to_str().unwrap(),
        "--force",
    ])
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    // Training has started once the settings search is announced.
    while !line.contains("trying") {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "train ended early"
        );
    }
    std::thread::sleep(Duration::from_millis(300));
    send(&child, "INT");
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{rest}");
    assert!(rest.contains("interrupted (SIGINT)"), "{rest}");
    assert_eq!(std::fs::read(&model).unwrap(), previous);
    assert!(temp_files(dir.path()).is_empty());
    assert!(!dir.path().join("m.md").exists(), "no model card either");
}

#[test]
fn an_output_that_is_an_input_is_refused_and_the_input_kept() {
    let dir = tempdir();
    let labels = dir.path().join("labels.csv");
    std::fs::copy("data/labels.csv", &labels).unwrap();
    let article = dir.path().join("a.txt");
    std::fs::copy("data/articles/000_3191b3933acc13af.txt", &article).unwrap();
    let link = dir.path().join("link.csv");
    std::os::unix::fs::symlink(&labels, &link).unwrap();
    let (l, a) = (labels.to_str().unwrap(), article.to_str().unwrap());
    // The same files, spelled differently.
    let l_again = format!("{}/./labels.csv", dir.path().display());
    let (labels_before, article_before) = (
        std::fs::read(&labels).unwrap(),
        std::fs::read(&article).unwrap(),
    );

    let mut train = vec!["train", "--labels", l, "--force"];
    train.extend_from_slice(QUICK_TRAIN);
    for (args, out) in [
        (train.clone(), l_again.as_str()),
        (train.clone(), link.to_str().unwrap()),
        (vec!["classify", a], a),
        (vec!["profile", a], a),
        (vec!["compare", a], a),
        (vec!["report", a], a),
        (vec!["suggest", a, "--labels", l], l),
        (vec!["eval", "--test", l, "--predictions"], l),
    ] {
        let mut args = args;
        if args[0] != "eval" {
            args.push("--out");
        }
        args.push(out);
        let err = stance(&args).assert_fails();
        assert!(
            err.contains("an input of this command") && err.contains("give another path"),
            "{args:?}: {err}"
        );
    }
    assert_eq!(std::fs::read(&labels).unwrap(), labels_before);
    assert_eq!(std::fs::read(&article).unwrap(), article_before);
    assert!(temp_files(dir.path()).is_empty());
}

#[test]
fn suggest_keeps_a_file_of_suggestions_unless_forced() {
    let dir = tempdir();
    let todo = dir.path().join("todo.csv");
    let t = todo.to_str().unwrap();
    let suggest = |extra: &[&str]| {
        let mut args = vec!["suggest", "data/articles", "--n", "3", "--out", t];
        args.extend_from_slice(extra);
        stance(&args)
    };
    suggest(&[]).assert_ok_stderr();
    // Someone fills in a label.
    let filled = std::fs::read_to_string(&todo)
        .unwrap()
        .replacen(",\n", ",hawkish\n", 1);
    std::fs::write(&todo, &filled).unwrap();
    let err = suggest(&[]).assert_fails();
    assert!(err.contains("exists") && err.contains("--force"), "{err}");
    assert_eq!(std::fs::read_to_string(&todo).unwrap(), filled);
    suggest(&["--force"]).assert_ok_stderr();
    assert_ne!(std::fs::read_to_string(&todo).unwrap(), filled);
}

#[test]
fn a_model_card_never_replaces_its_model_or_another_file() {
    let dir = tempdir();
    let train = |out: &Path, force: bool| {
        let mut args = train_args(out.to_str().unwrap(), QUICK_TRAIN);
        if force {
            args.push("--force");
        }
        stance(&args)
    };
    // `m.md` would be both the model and its card.
    let err = train(&dir.path().join("m.md"), false).assert_fails();
    assert!(
        err.contains("needs another name, such as") && err.contains("m.json"),
        "{err}"
    );
    assert!(!dir.path().join("m.md").exists());

    // A file that is not a model card is kept, even with --force.
    let notes = dir.path().join("notes.md");
    std::fs::write(&notes, "# Notes\n\nnot a model card\n").unwrap();
    let err = train(&dir.path().join("notes.json"), true).assert_fails();
    assert!(err.contains("is not a model card"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&notes).unwrap(),
        "# Notes\n\nnot a model card\n"
    );
    assert!(!dir.path().join("notes.json").exists());

    // A model's own card is replaced along with the model.
    let model = dir.path().join("model.json");
    train(&model, false).assert_ok();
    train(&model, true).assert_ok();
    let card = std::fs::read_to_string(dir.path().join("model.md")).unwrap();
    assert!(card.starts_with("# Model card: "), "{card}");
    assert!(temp_files(dir.path()).is_empty());
}
