//! The HTML report: one self-contained page (styles and chart inline, no
//! scripts, nothing fetched) with the comparison chart and table, a card per
//! article with its profile, and the article's text with every sentence
//! highlighted by its predicted label, its probabilities on hover or tap, and
//! the removed page furniture shown apart. Every piece of article text is
//! escaped, so markup in an article shows as text.

use crate::compare::{Comparison, Interval};
use crate::model::HeadFile;
use crate::profile::{Classified, Profile};
use std::fmt::Write;

/// Escape text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root { --hawkish: #c0392b; --conciliatory: #2980b9; --neutral: #95a5a6; --ink: #1d2733; --muted: #5d6d7e; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink); background: #f4f6f8; }
main { max-width: 1120px; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.6rem; margin: .5rem 0; } h2 { font-size: 1.25rem; margin: 1.5rem 0 .5rem; }
.note { color: var(--muted); font-size: .9rem; }
figure { margin: 0; background: #fff; border-radius: 8px; padding: .5rem; }
figure { overflow-x: auto; }
figure svg { width: 100%; min-width: 620px; height: auto; display: block; }
.table-wrap { overflow-x: auto; background: #fff; border-radius: 8px; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { padding: .35rem .5rem; text-align: right; border-bottom: 1px solid #e5e8eb; }
td { white-space: nowrap; } td.ci { white-space: normal; min-width: 7rem; }
th:first-child, td:first-child { text-align: left; }
section.article { background: #fff; border-radius: 8px; padding: 1rem; margin: 1rem 0; }
section.article h3 { margin: 0 0 .25rem; font-size: 1.1rem; }
.meta { color: var(--muted); font-size: .9rem; }
.bar { display: flex; height: 14px; border-radius: 7px; overflow: hidden; margin: .5rem 0; }
.bar span { display: block; height: 100%; }
.figures { display: flex; flex-wrap: wrap; gap: .4rem 1.2rem; font-size: .9rem; }
.text p { margin: .6rem 0; }
.s { border-radius: 3px; padding: 0 1px; position: relative; cursor: help; }
.s.hawkish { background: rgba(192,57,43,.18); border-bottom: 2px solid var(--hawkish); }
.s.conciliatory { background: rgba(41,128,185,.16); border-bottom: 2px solid var(--conciliatory); }
.s.neutral { border-bottom: 1px dotted var(--neutral); }
.s:hover::after, .s:focus::after { content: attr(data-p); position: absolute; left: 0; top: 100%; z-index: 2; background: var(--ink); color: #fff; font-size: .8rem; line-height: 1.3; padding: .3rem .5rem; border-radius: 4px; white-space: normal; width: min(22rem, 80vw); }
.legend span { display: inline-block; margin-right: 1rem; }
.legend i { display: inline-block; width: .9em; height: .9em; border-radius: 2px; margin-right: .3em; vertical-align: -1px; }
details.dropped { margin-top: .75rem; color: var(--muted); font-size: .85rem; }
details.dropped li { margin: .15rem 0; }
@media (max-width: 600px) { body { font-size: 15px; } main { padding: .5rem; } section.article { padding: .75rem; } }
"#;

fn color(label: &str) -> &'static str {
    match label {
        "hawkish" => "#c0392b",
        "conciliatory" => "#2980b9",
        "neutral" => "#95a5a6",
        _ => "#e67e22",
    }
}

fn interval(iv: &Option<Interval>) -> String {
    match iv {
        None => "–".into(),
        Some(Interval {
            estimate,
            low: Some(l),
            high: Some(h),
        }) => format!("{estimate:+.3} [{l:+.3}, {h:+.3}]"),
        Some(Interval { estimate, .. }) => format!("{estimate:+.3} (one article)"),
    }
}

/// Render the whole report.
pub fn render(
    title: &str,
    c: &Comparison,
    articles: &[(Classified, Profile)],
    heads: &[HeadFile],
    chart_svg: &str,
) -> String {
    let mut s = String::new();
    // Writing to a String cannot fail.
    let _ = render_into(&mut s, title, c, articles, heads, chart_svg);
    s
}

fn render_into(
    s: &mut String,
    title: &str,
    c: &Comparison,
    articles: &[(Classified, Profile)],
    heads: &[HeadFile],
    chart_svg: &str,
) -> std::fmt::Result {
    writeln!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">"
    )?;
    writeln!(
        s,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    )?;
    writeln!(
        s,
        "<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>",
        escape(title)
    )?;
    writeln!(s, "<h1>{}</h1>", escape(title))?;
    writeln!(
        s,
        "<p class=\"note\">{} articles, {} sentences, grouped by {}. Each sentence is labeled hawkish, conciliatory or neutral toward Russia by the model; intervals are 95% bootstrap intervals over articles ({} resamples, seed {}).</p>",
        c.articles,
        c.sentences,
        escape(&c.by),
        c.resamples,
        c.seed
    )?;
    writeln!(s, "<h2>Comparison by {}</h2>", escape(&c.by))?;
    writeln!(
        s,
        "<figure id=\"{}-chart\" class=\"comparison-chart\">{chart_svg}</figure>",
        escape(&c.by)
    )?;
    comparison_table(s, c)?;
    writeln!(s, "<h2>Articles</h2>")?;
    write!(s, "<p class=\"legend\">")?;
    for label in &c.classes {
        write!(
            s,
            "<span><i style=\"background:{}\"></i>{}</span>",
            color(label),
            escape(label)
        )?;
    }
    writeln!(
        s,
        "— hover over or tap a sentence for its probabilities.</p>"
    )?;
    for (classified, profile) in articles {
        article_card(s, classified, profile, heads)?;
    }
    writeln!(s, "</main>\n</body>\n</html>")
}

fn comparison_table(s: &mut String, c: &Comparison) -> std::fmt::Result {
    write!(s, "<div class=\"table-wrap\"><table>\n<thead><tr><th>{}</th><th>articles</th><th>sentences</th>", escape(&c.by))?;
    for l in &c.classes {
        write!(s, "<th>{}</th>", escape(l))?;
    }
    let tone = c.groups.iter().any(|g| g.net_tone.is_some());
    write!(s, "<th>net stance [95% CI]</th><th>hawkish share</th>")?;
    if tone {
        write!(s, "<th>net tone [95% CI]</th>")?;
    }
    writeln!(s, "</tr></thead>\n<tbody>")?;
    for g in &c.groups {
        write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td>",
            escape(&g.group),
            g.articles,
            g.sentences
        )?;
        for l in &c.classes {
            write!(s, "<td>{:.1}%</td>", 100.0 * g.shares[l])?;
        }
        write!(
            s,
            "<td class=\"ci\">{}</td><td class=\"ci\">{}</td>",
            interval(&g.net_stance),
            interval(&g.hawkish_share).replace('+', "")
        )?;
        if tone {
            write!(s, "<td class=\"ci\">{}</td>", interval(&g.net_tone))?;
        }
        writeln!(s, "</tr>")?;
    }
    writeln!(s, "</tbody></table></div>")?;
    if let (Some(chi), Some(perm)) = (&c.chi_square, &c.permutation) {
        write!(
            s,
            "<p class=\"note\">Does the label distribution differ between groups? Permutation test over whole articles ({} permutations): p = {:.3}. Chi-square test of independence on sentence counts: χ² = {:.2}, df = {}, p = {:.3}",
            perm.permutations, perm.p_value, chi.statistic, chi.df, chi.p_value
        )?;
        if let Some(w) = &chi.warning {
            write!(s, " — {}", escape(w))?;
        }
        writeln!(s, ".</p>")?;
    }
    Ok(())
}

fn article_card(
    s: &mut String,
    c: &Classified,
    p: &Profile,
    heads: &[HeadFile],
) -> std::fmt::Result {
    let a = &c.article;
    writeln!(
        s,
        "<section class=\"article\" data-article=\"{}\">",
        escape(&a.id)
    )?;
    writeln!(
        s,
        "<h3>{}</h3>",
        escape(a.title.as_deref().unwrap_or(&a.id))
    )?;
    let mut meta = vec![a.outlet.clone().unwrap_or_else(|| "(no outlet)".into())];
    if let Some(d) = &a.date {
        meta.push(d.clone());
    }
    meta.push(a.id.clone());
    writeln!(s, "<div class=\"meta\">{}</div>", escape(&meta.join(" · ")))?;
    write!(
        s,
        "<div class=\"bar\" role=\"img\" aria-label=\"label shares\">"
    )?;
    for (label, share) in &p.shares {
        write!(
            s,
            "<span style=\"width:{:.2}%;background:{}\" title=\"{} {:.0}%\"></span>",
            100.0 * share,
            color(label),
            escape(label),
            100.0 * share
        )?;
    }
    writeln!(s, "</div>")?;
    write!(
        s,
        "<div class=\"figures\"><span>{} sentences</span>",
        p.sentences
    )?;
    for (label, n) in &p.counts {
        write!(
            s,
            "<span>{} {} ({:.0}%)</span>",
            escape(label),
            n,
            100.0 * p.shares[label]
        )?;
    }
    if let Some(net) = p.net_stance {
        write!(s, "<span><b>net stance {net:+.3}</b></span>")?;
    }
    if let Some(net) = p.net_tone {
        write!(s, "<span>net tone {net:+.3}</span>")?;
    }
    writeln!(s, "</div>")?;

    // The text, sentence by sentence; line breaks between sentences become paragraphs.
    write!(s, "<div class=\"text\"><p>")?;
    let body = &a.body;
    let mut at = 0;
    for sentence in &c.sentences {
        let gap = &body[at..sentence.start];
        if gap.contains('\n') {
            write!(s, "</p>\n<p>")?;
        } else if !gap.is_empty() {
            write!(s, "{}", escape(gap))?;
        }
        let mut tip: Vec<String> = Vec::new();
        for (h, head) in heads.iter().enumerate() {
            let probs: Vec<String> = head
                .classes
                .iter()
                .zip(&sentence.probabilities[h])
                .map(|(l, p)| format!("{l} {p:.2}"))
                .collect();
            tip.push(format!("{}: {}", head.task, probs.join(", ")));
        }
        write!(
            s,
            "<span class=\"s {}\" tabindex=\"0\" data-p=\"{}\">{}</span>",
            escape(&sentence.labels[0]),
            escape(&tip.join(" — ")),
            escape(&body[sentence.start..sentence.end])
        )?;
        at = sentence.end;
    }
    writeln!(s, "</p></div>")?;
    if !a.dropped.is_empty() {
        writeln!(
            s,
            "<details class=\"dropped\"><summary>{} line(s) removed as page furniture (not classified)</summary><ul>",
            a.dropped.len()
        )?;
        for d in &a.dropped {
            writeln!(s, "<li><b>{}</b>: {}</li>", d.kind, escape(&d.text))?;
        }
        writeln!(s, "</ul></details>")?;
    }
    writeln!(s, "</section>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_makes_markup_inert() {
        assert_eq!(
            escape("<script>alert(\"x\")</script> & 'y'"),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }
}
