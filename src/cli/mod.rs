//! Command-line definitions and what the subcommands share: choosing the
//! model, reading article batches (a bad article is reported and skipped),
//! and writing output to stdout or atomically to a file.

mod classify;
mod compare;
mod eval;
mod labels;
mod report;
mod suggest;
mod train;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use stance::corpus::{self, Article};
use stance::model::{store, Model};
use stance::output::AtomicFile;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Exit status when the job finished but some inputs were skipped.
pub const EXIT_SKIPPED: u8 = 3;

#[derive(Parser, Debug)]
#[command(
    name = "stance",
    version,
    about = "Measure how news articles frame Russia: each sentence hawkish, conciliatory or neutral, per-article profiles",
    long_about = "Measure how news articles frame Russia.\n\n\
        Articles are split into sentences; each sentence is labeled hawkish, conciliatory or neutral \
        toward Russia by a TF-IDF + logistic regression model, with probabilities. Profiles summarize \
        each article. A model trained on data/labels.csv is built in; train your own with `stance train`.\n\n\
        Inputs (PATH): a .txt file, a directory of .txt files (metadata from manifest.csv beside them), \
        a .jsonl file ({\"id\", \"text\", optional outlet, date, title, url} per line), a .csv file \
        (id, text and the same optional columns), or - for JSONL on standard input.\n\n\
        Exit status: 0 success, 1 error (no output written), 2 bad usage, 3 done but some inputs skipped."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Train a model from label files, choosing settings by cross-validation.
    Train(train::TrainArgs),
    /// Score a model on a labeled test file, or cross-validate the training procedure.
    Eval(eval::EvalArgs),
    /// Label every sentence of the articles (one record per sentence).
    Classify(classify::ClassifyArgs),
    /// Summarize each article: label counts and shares, net stance, key sentences.
    Profile(classify::ProfileArgs),
    /// Compare groups of articles (outlets, periods, …): shares, net stance with intervals, tests.
    Compare(compare::CompareArgs),
    /// Write an HTML report: comparison chart and table, every article with its sentences highlighted.
    Report(report::ReportArgs),
    /// Pick the sentences the model is least sure of, as a CSV to label.
    Suggest(suggest::SuggestArgs),
    /// Add labeled rows to the label set, or count what it holds.
    Labels(labels::LabelsArgs),
}

pub enum Outcome {
    Done,
    Skipped(usize),
}

pub fn run(cli: Cli) -> Result<Outcome> {
    match cli.command {
        Command::Train(args) => train::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Classify(args) => classify::run_classify(args),
        Command::Profile(args) => classify::run_profile(args),
        Command::Compare(args) => compare::run(args),
        Command::Report(args) => report::run(args),
        Command::Suggest(args) => suggest::run(args),
        Command::Labels(args) => labels::run(args),
    }
}

pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The model named by `--model`, or the built-in one.
pub fn load_model(path: Option<&Path>) -> Result<Model> {
    Ok(match path {
        Some(p) => store::load(p)?,
        None => store::load_default()?,
    })
}

/// Where results go: standard output, or a file that appears only when
/// the job succeeds.
pub enum Output {
    Stdout(std::io::BufWriter<std::io::Stdout>),
    File(AtomicFile),
}

impl Output {
    pub fn open(path: Option<&Path>) -> Result<Output> {
        Ok(match path {
            Some(p) => Output::File(AtomicFile::create(p)?),
            None => Output::Stdout(std::io::BufWriter::new(std::io::stdout())),
        })
    }

    pub fn finish(self) -> Result<()> {
        match self {
            Output::Stdout(mut w) => w.flush().context("writing to standard output")?,
            Output::File(f) => f.commit()?,
        }
        Ok(())
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Output::Stdout(w) => w.write(buf),
            Output::File(f) => f.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Output::Stdout(w) => w.flush(),
            Output::File(f) => f.flush(),
        }
    }
}

/// Feed every readable article under `paths` to `each`, in order. A bad
/// article or path is reported on stderr and skipped (or, with `strict`,
/// ends the run). Returns how many were skipped; no article at all is an error.
pub fn for_each_article(
    paths: &[PathBuf],
    strict: bool,
    mut each: impl FnMut(Article) -> Result<()>,
) -> Result<usize> {
    let mut read = 0usize;
    let mut skipped = 0usize;
    let mut report = |err: stance::Error| -> Result<()> {
        if strict {
            return Err(err.into());
        }
        eprintln!("stance: skipped: {err}");
        skipped += 1;
        Ok(())
    };
    for path in paths {
        let items = match corpus::read(path) {
            Ok(items) => items,
            Err(err) => {
                report(err)?;
                continue;
            }
        };
        for item in items {
            match item {
                Ok(article) => {
                    read += 1;
                    each(article)?;
                }
                Err(err) => report(err)?,
            }
        }
    }
    if read == 0 {
        anyhow::bail!(
            "empty corpus: no article could be read from {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(skipped)
}

pub fn outcome(skipped: usize) -> Outcome {
    if skipped == 0 {
        Outcome::Done
    } else {
        Outcome::Skipped(skipped)
    }
}
