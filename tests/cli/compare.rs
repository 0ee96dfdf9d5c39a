//! Comparing outlets: the table, the JSON, the chart and the HTML report.

use crate::util::*;

#[test]
fn compare_by_outlet_prints_four_outlets_intervals_and_tests() {
    let out = stance(&["compare", "data/articles", "--by", "outlet"]).assert_ok();
    for outlet in [
        "CNN",
        "Foreign Policy",
        "The American Interest",
        "Washington Examiner",
    ] {
        assert!(
            out.lines().any(|l| l.starts_with(outlet)),
            "{outlet} missing:\n{out}"
        );
    }
    // Washington Examiner has two articles: an interval; the others one.
    let we = out
        .lines()
        .find(|l| l.starts_with("Washington Examiner"))
        .unwrap();
    assert!(we.contains('[') && we.contains(']'), "{we}");
    assert!(out
        .lines()
        .find(|l| l.starts_with("CNN"))
        .unwrap()
        .contains("(one article)"));
    assert!(
        out.contains("chi-square test of independence") && out.contains("permutation test"),
        "{out}"
    );
    assert!(
        out.contains("expected counts are below 5"),
        "small counts are flagged:\n{out}"
    );
}

#[test]
fn compare_json_is_consistent_and_deterministic() {
    let a = stance(&[
        "compare",
        "data/articles",
        "--format",
        "json",
        "--resamples",
        "500",
    ])
    .assert_ok();
    let b = stance(&[
        "compare",
        "data/articles",
        "--format",
        "json",
        "--resamples",
        "500",
    ])
    .assert_ok();
    assert_eq!(a, b, "same seed, same numbers");
    // Another seed draws other resamples: with the 390 authored articles
    // (five articles are too few for the draws to differ), other intervals.
    let by_form = |seed: &str| -> serde_json::Value {
        let out = stance(&[
            "compare",
            "data/authored",
            "--by",
            "form",
            "--format",
            "json",
            "--resamples",
            "500",
            "--seed",
            seed,
        ])
        .assert_ok();
        serde_json::from_str(&out).unwrap()
    };
    let (seven, nine) = (by_form("7"), by_form("9"));
    assert_eq!(seven["articles"], 390);
    assert_eq!(seven["groups"][0]["shares"], nine["groups"][0]["shares"]);
    assert_ne!(
        seven["groups"][0]["net_stance"],
        nine["groups"][0]["net_stance"]
    );
    let v: serde_json::Value = serde_json::from_str(&a).unwrap();
    assert_eq!(v["articles"], 5);
    assert_eq!(v["sentences"], 88);
    let groups = v["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 4);
    let total: u64 = groups
        .iter()
        .map(|g| g["sentences"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 88);
    for g in groups {
        let single = g["single_article"].as_bool().unwrap();
        assert_eq!(g["net_stance"]["low"].is_null(), single);
        let est = g["net_stance"]["estimate"].as_f64().unwrap();
        if !single {
            assert!(
                g["net_stance"]["low"].as_f64().unwrap() <= est
                    && est <= g["net_stance"]["high"].as_f64().unwrap()
            );
        }
    }
    let p = v["permutation"]["p_value"].as_f64().unwrap();
    assert!(p > 0.0 && p <= 1.0);
    assert_eq!(v["chi_square"]["df"], 6);
    assert_eq!(v["pairwise"].as_array().unwrap().len(), 6);
}

#[test]
fn compare_by_date_and_by_other_fields() {
    let out = stance(&[
        "compare",
        "data/articles",
        "--by",
        "date",
        "--period",
        "month",
        "--format",
        "csv",
    ])
    .assert_ok();
    let groups: Vec<&str> = out
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(groups, ["(no date)", "2016-09", "2016-10"]);
    let out = stance(&[
        "compare",
        "data/articles",
        "--by",
        "date",
        "--period",
        "week",
        "--format",
        "csv",
    ])
    .assert_ok();
    assert!(out.contains("2016-W41"), "{out}");

    let dir = tempdir();
    let jsonl = dir.path().join("a.jsonl");
    std::fs::write(
        &jsonl,
        "{\"id\":\"1\",\"text\":\"Russia must be punished.\",\"desk\":\"world\"}\n{\"id\":\"2\",\"text\":\"Talks resumed in Geneva.\",\"desk\":\"world\"}\n{\"id\":\"3\",\"text\":\"The summit is on Monday.\",\"desk\":\"politics\"}\n",
    )
    .unwrap();
    let out = stance(&[
        "compare",
        jsonl.to_str().unwrap(),
        "--by",
        "desk",
        "--format",
        "json",
    ])
    .assert_ok();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["group"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["politics", "world"]);
}

#[test]
fn plot_writes_svg_and_png() {
    let dir = tempdir();
    let svg = dir.path().join("chart.svg");
    let png = dir.path().join("chart.png");
    stance(&["compare", "data/articles", "--plot", svg.to_str().unwrap()]).assert_ok();
    stance(&["compare", "data/articles", "--plot", png.to_str().unwrap()]).assert_ok();
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(
        text.starts_with("<svg")
            && text.contains("Washington Examiner (2)")
            && text.contains("5 articles")
    );
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000);
    let err = stance(&[
        "compare",
        "data/articles",
        "--plot",
        dir.path().join("chart.gif").to_str().unwrap(),
    ])
    .assert_fails();
    assert!(err.contains(".svg or .png"), "{err}");
}

#[test]
fn report_is_self_contained_and_escapes_article_text() {
    let dir = tempdir();
    let html = dir.path().join("report.html");
    stance(&["report", "data/articles", "--out", html.to_str().unwrap()]).assert_ok_stderr();
    let page = std::fs::read_to_string(&html).unwrap();
    assert_eq!(page.matches("<section class=\"article\"").count(), 5);
    assert!(page.contains("<figure id=\"outlet-chart\"") && page.contains("<svg"));
    assert!(!page.contains("<script"), "no scripts");
    assert!(
        !page.contains("<link") && !page.contains("src=\"http"),
        "nothing fetched"
    );
    // Furniture is shown apart, not as sentences.
    assert!(page.contains("removed as page furniture") && page.contains("FluffyFooFoo"));
    assert!(page.contains("class=\"s hawkish\"") && page.contains("data-p=\"stance: conciliatory"));

    // Markup in article text is stripped on reading; markup spelled with
    // entities is text, and must reach the page escaped.
    let jsonl = dir.path().join("evil.jsonl");
    std::fs::write(&jsonl, "{\"id\":\"x<y>\",\"text\":\"Russia said &lt;script&gt;alert(1)&lt;/script&gt; nothing. Talks & more talks.\",\"outlet\":\"A&B\"}\n").unwrap();
    let html = dir.path().join("evil.html");
    stance(&[
        "report",
        jsonl.to_str().unwrap(),
        "--out",
        html.to_str().unwrap(),
    ])
    .assert_ok_stderr();
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(!page.contains("<script>"), "article text must be escaped");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("data-article=\"x&lt;y&gt;\"") && page.contains("A&amp;B"));
}
