//! Command-line definitions and what the subcommands share: choosing the
//! model, reading article batches (a bad article is reported and skipped),
//! and writing output to stdout or atomically to a file.

mod classify;
mod compare;
mod eval;
mod labels;
mod lines;
mod report;
mod suggest;
mod train;

use anyhow::Result;
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
        (id, text and the same optional columns), or - for JSONL on standard input. \
        Input is UTF-8 (a byte-order mark is ignored; CRLF and CR line ends read as LF); HTML markup \
        in article text is stripped and entities decoded. Invalid UTF-8 stops with the file, line \
        and byte unless --invalid-utf8 replace.\n\n\
        Exit status: 0 success, 1 error (no output written), 2 bad usage, 3 done but some inputs skipped, \
        130 interrupted by Ctrl-C (143 SIGTERM; unfinished output files removed)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Bytes that are not UTF-8, and NUL bytes, in articles and label files:
    /// `error` stops and names the file, line and byte; `replace` reads each
    /// invalid sequence as U+FFFD and each NUL as a space, and says so (only
    /// what is read changes; no file is rewritten, and `labels add` never
    /// writes replaced text into a label set).
    #[arg(long, global = true, value_enum, default_value_t = InvalidUtf8::Error, value_name = "WHAT")]
    pub invalid_utf8: InvalidUtf8,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvalidUtf8 {
    Error,
    Replace,
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
    stance::labels::set_invalid_utf8(match cli.invalid_utf8 {
        InvalidUtf8::Error => stance::labels::InvalidUtf8::Error,
        InvalidUtf8::Replace => stance::labels::InvalidUtf8::Replace,
    });
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

/// Refuse to write `out` (given with `option`) when it is one of the
/// `inputs`, however either path is spelled: the output would replace the
/// labels or articles it was made from.
pub fn refuse_input_as_output(option: &str, out: &Path, inputs: &[PathBuf]) -> Result<()> {
    let Ok(target) = out.canonicalize() else {
        return Ok(()); // not there yet: nothing to replace
    };
    if let Some(input) = inputs
        .iter()
        .find(|input| input.canonicalize().is_ok_and(|p| p == target))
    {
        anyhow::bail!(
            "{option} {} is {}, an input of this command: writing it would replace what is being read; give another path",
            out.display(),
            input.display()
        );
    }
    Ok(())
}

/// Where results go: standard output, or a file that appears only when
/// the job succeeds.
pub enum Output {
    Stdout(std::io::BufWriter<std::io::Stdout>),
    File(AtomicFile),
}

impl Output {
    /// Standard output, or the file `path` (`--out`), which must not be one
    /// of the `inputs`.
    pub fn open(path: Option<&Path>, inputs: &[PathBuf]) -> Result<Output> {
        Ok(match path {
            Some(p) => {
                refuse_input_as_output("--out", p, inputs)?;
                Output::File(AtomicFile::create(p)?)
            }
            None => Output::Stdout(std::io::BufWriter::new(std::io::stdout())),
        })
    }

    pub fn finish(self) -> Result<()> {
        match self {
            Output::Stdout(mut w) => w.flush().map_err(crate::stdout_error)?,
            Output::File(f) => f.commit()?,
        }
        Ok(())
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Output::Stdout(w) => w.write(buf).map_err(crate::stdout_error),
            Output::File(f) => f.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Output::Stdout(w) => w.flush().map_err(crate::stdout_error),
            Output::File(f) => f.flush(),
        }
    }
}

/// Articles read before a batch is classified: enough to keep both cores
/// busy, few enough that memory stays flat however large the input.
const BATCH_ARTICLES: usize = 512;
const BATCH_BYTES: usize = 16 << 20;

/// How a batch job reads its input and reports progress.
#[derive(Debug, Clone, Copy)]
pub struct Batch {
    /// Stop at the first unreadable article instead of skipping it.
    pub strict: bool,
    /// No progress bar.
    pub quiet: bool,
}

/// Classify every readable article under `paths`, in parallel batches, in
/// input order. `work` runs on the worker threads and turns a classified
/// article into what `sink` then consumes, one at a time and in order. A bad
/// article or path is reported on stderr and skipped (or, with `strict`, ends
/// the run). Returns how many were skipped; no article at all is an error.
pub fn classify_all<T: Send>(
    paths: &[PathBuf],
    batch: Batch,
    model: &Model,
    work: impl Fn(stance::profile::Classified) -> Result<T> + Sync,
    mut sink: impl FnMut(T) -> Result<()>,
) -> Result<usize> {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    // One scorer per worker thread, so each keeps its stem cache warm.
    let scorers: Vec<Mutex<stance::model::Scorer<'_>>> = (0..rayon::current_num_threads().max(1))
        .map(|_| Mutex::new(model.scorer()))
        .collect();
    let sentences = AtomicUsize::new(0);
    let progress = progress_bar(batch.quiet);
    let mut read = 0usize;
    let mut skipped = 0usize;
    let mut warnings = 0usize;
    let started = std::time::Instant::now();

    let run_batch =
        |batch: Vec<Article>, read: usize, sink: &mut dyn FnMut(T) -> Result<()>| -> Result<()> {
            let results: Vec<Result<T>> = batch
                .into_par_iter()
                .map(|article| {
                    let slot = rayon::current_thread_index().unwrap_or(0) % scorers.len();
                    let mut scorer = scorers[slot]
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner());
                    let classified = stance::profile::classify(&mut scorer, model, article);
                    sentences.fetch_add(classified.sentences.len(), Ordering::Relaxed);
                    work(classified)
                })
                .collect();
            for r in results {
                sink(r?)?;
            }
            let n = sentences.load(Ordering::Relaxed);
            let rate = n as f64 / started.elapsed().as_secs_f64().max(1e-9);
            progress.set_message(format!(
                "{read} articles, {n} sentences ({rate:.0} sentences/s)"
            ));
            progress.tick();
            Ok(())
        };

    // A reader thread parses the input while the workers classify the
    // previous batch; the bounded channel keeps memory flat.
    let strict = batch.strict;
    std::thread::scope(|scope| -> Result<()> {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Read<Vec<Article>>>(2);
        scope.spawn(move || read_batches(paths, strict, &sender));
        for message in receiver {
            match message {
                Read::Batch(articles) => {
                    read += articles.len();
                    run_batch(articles, read, &mut sink)?;
                }
                Read::Skipped(err) => {
                    progress.suspend(|| eprintln!("stance: skipped: {err}"));
                    skipped += 1;
                }
                Read::Failed(err) => return Err(err.into()),
                Read::Warning(w) => {
                    warnings += 1;
                    if warnings <= MAX_WARNINGS {
                        progress.suspend(|| eprintln!("stance: warning: {w}"));
                    }
                }
            }
        }
        Ok(())
    })?;
    progress.finish_and_clear();
    if warnings > MAX_WARNINGS {
        eprintln!(
            "stance: warning: {} more article(s) with invalid bytes read as U+FFFD",
            warnings - MAX_WARNINGS
        );
    }
    if read == 0 {
        anyhow::bail!(
            "empty corpus: no article could be read from {}{}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            if skipped > 0 {
                " (every article was skipped: see the messages above)"
            } else {
                ""
            }
        );
    }
    Ok(skipped)
}

/// A spinner with a message on stderr, drawn only when stderr is a terminal.
pub fn progress_bar(quiet: bool) -> indicatif::ProgressBar {
    if quiet {
        return indicatif::ProgressBar::hidden();
    }
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}")
    {
        bar.set_style(style);
    }
    bar
}

/// A bar counting the fold fits of a cross-validated settings search, and
/// the hook that moves it. It is drawn on stderr only when stderr is a
/// terminal, and never with `quiet`; each search starts it afresh.
pub fn search_progress(quiet: bool) -> (indicatif::ProgressBar, stance::model::train::Progress) {
    let bar = if quiet {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr())
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{elapsed_precise} [{bar:30}] {pos}/{len} fold fits, about {eta} left",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    let hook = bar.clone();
    let progress = stance::model::train::Progress::new(move |done, total| {
        hook.set_length(total as u64);
        if done == 0 {
            hook.reset();
        }
        hook.set_position(hook.position().max(done as u64));
    });
    (bar, progress)
}

/// Warnings shown one by one; the rest are counted.
const MAX_WARNINGS: usize = 10;

/// What the reader thread sends.
enum Read<T> {
    /// Something noticed in the input that was read all the same.
    Warning(String),
    /// Input read: a batch of articles, a block of lines.
    Batch(T),
    /// An unreadable article or path, skipped.
    Skipped(stance::Error),
    /// The same with `--strict` (or input that cannot be skipped): the run ends.
    Failed(stance::Error),
}

impl<T> Read<T> {
    /// What to send about an unreadable article or path.
    fn unreadable(err: stance::Error, strict: bool) -> Self {
        match strict {
            true => Read::Failed(err),
            false => Read::Skipped(err),
        }
    }
}

/// Read every article under `paths` and send them in batches. Stops early
/// when the receiver is gone (the run ended).
fn read_batches(
    paths: &[PathBuf],
    strict: bool,
    sender: &std::sync::mpsc::SyncSender<Read<Vec<Article>>>,
) {
    let report = |err: stance::Error| sender.send(Read::unreadable(err, strict)).is_ok() && !strict;
    let mut pending: Vec<Article> = Vec::new();
    let mut pending_bytes = 0usize;
    for path in paths {
        let items = match corpus::read(path) {
            Ok(items) => items,
            Err(err) => {
                if !report(err) {
                    return;
                }
                continue;
            }
        };
        for item in items {
            match item {
                Ok(mut article) => {
                    for w in std::mem::take(&mut article.warnings) {
                        if sender.send(Read::Warning(w)).is_err() {
                            return;
                        }
                    }
                    pending_bytes += article.body.len();
                    pending.push(article);
                    if pending.len() >= BATCH_ARTICLES || pending_bytes >= BATCH_BYTES {
                        pending_bytes = 0;
                        if sender
                            .send(Read::Batch(std::mem::take(&mut pending)))
                            .is_err()
                        {
                            return;
                        }
                    }
                }
                Err(err) => {
                    if !report(err) {
                        return;
                    }
                }
            }
        }
    }
    if !pending.is_empty() {
        let _ = sender.send(Read::Batch(pending));
    }
}

pub fn outcome(skipped: usize) -> Outcome {
    if skipped == 0 {
        Outcome::Done
    } else {
        Outcome::Skipped(skipped)
    }
}
