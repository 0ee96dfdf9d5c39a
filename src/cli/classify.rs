//! `stance classify` (one record per sentence) and `stance profile` (one
//! summary per article). Both stream: each article is read, classified and
//! written before the next is read.

use super::{classify_all, load_model, outcome, Batch, Outcome, Output};
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use serde_json::{json, Map, Value};
use stance::model::Model;
use stance::profile::{Classified, Profile, ProfileHeads};
use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct Common {
    /// Articles: .txt files, directories, .jsonl, .csv, or - (JSONL on stdin).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Model file (default: the built-in model trained on data/labels.csv).
    #[arg(long, value_name = "MODEL")]
    pub model: Option<PathBuf>,
    /// Write to this file (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Stop at the first unreadable article instead of skipping it.
    #[arg(long)]
    pub strict: bool,
    /// No progress bar (it is shown only when stderr is a terminal anyway).
    #[arg(long, short)]
    pub quiet: bool,
}

impl Common {
    pub fn batch(&self) -> Batch {
        Batch {
            strict: self.strict,
            quiet: self.quiet,
        }
    }
}

#[derive(Args, Debug)]
pub struct ClassifyArgs {
    #[command(flatten)]
    pub common: Common,
    #[arg(long, value_enum, default_value_t = RecordFormat::Csv)]
    pub format: RecordFormat,
}

#[derive(Args, Debug)]
pub struct ProfileArgs {
    #[command(flatten)]
    pub common: Common,
    #[arg(long, value_enum, default_value_t = ProfileFormat::Table)]
    pub format: ProfileFormat,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordFormat {
    Csv,
    Jsonl,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProfileFormat {
    Table,
    Json,
    Jsonl,
    Csv,
}

/// Column prefix of a head's outputs: `label`/`p_x` for stance, `tone`/`p_tone_x` for others.
fn head_columns(model: &Model) -> Vec<(String, Vec<String>)> {
    model
        .heads()
        .iter()
        .map(|h| {
            let (name, prefix) = if h.task == stance::model::STANCE {
                ("label".to_string(), "p_".to_string())
            } else {
                (h.task.clone(), format!("p_{}_", h.task))
            };
            (
                name,
                h.classes.iter().map(|c| format!("{prefix}{c}")).collect(),
            )
        })
        .collect()
}

pub fn run_classify(args: ClassifyArgs) -> Result<Outcome> {
    let model = load_model(args.common.model.as_deref())?;
    let mut out = Output::open(args.common.out.as_deref())?;
    let columns = head_columns(&model);
    let csv = args.format == RecordFormat::Csv;
    if csv {
        let mut header: Vec<String> = ["article", "outlet", "sentence_index", "sentence"]
            .map(String::from)
            .to_vec();
        for (name, probs) in &columns {
            header.push(name.clone());
            header.extend(probs.iter().cloned());
        }
        write_csv_record(&mut out, &header)?;
    }
    // Records are formatted on the worker threads; only the writing is serial.
    let format_article = |c: Classified| -> Result<Vec<u8>> {
        let mut bytes = Vec::with_capacity(c.sentences.len() * 256);
        if csv {
            // The writer's own buffer is zeroed on creation, once per
            // article: keep it small, `bytes` is the real buffer.
            let mut w = csv::WriterBuilder::new()
                .has_headers(false)
                .buffer_capacity(512)
                .from_writer(&mut bytes);
            let outlet = c.article.outlet.as_deref().unwrap_or_default();
            let mut number = String::new();
            for s in &c.sentences {
                w.write_field(&c.article.id)?;
                w.write_field(outlet)?;
                number.clear();
                write!(number, "{}", s.index)?;
                w.write_field(&number)?;
                w.write_field(&s.text)?;
                for h in 0..columns.len() {
                    w.write_field(&s.labels[h])?;
                    for p in &s.probabilities[h] {
                        number.clear();
                        write!(number, "{p:.6}")?;
                        w.write_field(&number)?;
                    }
                }
                w.write_record(None::<&[u8]>)?;
            }
            w.flush()?;
        } else {
            for s in &c.sentences {
                let mut obj = Map::new();
                obj.insert("article".into(), json!(c.article.id));
                obj.insert("outlet".into(), json!(c.article.outlet));
                obj.insert("sentence_index".into(), json!(s.index));
                obj.insert("sentence".into(), json!(s.text));
                for (h, (name, probs)) in columns.iter().enumerate() {
                    obj.insert(name.clone(), json!(s.labels[h]));
                    for (col, p) in probs.iter().zip(&s.probabilities[h]) {
                        obj.insert(col.clone(), json!(round6(*p)));
                    }
                }
                serde_json::to_writer(&mut bytes, &Value::Object(obj))?;
                bytes.push(b'\n');
            }
        }
        Ok(bytes)
    };
    let skipped = classify_all(
        &args.common.paths,
        args.common.batch(),
        &model,
        format_article,
        |bytes| {
            out.write_all(&bytes)?;
            Ok(())
        },
    )?;
    out.finish()?;
    Ok(outcome(skipped))
}

fn round6(p: f64) -> f64 {
    (p * 1e6).round() / 1e6
}

pub fn run_profile(args: ProfileArgs) -> Result<Outcome> {
    let model = load_model(args.common.model.as_deref())?;
    let heads = ProfileHeads::of(&model).context("the model has no stance head")?;
    let classes = &heads.classes;
    let tone_classes = heads.tone_classes();
    let mut out = Output::open(args.common.out.as_deref())?;
    let mut first = true;
    if args.format == ProfileFormat::Csv {
        let mut header: Vec<String> =
            ["article", "outlet", "title", "date", "sentences", "dropped"]
                .map(String::from)
                .to_vec();
        header.extend(classes.iter().map(|c| format!("count_{c}")));
        header.extend(classes.iter().map(|c| format!("share_{c}")));
        header.extend(classes.iter().map(|c| format!("mean_p_{c}")));
        header.push("net_stance".into());
        header.extend(tone_classes.iter().map(|c| format!("count_tone_{c}")));
        header.extend(tone_classes.iter().map(|c| format!("share_tone_{c}")));
        if heads.tone.is_some() {
            header.push("net_tone".into());
        }
        write_csv_record(&mut out, &header)?;
    }
    if args.format == ProfileFormat::Json {
        out.write_all(b"[\n")?;
    }
    let to_profile = |c: Classified| -> Result<Profile> { Ok(heads.profile(&c)) };
    let skipped = classify_all(
        &args.common.paths,
        args.common.batch(),
        &model,
        to_profile,
        |p| {
            match args.format {
                ProfileFormat::Table => write_table(&mut out, &p, classes, first)?,
                ProfileFormat::Json => {
                    if !first {
                        out.write_all(b",\n")?;
                    }
                    let text = serde_json::to_string_pretty(&p)?;
                    let indented: Vec<String> = text.lines().map(|l| format!("  {l}")).collect();
                    out.write_all(indented.join("\n").as_bytes())?;
                }
                ProfileFormat::Jsonl => {
                    serde_json::to_writer(&mut out, &p)?;
                    out.write_all(b"\n")?;
                }
                ProfileFormat::Csv => {
                    let mut record = vec![
                        p.article.clone(),
                        p.outlet.clone().unwrap_or_default(),
                        p.title.clone().unwrap_or_default(),
                        p.date.clone().unwrap_or_default(),
                        p.sentences.to_string(),
                        p.dropped.to_string(),
                    ];
                    record.extend(classes.iter().map(|c| p.counts[c].to_string()));
                    record.extend(classes.iter().map(|c| format!("{:.4}", p.shares[c])));
                    record.extend(
                        classes
                            .iter()
                            .map(|c| format!("{:.4}", p.mean_probability[c])),
                    );
                    record.push(p.net_stance.map(|v| format!("{v:.4}")).unwrap_or_default());
                    if let (Some(counts), Some(shares)) = (&p.tone_counts, &p.tone_shares) {
                        record.extend(tone_classes.iter().map(|c| counts[c].to_string()));
                        record.extend(tone_classes.iter().map(|c| format!("{:.4}", shares[c])));
                        record.push(p.net_tone.map(|v| format!("{v:.4}")).unwrap_or_default());
                    }
                    write_csv_record(&mut out, &record)?;
                }
            }
            first = false;
            Ok(())
        },
    )?;
    if args.format == ProfileFormat::Json {
        out.write_all(b"\n]\n")?;
    }
    out.finish()?;
    Ok(outcome(skipped))
}

fn write_csv_record(out: &mut Output, record: &[String]) -> Result<()> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(record)?;
    out.write_all(&w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)?;
    Ok(())
}

fn write_table(out: &mut Output, p: &Profile, classes: &[String], first: bool) -> Result<()> {
    if !first {
        writeln!(out)?;
    }
    writeln!(
        out,
        "{}  {}",
        p.article,
        p.outlet.as_deref().unwrap_or("(no outlet)")
    )?;
    if let Some(title) = &p.title {
        writeln!(out, "  title      {title}")?;
    }
    if let Some(date) = &p.date {
        writeln!(out, "  date       {date}")?;
    }
    writeln!(
        out,
        "  sentences  {}   dropped lines (page furniture) {}",
        p.sentences, p.dropped
    )?;
    for c in classes {
        writeln!(
            out,
            "  {:<13}{:>3}  {:>5.1}%   mean p {:.3}",
            c,
            p.counts[c],
            100.0 * p.shares[c],
            p.mean_probability[c]
        )?;
    }
    if let Some(net) = p.net_stance {
        writeln!(
            out,
            "  net stance {net:+.3}  (share hawkish − share conciliatory)"
        )?;
    }
    if let Some(shares) = &p.tone_shares {
        let parts: Vec<String> = shares
            .iter()
            .map(|(t, s)| format!("{t} {:.0}%", 100.0 * s))
            .collect();
        write!(out, "  tone       {}", parts.join(", "))?;
        if let Some(net) = p.net_tone {
            write!(
                out,
                "   net tone {net:+.3}  (share positive − share negative)"
            )?;
        }
        writeln!(out)?;
    }
    for (name, list) in [
        ("most hawkish", &p.most_hawkish),
        ("most conciliatory", &p.most_conciliatory),
    ] {
        if let Some(top) = list.first() {
            writeln!(
                out,
                "  {name} ({:.2}): {}",
                top.probability,
                ellipsize(&top.sentence, 110)
            )?;
        }
    }
    Ok(())
}

fn ellipsize(s: &str, max: usize) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        format!("{}…", one_line.chars().take(max - 1).collect::<String>())
    }
}
