//! Micro-benchmarks of the classification path, stage by stage, on the
//! bundled articles. Each checks its output count inside the timed loop, so
//! a change that gets faster by doing less fails instead of looking good.
//! Run with `cargo bench --bench pipeline`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use stance::analyze::Analyzer;
use stance::corpus;
use stance::features::RowBuffer;
use stance::model::store;
use stance::segment;
use std::hint::black_box;

fn bodies() -> Vec<String> {
    corpus::read(std::path::Path::new("data/articles"))
        .expect("data/articles is readable")
        .map(|a| a.expect("bundled articles parse").body)
        .collect()
}

fn bench(c: &mut Criterion) {
    let bodies = bodies();
    let bytes: usize = bodies.iter().map(String::len).sum();
    let sentences: Vec<String> = bodies
        .iter()
        .flat_map(|b| {
            segment::sentences(b)
                .into_iter()
                .map(|r| b[r].to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    let n_sentences = sentences.len();
    let model = store::load_default().expect("the built-in model loads");
    let mut analyzer = Analyzer::new();
    let mut hashes = Vec::new();
    let n_tokens: usize = sentences
        .iter()
        .map(|s| {
            analyzer.token_hashes(s, &mut hashes);
            hashes.len()
        })
        .sum();

    let mut group = c.benchmark_group("pipeline");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("segment", |b| {
        b.iter(|| {
            let n: usize = bodies
                .iter()
                .map(|body| segment::sentences(black_box(body)).len())
                .sum();
            assert_eq!(n, n_sentences);
        })
    });
    group.bench_function("tokenize+stem", |b| {
        let mut analyzer = Analyzer::new();
        let mut hashes = Vec::new();
        b.iter(|| {
            let mut n = 0;
            for s in &sentences {
                analyzer.token_hashes(black_box(s), &mut hashes);
                n += hashes.len();
            }
            assert_eq!(n, n_tokens);
        })
    });
    group.bench_function("tfidf rows", |b| {
        // Token hashes, their own columns (which the scorer caches per word)
        // and character n-gram columns computed beforehand: this times
        // building the rows from them.
        let analyzed: Vec<(Vec<u64>, Vec<u32>, Vec<u32>)> = sentences
            .iter()
            .map(|s| {
                let (mut hashes, mut chars) = (Vec::new(), Vec::new());
                analyzer.each_word_hash(s, |word, hash, marks| {
                    hashes.push(model.tfidf.term_hash(hash, marks.negated));
                    model.tfidf.word_char_columns(word, &mut chars);
                });
                let unigrams = hashes
                    .iter()
                    .map(|&h| model.tfidf.unigram_column(h))
                    .collect();
                (hashes, unigrams, chars)
            })
            .collect();
        let mut row = RowBuffer::default();
        b.iter(|| {
            let mut rows = 0;
            for (hashes, unigrams, chars) in &analyzed {
                model.tfidf.row_from_hashes(
                    black_box(hashes),
                    black_box(unigrams),
                    black_box(chars),
                    &mut row,
                );
                rows += 1;
            }
            assert_eq!(rows, n_sentences);
        })
    });
    group.bench_function("classify sentences", |b| {
        let mut scorer = model.scorer();
        b.iter(|| {
            let mut n = 0;
            for s in &sentences {
                let predictions = scorer.score(black_box(s));
                n += predictions.len();
            }
            assert_eq!(n, n_sentences * model.heads().len());
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
