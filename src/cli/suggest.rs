//! `stance suggest`: the sentences the model is least sure of, ready to label
//! in a spreadsheet (uncertainty sampling).

use super::{classify_all, load_model, outcome, Batch, Outcome};
use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use stance::labels;
use stance::output::AtomicFile;
use stance::profile;
use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct SuggestArgs {
    /// Articles to draw sentences from.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Model whose uncertainty guides the choice (default: the built-in model).
    #[arg(long, value_name = "MODEL")]
    pub model: Option<PathBuf>,
    /// How many sentences to suggest.
    #[arg(long, default_value_t = 50)]
    pub n: usize,
    /// Where to write the CSV to fill in.
    #[arg(long, value_name = "FILE.csv")]
    pub out: PathBuf,
    /// Replace FILE.csv if it exists (any labels filled into it are lost).
    #[arg(long)]
    pub force: bool,
    /// Label files whose sentences are already labeled and must not be suggested.
    #[arg(long = "labels", value_name = "FILE")]
    pub labels: Vec<PathBuf>,
    /// Uncertainty measure.
    #[arg(long, value_enum, default_value_t = Strategy::Margin)]
    pub strategy: Strategy,
    /// Sentences whose word sets overlap at least this much (Jaccard) with an
    /// already chosen one are near-duplicates and skipped.
    #[arg(long, default_value_t = 0.8)]
    pub max_similarity: f64,
    /// Stop at the first unreadable article instead of skipping it.
    #[arg(long)]
    pub strict: bool,
    /// No progress bar (it is shown only when stderr is a terminal anyway).
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Smallest gap between the two most probable labels.
    Margin,
    /// Highest entropy of the label distribution.
    Entropy,
}

struct Candidate {
    uncertainty: f64,
    order: usize,
    text: String,
    article: String,
    outlet: String,
    predicted: String,
    probabilities: Vec<f64>,
}

fn uncertainty(p: &[f64], strategy: Strategy) -> f64 {
    match strategy {
        Strategy::Margin => {
            let mut sorted = p.to_vec();
            sorted.sort_by(|a, b| b.total_cmp(a));
            -(sorted[0] - sorted.get(1).copied().unwrap_or(0.0))
        }
        Strategy::Entropy => -p
            .iter()
            .filter(|&&x| x > 0.0)
            .map(|x| x * x.ln())
            .sum::<f64>(),
    }
}

fn words(text: &str) -> HashSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn jaccard(a: &HashSet<String>, b: &HashSet<String>) -> f64 {
    let inter = a.intersection(b).count() as f64;
    let union = (a.len() + b.len()) as f64 - inter;
    if union == 0.0 {
        1.0
    } else {
        inter / union
    }
}

pub fn run(args: SuggestArgs) -> Result<Outcome> {
    let model = load_model(args.model.as_deref())?;
    let (h, head) = model
        .head(stance::model::STANCE)
        .context("the model has no stance head")?;
    let classes = head.classes.clone();
    let mut labeled: HashSet<String> = HashSet::new();
    for path in &args.labels {
        let file = labels::read(path, "label")?;
        labeled.extend(file.rows.iter().map(|r| labels::normalize_text(&r.text)));
    }
    // Check the destination before the work, so a typo costs nothing. A
    // file of suggestions may hold labels someone has filled in.
    let inputs: Vec<PathBuf> = args.paths.iter().chain(&args.labels).cloned().collect();
    super::refuse_input_as_output("--out", &args.out, &inputs)?;
    if args.out.exists() && !args.force {
        bail!(
            "{} exists, and labels filled into it would be lost: add them first (`stance labels add`), then pass --force to replace it, or choose another file",
            args.out.display()
        );
    }
    let mut out = AtomicFile::create(&args.out)?;
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut order = 0;
    // Room for near-duplicates to be skipped.
    let keep = (args.n * 50).max(10_000);
    let strategy = args.strategy;
    let work = |c: profile::Classified| -> Result<Vec<Candidate>> {
        let article = c.article.id.clone();
        let outlet = c.article.outlet.clone().unwrap_or_default();
        Ok(c.sentences
            .into_iter()
            .filter(|s| !labeled.contains(&labels::normalize_text(&s.text)))
            .map(|s| Candidate {
                uncertainty: uncertainty(&s.probabilities[h], strategy),
                order: s.index,
                text: s.text,
                article: article.clone(),
                outlet: outlet.clone(),
                predicted: s.labels[h].clone(),
                probabilities: s.probabilities[h].clone(),
            })
            .collect())
    };
    let batch = Batch {
        strict: args.strict,
        quiet: args.quiet,
    };
    let skipped = classify_all(&args.paths, batch, &model, work, |found| {
        for mut c in found {
            // Input order breaks ties, so the choice is deterministic.
            c.order = order;
            order += 1;
            candidates.push(c);
        }
        // Keep memory flat on large inputs: only the most uncertain can be chosen.
        if candidates.len() > 2 * keep {
            candidates.sort_by(|a, b| {
                b.uncertainty
                    .total_cmp(&a.uncertainty)
                    .then(a.order.cmp(&b.order))
            });
            candidates.truncate(keep);
        }
        Ok(())
    })?;
    candidates.sort_by(|a, b| {
        b.uncertainty
            .total_cmp(&a.uncertainty)
            .then(a.order.cmp(&b.order))
    });
    let mut chosen: Vec<(Candidate, HashSet<String>)> = Vec::new();
    for c in candidates {
        if chosen.len() == args.n {
            break;
        }
        let w = words(&c.text);
        if chosen
            .iter()
            .any(|(_, other)| jaccard(&w, other) >= args.max_similarity)
        {
            continue;
        }
        chosen.push((c, w));
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = ["text", "article", "outlet", "predicted"]
        .map(String::from)
        .to_vec();
    header.extend(classes.iter().map(|c| format!("p_{c}")));
    header.push("label".into());
    writer.write_record(&header)?;
    for (c, _) in &chosen {
        let mut record = vec![
            c.text.clone(),
            c.article.clone(),
            c.outlet.clone(),
            c.predicted.clone(),
        ];
        record.extend(c.probabilities.iter().map(|p| format!("{p:.4}")));
        record.push(String::new());
        writer.write_record(&record)?;
    }
    out.write_all(&writer.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)?;
    out.commit()?;
    eprintln!(
        "stance: wrote {} sentence(s) to {} for labeling (fill in the `label` column, then `stance labels add {}`)",
        chosen.len(),
        args.out.display(),
        args.out.display()
    );
    Ok(outcome(skipped))
}
