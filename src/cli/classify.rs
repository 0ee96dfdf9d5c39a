//! `stance classify` (one record per sentence) and `stance profile` (one
//! summary per article). Both stream: each article is read, classified and
//! written before the next is read.

use super::{classify_all, load_model, outcome, Batch, Outcome, Output};
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use serde_json::{json, Map, Value};
use stance::model::Model;
use stance::profile::{Classified, Profile, ProfileHeads, SharesMethod};
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
    /// Each line is one sentence, already split: no cleaning, no sentence
    /// splitting. PATHs are text files or - (standard input); `article` is
    /// the path and `sentence_index` the line's index (0 for the first
    /// line); blank lines are skipped.
    #[arg(long)]
    pub lines: bool,
    #[arg(long, value_enum, default_value_t = RecordFormat::Csv)]
    pub format: RecordFormat,
}

#[derive(Args, Debug)]
pub struct ProfileArgs {
    #[command(flatten)]
    pub common: Common,
    #[command(flatten)]
    pub shares: SharesArg,
    #[arg(long, value_enum, default_value_t = ProfileFormat::Table)]
    pub format: ProfileFormat,
}

/// How stance shares are estimated (profile, compare, report).
#[derive(Args, Debug, Clone, Copy)]
pub struct SharesArg {
    /// How the share of each stance label is estimated: `count` (sentences
    /// whose most probable label it is), `mean` (mean probability),
    /// `adjusted` (counts corrected by the model's cross-validated confusion
    /// matrix) or `em` (label priors re-estimated on the article's sentences
    /// by EM). Counting is biased when the articles' mix differs from the
    /// training mix; see README, "How good is it?".
    #[arg(long, value_enum, default_value_t = SharesMethod::default(), value_name = "METHOD")]
    pub shares: SharesMethod,
}

impl SharesArg {
    /// The profile heads of `model`, estimating shares as asked.
    pub fn heads(&self, model: &Model) -> Result<ProfileHeads> {
        let heads = ProfileHeads::of(model).context("the model has no stance head")?;
        heads
            .with_shares(model, self.shares)
            .map_err(|e| anyhow::anyhow!(e))
    }
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
pub(super) fn head_columns(model: &Model) -> Vec<(String, Vec<String>)> {
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
    let mut out = Output::open(args.common.out.as_deref(), &args.common.paths)?;
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
    if args.lines {
        let skipped = super::lines::classify_lines(
            &args.common.paths,
            args.common.batch(),
            &model,
            &columns,
            csv,
            &mut out,
        )?;
        out.finish()?;
        return Ok(outcome(skipped));
    }
    // Records are formatted on the worker threads; only the writing is serial.
    let format_article = |c: Classified| -> Result<Vec<u8>> {
        let mut records = Records::new(csv, &columns, c.sentences.len() * 256);
        let outlet = c.article.outlet.as_deref();
        for s in &c.sentences {
            let heads = s.labels.iter().map(String::as_str);
            let heads = heads.zip(s.probabilities.iter().map(Vec::as_slice));
            records.push(&c.article.id, outlet, s.index, &s.text, heads)?;
        }
        records.finish()
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

/// Sentence records, one per line, in CSV (without the header) or JSONL.
pub(super) struct Records<'c> {
    columns: &'c [(String, Vec<String>)],
    csv: Option<csv::Writer<Vec<u8>>>,
    json: Vec<u8>,
}

impl<'c> Records<'c> {
    pub(super) fn new(csv: bool, columns: &'c [(String, Vec<String>)], capacity: usize) -> Self {
        let bytes = Vec::with_capacity(capacity);
        let (csv, json) = if csv {
            // The writer's own buffer is zeroed on creation: keep it small,
            // `bytes` is the real buffer.
            let w = csv::WriterBuilder::new()
                .has_headers(false)
                .buffer_capacity(512)
                .from_writer(bytes);
            (Some(w), Vec::new())
        } else {
            (None, bytes)
        };
        Records { columns, csv, json }
    }

    /// One sentence; `heads` gives each head's label and class
    /// probabilities, in the model's head order.
    pub(super) fn push<'a>(
        &mut self,
        article: &str,
        outlet: Option<&str>,
        index: usize,
        text: &str,
        heads: impl Iterator<Item = (&'a str, &'a [f64])>,
    ) -> Result<()> {
        let mut digits = [0u8; 24];
        if let Some(w) = &mut self.csv {
            w.write_field(article)?;
            w.write_field(outlet.unwrap_or_default())?;
            w.write_field(decimal(&mut digits, index as u64, 0))?;
            w.write_field(text)?;
            for (label, probabilities) in heads {
                w.write_field(label)?;
                for &p in probabilities {
                    // Six decimals, rounded as in JSONL: the integer number
                    // of millionths, written out by hand, is several times
                    // faster than float formatting.
                    let micro = (p * 1e6).round() as u64;
                    w.write_field(decimal(&mut digits, micro, 6))?;
                }
            }
            w.write_record(None::<&[u8]>)?;
        } else {
            let mut obj = Map::new();
            obj.insert("article".into(), json!(article));
            obj.insert("outlet".into(), json!(outlet));
            obj.insert("sentence_index".into(), json!(index));
            obj.insert("sentence".into(), json!(text));
            for ((name, probs), (label, probabilities)) in self.columns.iter().zip(heads) {
                obj.insert(name.clone(), json!(label));
                for (col, p) in probs.iter().zip(probabilities) {
                    obj.insert(col.clone(), json!(round6(*p)));
                }
            }
            serde_json::to_writer(&mut self.json, &Value::Object(obj))?;
            self.json.push(b'\n');
        }
        Ok(())
    }

    pub(super) fn finish(self) -> Result<Vec<u8>> {
        match self.csv {
            Some(w) => w.into_inner().map_err(|e| anyhow::anyhow!("{}", e.error())),
            None => Ok(self.json),
        }
    }
}

/// `value` ÷ 10^`decimals` written in decimal with that many decimals, in
/// `buf`'s tail: `decimal(buf, 24897, 6)` is "0.024897".
fn decimal(buf: &mut [u8; 24], mut value: u64, decimals: usize) -> &[u8] {
    let mut i = buf.len();
    for _ in 0..decimals {
        i -= 1;
        buf[i] = b'0' + (value % 10) as u8;
        value /= 10;
    }
    if decimals > 0 {
        i -= 1;
        buf[i] = b'.';
    }
    loop {
        i -= 1;
        buf[i] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            return &buf[i..];
        }
    }
}

fn round6(p: f64) -> f64 {
    (p * 1e6).round() / 1e6
}

pub fn run_profile(args: ProfileArgs) -> Result<Outcome> {
    let model = load_model(args.common.model.as_deref())?;
    let heads = args.shares.heads(&model)?;
    let classes = &heads.classes;
    let tone_classes = heads.tone_classes();
    let mut out = Output::open(args.common.out.as_deref(), &args.common.paths)?;
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
        header.push("shares_method".into());
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
                    record.push(p.shares_method.name().to_string());
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
    writeln!(
        out,
        "  {:<13}{:>5}  {:>6}   (share: {})",
        "label",
        "count",
        "share",
        p.shares_method.describe()
    )?;
    for c in classes {
        writeln!(
            out,
            "  {:<13}{:>5}  {:>5.1}%",
            c,
            p.counts[c],
            100.0 * p.shares[c],
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_written_as_format_writes_them() {
        let mut buf = [0u8; 24];
        for micro in [
            0,
            1,
            9,
            10,
            24_897,
            999_999,
            1_000_000,
            123_456_789,
            u64::MAX,
        ] {
            let expected = format!("{}.{:06}", micro / 1_000_000, micro % 1_000_000);
            assert_eq!(decimal(&mut buf, micro, 6), expected.as_bytes());
            assert_eq!(decimal(&mut buf, micro, 0), micro.to_string().as_bytes());
        }
    }
}
