//! Helpers: run the built `stance` binary from the repository root.

use assert_cmd::Command;

pub struct Run {
    cmd: Command,
}

pub fn stance(args: &[&str]) -> Run {
    let mut cmd = Command::cargo_bin("stance").unwrap();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .env_remove("SOURCE_DATE_EPOCH");
    Run { cmd }
}

impl Run {
    pub fn env(mut self, key: &str, value: &str) -> Run {
        self.cmd.env(key, value);
        self
    }

    pub fn stdin(mut self, input: &str) -> Run {
        self.cmd.write_stdin(input.to_string());
        self
    }

    /// Runs, expects success, returns stdout.
    pub fn assert_ok(mut self) -> String {
        let out = self.cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "failed ({:?}): {stderr}",
            out.status.code()
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs, expects success, returns stderr.
    pub fn assert_ok_stderr(mut self) -> String {
        let out = self.cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            out.status.success(),
            "failed ({:?}): {stderr}",
            out.status.code()
        );
        stderr
    }

    /// Runs, expects exit status 1 and no panic, returns stderr.
    pub fn assert_fails(self) -> String {
        self.assert_exit(1)
    }

    pub fn assert_exit(mut self, code: i32) -> String {
        let out = self.cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(code), "stderr: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        stderr
    }
}

/// `stance train` on [`small_labels`], writing `out`, with `extra` options.
pub fn train_args<'a>(out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["train", "--labels", small_labels(), "--out", out];
    args.extend_from_slice(extra);
    args
}

/// The rows of `data/labels.csv` whose source is not `article` (the seed
/// sentences and the older authored ones, 807 rows), as a label file of
/// their own, written once per test run. Training on all of
/// `data/labels.csv` takes minutes; tests that train for another purpose
/// train on these.
pub fn small_labels() -> &'static str {
    static PATH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut r = csv::Reader::from_path(root.join("data/labels.csv")).unwrap();
        let headers = r.headers().unwrap().clone();
        let source = headers.iter().position(|h| h == "source").unwrap();
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
        let path = dir.join(format!("labels-small-{}.csv", std::process::id()));
        let mut w = csv::Writer::from_path(&path).unwrap();
        w.write_record(&headers).unwrap();
        for record in r.records() {
            let record = record.unwrap();
            if &record[source] != "article" {
                w.write_record(&record).unwrap();
            }
        }
        w.flush().unwrap();
        path.to_str().unwrap().to_string()
    })
}

/// Rows of a label file with a value in `column` (all rows for `text`).
pub fn rows_with(path: &str, column: &str) -> usize {
    let mut r = csv::Reader::from_path(path).unwrap();
    let c = r
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == column)
        .unwrap();
    r.records()
        .filter(|x| !x.as_ref().unwrap()[c].is_empty())
        .count()
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

pub fn read_csv(path: &str) -> Vec<Vec<String>> {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    csv::Reader::from_path(full)
        .unwrap()
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

/// Start `stance` without waiting for it.
pub fn spawn(args: &[&str], env: &[(&str, &str)]) -> std::process::Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("stance"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}
