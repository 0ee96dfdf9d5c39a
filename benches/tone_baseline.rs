//! The tone head beside a lexicon baseline, on the same real sentences.
//!
//! Both are scored on the seed sentences of `data/labels.csv` (real
//! reporting, not authored text): the tone head by leave-one-article-out
//! cross-validation (train on every other row, settings chosen inside each
//! fold, as `stance eval --labels data/labels.csv --cv-by article --task tone`),
//! VADER (the `vader_sentiment` port) by its compound score with the usual
//! ±0.05 thresholds. Run with `cargo bench --bench tone_baseline`.

use stance::eval::Metrics;
use stance::labels;
use stance::model::train::{self, Dataset, TrainOptions};

fn main() {
    let file = labels::read(std::path::Path::new("data/labels.csv"), "tone")
        .expect("data/labels.csv has tone labels");
    let ds = Dataset::from_rows(&file.rows, None).expect("tone labels form a dataset");
    let opts = TrainOptions::default();
    let outer = train::group_folds(&ds, None);
    let held_out = train::held_out(&ds, &outer, &opts).expect("cross-validation runs");
    let (mut truth, mut head) = (Vec::new(), Vec::new());
    for (_, t, p) in &held_out {
        truth.extend_from_slice(t);
        head.extend_from_slice(p);
    }
    let head_metrics = Metrics::compute(&ds.classes, &truth, &head);

    // VADER on exactly the held-out rows, in the same order.
    let analyzer = vader_sentiment::SentimentIntensityAnalyzer::new();
    let index = |name: &str| {
        ds.classes
            .iter()
            .position(|c| c == name)
            .expect("tone classes are negative/neutral/positive")
    };
    let mut vader = Vec::new();
    for (_, rows) in &outer {
        for &i in rows {
            let compound = analyzer.polarity_scores(&ds.texts[i])["compound"];
            vader.push(if compound >= 0.05 {
                index("positive")
            } else if compound <= -0.05 {
                index("negative")
            } else {
                index("neutral")
            });
        }
    }
    let vader_metrics = Metrics::compute(&ds.classes, &truth, &vader);

    println!(
        "tone on {} seed sentences of {} articles (leave one article out)\n",
        truth.len(),
        outer.len()
    );
    println!("{:<28} {:>9} {:>9}", "", "macro-F1", "accuracy");
    println!(
        "{:<28} {:>9.3} {:>9.3}",
        "stance tone head", head_metrics.macro_f1, head_metrics.accuracy
    );
    println!(
        "{:<28} {:>9.3} {:>9.3}",
        "VADER compound ±0.05", vader_metrics.macro_f1, vader_metrics.accuracy
    );
    println!("\ntone head:\n{}", head_metrics.to_table());
    println!("VADER:\n{}", vader_metrics.to_table());
}
