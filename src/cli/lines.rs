//! `stance classify --lines`: text already split into sentences, one per
//! line. Blocks of lines are read in turn, classified on every core and
//! written in input order, so memory stays flat however large the input.

use super::classify::Records;
use super::{Batch, Output, Read};
use anyhow::{Context, Result};
use rayon::prelude::*;
use stance::error::Location;
use stance::model::{best, Model, Scorer};
use std::io::{BufRead, Read as _, Write};
use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::Mutex;

/// Bytes of input read before a block is classified.
const BLOCK_BYTES: usize = 2 << 20;
/// Lines a worker takes at a time.
const CHUNK_LINES: usize = 128;

/// Classify every line of `paths` as one sentence and write a record for
/// each (in `columns`' layout, CSV without header or JSONL) to `out`.
/// Returns how many paths were skipped (unreadable, without `--strict`).
pub fn classify_lines(
    paths: &[PathBuf],
    batch: Batch,
    model: &Model,
    columns: &[(String, Vec<String>)],
    csv: bool,
    out: &mut Output,
) -> Result<usize> {
    // One scorer per worker thread, so each keeps its stem cache warm.
    let scorers: Vec<Mutex<Scorer<'_>>> = (0..rayon::current_num_threads().max(1))
        .map(|_| Mutex::new(model.scorer()))
        .collect();
    let progress = super::progress_bar(batch.quiet);
    let started = std::time::Instant::now();
    let (mut skipped, mut sentences) = (0usize, 0usize);
    // A reader thread reads and decodes the next block and a writer thread
    // writes the last one while the workers classify this one; the bounded
    // channels keep memory flat.
    std::thread::scope(|scope| -> Result<()> {
        let (blocks, received) = sync_channel::<Read<Block>>(1);
        let (records, to_write) = sync_channel::<Vec<Vec<u8>>>(1);
        scope.spawn(move || read_blocks(paths, batch.strict, &blocks));
        let writer = scope.spawn(move || -> Result<()> {
            for chunks in to_write {
                for bytes in chunks {
                    out.write_all(&bytes)?;
                }
            }
            out.flush().context("writing the records")
        });
        for message in received {
            let block = match message {
                Read::Batch(block) => block,
                Read::Warning(w) => {
                    progress.suspend(|| eprintln!("stance: warning: {w}"));
                    continue;
                }
                Read::Skipped(err) => {
                    progress.suspend(|| eprintln!("stance: skipped: {err}"));
                    skipped += 1;
                    continue;
                }
                Read::Failed(err) => return Err(err.into()),
            };
            let lines: Vec<&str> = block.text.split('\n').collect();
            let chunks: Vec<Result<(Vec<u8>, usize)>> = lines
                .par_chunks(CHUNK_LINES)
                .enumerate()
                .map(|(c, chunk)| {
                    let slot = rayon::current_thread_index().unwrap_or(0) % scorers.len();
                    let mut scorer = scorers[slot]
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner());
                    let bytes: usize = chunk.iter().map(|l| l.len()).sum();
                    let mut records = Records::new(csv, columns, bytes * 2 + 64 * chunk.len());
                    let mut probabilities = Vec::new();
                    let mut count = 0;
                    for (i, line) in chunk.iter().enumerate() {
                        let sentence = line.trim();
                        if sentence.is_empty() {
                            continue;
                        }
                        scorer.score_into(sentence, &mut probabilities);
                        let index = block.first_line + c * CHUNK_LINES + i;
                        let heads = heads(model, &probabilities);
                        records.push(&block.name, None, index, sentence, heads)?;
                        count += 1;
                    }
                    Ok((records.finish()?, count))
                })
                .collect();
            let mut bytes = Vec::with_capacity(chunks.len());
            for chunk in chunks {
                let (chunk, count) = chunk?;
                bytes.push(chunk);
                sentences += count;
            }
            if records.send(bytes).is_err() {
                break; // the writer failed: its error is reported below
            }
            let rate = sentences as f64 / started.elapsed().as_secs_f64().max(1e-9);
            progress.set_message(format!(
                "{} lines of {}, {sentences} sentences ({rate:.0} sentences/s)",
                block.first_line + lines.len(),
                block.name
            ));
            progress.tick();
        }
        drop(records);
        writer
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the writer thread panicked")))
    })?;
    progress.finish_and_clear();
    if sentences == 0 {
        let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        anyhow::bail!(
            "no sentence to classify in {}: every line was blank{}",
            names.join(", "),
            if skipped > 0 {
                " or its file was skipped (see the messages above)"
            } else {
                ""
            }
        );
    }
    Ok(skipped)
}

/// A block of whole lines of one input.
struct Block {
    name: String,
    /// Index of the block's first line in its input.
    first_line: usize,
    /// The lines, without the last one's line end.
    text: String,
}

/// A text file to read line by line; a directory is refused by name.
fn open(path: &std::path::Path) -> Result<Box<dyn BufRead>, stance::Error> {
    let file = std::fs::File::open(path).map_err(|e| stance::Error::io(path, e))?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(stance::Error::input(
            Location::file(path),
            "a directory: --lines reads text files (or -), one sentence per line",
        ));
    }
    Ok(Box::new(std::io::BufReader::with_capacity(1 << 16, file)))
}

/// Read `paths` in blocks of whole lines and send them. Stops early when
/// the receiver is gone (the run ended).
fn read_blocks(paths: &[PathBuf], strict: bool, sender: &SyncSender<Read<Block>>) {
    let mut raw = Vec::with_capacity(BLOCK_BYTES + (64 << 10));
    for path in paths {
        let stdin = path.as_os_str() == "-";
        // What records and messages call the input.
        let source = match stdin {
            true => PathBuf::from("<stdin>"),
            false => path.clone(),
        };
        let opened = match stdin {
            true => Ok(Box::new(std::io::stdin().lock()) as Box<dyn BufRead>),
            false => open(path),
        };
        let mut reader = match opened {
            Ok(reader) => reader,
            Err(err) => {
                if sender.send(Read::unreadable(err, strict)).is_err() || strict {
                    return;
                }
                continue;
            }
        };
        let name = source.display().to_string();
        let mut first_line = 0usize;
        loop {
            raw.clear();
            // A block's worth of bytes, then the rest of its last line.
            let read = reader
                .by_ref()
                .take(BLOCK_BYTES as u64)
                .read_to_end(&mut raw)
                .and_then(|n| match n == BLOCK_BYTES && raw.last() != Some(&b'\n') {
                    true => reader.read_until(b'\n', &mut raw),
                    false => Ok(0),
                });
            if let Err(e) = read {
                let _ = sender.send(Read::Failed(stance::Error::io(&source, e)));
                return;
            }
            if raw.is_empty() {
                break;
            }
            let at = Location::line(&source, first_line as u64 + 1);
            let decoded = match stance::labels::decode(&at, &raw) {
                Ok(decoded) => decoded,
                Err(err) => {
                    let _ = sender.send(Read::Failed(err));
                    return;
                }
            };
            if let Some(warning) = decoded.warning(&at) {
                if sender.send(Read::Warning(warning)).is_err() {
                    return;
                }
            }
            let text = decoded.text.strip_suffix('\n').unwrap_or(&decoded.text);
            let lines = text.bytes().filter(|&b| b == b'\n').count() + 1;
            let block = Block {
                name: name.clone(),
                first_line,
                text: text.to_string(),
            };
            if sender.send(Read::Batch(block)).is_err() {
                return;
            }
            first_line += lines;
        }
    }
}

/// Each head's label and class probabilities, from the probabilities of
/// every head one after the other (as [`Scorer::score_into`] gives them).
fn heads<'a>(model: &'a Model, flat: &'a [f64]) -> impl Iterator<Item = (&'a str, &'a [f64])> {
    model
        .heads()
        .iter()
        .zip(model.per_head(flat))
        .map(|(head, probabilities)| (head.classes[best(probabilities)].as_str(), probabilities))
}
