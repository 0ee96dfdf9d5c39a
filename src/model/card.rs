//! The model card: a human-readable summary written next to every model
//! (`MODEL.md` beside `MODEL.json`): what it was trained on, how well it did
//! in cross-validation, and what it has learned (its heaviest terms).

use super::{ClassWeight, ModelFile};
use std::fmt::Write;

/// How many terms to show per class.
const TOP_TERMS: usize = 12;

/// The card's path: the model's path with the extension `.md`.
/// How every model card begins.
pub const TITLE: &str = "# Model card: ";

pub fn path_for(model: &std::path::Path) -> std::path::PathBuf {
    model.with_extension("md")
}

pub fn render(file: &ModelFile, model_path: &str) -> String {
    let mut s = String::new();
    // Writing to a String cannot fail.
    let _ = render_into(&mut s, file, model_path);
    s
}

fn render_into(s: &mut String, file: &ModelFile, model_path: &str) -> std::fmt::Result {
    writeln!(s, "{TITLE}`{model_path}`\n")?;
    writeln!(
        s,
        "Format `{}` version {}, created {}. Tokenizer `{}`, stemmer `{}`.\n",
        file.format,
        file.format_version,
        file.created,
        file.analyzer.tokenizer,
        file.analyzer.stemmer
    )?;
    writeln!(s, "## Training data\n")?;
    writeln!(s, "| file | rows | SHA-256 |\n|---|---|---|")?;
    for f in &file.training.files {
        writeln!(s, "| `{}` | {} | `{}` |", f.path, f.rows, f.sha256)?;
    }
    writeln!(
        s,
        "\n{} labeled sentences used (after skipping unlabeled rows and duplicates).\n",
        file.training.rows
    )?;
    writeln!(
        s,
        "Rebuild it with:\n\n```sh\n{} --out {model_path}\n```\n",
        file.training.command
    )?;
    let fs = &file.features.settings;
    writeln!(s, "## Features\n")?;
    let chars = match fs.char_ngrams {
        None => String::new(),
        Some([lo, hi]) => format!(
            " and character {lo}–{hi} grams of the words (as scikit-learn's char_wb; terms marked `#`, a block normalized on its own)"
        ),
    };
    let negation = match fs.negation_scope {
        true => "; stems in a negation's scope (after not, no, never… up to the next clause punctuation) marked `¬`, as terms of their own",
        false => "",
    };
    writeln!(
        s,
        "TF-IDF over word 1–{} grams of Snowball stems{chars}{negation}; sublinear tf: {}; smoothed idf; rows L2-normalized; min_df {}; {}; vocabulary {} terms.\n",
        fs.ngram_max,
        fs.sublinear_tf,
        fs.min_df,
        fs.max_features.map_or("no max_features".to_string(), |m| format!("max_features {m}")),
        file.features.vocabulary.len()
    )?;
    if let Some(t) = &fs.target {
        let mut parts = Vec::new();
        if t.window > 0 {
            parts.push(format!(
                "the stems within {} words of a mention of the target are terms of their own (marked `@`), and each mention counts as the term `@`",
                t.window
            ));
        }
        if t.speakers {
            parts.push("a speech or action verb whose speaker names the target gives `§target` and `§target:VERB`, any other named speaker `§other` and `§other:VERB`; stems inside quotation marks are terms of their own (marked `»`)".to_string());
        }
        if t.cues {
            parts.push(format!(
                "the lexicon's {} pressure and {} engagement words count as `%pressure` and `%engage`, again in a sentence that names the target (`@%pressure`) and beside each speaker's side (`§other%pressure`)",
                t.lexicon.pressure.len(),
                t.lexicon.engagement.len()
            ));
        }
        writeln!(
            s,
            "Target terms: {}. The target lexicon `{}` ({} words name the target: {}; {} speech verbs) is stored in the model.\n",
            parts.join("; "),
            t.lexicon.name,
            t.lexicon.target.len(),
            t.lexicon.target.iter().take(6).map(|w| format!("`{w}`")).collect::<Vec<_>>().join(", ") + ", …",
            t.lexicon.speech.len()
        )?;
    }
    for head in &file.heads {
        writeln!(s, "## Head `{}`\n", head.task)?;
        writeln!(
            s,
            "Classes and training counts: {}.\n",
            head.label_counts
                .iter()
                .map(|(l, n)| format!("{l} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        )?;
        let h = &head.hyperparameters;
        writeln!(
            s,
            "Multinomial logistic regression (linfa-logistic): alpha {} (scikit-learn C = {:.3}), iteration limit {}, gradient tolerance {} per training row (scikit-learn's `tol`: the solver stops when the gradient of the summed loss has an L2 norm below tolerance × rows). Solver {} (largest gradient component of the summed loss {:.2e}).\n",
            h.alpha,
            1.0 / h.alpha,
            h.max_iterations,
            h.gradient_tolerance,
            if head.convergence.converged { "converged" } else { "did NOT converge" },
            head.convergence.gradient_max
        )?;
        match h.class_weight {
            ClassWeight::None => writeln!(s, "Class weight: none (every row counts once).\n")?,
            ClassWeight::Balanced => writeln!(
                s,
                "Class weight: balanced; rows counted {} (round(largest class ÷ class size)).\n",
                h.class_repeats
                    .iter()
                    .map(|(l, n)| format!("{l} ×{n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )?,
        }
        if let Some(cv) = &head.cross_validation {
            writeln!(s, "### Cross-validated quality\n")?;
            writeln!(
                s,
                "Scheme: {}. Settings chosen among {} by pooled macro-F1.\n",
                cv.scheme,
                cv.grid.len()
            )?;
            writeln!(
                s,
                "Macro-F1 {:.3} ± {:.3}, accuracy {:.3} ± {:.3} (mean ± sd over folds).\n",
                cv.macro_f1_mean, cv.macro_f1_std, cv.accuracy_mean, cv.accuracy_std
            )?;
            writeln!(
                s,
                "| class | precision | recall | F1 | support |\n|---|---|---|---|---|"
            )?;
            for (label, c) in &cv.pooled.per_class {
                writeln!(
                    s,
                    "| {label} | {:.3} | {:.3} | {:.3} | {} |",
                    c.precision, c.recall, c.f1, c.support
                )?;
            }
            writeln!(
                s,
                "\nConfusion of pooled held-out predictions (rows: true, columns: predicted):\n"
            )?;
            writeln!(s, "| | {} |", cv.pooled.confusion.labels.join(" | "))?;
            writeln!(
                s,
                "|---|{}",
                "---|".repeat(cv.pooled.confusion.labels.len())
            )?;
            for (label, row) in cv
                .pooled
                .confusion
                .labels
                .iter()
                .zip(&cv.pooled.confusion.matrix)
            {
                writeln!(
                    s,
                    "| **{label}** | {} |",
                    row.iter()
                        .map(|v| v.to_string())
                        .collect::<Vec<_>>()
                        .join(" | ")
                )?;
            }
            writeln!(s)?;
        }
        writeln!(s, "### What it has learned\n")?;
        let char_note = match fs.char_ngrams {
            None => "",
            Some(_) => "; `#` starts a character n-gram, a space in it is a word's edge",
        };
        writeln!(s, "The terms with the largest weights toward each class (stems; bigrams joined by a space{char_note}):\n")?;
        for (class, coefs) in head.classes.iter().zip(&head.coefficients) {
            let mut ranked: Vec<(usize, f64)> = coefs.iter().cloned().enumerate().collect();
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let terms: Vec<String> = ranked
                .iter()
                .take(TOP_TERMS)
                .map(|(i, w)| format!("`{}` ({w:+.2})", file.features.vocabulary[*i]))
                .collect();
            writeln!(s, "- **{class}**: {}", terms.join(", "))?;
        }
        writeln!(s)?;
    }
    Ok(())
}
