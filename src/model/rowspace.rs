//! Exact training in the row space of the feature matrix.
//!
//! linfa-logistic only takes dense matrices, and a dense sentences ×
//! vocabulary matrix is large and slow. With an L2 penalty the optimal
//! weights lie in the span of the training rows, so if `X = Z·Qᵀ` with `Q`
//! orthonormal (`r` columns, `r ≤ n` sentences), fitting on `Z` (n × r) and
//! mapping the weights back by `W = Q·W_z` gives the same model as fitting on
//! `X`: the scores `X·W = Z·W_z` and the penalty `‖W‖ = ‖W_z‖` agree.
//!
//! `Z` comes from a pivoted Cholesky factorization of the Gram matrix
//! `G = X·Xᵀ = Z·Zᵀ`, computed from the sparse rows.
//! Pivoting makes rank deficiency (duplicate or empty sentences) harmless.

use crate::features::SparseRows;
use ndarray::Array2;
use rayon::prelude::*;

/// The row-space basis of a training matrix.
pub struct RowSpace {
    /// n × r coordinates of the training rows.
    pub z: Array2<f64>,
    /// The training rows chosen as pivots, in order: they span the row space,
    /// and their rows of `z` form a lower-triangular matrix `L₁₁`.
    pivots: Vec<usize>,
}

/// Pivots below this fraction of the largest diagonal entry count as zero.
const RANK_TOLERANCE: f64 = 1e-10;

impl RowSpace {
    pub fn new(x: &SparseRows) -> RowSpace {
        let n = x.nrows();
        // Row i of the lower triangle: scatter row i of X into a dense
        // vector, then gather against rows j ≤ i (branch-free, unlike merging
        // two sorted index lists). Rows are independent: both cores share them,
        // and each entry is computed the same way whatever the thread.
        let mut lower = vec![0.0; n * n];
        lower.par_chunks_mut(n.max(1)).enumerate().for_each_init(
            || vec![0.0; x.ncols],
            |dense, (i, out)| {
                let (idx_i, val_i) = x.row(i);
                for (&c, &v) in idx_i.iter().zip(val_i) {
                    dense[c as usize] = v;
                }
                for (j, g) in out[..=i].iter_mut().enumerate() {
                    let (idx_j, val_j) = x.row(j);
                    *g = idx_j
                        .iter()
                        .zip(val_j)
                        .map(|(&c, &v)| dense[c as usize] * v)
                        .sum();
                }
                for &c in idx_i {
                    dense[c as usize] = 0.0;
                }
            },
        );
        let gram = Array2::from_shape_fn((n, n), |(i, j)| lower[i.max(j) * n + i.min(j)]);
        let (z, pivots) = pivoted_cholesky(&gram);
        RowSpace { z, pivots }
    }

    pub fn rank(&self) -> usize {
        self.z.ncols()
    }

    /// Map weights fitted on `Z` (r × k) back to feature space (n_features × k).
    ///
    /// The pivot rows satisfy `X_p = L₁₁·Qᵀ`, so `Q = X_pᵀ·L₁₁⁻ᵀ` and
    /// `W = X_pᵀ·(L₁₁⁻ᵀ·W_z)`: one triangular solve, then a sparse product.
    pub fn weights_to_features(&self, x: &SparseRows, wz: &Array2<f64>) -> Array2<f64> {
        let r = self.rank();
        let k = wz.ncols();
        // Back substitution with L₁₁ᵀ (upper triangular).
        let mut b = wz.clone();
        for col in 0..k {
            for j in (0..r).rev() {
                let mut s = b[[j, col]];
                for m in j + 1..r {
                    s -= self.z[[self.pivots[m], j]] * b[[m, col]];
                }
                b[[j, col]] = s / self.z[[self.pivots[j], j]];
            }
        }
        let mut w = Array2::<f64>::zeros((x.ncols, k));
        for (j, &row) in self.pivots.iter().enumerate() {
            let (idx, val) = x.row(row);
            for (&c, &v) in idx.iter().zip(val) {
                w.row_mut(c as usize).scaled_add(v, &b.row(j));
            }
        }
        w
    }
}

/// Pivoted Cholesky of a symmetric positive semi-definite matrix: returns `L`
/// (n × r, rows in the original order) with `L·Lᵀ = G` up to rounding, `r`
/// the numerical rank.
fn pivoted_cholesky(gram: &Array2<f64>) -> (Array2<f64>, Vec<usize>) {
    let n = gram.nrows();
    let mut diag: Vec<f64> = (0..n).map(|i| gram[[i, i]]).collect();
    let max_diag = diag.iter().cloned().fold(0.0, f64::max);
    let tolerance = RANK_TOLERANCE * max_diag.max(f64::MIN_POSITIVE);
    // Row-major n × n store: row i holds L[i, 0..r], so each update is a
    // contiguous dot product.
    let mut l = vec![0.0; n * n];
    let mut used = vec![false; n];
    let mut pivots = Vec::new();
    let mut r = 0;
    while r < n {
        let pivot = (0..n)
            .filter(|&i| !used[i])
            .max_by(|&a, &b| diag[a].total_cmp(&diag[b]).then(b.cmp(&a)));
        let Some(p) = pivot else { break };
        if diag[p] <= tolerance {
            break;
        }
        used[p] = true;
        pivots.push(p);
        let pivot_value = diag[p].sqrt();
        l[p * n + r] = pivot_value;
        let lp = l[p * n..p * n + r].to_vec();
        // Row p, not column p, of the symmetric Gram matrix: contiguous.
        let gram_p = gram.row(p);
        // Each remaining row is updated on its own, so both cores share
        // them, and every value is computed the same way whatever the thread.
        l.par_chunks_mut(n)
            .zip(diag.par_iter_mut())
            .zip(used.par_iter())
            .enumerate()
            .with_min_len(256)
            .for_each(|(i, ((row, d), &done))| {
                if done {
                    return;
                }
                let v = (gram_p[i] - dot(&row[..r], &lp)) / pivot_value;
                row[r] = v;
                *d -= v * v;
            });
        r += 1;
    }
    (Array2::from_shape_fn((n, r), |(i, j)| l[i * n + j]), pivots)
}

/// Dot product with eight independent sums, which the compiler turns into
/// vector instructions (one running sum cannot be reordered). This loop is
/// where the factorization spends its time.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut sums = [0.0; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f64 = a8
        .remainder()
        .iter()
        .zip(b8.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a8.zip(b8) {
        for k in 0..8 {
            sums[k] += x[k] * y[k];
        }
    }
    sums.iter().sum::<f64>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sparse(rows: &[&[f64]]) -> SparseRows {
        let mut x = SparseRows::new(rows[0].len());
        for row in rows {
            let idx: Vec<u32> = (0..row.len() as u32)
                .filter(|&c| row[c as usize] != 0.0)
                .collect();
            let val: Vec<f64> = idx.iter().map(|&c| row[c as usize]).collect();
            x.push_row(&idx, &val);
        }
        x
    }

    #[test]
    fn z_reproduces_the_gram_matrix_even_when_rank_deficient() {
        // Row 2 duplicates row 0; row 3 is empty.
        let x = sparse(&[
            &[1.0, 0.0, 2.0, 0.0],
            &[0.0, 3.0, 1.0, 1.0],
            &[1.0, 0.0, 2.0, 0.0],
            &[0.0; 4],
        ]);
        let rs = RowSpace::new(&x);
        assert_eq!(rs.rank(), 2);
        let g = rs.z.dot(&rs.z.t());
        let dense = x.to_dense();
        let expected = dense.dot(&dense.t());
        for (a, b) in g.iter().zip(expected.iter()) {
            assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        }
    }

    #[test]
    fn weights_map_back_so_scores_agree() {
        let x = sparse(&[
            &[1.0, 0.0, 2.0, 0.5],
            &[0.0, 3.0, 1.0, 1.0],
            &[0.2, 0.1, 0.0, 0.0],
        ]);
        let rs = RowSpace::new(&x);
        let wz =
            Array2::from_shape_fn((rs.rank(), 2), |(i, j)| (i as f64 + 1.0) * (j as f64 - 0.5));
        let w = rs.weights_to_features(&x, &wz);
        let scores_x = x.to_dense().dot(&w);
        let scores_z = rs.z.dot(&wz);
        for (a, b) in scores_x.iter().zip(scores_z.iter()) {
            assert!((a - b).abs() < 1e-9);
        }
        // And the penalty is preserved: ‖W‖ = ‖W_z‖.
        let nw: f64 = w.iter().map(|v| v * v).sum();
        let nz: f64 = wz.iter().map(|v| v * v).sum();
        assert!((nw - nz).abs() < 1e-9);
    }
}
