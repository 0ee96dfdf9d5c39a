//! `stance eval`: score a model on a labeled test file, or estimate how the
//! training procedure does on unseen data by nested cross-validation.

use super::train::{column_of, load_dataset, DataArgs, SettingsArgs};
use super::{load_model, Outcome};
use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use stance::error::Error;
use stance::eval::{Metrics, TestIntervals};
use stance::labels;
use stance::model::train;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// Model to score (default: the built-in model).
    #[arg(long, value_name = "MODEL", conflicts_with_all = ["labels", "cv", "cv_by"])]
    pub model: Option<PathBuf>,
    /// Labeled test file (`text`/`sentence` and `label` columns).
    #[arg(long, value_name = "FILE", required_unless_present = "labels")]
    pub test: Option<PathBuf>,
    /// Cross-validate training on these label files instead of scoring a model.
    #[arg(long = "labels", value_name = "FILE", conflicts_with = "test")]
    pub labels: Vec<PathBuf>,
    /// Number of outer folds (grouped by article where rows name one).
    #[arg(long, value_name = "K", conflicts_with = "cv_by")]
    pub cv: Option<usize>,
    /// Leave one group out: hold out each value of this column in turn
    /// (only `article`); rows without one always train.
    #[arg(long, value_name = "COLUMN")]
    pub cv_by: Option<String>,
    /// With --cv-by article: hold out only the articles whose rows have this
    /// `source` (e.g. `seed`: the five bundled real articles, one at a time);
    /// every other row always trains.
    #[arg(long, value_name = "SOURCE", requires = "cv_by")]
    pub hold_out_source: Option<String>,
    /// With --labels: which task's labels to cross-validate (`stance` or `tone`).
    #[arg(long, default_value = "stance", value_name = "TASK")]
    pub task: String,
    /// With --test: bootstrap resamples of the test sentences for the 95%
    /// intervals of accuracy and macro-F1.
    #[arg(long, default_value_t = 2000, conflicts_with = "labels",
          value_parser = clap::value_parser!(u64).range(100..=1_000_000))]
    pub resamples: u64,
    /// With --test: seed of the resampling (the same seed gives the same intervals).
    #[arg(long, default_value_t = 20161012, conflicts_with = "labels")]
    pub seed: u64,
    /// With --test: also write every test row's prediction to this CSV
    /// (atomically): line, task, label, predicted, probability (of the
    /// predicted class), text. Sort or filter it to read the errors.
    #[arg(long, value_name = "FILE", conflicts_with = "labels")]
    pub predictions: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// With --labels: no progress bar for the settings search of each outer
    /// fold (it is shown only when stderr is a terminal anyway).
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub settings: SettingsArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
}

pub fn run(args: EvalArgs) -> Result<Outcome> {
    if !args.labels.is_empty() {
        return cross_validate(&args);
    }
    let test = args
        .test
        .as_ref()
        .context("give --test FILE, or --labels FILE with --cv")?;
    if let Some(path) = &args.predictions {
        super::refuse_input_as_output("--predictions", path, std::slice::from_ref(test))?;
    }
    let model = load_model(args.model.as_deref())?;
    // Every head whose label column the test file has.
    let mut results: Vec<(String, Metrics, TestIntervals)> = Vec::new();
    // Built only when asked for: every test row's text, once per head.
    let mut predictions = match &args.predictions {
        Some(_) => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(["line", "task", "label", "predicted", "probability", "text"])?;
            Some(w)
        }
        None => None,
    };
    for (h, head) in model.heads().iter().enumerate() {
        let column = column_of(&head.task);
        if !labels::has_column(test, column)? {
            continue;
        }
        let scored = score_head(&model, h, test, column)?;
        let truth: Vec<usize> = scored.iter().map(|s| s.truth).collect();
        let predicted: Vec<usize> = scored.iter().map(|s| s.prediction.best()).collect();
        if let Some(predictions) = predictions.as_mut() {
            for (s, &p) in scored.iter().zip(&predicted) {
                let line = s.row.at.line.map(|l| l.to_string()).unwrap_or_default();
                let probability = format!("{:.6}", s.prediction.probabilities[p]);
                predictions.write_record([
                    line.as_str(),
                    &head.task,
                    &s.row.label,
                    &head.classes[p],
                    &probability,
                    &s.row.text,
                ])?;
            }
        }
        let metrics = Metrics::compute(&head.classes, &truth, &predicted);
        let intervals = TestIntervals::compute(
            head.classes.len(),
            &truth,
            &predicted,
            args.resamples as usize,
            args.seed,
        );
        results.push((head.task.clone(), metrics, intervals));
    }
    if results.is_empty() {
        bail!(Error::input(
            stance::error::Location::line(test, 1),
            "missing `label` column (and no column for any other head of the model)"
        ));
    }
    if let (Some(path), Some(predictions)) = (&args.predictions, predictions) {
        let bytes = predictions
            .into_inner()
            .context("writing the predictions")?;
        stance::output::write_atomically(path, &bytes)?;
    }
    match args.format {
        Format::Table => {
            for (i, (task, m, intervals)) in results.iter().enumerate() {
                if results.len() > 1 {
                    outln!("{}{task}:", if i > 0 { "\n" } else { "" })?;
                }
                let table = m.to_table();
                // The intervals go under the headline, before the per-class table.
                let (headline, rest) = table.split_once('\n').unwrap_or((&table, ""));
                out!("{headline}\n{}{rest}", intervals.to_line())?;
            }
        }
        Format::Json => {
            let head_value =
                |m: &Metrics, intervals: &TestIntervals| -> Result<serde_json::Value> {
                    let mut value = serde_json::to_value(m)?;
                    value["intervals"] = serde_json::to_value(intervals)?;
                    Ok(value)
                };
            // The stance head's figures at the top level; every head under "heads".
            let mut value = match results.iter().find(|(t, _, _)| t == stance::model::STANCE) {
                Some((_, m, intervals)) => head_value(m, intervals)?,
                None => serde_json::json!({}),
            };
            let mut heads = serde_json::Map::new();
            for (t, m, intervals) in &results {
                heads.insert(t.clone(), head_value(m, intervals)?);
            }
            value["heads"] = serde_json::Value::Object(heads);
            outln!("{}", serde_json::to_string_pretty(&value)?)?;
        }
    }
    Ok(Outcome::Done)
}

/// One test row, its class index and the model's prediction.
struct Scored {
    row: labels::LabeledRow,
    truth: usize,
    prediction: stance::model::Prediction,
}

/// Score head `h` on the rows of `test` labeled in `column`. A stance test
/// file must be labeled throughout; other heads use the rows that have a value.
fn score_head(
    model: &stance::model::Model,
    h: usize,
    test: &Path,
    column: &str,
) -> Result<Vec<Scored>> {
    let head = &model.heads()[h];
    let file = labels::read(test, column)?;
    for w in &file.warnings {
        eprintln!("stance: warning: {w}");
    }
    if file.unlabeled > 0 && head.task == stance::model::STANCE {
        bail!(Error::input(
            stance::error::Location::file(test),
            format!(
                "{} row(s) have an empty label; every row of a test file needs one",
                file.unlabeled
            )
        ));
    }
    if file.rows.is_empty() {
        bail!(
            "{}: no rows with a `{column}` value to evaluate",
            test.display()
        );
    }
    let mut scorer = model.scorer();
    let mut scored = Vec::with_capacity(file.rows.len());
    for row in file.rows {
        let Some(truth) = head.classes.iter().position(|c| *c == row.label) else {
            bail!(Error::input(
                row.at.clone(),
                format!(
                    "unknown {column} '{}': the model knows {}",
                    row.label,
                    head.classes.join(", ")
                )
            ));
        };
        let prediction = scorer.score(&row.text).swap_remove(h);
        scored.push(Scored {
            row,
            truth,
            prediction,
        });
    }
    Ok(scored)
}

fn cross_validate(args: &EvalArgs) -> Result<Outcome> {
    let opts = args.settings.options()?;
    if !super::train::TASKS.contains(&args.task.as_str()) {
        bail!(
            "unknown task '{}': known tasks are {}",
            args.task,
            super::train::TASKS.join(", ")
        );
    }
    let (ds, _) = load_dataset(&args.labels, column_of(&args.task), &args.data)?;
    let outer: Vec<(String, Vec<usize>)> = match (&args.cv_by, args.cv) {
        (Some(col), _) => {
            if col != "article" {
                bail!("--cv-by supports only `article`");
            }
            if !ds.has_groups() {
                bail!("--cv-by article needs an `article` column with values");
            }
            let folds = train::group_folds(&ds, args.hold_out_source.as_deref());
            if folds.is_empty() {
                bail!(
                    "no article has rows with source '{}'",
                    args.hold_out_source.as_deref().unwrap_or_default()
                );
            }
            folds
        }
        (None, k) => {
            let k = k.unwrap_or(5);
            if k < 2 {
                bail!("--cv needs at least 2 folds");
            }
            train::make_folds(&ds, k, opts.seed)
                .into_iter()
                .enumerate()
                .map(|(i, f)| (format!("fold {}", i + 1), f))
                .collect()
        }
    };
    match opts.grid.size() {
        1 => eprintln!(
            "stance: cross-validation: {} outer folds, each training the one given setting on its training part",
            outer.len()
        ),
        n => eprintln!(
            "stance: nested cross-validation: {} outer folds, each choosing among {n} settings by {}-fold CV on its training part",
            outer.len(),
            opts.folds
        ),
    }
    let (bar, progress) = super::search_progress(args.quiet);
    let opts = train::TrainOptions { progress, ..opts };
    let results = train::held_out(&ds, &outer, &opts)?;
    bar.finish_and_clear();
    let mut truth = Vec::new();
    let mut predicted = Vec::new();
    let mut per_fold = Vec::new();
    for (name, t, p) in &results {
        let m = Metrics::compute(&ds.classes, t, p);
        per_fold.push((name.clone(), m));
        truth.extend_from_slice(t);
        predicted.extend_from_slice(p);
    }
    let pooled = Metrics::compute(&ds.classes, &truth, &predicted);
    let f1s: Vec<f64> = per_fold.iter().map(|(_, m)| m.macro_f1).collect();
    let accs: Vec<f64> = per_fold.iter().map(|(_, m)| m.accuracy).collect();
    let (f1_mean, f1_sd) = stance::eval::mean_sd(&f1s);
    let (acc_mean, acc_sd) = stance::eval::mean_sd(&accs);
    match args.format {
        Format::Json => {
            let folds: Vec<serde_json::Value> = per_fold
                .iter()
                .map(|(name, m)| serde_json::json!({"fold": name, "n": m.n, "accuracy": m.accuracy, "macro_f1": m.macro_f1}))
                .collect();
            let value = serde_json::json!({
                "scheme": if args.cv_by.is_some() { "leave-one-article-out" } else { "k-fold" },
                "folds": folds,
                "macro_f1_mean": f1_mean, "macro_f1_sd": f1_sd,
                "accuracy_mean": acc_mean, "accuracy_sd": acc_sd,
                "pooled": pooled,
            });
            outln!("{}", serde_json::to_string_pretty(&value)?)?;
        }
        Format::Table => {
            outln!(
                "{:<28} {:>5} {:>9} {:>9}",
                "held out",
                "n",
                "accuracy",
                "macro-F1"
            )?;
            for (name, m) in &per_fold {
                outln!(
                    "{:<28} {:>5} {:>9.3} {:>9.3}",
                    name,
                    m.n,
                    m.accuracy,
                    m.macro_f1
                )?;
            }
            outln!(
                "\nper fold: macro-F1 {f1_mean:.3} ± {f1_sd:.3}, accuracy {acc_mean:.3} ± {acc_sd:.3} (mean ± sd)\n\npooled held-out predictions:"
            )?;
            out!("{}", pooled.to_table())?;
        }
    }
    Ok(Outcome::Done)
}
