//! `stance compare`: which group of articles (outlet, period, any metadata
//! field) frames Russia more hawkishly, by how much, and how sure we can be.

use super::{classify_all, load_model, outcome, Batch, Outcome, Output};
use anyhow::Result;
use clap::{Args, ValueEnum};
use stance::compare::{self, ArticleStats, Comparison, Interval, Period};
use stance::model::Model;
use stance::profile::{Classified, Profile};
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug, Clone)]
pub struct GroupArgs {
    /// Articles: .txt files, directories, .jsonl, .csv, or - (JSONL on stdin).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Model file (default: the built-in model).
    #[arg(long, value_name = "MODEL")]
    pub model: Option<PathBuf>,
    /// Metadata field to group by: outlet, date, or any field of the input.
    #[arg(long, default_value = "outlet", value_name = "FIELD")]
    pub by: String,
    /// With --by date: the period that forms a group.
    #[arg(long, value_enum, default_value_t = PeriodArg::Month)]
    pub period: PeriodArg,
    /// Bootstrap resamples (and permutations) for intervals and tests.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(100..=1_000_000))]
    pub resamples: u64,
    /// Seed of the random generator: the same seed gives the same numbers.
    #[arg(long, default_value_t = 20161012)]
    pub seed: u64,
    /// Stop at the first unreadable article instead of skipping it.
    #[arg(long)]
    pub strict: bool,
    /// No progress bar (it is shown only when stderr is a terminal anyway).
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub shares: super::classify::SharesArg,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeriodArg {
    Day,
    Week,
    Month,
}

#[derive(Args, Debug)]
pub struct CompareArgs {
    #[command(flatten)]
    pub group: GroupArgs,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Also draw the comparison chart to this .svg or .png file.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// Write to this file (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// The articles classified, profiled and grouped.
pub struct Grouped {
    pub model: Model,
    pub comparison: Comparison,
    /// Each article with its sentences and profile, in input order (only
    /// kept when `keep_articles`).
    pub articles: Vec<(Classified, Profile)>,
    pub skipped: usize,
}

/// The group key of an article.
fn key(article: &stance::corpus::Article, by: &str, period: PeriodArg) -> String {
    let period = match period {
        PeriodArg::Day => Period::Day,
        PeriodArg::Week => Period::Week,
        PeriodArg::Month => Period::Month,
    };
    match (by, article.field(by)) {
        ("date", Some(date)) => {
            compare::period_of(date, period).unwrap_or_else(|| format!("(unparsed date {date})"))
        }
        (_, Some(value)) => value.to_string(),
        (_, None) => format!("(no {by})"),
    }
}

pub fn group(args: &GroupArgs, keep_articles: bool) -> Result<Grouped> {
    let model = load_model(args.model.as_deref())?;
    let heads = args.shares.heads(&model)?;
    let classes = &heads.classes;
    let mut stats = Vec::new();
    let mut kept = Vec::new();
    let work = |c: Classified| -> Result<(ArticleStats, Option<(Classified, Profile)>)> {
        let group = key(&c.article, &args.by, args.period);
        let p = heads.profile(&c);
        let stat = ArticleStats {
            id: p.article.clone(),
            group,
            sentences: p.sentences,
            counts: classes.iter().map(|c| p.counts[c]).collect(),
            shares: classes.iter().map(|c| p.shares[c]).collect(),
            net_stance: p.net_stance,
            net_tone: p.net_tone,
        };
        Ok((stat, keep_articles.then_some((c, p))))
    };
    let batch = Batch {
        strict: args.strict,
        quiet: args.quiet,
    };
    let skipped = classify_all(&args.paths, batch, &model, work, |(stat, article)| {
        stats.push(stat);
        kept.extend(article);
        Ok(())
    })?;
    let comparison = compare::compare(
        &stats,
        classes,
        heads.shares.method,
        &args.by,
        args.resamples as usize,
        args.seed,
    );
    Ok(Grouped {
        model,
        comparison,
        articles: kept,
        skipped,
    })
}

pub fn run(args: CompareArgs) -> Result<Outcome> {
    // Open the output first: a bad path fails before the work.
    let mut out = Output::open(args.out.as_deref(), &args.group.paths)?;
    if let Some(plot) = &args.plot {
        super::refuse_input_as_output("--plot", plot, &args.group.paths)?;
    }
    let grouped = group(&args.group, false)?;
    let c = &grouped.comparison;
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, c)?;
            out.write_all(b"\n")?;
        }
        Format::Csv => write_csv(&mut out, c)?,
        Format::Table => write_table(&mut out, c)?,
    }
    if let Some(plot) = &args.plot {
        stance::report::chart::write(c, plot)?;
        eprintln!("stance: chart written to {}", plot.display());
    }
    out.finish()?;
    Ok(outcome(grouped.skipped))
}

pub fn interval_text(iv: &Option<Interval>, signed: bool) -> String {
    let fmt = |v: f64| {
        if signed {
            format!("{v:+.3}")
        } else {
            format!("{v:.3}")
        }
    };
    match iv {
        None => "-".into(),
        Some(Interval {
            estimate,
            low: Some(l),
            high: Some(h),
        }) => format!("{} [{}, {}]", fmt(*estimate), fmt(*l), fmt(*h)),
        Some(Interval { estimate, .. }) => format!("{} (one article)", fmt(*estimate)),
    }
}

fn write_table(out: &mut Output, c: &Comparison) -> Result<()> {
    writeln!(
        out,
        "by {}: {} articles, {} sentences; 95% intervals from {} bootstrap resamples of articles (seed {}); shares: {} ({})\n",
        c.by, c.articles, c.sentences, c.resamples, c.seed, c.shares_method.name(), c.shares_method.describe()
    )?;
    let width = c
        .groups
        .iter()
        .map(|g| g.group.chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    write!(
        out,
        "{:<width$} {:>8} {:>9}",
        "group", "articles", "sentences"
    )?;
    for l in &c.classes {
        write!(out, " {:>12}", l)?;
    }
    writeln!(
        out,
        "  {:<30} {:<28}",
        "net stance [95% CI]", "hawkish share [95% CI]"
    )?;
    for g in &c.groups {
        write!(
            out,
            "{:<width$} {:>8} {:>9}",
            g.group, g.articles, g.sentences
        )?;
        for l in &c.classes {
            write!(out, " {:>11.1}%", 100.0 * g.shares[l])?;
        }
        writeln!(
            out,
            "  {:<30} {:<28}",
            interval_text(&g.net_stance, true),
            interval_text(&g.hawkish_share, false)
        )?;
    }
    if c.groups.iter().any(|g| g.net_tone.is_some()) {
        writeln!(
            out,
            "\nnet tone (share positive − share negative), mean over articles [95% CI]:"
        )?;
        for g in &c.groups {
            writeln!(
                out,
                "  {:<width$} {}",
                g.group,
                interval_text(&g.net_tone, true)
            )?;
        }
    }
    if c.groups.iter().any(|g| g.single_article) {
        writeln!(
            out,
            "\ngroups with one article are shown, but no interval can be computed from one article"
        )?;
    }
    if let (Some(chi), Some(perm)) = (&c.chi_square, &c.permutation) {
        writeln!(out, "\ndoes the label distribution differ between groups?")?;
        writeln!(
            out,
            "  chi-square test of independence (sentences): chi² = {:.2}, df = {}, p = {:.4}",
            chi.statistic, chi.df, chi.p_value
        )?;
        if let Some(w) = &chi.warning {
            writeln!(out, "    warning: {w}")?;
        }
        writeln!(
            out,
            "  permutation test (whole articles shuffled between groups, {} permutations): p = {:.4}",
            perm.permutations, perm.p_value
        )?;
    }
    if !c.pairwise.is_empty() {
        writeln!(
            out,
            "\nnet stance differences (row − column group) [95% CI]:"
        )?;
        for p in &c.pairwise {
            let iv = Some(Interval {
                estimate: p.difference,
                low: p.low,
                high: p.high,
            });
            let text = match (p.low, p.high) {
                (Some(_), Some(_)) => interval_text(&iv, true),
                _ => format!(
                    "{:+.3} (no interval: a group has one article)",
                    p.difference
                ),
            };
            writeln!(out, "  {} − {}: {}", p.a, p.b, text)?;
        }
    }
    Ok(())
}

fn write_csv(out: &mut Output, c: &Comparison) -> Result<()> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = ["group", "articles", "sentences"]
        .map(String::from)
        .to_vec();
    header.extend(c.classes.iter().map(|l| format!("count_{l}")));
    header.extend(c.classes.iter().map(|l| format!("share_{l}")));
    for name in ["net_stance", "hawkish_share", "net_tone"] {
        header.extend([
            name.to_string(),
            format!("{name}_low"),
            format!("{name}_high"),
        ]);
    }
    header.push("single_article".into());
    w.write_record(&header)?;
    let opt = |v: Option<f64>| v.map(|x| format!("{x:.6}")).unwrap_or_default();
    for g in &c.groups {
        let mut r = vec![
            g.group.clone(),
            g.articles.to_string(),
            g.sentences.to_string(),
        ];
        r.extend(c.classes.iter().map(|l| g.counts[l].to_string()));
        r.extend(c.classes.iter().map(|l| format!("{:.6}", g.shares[l])));
        for iv in [&g.net_stance, &g.hawkish_share, &g.net_tone] {
            r.push(opt(iv.as_ref().map(|i| i.estimate)));
            r.push(opt(iv.as_ref().and_then(|i| i.low)));
            r.push(opt(iv.as_ref().and_then(|i| i.high)));
        }
        r.push(g.single_article.to_string());
        w.write_record(&r)?;
    }
    out.write_all(&w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)?;
    Ok(())
}
