//! Hostile input, one test per case: empty and blank files, invalid UTF-8
//! (an error by default, U+FFFD with `--invalid-utf8 replace`), byte-order
//! marks, CRLF and lone CR line ends, NUL bytes, HTML markup, one huge line,
//! malformed JSONL and CSV, odd label files. Every failure exits non-zero
//! with a message naming the file, the line or record, what is wrong and
//! what to do, and leaves no output file behind; in a batch a bad article is
//! reported and skipped (exit 3) unless `--strict`.

use crate::errors::{assert_no_output, write};
use crate::util::*;
use std::path::Path;

const OUT: &str = "out.csv";

/// A few plain sentences, with the line ends given.
fn article(eol: &str) -> String {
    [
        "Kerry and Lavrov meet again",
        "",
        "Russia must be punished for the bombing of the aid convoy.",
        "Talks resumed in Geneva on Monday, the ministry said.",
        "",
        "Both sides agreed to keep talking.",
    ]
    .join(eol)
        + eol
}

fn out_path(dir: &Path) -> String {
    dir.join(OUT).to_str().unwrap().to_string()
}

/// `stance classify PATHS --out out.csv` must fail with status 1, leave no
/// output, and say every one of `expected`; returns stderr.
fn classify_fails(dir: &Path, paths: &[&str], expected: &[&str]) -> String {
    let out = out_path(dir);
    let mut args = vec!["classify"];
    args.extend_from_slice(paths);
    args.extend(["--out", out.as_str()]);
    let err = stance(&args).assert_fails();
    assert_says(&err, expected);
    assert_no_output(dir, OUT);
    err
}

/// `stance classify PATHS --out out.csv` succeeds; returns the CSV rows
/// (without the header) and stderr.
fn classify_ok(dir: &Path, paths: &[&str], extra: &[&str]) -> (Vec<Vec<String>>, String) {
    let out = out_path(dir);
    let mut args = vec!["classify"];
    args.extend_from_slice(paths);
    args.extend_from_slice(extra);
    args.extend(["--out", out.as_str()]);
    let err = stance(&args).assert_ok_stderr();
    let rows = read_csv(&out);
    std::fs::remove_file(&out).unwrap();
    (rows, err)
}

/// The sentence column of classify output.
fn sentences(rows: &[Vec<String>]) -> Vec<String> {
    rows.iter().map(|r| r[3].clone()).collect()
}

fn assert_says(err: &str, expected: &[&str]) {
    for e in expected {
        assert!(err.contains(e), "expected {e:?} in: {err}");
    }
}

// ---------------------------------------------------------------- articles

#[test]
fn empty_txt_file() {
    let dir = tempdir();
    let path = write(dir.path(), "empty.txt", b"");
    classify_fails(
        dir.path(),
        &[&path],
        &[
            "empty.txt: empty article: no text",
            "add its text or leave it out",
            "empty corpus",
        ],
    );
}

#[test]
fn whitespace_only_txt_file() {
    let dir = tempdir();
    let path = write(dir.path(), "blank.txt", b"  \n\t\r\n \r  \n");
    classify_fails(
        dir.path(),
        &[&path],
        &["blank.txt: empty article: no text", "empty corpus"],
    );
}

#[test]
fn empty_jsonl_file() {
    let dir = tempdir();
    let path = write(dir.path(), "empty.jsonl", b"");
    classify_fails(
        dir.path(),
        &[&path],
        &[
            "empty.jsonl: no articles: the input is empty",
            "one {\"id\", \"text\"} object per line",
        ],
    );
}

#[test]
fn whitespace_only_jsonl_file() {
    let dir = tempdir();
    let path = write(dir.path(), "blank.jsonl", b"\n  \r\n\t\n");
    classify_fails(
        dir.path(),
        &[&path],
        &["blank.jsonl: no articles: the input is empty or only blank lines"],
    );
}

#[test]
fn empty_csv_file() {
    let dir = tempdir();
    let path = write(dir.path(), "empty.csv", b"");
    classify_fails(
        dir.path(),
        &[&path],
        &[
            "empty.csv: empty file:",
            "an article CSV has a header line naming its columns (`id` and `text`)",
        ],
    );
}

#[test]
fn whitespace_only_csv_file() {
    let dir = tempdir();
    let path = write(dir.path(), "blank.csv", b" \r\n\n  ");
    classify_fails(
        dir.path(),
        &[&path],
        &["blank.csv: empty file (only whitespace)", "`id` and `text`"],
    );
}

#[test]
fn csv_with_a_header_and_no_rows() {
    let dir = tempdir();
    let path = write(dir.path(), "header.csv", b"id,text\n");
    classify_fails(
        dir.path(),
        &[&path],
        &["header.csv: no articles: the file has a header line but no rows"],
    );
}

#[test]
fn empty_standard_input() {
    let dir = tempdir();
    let out = out_path(dir.path());
    let err = stance(&["classify", "-", "--out", &out])
        .stdin("")
        .assert_fails();
    assert_says(&err, &["<stdin>: no articles: the input is empty"]);
    assert_no_output(dir.path(), OUT);
}

#[test]
fn directory_with_no_articles() {
    let dir = tempdir();
    let articles = dir.path().join("articles");
    std::fs::create_dir(&articles).unwrap();
    std::fs::write(articles.join("notes.md"), "Russia.").unwrap();
    std::fs::write(articles.join("manifest.csv"), "file,outlet\na.txt,CNN\n").unwrap();
    classify_fails(
        dir.path(),
        &[articles.to_str().unwrap()],
        &[
            "articles: no articles here: the directory has no .txt files",
            "give .jsonl and .csv files by name",
            "empty corpus",
        ],
    );
}

#[test]
fn directory_of_empty_articles() {
    let dir = tempdir();
    let articles = dir.path().join("articles");
    std::fs::create_dir(&articles).unwrap();
    std::fs::write(articles.join("a.txt"), "").unwrap();
    std::fs::write(articles.join("b.txt"), " \n ").unwrap();
    classify_fails(
        dir.path(),
        &[articles.to_str().unwrap()],
        &[
            "a.txt: empty article",
            "b.txt: empty article",
            "every article was skipped: see the messages above",
        ],
    );
}

#[test]
fn invalid_utf8_in_a_txt_file() {
    let dir = tempdir();
    // Line 2, 8th byte of the line, byte offset 25 of the file.
    let path = write(
        dir.path(),
        "bad.txt",
        b"Kerry met Lavrov.\nRussia \xff talks.\n",
    );
    classify_fails(
        dir.path(),
        &[&path],
        &[
            "bad.txt:2: invalid UTF-8 at byte offset 25 of the file, byte 8 of the line",
            "save the file as UTF-8, or pass --invalid-utf8 replace",
        ],
    );
}

#[test]
fn invalid_utf8_in_a_jsonl_record() {
    let dir = tempdir();
    let path = write(
        dir.path(),
        "bad.jsonl",
        b"{\"id\": \"a\", \"text\": \"Russia \xe9 talks.\"}\n",
    );
    classify_fails(
        dir.path(),
        &[&path],
        &[
            "bad.jsonl:1: invalid UTF-8 at byte 29 of the line",
            "--invalid-utf8 replace",
        ],
    );
}

#[test]
fn invalid_utf8_in_an_article_csv() {
    let dir = tempdir();
    let path = write(
        dir.path(),
        "bad.csv",
        b"id,text\na,Talks resumed.\nb,Russia \x80 lies.\n",
    );
    classify_fails(
        dir.path(),
        &[&path],
        &["bad.csv:3: invalid UTF-8 at byte offset 34 of the file, byte 10 of the line"],
    );
}

#[test]
fn invalid_utf8_on_standard_input() {
    let dir = tempdir();
    let out = out_path(dir.path());
    let mut cmd = assert_cmd::Command::cargo_bin("stance").unwrap();
    let output = cmd
        .args(["classify", "-", "--out", out.as_str()])
        .write_stdin(
            b"{\"id\": \"a\", \"text\": \"Ok.\"}\n{\"id\": \"b\", \"text\": \"\xfe\"}\n".to_vec(),
        )
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    // The good record is written, the bad one reported and skipped.
    assert_eq!(output.status.code(), Some(3), "{err}");
    assert_says(
        &err,
        &["<stdin>:2: invalid UTF-8", "--invalid-utf8 replace"],
    );
    assert_eq!(read_csv(&out).len(), 1);
}

#[test]
fn invalid_utf8_replaced_on_request_in_a_txt_file() {
    let dir = tempdir();
    let bytes = b"Russia \xff\xfe must be punished.\nTalks resumed in Geneva.\n";
    let path = write(dir.path(), "bad.txt", bytes);
    // The option goes before or after the subcommand.
    for args in [
        vec!["--invalid-utf8", "replace", "classify", &path],
        vec!["classify", &path, "--invalid-utf8", "replace"],
    ] {
        let out = stance(&args).assert_ok();
        assert!(
            out.contains("Russia \u{fffd}\u{fffd} must be punished."),
            "{out}"
        );
    }
    let (rows, err) = classify_ok(dir.path(), &[&path], &["--invalid-utf8", "replace"]);
    assert_eq!(
        sentences(&rows),
        [
            "Russia \u{fffd}\u{fffd} must be punished.",
            "Talks resumed in Geneva."
        ]
    );
    assert_says(
        &err,
        &[
            "warning: ",
            "bad.txt:1: 2 invalid byte sequence(s)",
            "U+FFFD",
        ],
    );
    // Reading never rewrites the input.
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

#[test]
fn invalid_utf8_replaced_on_request_in_jsonl_and_csv() {
    let dir = tempdir();
    let jsonl = write(
        dir.path(),
        "a.jsonl",
        b"{\"id\": \"j\", \"text\": \"Moscow \xc3 welcomed the talks.\"}\n",
    );
    let csv = write(
        dir.path(),
        "a.csv",
        b"id,text\nc,\"Moscow \xc3 rejected the plan.\"\n",
    );
    let (rows, err) = classify_ok(dir.path(), &[&jsonl, &csv], &["--invalid-utf8", "replace"]);
    assert_eq!(
        sentences(&rows),
        [
            "Moscow \u{fffd} welcomed the talks.",
            "Moscow \u{fffd} rejected the plan."
        ]
    );
    assert_says(&err, &["a.jsonl:1: 1 invalid", "a.csv:2: 1 invalid"]);
}

#[test]
fn utf16_file() {
    let dir = tempdir();
    let mut bytes = vec![0xFF, 0xFE];
    for unit in "Russia talks.".encode_utf16() {
        bytes.extend(unit.to_le_bytes());
    }
    let path = write(dir.path(), "utf16.txt", &bytes);
    classify_fails(
        dir.path(),
        &[&path],
        &["utf16.txt:1: this is UTF-16 text (byte-order mark FF FE), not UTF-8: save it as UTF-8"],
    );
}

#[test]
fn byte_order_mark_in_a_txt_file_is_ignored() {
    let dir = tempdir();
    let plain = write(dir.path(), "plain.txt", article("\n").as_bytes());
    let bom = write(
        dir.path(),
        "bom.txt",
        format!("\u{feff}{}", article("\n")).as_bytes(),
    );
    let (plain_rows, _) = classify_ok(dir.path(), &[&plain], &[]);
    let (bom_rows, _) = classify_ok(dir.path(), &[&bom], &[]);
    assert_eq!(sentences(&plain_rows).len(), 3);
    assert_eq!(sentences(&bom_rows), sentences(&plain_rows));
    // The title line (not a sentence) is recognised behind the BOM too.
    let profile = stance(&["profile", &bom, "--format", "csv"]).assert_ok();
    assert!(
        profile.contains(",Kerry and Lavrov meet again,"),
        "{profile}"
    );
}

#[test]
fn byte_order_mark_in_jsonl_is_ignored() {
    let dir = tempdir();
    let path = write(
        dir.path(),
        "bom.jsonl",
        "\u{feff}{\"id\": \"a\", \"text\": \"Talks resumed.\"}\n".as_bytes(),
    );
    let (rows, _) = classify_ok(dir.path(), &[&path], &[]);
    assert_eq!(rows[0][0], "a");
    assert_eq!(sentences(&rows), ["Talks resumed."]);
}

#[test]
fn spreadsheet_article_csv_with_bom_and_crlf() {
    let dir = tempdir();
    let lf = "id,outlet,text\na,CNN,\"Russia must be punished. Talks resumed.\"\nb,RT,Moscow welcomed the talks.\n";
    let plain = write(dir.path(), "plain.csv", lf.as_bytes());
    let excel = write(
        dir.path(),
        "excel.csv",
        format!("\u{feff}{}", lf.replace('\n', "\r\n")).as_bytes(),
    );
    let (plain_rows, _) = classify_ok(dir.path(), &[&plain], &[]);
    let (excel_rows, _) = classify_ok(dir.path(), &[&excel], &[]);
    assert_eq!(plain_rows.len(), 3);
    assert_eq!(excel_rows, plain_rows);
    assert_eq!(
        (excel_rows[0][0].as_str(), excel_rows[0][1].as_str()),
        ("a", "CNN")
    );
}

#[test]
fn spreadsheet_manifest_with_bom_and_crlf() {
    let dir = tempdir();
    let articles = dir.path().join("articles");
    std::fs::create_dir(&articles).unwrap();
    std::fs::write(articles.join("a.txt"), article("\n")).unwrap();
    std::fs::write(
        articles.join("manifest.csv"),
        "\u{feff}file,outlet,date\r\na.txt,Foreign Policy,2016-10-12\r\n",
    )
    .unwrap();
    let out = stance(&["profile", articles.to_str().unwrap(), "--format", "csv"]).assert_ok();
    assert!(out.contains("a,Foreign Policy,"), "{out}");
    assert!(out.contains(",2016-10-12,"), "{out}");
}

#[test]
fn crlf_and_lone_cr_line_ends_in_txt_files() {
    let dir = tempdir();
    let lf = write(dir.path(), "lf.txt", article("\n").as_bytes());
    let crlf = write(dir.path(), "crlf.txt", article("\r\n").as_bytes());
    let cr = write(dir.path(), "cr.txt", article("\r").as_bytes());
    let (lf_rows, _) = classify_ok(dir.path(), &[&lf], &[]);
    assert_eq!(
        sentences(&lf_rows),
        [
            "Russia must be punished for the bombing of the aid convoy.",
            "Talks resumed in Geneva on Monday, the ministry said.",
            "Both sides agreed to keep talking."
        ]
    );
    for path in [&crlf, &cr] {
        let (rows, _) = classify_ok(dir.path(), &[path], &[]);
        // Same sentences, same labels and probabilities.
        let strip_id = |rows: &[Vec<String>]| -> Vec<Vec<String>> {
            rows.iter().map(|r| r[1..].to_vec()).collect()
        };
        assert_eq!(strip_id(&rows), strip_id(&lf_rows), "{path}");
    }
    // The title is found behind either line end.
    for path in [&crlf, &cr] {
        let out = stance(&["profile", path, "--format", "csv"]).assert_ok();
        assert!(
            out.contains(",Kerry and Lavrov meet again,"),
            "{path}: {out}"
        );
    }
}

#[test]
fn crlf_and_lone_cr_line_ends_inside_jsonl_text() {
    let dir = tempdir();
    let record = |id: &str, eol: &str| {
        serde_json::json!({"id": id, "text": article(eol)}).to_string() + "\n"
    };
    let path = write(
        dir.path(),
        "eol.jsonl",
        (record("lf", "\n") + &record("crlf", "\r\n") + &record("cr", "\r")).as_bytes(),
    );
    let (rows, _) = classify_ok(dir.path(), &[&path], &[]);
    let of = |id: &str| -> Vec<String> {
        rows.iter()
            .filter(|r| r[0] == id)
            .map(|r| r[3..].join(","))
            .collect()
    };
    assert_eq!(of("lf").len(), 3);
    assert_eq!(of("crlf"), of("lf"));
    assert_eq!(of("cr"), of("lf"));
}

#[test]
fn crlf_and_lone_cr_line_ends_in_an_article_csv() {
    let dir = tempdir();
    let lf = "id,text\na,\"Russia must be punished.\nTalks resumed.\"\nb,Moscow welcomed the talks.\nc,\"ragged\",row\n";
    let mut outputs = Vec::new();
    for (name, eol) in [("lf.csv", "\n"), ("crlf.csv", "\r\n"), ("cr.csv", "\r")] {
        let path = write(dir.path(), name, lf.replace('\n', eol).as_bytes());
        let out = out_path(dir.path());
        // The ragged row is on line 5 whatever the line ends.
        let err = stance(&["classify", &path, "--out", &out]).assert_exit(3);
        assert_says(
            &err,
            &[&format!("{name}:5: row has 3 fields but the header has 2")],
        );
        outputs.push(read_csv(&out));
        std::fs::remove_file(&out).unwrap();
    }
    assert_eq!(
        sentences(&outputs[0]),
        [
            "Russia must be punished.",
            "Talks resumed.",
            "Moscow welcomed the talks."
        ]
    );
    assert_eq!(outputs[1], outputs[0]);
    assert_eq!(outputs[2], outputs[0]);
}

#[test]
fn nul_byte_in_a_txt_file() {
    let dir = tempdir();
    let path = write(
        dir.path(),
        "nul.txt",
        b"Kerry met Lavrov.\nRussia\0talks.\n",
    );
    classify_fails(
        dir.path(),
        &[&path],
        &[
            "nul.txt:2: NUL byte at byte offset 24 of the file, byte 7 of the line",
            "may be a binary file or UTF-16 text",
            "pass --invalid-utf8 replace to read NUL bytes as spaces",
        ],
    );
}

#[test]
fn nul_byte_read_as_a_space_on_request() {
    let dir = tempdir();
    let path = write(dir.path(), "nul.txt", b"Russia\0must be punished.\n");
    let (rows, err) = classify_ok(dir.path(), &[&path], &["--invalid-utf8", "replace"]);
    assert_eq!(sentences(&rows), ["Russia must be punished."]);
    assert_says(
        &err,
        &["nul.txt:1: 1 invalid byte sequence(s) or NUL byte(s)"],
    );
}

#[test]
fn nul_escape_in_jsonl_text_is_a_space() {
    // A JSON "\u0000" is a deliberate character, not a broken file: it reads
    // as whitespace, like every other control character.
    let dir = tempdir();
    let path = write(
        dir.path(),
        "nul.jsonl",
        br#"{"id": "a", "text": "Russia\u0000must be punished.\u000cTalks resumed."}"#,
    );
    let (rows, _) = classify_ok(dir.path(), &[&path], &[]);
    assert_eq!(
        sentences(&rows),
        ["Russia must be punished.", "Talks resumed."]
    );
}

#[test]
fn html_markup_and_entities_in_a_txt_file() {
    let dir = tempdir();
    let path = write(dir.path(), "page.txt", b"<p>Russia&#8217;s army</p>");
    let (rows, _) = classify_ok(dir.path(), &[&path], &[]);
    assert_eq!(sentences(&rows), ["Russia\u{2019}s army"]);
}

#[test]
fn html_page_in_jsonl() {
    let dir = tempdir();
    let html = r#"<!DOCTYPE html><html><head><title>Kerry and Lavrov meet again</title>
<style>p { color: red; }</style><script>var x = "<p>Not text.</p>";</script></head>
<body><!-- a comment. --><h1>Kerry and Lavrov meet again</h1><p>Russia must be <b>punished</b> for the bombing,&nbsp;the minister said.</p><p>Talks resumed in Geneva &amp; Lausanne.<br>Moscow &lt;welcomed&gt; them.</p></body></html>"#;
    let path = write(
        dir.path(),
        "page.jsonl",
        (serde_json::json!({"id": "p", "text": html}).to_string() + "\n").as_bytes(),
    );
    let (rows, _) = classify_ok(dir.path(), &[&path], &[]);
    assert_eq!(
        sentences(&rows),
        [
            "Russia must be punished for the bombing, the minister said.",
            "Talks resumed in Geneva & Lausanne.",
            "Moscow <welcomed> them."
        ]
    );
    let profile = stance(&["profile", &path, "--format", "csv"]).assert_ok();
    assert!(
        profile.contains(",Kerry and Lavrov meet again,"),
        "{profile}"
    );
}

#[test]
fn markup_only_article_is_empty() {
    let dir = tempdir();
    let path = write(
        dir.path(),
        "markup.txt",
        b"<html><body><div><script>alert(1)</script></div></body></html>",
    );
    classify_fails(
        dir.path(),
        &[&path],
        &["markup.txt: empty article: no text once HTML markup is removed"],
    );
}

/// One 50 MB article on one line, 715,752 sentences. Measured in the test
/// profile (dependencies at opt-level 3, stance at 1) on a shared 2-core
/// machine under load: 9.4 to 10.3 s, peak RSS 890 MB, most of it the
/// segmenter's per-character index of the one paragraph. The time limit
/// only catches runaway (quadratic) behaviour.
#[test]
fn single_50_mb_line() {
    let dir = tempdir();
    let sentences = [
        "Russia must be punished for the bombing of the aid convoy in Aleppo. ",
        "Talks resumed in Geneva on Monday, the foreign ministry said in a statement. ",
        "Moscow welcomed the proposal and agreed to keep talking with Washington. ",
        "The State Department said the two sides had not yet reached an agreement. ",
    ];
    let mut text = String::with_capacity(50 << 20);
    let mut n = 0usize;
    while text.len() < 50 << 20 {
        text.push_str(sentences[n % sentences.len()]);
        n += 1;
    }
    assert!(!text.contains('\n'));
    let path = write(dir.path(), "huge.txt", text.as_bytes());
    drop(text);
    let out = dir.path().join("profile.csv");
    let started = std::time::Instant::now();
    stance(&[
        "profile",
        &path,
        "--format",
        "csv",
        "--out",
        out.to_str().unwrap(),
    ])
    .assert_ok();
    let elapsed = started.elapsed();
    let rows = read_csv(out.to_str().unwrap());
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][4], n.to_string(), "every sentence is counted");
    eprintln!("single 50 MB line: {n} sentences profiled in {elapsed:.1?}");
    assert!(elapsed.as_secs() < 120, "took {elapsed:?}");
}

#[test]
fn jsonl_line_that_is_not_an_object() {
    let dir = tempdir();
    let path = write(
        dir.path(),
        "x.jsonl",
        b"[1, 2]\n\"Russia lies.\"\n{\"id\": \"a\", \"text\": \"Ok.\"\n",
    );
    classify_fails(
        dir.path(),
        &[&path],
        &[
            "x.jsonl:1: each line must be a JSON object with \"id\" and \"text\"",
            "x.jsonl:2: each line must be a JSON object",
            "x.jsonl:3: not valid JSON: EOF while parsing",
        ],
    );
}

#[test]
fn jsonl_object_without_text() {
    let dir = tempdir();
    let path = write(
        dir.path(),
        "x.jsonl",
        b"{\"id\": \"a\", \"body\": \"Ok.\"}\n",
    );
    classify_fails(
        dir.path(),
        &[&path],
        &["x.jsonl:1: missing \"text\": each line needs \"id\" and \"text\""],
    );
}

#[test]
fn jsonl_text_that_is_not_a_string() {
    let dir = tempdir();
    let path = write(
        dir.path(),
        "x.jsonl",
        b"{\"id\": \"a\", \"text\": 42}\n{\"id\": \"b\", \"text\": [\"Talks.\"]}\n{\"id\": \"c\", \"text\": null}\n",
    );
    classify_fails(
        dir.path(),
        &[&path],
        &[
            "x.jsonl:1: \"text\" must be a string, not a number: put the article's text in quotes",
            "x.jsonl:2: \"text\" must be a string, not an array",
            "x.jsonl:3: \"text\" must be a string, not null",
        ],
    );
}

#[test]
fn jsonl_blank_line_in_the_middle() {
    let dir = tempdir();
    let path = write(
        dir.path(),
        "x.jsonl",
        b"{\"id\": \"a\", \"text\": \"Talks resumed.\"}\n\n  \r\n{\"id\": \"b\", \"text\": \"Russia lies.\"}\n{\"id\": \"c\"}\n",
    );
    let out = out_path(dir.path());
    let err = stance(&["classify", &path, "--out", &out]).assert_exit(3);
    // Blank lines are skipped but counted: the bad record is on line 5.
    assert_says(&err, &["x.jsonl:5: missing \"text\""]);
    let rows = read_csv(&out);
    let ids: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids, ["a", "b"]);
}

#[test]
fn csv_ragged_rows() {
    let dir = tempdir();
    let path = write(
        dir.path(),
        "x.csv",
        b"id,text\na,Talks resumed.\nb,Russia lies.,extra\nc\n",
    );
    classify_fails(
        dir.path(),
        &[&path, "--strict"],
        &["x.csv:3: row has 3 fields but the header has 2"],
    );
    let (rows, _) = {
        let out = out_path(dir.path());
        let err = stance(&["classify", &path, "--out", &out]).assert_exit(3);
        assert_says(
            &err,
            &[
                "x.csv:3: row has 3 fields but the header has 2",
                "x.csv:4: row has 1 fields but the header has 2",
            ],
        );
        (read_csv(&out), err)
    };
    assert_eq!(sentences(&rows), ["Talks resumed."]);
}

#[test]
fn csv_unbalanced_quotes() {
    let dir = tempdir();
    let path = write(
        dir.path(),
        "x.csv",
        b"id,text\na,\"Talks resumed.\"\nb,\"Russia lies.\nc,Moscow welcomed the talks.\n",
    );
    classify_fails(
        dir.path(),
        &[&path],
        &[
            "x.csv:3: a quoted field opened on this line is never closed",
            "close the quote",
        ],
    );
}

#[test]
fn csv_duplicate_headers() {
    let dir = tempdir();
    let path = write(
        dir.path(),
        "x.csv",
        b"id,text,outlet,Text\na,Talks resumed.,CNN,Russia lies.\n",
    );
    classify_fails(
        dir.path(),
        &[&path],
        &["x.csv:1: duplicate column `text` (columns 2 and 4): rename or remove one of them"],
    );
}

#[test]
fn manifest_duplicate_headers() {
    let dir = tempdir();
    let articles = dir.path().join("articles");
    std::fs::create_dir(&articles).unwrap();
    std::fs::write(articles.join("a.txt"), article("\n")).unwrap();
    std::fs::write(
        articles.join("manifest.csv"),
        "file,outlet,outlet\na.txt,CNN,RT\n",
    )
    .unwrap();
    classify_fails(
        dir.path(),
        &[articles.to_str().unwrap()],
        &["manifest.csv:1: duplicate column `outlet` (columns 2 and 3)"],
    );
}

#[test]
fn json_given_as_an_article_csv() {
    let dir = tempdir();
    let path = write(dir.path(), "a.csv", b"{\"id\": \"a\", \"text\": \"Ok.\"}\n");
    classify_fails(
        dir.path(),
        &[&path],
        &[
            "a.csv: this looks like JSON, not CSV",
            "go in a .jsonl file",
        ],
    );
}

// ------------------------------------------- one bad article in a batch

#[test]
fn bad_txt_file_among_paths_is_skipped() {
    let dir = tempdir();
    let good = write(
        dir.path(),
        "good.txt",
        b"Russia must be punished. Talks resumed in Geneva.\n",
    );
    let bad = write(dir.path(), "bad.txt", b"\xff\xfe");
    let out = out_path(dir.path());
    let err = stance(&["classify", &good, &bad, "--out", &out]).assert_exit(3);
    assert_says(
        &err,
        &[
            "skipped: ",
            "bad.txt:1: this is UTF-16",
            "1 input(s) skipped",
        ],
    );
    assert_eq!(read_csv(&out).len(), 2);
    std::fs::remove_file(&out).unwrap();
    // --strict makes it fatal, and nothing is written.
    classify_fails(dir.path(), &[&good, &bad, "--strict"], &["bad.txt"]);
}

#[test]
fn bad_txt_file_in_a_directory_is_skipped() {
    let dir = tempdir();
    let articles = dir.path().join("articles");
    std::fs::create_dir(&articles).unwrap();
    std::fs::write(articles.join("a.txt"), "Russia must be punished.\n").unwrap();
    std::fs::write(articles.join("b.txt"), b"Talks \xff resumed.\n").unwrap();
    std::fs::write(articles.join("c.txt"), "Moscow welcomed the talks.\n").unwrap();
    let dir_arg = articles.to_str().unwrap();
    let out = out_path(dir.path());
    let err = stance(&["classify", dir_arg, "--out", &out]).assert_exit(3);
    assert_says(
        &err,
        &["skipped: ", "b.txt:1: invalid UTF-8", "1 input(s) skipped"],
    );
    let ids: Vec<String> = read_csv(&out).iter().map(|r| r[0].clone()).collect();
    assert_eq!(ids, ["a", "c"]);
    std::fs::remove_file(&out).unwrap();
    classify_fails(
        dir.path(),
        &[dir_arg, "--strict"],
        &["b.txt:1: invalid UTF-8"],
    );
}

#[test]
fn bad_jsonl_record_is_skipped() {
    let dir = tempdir();
    let path = write(
        dir.path(),
        "x.jsonl",
        b"{\"id\": \"a\", \"text\": \"Russia must be punished.\"}\n{\"id\": \"b\", \"text\": 7}\n{\"id\": \"c\", \"text\": \"Talks resumed.\"}\n",
    );
    let out = out_path(dir.path());
    let err = stance(&["classify", &path, "--out", &out]).assert_exit(3);
    assert_says(&err, &["skipped: ", "x.jsonl:2: \"text\" must be a string"]);
    let ids: Vec<String> = read_csv(&out).iter().map(|r| r[0].clone()).collect();
    assert_eq!(ids, ["a", "c"]);
    std::fs::remove_file(&out).unwrap();
    classify_fails(dir.path(), &[&path, "--strict"], &["x.jsonl:2:"]);
}

#[test]
fn bad_csv_record_is_skipped() {
    let dir = tempdir();
    let path = write(
        dir.path(),
        "x.csv",
        b"id,text\na,Russia must be punished.\n,No id here.\nc,Talks resumed.\n",
    );
    let out = out_path(dir.path());
    let err = stance(&["classify", &path, "--out", &out]).assert_exit(3);
    assert_says(
        &err,
        &["skipped: ", "x.csv:3: empty `id`: every article needs one"],
    );
    let ids: Vec<String> = read_csv(&out).iter().map(|r| r[0].clone()).collect();
    assert_eq!(ids, ["a", "c"]);
    std::fs::remove_file(&out).unwrap();
    classify_fails(dir.path(), &[&path, "--strict"], &["x.csv:3: empty `id`"]);
}

// ------------------------------------------------------------ label files

/// A small label set: two sentences per label, a tone for each.
const LABELS: &str = "text,label,tone,source\n\
Russia must be punished for its crimes.,hawkish,negative,seed\n\
Moscow is a threat to Europe.,hawkish,negative,seed\n\
Talks with Moscow resumed in a good spirit.,conciliatory,positive,seed\n\
Both sides welcomed the ceasefire.,conciliatory,positive,seed\n\
The meeting is on Monday.,neutral,neutral,seed\n\
Lavrov spoke to reporters.,neutral,neutral,seed\n";

/// `stance train --labels FILE` with fast fixed settings, writing m.json.
fn train(dir: &Path, labels: &str, extra: &[&str]) -> (Vec<String>, String) {
    let out = dir.join("m.json").to_str().unwrap().to_string();
    let mut args: Vec<String> = [
        "train",
        "--labels",
        labels,
        "--no-cv",
        "--alpha",
        "1",
        "--ngram-max",
        "1",
        "--min-df",
        "1",
        "--out",
        out.as_str(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    (args, out)
}

fn args_ref(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// Every command that reads a label file fails on `bad` with status 1 and
/// says `expected`; no model is written and no label set is touched.
fn every_label_reader_fails(dir: &Path, bad: &str, expected: &[&str]) {
    let (args, _) = train(dir, bad, &[]);
    let err = stance(&args_ref(&args)).assert_fails();
    assert_says(&err, expected);
    assert_no_output(dir, "m.json");

    let err = stance(&["eval", "--test", bad]).assert_fails();
    assert_says(&err, expected);

    let target = write(dir, "target.csv", LABELS.as_bytes());
    let err = stance(&["labels", "add", bad, "--into", &target]).assert_fails();
    assert_says(&err, expected);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), LABELS);

    // The same file as the label set to extend.
    let good = write(dir, "new.csv", b"text,label\nA new sentence.,neutral\n");
    let before = std::fs::read(bad).unwrap();
    let err = stance(&["labels", "add", &good, "--into", bad]).assert_fails();
    assert_says(&err, expected);
    assert_eq!(std::fs::read(bad).unwrap(), before, "{bad} was changed");
    assert_no_output(dir, "target.csv.tmp");
}

#[test]
fn empty_label_file() {
    let dir = tempdir();
    let bad = write(dir.path(), "empty.csv", b"");
    every_label_reader_fails(
        dir.path(),
        &bad,
        &[
            "empty.csv: empty file: a label file is CSV with a header line naming its columns (`text` and `label`)",
        ],
    );
}

#[test]
fn whitespace_only_label_file() {
    let dir = tempdir();
    let bad = write(dir.path(), "blank.csv", b"\r\n  \n\t");
    every_label_reader_fails(
        dir.path(),
        &bad,
        &["blank.csv: empty file (only whitespace): a label file is CSV"],
    );
}

#[test]
fn invalid_utf8_in_a_label_file() {
    let dir = tempdir();
    let bad = write(
        dir.path(),
        "bad.csv",
        b"text,label\nok,neutral\nRussia \xff lies,hawkish\n",
    );
    every_label_reader_fails(
        dir.path(),
        &bad,
        &[
            "bad.csv:3: invalid UTF-8 at byte offset 29 of the file, byte 8 of the line",
            "pass --invalid-utf8 replace",
        ],
    );
}

#[test]
fn invalid_utf8_replaced_on_request_in_label_files_never_rewrites_them() {
    let dir = tempdir();
    let mut bytes = LABELS.as_bytes().to_vec();
    bytes.extend_from_slice(b"Kerry \xff met Lavrov.,neutral,neutral,seed\n");
    let labels = write(dir.path(), "labels.csv", &bytes);

    // Training and evaluation read the row with U+FFFD, and say so.
    let (args, model) = train(dir.path(), &labels, &["--invalid-utf8", "replace"]);
    let err = stance(&args_ref(&args)).assert_ok_stderr();
    assert_says(
        &err,
        &[
            "labels.csv:8: 1 invalid byte sequence(s)",
            "the file itself is unchanged",
        ],
    );
    assert!(Path::new(&model).exists());
    let err = stance(&["eval", "--test", &labels, "--invalid-utf8", "replace"]).assert_ok_stderr();
    assert_says(&err, &["labels.csv:8: 1 invalid"]);
    assert_eq!(std::fs::read(&labels).unwrap(), bytes);

    // `labels add` never writes replaced text into a label set.
    let target = write(dir.path(), "target.csv", LABELS.as_bytes());
    let new = write(
        dir.path(),
        "new.csv",
        b"text,label\nA fine sentence.,neutral\nA \xfe broken one.,neutral\n",
    );
    let err = stance(&[
        "labels",
        "add",
        &new,
        "--into",
        &target,
        "--invalid-utf8",
        "replace",
    ])
    .assert_fails();
    assert_says(
        &err,
        &[
            "new.csv:3: invalid UTF-8 here was read as U+FFFD",
            "never writes replaced text into the label set",
            "1 bad row(s) in",
            "nothing was added",
        ],
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), LABELS);

    // Adding good rows to a label set with a bad byte keeps its bytes as they are.
    let good = write(
        dir.path(),
        "good.csv",
        b"text,label\nA fine sentence.,neutral\n",
    );
    let err = stance(&[
        "labels",
        "add",
        &good,
        "--into",
        &labels,
        "--invalid-utf8",
        "replace",
    ])
    .assert_ok_stderr();
    assert_says(&err, &["labels.csv:8: 1 invalid"]);
    let after = std::fs::read(&labels).unwrap();
    assert!(after.starts_with(&bytes));
    assert_eq!(&after[bytes.len()..], b"A fine sentence.,neutral,,added\n");
}

#[test]
fn spreadsheet_label_file_with_bom_and_crlf() {
    let dir = tempdir();
    let crlf = format!("\u{feff}{}", LABELS.replace('\n', "\r\n"));
    let labels = write(dir.path(), "labels.csv", crlf.as_bytes());
    let (args, model) = train(dir.path(), &labels, &[]);
    stance(&args_ref(&args)).assert_ok();
    let model: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    assert_eq!(
        model["heads"][0]["classes"],
        serde_json::json!(["conciliatory", "hawkish", "neutral"])
    );

    let json = stance(&["eval", "--test", &labels, "--format", "json"]).assert_ok();
    let metrics: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(metrics["n"], 6);

    // New rows from a spreadsheet (BOM, CRLF) join a CRLF label set with CRLF line ends.
    let new = write(
        dir.path(),
        "new.csv",
        "\u{feff}text,label\r\nA new sentence.,neutral\r\n".as_bytes(),
    );
    stance(&["labels", "add", &new, "--into", &labels]).assert_ok();
    let after = std::fs::read_to_string(&labels).unwrap();
    assert!(after.starts_with(&crlf));
    assert_eq!(&after[crlf.len()..], "A new sentence.,neutral,,added\r\n");
    let stats = stance(&["labels", "stats", &labels]).assert_ok();
    assert!(stats.contains("7 rows, 7 labeled"), "{stats}");
}

#[test]
fn lone_cr_label_file() {
    let dir = tempdir();
    let labels = write(dir.path(), "cr.csv", LABELS.replace('\n', "\r").as_bytes());
    let stats = stance(&["labels", "stats", &labels]).assert_ok();
    assert!(stats.contains("6 rows, 6 labeled"), "{stats}");
    // Lines are counted at lone CRs too.
    let bad = write(
        dir.path(),
        "bad.csv",
        b"text,label\rA.,neutral\rB.,neutral,extra\r",
    );
    let (args, _) = train(dir.path(), &bad, &[]);
    let err = stance(&args_ref(&args)).assert_fails();
    assert_says(&err, &["bad.csv:3: row has 3 fields but the header has 2"]);
    assert_no_output(dir.path(), "m.json");
}

#[test]
fn nul_byte_in_a_label_file() {
    let dir = tempdir();
    let bad = write(
        dir.path(),
        "nul.csv",
        b"text,label\nok,neutral\nRussia\0lies,hawkish\n",
    );
    every_label_reader_fails(
        dir.path(),
        &bad,
        &["nul.csv:3: NUL byte at byte offset 28 of the file, byte 7 of the line"],
    );
}

#[test]
fn label_file_ragged_row() {
    let dir = tempdir();
    let bad = write(dir.path(), "ragged.csv", b"text,label\na.,neutral,extra\n");
    every_label_reader_fails(
        dir.path(),
        &bad,
        &["ragged.csv:2: row has 3 fields but the header has 2"],
    );
}

#[test]
fn label_file_unbalanced_quote() {
    let dir = tempdir();
    let bad = write(
        dir.path(),
        "quote.csv",
        b"text,label\n\"Russia lies.,hawkish\nTalks.,neutral\n",
    );
    every_label_reader_fails(
        dir.path(),
        &bad,
        &["quote.csv:2: a quoted field opened on this line is never closed"],
    );
}

#[test]
fn label_file_duplicate_headers() {
    let dir = tempdir();
    let bad = write(
        dir.path(),
        "dup.csv",
        b"text,label,Label\nRussia lies.,hawkish,neutral\n",
    );
    every_label_reader_fails(
        dir.path(),
        &bad,
        &["dup.csv:1: duplicate column `label` (columns 2 and 3): rename or remove one of them"],
    );
}

#[test]
fn unknown_label_lists_the_allowed_ones() {
    let dir = tempdir();
    let mut with_typo = LABELS.to_string();
    with_typo.push_str("Putin is wrong.,hawkihs,negative,seed\n");
    let labels = write(dir.path(), "typo.csv", with_typo.as_bytes());

    let (args, _) = train(
        dir.path(),
        &labels,
        &["--classes", "conciliatory,hawkish,neutral"],
    );
    let err = stance(&args_ref(&args)).assert_fails();
    assert_says(
        &err,
        &["typo.csv:8: unknown label 'hawkihs': allowed are conciliatory, hawkish, neutral"],
    );
    assert_no_output(dir.path(), "m.json");

    let err = stance(&["eval", "--test", &labels]).assert_fails();
    assert_says(
        &err,
        &["typo.csv:8: unknown label 'hawkihs': the model knows conciliatory, hawkish, neutral"],
    );

    let target = write(dir.path(), "target.csv", LABELS.as_bytes());
    let err = stance(&["labels", "add", &labels, "--into", &target]).assert_fails();
    assert_says(
        &err,
        &[
            "typo.csv:8: unknown label \"hawkihs\": ",
            "target.csv uses conciliatory, hawkish, neutral",
        ],
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), LABELS);
}

#[test]
fn label_with_capitals_or_spaces_is_normalized_and_said() {
    let dir = tempdir();
    let messy = LABELS
        .replace(",hawkish,", ",Hawkish ,")
        .replace("spirit.,conciliatory", "spirit.,  CONCILIATORY");
    let labels = write(dir.path(), "messy.csv", messy.as_bytes());

    let (args, model) = train(dir.path(), &labels, &[]);
    let err = stance(&args_ref(&args)).assert_ok_stderr();
    assert_says(
        &err,
        &[
            "messy.csv: 3 `label` value(s) had spaces or capitals",
            "(e.g. \"Hawkish \" → \"hawkish\")",
        ],
    );
    let model: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    assert_eq!(
        model["heads"][0]["classes"],
        serde_json::json!(["conciliatory", "hawkish", "neutral"])
    );

    let err = stance(&["eval", "--test", &labels]).assert_ok_stderr();
    assert_says(
        &err,
        &["messy.csv: 3 `label` value(s) had spaces or capitals"],
    );

    let target = write(
        dir.path(),
        "target.csv",
        b"text,label,tone\nOld.,hawkish,negative\nOlder.,neutral,neutral\n",
    );
    let new = write(
        dir.path(),
        "new.csv",
        b"text,label,tone\nNew one.,Hawkish ,negative\nNew two.,neutral,NEUTRAL\nNew three.,neutral,neutral\n",
    );
    let err = stance(&["labels", "add", &new, "--into", &target]).assert_ok_stderr();
    assert_says(
        &err,
        &[
            "2 row(s) of",
            "new.csv had a label or tone with spaces or capitals",
            "(e.g. \"Hawkish \" → \"hawkish\")",
        ],
    );
    let after = std::fs::read_to_string(&target).unwrap();
    assert!(
        after.ends_with(
            "New one.,hawkish,negative\nNew two.,neutral,neutral\nNew three.,neutral,neutral\n"
        ),
        "{after}"
    );
}

#[test]
fn model_file_given_as_a_label_file() {
    let dir = tempdir();
    let model =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("models/default.json")).unwrap();
    let bad = write(dir.path(), "model.json", &model);
    every_label_reader_fails(
        dir.path(),
        &bad,
        &["model.json: this looks like a model file, not a label CSV: give models with --model"],
    );
}

// ---------------------------------------------------------------- --lines

#[test]
fn lines_with_invalid_utf8_name_the_line_or_are_replaced_on_request() {
    let dir = tempdir();
    let bytes = b"Kerry met Lavrov.\nRussia \xff talks.\n";
    let path = write(dir.path(), "bad.txt", bytes);
    classify_fails(
        dir.path(),
        &["--lines", &path],
        &["bad.txt:2: invalid UTF-8", "--invalid-utf8 replace"],
    );
    let (rows, err) = classify_ok(
        dir.path(),
        &["--lines", &path],
        &["--invalid-utf8", "replace"],
    );
    assert_eq!(
        sentences(&rows),
        ["Kerry met Lavrov.", "Russia \u{fffd} talks."]
    );
    assert_says(
        &err,
        &["warning: ", "bad.txt:2: 1 invalid byte sequence(s)"],
    );
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

#[test]
fn lines_that_are_all_blank_or_in_a_missing_file() {
    let dir = tempdir();
    let blank = write(dir.path(), "blank.txt", b"\n  \n\t\n");
    classify_fails(
        dir.path(),
        &["--lines", &blank],
        &["no sentence to classify", "every line was blank"],
    );
    // A missing file is skipped (exit 3) and the others classified, or
    // with --strict ends the run.
    let good = write(dir.path(), "good.txt", b"Talks resumed in Geneva.\n");
    let missing = dir.path().join("missing.txt");
    let missing = missing.to_str().unwrap();
    let out = out_path(dir.path());
    let err = stance(&["classify", "--lines", missing, &good, "--out", &out]).assert_exit(3);
    assert_says(&err, &["skipped: ", "missing.txt"]);
    assert_eq!(sentences(&read_csv(&out)), ["Talks resumed in Geneva."]);
    std::fs::remove_file(&out).unwrap();
    classify_fails(
        dir.path(),
        &["--lines", "--strict", missing, &good],
        &["missing.txt"],
    );
    // So is a directory, by name.
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    let err = stance(&[
        "classify",
        "--lines",
        sub.to_str().unwrap(),
        &good,
        "--out",
        &out,
    ])
    .assert_exit(3);
    assert_says(&err, &["sub: a directory: --lines reads text files"]);
    assert_eq!(read_csv(&out).len(), 1);
}
