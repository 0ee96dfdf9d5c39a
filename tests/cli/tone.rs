//! Tone alongside stance: a second head in the same model, reported
//! everywhere stance is, and models without it still working.

use crate::util::*;

#[test]
fn classify_and_profile_carry_tone_beside_stance() {
    let out = stance(&["classify", "data/articles", "--format", "jsonl"]).assert_ok();
    let rows: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for r in &rows {
        let p: f64 = ["p_tone_negative", "p_tone_neutral", "p_tone_positive"]
            .iter()
            .map(|k| r[k].as_f64().unwrap())
            .sum();
        assert!((p - 1.0).abs() < 1e-5);
    }
    // A real seed sentence where the axes disagree: a Russian envoy regretting
    // frozen channels is conciliatory in stance and negative in tone.
    let kislyak = rows
        .iter()
        .find(|r| {
            r["sentence"]
                .as_str()
                .unwrap()
                .contains("normal channels of communication are frozen")
        })
        .unwrap();
    assert_eq!(
        (kislyak["label"].as_str(), kislyak["tone"].as_str()),
        (Some("conciliatory"), Some("negative"))
    );

    let out = stance(&["profile", "data/articles", "--format", "json"]).assert_ok();
    let profiles: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    for p in &profiles {
        let n = p["sentences"].as_u64().unwrap();
        let tone_total: u64 = p["tone_counts"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum();
        assert_eq!(tone_total, n);
        let net = p["shares"]["hawkish"].as_f64().unwrap()
            - p["shares"]["conciliatory"].as_f64().unwrap();
        assert!((p["net_stance"].as_f64().unwrap() - net).abs() < 1e-12);
        let net_tone = p["tone_shares"]["positive"].as_f64().unwrap()
            - p["tone_shares"]["negative"].as_f64().unwrap();
        assert!((p["net_tone"].as_f64().unwrap() - net_tone).abs() < 1e-12);
    }
    let table = stance(&["profile", "data/articles"]).assert_ok();
    assert_eq!(table.matches("net tone").count(), 5);
    let csv = stance(&["profile", "data/articles", "--format", "csv"]).assert_ok();
    assert!(csv
        .lines()
        .next()
        .unwrap()
        .ends_with("share_tone_positive,net_tone"));
}

#[test]
fn eval_reports_both_heads() {
    let table = stance(&["eval", "--test", "data/labels.csv"]).assert_ok();
    assert!(
        table.contains("stance:") && table.contains("tone:"),
        "{table}"
    );
    let json = stance(&["eval", "--test", "data/labels.csv", "--format", "json"]).assert_ok();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        v["heads"]["tone"]["n"],
        rows_with("data/labels.csv", "tone")
    );
    assert_eq!(v["heads"]["stance"]["macro_f1"], v["macro_f1"]);
    assert_eq!(
        v["heads"]["tone"]["per_class"].as_object().unwrap().len(),
        3
    );
}

#[test]
fn a_model_without_a_tone_head_still_works() {
    let dir = tempdir();
    let model = dir.path().join("stance-only.json");
    let m = model.to_str().unwrap();
    stance(&[
        "train",
        "--labels",
        small_labels(),
        "--out",
        m,
        "--task",
        "stance",
        "--alpha",
        "0.3",
        "--ngram-max",
        "1",
        "--min-df",
        "1",
    ])
    .assert_ok();
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    assert_eq!(file["heads"].as_array().unwrap().len(), 1);
    let out = stance(&["classify", "data/articles", "--model", m]).assert_ok();
    assert!(
        out.lines().next().unwrap().ends_with("p_neutral"),
        "no tone columns"
    );
    let out = stance(&["profile", "data/articles", "--model", m, "--format", "json"]).assert_ok();
    assert!(!out.contains("net_tone"));
    let out = stance(&["eval", "--model", m, "--test", "data/labels.csv"]).assert_ok();
    assert!(!out.contains("tone:"));

    // A tone-only model, and the task list is validated.
    let tone = dir.path().join("tone-only.json");
    stance(&[
        "train",
        "--labels",
        small_labels(),
        "--out",
        tone.to_str().unwrap(),
        "--task",
        "tone",
        "--alpha",
        "0.3",
        "--ngram-max",
        "1",
        "--min-df",
        "1",
    ])
    .assert_ok();
    let out = stance(&[
        "classify",
        "data/articles",
        "--model",
        tone.to_str().unwrap(),
    ])
    .assert_ok();
    assert!(out
        .lines()
        .next()
        .unwrap()
        .ends_with("tone,p_tone_negative,p_tone_neutral,p_tone_positive"));
    let mood = dir.path().join("mood.json");
    let err = stance(&[
        "train",
        "--labels",
        "data/labels.csv",
        "--out",
        mood.to_str().unwrap(),
        "--task",
        "mood",
    ])
    .assert_fails();
    assert!(err.contains("unknown task 'mood'"), "{err}");
}

#[test]
fn tone_labels_are_validated_like_stance_labels() {
    let dir = tempdir();
    let labels = dir.path().join("l.csv");
    let mut text = String::from("text,label,tone\n");
    for i in 0..6 {
        text.push_str(&format!(
            "Russia must pay for its crimes {i}.,hawkish,negative\n"
        ));
        text.push_str(&format!(
            "Talks resumed warmly {i}.,conciliatory,Positive \n"
        ));
    }
    text.push_str("The envoy spoke.,neutral,nuetral\nThe envoy left.,neutral,\n");
    std::fs::write(&labels, &text).unwrap();
    let out = dir.path().join("m.json");
    let err = stance(&[
        "train",
        "--labels",
        labels.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--folds",
        "2",
    ])
    .assert_fails();
    assert!(err.contains("l.csv:14: unknown label 'nuetral'"), "{err}");
    assert!(
        err.contains("normalized"),
        "the Positive → positive normalization is reported: {err}"
    );
    assert!(!out.exists());
}
