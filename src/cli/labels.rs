//! `stance labels add` (append filled-in rows to the label set, all or
//! nothing) and `stance labels stats` (what the label set holds).

use super::Outcome;
use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use stance::labels;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct LabelsArgs {
    #[command(subcommand)]
    pub command: LabelsCommand,
}

#[derive(Subcommand, Debug)]
pub enum LabelsCommand {
    /// Append the labeled rows of NEW.csv (e.g. a filled-in `stance suggest`
    /// file) to the label set. The whole file is checked first: if any row is
    /// bad, every bad row is listed and nothing is written. Existing rows are
    /// kept byte for byte; the file is replaced atomically.
    Add {
        /// The filled-in rows (`text` and `label` columns; others optional).
        new: PathBuf,
        /// The label set to extend.
        #[arg(long, default_value = "data/labels.csv", value_name = "FILE")]
        into: PathBuf,
        /// Value for the `source` column when NEW has none.
        #[arg(long, default_value = "added")]
        source: String,
        /// When another `labels add` is writing the same label set, wait at
        /// most this long for it (default: as long as it takes). Writers
        /// take turns on an exclusive lock on FILE.lock beside the set.
        #[arg(long, value_name = "SECONDS")]
        wait: Option<u64>,
    },
    /// Count labeled rows per label and source.
    Stats {
        #[arg(default_value = "data/labels.csv")]
        file: PathBuf,
    },
}

pub fn run(args: LabelsArgs) -> Result<Outcome> {
    match args.command {
        LabelsCommand::Add {
            new,
            into,
            source,
            wait,
        } => add(&new, &into, &source, wait),
        LabelsCommand::Stats { file } => stats(&file),
    }
}

fn add(
    new: &std::path::Path,
    into: &std::path::Path,
    source: &str,
    wait: Option<u64>,
) -> Result<Outcome> {
    // Held until the new file is in place: no other writer reads the set
    // in between, so none can write its rows over these.
    let _lock = labels::lock_label_set(into, wait.map(std::time::Duration::from_secs), |lock| {
        eprintln!(
            "stance: waiting for another writer of {} (lock {})…",
            into.display(),
            lock.display()
        )
    })?;
    let prepared = labels::prepare_append(into, new, source)?;
    for w in &prepared.warnings {
        eprintln!("stance: warning: {w}");
    }
    if !prepared.problems.is_empty() {
        for problem in &prepared.problems {
            eprintln!("stance: {problem}");
        }
        bail!(
            "{} bad row(s) in {}; nothing was added to {}",
            prepared.problems.len(),
            new.display(),
            into.display()
        );
    }
    if let Some((raw, label)) = &prepared.normalized_example {
        eprintln!(
            "stance: note: {} row(s) of {} had a label or tone with spaces or capitals, added trimmed and lower-cased (e.g. {raw:?} → {label:?})",
            prepared.normalized,
            new.display()
        );
    }
    if prepared.added > 0 {
        labels::append(into, &prepared.bytes)?;
    }
    outln!(
        "added {} row(s) to {}; skipped {} without a label and {} already present",
        prepared.added,
        into.display(),
        prepared.unlabeled,
        prepared.duplicates
    )?;
    Ok(Outcome::Done)
}

fn stats(file: &std::path::Path) -> Result<Outcome> {
    let lf = labels::read(file, "label")?;
    for w in &lf.warnings {
        eprintln!("stance: warning: {w}");
    }
    let mut table: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let mut sources: Vec<String> = Vec::new();
    for row in &lf.rows {
        let source = row.source.clone().unwrap_or_else(|| "(none)".into());
        if !sources.contains(&source) {
            sources.push(source.clone());
        }
        *table
            .entry(row.label.clone())
            .or_default()
            .entry(source)
            .or_default() += 1;
    }
    sources.sort();
    outln!(
        "{}: {} rows, {} labeled, {} without a label",
        file.display(),
        lf.total_rows,
        lf.rows.len(),
        lf.unlabeled
    )?;
    out!("{:<14}", "label")?;
    for s in &sources {
        out!(" {s:>9}")?;
    }
    outln!(" {:>9}", "total")?;
    for (label, by_source) in &table {
        out!("{label:<14}")?;
        for s in &sources {
            out!(" {:>9}", by_source.get(s).copied().unwrap_or(0))?;
        }
        outln!(" {:>9}", by_source.values().sum::<usize>())?;
    }
    if let Ok(tones) = labels::read(file, "tone") {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for row in &tones.rows {
            *counts.entry(row.label.clone()).or_default() += 1;
        }
        if !counts.is_empty() {
            outln!(
                "tone: {}",
                counts
                    .iter()
                    .map(|(t, n)| format!("{t} {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
        }
    }
    Ok(Outcome::Done)
}
