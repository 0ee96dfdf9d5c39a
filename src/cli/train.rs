//! `stance train`: label files → cross-validated settings → model file.

use super::Outcome;
use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use stance::analyze::Tokens;
use stance::features::{Tfidf, TfidfSettings, MAX_CHAR_NGRAM};
use stance::labels::{self, LabeledRow};
use stance::model::store::{self, FORMAT};
use stance::model::train::{self, Dataset, Grid, OnConflict, TargetChoice, TrainOptions};
use stance::model::{
    card, AnalyzerInfo, ClassWeight, FeaturesFile, Model, ModelFile, TrainingFile, TrainingInfo,
    STANCE,
};
use stance::output::write_atomically;
use stance::target::Lexicon;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Label file(s): CSV with `text` (or `sentence`) and `label` columns. Repeat to merge several.
    #[arg(long = "labels", required = true, value_name = "FILE")]
    pub labels: Vec<PathBuf>,
    /// Where to write the model (JSON).
    #[arg(long, value_name = "MODEL")]
    pub out: PathBuf,
    /// Replace MODEL if it exists.
    #[arg(long)]
    pub force: bool,
    /// No progress bar for the cross-validated search (it is shown only
    /// when stderr is a terminal anyway).
    #[arg(long, short)]
    pub quiet: bool,
    /// Train with exactly the given settings (one value each of --alpha,
    /// --ngram-max, --char-ngrams, --negation-scope, --min-df and
    /// --class-weight), without the cross-validated search.
    #[arg(long)]
    pub no_cv: bool,
    /// Compare with this older model: both training procedures are
    /// cross-validated on the same folds, the old one on the rows it was
    /// trained on, and the differences printed.
    #[arg(long, value_name = "OLD")]
    pub compare: Option<PathBuf>,
    /// With --compare: also profile these articles with both models and
    /// report how their profiles move.
    #[arg(long, value_name = "PATH", requires = "compare")]
    pub articles: Vec<PathBuf>,
    /// Tasks to train, one head each: `stance` (the `label` column) and
    /// `tone` (the `tone` column). Default: every task whose column the
    /// label files have.
    #[arg(long, value_delimiter = ',', value_name = "TASK,...")]
    pub task: Vec<String>,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub settings: SettingsArgs,
}

/// The tasks this version knows, in head order.
pub const TASKS: &[&str] = &[STANCE, "tone"];

/// Tasks to train: those asked for, or every known task whose column is in
/// all the label files.
fn tasks(args: &TrainArgs) -> Result<Vec<String>> {
    if !args.task.is_empty() {
        for t in &args.task {
            if !TASKS.contains(&t.as_str()) {
                bail!("unknown task '{t}': known tasks are {}", TASKS.join(", "));
            }
        }
        return Ok(TASKS
            .iter()
            .filter(|t| args.task.iter().any(|a| a == *t))
            .map(|t| t.to_string())
            .collect());
    }
    let mut present = Vec::new();
    for task in TASKS {
        let mut everywhere = true;
        for path in &args.labels {
            if !labels::has_column(path, column_of(task))? {
                everywhere = false;
            }
        }
        if everywhere {
            present.push(task.to_string());
        }
    }
    if present.is_empty() {
        // Reading for stance names the file and the missing column.
        present.push(STANCE.to_string());
    }
    Ok(present)
}

/// How label files are read and merged.
#[derive(Args, Debug, Clone)]
pub struct DataArgs {
    /// The allowed labels, comma-separated (default: every label in the files).
    #[arg(long, value_delimiter = ',', value_name = "LABEL,...")]
    pub classes: Option<Vec<String>>,
    /// What to do when one sentence has different labels.
    #[arg(long, value_enum, default_value_t = Conflict::Error)]
    pub on_conflict: Conflict,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conflict {
    /// Stop and list both places.
    Error,
    /// The row read later wins.
    Last,
    /// Keep both rows (an ambiguous sentence stays ambiguous).
    Keep,
}

/// The settings searched by cross-validation, and the solver's limits.
#[derive(Args, Debug, Clone)]
pub struct SettingsArgs {
    /// Cross-validation folds used to choose the settings.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(2..=50))]
    pub folds: u64,
    /// L2 penalties to try (linfa's alpha; scikit-learn's C = 1/alpha).
    #[arg(long, value_delimiter = ',', default_values_t = Grid::default().alphas, value_name = "A,...")]
    pub alpha: Vec<f64>,
    /// Longest word n-grams to try.
    #[arg(long, value_delimiter = ',', default_values_t = Grid::default().ngram_max, value_name = "N,...")]
    pub ngram_max: Vec<usize>,
    /// Character n-grams to try alongside the words: `none`, or a range of
    /// lengths such as `2-5` (n-grams of each word padded with a space at
    /// both ends, as scikit-learn's `char_wb`). They cost training time:
    /// about 5 times as many features per sentence. With --no-cv: none
    /// unless given.
    #[arg(long, value_delimiter = ',', default_values_t = default_char_ngrams(), value_name = "none|LO-HI,...")]
    pub char_ngrams: Vec<CharNgrams>,
    /// Negation scope marking to try: with `true`, the stems after a
    /// negation (not, no, never, without…) up to the next clause punctuation
    /// are terms of their own ("do not [want sanctions]"). `false,true` tries
    /// both.
    #[arg(long, value_delimiter = ',', default_values_t = Grid::default().negation_scope, value_name = "BOOL,...", action = clap::ArgAction::Set, num_args = 1)]
    pub negation_scope: Vec<bool>,
    /// Minimum document frequencies to try.
    #[arg(long, value_delimiter = ',', default_values_t = Grid::default().min_df, value_name = "N,...")]
    pub min_df: Vec<usize>,
    /// Class weightings to try: `balanced` makes rows of rarer classes count
    /// more (each class's rows repeated round(largest class ÷ its size)
    /// times), so that every class weighs about the same in the loss. With
    /// --no-cv: none unless given.
    #[arg(long, value_delimiter = ',', default_values_t = Grid::default().class_weights, value_name = "W,...")]
    pub class_weight: Vec<ClassWeight>,
    /// Target window widths to try: with N > 0, the stems within N words
    /// of a mention of the target (Russia, Moscow, the Kremlin, Putin…: the
    /// target lexicon) are terms of their own (`@sanction`), and each
    /// mention counts as the term `@`. 0 is none; `0,4` tries both.
    /// Without --target-window, --speakers and --cues, cross-validation
    /// tries no target terms and all three together (window 4, speakers,
    /// cues); with any of them, every combination of the values given
    /// (0 / false for those not given).
    #[arg(long, value_delimiter = ',', value_name = "N,...")]
    pub target_window: Option<Vec<usize>>,
    /// Speaker marking to try: with `true`, a speech or action verb ("said",
    /// "according to", "accused", "offered"…) whose speaker names the target
    /// gives the terms `§target` and `§target:VERB`, any other named speaker
    /// `§other` and `§other:VERB`, and stems inside quotation marks are terms
    /// of their own (`»stem`). `false,true` tries both.
    #[arg(long, value_delimiter = ',', value_name = "BOOL,...", action = clap::ArgAction::Set, num_args = 1)]
    pub speakers: Option<Vec<bool>>,
    /// Cue terms to try: with `true`, the target lexicon's pressure words
    /// (sanctions, expel, accuse…) and engagement words (talks, agree,
    /// cooperate…) count as classes (`%pressure`, `%engage`), also when the
    /// sentence mentions the target (`@%pressure`) and beside the sides of
    /// its speakers (`§other%pressure`: another side pressing). `false,true`
    /// tries both.
    #[arg(long, value_delimiter = ',', value_name = "BOOL,...", action = clap::ArgAction::Set, num_args = 1)]
    pub cues: Option<Vec<bool>>,
    /// The target lexicon of the window and speaker terms: which words name
    /// the target, which attribute speech (default: the built-in lexicon of
    /// Russia, data/target-russia.txt). It is stored in the model.
    #[arg(long, value_name = "FILE")]
    pub target_lexicon: Option<PathBuf>,
    /// Keep at most this many terms (most frequent first).
    #[arg(long, value_name = "N")]
    pub max_features: Option<usize>,
    /// Solver iteration limit.
    #[arg(long, default_value_t = TrainOptions::default().max_iterations)]
    pub max_iter: u64,
    /// Solver tolerance per training row, as scikit-learn's `tol`: it stops
    /// when the gradient of the summed loss has an L2 norm below this × rows.
    #[arg(long, default_value_t = TrainOptions::default().gradient_tolerance, value_name = "TOL")]
    pub tol: f64,
}

/// A `--char-ngrams` value: `none` or `LO-HI`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CharNgrams(pub Option<[usize; 2]>);

fn default_char_ngrams() -> Vec<CharNgrams> {
    Grid::default()
        .char_ngrams
        .into_iter()
        .map(CharNgrams)
        .collect()
}

impl std::fmt::Display for CharNgrams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            None => f.pad("none"),
            Some([lo, hi]) => f.pad(&format!("{lo}-{hi}")),
        }
    }
}

impl std::str::FromStr for CharNgrams {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        if s.eq_ignore_ascii_case("none") {
            return Ok(CharNgrams(None));
        }
        let range = s.split_once('-').and_then(|(lo, hi)| {
            Some([
                lo.trim().parse::<usize>().ok()?,
                hi.trim().parse::<usize>().ok()?,
            ])
        });
        match range {
            Some([lo, hi]) if (1..=hi).contains(&lo) && hi <= MAX_CHAR_NGRAM => {
                Ok(CharNgrams(Some([lo, hi])))
            }
            _ => Err(format!(
                "'{s}' is not `none` or a range LO-HI with 1 <= LO <= HI <= {MAX_CHAR_NGRAM}, such as 2-5"
            )),
        }
    }
}

impl SettingsArgs {
    pub fn options(&self) -> Result<TrainOptions> {
        if self.alpha.iter().any(|a| !a.is_finite() || *a <= 0.0) {
            bail!("--alpha values must be positive numbers");
        }
        if self.ngram_max.iter().any(|n| !(1..=5).contains(n)) {
            bail!("--ngram-max values must be between 1 and 5");
        }
        if self.min_df.contains(&0) {
            bail!("--min-df values must be at least 1");
        }
        if !self.tol.is_finite() || self.tol <= 0.0 {
            bail!("--tol must be a positive number");
        }
        let targets = match (&self.target_window, &self.speakers, &self.cues) {
            (None, None, None) => Grid::default().targets,
            (w, s, c) => TargetChoice::product(
                w.as_deref().unwrap_or(&[0]),
                s.as_deref().unwrap_or(&[false]),
                c.as_deref().unwrap_or(&[false]),
            ),
        };
        if targets.iter().any(|t| t.window > MAX_TARGET_WINDOW) {
            bail!("--target-window values must be between 0 and {MAX_TARGET_WINDOW}");
        }
        let lexicon = match &self.target_lexicon {
            None => Lexicon::russia(),
            Some(path) => {
                let text =
                    std::fs::read_to_string(path).map_err(|e| stance::error::Error::io(path, e))?;
                Lexicon::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
            }
        };
        Ok(TrainOptions {
            grid: Grid {
                alphas: self.alpha.clone(),
                ngram_max: self.ngram_max.clone(),
                char_ngrams: self.char_ngrams.iter().map(|c| c.0).collect(),
                negation_scope: self.negation_scope.clone(),
                min_df: self.min_df.clone(),
                max_features: self.max_features,
                sublinear_tf: true,
                class_weights: self.class_weight.clone(),
                targets,
                lexicon,
            },
            folds: self.folds as usize,
            max_iterations: self.max_iter,
            gradient_tolerance: self.tol,
            ..TrainOptions::default()
        })
    }
}

/// The widest target window `--target-window` takes.
const MAX_TARGET_WINDOW: usize = 50;

/// The label column of a task: `label` for stance, the task's name otherwise.
pub fn column_of(task: &str) -> &str {
    if task == STANCE {
        "label"
    } else {
        task
    }
}

/// Read, validate and merge the `column` labels of label files into a
/// dataset. Warnings go to stderr. `--classes` applies to stance only.
pub fn load_dataset(
    paths: &[PathBuf],
    column: &str,
    data: &DataArgs,
) -> Result<(Dataset, Vec<TrainingFile>)> {
    let mut rows: Vec<LabeledRow> = Vec::new();
    let mut files = Vec::new();
    let mut warnings = Vec::new();
    for path in paths {
        let file = labels::read(path, column)?;
        warnings.extend(file.warnings.iter().cloned());
        files.push(TrainingFile {
            path: path.display().to_string(),
            sha256: file.sha256.clone(),
            rows: file.total_rows,
        });
        rows.extend(file.rows);
    }
    let on_conflict = match data.on_conflict {
        Conflict::Error => OnConflict::Error,
        Conflict::Last => OnConflict::Last,
        Conflict::Keep => OnConflict::Keep,
    };
    let rows = train::merge_rows(rows, on_conflict, &mut warnings)?;
    for w in &warnings {
        eprintln!("stance: warning: {w}");
    }
    if rows.is_empty() {
        bail!(
            "no labeled rows in {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let classes = if column == "label" {
        data.classes.as_deref()
    } else {
        None
    };
    let ds = Dataset::from_rows(&rows, classes)?;
    Ok((ds, files))
}

/// The creation time: now, or `SOURCE_DATE_EPOCH` for reproducible builds
/// (empty counts as unset, as the reproducible-builds specification asks).
fn created() -> Result<String> {
    let time = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(secs) if !secs.trim().is_empty() => {
            let secs: u64 = secs
                .trim()
                .parse()
                .context("SOURCE_DATE_EPOCH must be whole seconds")?;
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs)
        }
        _ => std::time::SystemTime::now(),
    };
    Ok(humantime::format_rfc3339_seconds(time).to_string())
}

/// The model card goes beside the model, as `NAME.md`: it must be neither
/// the model itself nor a file that is not a model card.
fn check_card_path(out: &Path) -> Result<()> {
    let card = card::path_for(out);
    if card == out {
        bail!(
            "--out {}: the model card is written beside the model as NAME.md, so the model needs another name, such as {}",
            out.display(),
            out.with_extension("json").display()
        );
    }
    let is_a_card = |text: String| text.starts_with(card::TITLE);
    if card.exists() && !std::fs::read_to_string(&card).is_ok_and(is_a_card) {
        bail!(
            "{} exists and is not a model card; the card of {} would replace it: move it, or give the model another name",
            card.display(),
            out.display()
        );
    }
    Ok(())
}

pub fn run(args: TrainArgs) -> Result<Outcome> {
    // Read before the slow part, so a bad value fails at once.
    let created = created()?;
    // Not even with --force: a model written over a label file loses the labels.
    let inputs: Vec<PathBuf> = args.labels.iter().chain(&args.articles).cloned().collect();
    super::refuse_input_as_output("--out", &args.out, &inputs)?;
    check_card_path(&args.out)?;
    if args.out.exists() && !args.force {
        bail!(
            "{} exists; pass --force to replace it (it is replaced only if training succeeds)",
            args.out.display()
        );
    }
    // A destination that cannot be written fails now, not after training.
    drop(stance::output::AtomicFile::create(&args.out)?);
    let mut opts = args.settings.options()?;
    let (bar, progress) = super::search_progress(args.quiet);
    opts.progress = progress;
    let tasks = tasks(&args)?;
    let mut trained: Vec<TrainedTask> = Vec::new();
    let mut files = Vec::new();
    for task in &tasks {
        let (ds, task_files) = load_dataset(&args.labels, column_of(task), &args.data)?;
        files = task_files;
        // The first task chooses the shared feature settings; later heads
        // only choose their penalty.
        let mut task_opts = opts.clone();
        if let Some(first) = trained.first() {
            task_opts.grid.ngram_max = vec![first.selection.features.ngram_max];
            task_opts.grid.char_ngrams = vec![first.selection.features.char_ngrams];
            task_opts.grid.negation_scope = vec![first.selection.features.negation_scope];
            let target = first.selection.features.target.as_ref();
            task_opts.grid.targets = vec![target.map_or(TargetChoice::NONE, |t| TargetChoice {
                window: t.window,
                speakers: t.speakers,
                cues: t.cues,
            })];
            task_opts.grid.min_df = vec![first.selection.features.min_df];
        }
        if args.no_cv {
            let selection = train::Selection::fixed(&task_opts.grid)?;
            eprintln!(
                "stance: {task}: {} labeled sentences; fixed settings, no cross-validation",
                ds.len()
            );
            trained.push(TrainedTask {
                task: task.clone(),
                ds,
                selection,
            });
            continue;
        }
        eprintln!(
            "stance: {task}: {} labeled sentences ({}); trying {} settings with {}-fold cross-validation",
            ds.len(),
            ds.label_counts().iter().map(|(l, n)| format!("{l} {n}")).collect::<Vec<_>>().join(", "),
            task_opts.grid.size(),
            task_opts.folds
        );
        let selection = train::select(&ds, &task_opts)?;
        bar.finish_and_clear();
        trained.push(TrainedTask {
            task: task.clone(),
            ds,
            selection,
        });
    }
    // One vectorizer for all heads, fitted on every labeled sentence once.
    let features = trained[0].selection.features.clone();
    let all_rows = union_rows(&trained);
    let tfidf = Tfidf::fit(&features, &all_rows.tokens);
    let mut heads = Vec::new();
    for t in &trained {
        let x = tfidf.transform(&t.ds.tokens);
        let fitted = train::fit(
            &x,
            &t.ds.y,
            t.ds.classes.len(),
            t.selection.alpha,
            t.selection.class_weight,
            &opts,
        )?;
        if !fitted.convergence.converged {
            eprintln!(
                "stance: warning: {}: the solver did not converge in {} iterations (largest gradient {:.2e}); raise --max-iter",
                t.task, opts.max_iterations, fitted.convergence.gradient_max
            );
        }
        heads.push(train::head_file(
            &t.task,
            &t.ds,
            &fitted,
            t.selection.alpha,
            t.selection.class_weight,
            &opts,
            t.selection.report.clone(),
        ));
    }
    let file = ModelFile {
        format: FORMAT.into(),
        format_version: store::format_version_for(&features),
        created,
        analyzer: AnalyzerInfo::default(),
        features: FeaturesFile {
            settings: tfidf.settings.clone(),
            vocabulary: tfidf.vocabulary.clone(),
            idf: tfidf.idf.clone(),
        },
        training: TrainingInfo {
            files,
            rows: all_rows.texts.len(),
            command: rebuild_command(&args),
            row_keys: row_keys(&all_rows.texts),
        },
        heads,
    };
    let stance_task = trained.iter().find(|t| t.task == STANCE);
    // Compare before writing anything: a failed comparison leaves no model.
    let comparison = match (&args.compare, stance_task) {
        (Some(old), Some(t)) => Some(compare(
            old,
            &args.articles,
            &t.ds,
            &selection_settings(&file),
            &opts,
            &file,
        )?),
        (Some(_), None) => {
            bail!("--compare compares stance heads; the label files have no stance labels")
        }
        _ => None,
    };
    store::save(&file, &args.out)?;
    let card = card::path_for(&args.out);
    write_atomically(
        &card,
        card::render(&file, &args.out.display().to_string()).as_bytes(),
    )?;

    for t in &trained {
        let Some(report) = &t.selection.report else {
            outln!(
                "{}: alpha {}, {}, min_df {}, class weight {} (given; not cross-validated)",
                t.task,
                t.selection.alpha,
                t.selection.features.describe(),
                t.selection.features.min_df,
                t.selection.class_weight
            )?;
            continue;
        };
        outln!("{}: cross-validation: {}", t.task, report.scheme)?;
        // The character column only when the search tried character n-grams,
        // the negation column only when it tried negation scope marking.
        // The character column only when the search tried character
        // n-grams, and so on for negation, the target window and speakers.
        let chars = report.grid.iter().any(|g| g.char_ngrams.is_some());
        let negation = report.grid.iter().any(|g| g.negation_scope);
        let window = report.grid.iter().any(|g| g.target_window > 0);
        let speakers = report.grid.iter().any(|g| g.speakers);
        let cues = report.grid.iter().any(|g| g.cues);
        let optional_columns = |g: &stance::model::GridPoint| {
            let mut s = String::new();
            if chars {
                s += &format!(" {:>5}", CharNgrams(g.char_ngrams));
            }
            if negation {
                s += &format!(" {:>8}", if g.negation_scope { "scope" } else { "-" });
            }
            if window {
                s += &format!(" {:>6}", g.target_window);
            }
            if speakers {
                s += &format!(" {:>8}", if g.speakers { "marked" } else { "-" });
            }
            if cues {
                s += &format!(" {:>4}", if g.cues { "yes" } else { "-" });
            }
            s
        };
        outln!(
            "{:>8} {:>6}{}{}{}{}{} {:>6} {:>8} {:>9}",
            "alpha",
            "ngrams",
            if chars { " chars" } else { "" },
            if negation { " negation" } else { "" },
            if window { " window" } else { "" },
            if speakers { " speakers" } else { "" },
            if cues { " cues" } else { "" },
            "min_df",
            "weight",
            "macro-F1"
        )?;
        for g in &report.grid {
            outln!(
                "{:>8} {:>6}{} {:>6} {:>8} {:>9.3}{}",
                g.alpha,
                format!("1-{}", g.ngram_max),
                optional_columns(g),
                g.min_df,
                g.class_weight,
                g.macro_f1,
                if g.selected { "  <- selected" } else { "" }
            )?;
        }
        outln!(
            "\n{}: selected alpha {} (C = {:.3}), {}, min_df {}, class weight {}",
            t.task,
            t.selection.alpha,
            1.0 / t.selection.alpha,
            t.selection.features.describe(),
            t.selection.features.min_df,
            t.selection.class_weight,
        )?;
        let alphas: Vec<f64> = report.grid.iter().map(|g| g.alpha).collect();
        if let Some(hint) = grid_edge_hint(&alphas, t.selection.alpha) {
            eprintln!("stance: note: head `{}`: {hint}", t.task);
        }
        outln!(
            "{}: cross-validated macro-F1 {:.3} ± {:.3}, accuracy {:.3} ± {:.3} (mean ± sd over {} folds)\n",
            t.task, report.macro_f1_mean, report.macro_f1_std, report.accuracy_mean, report.accuracy_std, report.folds
        )?;
        out!(
            "{}: pooled held-out predictions:\n{}\n",
            t.task,
            report.pooled.to_table()
        )?;
    }
    outln!(
        "vocabulary: {} terms shared by {} head(s)",
        tfidf.n_features(),
        trained.len()
    )?;
    if let Some(text) = comparison {
        out!("\n{text}")?;
    }
    outln!(
        "\nwrote {} and its model card {}",
        args.out.display(),
        card.display()
    )?;
    Ok(Outcome::Done)
}

/// When cross-validation picked the strongest or the weakest penalty it
/// tried, the best one may lie beyond the grid: say so, with a wider one.
fn grid_edge_hint(alphas: &[f64], selected: f64) -> Option<String> {
    let strongest = alphas.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let weakest = alphas.iter().copied().fold(f64::INFINITY, f64::min);
    if strongest <= weakest {
        return None; // one alpha: nothing was chosen
    }
    // The next step of the 1, 3, 10, 30, ... series the default grid uses.
    let leading = selected / 10f64.powf(selected.log10().floor());
    let (up, down) = if leading < 2.0 {
        (3.0, 10.0 / 3.0)
    } else {
        (10.0 / 3.0, 3.0)
    };
    let (side, beyond) = if selected >= strongest {
        ("strongest", selected * up)
    } else if selected <= weakest {
        ("weakest", selected / down)
    } else {
        return None;
    };
    // Seven significant digits, so 0.1 / (10 / 3) prints as 0.03.
    let beyond: f64 = format!("{beyond:.6e}").parse().unwrap_or(beyond);
    let mut grid = alphas.to_vec();
    grid.push(beyond);
    grid.sort_by(|a, b| b.total_cmp(a));
    grid.dedup();
    let grid: Vec<String> = grid.iter().map(f64::to_string).collect();
    Some(format!(
        "alpha {selected}, the {side} penalty tried, was selected, so a better one may lie \
         beyond it; widen the grid, e.g. --alpha {}",
        grid.join(",")
    ))
}

fn rebuild_command(args: &TrainArgs) -> String {
    let mut parts = vec!["stance train".to_string()];
    for l in &args.labels {
        parts.push(format!("--labels {}", l.display()));
    }
    if !args.task.is_empty() {
        parts.push(format!("--task {}", args.task.join(",")));
    }
    if args.no_cv {
        parts.push("--no-cv".into());
    }
    if let Some(c) = &args.data.classes {
        parts.push(format!("--classes {}", c.join(",")));
    }
    match args.data.on_conflict {
        Conflict::Error => {}
        Conflict::Last => parts.push("--on-conflict last".into()),
        Conflict::Keep => parts.push("--on-conflict keep".into()),
    }
    let s = &args.settings;
    let d = Grid::default();
    let list = |v: &[f64]| {
        v.iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    let ulist = |v: &[usize]| {
        v.iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    if s.folds != 5 {
        parts.push(format!("--folds {}", s.folds));
    }
    if s.alpha != d.alphas {
        parts.push(format!("--alpha {}", list(&s.alpha)));
    }
    if s.ngram_max != d.ngram_max {
        parts.push(format!("--ngram-max {}", ulist(&s.ngram_max)));
    }
    if s.char_ngrams != default_char_ngrams() {
        let c: Vec<String> = s.char_ngrams.iter().map(|c| c.to_string()).collect();
        parts.push(format!("--char-ngrams {}", c.join(",")));
    }
    if s.negation_scope != d.negation_scope {
        let n: Vec<String> = s.negation_scope.iter().map(|n| n.to_string()).collect();
        parts.push(format!("--negation-scope {}", n.join(",")));
    }
    if s.min_df != d.min_df {
        parts.push(format!("--min-df {}", ulist(&s.min_df)));
    }
    if let Some(w) = &s.target_window {
        parts.push(format!("--target-window {}", ulist(w)));
    }
    let bools = |v: &[bool]| {
        v.iter()
            .map(|b| b.to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    if let Some(v) = &s.speakers {
        parts.push(format!("--speakers {}", bools(v)));
    }
    if let Some(v) = &s.cues {
        parts.push(format!("--cues {}", bools(v)));
    }
    if let Some(path) = &s.target_lexicon {
        parts.push(format!("--target-lexicon {}", path.display()));
    }
    if s.class_weight != d.class_weights {
        let w: Vec<String> = s.class_weight.iter().map(|w| w.to_string()).collect();
        parts.push(format!("--class-weight {}", w.join(",")));
    }
    if let Some(m) = s.max_features {
        parts.push(format!("--max-features {m}"));
    }
    if s.max_iter != TrainOptions::default().max_iterations {
        parts.push(format!("--max-iter {}", s.max_iter));
    }
    if s.tol != TrainOptions::default().gradient_tolerance {
        parts.push(format!("--tol {}", s.tol));
    }
    parts.join(" ")
}

struct TrainedTask {
    task: String,
    ds: Dataset,
    selection: train::Selection,
}

/// Every distinct sentence labeled for any task, tokenized.
struct AllRows {
    texts: Vec<String>,
    tokens: Vec<Tokens>,
}

fn union_rows(trained: &[TrainedTask]) -> AllRows {
    let mut seen = HashSet::new();
    let mut all = AllRows {
        texts: Vec::new(),
        tokens: Vec::new(),
    };
    for t in trained {
        for (text, tokens) in t.ds.texts.iter().zip(&t.ds.tokens) {
            if seen.insert(labels::normalize_text(text)) {
                all.texts.push(text.clone());
                all.tokens.push(tokens.clone());
            }
        }
    }
    all
}

fn row_keys(texts: &[String]) -> Vec<String> {
    let mut keys: Vec<String> = texts.iter().map(|t| labels::row_key(t)).collect();
    keys.sort();
    keys.dedup();
    keys
}

/// The stance head's feature settings, alpha and class weighting.
fn selection_settings(file: &ModelFile) -> (TfidfSettings, f64, ClassWeight) {
    let (alpha, weight) = file.heads.first().map_or((1.0, ClassWeight::None), |h| {
        (h.hyperparameters.alpha, h.hyperparameters.class_weight)
    });
    (file.features.settings.clone(), alpha, weight)
}

/// Old model versus new: the same folds, then optionally the same articles.
fn compare(
    old_path: &std::path::Path,
    articles: &[PathBuf],
    ds: &Dataset,
    new: &(TfidfSettings, f64, ClassWeight),
    opts: &TrainOptions,
    new_file: &ModelFile,
) -> Result<String> {
    let old_model = store::load(old_path)?;
    let old = selection_settings(&old_model.file);
    let old_rows: HashSet<String> = old_model.file.training.row_keys.iter().cloned().collect();
    let known = if old_rows.is_empty() {
        None
    } else {
        Some(&old_rows)
    };
    let (m_old, m_new) = train::compare_on_folds(
        ds,
        (&new.0, new.1, new.2),
        (&old.0, old.1, old.2),
        known,
        opts,
    )?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "comparison with {} on the same {} folds:",
        old_path.display(),
        opts.folds
    );
    match known {
        Some(rows) => {
            let shared = ds
                .texts
                .iter()
                .filter(|t| rows.contains(&labels::row_key(t)))
                .count();
            let _ = writeln!(
                out,
                "  old: its settings (alpha {}, {}, min_df {}) on the {shared} of {} sentences it was trained on",
                old.1, old.0.describe(), old.0.min_df, ds.len()
            );
        }
        None => {
            let _ = writeln!(out, "  old: its settings on all sentences (the old model does not record its training rows)");
        }
    }
    let _ = writeln!(
        out,
        "  new: alpha {}, {}, min_df {} on all {} sentences",
        new.1,
        new.0.describe(),
        new.0.min_df,
        ds.len()
    );
    // The first column fits the longest "F1 <label>".
    let width = m_new
        .per_class
        .keys()
        .map(|label| label.chars().count() + 3)
        .fold(14, usize::max);
    let _ = writeln!(
        out,
        "  {:<width$} {:>7} {:>7} {:>8}",
        "", "old", "new", "change"
    );
    let mut line = |name: &str, old: f64, new: f64| {
        let _ = writeln!(
            out,
            "  {name:<width$} {old:>7.3} {new:>7.3} {:>+8.3}",
            new - old
        );
    };
    line("macro-F1", m_old.macro_f1, m_new.macro_f1);
    line("accuracy", m_old.accuracy, m_new.accuracy);
    for (label, n) in &m_new.per_class {
        let o = m_old.per_class.get(label).map_or(0.0, |c| c.f1);
        line(&format!("F1 {label}"), o, n.f1);
    }
    if !articles.is_empty() {
        let new_model = store::from_bytes(
            &store::to_bytes(new_file),
            std::path::Path::new("new model"),
        )?;
        out.push_str(&profile_shift(&old_model, &new_model, articles)?);
    }
    Ok(out)
}

/// How article profiles move from the old model to the new one.
fn profile_shift(old: &Model, new: &Model, paths: &[PathBuf]) -> Result<String> {
    use stance::profile;
    let summarize = |model: &Model, c: &profile::Classified| -> Option<(String, Option<f64>)> {
        let (h, head) = model.head(STANCE)?;
        let p = profile::profile(c, &head.classes, h, None, None);
        let dominant = p
            .counts
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))?
            .0
            .clone();
        Some((dominant, p.net_stance))
    };
    let mut old_scorer = old.scorer();
    let mut new_scorer = new.scorer();
    let (mut n, mut changed, mut total_shift, mut max_shift) =
        (0usize, 0usize, 0.0f64, (0.0f64, String::new()));
    let mut skipped = 0;
    for path in paths {
        for item in stance::corpus::read(path)? {
            let Ok(article) = item else {
                skipped += 1;
                continue;
            };
            let id = article.id.clone();
            let c_old = profile::classify(&mut old_scorer, old, article.clone());
            let c_new = profile::classify(&mut new_scorer, new, article);
            let (Some((d_old, s_old)), Some((d_new, s_new))) =
                (summarize(old, &c_old), summarize(new, &c_new))
            else {
                continue;
            };
            n += 1;
            if d_old != d_new {
                changed += 1;
            }
            if let (Some(a), Some(b)) = (s_old, s_new) {
                let shift = b - a;
                total_shift += shift.abs();
                if shift.abs() > max_shift.0.abs() {
                    max_shift = (shift, id);
                }
            }
        }
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\narticle profiles, old model → new model ({n} articles{}):",
        if skipped > 0 {
            format!(", {skipped} unreadable skipped")
        } else {
            String::new()
        }
    );
    let _ = writeln!(out, "  dominant label changed in {changed} of {n}");
    if n > 0 {
        let _ = writeln!(
            out,
            "  net stance moved by {:.3} on average (absolute); most in {} ({:+.3})",
            total_shift / n as f64,
            if max_shift.1.is_empty() {
                "-"
            } else {
                &max_shift.1
            },
            max_shift.0
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::grid_edge_hint;

    #[test]
    fn a_selection_at_the_edge_of_the_grid_suggests_a_wider_one() {
        // The grid is tried once per n-gram length etc.: alphas repeat.
        let grid = [3.0, 1.0, 0.3, 0.1, 0.03, 3.0, 1.0, 0.3, 0.1, 0.03];
        let hint = grid_edge_hint(&grid, 3.0).unwrap();
        assert!(hint.contains("strongest"), "{hint}");
        assert!(hint.contains("--alpha 10,3,1,0.3,0.1,0.03"), "{hint}");
        let hint = grid_edge_hint(&grid, 0.03).unwrap();
        assert!(hint.contains("weakest"), "{hint}");
        assert!(hint.contains("--alpha 3,1,0.3,0.1,0.03,0.01"), "{hint}");
        assert_eq!(grid_edge_hint(&grid, 0.3), None);
        assert_eq!(grid_edge_hint(&[1.0, 1.0], 1.0), None);
    }
}
