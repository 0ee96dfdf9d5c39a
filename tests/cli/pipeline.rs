//! The pipeline end to end on the bundled data: profile, classify, train, eval.

use crate::util::*;

#[test]
fn profile_prints_five_articles_with_counts_that_add_up() {
    let out = stance(&["profile", "data/articles", "--format", "json"]).assert_ok();
    let profiles: serde_json::Value = serde_json::from_str(&out).unwrap();
    let profiles = profiles.as_array().unwrap();
    assert_eq!(profiles.len(), 5);
    for p in profiles {
        let n = p["sentences"].as_u64().unwrap();
        assert!(n >= 10, "{p}");
        let counted: u64 = p["counts"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum();
        assert_eq!(counted, n);
        let shares: f64 = p["shares"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_f64().unwrap())
            .sum();
        assert!((shares - 1.0).abs() < 1e-9);
        let net = p["net_stance"].as_f64().unwrap();
        let expected = p["shares"]["hawkish"].as_f64().unwrap()
            - p["shares"]["conciliatory"].as_f64().unwrap();
        assert!((net - expected).abs() < 1e-12);
        assert_eq!(p["most_hawkish"].as_array().unwrap().len(), 3);
    }
    // The American Interest piece: navigation, section label, icon line,
    // comments and footer are dropped and counted; its title is metadata.
    let ai = profiles
        .iter()
        .find(|p| p["article"] == "002_00185b39d2b6160c")
        .unwrap();
    assert!(ai["dropped"].as_u64().unwrap() >= 30, "{ai}");
    assert_eq!(ai["title"], "U.S. Ends Silent Treatment With Moscow");
    assert_eq!(ai["outlet"], "The American Interest");
}

#[test]
fn profile_table_and_csv_formats() {
    let table = stance(&["profile", "data/articles"]).assert_ok();
    assert_eq!(table.matches("net stance").count(), 5);
    let csv = stance(&["profile", "data/articles", "--format", "csv"]).assert_ok();
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("article,outlet,title,date,sentences,dropped,count_conciliatory"));
    assert!(header.contains(",net_stance,"));
    assert_eq!(lines.count(), 5);
    let jsonl = stance(&["profile", "data/articles", "--format", "jsonl"]).assert_ok();
    assert_eq!(jsonl.lines().count(), 5);
}

/// The columns of `classify`'s CSV with the built-in model (two heads).
const CLASSIFY_HEADER: [&str; 12] = [
    "article",
    "outlet",
    "sentence_index",
    "sentence",
    "label",
    "p_conciliatory",
    "p_hawkish",
    "p_neutral",
    "tone",
    "p_tone_negative",
    "p_tone_neutral",
    "p_tone_positive",
];

#[test]
fn classify_excludes_reader_comments_and_titles() {
    let out = stance(&["classify", "data/articles"]).assert_ok();
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, CLASSIFY_HEADER);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    for phrase in [
        "John Kerry is a fool",
        "blind squirrel",
        "Al Qaeda",
        "Scheherazade",
        "incompetent boobs",
        "FluffyFooFoo",
        "show comments",
        "The American Interest LLC",
        "Related Content",
        "mead berger",
        "Features Icon",
    ] {
        assert!(
            !rows.iter().any(|r| r[3].contains(phrase)),
            "{phrase} leaked into the sentences"
        );
    }
    // Titles are metadata, not sentences: 004 repeats its title twice.
    assert!(!rows.iter().any(|r| r[3]
        == *"John Kerry Consults with Russians on Syria Less Than 48 Hours After Suspending Ties"));
    for r in &rows {
        let p: f64 = (5..8).map(|i| r[i].parse::<f64>().unwrap()).sum();
        assert!((p - 1.0).abs() < 1e-5, "probabilities sum to {p}");
    }
    // Every seed sentence in data/labels.csv is a sentence of the articles.
    let labels = read_csv("data/labels.csv");
    let seeds: Vec<&Vec<String>> = labels.iter().filter(|r| r[5] == "seed").collect();
    assert_eq!(
        seeds.len(),
        rows.len(),
        "every seed sentence is labeled, and only those"
    );
    for s in seeds {
        assert!(
            rows.iter().any(|r| r[3] == *s[0] && r[0] == *s[3]),
            "labeled seed sentence not found: {}",
            s[0]
        );
    }
}

#[test]
fn classify_jsonl_and_other_readers() {
    let dir = tempdir();
    let jsonl = dir.path().join("a.jsonl");
    std::fs::write(
        &jsonl,
        "{\"id\":\"x1\",\"text\":\"Russia must be punished for its crimes. The talks were constructive.\",\"outlet\":\"Daily\"}\n\n{\"id\":\"x2\",\"text\":\"The meeting is on Monday.\",\"extra\":true}\n",
    )
    .unwrap();
    let out = stance(&["classify", jsonl.to_str().unwrap(), "--format", "jsonl"]).assert_ok();
    let records: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 3);
    assert_eq!(records[0]["article"], "x1");
    assert_eq!(records[0]["outlet"], "Daily");
    assert_eq!(records[1]["sentence_index"], 1);
    assert!(records[0]["p_hawkish"].as_f64().unwrap() > 0.0);

    let csv_in = dir.path().join("b.csv");
    std::fs::write(
        &csv_in,
        "id,text,outlet\nc1,\"Moscow welcomed the talks. Sanctions followed.\",Wire\n",
    )
    .unwrap();
    let out = stance(&["classify", csv_in.to_str().unwrap()]).assert_ok();
    assert_eq!(out.lines().count(), 3);

    // Standard input.
    let out = stance(&["profile", "-", "--format", "jsonl"])
        .stdin("{\"id\":\"s\",\"text\":\"Kerry met Lavrov.\"}\n")
        .assert_ok();
    assert!(out.contains("\"article\":\"s\""));

    // A single .txt file picks up the manifest beside it.
    let out = stance(&[
        "profile",
        "data/articles/003_139156a821428acc.txt",
        "--format",
        "jsonl",
    ])
    .assert_ok();
    assert!(out.contains("\"outlet\":\"CNN\""));
}

#[test]
fn output_file_is_written_atomically() {
    let dir = tempdir();
    let out_path = dir.path().join("profiles.json");
    stance(&[
        "profile",
        "data/articles",
        "--format",
        "json",
        "--out",
        out_path.to_str().unwrap(),
    ])
    .assert_ok();
    let text = std::fs::read_to_string(&out_path).unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&text)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        5
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left"
    );
}

#[test]
fn train_then_eval_and_classify_with_the_new_model() {
    let dir = tempdir();
    let model = dir.path().join("m.json");
    let m = model.to_str().unwrap();
    let labels = small_labels();
    let out = stance(&[
        "train",
        "--labels",
        labels,
        "--out",
        m,
        "--alpha",
        "0.3",
        "--ngram-max",
        "1",
        "--min-df",
        "1",
    ])
    .assert_ok();
    assert!(out.contains("cross-validated macro-F1"), "{out}");
    assert!(out.contains("grouped by article"), "{out}");

    let json = stance(&["eval", "--model", m, "--test", labels, "--format", "json"]).assert_ok();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    for key in ["accuracy", "macro_f1", "per_class", "confusion", "n"] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["n"], 807);
    // Training data is fitted well; the point is that the numbers are computed.
    assert!(v["accuracy"].as_f64().unwrap() > 0.8);
    let per_class = v["per_class"].as_object().unwrap();
    assert_eq!(per_class.len(), 3);
    let support: u64 = per_class
        .values()
        .map(|c| c["support"].as_u64().unwrap())
        .sum();
    assert_eq!(support, 807);
    let matrix = v["confusion"]["matrix"].as_array().unwrap();
    let total: u64 = matrix
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .map(|x| x.as_u64().unwrap())
        .sum();
    assert_eq!(total, 807);

    let table = stance(&["eval", "--model", m, "--test", labels]).assert_ok();
    assert!(table.contains("macro-F1") && table.contains("confusion"));
    assert!(
        table.contains("95% intervals (2000 bootstrap resamples of the sentences, seed 20161012)"),
        "{table}"
    );

    let out = stance(&[
        "classify",
        "data/articles",
        "--model",
        m,
        "--format",
        "jsonl",
    ])
    .assert_ok();
    assert_eq!(out.lines().count(), 88);

    // The model file describes itself.
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    assert_eq!(file["format"], "stance-model");
    assert_eq!(
        file["heads"][0]["classes"],
        serde_json::json!(["conciliatory", "hawkish", "neutral"])
    );
    assert_eq!(file["training"]["files"][0]["rows"], 807);
    assert_eq!(
        file["training"]["files"][0]["sha256"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
    assert!(
        file["heads"][0]["cross_validation"]["macro_f1_mean"]
            .as_f64()
            .unwrap()
            > 0.3
    );
    assert_eq!(file["heads"][0]["convergence"]["converged"], true);
}

/// `stance train` on [`small_labels`] without the search: alpha 1, min_df
/// 1, and `extra`. Returns stdout.
fn train_fixed(out: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "train",
        "--labels",
        small_labels(),
        "--out",
        out,
        "--no-cv",
        "--alpha",
        "1",
        "--min-df",
        "1",
    ];
    args.extend_from_slice(extra);
    stance(&args).assert_ok()
}

#[test]
fn character_ngrams_make_a_version_2_model_that_classifies() {
    let dir = tempdir();
    let mut outputs = Vec::new();
    for chars in ["none", "2-4"] {
        let model = dir.path().join(format!("m-{chars}.json"));
        let m = model.to_str().unwrap();
        let out = train_fixed(m, &["--ngram-max", "1", "--char-ngrams", chars]);
        let file: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
        let vocabulary = file["features"]["vocabulary"].as_array().unwrap();
        let char_terms = vocabulary
            .iter()
            .filter(|t| t.as_str().unwrap().starts_with('#'))
            .count();
        let card = std::fs::read_to_string(dir.path().join(format!("m-{chars}.md"))).unwrap();
        if chars == "none" {
            assert_eq!(file["format_version"], 1, "older stance can read it");
            assert!(file["features"]["settings"].get("char_ngrams").is_none());
            assert_eq!(char_terms, 0);
            assert!(out.contains("word 1-1 grams,"), "{out}");
        } else {
            assert_eq!(file["format_version"], 2);
            assert_eq!(
                file["features"]["settings"]["char_ngrams"],
                serde_json::json!([2, 4])
            );
            // "# ru", "#rus", "russ"... are among them.
            assert!(char_terms > 1000, "{char_terms} character n-grams");
            assert!(vocabulary.iter().any(|t| t == "# ru"));
            assert!(out.contains("word 1-1 + char 2-4 grams"), "{out}");
            assert!(card.contains("character 2–4 grams of the words"), "{card}");
        }
        outputs.push(
            stance(&["classify", "data/articles", "--model", m, "--format", "csv"]).assert_ok(),
        );
    }
    // Same sentences either way; the character n-grams change some probabilities.
    let rows = |csv: &str| csv.lines().count();
    assert_eq!(rows(&outputs[0]), 89);
    assert_eq!(rows(&outputs[0]), rows(&outputs[1]));
    assert_ne!(outputs[0], outputs[1]);
}

#[test]
fn negation_scope_marking_is_an_option_recorded_in_the_model() {
    let dir = tempdir();
    let model = dir.path().join("m.json");
    let m = model.to_str().unwrap();
    let out = train_fixed(m, &["--ngram-max", "2", "--negation-scope", "true"]);
    assert!(
        out.contains("word 1-2 grams, negation scope marked"),
        "{out}"
    );
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    assert_eq!(file["format_version"], 2);
    assert_eq!(file["features"]["settings"]["negation_scope"], true);
    let vocabulary = file["features"]["vocabulary"].as_array().unwrap();
    // "not [worth pursuing]" and the like give marked stems and bigrams.
    assert!(vocabulary
        .iter()
        .any(|t| t.as_str().unwrap().starts_with('¬')));
    let csv = stance(&["classify", "data/articles", "--model", m]).assert_ok();
    assert_eq!(csv.lines().count(), 89);
    let err = stance(&[
        "train",
        "--labels",
        "data/labels.csv",
        "--out",
        m,
        "--force",
        "--negation-scope",
        "maybe",
    ])
    .assert_exit(2);
    assert!(err.contains("--negation-scope"), "{err}");
}

#[test]
fn labels_from_the_file_define_the_classes() {
    // Any label set works: FOMC-style hawkish/dovish/neutral, or two classes.
    let dir = tempdir();
    let labels = dir.path().join("l.csv");
    let mut text = String::from("sentence,label\n");
    for i in 0..8 {
        text.push_str(&format!(
            "Rates must rise to fight inflation {i}.,hawkish\n"
        ));
        text.push_str(&format!(
            "Policy should stay accommodative for now {i}.,dovish\n"
        ));
    }
    std::fs::write(&labels, text).unwrap();
    let model = dir.path().join("m.json");
    stance(&[
        "train",
        "--labels",
        labels.to_str().unwrap(),
        "--out",
        model.to_str().unwrap(),
        "--folds",
        "2",
    ])
    .assert_ok();
    let out = stance(&[
        "classify",
        "data/articles/003_139156a821428acc.txt",
        "--model",
        model.to_str().unwrap(),
    ])
    .assert_ok();
    assert!(out
        .lines()
        .next()
        .unwrap()
        .ends_with("label,p_dovish,p_hawkish"));
    // No hawkish/conciliatory pair: no net stance.
    let out = stance(&[
        "profile",
        "data/articles/003_139156a821428acc.txt",
        "--model",
        model.to_str().unwrap(),
        "--format",
        "json",
    ])
    .assert_ok();
    assert!(out.contains("\"net_stance\": null"));
}

#[test]
fn training_is_deterministic() {
    let dir = tempdir();
    let a = dir.path().join("a.json");
    let b = dir.path().join("b.json");
    for path in [&a, &b] {
        stance(&train_args(
            path.to_str().unwrap(),
            &["--alpha", "1,0.3", "--folds", "3"],
        ))
        .env("SOURCE_DATE_EPOCH", "1476230400")
        .assert_ok();
    }
    assert_eq!(
        std::fs::read(&a).unwrap(),
        std::fs::read(&b).unwrap(),
        "same labels and settings, same bytes"
    );
}

/// The bundled model's stance head is what `data/labels.csv` trains with the
/// settings its search chose. The search itself takes about half an hour
/// on the bundled labels (its command is in the model card); this retrains
/// the chosen settings only and compares features and weights.
#[test]
fn the_bundled_model_is_what_the_bundled_labels_train() {
    let bundled: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("models/default.json").unwrap()).unwrap();
    let settings = &bundled["features"]["settings"];
    let head = bundled["heads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["task"] == "stance")
        .unwrap();
    let hyper = &head["hyperparameters"];
    let chars = match settings["char_ngrams"].as_array() {
        Some(r) => format!("{}-{}", r[0], r[1]),
        None => "none".to_string(),
    };
    let target = &settings["target"];
    let flag = |v: &serde_json::Value| v.as_bool().unwrap_or(false).to_string();
    let dir = tempdir();
    let out = dir.path().join("m.json");
    let args: Vec<String> = [
        "train",
        "--labels",
        "data/labels.csv",
        "--task",
        "stance",
        "--no-cv",
        "--out",
        out.to_str().unwrap(),
        "--alpha",
        &hyper["alpha"].to_string(),
        "--class-weight",
        hyper["class_weight"].as_str().unwrap(),
        "--ngram-max",
        &settings["ngram_max"].to_string(),
        "--min-df",
        &settings["min_df"].to_string(),
        "--char-ngrams",
        &chars,
        "--negation-scope",
        &flag(&settings["negation_scope"]),
        "--target-window",
        &target["window"].as_u64().unwrap_or(0).to_string(),
        "--speakers",
        &flag(&target["speakers"]),
        "--cues",
        &flag(&target["cues"]),
    ]
    .map(String::from)
    .to_vec();
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    stance(&refs).assert_ok();
    let ours: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let stale = "models/default.json is stale: retrain it with the command in its card";
    assert!(
        ours["features"] == bundled["features"],
        "{stale} (features)"
    );
    let mut ours_head = ours["heads"][0].clone();
    let mut bundled_head = head.clone();
    // Only the search's report differs: these settings were given.
    ours_head["cross_validation"] = serde_json::Value::Null;
    bundled_head["cross_validation"] = serde_json::Value::Null;
    assert!(ours_head == bundled_head, "{stale} (stance head)");
}

#[test]
fn train_refuses_to_overwrite_without_force() {
    let dir = tempdir();
    let model = dir.path().join("m.json");
    std::fs::write(&model, "precious").unwrap();
    let err = stance(&[
        "train",
        "--labels",
        "data/labels.csv",
        "--out",
        model.to_str().unwrap(),
    ])
    .assert_fails();
    assert!(err.contains("--force"), "{err}");
    assert_eq!(std::fs::read_to_string(&model).unwrap(), "precious");
}

#[test]
fn large_batches_keep_input_order() {
    // More articles than one parallel batch holds: output order is input order.
    let dir = tempdir();
    let jsonl = dir.path().join("many.jsonl");
    let texts = [
        "Russia must be punished for its crimes.",
        "Talks resumed in a constructive spirit.",
        "The meeting is on Monday.",
    ];
    let mut content = String::new();
    for i in 0..1500 {
        content.push_str(&format!(
            "{{\"id\":\"a{i}\",\"text\":\"{} Sentence number {i}.\"}}\n",
            texts[i % 3]
        ));
    }
    std::fs::write(&jsonl, content).unwrap();
    let out = stance(&[
        "classify",
        jsonl.to_str().unwrap(),
        "--format",
        "jsonl",
        "--quiet",
    ])
    .assert_ok();
    let ids: Vec<String> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["article"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ids.len(), 3000);
    for (i, pair) in ids.chunks(2).enumerate() {
        assert_eq!(pair, [format!("a{i}"), format!("a{i}")]);
    }
}

#[test]
fn classify_lines_scores_each_line_as_the_article_path_scores_its_sentences() {
    // The bundled articles' sentences (those on one line), one per line.
    let by_article = stance(&["classify", "data/articles", "--format", "jsonl"]).assert_ok();
    let sentences: Vec<serde_json::Value> = by_article
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| !r["sentence"].as_str().unwrap().contains('\n'))
        .collect();
    assert!(sentences.len() > 50, "{}", sentences.len());
    let dir = tempdir();
    let path = dir.path().join("sentences.txt");
    let mut text = String::new();
    for (i, s) in sentences.iter().enumerate() {
        text.push_str(s["sentence"].as_str().unwrap());
        // Windows line ends and a blank line now and then.
        text.push_str(if i % 7 == 0 { "\r\n" } else { "\n" });
        if i % 50 == 0 {
            text.push_str("  \n");
        }
    }
    std::fs::write(&path, &text).unwrap();
    let p = path.to_str().unwrap();
    let out = stance(&["classify", "--lines", p, "--format", "jsonl"]).assert_ok();
    let records: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), sentences.len());
    let lines: Vec<&str> = text.split('\n').collect();
    for (record, expected) in records.iter().zip(&sentences) {
        assert_eq!(record["article"], p);
        assert_eq!(record["sentence"], expected["sentence"]);
        let index = record["sentence_index"].as_u64().unwrap() as usize;
        assert_eq!(lines[index].trim(), expected["sentence"].as_str().unwrap());
        for key in [
            "label",
            "p_conciliatory",
            "p_hawkish",
            "p_neutral",
            "tone",
            "p_tone_negative",
        ] {
            assert_eq!(record[key], expected[key], "{key}: {record}");
        }
    }
    // CSV has the same records, and standard input works too.
    let csv = stance(&["classify", "--lines", "-"])
        .stdin(&text)
        .assert_ok();
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(
        rows.headers().unwrap().iter().collect::<Vec<_>>(),
        CLASSIFY_HEADER
    );
    let records: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), sentences.len());
    assert_eq!(&records[0][0], "<stdin>");
}

#[test]
fn classify_lines_counts_lines_across_blocks_of_a_large_input() {
    // More than one 4 MB block: line indexes continue from block to block.
    let dir = tempdir();
    let path = dir.path().join("big.txt");
    let line = "Moscow rejected the proposal and threatened a response to the sanctions.";
    let n = 80_000;
    let mut text = String::with_capacity(n * (line.len() + 1));
    for i in 0..n {
        if i % 1000 == 999 {
            text.push('\n');
        } else {
            text.push_str(line);
            text.push('\n');
        }
    }
    assert!(text.len() > 5 << 20);
    std::fs::write(&path, &text).unwrap();
    let out = stance(&["classify", "--lines", path.to_str().unwrap(), "--quiet"]).assert_ok();
    let mut rows = csv::Reader::from_reader(out.as_bytes());
    let indexes: Vec<usize> = rows
        .records()
        .map(|r| r.unwrap()[2].parse().unwrap())
        .collect();
    let expected: Vec<usize> = (0..n).filter(|i| i % 1000 != 999).collect();
    assert_eq!(indexes, expected);
}

#[test]
fn eval_gives_bootstrap_intervals_that_bracket_the_scores_and_repeat_with_the_seed() {
    let eval = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["eval", "--test", "data/labels.csv", "--format", "json"];
        args.extend_from_slice(extra);
        serde_json::from_str(&stance(&args).assert_ok()).unwrap()
    };
    let v = eval(&["--resamples", "500"]);
    for head in ["stance", "tone"] {
        let h = &v["heads"][head];
        assert_eq!(h["intervals"]["resamples"], 500);
        assert_eq!(h["intervals"]["seed"], 20161012);
        for metric in ["accuracy", "macro_f1"] {
            let score = h[metric].as_f64().unwrap();
            let [low, high] = [0, 1].map(|i| h["intervals"][metric][i].as_f64().unwrap());
            assert!(
                low <= score && score <= high && high - low < 0.2,
                "{head} {metric}: {h}"
            );
        }
    }
    assert_eq!(v["intervals"], v["heads"]["stance"]["intervals"]);
    assert_eq!(eval(&["--resamples", "500"]), v);
    let other = eval(&["--resamples", "500", "--seed", "7"]);
    assert_eq!(other["macro_f1"], v["macro_f1"]);
    assert_ne!(other["intervals"], v["intervals"]);

    // Usage errors exit with 2.
    let err = stance(&["eval", "--test", "data/labels.csv", "--resamples", "10"]).assert_exit(2);
    assert!(err.contains("--resamples"), "{err}");
    let err = stance(&["eval", "--labels", "data/labels.csv", "--seed", "7"]).assert_exit(2);
    assert!(err.contains("--seed") && err.contains("--labels"), "{err}");
}

#[test]
fn eval_writes_each_prediction_beside_its_line_and_never_over_the_test_file() {
    let dir = tempdir();
    let path = dir.path().join("predictions.csv");
    let p = path.to_str().unwrap();
    let json = stance(&[
        "eval",
        "--test",
        "data/labels.csv",
        "--predictions",
        p,
        "--format",
        "json",
    ])
    .assert_ok();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();

    // The test file's texts by line, to check each prediction's line.
    let mut labels = csv::Reader::from_path("data/labels.csv").unwrap();
    let mut text_at = std::collections::HashMap::new();
    for record in labels.records() {
        let record = record.unwrap();
        let line = record.position().unwrap().line();
        text_at.insert(line.to_string(), record[0].to_string());
    }
    let mut predictions = csv::Reader::from_path(&path).unwrap();
    assert_eq!(
        predictions.headers().unwrap(),
        vec!["line", "task", "label", "predicted", "probability", "text"]
    );
    let mut per_task: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    for record in predictions.records() {
        let r = record.unwrap();
        assert_eq!(
            text_at[&r[0]].split_whitespace().collect::<Vec<_>>(),
            r[5].split_whitespace().collect::<Vec<_>>(),
            "line {}",
            &r[0]
        );
        let probability: f64 = r[4].parse().unwrap();
        assert!(probability > 1.0 / 3.0 && probability <= 1.0, "{r:?}");
        let (n, right) = per_task.entry(r[1].to_string()).or_default();
        *n += 1;
        *right += usize::from(r[2] == r[3]);
    }
    // Each head's rows, and its right answers, agree with its accuracy.
    for (task, column) in [("stance", "label"), ("tone", "tone")] {
        let (n, right) = per_task[task];
        assert_eq!(n, rows_with("data/labels.csv", column));
        let accuracy = v["heads"][task]["accuracy"].as_f64().unwrap();
        assert_eq!(right, (accuracy * n as f64).round() as usize, "{task}");
    }

    let before = std::fs::read("data/labels.csv").unwrap();
    let err = stance(&[
        "eval",
        "--test",
        "data/labels.csv",
        "--predictions",
        "./data/labels.csv",
    ])
    .assert_fails();
    assert!(err.contains("an input of this command"), "{err}");
    assert_eq!(std::fs::read("data/labels.csv").unwrap(), before);
}

#[test]
fn the_search_progress_bar_stays_off_stderr_that_is_not_a_terminal() {
    let dir = tempdir();
    let model = dir.path().join("m.json");
    let m = model.to_str().unwrap();
    let args = train_args(
        m,
        &[
            "--force",
            "--alpha",
            "1,0.3",
            "--ngram-max",
            "1",
            "--char-ngrams",
            "none",
            "--min-df",
            "1",
            "--class-weight",
            "none",
            "--target-window",
            "0",
        ],
    );
    let err = stance(&args).assert_ok_stderr();
    assert!(
        err.contains("trying 2 settings with 5-fold cross-validation"),
        "{err}"
    );
    assert!(!err.contains("fold fits") && !err.contains('\r'), "{err}");
    let mut quiet = args.clone();
    quiet.push("--quiet");
    let again = stance(&quiet).assert_ok_stderr();
    assert_eq!(again, err, "--quiet changes nothing but the bar");
}

#[test]
fn profile_estimates_shares_as_asked_and_says_how() {
    let profiles = |method: &str| -> Vec<serde_json::Value> {
        let out = stance(&[
            "profile",
            "data/articles",
            "--format",
            "jsonl",
            "--shares",
            method,
        ])
        .assert_ok();
        out.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    for p in profiles("count") {
        assert_eq!(p["shares_method"], "count");
        let n = p["sentences"].as_f64().unwrap();
        for label in ["conciliatory", "hawkish", "neutral"] {
            let share = p["shares"][label].as_f64().unwrap();
            assert!((share - p["counts"][label].as_f64().unwrap() / n).abs() < 1e-12);
        }
    }
    for p in profiles("mean") {
        assert_eq!(p["shares_method"], "mean");
        assert_eq!(p["shares"], p["mean_probability"]);
    }
    for method in ["adjusted", "em"] {
        for p in profiles(method) {
            assert_eq!(p["shares_method"], method);
            let total: f64 = ["conciliatory", "hawkish", "neutral"]
                .iter()
                .map(|l| p["shares"][l].as_f64().unwrap())
                .sum();
            assert!((total - 1.0).abs() < 1e-9, "{method}: {total}");
            let net = p["shares"]["hawkish"].as_f64().unwrap()
                - p["shares"]["conciliatory"].as_f64().unwrap();
            assert!((p["net_stance"].as_f64().unwrap() - net).abs() < 1e-12);
        }
    }
    // The default is the mean, and compare says which it used.
    assert_eq!(profiles("mean"), {
        let out = stance(&["profile", "data/articles", "--format", "jsonl"]).assert_ok();
        out.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect::<Vec<serde_json::Value>>()
    });
    let table = stance(&["compare", "data/articles", "--shares", "count"]).assert_ok();
    assert!(table.contains("shares: count"), "{table}");

    // Adjusted counts need the cross-validated confusion matrix a model
    // trained with --no-cv does not have: refused, saying what to do.
    let dir = tempdir();
    let model = dir.path().join("m.json");
    train_fixed(model.to_str().unwrap(), &["--ngram-max", "1"]);
    let err = stance(&[
        "profile",
        "data/articles",
        "--model",
        model.to_str().unwrap(),
        "--shares",
        "adjusted",
    ])
    .assert_fails();
    assert!(
        err.contains("cross-validated confusion matrix")
            && err.contains("--shares count, mean or em"),
        "{err}"
    );
}

#[test]
fn eval_holds_out_the_articles_of_one_source_only() {
    let fixed = [
        "--alpha",
        "1",
        "--ngram-max",
        "1",
        "--char-ngrams",
        "none",
        "--min-df",
        "1",
        "--class-weight",
        "none",
        "--target-window",
        "0",
    ];
    let mut args = vec![
        "eval",
        "--labels",
        small_labels(),
        "--cv-by",
        "article",
        "--hold-out-source",
        "seed",
        "--format",
        "json",
    ];
    args.extend_from_slice(&fixed);
    let (out, err) = {
        let err = stance(&args).assert_ok_stderr();
        (stance(&args).assert_ok(), err)
    };
    assert!(err.contains("each training the one given setting"), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let folds: Vec<&str> = v["folds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fold"].as_str().unwrap())
        .collect();
    // The five seed articles, and nothing else, each held out once.
    let mut seeds: Vec<String> = read_csv(small_labels())
        .iter()
        .filter(|r| r[5] == "seed")
        .map(|r| r[3].clone())
        .collect();
    seeds.dedup();
    assert_eq!(folds, seeds);
    assert_eq!(v["pooled"]["n"], 88);
    args[6] = "nonesuch";
    let err = stance(&args).assert_fails();
    assert!(
        err.contains("no article has rows with source 'nonesuch'"),
        "{err}"
    );
}
